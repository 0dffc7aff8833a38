/// MurmurHash3, x86 32-bit variant: the hash every Unleash SDK buckets with, so that a
/// device lands in the same bucket here as in any Unleash client.
public enum Murmur3 {
    public static func x86_32<Bytes: Collection<UInt8>>(_ bytes: Bytes, seed: UInt32 = 0) -> UInt32 {
        let c1: UInt32 = 0xcc9e_2d51, c2: UInt32 = 0x1b87_3593
        var hash = seed
        var block: UInt32 = 0, filled = 0
        for byte in bytes {
            block |= UInt32(byte) << (8 * UInt32(filled))
            filled += 1
            if filled == 4 {
                hash ^= scramble(block, c1, c2)
                hash = rotateLeft(hash, 13) &* 5 &+ 0xe654_6b64
                block = 0
                filled = 0
            }
        }
        if filled > 0 { hash ^= scramble(block, c1, c2) }
        hash ^= UInt32(truncatingIfNeeded: bytes.count)
        hash ^= hash >> 16
        hash &*= 0x85eb_ca6b
        hash ^= hash >> 13
        hash &*= 0xc2b2_ae35
        hash ^= hash >> 16
        return hash
    }

    @inline(__always)
    private static func scramble(_ block: UInt32, _ c1: UInt32, _ c2: UInt32) -> UInt32 {
        rotateLeft(block &* c1, 15) &* c2
    }

    @inline(__always)
    private static func rotateLeft(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value << count) | (value >> (32 - count))
    }

    /// Unleash's normalised hash: murmur3 of "groupId:identifier" with `seed`, mod
    /// `normalizer`, plus one (1...normalizer). Strategies use normalizer 100 and seed 0;
    /// variants their total weight and seed 86028157.
    public static func normalizedHash(identifier: String, groupId: String, normalizer: UInt32 = 100, seed: UInt32 = 0) -> UInt32 {
        guard normalizer > 0 else { return 0 }
        var text = groupId
        text.append(":")
        text.append(identifier)
        return x86_32(text.utf8, seed: seed) % normalizer + 1
    }
}

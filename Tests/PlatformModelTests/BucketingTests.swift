import PlatformModel
import Testing

@Suite struct BucketingTests {
    let devices = (0..<50_000).map { "device-\($0)" }

    func included(_ percent: Double, release: String = "5.2.0") -> Set<String> {
        Set(devices.filter { Bucketing.includes(app: "wallet-ios", release: release, device: $0, grayPercent: percent) })
    }

    @Test func raisingThePercentageOnlyAddsDevices() {
        let ten = included(10), twenty = included(20), hundred = included(100)
        #expect(ten.isSubset(of: twenty))
        #expect(twenty.isSubset(of: hundred))
        #expect(hundred.count == devices.count)
        #expect(included(0).isEmpty)
    }

    @Test(arguments: [0.01, 1, 12.5, 50])
    func theShareIsCloseToThePercentage(percent: Double) {
        let share = Double(included(percent).count) / Double(devices.count) * 100
        // 50,000 draws: the standard error at 50 % is about 0.22 points.
        #expect(abs(share - percent) < max(1, percent * 0.1), "share \(share) for \(percent) %")
    }

    @Test func eachReleaseShufflesDevicesAfresh() {
        let a = included(10, release: "5.2.0"), b = included(10, release: "5.3.0")
        let overlap = Double(a.intersection(b).count) / Double(a.count)
        #expect(overlap < 0.2, "the same 10 % should not always be first (overlap \(overlap))")
    }

    @Test func stableAndInRange() {
        for device in devices.prefix(1000) {
            let bucket = Bucketing.bucket(app: "a", release: "1", device: device)
            #expect((0..<Bucketing.buckets).contains(bucket))
            #expect(bucket == Bucketing.bucket(app: "a", release: "1", device: device))
        }
        #expect(Bucketing.basisPoints(12.34) == 1234)
    }

    /// A device's bucket must never change between versions of the server (it would
    /// move devices in and out of a rollout): the part-by-part hash equals the
    /// definition, FNV-1a over the joined string then fmix64, pinned by known values.
    @Test func theBucketIsTheDefinitionAndDoesNotMove() {
        func definition(_ text: String) -> Int {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
            hash ^= hash >> 33
            hash &*= 0xff51_afd7_ed55_8ccd
            hash ^= hash >> 33
            hash &*= 0xc4ce_b9fe_1a85_ec53
            hash ^= hash >> 33
            return Int(hash % 10_000)
        }
        var random = SeededRandom(seed: 11)
        let alphabet = Array("abcXYZ019.-_ /ü東🙂\u{0}\u{1}")
        func text() -> String { String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! }) }
        for _ in 0..<2000 {
            let app = text(), release = text(), device = text()
            #expect(Bucketing.bucket(app: app, release: release, device: device) == definition("\(app)\u{0}\(release)\u{0}\(device)"))
        }
        // Values the server gave before the hash was computed part by part.
        #expect(Bucketing.bucket(app: "wallet-ios", release: "5.2.0", device: "device-1") == 6347)
        #expect(Bucketing.bucket(app: "wallet-android", release: "switch:pay-api", device: "bench-42") == 3232)
    }

    @Test func stageRulesForConsoles() {
        #expect(ReleaseStage.gray.canHalt && !ReleaseStage.draft.canHalt)
        #expect(ReleaseStage.halted.canResume && !ReleaseStage.gray.canResume)
        #expect(ReleaseStage.rolledBack.nextStages.isEmpty)
        #expect(ReleaseStage.gray.nextStages.contains(.full))
    }
}

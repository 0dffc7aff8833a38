import CCompression
import Foundation

/// Request bodies as sent with `Content-Encoding`: identity, gzip, deflate or br.
/// Output is bounded: a body that inflates past `limit` is refused rather than let
/// fill memory (a zip bomb is a few kilobytes).
enum Decompression {
    enum Failure: Error, Equatable {
        case unsupported(String)
        case corrupt(String)
        case tooLarge(limit: Int)
    }

    static func decode(_ body: [UInt8], encoding: String?, limit: Int) throws(Failure) -> [UInt8] {
        // Encodings apply in the order listed; decoding undoes them last first.
        let codings = (encoding ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { !$0.isEmpty && $0 != "identity" }
        var bytes = body
        for coding in codings.reversed() {
            switch coding {
            case "gzip", "x-gzip": bytes = try inflate(bytes, raw: false, limit: limit)
            case "deflate":
                // Meant as zlib-wrapped; some clients send raw deflate.
                if let wrapped = try? inflate(bytes, raw: false, limit: limit) {
                    bytes = wrapped
                } else {
                    bytes = try inflate(bytes, raw: true, limit: limit)
                }
            case "br": bytes = try brotli(bytes, limit: limit)
            default: throw .unsupported(coding)
            }
        }
        guard bytes.count <= limit else { throw .tooLarge(limit: limit) }
        return bytes
    }

    private static func inflate(_ input: [UInt8], raw: Bool, limit: Int) throws(Failure) -> [UInt8] {
        var stream = z_stream()
        guard (raw ? opsdeck_inflate_init_raw(&stream) : opsdeck_inflate_init(&stream)) == Z_OK else { throw .corrupt("zlib would not start") }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        var status: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.next_in = inputBuffer.baseAddress
            stream.avail_in = uInt(inputBuffer.count)
            while status == Z_OK {
                status = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = uInt(chunkBuffer.count)
                    return CCompression.inflate(&stream, Z_NO_FLUSH)
                }
                output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
                if output.count > limit { status = Z_MEM_ERROR; break }
                if status == Z_BUF_ERROR, stream.avail_in == 0 { break }
            }
        }
        if output.count > limit { throw .tooLarge(limit: limit) }
        guard status == Z_STREAM_END else { throw .corrupt(raw ? "the deflate stream is cut or corrupt" : "the gzip stream is cut or corrupt") }
        return output
    }

    private static func brotli(_ input: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        guard let decoder = BrotliDecoderCreateInstance(nil, nil, nil) else { throw .corrupt("brotli would not start") }
        defer { BrotliDecoderDestroyInstance(decoder) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var result = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT
        input.withUnsafeBufferPointer { inputBuffer in
            var availableIn = inputBuffer.count
            var nextIn = inputBuffer.baseAddress
            while result == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT {
                let produced = chunk.withUnsafeMutableBufferPointer { chunkBuffer -> Int in
                    var availableOut = chunkBuffer.count
                    var nextOut = chunkBuffer.baseAddress
                    result = BrotliDecoderDecompressStream(decoder, &availableIn, &nextIn, &availableOut, &nextOut, nil)
                    return chunkBuffer.count - availableOut
                }
                output.append(contentsOf: chunk[0..<produced])
                if output.count > limit { return }
            }
        }
        if output.count > limit { throw .tooLarge(limit: limit) }
        guard result == BROTLI_DECODER_RESULT_SUCCESS else { throw .corrupt("the brotli stream is cut or corrupt") }
        return output
    }
}

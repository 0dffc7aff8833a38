import Foundation
import PlatformModel

/// HTTP/1.1 as the device gateway needs it (RFC 9112): request heads read in place
/// from a connection's bytes, without allocating, and strict about what it accepts.
/// Pure functions of bytes; DeviceGatewayTests drives them over real sockets.
@_spi(Fuzzing) public enum GatewayHTTP {
    /// Larger heads are refused with 431: a device's check is a few hundred bytes.
    static let maximumHeadBytes = 8192
    /// A body (the check takes none) up to this size is read and ignored; larger: 413.
    static let maximumIgnoredBody = 65_536

    /// One request, as positions in the buffer it was parsed from.
    @_spi(Fuzzing) public struct Request {
        public var method: Range<Int>
        public var path: Range<Int>
        public var query: Range<Int>?
        public var authorization: Range<Int>?
        /// False for `Connection: close`, and for HTTP/1.0 without `keep-alive`.
        public var keepAlive: Bool
        /// Head and body: where the next request starts.
        public var length: Int
    }

    @_spi(Fuzzing) public enum Parse {
        case incomplete
        case request(Request)
        /// Answer with this status and close: the stream cannot be trusted past here.
        case malformed(status: Int, detail: String)
    }

    @_spi(Fuzzing) public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Parse {
        var start = 0
        // RFC 9112 §2.2: empty lines before a request line are ignored.
        while start < bytes.count, bytes[start] == cr || bytes[start] == lf { start += 1 }
        guard start < bytes.count else { return .incomplete }
        var lines = LineReader(bytes: bytes, position: start, limit: min(bytes.count, start + maximumHeadBytes))
        // A head not complete yet: wait for more, unless the limit is already reached.
        let unfinished: Parse = bytes.count - start >= maximumHeadBytes
            ? .malformed(status: 431, detail: "the request head is larger than \(maximumHeadBytes) bytes") : .incomplete
        guard let requestLine = lines.next() else { return unfinished }
        // method SP request-target SP HTTP-version
        guard let firstSpace = index(of: space, in: bytes, requestLine), firstSpace > requestLine.lowerBound,
              let secondSpace = index(of: space, in: bytes, firstSpace + 1..<requestLine.upperBound) else {
            return .malformed(status: 400, detail: "the request line is not 'METHOD TARGET HTTP/1.1'")
        }
        let method = requestLine.lowerBound..<firstSpace, target = firstSpace + 1..<secondSpace, version = secondSpace + 1..<requestLine.upperBound
        guard method.allSatisfy({ isTokenByte(bytes[$0]) }) else { return .malformed(status: 400, detail: "the method is not a token") }
        guard !target.isEmpty, bytes[target.lowerBound] == slash, target.allSatisfy({ bytes[$0] > 0x20 && bytes[$0] < 0x7F }) else {
            return .malformed(status: 400, detail: "the request target must be an origin-form path of visible ASCII")
        }
        guard version.count == 8, matches(bytes, version.lowerBound, "HTTP/"), bytes[version.lowerBound + 6] == UInt8(ascii: "."),
              [5, 7].allSatisfy({ (0x30...0x39).contains(bytes[version.lowerBound + $0]) }) else {
            return .malformed(status: 400, detail: "the request line does not end in an HTTP version")
        }
        let minor = bytes[version.upperBound - 1]
        guard bytes[version.lowerBound + 5] == UInt8(ascii: "1"), minor == UInt8(ascii: "0") || minor == UInt8(ascii: "1") else {
            return .malformed(status: 505, detail: "only HTTP/1.0 and HTTP/1.1 are served here")
        }
        var request = Request(method: method, path: target, query: nil, authorization: nil, keepAlive: minor == UInt8(ascii: "1"), length: 0)
        if let question = index(of: UInt8(ascii: "?"), in: bytes, target) {
            request.path = target.lowerBound..<question
            request.query = question + 1..<target.upperBound
        }
        var bodyLength = 0, complete = false
        while let line = lines.next() {
            if line.isEmpty {
                complete = true
                break
            }
            guard let colon = index(of: UInt8(ascii: ":"), in: bytes, line), colon > line.lowerBound,
                  (line.lowerBound..<colon).allSatisfy({ isTokenByte(bytes[$0]) }) else {
                return .malformed(status: 400, detail: "a header line is not 'Name: value'")
            }
            var value = colon + 1..<line.upperBound
            guard value.allSatisfy({ bytes[$0] >= 0x20 && bytes[$0] != 0x7F || bytes[$0] == tab }) else {
                return .malformed(status: 400, detail: "a header value holds a control character")
            }
            while let first = value.first, bytes[first] == space || bytes[first] == tab { value = value.dropFirst() }
            while let last = value.last, bytes[last] == space || bytes[last] == tab { value = value.dropLast() }
            let name = line.lowerBound..<colon
            if equalsIgnoringCase(bytes, name, "authorization") {
                if request.authorization == nil { request.authorization = value }
            } else if equalsIgnoringCase(bytes, name, "content-length") {
                guard !value.isEmpty, value.count <= 10, value.allSatisfy({ bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }) else {
                    return .malformed(status: 400, detail: "Content-Length is not a number")
                }
                let length = value.reduce(0) { $0 * 10 + Int(bytes[$1] - 0x30) }
                guard bodyLength == 0 || bodyLength == length else { return .malformed(status: 400, detail: "two different Content-Length headers") }
                guard length <= maximumIgnoredBody else {
                    return .malformed(status: 413, detail: "the upgrade check takes no body; this one is \(length) bytes")
                }
                bodyLength = length
            } else if equalsIgnoringCase(bytes, name, "transfer-encoding") {
                return .malformed(status: 400, detail: "the upgrade check takes no body; Transfer-Encoding is not accepted here")
            } else if equalsIgnoringCase(bytes, name, "connection") {
                if containsIgnoringCase(bytes, value, "close") { request.keepAlive = false }
                if minor == UInt8(ascii: "0"), containsIgnoringCase(bytes, value, "keep-alive") { request.keepAlive = true }
            }
        }
        guard complete else { return unfinished }
        guard bytes.count - lines.position >= bodyLength else { return .incomplete }
        request.length = lines.position + bodyLength
        return .request(request)
    }

    /// The value of the first `name=value` pair in a query, percent-decoded as the API
    /// does (an invalid escape leaves the value as sent; `+` stays `+`).
    @_spi(Fuzzing) public static func parameter(_ name: String, in bytes: UnsafeBufferPointer<UInt8>, query: Range<Int>?) -> String? {
        guard let query else { return nil }
        var start = query.lowerBound
        while start <= query.upperBound {
            let end = index(of: UInt8(ascii: "&"), in: bytes, start..<query.upperBound) ?? query.upperBound
            let pair = start..<end
            let equals = index(of: UInt8(ascii: "="), in: bytes, pair) ?? end
            if equals - start == name.utf8.count, sameBytes(name, bytes, at: start) {
                return decodeComponent(bytes, equals < end ? equals + 1..<end : end..<end)
            }
            start = end + 1
        }
        return nil
    }

    /// `text`'s UTF-8 equals the bytes at `start` (the caller checked the length).
    private static func sameBytes(_ text: String, _ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        var text = text
        return text.withUTF8 { name in
            guard let base = name.baseAddress, let wire = bytes.baseAddress else { return name.isEmpty }
            return memcmp(base, wire + start, name.count) == 0
        }
    }

    static func decodeComponent(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        let raw = UnsafeBufferPointer(rebasing: bytes[range])
        guard raw.contains(UInt8(ascii: "%")) else { return String(decoding: raw, as: UTF8.self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "%") {
                guard index + 2 < raw.count, let high = hexValue(raw[index + 1]), let low = hexValue(raw[index + 2]) else {
                    return String(decoding: raw, as: UTF8.self)
                }
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(raw[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    /// The status line and headers of an answer, then the body.
    static func appendResponse(
        status: Int, contentType: String, extraHeaders: String = "", body: [UInt8], keepAlive: Bool, date: String, to out: inout [UInt8]
    ) {
        out.append(utf8: "HTTP/1.1 ")
        out.append(contentsOf: String(status).utf8)
        out.append(space)
        out.append(contentsOf: reasonPhrase(status).utf8)
        out.append(utf8: "\r\nContent-Type: ")
        out.append(contentsOf: contentType.utf8)
        out.append(utf8: "\r\nCache-Control: no-store\r\nServer: opsdeck-gateway/")
        out.append(contentsOf: PlatformServer.version.utf8)
        out.append(utf8: "\r\nDate: ")
        out.append(contentsOf: date.utf8)
        out.append(utf8: "\r\n")
        out.append(contentsOf: extraHeaders.utf8)
        out.append(utf8: "Content-Length: ")
        out.append(contentsOf: String(body.count).utf8)
        out.append(utf8: keepAlive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n")
        out.append(contentsOf: body)
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 413: "Content Too Large"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Error"
        }
    }

    /// An IMF-fixdate (RFC 9110 §5.6.7), e.g. "Sun, 22 Nov 2026 08:50:37 GMT".
    static func httpDate(_ seconds: Int) -> String {
        var time = time_t(seconds), parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }

    // MARK: bytes

    private static let cr: UInt8 = 13, lf: UInt8 = 10, space: UInt8 = 32, tab: UInt8 = 9, slash = UInt8(ascii: "/")

    /// Lines ending in CRLF (or a bare LF, which RFC 9112 lets a server accept), up to
    /// `limit`; a line is its bytes without the ending.
    private struct LineReader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position: Int
        let limit: Int

        mutating func next() -> Range<Int>? {
            guard let newline = GatewayHTTP.index(of: lf, in: bytes, position..<limit) else { return nil }
            var end = newline
            if end > position, bytes[end - 1] == cr { end -= 1 }
            defer { position = newline + 1 }
            return position..<end
        }
    }

    private static func index(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, let base = bytes.baseAddress,
              let found = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// RFC 9110 tchar.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ text: StaticString) -> Bool {
        guard start + text.utf8CodeUnitCount <= bytes.count else { return false }
        for offset in 0..<text.utf8CodeUnitCount where bytes[start + offset] != text.utf8Start[offset] { return false }
        return true
    }

    private static func equalsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        for offset in 0..<range.count where bytes[range.lowerBound + offset] | 0x20 != lowercase.utf8Start[offset] | 0x20 { return false }
        return true
    }

    private static func containsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        let count = lowercase.utf8CodeUnitCount
        guard range.count >= count else { return false }
        return (range.lowerBound...range.upperBound - count).contains { equalsIgnoringCase(bytes, $0..<$0 + count, lowercase) }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

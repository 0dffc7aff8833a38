/// One event of a `text/event-stream`.
public struct ServerSentEvent: Equatable, Sendable {
    public var id: String?
    public var event: String
    public var data: String

    public init(id: String? = nil, event: String = "message", data: String) {
        self.id = id
        self.event = event
        self.data = data
    }
}

/// An incremental parser of the HTML Living Standard's event-stream format: feed it
/// bytes as they arrive, in chunks of any size, and it returns complete events.
/// Handles LF, CRLF and CR line ends (also split across chunks), comments, multi-line
/// data, `retry`, a leading BOM, and ids containing NUL (ignored, as the standard says).
public struct ServerSentEventParser: Sendable {
    /// The id of the last event seen: what to send back as `Last-Event-ID`.
    public private(set) var lastEventID: String?
    /// The reconnection delay the server asked for, in milliseconds.
    public private(set) var retry: Int?

    private var line: [UInt8] = []
    private var lastWasCR = false
    private var sawFirstByte = false
    private var data: [String] = []
    private var eventType = ""
    private var pendingID: String?
    /// Refuses unbounded lines from a hostile server.
    private let maximumLine: Int

    public init(maximumLine: Int = 1 << 20) {
        self.maximumLine = maximumLine
    }

    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [ServerSentEvent] where Bytes.Element == UInt8 {
        if let events = bytes.withContiguousStorageIfAvailable({ feed(UnsafeRawBufferPointer($0)) }) { return events }
        return Array(bytes).withUnsafeBytes { feed($0) }
    }

    /// The same over bytes in memory: a line's bytes are found first and kept in one
    /// append, not byte by byte (the live stream brings megabytes a second).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        var index = 0
        while index < bytes.count {
            if !sawFirstByte {
                sawFirstByte = true
                if bytes[index] == 0xEF {
                    line.append(0xEF)
                    index += 1
                    continue
                }
            }
            if lastWasCR {  // a CRLF split anywhere, even across chunks, ends one line
                lastWasCR = false
                if bytes[index] == 0x0A {
                    index += 1
                    continue
                }
            }
            var end = index
            while end < bytes.count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
            let room = max(0, maximumLine - line.count)
            if room > 0 { line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<min(end, index + room)])) }
            guard end < bytes.count else { break }
            lastWasCR = bytes[end] == 0x0D
            if let event = endOfLine() { events.append(event) }
            index = end + 1
        }
        return events
    }

    private mutating func endOfLine() -> ServerSentEvent? {
        var bytes = line
        line.removeAll(keepingCapacity: true)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if bytes.isEmpty { return dispatch() }
        if bytes.first == UInt8(ascii: ":") { return nil }  // a comment (keep-alive)
        let field: String
        var value: String
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: bytes[..<colon], as: UTF8.self)
            var start = bytes.index(after: colon)
            if start < bytes.endIndex, bytes[start] == UInt8(ascii: " ") { start += 1 }
            value = String(decoding: bytes[start...], as: UTF8.self)
        } else {
            field = String(decoding: bytes, as: UTF8.self)
            value = ""
        }
        switch field {
        case "event": eventType = value
        case "data": data.append(value)
        case "id": if !value.utf8.contains(0) { pendingID = value }  // not Foundation's contains: no NSString per event
        case "retry": if let milliseconds = Int(value), milliseconds >= 0 { retry = milliseconds }
        default: value = ""
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        if let pendingID { lastEventID = pendingID }
        defer {
            data.removeAll()
            eventType = ""
        }
        guard !data.isEmpty else { return nil }
        return ServerSentEvent(id: lastEventID, event: eventType.isEmpty ? "message" : eventType, data: data.joined(separator: "\n"))
    }
}

import Foundation
import PlatformModel

/// A Sentry envelope (develop.sentry.dev, "Envelopes"): a JSON header line, then items,
/// each a JSON header line and a payload of `length` bytes, or up to the next newline
/// when the header gives no length. Parsed from untrusted bytes: any lie (a length past
/// the end, a header that is not a JSON object) is a `Malformed` naming where.
struct SentryEnvelope {
    struct Item {
        var type: String
        var payload: ArraySlice<UInt8>
    }

    struct Malformed: Error, Equatable {
        var reason: String
    }

    var header: [String: JSONValue]
    var items: [Item]

    /// At most this many items: an envelope of a million empty items is an attack.
    static let maxItems = 1000

    init(parsing bytes: [UInt8]) throws(Malformed) {
        var cursor = 0
        func line() -> ArraySlice<UInt8>? {
            guard cursor < bytes.count else { return nil }
            let end = bytes[cursor...].firstIndex(of: 10) ?? bytes.count
            defer { cursor = min(end + 1, bytes.count) }
            return bytes[cursor..<end]
        }
        func object(_ slice: ArraySlice<UInt8>, _ what: String) throws(Malformed) -> [String: JSONValue] {
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(slice)), case .object(let members) = value else {
                throw Malformed(reason: "\(what) is not a JSON object")
            }
            return members
        }
        guard let first = line(), !first.allSatisfy({ $0 == 32 || $0 == 13 }) else { throw Malformed(reason: "the envelope is empty") }
        header = try object(first, "the envelope header")
        items = []
        while cursor < bytes.count {
            guard let headerLine = line() else { break }
            // A trailing newline, or blank lines between items, carry nothing.
            if headerLine.allSatisfy({ $0 == 32 || $0 == 13 }) { continue }
            let number = items.count + 1
            guard number <= Self.maxItems else { throw Malformed(reason: "more than \(Self.maxItems) items") }
            let itemHeader = try object(headerLine, "item \(number)'s header")
            guard case .string(let type)? = itemHeader["type"], !type.isEmpty else {
                throw Malformed(reason: "item \(number)'s header has no type")
            }
            let payload: ArraySlice<UInt8>
            if let declared = itemHeader["length"] {
                guard case .number(let value) = declared, value >= 0, value == value.rounded(), value < 1e15 else {
                    throw Malformed(reason: "item \(number)'s length is not a byte count")
                }
                let length = Int(value)
                guard bytes.count - cursor >= length else {
                    throw Malformed(reason: "item \(number)'s length says \(length) bytes but \(bytes.count - cursor) remain")
                }
                payload = bytes[cursor..<(cursor + length)]
                cursor += length
                // The payload's own newline, when there is one.
                if cursor < bytes.count {
                    guard bytes[cursor] == 10 || (bytes[cursor] == 13 && cursor + 1 < bytes.count && bytes[cursor + 1] == 10) else {
                        throw Malformed(reason: "item \(number)'s payload is longer than its length says")
                    }
                    cursor += bytes[cursor] == 13 ? 2 : 1
                }
            } else {
                payload = line() ?? []
            }
            items.append(Item(type: type, payload: payload))
        }
    }
}

/// What OpsDeck reads of a Sentry event: its exception, release, device and time.
/// Decoded leniently, field by field: a field of the wrong type is dropped, as Sentry's
/// relay drops it, and never costs the rest of the event.
struct SentryEvent: Decodable {
    struct Frame {
        var function: String?
        var module: String?
        var filename: String?
        var lineno: Int?
        var inApp: Bool?
    }

    struct Exception {
        var type: String?
        var value: String?
        var mechanismType: String?
        var handled: Bool?
        var frames: [Frame]
    }

    var eventId: String?
    var timestamp: Date?
    var level: String?
    var release: String?
    var environment: String?
    var platform: String?
    var message: String?
    var exceptions: [Exception] = []
    var deviceModel: String?
    var deviceId: String?
    var osName: String?
    var osVersion: String?
    var userId: String?

    init(from decoder: any Decoder) throws {
        let json = try JSONValue(from: decoder)
        eventId = json["event_id"]?.string
        timestamp = json["timestamp"].flatMap(SentryEvent.time)
        level = json["level"]?.string
        release = json["release"]?.string
        environment = json["environment"]?.string
        platform = json["platform"]?.string
        message = json["message"]?.string ?? json["message"]?["formatted"]?.string ?? json["message"]?["message"]?.string
            ?? json["logentry"]?["formatted"]?.string ?? json["logentry"]?["message"]?.string
        let values: [JSONValue]
        if case .array(let list)? = json["exception"]?["values"] {
            values = list
        } else if case .array(let list)? = json["exception"] {
            values = list
        } else {
            values = []
        }
        exceptions = values.map { value in
            var frames: [Frame] = []
            if case .array(let list)? = value["stacktrace"]?["frames"] {
                frames = list.map { frame in
                    Frame(function: frame["function"]?.string, module: frame["module"]?.string ?? frame["package"]?.string,
                          filename: frame["filename"]?.string ?? frame["abs_path"]?.string,
                          lineno: frame["lineno"]?.integer, inApp: frame["in_app"]?.bool)
                }
            }
            return Exception(type: value["type"]?.string, value: value["value"]?.string,
                             mechanismType: value["mechanism"]?["type"]?.string, handled: value["mechanism"]?["handled"]?.bool,
                             frames: frames)
        }
        deviceModel = json["contexts"]?["device"]?["model"]?.string
        deviceId = json["contexts"]?["device"]?["id"]?.string ?? json["contexts"]?["device"]?["device_unique_identifier"]?.string
        osName = json["contexts"]?["os"]?["name"]?.string
        osVersion = json["contexts"]?["os"]?["version"]?.string
        userId = json["user"]?["id"]?.string ?? json["user"]?["id"]?.integer.map(String.init)
    }

    /// Seconds since 1970 (Sentry's SDKs send a float) or RFC 3339 text.
    static func time(_ value: JSONValue) -> Date? {
        switch value {
        case .number(let seconds) where seconds.isFinite && seconds > 0 && seconds < 1e11: Date(timeIntervalSince1970: seconds)
        case .string(let text): WireFormat.parseDate(text) ?? parseLooseDate(text)
        default: nil
        }
    }

    /// RFC 3339 without a zone or with microseconds, as Python's isoformat() writes it.
    private static func parseLooseDate(_ text: String) -> Date? {
        var trimmed = text
        if !trimmed.hasSuffix("Z"), !trimmed.contains("+"), trimmed.count >= 19 { trimmed += "Z" }
        return WireFormat.parseDate(trimmed)
    }
}

/// Sentry's release-health session update (`session` item).
struct SentrySession: Decodable {
    var sid: String?
    var did: String?
    var started: Date?
    var status: String
    var errors: Int
    var duration: Double?
    var release: String?

    init(from decoder: any Decoder) throws {
        let json = try JSONValue(from: decoder)
        sid = json["sid"]?.string
        did = json["did"]?.string ?? json["did"]?.integer.map(String.init)
        started = json["started"].flatMap(SentryEvent.time)
        status = json["status"]?.string ?? "ok"
        errors = json["errors"]?.integer ?? 0
        duration = json["duration"]?.number
        release = json["attrs"]?["release"]?.string
    }
}

/// Sentry's pre-aggregated sessions (`sessions` item): counts per start minute.
struct SentrySessionAggregates: Decodable {
    struct Group {
        var started: Date
        var did: String?
        var exited: Int
        var errored: Int
        var abnormal: Int
        var crashed: Int
    }

    var release: String?
    var groups: [Group]

    init(from decoder: any Decoder) throws {
        let json = try JSONValue(from: decoder)
        release = json["attrs"]?["release"]?.string
        var groups: [Group] = []
        if case .array(let list)? = json["aggregates"] {
            for entry in list {
                guard let started = entry["started"].flatMap(SentryEvent.time) else { continue }
                func count(_ key: String) -> Int { max(0, min(entry[key]?.integer ?? 0, 100_000)) }
                groups.append(Group(started: started, did: entry["did"]?.string, exited: count("exited"), errored: count("errored"),
                                    abnormal: count("abnormal"), crashed: count("crashed")))
            }
        }
        self.groups = groups
    }
}

extension SentryEvent {
    /// What kind of event this is to OpsDeck: an ANR or app hang (as Sentry's Android
    /// and Cocoa SDKs mark them), a crash (unhandled, or level fatal), else a handled error.
    var kind: CrashKind {
        let main = exceptions.last
        if let mechanism = main?.mechanismType, mechanism == "ANR" || mechanism == "AppHang" { return .anr }
        if level == "fatal" || exceptions.contains(where: { $0.handled == false }) { return .crash }
        return .error
    }

    /// The app version of a Sentry release, "package@version+build" (either part may be
    /// missing): "com.example.wallet@5.3.0+530" is 5.3.0. Nil for one holding control
    /// characters (a release is a key: SQLite would cut it at a NUL), as Sentry's relay
    /// drops such a release.
    static func version(ofRelease release: String) -> String? {
        guard !FreeText.holdsControls(release) else { return nil }
        var text = Substring(release)
        if let at = text.lastIndex(of: "@") { text = text[text.index(after: at)...] }
        if let plus = text.firstIndex(of: "+") { text = text[..<plus] }
        return text.isEmpty ? release : String(text)
    }

    /// No release, or one OpsDeck can key by.
    var hasUsableRelease: Bool { release.map { Self.version(ofRelease: $0) != nil } ?? true }

    /// The crash as OpsDeck stores it. Sentry lists frames oldest first; OpsDeck the
    /// crashing frame first.
    func crash(receivedAt now: Date) -> SDKCrash {
        let main = exceptions.last
        let frames = (main?.frames ?? []).reversed().prefix(IngestLimits.framesPerCrash).map { frame in
            let symbol = [frame.module, frame.function].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ".")
            return StackFrame(symbol: symbol.isEmpty ? "?" : symbol, file: frame.filename,
                              line: frame.lineno.flatMap { (0...Int(Int32.max)).contains($0) ? $0 : nil }, inApp: frame.inApp ?? false)
        }
        let type = main?.type.flatMap { $0.isEmpty ? nil : $0 } ?? (main == nil ? "Message" : "Error")
        return SDKCrash(kind: kind, exceptionType: type, message: main?.value ?? message ?? "", frames: Array(frames),
                        at: timestamp ?? now, environment: environment.map { String($0.prefix(100)) }, level: level.map { String($0.prefix(20)) })
    }
}

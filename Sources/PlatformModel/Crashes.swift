import Foundation

public enum CrashKind: String, Codable, Sendable, CaseIterable {
    case crash
    /// Application Not Responding: the main thread was blocked too long.
    case anr
    /// An error the app caught and reported (Sentry's handled events): counted and
    /// grouped, but no crash: crash rates and crash-free figures leave it out.
    case error
}

public struct StackFrame: Codable, Hashable, Sendable {
    public var symbol: String
    public var file: String?
    public var line: Int?
    /// Whether the frame is the app's own code (not the OS or a library): grouping
    /// looks at these.
    public var inApp: Bool

    public init(symbol: String, file: String? = nil, line: Int? = nil, inApp: Bool) {
        self.symbol = symbol
        self.file = file
        self.line = line
        self.inApp = inApp
    }
}

/// What a device knows about itself, sent with every event.
public struct DeviceInfo: Codable, Hashable, Sendable {
    public var id: String
    public var os: Platform
    public var osVersion: String
    public var model: String
    public var city: String?
    public var network: String?

    public init(id: String, os: Platform, osVersion: String, model: String, city: String? = nil, network: String? = nil) {
        self.id = id
        self.os = os
        self.osVersion = osVersion
        self.model = model
        self.city = city
        self.network = network
    }
}

/// A crash or ANR as stored: the server assigns `id`, increasing, the feeds' cursor.
public struct CrashEvent: Codable, Hashable, Sendable, Identifiable {
    public var id: Int64
    public var app: String
    public var release: String
    public var kind: CrashKind
    public var device: DeviceInfo
    public var exceptionType: String
    public var message: String
    public var frames: [StackFrame]
    /// The issue the event was grouped into.
    public var fingerprint: String
    /// When it happened on the device.
    public var at: Date
    /// What the reporting SDK said of it, when it said (Sentry's `environment` and
    /// `level`: "production", "fatal").
    public var environment: String?
    public var level: String?

    public init(id: Int64, app: String, release: String, kind: CrashKind, device: DeviceInfo, exceptionType: String, message: String, frames: [StackFrame],
                fingerprint: String, at: Date, environment: String? = nil, level: String? = nil) {
        self.environment = environment
        self.level = level
        self.id = id
        self.app = app
        self.release = release
        self.kind = kind
        self.device = device
        self.exceptionType = exceptionType
        self.message = message
        self.frames = frames
        self.fingerprint = fingerprint
        self.at = at
    }
}

public enum IssueStatus: String, Codable, Sendable, CaseIterable {
    /// First seen within the last day.
    case new
    case ongoing
    /// Seen again after being resolved.
    case regressed
    case resolved
    /// Put aside by a person: for a time, until it worsens (more events), or for good.
    case ignored
}

/// Crash events grouped by fingerprint (exception type plus the top in-app frames).
public struct CrashIssue: Codable, Hashable, Sendable, Identifiable {
    public var app: String
    public var fingerprint: String
    public var kind: CrashKind
    public var exceptionType: String
    /// The first in-app frame: where to look.
    public var culprit: String
    public var message: String
    public var firstSeen: Date
    public var lastSeen: Date
    public var count: Int
    public var affectedDevices: Int
    public var releases: [String]
    public var status: IssueStatus
    /// Events per five minutes over the hour before the answer, oldest first (12 numbers);
    /// nil from servers that do not send it.
    public var trend: [Int]?
    /// Counts the issue's triage changes (resolve, ignore, unresolve, regression); its
    /// ETag for If-Match. nil from servers without triage.
    public var revision: Int?
    /// While ignored: until when, if for a time.
    public var ignoredUntil: Date?
    /// While ignored: the event count at which it comes back, if until it worsens.
    public var ignoredUntilCount: Int?

    public static let trendBuckets = 12
    public static let trendBucketSeconds = 300

    public var id: String { fingerprint }
    public var etag: String { "\"i\(revision ?? 0)\"" }

    /// The exception's name without its package or module (`IndexOutOfBoundsException`
    /// for `java.lang.IndexOutOfBoundsException`): what a list has room for.
    public var shortExceptionType: String { Self.shortName(exceptionType) }

    /// Cuts what comes before the last `.` of a qualified type name, unless that leaves
    /// nothing or the dot is inside a bracketed part (`-[NSObject foo.bar]`).
    public static func shortName(_ type: String) -> String {
        guard !type.contains("["), !type.contains(" "), let dot = type.lastIndex(of: "."), type.index(after: dot) < type.endIndex else { return type }
        return String(type[type.index(after: dot)...])
    }

    public init(app: String, fingerprint: String, kind: CrashKind, exceptionType: String, culprit: String, message: String, firstSeen: Date, lastSeen: Date, count: Int, affectedDevices: Int, releases: [String], status: IssueStatus, trend: [Int]? = nil,
                revision: Int? = nil, ignoredUntil: Date? = nil, ignoredUntilCount: Int? = nil) {
        self.app = app
        self.fingerprint = fingerprint
        self.kind = kind
        self.exceptionType = exceptionType
        self.culprit = culprit
        self.message = message
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.count = count
        self.affectedDevices = affectedDevices
        self.releases = releases
        self.status = status
        self.trend = trend
        self.revision = revision
        self.ignoredUntil = ignoredUntil
        self.ignoredUntilCount = ignoredUntilCount
    }
}

/// What devices send to `POST /v1/sdk/events`, in batches.
public struct SDKBatch: Codable, Sendable, Equatable {
    public var app: String
    public var release: String
    public var device: DeviceInfo
    /// The signed-in user, if the app has one: funnels counted by user follow it.
    public var user: String?
    public var sessions: [SDKSession]
    public var crashes: [SDKCrash]
    public var funnelSteps: [SDKFunnelStep]

    public init(app: String, release: String, device: DeviceInfo, user: String? = nil, sessions: [SDKSession] = [], crashes: [SDKCrash] = [], funnelSteps: [SDKFunnelStep] = []) {
        self.user = user
        self.app = app
        self.release = release
        self.device = device
        self.sessions = sessions
        self.crashes = crashes
        self.funnelSteps = funnelSteps
    }

    /// Each list may be left out of the JSON when empty.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        app = try container.decode(String.self, forKey: .app)
        release = try container.decode(String.self, forKey: .release)
        device = try container.decode(DeviceInfo.self, forKey: .device)
        user = try container.decodeIfPresent(String.self, forKey: .user)
        sessions = try container.decodeIfPresent([SDKSession].self, forKey: .sessions) ?? []
        crashes = try container.decodeIfPresent([SDKCrash].self, forKey: .crashes) ?? []
        funnelSteps = try container.decodeIfPresent([SDKFunnelStep].self, forKey: .funnelSteps) ?? []
    }

    public var eventCount: Int { sessions.count + crashes.count + funnelSteps.count }
}

public struct SDKSession: Codable, Sendable, Equatable {
    public var startedAt: Date
    public var durationSeconds: Double
    /// Whether the session ended in a crash.
    public var crashed: Bool

    public init(startedAt: Date, durationSeconds: Double, crashed: Bool) {
        self.startedAt = startedAt
        self.durationSeconds = durationSeconds
        self.crashed = crashed
    }
}

public struct SDKCrash: Codable, Sendable, Equatable {
    public var kind: CrashKind
    public var exceptionType: String
    public var message: String
    public var frames: [StackFrame]
    public var at: Date
    /// Optional: as a Sentry SDK reports them.
    public var environment: String?
    public var level: String?

    public init(kind: CrashKind, exceptionType: String, message: String, frames: [StackFrame], at: Date,
                environment: String? = nil, level: String? = nil) {
        self.environment = environment
        self.level = level
        self.kind = kind
        self.exceptionType = exceptionType
        self.message = message
        self.frames = frames
        self.at = at
    }
}

/// The answer of `POST /v1/sdk/events`.
public struct IngestReceipt: Codable, Sendable, Equatable {
    public var accepted: Int
    /// Server ids given to the batch's crashes, in order.
    public var crashIds: [Int64]

    public init(accepted: Int, crashIds: [Int64]) {
        self.accepted = accepted
        self.crashIds = crashIds
    }
}

public enum CrashGrouping {
    /// How many in-app frames from the top decide the group.
    public static let framesConsidered = 3

    /// Exception type plus the top in-app frames (symbols only: line numbers move from
    /// build to build), hashed. Without in-app frames, the top frames whatever they are.
    public static func fingerprint(kind: CrashKind, exceptionType: String, frames: [StackFrame]) -> String {
        let inApp = frames.filter(\.inApp)
        let chosen = (inApp.isEmpty ? frames : inApp).prefix(framesConsidered).map(\.symbol)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ([kind.rawValue, exceptionType] + chosen).joined(separator: "\n").utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The first in-app frame, else the top frame: where an engineer starts reading.
    public static func culprit(_ frames: [StackFrame]) -> String {
        (frames.first(where: \.inApp) ?? frames.first)?.symbol ?? "(no stack)"
    }
}

/// One issue in full: the issue, its newest event with the stack, and where it happens.
public struct CrashIssueDetail: Codable, Sendable, Equatable {
    public struct Share: Codable, Sendable, Equatable {
        public var key: String
        public var count: Int

        public init(key: String, count: Int) {
            self.key = key
            self.count = count
        }
    }

    public var issue: CrashIssue
    public var latest: CrashEvent?
    public var byOSVersion: [Share]
    public var byModel: [Share]
    public var byRelease: [Share]

    public init(issue: CrashIssue, latest: CrashEvent?, byOSVersion: [Share], byModel: [Share], byRelease: [Share]) {
        self.issue = issue
        self.latest = latest
        self.byOSVersion = byOSVersion
        self.byModel = byModel
        self.byRelease = byRelease
    }
}

extension StackFrame {
    /// The frames as a JSON array, written by hand: the same document JSONEncoder makes
    /// (keys sorted), at a small part of its cost. The live feed stores thousands of
    /// stacks a second.
    public static func jsonArray(_ frames: [StackFrame]) -> String {
        var out = "["
        for (index, frame) in frames.enumerated() {
            if index > 0 { out += "," }
            out += "{"
            if let file = frame.file { out += "\"file\":" + jsonString(file) + "," }
            out += "\"inApp\":" + (frame.inApp ? "true" : "false")
            if let line = frame.line { out += ",\"line\":\(line)" }
            out += ",\"symbol\":" + jsonString(frame.symbol) + "}"
        }
        return out + "]"
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func jsonString(_ text: String) -> String {
        // Most text needs no escape: then it goes in whole.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension CrashEvent {
    /// The event as JSON, written by hand: the document JSONEncoder makes (keys sorted,
    /// absent optionals left out) at a fraction of its cost; the server streams
    /// thousands a second.
    public func json() -> String {
        var out = "{\"app\":" + StackFrame.jsonString(app) + ",\"at\":\"" + WireFormat.formatDate(at) + "\",\"device\":{"
        if let city = device.city { out += "\"city\":" + StackFrame.jsonString(city) + "," }
        out += "\"id\":" + StackFrame.jsonString(device.id) + ",\"model\":" + StackFrame.jsonString(device.model)
        if let network = device.network { out += ",\"network\":" + StackFrame.jsonString(network) }
        out += ",\"os\":\"" + device.os.rawValue + "\",\"osVersion\":" + StackFrame.jsonString(device.osVersion)
        out += "},\"exceptionType\":" + StackFrame.jsonString(exceptionType) + ",\"fingerprint\":" + StackFrame.jsonString(fingerprint)
        out += ",\"frames\":" + StackFrame.jsonArray(frames) + ",\"id\":\(id),\"kind\":\"" + kind.rawValue + "\""
        out += ",\"message\":" + StackFrame.jsonString(message) + ",\"release\":" + StackFrame.jsonString(release) + "}"
        return out
    }

    /// Reads an event from its JSON (as the live stream sends it) in one pass over the
    /// bytes, with no intermediate tree: many times cheaper than JSONDecoder, which
    /// matters at thousands of events a second. Returns nil when a field is missing, of
    /// the wrong type or not JSON; the caller then falls back to JSONDecoder for a
    /// precise message. Unknown fields are skipped, as JSONDecoder does.
    private static let fastKeys = ["id", "app", "release", "kind", "exceptionType", "message", "fingerprint", "at", "frames", "device",
                                   "environment", "level"]
    private static let fastDeviceKeys = ["id", "os", "osVersion", "model", "city", "network"]

    public static func fastDecode(_ data: Data) -> CrashEvent? {
        data.withUnsafeBytes { bytes in
            var reader = JSONReader(bytes)
            var id: Int64?, app: String?, release: String?, kind: CrashKind?, exceptionType: String?, message: String?
            var fingerprint: String?, at: Date?, frames: [StackFrame]?, environment: String?, level: String?
            var deviceID: String?, os: Platform?, osVersion: String?, model: String?, city: String?, network: String?
            // A key seen twice: JSONDecoder and this reader could pick different values,
            // so it is left to JSONDecoder (which refuses it) to say what is wrong.
            var seen = KeysSeen()
            let read = reader.object { reader, key in
                guard seen.first(key, among: Self.fastKeys) else { return false }
                switch key {
                case "id": id = reader.int64()
                case "app": app = reader.string()
                case "release": release = reader.string()
                case "kind": kind = reader.string().flatMap(CrashKind.init(rawValue:))
                case "exceptionType": exceptionType = reader.string()
                case "message": message = reader.string()
                case "fingerprint": fingerprint = reader.string()
                case "at": at = reader.string().flatMap(WireFormat.parseDate)
                case "environment": if reader.null() { return true }; environment = reader.string(); return environment != nil
                case "level": if reader.null() { return true }; level = reader.string(); return level != nil
                case "frames":
                    var list: [StackFrame] = []
                    guard reader.array({ reader in
                        guard let frame = StackFrame.read(&reader) else { return false }
                        list.append(frame)
                        return true
                    }) else { return false }
                    frames = list
                    return true
                case "device":
                    var seenInDevice = KeysSeen()
                    return reader.object { reader, key in
                        guard seenInDevice.first(key, among: Self.fastDeviceKeys) else { return false }
                        switch key {
                        case "id": deviceID = reader.string(); return deviceID != nil
                        case "os": os = reader.string().flatMap(Platform.init(rawValue:)); return os != nil
                        case "osVersion": osVersion = reader.string(); return osVersion != nil
                        case "model": model = reader.string(); return model != nil
                        case "city": if reader.null() { return true }; city = reader.string(); return city != nil
                        case "network": if reader.null() { return true }; network = reader.string(); return network != nil
                        default: return reader.skipValue()
                        }
                    }
                default:
                    return reader.skipValue()
                }
                return true
            }
            guard read, reader.atEnd(), let id, let app, let release, let kind, let exceptionType, let message,
                  let fingerprint, let at, let frames, let deviceID, let os, let osVersion, let model
            else { return nil }
            return CrashEvent(
                id: id, app: app, release: release, kind: kind,
                device: DeviceInfo(id: deviceID, os: os, osVersion: osVersion, model: model, city: city, network: network),
                exceptionType: exceptionType, message: message, frames: frames, fingerprint: fingerprint, at: at,
                environment: environment, level: level)
        }
    }
}

extension StackFrame {
    /// Frames from a JSON array (as `jsonArray` writes them) in one pass; nil when the
    /// text is not such an array.
    public static func fromJSONArray(_ text: String) -> [StackFrame]? {
        var text = text
        return text.withUTF8 { utf8 in
            var reader = JSONReader(UnsafeRawBufferPointer(utf8))
            var frames: [StackFrame] = []
            let read = reader.array { reader in
                guard let frame = StackFrame.read(&reader) else { return false }
                frames.append(frame)
                return true
            }
            return read && reader.atEnd() ? frames : nil
        }
    }

    private static let frameKeys = ["symbol", "inApp", "file", "line"]

    /// One frame object from `reader`; nil when it is not a frame.
    static func read(_ reader: inout JSONReader) -> StackFrame? {
        var symbol: String?, file: String?, line: Int?, inApp: Bool?
        var seen = KeysSeen()
        let read = reader.object { reader, key in
            guard seen.first(key, among: frameKeys) else { return false }
            switch key {
            case "symbol": symbol = reader.string(); return symbol != nil
            case "inApp": inApp = reader.bool(); return inApp != nil
            case "file": if reader.null() { return true }; file = reader.string(); return file != nil
            case "line":
                if reader.null() { return true }
                guard let value = reader.int64(), let int = Int(exactly: value) else { return false }
                line = int
                return true
            default: return reader.skipValue()
            }
        }
        guard read, let symbol, let inApp else { return nil }
        return StackFrame(symbol: symbol, file: file, line: line, inApp: inApp)
    }
}

/// Which of an object's known keys the fast reader has met, as bits: a repeated known key
/// makes the object one to leave to JSONDecoder. Unknown keys are not tracked (skipped).
struct KeysSeen {
    private var bits: UInt32 = 0

    /// False when `key`, one of `known`, was seen before.
    mutating func first(_ key: String, among known: [String]) -> Bool {
        guard let index = known.firstIndex(of: key) else { return true }
        let bit: UInt32 = 1 << UInt32(index)
        defer { bits |= bit }
        return bits & bit == 0
    }
}

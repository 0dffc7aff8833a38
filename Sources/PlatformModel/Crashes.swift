import Foundation

public enum CrashKind: String, Codable, Sendable, CaseIterable {
    case crash
    /// Application Not Responding: the main thread was blocked too long.
    case anr
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

    public init(id: Int64, app: String, release: String, kind: CrashKind, device: DeviceInfo, exceptionType: String, message: String, frames: [StackFrame], fingerprint: String, at: Date) {
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

    public static let trendBuckets = 12
    public static let trendBucketSeconds = 300

    public var id: String { fingerprint }

    public init(app: String, fingerprint: String, kind: CrashKind, exceptionType: String, culprit: String, message: String, firstSeen: Date, lastSeen: Date, count: Int, affectedDevices: Int, releases: [String], status: IssueStatus, trend: [Int]? = nil) {
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
    }
}

/// What devices send to `POST /v1/sdk/events`, in batches.
public struct SDKBatch: Codable, Sendable, Equatable {
    public var app: String
    public var release: String
    public var device: DeviceInfo
    public var sessions: [SDKSession]
    public var crashes: [SDKCrash]
    public var funnelSteps: [SDKFunnelStep]

    public init(app: String, release: String, device: DeviceInfo, sessions: [SDKSession] = [], crashes: [SDKCrash] = [], funnelSteps: [SDKFunnelStep] = []) {
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

    public init(kind: CrashKind, exceptionType: String, message: String, frames: [StackFrame], at: Date) {
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
    /// Reads an event from its JSON (as the live stream sends it) through
    /// JSONSerialization: several times cheaper than JSONDecoder, which matters at
    /// thousands of events a second. Returns nil when a field is missing or of the wrong
    /// type; the caller then falls back to JSONDecoder for a precise message.
    public static func fastDecode(_ data: Data) -> CrashEvent? {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let id = (object["id"] as? NSNumber)?.int64Value,
              let app = object["app"] as? String, let release = object["release"] as? String,
              let kind = (object["kind"] as? String).flatMap(CrashKind.init(rawValue:)),
              let device = object["device"] as? [String: Any],
              let deviceID = device["id"] as? String,
              let os = (device["os"] as? String).flatMap(Platform.init(rawValue:)),
              let osVersion = device["osVersion"] as? String, let model = device["model"] as? String,
              let exceptionType = object["exceptionType"] as? String, let message = object["message"] as? String,
              let frameObjects = object["frames"] as? [[String: Any]],
              let fingerprint = object["fingerprint"] as? String,
              let at = (object["at"] as? String).flatMap(WireFormat.parseDate)
        else { return nil }
        var frames: [StackFrame] = []
        frames.reserveCapacity(frameObjects.count)
        for frame in frameObjects {
            guard let symbol = frame["symbol"] as? String, let inApp = frame["inApp"] as? Bool else { return nil }
            frames.append(StackFrame(symbol: symbol, file: frame["file"] as? String, line: (frame["line"] as? NSNumber)?.intValue, inApp: inApp))
        }
        return CrashEvent(
            id: id, app: app, release: release, kind: kind,
            device: DeviceInfo(id: deviceID, os: os, osVersion: osVersion, model: model,
                               city: device["city"] as? String, network: device["network"] as? String),
            exceptionType: exceptionType, message: message, frames: frames, fingerprint: fingerprint, at: at)
    }
}

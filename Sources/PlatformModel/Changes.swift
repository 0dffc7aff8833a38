import Foundation

/// The body of `PATCH /v1/apps/{app}/releases/{release}`: a new gray percentage, a new
/// stage, or both (moving into gray at a given percentage). A reason is required.
public struct ReleasePatch: Codable, Sendable, Equatable {
    public var grayPercent: Double?
    public var stage: ReleaseStage?
    /// Replaces the release's whitelist, rules and window.
    public var targeting: Targeting?
    public var reason: String

    public init(grayPercent: Double? = nil, stage: ReleaseStage? = nil, targeting: Targeting? = nil, reason: String) {
        self.grayPercent = grayPercent
        self.stage = stage
        self.targeting = targeting
        self.reason = reason
    }
}

/// The body of `POST /v1/apps/{app}/releases`: a new release, created as a draft.
public struct ReleaseDraft: Codable, Sendable, Equatable {
    public var version: String
    public var build: Int
    public var notes: String
    /// Bytes.
    public var packageSize: Int
    /// SHA-256 of the package, 64 hex digits.
    public var checksum: String
    public var targeting: Targeting?
    public var reason: String

    public init(version: String, build: Int, notes: String, packageSize: Int, checksum: String, targeting: Targeting? = nil, reason: String) {
        self.version = version
        self.build = build
        self.notes = notes
        self.packageSize = packageSize
        self.checksum = checksum
        self.targeting = targeting
        self.reason = reason
    }

    /// The field that is wrong and why, in words that name it; nil when it can be stored.
    public var problem: String? {
        let allowed = Set("0123456789.-+abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        if version.isEmpty || version.count > 40 || !version.allSatisfy(allowed.contains) || !(version.first?.isNumber ?? false) {
            return "version must be 1 to 40 characters, start with a digit and hold only letters, digits, '.', '-' and '+' (got '\(version)')"
        }
        if build < 1 || build > 2_000_000_000 { return "build must be 1 to 2000000000 (got \(build))" }
        if notes.utf8.count > 4096 { return "notes must be at most 4096 bytes" }
        if packageSize < 1 || packageSize > 4_000_000_000 { return "packageSize must be 1 to 4000000000 bytes (got \(packageSize))" }
        if checksum.count != 64 || !checksum.allSatisfy(\.isHexDigit) { return "checksum must be the package's SHA-256: 64 hex digits (got \(checksum.count) characters)" }
        if let problem = targeting?.problem { return "targeting: " + problem }
        return nil
    }
}

/// `POST /v1/apps/{app}/targeting/preview`: how many of the app's active devices (those
/// that checked in the last hour) a targeting reaches, before it is saved.
public struct TargetingReach: Codable, Sendable, Equatable {
    public var windowMinutes: Int
    /// Devices that checked in the window.
    public var activeDevices: Int
    /// Of those, the ones the whitelist names (by id or pattern).
    public var whitelisted: Int
    /// Of those, the ones every rule matches (what a gray percentage is then a share of).
    public var matchingRules: Int
    /// Whitelisted or matching every rule: who may get the release.
    public var reached: Int
    /// Devices each rule alone matches, in the order of the rules.
    public var byRule: [Int]
    /// Whether the window is open now (a closed window offers the whitelist only).
    public var windowOpen: Bool

    public init(windowMinutes: Int, activeDevices: Int, whitelisted: Int, matchingRules: Int, reached: Int, byRule: [Int], windowOpen: Bool) {
        self.windowMinutes = windowMinutes
        self.activeDevices = activeDevices
        self.whitelisted = whitelisted
        self.matchingRules = matchingRules
        self.reached = reached
        self.byRule = byRule
        self.windowOpen = windowOpen
    }
}

/// The body of the halt, resume and rollback actions.
public struct ReasonBody: Codable, Sendable, Equatable {
    public var reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

/// What a person can do with a crash issue.
public enum IssueTriage: Sendable, Equatable {
    case resolve
    /// Back to open, from resolved or ignored.
    case unresolve
    /// For `minutes`, until `moreEvents` more events, the first of the two, or for good.
    case ignore(minutes: Int?, moreEvents: Int?)
}

/// The body of `POST …/crashes/issues/{issue}/ignore`: for `minutes`, until
/// `moreEvents` more events arrive (it worsens), the first of the two, or for good when
/// neither is given.
public struct IssueIgnore: Codable, Sendable, Equatable {
    public var reason: String
    public var minutes: Int?
    public var moreEvents: Int?

    public init(reason: String, minutes: Int? = nil, moreEvents: Int? = nil) {
        self.reason = reason
        self.minutes = minutes
        self.moreEvents = moreEvents
    }

    public static let minutesRange = 1...43_200  // up to 30 days
    public static let moreEventsRange = 1...1_000_000
}

/// One change, as the audit log keeps it: who, when, what, before, after and why.
public struct AuditEntry: Codable, Sendable, Equatable, Identifiable {
    /// Increasing; the feed's cursor.
    public var id: Int64
    public var at: Date
    /// The token's name, or `system` for changes the platform made itself.
    public var actor: String
    public var role: String
    public var action: AuditAction
    /// e.g. `wallet-ios/5.2.0`.
    public var target: String
    public var before: JSONValue?
    public var after: JSONValue?
    public var reason: String
    /// For a guardrail's halt, the figures that breached it (the reason says it in words).
    public var guardrail: GuardrailBreach?
    /// The Idempotency-Key the change was sent with, if any: a retry reuses it.
    public var idempotencyKey: String?

    public init(id: Int64, at: Date, actor: String, role: String, action: AuditAction, target: String, before: JSONValue?, after: JSONValue?,
                reason: String, guardrail: GuardrailBreach? = nil, idempotencyKey: String? = nil) {
        self.id = id
        self.at = at
        self.actor = actor
        self.role = role
        self.action = action
        self.target = target
        self.before = before
        self.after = after
        self.reason = reason
        self.guardrail = guardrail
        self.idempotencyKey = idempotencyKey
    }
}

/// What a change did, as the audit log names it on the wire (`release.gray`). A value
/// this build does not know (a newer server) is kept as it came, never an error.
public enum AuditAction: OpenVocabulary {
    case releaseCreate, releaseGray, releaseStage, releaseTargeting, releaseHalt, releaseResume, releaseRollback
    /// The platform halted a gray release whose crash rate breached its guardrail.
    case releaseGuardrailHalt
    case switchEnable, switchDisable
    case switchCreate, switchEdit
    /// A person acknowledged an alert: they are on it.
    case alertAcknowledge
    case funnelCreate, funnelEdit
    case issueResolve, issueIgnore, issueUnresolve
    /// The platform reopened an issue: a resolved one was seen again, or an ignored one
    /// got the events it was ignored until.
    case issueRegress
    /// Switches brought in from an Unleash features document.
    case switchImport
    /// An Unleash SDK token made or revoked for an app.
    case sdkTokenCreate, sdkTokenRevoke
    case other(String)

    public static let names: [(AuditAction, String)] = [
        (.releaseCreate, "release.create"), (.releaseGray, "release.gray"), (.releaseStage, "release.stage"), (.releaseTargeting, "release.targeting"),
        (.releaseHalt, "release.halt"), (.releaseResume, "release.resume"), (.releaseRollback, "release.rollback"),
        (.releaseGuardrailHalt, "release.guardrail_halt"), (.switchEnable, "switch.enable"), (.switchDisable, "switch.disable"),
        (.switchCreate, "switch.create"), (.switchEdit, "switch.edit"),
        (.alertAcknowledge, "alert.acknowledge"), (.funnelCreate, "funnel.create"), (.funnelEdit, "funnel.edit"), (.issueResolve, "issue.resolve"), (.issueIgnore, "issue.ignore"),
        (.issueUnresolve, "issue.unresolve"), (.issueRegress, "issue.regress"), (.switchImport, "switch.import"),
        (.sdkTokenCreate, "sdk_token.create"), (.sdkTokenRevoke, "sdk_token.revoke"),
    ]

    public var otherName: String? {
        if case .other(let name) = self { return name }
        return nil
    }
}

/// Why a guardrail halted a release, in figures: the crash rate over the window, from
/// how many sessions, against the limit.
public struct GuardrailBreach: Codable, Sendable, Equatable {
    /// Crashed sessions per 100 over the window.
    public var crashRate: Double
    public var crashedSessions: Int
    public var sessions: Int
    public var windowMinutes: Int
    /// The guardrail's limit, crashes per 100 sessions.
    public var maxCrashRate: Double

    public init(crashRate: Double, crashedSessions: Int, sessions: Int, windowMinutes: Int, maxCrashRate: Double) {
        self.crashRate = crashRate
        self.crashedSessions = crashedSessions
        self.sessions = sessions
        self.windowMinutes = windowMinutes
        self.maxCrashRate = maxCrashRate
    }
}

/// A page of a feed: items after the cursor, oldest first, and the cursor to ask from
/// next time (the same cursor when nothing is new).
public struct FeedPage<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]
    public var nextCursor: String

    public init(items: [Item], nextCursor: String) {
        self.items = items
        self.nextCursor = nextCursor
    }
}

extension ReleaseStage {
    /// The stages a release may move to from this one by a stage change. Halting,
    /// resuming and rolling back are their own actions, listed here too so that a
    /// console can tell which actions apply.
    public var nextStages: Set<ReleaseStage> {
        switch self {
        case .draft: [.whitelist, .gray]
        case .whitelist: [.gray, .halted, .draft]
        case .gray: [.full, .halted, .rolledBack]
        case .halted: [.gray, .rolledBack]
        case .full: [.rolledBack]
        case .rolledBack: []
        }
    }

    public var canHalt: Bool { self == .whitelist || self == .gray }
    public var canResume: Bool { self == .halted }
    public var canRollBack: Bool { self == .gray || self == .full || self == .halted }
}

/// Gray-release bucketing: a device's place in a release's rollout is a stable hash of
/// (app, release, device) into 10,000 buckets, and a device is in an N % rollout when
/// its bucket is below N × 100. So raising the percentage only ever adds devices, and a
/// device gets the same answer every time (the idea behind Unleash's stickiness).
public enum Bucketing {
    public static let buckets = 10_000

    /// FNV-1a over "app NUL release NUL device", finalised; hashed part by part, as
    /// the upgrade check runs it for every release and switch of every request.
    public static func bucket(app: String, release: String, device: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        mix(app, into: &hash)
        mix(0, into: &hash)
        mix(release, into: &hash)
        mix(0, into: &hash)
        mix(device, into: &hash)
        return finish(hash)
    }

    private static func mix(_ text: String, into hash: inout UInt64) {
        var text = text
        text.withUTF8 { bytes in
            for byte in bytes { mix(byte, into: &hash) }
        }
    }

    @inline(__always)
    private static func mix(_ byte: UInt8, into hash: inout UInt64) {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }

    /// Murmur3's fmix64, so that nearby ids spread over all buckets.
    private static func finish(_ value: UInt64) -> Int {
        var hash = value
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return Int(hash % UInt64(buckets))
    }

    /// Whether `device` is among the first `grayPercent` % of devices for this release.
    public static func includes(app: String, release: String, device: String, grayPercent: Double) -> Bool {
        bucket(app: app, release: release, device: device) < basisPoints(grayPercent)
    }

    /// A percentage as hundredths of a percent (the resolution of a rollout).
    public static func basisPoints(_ percent: Double) -> Int {
        Int((percent * 100).rounded())
    }
}

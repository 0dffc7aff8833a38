import Foundation

/// What a switch guards.
public enum SwitchKind: String, Codable, Sendable, CaseIterable {
    /// Turns a feature off everywhere it applies, at once.
    case killSwitch = "kill_switch"
    /// Lets traffic to a dependency flow (enabled) or fails it fast (disabled, "open").
    case circuitBreaker = "circuit_breaker"
}

/// Where a switch applies: platforms, an app-version range, and a share of devices.
public struct SwitchScope: Codable, Hashable, Sendable {
    /// Empty: every platform.
    public var platforms: [Platform]
    /// Inclusive bounds; nil: unbounded.
    public var minVersion: String?
    public var maxVersion: String?
    /// 0...100, 0.01 resolution.
    public var percent: Double

    public init(platforms: [Platform] = [], minVersion: String? = nil, maxVersion: String? = nil, percent: Double = 100) {
        self.platforms = platforms
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.percent = percent
    }
}

/// A kill switch or circuit breaker of one app. `enabled` means the guarded feature or
/// traffic is on; turning it off is the emergency action.
public struct Switch: Codable, Hashable, Sendable, Identifiable {
    public var app: String
    public var key: String
    public var description: String
    public var kind: SwitchKind
    public var enabled: Bool
    public var scope: SwitchScope
    public var updatedBy: String
    public var updatedAt: Date
    public var revision: Int

    public var id: String { key }
    public var etag: String { "\"s\(revision)\"" }

    public init(app: String, key: String, description: String, kind: SwitchKind, enabled: Bool, scope: SwitchScope, updatedBy: String, updatedAt: Date, revision: Int) {
        self.app = app
        self.key = key
        self.description = description
        self.kind = kind
        self.enabled = enabled
        self.scope = scope
        self.updatedBy = updatedBy
        self.updatedAt = updatedAt
        self.revision = revision
    }
}

/// The body of `PATCH /v1/apps/{app}/switches/{key}`.
public struct SwitchPatch: Codable, Sendable, Equatable {
    public var enabled: Bool
    public var reason: String

    public init(enabled: Bool, reason: String) {
        self.enabled = enabled
        self.reason = reason
    }
}

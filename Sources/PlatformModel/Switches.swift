import Foundation

/// What a switch guards.
public enum SwitchKind: String, Codable, Sendable, CaseIterable {
    /// Turns a feature off everywhere it applies, at once.
    case killSwitch = "kill_switch"
    /// Lets traffic to a dependency flow (enabled) or fails it fast (disabled, "open").
    case circuitBreaker = "circuit_breaker"
}

/// Where a switch applies: platforms, an app-version range, device attributes (city,
/// model, network, OS version: in / not in), and a share of devices.
public struct SwitchScope: Codable, Hashable, Sendable {
    /// Empty: every platform.
    public var platforms: [Platform]
    /// Inclusive bounds (semantic versions); nil: unbounded.
    public var minVersion: String?
    public var maxVersion: String?
    /// All must match: the targeting rules of releases, `in` and `not_in` only.
    public var rules: [TargetingRule]
    /// 1...100, whole percents.
    public var percent: Double

    public init(platforms: [Platform] = [], minVersion: String? = nil, maxVersion: String? = nil, rules: [TargetingRule] = [], percent: Double = 100) {
        self.platforms = platforms
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.rules = rules
        self.percent = percent
    }

    enum CodingKeys: String, CodingKey { case platforms, minVersion, maxVersion, rules, percent }

    /// `rules` may be left out (scopes written before it existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        platforms = try container.decode([Platform].self, forKey: .platforms)
        minVersion = try container.decodeIfPresent(String.self, forKey: .minVersion)
        maxVersion = try container.decodeIfPresent(String.self, forKey: .maxVersion)
        rules = try container.decodeIfPresent([TargetingRule].self, forKey: .rules) ?? []
        percent = try container.decode(Double.self, forKey: .percent)
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
    /// Rules written in Unleash's terms (a switch imported from an Unleash features
    /// document): when present they, not `scope`, decide where the switch applies.
    public var rules: SwitchRules?
    /// How Unleash SDKs evaluated it lately (lists only; not part of the switch itself).
    public var sdk: SwitchSDKUse?

    public var id: String { key }
    public var etag: String { "\"s\(revision)\"" }

    public init(app: String, key: String, description: String, kind: SwitchKind, enabled: Bool, scope: SwitchScope, updatedBy: String,
                updatedAt: Date, revision: Int, rules: SwitchRules? = nil) {
        self.rules = rules
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

/// The body of `PATCH /v1/apps/{app}/switches/{key}`: a flip (`enabled`), an edit of
/// what it guards or where it applies, or both. A reason is required.
public struct SwitchPatch: Codable, Sendable, Equatable {
    public var enabled: Bool?
    public var description: String?
    public var scope: SwitchScope?
    public var reason: String

    public init(enabled: Bool? = nil, description: String? = nil, scope: SwitchScope? = nil, reason: String) {
        self.enabled = enabled
        self.description = description
        self.scope = scope
        self.reason = reason
    }
}

/// The body of `POST /v1/apps/{app}/switches`: a new kill switch or circuit breaker.
public struct SwitchDraft: Codable, Sendable, Equatable {
    public var key: String
    public var kind: SwitchKind
    public var description: String
    public var scope: SwitchScope
    /// Where it starts: on (feature runs, breaker closed) unless said otherwise.
    public var enabled: Bool?
    public var reason: String

    public init(key: String, kind: SwitchKind, description: String, scope: SwitchScope = SwitchScope(), enabled: Bool? = nil, reason: String) {
        self.key = key
        self.kind = kind
        self.description = description
        self.scope = scope
        self.enabled = enabled
        self.reason = reason
    }

    /// The field that is wrong and why; nil when it can be stored.
    public var problem: String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
        if key.isEmpty || key.count > 64 || !key.allSatisfy(allowed.contains) || !(key.first.map { $0.isLetter || $0.isNumber } ?? false) {
            return "key must be 1 to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit (got '\(key)')"
        }
        return SwitchScope.problem(description: description) ?? scope.problem
    }
}

extension SwitchScope {
    /// What is wrong with this scope, naming the field; nil when it can be stored.
    public var problem: String? {
        // Whole percents: the share is an Unleash flexible rollout, whose buckets are
        // 1 to 100 (`Switch.unleashFeature`). 5e-324 is above 0 but is no percent.
        guard percent.isFinite, percent >= 1, percent <= 100, percent == percent.rounded() else {
            return "scope.percent must be a whole percent from 1 to 100 (got \(percent))"
        }
        // Semantic versions, as Unleash's SEMVER_ operators compare them.
        for (name, version) in [("minVersion", minVersion), ("maxVersion", maxVersion)] {
            if let version, version.count > 40 || SemanticVersion(version) == nil {
                return "scope.\(name) must be a semantic version like 5.2.0 (got '\(version)')"
            }
        }
        if let low = minVersion.flatMap(SemanticVersion.init), let high = maxVersion.flatMap(SemanticVersion.init), low > high {
            return "scope.minVersion \(minVersion ?? "") is above scope.maxVersion \(maxVersion ?? "")"
        }
        if Set(platforms).count != platforms.count { return "scope.platforms lists a platform twice" }
        if rules.count > TargetingRule.Attribute.allCases.count { return "scope.rules: at most one rule per attribute" }
        if Set(rules.map(\.attribute)).count != rules.count { return "scope.rules: at most one rule per attribute" }
        for rule in rules {
            if rule.values.isEmpty || rule.values.count > 100 { return "scope.rules: the rule on \(rule.attribute.rawValue) needs 1 to 100 values" }
            if rule.values.contains(where: { $0.isEmpty || $0.utf8.count > 200 }) {
                return "scope.rules: the rule on \(rule.attribute.rawValue) has an empty or over-long value"
            }
            // Unleash compares versions only as semantic versions, which OS versions often
            // are not ("17.2"): a switch lists them instead.
            if rule.op == .inRange { return "scope.rules: a switch's \(rule.attribute.rawValue) rule is in or not_in (list the versions)" }
        }
        return nil
    }

    static func problem(description: String) -> String? {
        description.trimmingCharacters(in: .whitespaces).isEmpty || description.utf8.count > 500
            ? "description must say what it guards, 1 to 500 bytes" : nil
    }
}

extension SwitchPatch {
    public var problem: String? {
        if enabled == nil && description == nil && scope == nil { return "nothing to change: give enabled, description, scope, or a mix" }
        if let description, let problem = SwitchScope.problem(description: description) { return problem }
        return scope?.problem
    }
}

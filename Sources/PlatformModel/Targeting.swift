import Foundation

/// Who may get a release besides (or before) the gray percentage, in the mPaaS style:
/// a whitelist of devices, rules on device attributes, and a time window.
public struct Targeting: Codable, Hashable, Sendable {
    /// Device ids that get the release in whitelist and gray stages, whatever the rules.
    public var whitelist: [String]
    /// All must match for a device to be in a gray rollout.
    public var rules: [TargetingRule]
    /// Outside [startsAt, endsAt) a gray release is offered to the whitelist only.
    public var startsAt: Date?
    public var endsAt: Date?

    public init(whitelist: [String] = [], rules: [TargetingRule] = [], startsAt: Date? = nil, endsAt: Date? = nil) {
        self.whitelist = whitelist
        self.rules = rules
        self.startsAt = startsAt
        self.endsAt = endsAt
    }

    /// Whether the whitelist names this device: by id, or by a pattern with `*` for any
    /// run of characters ("qa-*", "*-tester").
    public func whitelists(_ device: String) -> Bool {
        for entry in whitelist {
            if entry.contains("*") ? Self.glob(entry, matches: device) : entry == device { return true }
        }
        return false
    }

    static func glob(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return pattern == text }
        var rest = Substring(text)
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let found = rest.range(of: part) else { return false }
            rest = rest[found.upperBound...]
        }
        let last = parts[parts.count - 1]
        return rest.count >= last.count && rest.hasSuffix(last)
    }

    public func isOpen(at now: Date) -> Bool {
        (startsAt.map { now >= $0 } ?? true) && (endsAt.map { now < $0 } ?? true)
    }

    /// What is wrong with this targeting, or nil when it can be stored.
    public var problem: String? {
        if whitelist.count > 10_000 { return "a whitelist holds at most 10,000 devices" }
        if whitelist.contains(where: { $0.isEmpty || $0.count > 200 }) { return "whitelist ids must be 1 to 200 characters" }
        if whitelist.contains(where: { $0.allSatisfy { $0 == "*" } }) { return "a whitelist pattern must hold more than '*' (that would be every device)" }
        if rules.count > 20 { return "at most 20 targeting rules" }
        for rule in rules {
            if rule.values.isEmpty { return "rule on \(rule.attribute.rawValue) has no values" }
            if rule.op == .inRange && rule.attribute != .osVersion { return "in_range applies to osVersion only (rule on \(rule.attribute.rawValue))" }
            if rule.op == .inRange && rule.values.count != 2 { return "an in_range rule needs exactly two values, the low and high bound" }
        }
        if let startsAt, let endsAt, endsAt <= startsAt { return "the window must end after it starts" }
        return nil
    }
}

public struct TargetingRule: Codable, Hashable, Sendable {
    public enum Attribute: String, Codable, Sendable, CaseIterable {
        case city, model, network, osVersion
    }

    public enum Operator: String, Codable, Sendable, CaseIterable {
        case `in`
        case notIn = "not_in"
        /// Versions between the two values, both included (osVersion).
        case inRange = "in_range"
    }

    public var attribute: Attribute
    public var op: Operator
    public var values: [String]

    enum CodingKeys: String, CodingKey {
        case attribute
        case op = "operator"
        case values
    }

    public init(_ attribute: Attribute, _ op: Operator, _ values: [String]) {
        self.attribute = attribute
        self.op = op
        self.values = values
    }

    public func matches(_ device: DeviceInfo) -> Bool {
        let value: String?
        switch attribute {
        case .city: value = device.city
        case .model: value = device.model
        case .network: value = device.network
        case .osVersion: value = device.osVersion
        }
        switch op {
        case .in:
            return value.map(values.contains) ?? false
        case .notIn:
            return value.map { !values.contains($0) } ?? true
        case .inRange:
            guard let value, values.count == 2 else { return false }
            return VersionOrder.compare(value, values[0]) != .orderedAscending
                && VersionOrder.compare(value, values[1]) != .orderedDescending
        }
    }
}

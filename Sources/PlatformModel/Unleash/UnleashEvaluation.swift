import Foundation

/// Evaluates Unleash features as Unleash's SDKs do (the rules of Unleash's
/// client-specification): a feature is on when it is enabled and it has no strategy, or
/// one of its strategies holds: its constraints and segments all hold and the strategy
/// itself says yes.
public struct UnleashEvaluator: Sendable {
    public let segments: [Int: UnleashSegment]
    /// Where "random" stickiness draws from; tests give a seeded source.
    private let random: @Sendable () -> UInt32

    public init(segments: [UnleashSegment] = [], random: @escaping @Sendable () -> UInt32 = { UInt32.random(in: 1...100) }) {
        self.segments = Dictionary(segments.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.random = random
    }

    /// The strategies Unleash's SDKs know and OpsDeck evaluates; any other name is false.
    public static let strategies = ["default", "userWithId", "flexibleRollout", "remoteAddress",
                                    "gradualRolloutUserId", "gradualRolloutSessionId", "gradualRolloutRandom"]

    public func isEnabled(_ feature: UnleashFeature, _ context: UnleashContext) -> Bool {
        matchingStrategy(feature, context) != nil
    }

    /// The strategy that turns the feature on (a strategy-less enabled feature answers a
    /// `default` one); nil when it is off.
    func matchingStrategy(_ feature: UnleashFeature, _ context: UnleashContext) -> UnleashStrategy? {
        guard feature.enabled else { return nil }
        if feature.strategies.isEmpty { return UnleashStrategy(name: "default") }
        return feature.strategies.first { holds($0, for: feature, context) }
    }

    /// The variant this context gets: the matching strategy's variants first, then the
    /// feature's; "disabled" when the feature is off or has none.
    public func variant(_ feature: UnleashFeature, _ context: UnleashContext) -> UnleashVariantResult {
        guard let strategy = matchingStrategy(feature, context) else { return .disabled(featureEnabled: false) }
        if !strategy.variants.isEmpty,
           let chosen = pick(strategy.variants, groupId: strategy.parameters["groupId"] ?? feature.name, context) {
            return UnleashVariantResult(name: chosen.name, enabled: true, payload: chosen.payload, featureEnabled: true)
        }
        guard let variants = feature.variants, !variants.isEmpty, let chosen = pick(variants, groupId: feature.name, context) else {
            return .disabled(featureEnabled: true)
        }
        return UnleashVariantResult(name: chosen.name, enabled: true, payload: chosen.payload, featureEnabled: true)
    }

    // MARK: Strategies

    private func holds(_ strategy: UnleashStrategy, for feature: UnleashFeature, _ context: UnleashContext) -> Bool {
        for id in strategy.segments {
            guard let segment = segments[id], segment.constraints.allSatisfy({ Self.holds($0, context) }) else { return false }
        }
        guard strategy.constraints.allSatisfy({ Self.holds($0, context) }) else { return false }
        let parameters = strategy.parameters
        switch strategy.name {
        case "default":
            return true
        case "userWithId":
            guard let user = context.userId else { return false }
            return Self.list(parameters["userIds"]).contains(user)
        case "flexibleRollout":
            let rollout = Self.percentage(parameters["rollout"])
            let groupId = parameters["groupId"] ?? feature.name
            switch parameters["stickiness"] ?? "default" {
            case "random":
                return random() <= rollout
            case "default":
                guard let identifier = context.userId ?? context.sessionId else { return random() <= rollout }
                return Murmur3.normalizedHash(identifier: identifier, groupId: groupId) <= rollout
            case let field:
                guard let identifier = context.value(of: field) else { return false }
                return Murmur3.normalizedHash(identifier: identifier, groupId: groupId) <= rollout
            }
        case "gradualRolloutUserId", "gradualRolloutSessionId":
            let identifier = strategy.name == "gradualRolloutUserId" ? context.userId : context.sessionId
            guard let identifier else { return false }
            return Murmur3.normalizedHash(identifier: identifier, groupId: parameters["groupId"] ?? "")
                <= Self.percentage(parameters["percentage"])
        case "gradualRolloutRandom":
            return random() <= Self.percentage(parameters["percentage"])
        case "remoteAddress":
            guard let address = context.remoteAddress else { return false }
            return Self.list(parameters["IPs"]).contains { IPRange($0)?.contains(address) ?? ($0 == address) }
        default:
            return false
        }
    }

    /// A rollout parameter as a whole percentage, 0...100 (Unleash rounds nothing: "33.3"
    /// is not a percentage its SDKs accept, and reads as 0).
    static func percentage(_ text: String?) -> UInt32 {
        guard let text, let value = UInt32(text.trimmingCharacters(in: .whitespaces)) else { return 0 }
        return min(value, 100)
    }

    static func list(_ text: String?) -> [String] {
        (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    // MARK: Variants

    private func pick(_ variants: [UnleashVariant], groupId: String, _ context: UnleashContext) -> UnleashVariant? {
        for variant in variants {
            for override in variant.overrides ?? [] {
                if let value = context.value(of: override.contextName), override.values.contains(value) { return variant }
            }
        }
        let total = variants.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { return nil }
        let identifier: String
        switch variants[0].stickiness ?? "default" {
        case "default", "random":
            identifier = context.userId ?? context.sessionId ?? context.remoteAddress ?? String(random())
        case let field:
            identifier = context.value(of: field) ?? String(random())
        }
        let target = Murmur3.normalizedHash(identifier: identifier, groupId: groupId, normalizer: UInt32(total), seed: 86_028_157)
        var counter: UInt32 = 0
        for variant in variants {
            counter += UInt32(max(0, variant.weight))
            if counter >= target { return variant }
        }
        return nil
    }

    // MARK: Constraints

    /// Whether one constraint holds. A missing field fails every operator but NOT_IN;
    /// `inverted` turns the answer around, missing field or not.
    static func holds(_ constraint: UnleashConstraint, _ context: UnleashContext) -> Bool {
        let answer: Bool
        if constraint.operator.hasPrefix("DATE_") {
            answer = dates(constraint, context.currentTime)
        } else if let value = context.value(of: constraint.contextName) {
            answer = compare(value, constraint)
        } else {
            answer = constraint.operator == "NOT_IN"
        }
        return answer != constraint.inverted
    }

    private static func compare(_ value: String, _ constraint: UnleashConstraint) -> Bool {
        // `caseInsensitive` is for the string operators: IN and NOT_IN compare exactly,
        // as Unleash's engine (yggdrasil) does.
        let fold: (String) -> String = constraint.caseInsensitive ? { $0.lowercased() } : { $0 }
        let subject = fold(value)
        let values = constraint.values.map(fold)
        switch constraint.operator {
        case "IN": return constraint.values.contains(value)
        case "NOT_IN": return !constraint.values.contains(value)
        case "STR_STARTS_WITH": return values.contains { subject.hasPrefix($0) }
        case "STR_ENDS_WITH": return values.contains { subject.hasSuffix($0) }
        case "STR_CONTAINS": return values.contains { subject.contains($0) }
        case "NUM_EQ", "NUM_GT", "NUM_GTE", "NUM_LT", "NUM_LTE":
            guard let left = Double(value.trimmingCharacters(in: .whitespaces)), let text = constraint.value,
                  let right = Double(text.trimmingCharacters(in: .whitespaces)) else { return false }
            switch constraint.operator {
            case "NUM_EQ": return left == right
            case "NUM_GT": return left > right
            case "NUM_GTE": return left >= right
            case "NUM_LT": return left < right
            default: return left <= right
            }
        case "SEMVER_EQ", "SEMVER_GT", "SEMVER_GTE", "SEMVER_LT", "SEMVER_LTE":
            guard let left = SemanticVersion(value), let text = constraint.value, let right = SemanticVersion(text) else { return false }
            switch constraint.operator {
            case "SEMVER_EQ": return left == right
            case "SEMVER_GT": return left > right
            case "SEMVER_GTE": return left >= right
            case "SEMVER_LT": return left < right
            default: return left <= right
            }
        case "REGEX":
            guard let pattern = constraint.value,
                  let expression = try? NSRegularExpression(pattern: pattern, options: constraint.caseInsensitive ? [.caseInsensitive] : [])
            else { return false }
            return expression.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
        default:
            return false
        }
    }

    private static func dates(_ constraint: UnleashConstraint, _ currentTime: String?) -> Bool {
        let now = currentTime.map(WireFormat.parseDate) ?? Date()
        guard let now, let text = constraint.value, let bound = WireFormat.parseDate(text) else { return false }
        switch constraint.operator {
        case "DATE_AFTER": return now > bound
        case "DATE_BEFORE": return now < bound
        default: return false
        }
    }
}

/// A variant as the Frontend API and Unleash's SDKs show it.
public struct UnleashVariantResult: Codable, Sendable, Equatable {
    public var name: String
    public var enabled: Bool
    public var payload: UnleashVariant.Payload?
    public var featureEnabled: Bool

    enum CodingKeys: String, CodingKey {
        case name, enabled, payload
        case featureEnabled = "feature_enabled"
    }

    public static func disabled(featureEnabled: Bool) -> UnleashVariantResult {
        UnleashVariantResult(name: "disabled", enabled: false, payload: nil, featureEnabled: featureEnabled)
    }
}

/// A semantic version (semver.org 2.0) for the SEMVER_ operators: strict, as Unleash's
/// SDKs parse it ("v1.2.3" and "1.2" are not versions); build metadata is ignored.
public struct SemanticVersion: Comparable, Sendable {
    let core: [UInt64]
    let prerelease: [Substring]

    public init?(_ text: String) {
        let withoutBuild = text.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)
        guard let head = withoutBuild.first, !head.isEmpty else { return nil }
        if withoutBuild.count == 2 {
            guard Self.identifiers(withoutBuild[1]) != nil else { return nil }
        }
        let parts = head.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let numbers = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3 else { return nil }
        var core: [UInt64] = []
        for number in numbers {
            guard Self.isNumeric(number), let value = UInt64(number) else { return nil }
            core.append(value)
        }
        self.core = core
        if parts.count == 2 {
            guard let identifiers = Self.identifiers(parts[1]) else { return nil }
            for identifier in identifiers where identifier.allSatisfy(\.isASCIIDigit) && !Self.isNumeric(identifier) { return nil }
            prerelease = identifiers
        } else {
            prerelease = []
        }
    }

    /// Digits without a leading zero (a lone "0" is fine).
    private static func isNumeric(_ text: Substring) -> Bool {
        !text.isEmpty && text.allSatisfy(\.isASCIIDigit) && (text.count == 1 || text.first != "0")
    }

    private static func identifiers(_ text: Substring) -> [Substring]? {
        let identifiers = text.split(separator: ".", omittingEmptySubsequences: false)
        for identifier in identifiers {
            guard !identifier.isEmpty, identifier.allSatisfy({ $0.isASCIIDigit || $0.isASCIILetter || $0 == "-" }) else { return nil }
        }
        return identifiers
    }

    public static func < (left: SemanticVersion, right: SemanticVersion) -> Bool {
        if left.core != right.core { return left.core.lexicographicallyPrecedes(right.core) }
        switch (left.prerelease.isEmpty, right.prerelease.isEmpty) {
        case (true, _): return false
        case (false, true): return true
        default: break
        }
        for (a, b) in zip(left.prerelease, right.prerelease) where a != b {
            switch (UInt64(a), UInt64(b)) {
            case let (x?, y?): return x < y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a < b
            }
        }
        return left.prerelease.count < right.prerelease.count
    }

    public static func == (left: SemanticVersion, right: SemanticVersion) -> Bool {
        left.core == right.core && left.prerelease == right.prerelease
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILetter: Bool { isASCII && isLetter }
}

/// An IPv4 or IPv6 address range in CIDR notation, or a single address.
struct IPRange {
    let network: [UInt8]
    let prefix: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let address = IPRange.bytes(String(first)) else { return nil }
        let bits = address.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...bits).contains(prefix) else { return nil }
            self.prefix = prefix
        } else {
            prefix = bits
        }
        network = address
    }

    func contains(_ text: String) -> Bool {
        guard let address = IPRange.bytes(text), address.count == network.count else { return false }
        var remaining = prefix
        for (a, b) in zip(address, network) where remaining > 0 {
            let mask: UInt8 = remaining >= 8 ? 0xff : ~(0xff >> UInt8(remaining))
            if a & mask != b & mask { return false }
            remaining -= 8
        }
        return true
    }

    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

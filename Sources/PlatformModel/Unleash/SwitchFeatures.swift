/// A switch's rules in Unleash's terms, for switches imported from an Unleash features
/// document (strategies, constraints, segments and variants as Unleash has them).
public struct SwitchRules: Codable, Hashable, Sendable {
    public var strategies: [UnleashStrategy]
    public var variants: [UnleashVariant]?

    public init(strategies: [UnleashStrategy], variants: [UnleashVariant]? = nil) {
        self.strategies = strategies
        self.variants = variants
    }
}

extension UnleashStrategy: Hashable {
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

extension UnleashVariant: Hashable {
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}

extension Switch {
    /// The switch as an Unleash feature: what `/v1/sdk/check`, the Client API and the
    /// Frontend API all evaluate, so that the three agree for every device.
    ///
    /// An OpsDeck switch says whether the guarded feature runs where the switch applies
    /// (its scope); elsewhere the feature runs. So an enabled switch is a feature on
    /// for everyone, and a disabled one is on only outside its scope: one strategy per
    /// way of being outside (another platform, an older or newer version, a city, model,
    /// network or OS version outside a rule, a device outside the share), and off for
    /// everyone when the scope is everything.
    ///
    /// The share is a flexible rollout on the `deviceId` field: a device is inside an
    /// N % scope when its bucket (murmur3 of "KEY:deviceId", 1 to 100) is above 100 − N,
    /// so the devices outside are the rollout of 100 − N %, and widening the scope only
    /// ever adds devices.
    public var unleashFeature: UnleashFeature {
        let type = kind == .killSwitch ? "kill-switch" : "operational"
        if let rules {
            return UnleashFeature(name: key, description: description, type: type, enabled: enabled,
                                  strategies: rules.strategies, variants: rules.variants)
        }
        if enabled {
            return UnleashFeature(name: key, description: description, type: type, enabled: true, strategies: [UnleashStrategy(name: "default")])
        }
        var outside: [UnleashStrategy] = []
        func unless(_ constraint: UnleashConstraint) {
            outside.append(UnleashStrategy(name: "default", constraints: [constraint]))
        }
        if !scope.platforms.isEmpty {
            unless(UnleashConstraint(contextName: "os", operator: "NOT_IN", values: scope.platforms.map(\.rawValue)))
        }
        if let minVersion = scope.minVersion {
            unless(UnleashConstraint(contextName: "appVersion", operator: "SEMVER_LT", value: minVersion))
        }
        if let maxVersion = scope.maxVersion {
            unless(UnleashConstraint(contextName: "appVersion", operator: "SEMVER_GT", value: maxVersion))
        }
        // Outside a rule: not among its values (`in`; a device that does not say is
        // outside too), or among them (`not_in`).
        for rule in scope.rules where rule.op != .inRange {
            unless(UnleashConstraint(contextName: rule.attribute.rawValue, operator: rule.op == .in ? "NOT_IN" : "IN", values: rule.values))
        }
        let share = Int(scope.percent.rounded())
        if share < 100 {
            outside.append(UnleashStrategy(name: "flexibleRollout", parameters: [
                "rollout": String(100 - share), "stickiness": "deviceId", "groupId": key,
            ]))
        }
        return UnleashFeature(name: key, description: description, type: type, enabled: !outside.isEmpty, strategies: outside)
    }
}

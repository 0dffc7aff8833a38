import Foundation
import Testing
@testable import PlatformModel

/// The evaluation rules Unleash's SDKs follow, checked piece by piece; the whole is
/// checked against UnleashClient itself and the client-specification (Tests/sdk).
@Suite struct UnleashEvaluationTests {
    /// Values from Python's mmh3 (the hash Unleash's SDKs use), unsigned.
    @Test(arguments: [
        ("", 0 as UInt32, 0 as UInt32), ("a", 0, 1_009_084_850), ("ab", 0, 2_613_040_991), ("abc", 0, 3_017_643_002),
        ("abcd", 0, 1_139_631_978), ("feature:123", 0, 1_354_135_668), ("Feature.flexibleRollout.100:user-1", 0, 4_107_630_160),
        ("渐进:设备", 0, 2_782_609_768), ("", 86_028_157, 4_002_661_964), ("feature:123", 86_028_157, 2_160_350_519),
    ])
    func murmur3MatchesMmh3(text: String, seed: UInt32, expected: UInt32) {
        #expect(Murmur3.x86_32(text.utf8, seed: seed) == expected)
    }

    @Test func semanticVersionsAreStrictAndIgnoreBuildMetadata() throws {
        #expect(SemanticVersion("v1.2.3") == nil)
        #expect(SemanticVersion("1.2") == nil)
        #expect(SemanticVersion("01.2.3") == nil)
        #expect(SemanticVersion("1.2.3-01") == nil)
        let release = try #require(SemanticVersion("2.0.0"))
        let candidate = try #require(SemanticVersion("2.0.0-rc.1"))
        let alpha = try #require(SemanticVersion("2.0.0-alpha.1"))
        let alphaTwo = try #require(SemanticVersion("2.0.0-alpha.2"))
        let alphaPlain = try #require(SemanticVersion("2.0.0-alpha"))
        #expect(candidate < release && alpha < candidate && alpha < alphaTwo && alphaPlain < alpha)
        #expect(SemanticVersion("1.2.2+metadata.1") == SemanticVersion("1.2.2"))
        #expect(SemanticVersion("1.10.0")! > SemanticVersion("1.9.0")!)
    }

    @Test func constraintsFollowTheSpecificationsRules() {
        let context = UnleashContext(userId: "u1", currentTime: "2022-01-30T13:00:00.000Z",
                                     properties: ["email": "Test@Example.com", "n": "12.0", "version": "1.2.3"])
        func holds(_ name: String, _ op: String, values: [String] = [], value: String? = nil, inverted: Bool = false, folded: Bool = false) -> Bool {
            UnleashEvaluator.holds(UnleashConstraint(contextName: name, operator: op, values: values, value: value,
                                                     inverted: inverted, caseInsensitive: folded), context)
        }
        #expect(holds("userId", "IN", values: ["u1", "u2"]))
        #expect(!holds("missing", "IN", values: ["x"]))
        #expect(holds("missing", "NOT_IN", values: ["x"]))
        #expect(!holds("missing", "NOT_IN", values: ["x"], inverted: true))
        #expect(!holds("email", "STR_ENDS_WITH", values: ["@example.com"]))
        #expect(holds("email", "STR_ENDS_WITH", values: ["@example.com"], folded: true))
        #expect(holds("n", "NUM_EQ", value: "12"))
        #expect(!holds("n", "NUM_GT", value: "12"))
        #expect(holds("n", "NUM_LTE", value: "12"))
        #expect(holds("version", "SEMVER_GT", value: "1.2.3-rc.1"))
        #expect(holds("currentTime", "DATE_AFTER", value: "2022-01-29T13:00:00.000Z"))
        #expect(!holds("currentTime", "DATE_AFTER", value: "2022-01-30T13:00:00.000Z"), "DATE_AFTER is exclusive")
        #expect(!holds("userId", "NO_SUCH_OPERATOR", values: ["u1"]))
    }

    @Test func remoteAddressTakesAddressesAndRanges() {
        let strategy = UnleashStrategy(name: "remoteAddress", parameters: ["IPs": "10.0.0.1, 192.168.0.0/16 ,2001:db8::/32"])
        let feature = UnleashFeature(name: "f", enabled: true, strategies: [strategy])
        let evaluator = UnleashEvaluator()
        for (address, expected) in [("10.0.0.1", true), ("10.0.0.2", false), ("192.168.44.5", true), ("2001:db8::1", true), ("2001:db9::1", false)] {
            #expect(evaluator.isEnabled(feature, UnleashContext(remoteAddress: address)) == expected, "\(address)")
        }
    }

    /// A switch's scope as Unleash strategies: on outside the scope, off inside, and a
    /// wider share only ever turns more devices off.
    @Test func aDisabledSwitchIsOffExactlyInsideItsScope() {
        func value(_ percent: Double, device: String, os: Platform = .android, version: String = "5.3.0") -> Bool {
            let item = Switch(app: "a", key: "k", description: "d", kind: .killSwitch, enabled: false,
                              scope: SwitchScope(platforms: [.android], minVersion: "5.2.0", maxVersion: "5.9.0", percent: percent),
                              updatedBy: "", updatedAt: Date(), revision: 1)
            return UpgradePolicy.value(of: item, os: os, version: version, device: device)
        }
        let devices = (0..<2000).map { "device-\($0)" }
        let offAt30 = Set(devices.filter { !value(30, device: $0) })
        let offAt60 = Set(devices.filter { !value(60, device: $0) })
        #expect(offAt30.isSubset(of: offAt60))
        #expect((500...700).contains(offAt30.count), "about 30 % of 2,000: \(offAt30.count)")
        #expect(devices.allSatisfy { value(100, device: $0, os: .ios) }, "another platform is outside")
        #expect(devices.allSatisfy { value(100, device: $0, version: "5.1.9") }, "an older version is outside")
        #expect(devices.allSatisfy { value(100, device: $0, version: "6.0.0") }, "a newer version is outside")
        #expect(devices.allSatisfy { !value(100, device: $0) }, "the whole scope is off")
    }

    /// A scope's attribute rules mean in Unleash what they mean for releases: the switch
    /// applies where every rule matches (`TargetingRule.matches`), missing fields included.
    @Test func scopeRulesMatchTheReleaseTargetingRules() {
        let rules = [TargetingRule(.city, .in, ["Hangzhou", "Shanghai"]), TargetingRule(.network, .notIn, ["wifi"]),
                     TargetingRule(.osVersion, .in, ["13", "14"]), TargetingRule(.model, .notIn, [""])]
        let item = Switch(app: "a", key: "k", description: "d", kind: .killSwitch, enabled: false,
                          scope: SwitchScope(rules: rules, percent: 100), updatedBy: "", updatedAt: Date(), revision: 1)
        var random = SeededRandom(seed: 5)
        let evaluator = UnleashEvaluator()
        var bothWays = Set<Bool>()
        for index in 0..<3000 {
            let device = DeviceInfo(id: "d\(index)", os: .android, osVersion: ["", "13", "14", "15"].randomElement(using: &random)!,
                                    model: ["", "Pixel 8"].randomElement(using: &random)!,
                                    city: ["Hangzhou", "Shanghai", "Chengdu", nil].randomElement(using: &random)!,
                                    network: ["wifi", "4g", nil].randomElement(using: &random)!)
            let applies = rules.allSatisfy { $0.matches(device) }
            let on = evaluator.isEnabled(item.unleashFeature, .device(device, appVersion: "5.3.0", app: "a"))
            #expect(on == !applies, "\(device)")
            bothWays.insert(on)
        }
        #expect(bothWays == [true, false])
    }
}

import Foundation

/// Compares version strings the way people read them: "5.10.0" > "5.9.2" > "5.9".
public enum VersionOrder {
    public static func compare(_ a: String, _ b: String) -> ComparisonResult {
        let left = parts(a), right = parts(b)
        for index in 0..<max(left.count, right.count) {
            let x = index < left.count ? left[index] : 0
            let y = index < right.count ? right[index] : 0
            if x != y { return x < y ? .orderedAscending : .orderedDescending }
        }
        return .orderedSame
    }

    public static func isNewer(_ a: String, than b: String) -> Bool { compare(a, b) == .orderedDescending }

    private static func parts(_ version: String) -> [Int] {
        version.split(whereSeparator: { $0 == "." || $0 == "-" || $0 == "+" }).map { Int($0.prefix { $0.isNumber }) ?? 0 }
    }
}

/// The answer of `GET /v1/sdk/check`: which release this device should move to, if
/// any, and the switch values that apply to it.
public struct UpgradeAnswer: Codable, Sendable, Equatable {
    public struct Offer: Codable, Sendable, Equatable {
        public var version: String
        public var build: Int
        public var stage: ReleaseStage
        public var notes: String

        public init(version: String, build: Int, stage: ReleaseStage, notes: String) {
            self.version = version
            self.build = build
            self.stage = stage
            self.notes = notes
        }
    }

    public var app: String
    public var device: String
    public var current: String
    /// nil: stay on the current release.
    public var offer: Offer?
    /// Switch key -> whether the guarded feature/traffic is on for this device.
    public var switches: [String: Bool]

    public init(app: String, device: String, current: String, offer: Offer?, switches: [String: Bool]) {
        self.app = app
        self.device = device
        self.current = current
        self.offer = offer
        self.switches = switches
    }
}

public enum UpgradePolicy {
    /// The newest release newer than `current` that this device may run: a full
    /// release; a whitelist or gray one that whitelists the device; or a gray one whose
    /// rules the device matches, within its window, with the device's bucket inside the
    /// gray percentage.
    public static func offer(releases: [Release], app: String, device: DeviceInfo, current: String, now: Date = Date()) -> Release? {
        releases
            .filter { release in
                guard VersionOrder.isNewer(release.version, than: current) else { return false }
                let targeting = release.targeting ?? Targeting()
                switch release.stage {
                case .full:
                    return true
                case .whitelist:
                    return targeting.whitelist.contains(device.id)
                case .gray:
                    if targeting.whitelist.contains(device.id) { return true }
                    return targeting.isOpen(at: now)
                        && targeting.rules.allSatisfy { $0.matches(device) }
                        && Bucketing.includes(app: app, release: release.version, device: device.id, grayPercent: release.grayPercent)
                default:
                    return false
                }
            }
            .max { VersionOrder.compare($0.version, $1.version) == .orderedAscending }
    }

    /// Whether `item`'s setting applies to this device; where it does not, the guarded
    /// feature stays on.
    public static func value(of item: Switch, os: Platform, version: String, device: String) -> Bool {
        let scope = item.scope
        let inScope = (scope.platforms.isEmpty || scope.platforms.contains(os))
            && (scope.minVersion.map { VersionOrder.compare(version, $0) != .orderedAscending } ?? true)
            && (scope.maxVersion.map { VersionOrder.compare(version, $0) != .orderedDescending } ?? true)
            && Bucketing.bucket(app: item.app, release: "switch:\(item.key)", device: device) < Bucketing.basisPoints(scope.percent)
        return inScope ? item.enabled : true
    }
}

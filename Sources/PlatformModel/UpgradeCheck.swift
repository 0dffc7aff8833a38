import Foundation

/// Compares version strings the way people read them: "5.10.0" > "5.9.2" > "5.9".
public enum VersionOrder {
    /// Part by part ("." "-" "+" separate parts; a part counts by its leading digits; a
    /// missing part is 0), walking the UTF-8 of both without allocating: every upgrade
    /// check compares a device's version with each candidate release.
    public static func compare(_ a: String, _ b: String) -> ComparisonResult {
        var a = a, b = b
        return a.withUTF8 { left in
            b.withUTF8 { right in
                var i = 0, j = 0
                while i < left.count || j < right.count {
                    let x = part(left, &i), y = part(right, &j)
                    if x != y { return x < y ? .orderedAscending : .orderedDescending }
                }
                return .orderedSame
            }
        }
    }

    public static func isNewer(_ a: String, than b: String) -> Bool { compare(a, b) == .orderedDescending }

    private static func isSeparator(_ byte: UInt8) -> Bool { byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") }

    /// The number at `index` (its leading digits, 0 without), moving past the part and
    /// the separators after it.
    private static func part(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> Int {
        while index < bytes.count && isSeparator(bytes[index]) { index += 1 }
        var value = 0, digits = true
        while index < bytes.count && !isSeparator(bytes[index]) {
            let byte = bytes[index]
            if digits && byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                value = value &* 10 &+ Int(byte - UInt8(ascii: "0"))
            } else {
                digits = false
            }
            index += 1
        }
        while index < bytes.count && isSeparator(bytes[index]) { index += 1 }
        return value
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

    /// The answer as JSON, written by hand: the document JSONEncoder makes (keys
    /// sorted), at a fraction of its cost; the upgrade check is the hottest endpoint.
    public func json() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        Self.appendJSON(app: app, device: device, current: current, offer: offer,
                        switches: switches.sorted { $0.key < $1.key }, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The same document appended to `out`, for a server that writes answers straight
    /// into a connection's buffer; `switches` must come in key order (as `<` sorts).
    public static func appendJSON(
        app: String, device: String, current: String, offer: Offer?, switches: [(key: String, value: Bool)], to out: inout [UInt8]
    ) {
        out.append(utf8: "{\"app\":")
        appendJSONString(app, to: &out)
        out.append(utf8: ",\"current\":")
        appendJSONString(current, to: &out)
        out.append(utf8: ",\"device\":")
        appendJSONString(device, to: &out)
        if let offer {
            out.append(utf8: ",\"offer\":{\"build\":")
            out.append(contentsOf: String(offer.build).utf8)
            out.append(utf8: ",\"notes\":")
            appendJSONString(offer.notes, to: &out)
            out.append(utf8: ",\"stage\":")
            appendJSONString(offer.stage.rawValue, to: &out)
            out.append(utf8: ",\"version\":")
            appendJSONString(offer.version, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(utf8: ",\"switches\":{")
        for (index, item) in switches.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(item.key, to: &out)
            out.append(utf8: item.value ? ":true" : ":false")
        }
        out.append(utf8: "}}")
    }

    /// A JSON string literal, as `StackFrame.jsonString` writes it, in bytes.
    private static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        var text = text
        let plain = text.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return true
        }
        if !plain { out.append(contentsOf: StackFrame.jsonString(text).utf8) }
    }
}

public enum UpgradePolicy {
    /// The newest release newer than `current` that this device may run: a full
    /// release; a whitelist or gray one that whitelists the device; or a gray one whose
    /// rules the device matches, within its window, with the device's bucket inside the
    /// gray percentage.
    public static func offer(releases: [Release], app: String, device: DeviceInfo, current: String, now: Date = Date()) -> Release? {
        // By index: copying each release out of the array would retain all its fields.
        var best: Int?
        for index in releases.indices {
            // Cheapest test first: most releases are not newer than what the device runs,
            // or not newer than the best found so far.
            guard VersionOrder.isNewer(releases[index].version, than: current),
                  best.map({ VersionOrder.isNewer(releases[index].version, than: releases[$0].version) }) ?? true,
                  mayRun(releases[index], app: app, device: device, now: now) else { continue }
            best = index
        }
        return best.map { releases[$0] }
    }

    private static func mayRun(_ release: Release, app: String, device: DeviceInfo, now: Date) -> Bool {
        switch release.stage {
        case .full:
            return true
        case .whitelist:
            return release.targeting?.whitelists(device.id) ?? false
        case .gray:
            let targeting = release.targeting ?? Targeting()
            if targeting.whitelists(device.id) { return true }
            return targeting.isOpen(at: now)
                && targeting.rules.allSatisfy { $0.matches(device) }
                && Bucketing.includes(app: app, release: release.version, device: device.id, grayPercent: release.grayPercent)
        default:
            return false
        }
    }

    /// Whether the feature `item` guards is on for this device: its Unleash feature
    /// (`Switch.unleashFeature`) evaluated for the device's context, the same evaluation
    /// the Client and Frontend APIs answer with.
    public static func value(of item: Switch, os: Platform, version: String, device: String) -> Bool {
        let context = UnleashContext.device(DeviceInfo(id: device, os: os, osVersion: "", model: ""), appVersion: version, app: item.app)
        return UnleashEvaluator().isEnabled(item.unleashFeature, context)
    }
}

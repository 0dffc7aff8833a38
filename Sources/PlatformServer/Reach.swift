import Foundation
import Hummingbird
import PlatformModel
import Synchronization

/// What each device was last told at its upgrade check, in memory: the gateway answers
/// tens of thousands of checks a second, and a row written per check would cost more
/// than the answer. Lost on restart; devices check again within minutes.
final class DeviceReach: Sendable {
    struct Seen: Sendable {
        /// The device as its last check described it: what targeting rules match on.
        var device: DeviceInfo
        var runs: String
        var offered: String?
        /// Values in the order of `keys`.
        var keys: [String]
        var values: [Bool]
        var at: Date
    }

    private let devices = Mutex<[String: [String: Seen]]>([:])
    /// Past this many devices in all, those not seen in the window are dropped.
    let limit: Int

    init(limit: Int = 500_000) { self.limit = limit }

    func record(app: String, device: String, _ seen: Seen) {
        devices.withLock { apps in
            apps[app, default: [:]][device] = seen
        }
        if Int.random(in: 0..<4096) == 0 { trimIfFull(olderThan: seen.at.addingTimeInterval(-3600)) }
    }

    private func trimIfFull(olderThan cutoff: Date) {
        devices.withLock { apps in
            guard apps.values.reduce(0, { $0 + $1.count }) > limit else { return }
            for app in apps.keys { apps[app] = apps[app]?.filter { $0.value.at >= cutoff } }
        }
    }

    /// Devices of `app` that checked in the last `windowMinutes`, by switch value and
    /// by release run and offered.
    func summary(app: String, windowMinutes: Int, now: Date = Date()) -> AppReach {
        let cutoff = now.addingTimeInterval(-Double(windowMinutes) * 60)
        let seen = devices.withLock { $0[app].map { Array($0.values) } ?? [] }.filter { $0.at >= cutoff }
        var on: [String: Int] = [:], off: [String: Int] = [:]
        var running: [String: Int] = [:], offered: [String: Int] = [:]
        for device in seen {
            for (key, value) in zip(device.keys, device.values) {
                if value { on[key, default: 0] += 1 } else { off[key, default: 0] += 1 }
            }
            running[device.runs, default: 0] += 1
            if let version = device.offered { offered[version, default: 0] += 1 }
        }
        let keys = Set(on.keys).union(off.keys).sorted()
        let versions = Set(running.keys).union(offered.keys).sorted { VersionOrder.compare($0, $1) == .orderedDescending }
        return AppReach(
            app: app, windowMinutes: windowMinutes, devices: seen.count,
            switches: keys.map { SwitchReach(key: $0, on: on[$0] ?? 0, off: off[$0] ?? 0) },
            releases: versions.map { ReleaseReach(version: $0, running: running[$0] ?? 0, offered: offered[$0] ?? 0) })
    }
}

extension DeviceReach {
    /// How many devices of `app` that checked in the last `windowMinutes` `targeting`
    /// reaches: whitelisted, matching every rule, each rule alone.
    func preview(_ targeting: Targeting, app: String, windowMinutes: Int, now: Date = Date()) -> TargetingReach {
        let cutoff = now.addingTimeInterval(-Double(windowMinutes) * 60)
        let seen = devices.withLock { $0[app].map { Array($0.values) } ?? [] }.filter { $0.at >= cutoff }
        var whitelisted = 0, matching = 0, reached = 0
        var byRule = Array(repeating: 0, count: targeting.rules.count)
        let open = targeting.isOpen(at: now)
        for item in seen {
            let listed = targeting.whitelists(item.device.id)
            var all = true
            for (index, rule) in targeting.rules.enumerated() {
                if rule.matches(item.device) { byRule[index] += 1 } else { all = false }
            }
            if listed { whitelisted += 1 }
            if all { matching += 1 }
            if listed || (all && open) { reached += 1 }
        }
        return TargetingReach(windowMinutes: windowMinutes, activeDevices: seen.count, whitelisted: whitelisted, matchingRules: matching,
                              reached: reached, byRule: byRule, windowOpen: open)
    }
}

extension PlatformServer {
    func addReachRoute(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        // How far changes have got: devices that checked in the last hour, by the
        // switch values and the release offers they were given.
        v1.get("apps/:app/reach") { request, context in
            let app = try await requireApp(context, store)
            return try jsonResponse(store.reach.summary(app: app, windowMinutes: 60), for: request)
        }
        // Before saving a targeting: how many active devices it would reach. A read: any role.
        v1.post("apps/:app/targeting/preview") { request, context in
            let app = try await requireApp(context, store)
            var request = request
            let buffer = try await request.collectBody(upTo: 1024 * 1024)
            let targeting: Targeting
            do {
                targeting = try WireFormat.decoder().decode(Targeting.self, from: Data(buffer.readableBytesView))
            } catch {
                throw ProblemError(.badRequest, WireFormat.explain(error))
            }
            if let problem = targeting.problem { throw ProblemError(.unprocessableContent, "targeting: " + problem) }
            return try jsonResponse(store.reach.preview(targeting, app: app, windowMinutes: 60), for: request)
        }
    }
}

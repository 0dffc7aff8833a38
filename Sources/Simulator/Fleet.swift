import Foundation
import PlatformClient
import PlatformModel
import Synchronization

/// A simulated fleet of devices driving a platform over its real HTTP API, the way
/// apps with the SDK would: they check for upgrades, adopt gray releases as the server
/// answers, and report sessions, crashes and ANRs. Incidents are staged so that the
/// console has something real to show: a crash spike in each newest gray release (in
/// the code behind the `new-checkout` switch: turning it off stops the spike) and an
/// ANR regression in one full release.
///
/// The same seed gives the same fleet and the same sequence of events.
public final class Fleet: Sendable {
    public struct Configuration: Sendable {
        public var apiURL: String
        /// Where devices check for upgrades (`opsdeck serve --gateway`); nil: the API.
        public var checkURL: String?
        public var token: String
        /// PEM CA certificates to trust for https.
        public var caFile: String?
        public var devices: Int
        /// Events (sessions + crashes + ANRs) per second, all devices together.
        public var rate: Double
        public var seed: UInt64

        public init(apiURL: String, token: String, devices: Int = 500, rate: Double = 50, seed: UInt64 = 1) {
            self.apiURL = apiURL
            self.token = token
            self.devices = max(1, devices)
            self.rate = max(0.1, rate)
            self.seed = seed
        }
    }

    public struct Statistics: Sendable, Equatable {
        public var sessions = 0
        public var crashes = 0
        public var anrs = 0
        public var funnelSteps = 0
        public var checks = 0
        public var upgrades = 0
        public var failures = 0
        public var lastError: String?

        public var events: Int { sessions + crashes + anrs + funnelSteps }
    }

    public let configuration: Configuration
    private let stats = Mutex(Statistics())
    private let stopped = Mutex(false)
    private let cancellers = Mutex<[Canceller]>([])

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public var statistics: Statistics { stats.withLock { $0 } }

    public func stop() {
        stopped.withLock { $0 = true }
        cancellers.withLock { $0 }.forEach { $0.cancel() }
    }

    private var isStopped: Bool { stopped.withLock { $0 } }

    /// Runs on the calling thread until `stop()` or, when given, `limit` events were sent.
    public func run(limit: Int? = nil) throws(PlatformError) {
        let client = try PlatformClient(baseURL: configuration.apiURL, token: configuration.token, timeouts: .init(connect: 3, total: 10),
                                        caFile: configuration.caFile)
        let checker = try configuration.checkURL.map { url throws(PlatformError) in
            try PlatformClient(baseURL: url, token: configuration.token, timeouts: .init(connect: 3, total: 10), caFile: configuration.caFile)
        } ?? client
        cancellers.withLock { $0 = [client.canceller, checker.canceller] }
        var rng = SeededRandom(seed: configuration.seed)
        var devices = try makeDevices(client, rng: &rng)
        let started = ContinuousClock.now
        var sent = 0
        var failuresInARow = 0
        while !isStopped, limit.map({ sent < $0 }) ?? true {
            let index = Int.random(in: 0..<devices.count, using: &rng)
            do {
                // Like an mPaaS client pulling its config when the app comes to the
                // foreground: every batch of sessions starts with a check, so a switch
                // turned off reaches a device at its next session.
                try check(&devices[index], checker)
                let batch = devices[index].nextBatch(rng: &rng, now: Date())
                _ = try client.send(batch)
                sent += batch.eventCount
                failuresInARow = 0
                record(batch)
            } catch .cancelled {
                break
            } catch {
                failuresInARow += 1
                stats.withLock {
                    $0.failures += 1
                    $0.lastError = error.description
                }
                // The platform is down: wait for it rather than spin.
                Thread.sleep(forTimeInterval: min(5, 0.2 * Double(failuresInARow)))
            }
            // Pace to the rate: the n-th event is due at n / rate seconds.
            let due = started + .milliseconds(Int(Double(sent) / configuration.rate * 1000))
            let wait = due - ContinuousClock.now
            if wait > .zero { Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18) }
        }
    }

    private func record(_ batch: SDKBatch) {
        stats.withLock { stats in
            stats.sessions += batch.sessions.count
            stats.funnelSteps += batch.funnelSteps.count
            for crash in batch.crashes {
                if crash.kind == .anr { stats.anrs += 1 } else { stats.crashes += 1 }
            }
        }
    }

    private func check(_ device: inout SimulatedDevice, _ client: PlatformClient) throws(PlatformError) {
        let answer = try client.check(app: device.app, device: device.info, version: device.version)
        stats.withLock { $0.checks += 1 }
        device.switches = answer.switches
        if let offer = answer.offer {
            device.version = offer.version
            device.releaseStage = offer.stage
            stats.withLock { $0.upgrades += 1 }
        }
    }

    /// Devices spread over every app, on the app's full releases (mostly the newest).
    private func makeDevices(_ client: PlatformClient, rng: inout SeededRandom) throws(PlatformError) -> [SimulatedDevice] {
        let apps = try client.apps().value ?? []
        guard !apps.isEmpty else { throw .badResponse(url: configuration.apiURL, reason: "the platform lists no apps") }
        var catalogue: [(App, [Release])] = []
        for app in apps {
            let releases = try client.releases(app: app.id).value ?? []
            catalogue.append((app, releases))
        }
        let anrRegressionApp = catalogue.first { $0.0.platform == .android && $0.0.id != catalogue.first?.0.id }?.0.id
        return (0..<configuration.devices).map { n in
            let (app, releases) = catalogue[n % catalogue.count]
            let full = releases.filter { $0.stage == .full }.map(\.version)
            let newestFull = full.max { VersionOrder.compare($0, $1) == .orderedAscending } ?? releases.last?.version ?? "1.0.0"
            let version = Double.random(in: 0..<1, using: &rng) < 0.8 ? newestFull : (full.randomElement(using: &rng) ?? newestFull)
            // Seven in ten devices have someone signed in; a user has two devices of the app.
            let k = n / catalogue.count
            return SimulatedDevice(
                info: DeviceProfiles.device(n: n, seed: configuration.seed, platform: app.platform, rng: &rng),
                user: k % 10 < 7 ? "u-\(configuration.seed)-\(k / 2)" : nil,
                app: app.id, version: version, releaseStage: .full,
                anrRegression: app.id == anrRegressionApp ? newestFull : nil)
        }
    }
}

/// One device's state and behaviour.
struct SimulatedDevice {
    var info: DeviceInfo
    /// Who is signed in, if anyone (funnels may count by user).
    var user: String?
    var app: String
    var version: String
    var releaseStage: ReleaseStage
    /// The release of this app that has an ANR regression, if any.
    var anrRegression: String?
    var switches: [String: Bool] = [:]

    /// A few sessions, some ending in a crash or ANR, at rates that depend on the
    /// release (the staged incidents) and the switches the server gave this device.
    mutating func nextBatch(rng: inout SeededRandom, now: Date) -> SDKBatch {
        let sessionCount = Int.random(in: 1...3, using: &rng)
        var sessions: [SDKSession] = []
        var crashes: [SDKCrash] = []
        let checkoutOn = switches["new-checkout"] ?? true
        let spike = releaseStage == .gray && checkoutOn
        for _ in 0..<sessionCount {
            let roll = Double.random(in: 0..<1, using: &rng)
            var crashed = false
            if spike && roll < 0.3 {
                crashes.append(DeviceProfiles.checkoutCrash(platform: info.os, at: now))
                crashed = true
            } else if version == anrRegression && roll < 0.03 {
                crashes.append(DeviceProfiles.feedANR(platform: info.os, at: now))
                crashed = true
            } else if roll < 0.01 {
                crashes.append(DeviceProfiles.backgroundCrash(platform: info.os, rng: &rng, at: now))
                crashed = true
            }
            sessions.append(SDKSession(startedAt: now.addingTimeInterval(-Double.random(in: 5...600, using: &rng)),
                                       durationSeconds: Double.random(in: 5...600, using: &rng), crashed: crashed))
        }
        return SDKBatch(app: app, release: version, device: info, user: user, sessions: sessions, crashes: crashes,
                        funnelSteps: funnelWalk(rng: &rng, now: now))
    }

    /// Sometimes a walk through a funnel, stopping at each step with some chance. When
    /// the `pay-api` breaker is open, payments fail fast and almost nobody gets to `paid`.
    func funnelWalk(rng: inout SeededRandom, now: Date) -> [SDKFunnelStep] {
        let roll = Double.random(in: 0..<1, using: &rng)
        let funnel: DemoFunnels.Funnel
        var carryOn: [Double]
        if roll < 0.3 {
            funnel = DemoFunnels.checkout
            carryOn = [0.72, 0.81, 0.88, (switches["pay-api"] ?? true) ? 0.96 : 0.05]
        } else if roll < 0.4 {
            funnel = DemoFunnels.signup
            carryOn = [0.64, 0.7, 0.83, 0.91]
        } else {
            return []
        }
        var at = now.addingTimeInterval(-Double.random(in: 60...900, using: &rng))
        var steps = [SDKFunnelStep(name: funnel.steps[0], at: at)]
        for (index, chance) in carryOn.enumerated() {
            guard Double.random(in: 0..<1, using: &rng) < chance else { break }
            at = at.addingTimeInterval(Double.random(in: 3...90, using: &rng))
            steps.append(SDKFunnelStep(name: funnel.steps[index + 1], at: at))
        }
        return steps
    }
}

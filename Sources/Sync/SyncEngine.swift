import Cache
import CLinux
import Foundation
import Logging
import PlatformClient
import PlatformModel
import Synchronization

/// How the console's link to the platform is doing, as the header shows it.
public enum Connection: Sendable, Equatable {
    /// No answer yet in this run.
    case connecting
    case online
    /// The last attempt failed in a way that may pass (network, timeout, 5xx): retrying.
    case offline(reason: String)
    /// The server answered but will not serve us (token refused, bad address): a person
    /// must act; retried slowly.
    case refused(reason: String)
}

/// The live crash/ANR stream of the focused app.
public enum LiveFeedState: Sendable, Equatable {
    case off
    /// Fetching what happened while we were away, before following live.
    case catchingUp(app: String)
    case live(app: String)
    case reconnecting(reason: String)
}

public struct SyncStatus: Sendable, Equatable {
    public var connection: Connection
    /// When `connection` took its current value.
    public var since: Date
    /// Failed attempts in a row.
    public var failures: Int
    public var nextAttempt: Date?
    public var live: LiveFeedState

    public init(connection: Connection, since: Date, failures: Int = 0, nextAttempt: Date? = nil, live: LiveFeedState = .off) {
        self.connection = connection
        self.since = since
        self.failures = failures
        self.nextAttempt = nextAttempt
        self.live = live
    }
}

/// Keeps the cache fresh from the platform, and wakes the UI (`onChange`) once per
/// batch of writes or status change. The UI never waits on it: it reads the cache and
/// `status`.
///
/// Two background threads decide what to fetch; the bytes move on the process's one
/// network thread (libcurl's multi interface, `CurlMultiLoop`), so every request below
/// can be in flight at once and connections are shared:
/// - the poller fetches lists and feeds by a timetable: what is on screen every few
///   seconds, the focused app's other data less often, other apps rarely (`plan`);
///   due jobs go out up to `lanes` at a time, in the timetable's order;
///   conditional GETs (ETag) make an unchanged list cost one small 304;
/// - the live feed follows the focused app's crash/ANR stream (Server-Sent Events),
///   catching up from the `since` feed first and resuming with `Last-Event-ID`, so
///   that the cache holds each of the server's events exactly once.
public final class SyncEngine: Sendable {
    public struct Settings: Sendable {
        public var apiURL: String
        public var token: String?
        public var intervals: PollIntervals
        /// Longest pause between retries after failures.
        public var maximumBackoff: Duration
        public var timeouts: CurlTransport.Timeouts
        public var retention: Retention
        /// PEM CA certificates to trust (`--cacert`).
        public var caFile: String?

        public init(apiURL: String, token: String?, intervals: PollIntervals = .init(), maximumBackoff: Duration = .seconds(30),
                    timeouts: CurlTransport.Timeouts = .init(connect: 3, total: 15), retention: Retention = .init(), caFile: String? = nil) {
            self.caFile = caFile
            self.apiURL = apiURL
            self.token = token
            self.intervals = intervals
            self.maximumBackoff = maximumBackoff
            self.timeouts = timeouts
            self.retention = retention
        }
    }

    private struct Shared: Sendable {
        var status: SyncStatus
        var interest = Interest(app: nil)
        var refreshRequested = false
        var stopped = false
        var pollerCancellers: [Canceller] = []
        var feedCanceller: Canceller?
    }

    private let settings: Settings
    private let cache: CacheStore
    private let logger: Logger
    private let onChange: @Sendable () -> Void
    private let onConfirmed: @Sendable (Date) -> Void
    private let shared: Mutex<Shared>
    private let pollerWake = NSCondition()
    private let feedWake = NSCondition()

    /// `onChange`: the cache's content or Sync's status changed (read again).
    /// `onConfirmed`: a poll found nothing new (every answer a 304), so only the data's
    /// age changed; by default it is told as a change.
    public init(settings: Settings, cache: CacheStore, logger: Logger, onChange: @escaping @Sendable () -> Void,
                onConfirmed: (@Sendable (Date) -> Void)? = nil) {
        self.settings = settings
        self.cache = cache
        self.logger = logger
        self.onChange = onChange
        self.onConfirmed = onConfirmed ?? { _ in onChange() }
        shared = Mutex(Shared(status: SyncStatus(connection: .connecting, since: Date())))
    }

    public var status: SyncStatus { shared.withLock { $0.status } }

    /// Starts the background threads.
    public func start() {
        let poller = Thread { [self] in
            opsdeck_name_thread("opsdeck-sync")
            runPoller()
        }
        poller.start()
        let feed = Thread { [self] in
            opsdeck_name_thread("opsdeck-live")
            runLiveFeed()
        }
        feed.start()
    }

    /// Stops soon, without waiting: requests in flight are cancelled.
    public func stop() {
        let cancellers = shared.withLock { shared in
            shared.stopped = true
            return shared.pollerCancellers + [shared.feedCanceller].compactMap { $0 }
        }
        cancellers.forEach { $0.cancel() }
        signal(pollerWake)
        signal(feedWake)
    }

    /// Fetches everything now instead of when due (Ctrl-R), also cutting a backoff short.
    public func refresh() {
        shared.withLock { $0.refreshRequested = true }
        signal(pollerWake)
    }

    /// What the person is looking at: its data is fetched first and most often.
    public func focus(_ interest: Interest) {
        let (changed, appChanged, feed) = shared.withLock { shared in
            defer { shared.interest = interest }
            return (shared.interest != interest, shared.interest.app != interest.app, shared.feedCanceller)
        }
        guard changed else { return }
        signal(pollerWake)
        if appChanged {
            // The stream follows one app: end it, and start on the new one.
            feed?.interrupt()
            signal(feedWake)
        }
    }

    private func signal(_ condition: NSCondition) {
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    private var isStopped: Bool { shared.withLock { $0.stopped } }

    private func makeClient() -> PlatformClient? {
        do {
            return try PlatformClient(baseURL: settings.apiURL, token: settings.token, timeouts: settings.timeouts, caFile: settings.caFile)
        } catch {
            update(.refused(reason: error.description), failures: 1, next: nil)
            onChange()
            return nil
        }
    }

    // MARK: The poller

    /// How many of the poller's requests may be in flight at once.
    static let lanes = 4

    private func runPoller() {
        var clients: [PlatformClient] = []
        for _ in 0..<Self.lanes {
            guard let client = makeClient() else { return }
            clients.append(client)
        }
        shared.withLock { $0.pollerCancellers = clients.map(\.canceller) }
        // This thread runs each wave's first job; the lanes the rest.
        let lanes = Lanes(count: Self.lanes - 1, name: "opsdeck-lane")
        defer { lanes.stop() }
        let clock = ContinuousClock()
        var timetable = Timetable()
        var failures = 0
        var notBefore: ContinuousClock.Instant?
        while !isStopped {
            let (refresh, interest) = shared.withLock { shared in
                defer { shared.refreshRequested = false }
                return (shared.refreshRequested, shared.interest)
            }
            if refresh {
                timetable.forgetAll()
                notBefore = nil
            }
            if let wait = notBefore, clock.now < wait {
                sleep(pollerWake, until: wait, clock: clock) { $0.refreshRequested }
                continue
            }
            notBefore = nil
            let apps = ((try? cache.apps()) ?? []).map(\.id)
            let jobs = plan(apps: apps, interest: interest, intervals: settings.intervals)
            let due = timetable.due(jobs, at: clock.now).due
            var wroteAnything = false
            do throws(PlatformError) {
                var next = due[...]
                while !next.isEmpty {
                    if isStopped { throw PlatformError.cancelled }
                    // The person turned to something else: plan again, that first.
                    if shared.withLock({ $0.interest != interest || $0.refreshRequested }) { break }
                    let wave = Array(next.prefix(clients.count))
                    next = next.dropFirst(wave.count)
                    var failure: PlatformError?
                    for (job, outcome) in zip(wave, runTogether(wave, clients, lanes: lanes)) {
                        switch outcome {
                        case .success(let wrote):
                            wroteAnything = wrote || wroteAnything
                            timetable.ran(job, at: clock.now)
                        case .failure(let error):
                            // What succeeded beside a failure still counts as done.
                            if failure == nil || failure == .cancelled { failure = error }
                        }
                    }
                    if let failure { throw failure }
                    if failures > 0 || status.connection != .online {
                        failures = 0
                        update(.online, failures: 0, next: nil)
                        onChange()
                    }
                    // The focused app's data is on screen: show it before the rest.
                    if wroteAnything && wave.contains(where: { $0.app == interest.app }) { onChange(); wroteAnything = false }
                }
            } catch .cancelled {
                if isStopped { break }
            } catch {
                failures += 1
                var delay: Duration
                switch error {
                case .tokenRefused, .forbidden, .invalidURL:
                    delay = settings.maximumBackoff
                    update(.refused(reason: error.description), failures: failures, next: Date().addingTimeInterval(delay.seconds))
                default:
                    delay = Self.backoff(failures: failures, ceiling: settings.maximumBackoff)
                    // A server that says how long to wait is obeyed, past our own ceiling.
                    if let asked = error.retryAfter { delay = max(delay, .milliseconds(Int(asked * 1000))) }
                    update(.offline(reason: error.description), failures: failures, next: Date().addingTimeInterval(delay.seconds))
                }
                logger.warning("sync failed (\(failures) in a row), next try in \(delay): \(error.description)")
                notBefore = clock.now + delay
                onChange()
                continue
            }
            // Even an unchanged list (304) makes the data younger: let the header say so,
            // without a read of content that did not change.
            if wroteAnything {
                onChange()
            } else if !due.isEmpty {
                onConfirmed(Date())
            }
            // A new app list means new jobs (the first app's releases, on a first start):
            // plan again at once rather than after the next sleep.
            if ((try? cache.apps()) ?? []).map(\.id) != apps { continue }
            // What just ran is due again later; ask the timetable afresh.
            let (dueNow, nextDue) = timetable.due(jobs, at: clock.now)
            if !dueNow.isEmpty { continue }
            sleep(pollerWake, until: nextDue ?? clock.now + settings.intervals.visible, clock: clock) { shared in
                shared.refreshRequested || shared.interest != interest
            }
        }
        logger.info("sync stopped")
    }

    /// Runs jobs at once, one per client (the first on this thread, the others on the
    /// poller's lanes); their requests meet on the network thread. Outcomes in the jobs'
    /// order.
    private func runTogether(_ jobs: [Job], _ clients: [PlatformClient], lanes: Lanes) -> [Result<Bool, PlatformError>] {
        let outcomes = Mutex<[Result<Bool, PlatformError>]>(Array(repeating: .failure(.cancelled), count: jobs.count))
        let group = DispatchGroup()
        for index in jobs.indices.dropFirst() {
            group.enter()
            nonisolated(unsafe) let client = clients[index]  // each client is used by one thread at a time
            let job = jobs[index]
            lanes.run(on: index - 1) { [self] in
                let outcome = Result { () throws(PlatformError) in try run(job, client) }
                outcomes.withLock { $0[index] = outcome }
                group.leave()
            }
        }
        let first = Result { () throws(PlatformError) in try run(jobs[0], clients[0]) }
        outcomes.withLock { $0[0] = first }
        group.wait()
        return outcomes.withLock { $0 }
    }

    /// Runs one job; true when it changed the cache.
    private func run(_ job: Job, _ client: PlatformClient) throws(PlatformError) -> Bool {
        let now = Date()
        switch (job.kind, job.app) {
        case (.apps, _):
            return try conditional(.apps, now, fetch: { try client.apps(etag: $0) }) {
                try cache.replaceApps($0, etag: $1, at: now)
            }
        case (.releases, let app?):
            return try conditional(.releases(app: app), now, fetch: { try client.releases(app: app, etag: $0) }) {
                try cache.replaceReleases(app: app, $0, etag: $1, at: now)
            }
        case (.switches, let app?):
            return try conditional(.switches(app: app), now, fetch: { try client.switches(app: app, etag: $0) }) {
                try cache.replaceSwitches(app: app, $0, etag: $1, at: now)
            }
        case (.crashIssues, let app?):
            return try conditional(.crashIssues(app: app), now, fetch: { try client.crashIssues(app: app, etag: $0) }) {
                try cache.replaceCrashIssues(app: app, $0, etag: $1, at: now)
            }
        case (.crashEvents, let app?):
            return try catchUp(app: app, client) > 0
        case (.fleet, _):
            return try conditional(.fleet, now, fetch: { try client.fleet(etag: $0) }) {
                try cache.storeFleet($0, etag: $1, at: now)
            }
        case (.reach, let app?):
            return try conditional(.reach(app: app), now, fetch: { try client.reach(app: app, etag: $0) }) {
                try cache.storeReach($0, etag: $1, at: now)
            }
        case (.alerts, _):
            return try conditional(.alerts, now, fetch: { try client.alerts(etag: $0) }) {
                try cache.replaceAlerts($0, etag: $1, at: now)
            }
        case (.health, let app?):
            let releases = ((try? cache.releases(app: app)) ?? []).filter { ![.draft, .rolledBack].contains($0.stage) }
            var series: [MetricsSeries] = []
            for release in releases.prefix(12) {
                do {
                    series.append(try client.metrics(app: app, release: release.version, from: now.addingTimeInterval(-3600), to: now, stepSeconds: 60))
                } catch .notFound {
                    continue
                }
            }
            write { try cache.storeReleaseHealth(app: app, series, at: now) }
            return true
        case (.audit, _):
            var cursor = cursor(.audit)
            var changed = false
            while true {
                let page = try client.audit(since: cursor, limit: 500)
                write { try cache.storeAudit(page.items, cursor: page.nextCursor, at: now) }
                changed = changed || !page.items.isEmpty
                cursor = page.nextCursor
                if page.items.count < 500 || isStopped { return changed }
            }
        case (.prune, _):
            var removed = 0
            write { removed = try cache.prune(settings.retention) }
            if removed > 0 { logger.info("retention: removed \(removed) old rows from the cache") }
            return removed > 0
        default:
            return false
        }
    }

    /// A conditional GET of a list: a 304 only notes the time, new content replaces
    /// the cached list. A 404 (the app is gone) is not an outage.
    private func conditional<Value>(
        _ resource: SyncResource, _ now: Date,
        fetch: (String?) throws -> Fetched<Value>, store: (Value, String?) throws -> Void
    ) throws(PlatformError) -> Bool {
        let fetched: Fetched<Value>
        do {
            fetched = try fetch(etag(resource))
        } catch PlatformError.notFound(let detail) {
            logger.info("\(resource): not found on the server (\(detail ?? "no detail"))")
            return false
        } catch {
            // `fetch` only calls the client, whose errors are all `PlatformError`.
            throw error as? PlatformError ?? .badResponse(url: settings.apiURL, reason: "\(error)")
        }
        switch fetched {
        case .modified(let value, let etag):
            write { try store(value, etag) }
            return true
        case .notModified:
            write { try cache.markUnchanged(resource: resource, at: now) }
            return false
        }
    }

    /// Fetches an app's crash events after the stored cursor, page by page, storing each
    /// page with its cursor. Returns how many events were new.
    @discardableResult
    private func catchUp(app: String, _ client: PlatformClient) throws(PlatformError) -> Int {
        let resource = SyncResource.crashEvents(app: app)
        var cursor = cursor(resource)
        var stored = 0
        while true {
            let page = try client.crashEvents(app: app, since: cursor, limit: 500)
            write { stored += try cache.storeCrashEvents(app: app, page.items, cursor: page.nextCursor, at: Date()) }
            cursor = page.nextCursor
            if page.items.count < 500 || isStopped { return stored }
        }
    }

    // MARK: The live feed

    private func runLiveFeed() {
        guard let client = makeClient() else { return }
        let canceller = client.canceller
        shared.withLock { $0.feedCanceller = canceller }
        var failures = 0
        while !isStopped {
            guard let app = shared.withLock({ $0.interest.app }) else {
                setLive(.off)
                sleep(feedWake, until: ContinuousClock.now + .seconds(5), clock: ContinuousClock()) { $0.interest.app != nil }
                continue
            }
            canceller.resume()
            do {
                setLive(.catchingUp(app: app))
                if try catchUp(app: app, client) > 0 { onChange() }
                setLive(.live(app: app))
                failures = 0
                let resource = SyncResource.crashEvents(app: app)
                try client.followCrashes(app: app, lastEventID: cursor(resource) ?? "0") { events, lastID in
                    write { try cache.storeCrashEvents(app: app, events, cursor: lastID, at: Date()) }
                    onChange()
                    return !isStopped
                }
                // The server ended the stream (restart, shutdown): reconnect at once.
                logger.info("live crash stream of \(app) ended by the server; reconnecting")
            } catch .cancelled {
                if isStopped { break }
                // Interrupted to follow another app: go round with the new focus.
            } catch {
                failures += 1
                let delay = Self.backoff(failures: failures, ceiling: settings.maximumBackoff)
                setLive(.reconnecting(reason: error.description))
                logger.warning("live crash stream of \(app) failed (\(failures) in a row), again in \(delay): \(error.description)")
                let focused = app
                sleep(feedWake, until: ContinuousClock.now + delay, clock: ContinuousClock()) { $0.interest.app != focused }
            }
        }
        setLive(.off)
    }

    private func setLive(_ live: LiveFeedState) {
        let changed = shared.withLock { shared in
            defer { shared.status.live = live }
            return shared.status.live != live
        }
        if changed { onChange() }
    }

    // MARK: Helpers

    private func etag(_ resource: SyncResource) -> String? {
        (try? cache.syncRecord(resource: resource))?.etag
    }

    private func cursor(_ resource: SyncResource) -> String? {
        (try? cache.syncRecord(resource: resource))?.cursor
    }

    private func write(_ work: () throws -> Void) {
        do {
            try work()
        } catch {
            logger.error("cannot write the cache at \(cache.path): \(error)")
        }
    }

    private func update(_ connection: Connection, failures: Int, next: Date?) {
        shared.withLock { shared in
            let since = shared.status.connection.isSameKind(as: connection) ? shared.status.since : Date()
            shared.status.connection = connection
            shared.status.since = since
            shared.status.failures = failures
            shared.status.nextAttempt = next
        }
    }

    /// Sleeps until `deadline`, `stop()`, or `wake` holds after a signal.
    private func sleep(_ condition: NSCondition, until deadline: ContinuousClock.Instant, clock: ContinuousClock, wake: (Shared) -> Bool) {
        let date = Date().addingTimeInterval(max(0, (deadline - clock.now).seconds))
        condition.lock()
        defer { condition.unlock() }
        while !shared.withLock({ $0.stopped || wake($0) }) {
            if !condition.wait(until: date) { break }
        }
    }

    /// Exponential backoff with jitter: 1, 2, 4 ... seconds up to `ceiling`, each drawn
    /// from its upper half so that many consoles do not retry in step.
    static func backoff(failures: Int, ceiling: Duration) -> Duration {
        let exponent = min(max(failures - 1, 0), 16)
        let full = min(Double(1 << exponent), ceiling.seconds)
        return .milliseconds(Int(Double.random(in: full / 2...full) * 1000))
    }
}

extension SyncEngine {
    /// `backoff` in seconds, for tests of its bounds.
    public static func backoffForTesting(failures: Int, ceiling: Duration) -> Double {
        backoff(failures: failures, ceiling: ceiling).seconds
    }
}

extension Connection {
    /// Offline for one reason and then another is still the same outage.
    func isSameKind(as other: Connection) -> Bool {
        switch (self, other) {
        case (.connecting, .connecting), (.online, .online), (.offline, .offline), (.refused, .refused): true
        default: false
        }
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

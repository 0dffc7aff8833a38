import Cache
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

public struct SyncStatus: Sendable, Equatable {
    public var connection: Connection
    /// When `connection` took its current value.
    public var since: Date
    /// Failed attempts in a row.
    public var failures: Int
    public var nextAttempt: Date?

    public init(connection: Connection, since: Date, failures: Int = 0, nextAttempt: Date? = nil) {
        self.connection = connection
        self.since = since
        self.failures = failures
        self.nextAttempt = nextAttempt
    }
}

/// Keeps the cache fresh from the platform on one background thread, and wakes the UI
/// (`onChange`) once per batch of writes or status change. The UI never waits on it: it
/// reads the cache and `status`.
public final class SyncEngine: Sendable {
    public struct Settings: Sendable {
        public var apiURL: String
        public var token: String?
        /// Pause between two successful rounds.
        public var interval: Duration
        /// Longest pause between retries after failures.
        public var maximumBackoff: Duration
        public var timeouts: CurlTransport.Timeouts

        public init(apiURL: String, token: String?, interval: Duration = .seconds(5), maximumBackoff: Duration = .seconds(30), timeouts: CurlTransport.Timeouts = .init(connect: 3, total: 15)) {
            self.apiURL = apiURL
            self.token = token
            self.interval = interval
            self.maximumBackoff = maximumBackoff
            self.timeouts = timeouts
        }
    }

    private struct Shared: Sendable {
        var status: SyncStatus
        var focusApp: String?
        var refreshRequested = false
        var stopped = false
        var canceller: Canceller?
    }

    private let settings: Settings
    private let cache: CacheStore
    private let logger: Logger
    private let onChange: @Sendable () -> Void
    private let shared: Mutex<Shared>
    private let condition = NSCondition()

    public init(settings: Settings, cache: CacheStore, logger: Logger, onChange: @escaping @Sendable () -> Void) {
        self.settings = settings
        self.cache = cache
        self.logger = logger
        self.onChange = onChange
        shared = Mutex(Shared(status: SyncStatus(connection: .connecting, since: Date())))
    }

    public var status: SyncStatus { shared.withLock { $0.status } }

    /// Starts the background thread.
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "opsdeck.sync"
        thread.start()
    }

    /// Stops soon, without waiting: a request in flight is cancelled.
    public func stop() {
        let canceller = shared.withLock { shared in
            shared.stopped = true
            return shared.canceller
        }
        canceller?.cancel()
        signal()
    }

    /// Fetches now instead of at the next interval (Ctrl-R), also cutting a backoff short.
    public func refresh() {
        shared.withLock { $0.refreshRequested = true }
        signal()
    }

    /// The app the person is looking at is fetched first.
    public func focus(app: String?) {
        let changed = shared.withLock { shared in
            defer { shared.focusApp = app }
            return shared.focusApp != app
        }
        if changed { refresh() }
    }

    private func signal() {
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    private var isStopped: Bool { shared.withLock { $0.stopped } }

    private func run() {
        let client: PlatformClient
        do {
            client = try PlatformClient(baseURL: settings.apiURL, token: settings.token, timeouts: settings.timeouts)
        } catch {
            update(.refused(reason: error.description), failures: 1, next: nil)
            return
        }
        shared.withLock { $0.canceller = client.canceller }
        var failures = 0
        while !isStopped {
            shared.withLock { $0.refreshRequested = false }
            let delay: Duration
            do {
                try round(client)
                failures = 0
                delay = settings.interval
                update(.online, failures: 0, next: Date().addingTimeInterval(delay.seconds))
            } catch .cancelled {
                break
            } catch {
                failures += 1
                switch error {
                case .tokenRefused, .forbidden, .invalidURL:
                    delay = settings.maximumBackoff
                    update(.refused(reason: error.description), failures: failures, next: Date().addingTimeInterval(delay.seconds))
                default:
                    delay = Self.backoff(failures: failures, ceiling: settings.maximumBackoff)
                    update(.offline(reason: error.description), failures: failures, next: Date().addingTimeInterval(delay.seconds))
                }
                logger.warning("sync failed (\(failures) in a row), next try in \(delay): \(error.description)")
            }
            onChange()
            sleep(for: delay)
        }
        logger.info("sync stopped")
    }

    /// One pass over everything the console shows. Throws only `PlatformError`; a cache
    /// that cannot be written is reported as such and does not stop the console.
    private func round(_ client: PlatformClient) throws(PlatformError) {
        let now = Date()
        switch try client.apps(etag: etag(CacheStore.appsResource())) {
        case .modified(let apps, let etag): write { try cache.replaceApps(apps, etag: etag, at: now) }
        case .notModified: write { try cache.markUnchanged(resource: CacheStore.appsResource(), at: now) }
        }
        let focus = shared.withLock { $0.focusApp }
        var apps = ((try? cache.apps()) ?? []).map(\.id)
        if let focus, let index = apps.firstIndex(of: focus) {
            apps.remove(at: index)
            apps.insert(focus, at: 0)
        }
        for (index, app) in apps.enumerated() {
            if isStopped { throw .cancelled }
            let resource = CacheStore.releasesResource(app: app)
            switch try client.releases(app: app, etag: etag(resource)) {
            case .modified(let releases, let etag): write { try cache.replaceReleases(app: app, releases, etag: etag, at: now) }
            case .notModified: write { try cache.markUnchanged(resource: resource, at: now) }
            }
            // The focused app is on screen: let the UI show it before the rest arrives.
            if index == 0 { onChange() }
        }
    }

    private func etag(_ resource: String) -> String? {
        (try? cache.syncRecord(resource: resource))?.etag
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
            shared.status = SyncStatus(connection: connection, since: since, failures: failures, nextAttempt: next)
        }
    }

    private func sleep(for delay: Duration) {
        let deadline = Date().addingTimeInterval(delay.seconds)
        condition.lock()
        defer { condition.unlock() }
        while !shared.withLock({ $0.stopped || $0.refreshRequested }) {
            if !condition.wait(until: deadline) { break }
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

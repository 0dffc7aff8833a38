import Cache
import Dispatch
import Foundation
import Logging
import PlatformClient
import PlatformModel
import Sync
import Synchronization
import TUI
#if canImport(Glibc)
import Glibc
#endif

/// What the console needs to start.
public struct ConsoleOptions: Sendable {
    public var apiURL: String
    public var token: String?
    public var cachePath: String
    public var theme: Theme
    /// A notice to show in the flash line on start (e.g. "theme not found, using ...").
    public var startupNotice: String?
    public var retention: Retention
    /// Refuse every change (also hides the keys that would make one).
    public var readOnly: Bool
    /// Clicks and the wheel (`--no-mouse` leaves the terminal's own selection alone).
    public var mouse: Bool
    /// PEM CA certificates to trust for https (`--cacert`).
    public var caFile: String?

    public init(apiURL: String, token: String?, cachePath: String, theme: Theme, startupNotice: String? = nil, retention: Retention = .init(), readOnly: Bool = false, mouse: Bool = true, caFile: String? = nil) {
        self.apiURL = apiURL
        self.token = token
        self.cachePath = cachePath
        self.theme = theme
        self.startupNotice = startupNotice
        self.retention = retention
        self.readOnly = readOnly
        self.mouse = mouse
        self.caFile = caFile
    }
}

public struct ConsoleError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs the full-screen console on the calling thread until the person quits or a
/// SIGINT/SIGTERM/SIGHUP arrives. The terminal is restored on every way out.
///
/// The loop: paint from the cache first, then sleep in `poll()` on stdin and a wake-up
/// pipe; the sync thread writes the cache and wakes us; we re-read the cache, update the
/// state and repaint only the cells that changed.
public final class ConsoleRuntime {
    private let options: ConsoleOptions
    private let logger: Logger
    private let cache: CacheStore
    private let sync: SyncEngine
    private let waker = Waker()
    private var state: ConsoleState
    private let quitRequested = QuitFlag()
    private var latency = PaintLatency()
    private var theme: Theme
    /// When the crash issues last read from the cache were polled.
    private var issuesReadAt: Date?
    private var healthReadAt: Date?
    private let requests: RequestWorker
    /// Reads of the cache are at most this often; a live stream at thousands of events
    /// a second wakes us far more often than a person can see.
    private let minimumReadInterval: Duration = .milliseconds(200)

    public init(options: ConsoleOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        do {
            cache = try CacheStore(path: options.cachePath)
        } catch {
            throw ConsoleError(description: "cannot open or create the cache at \(options.cachePath): \(error)")
        }
        let waker = waker
        sync = SyncEngine(
            settings: .init(apiURL: options.apiURL, token: options.token, retention: options.retention, caFile: options.caFile), cache: cache, logger: logger,
            onChange: { waker.wake() })
        requests = RequestWorker(apiURL: options.apiURL, token: options.token, caFile: options.caFile, logger: logger, wake: { waker.wake() })
        state = ConsoleState(server: options.apiURL, sync: sync.status, now: Date())
        state.readOnly = options.readOnly
        theme = options.theme
        state.themeNames = Theme.available(searchPath: Theme.searchPath())
    }

    public func run() {
        let signals = installSignalHandlers()
        defer { signals.forEach { $0.cancel() } }

        // Paint what the cache knows before the first request returns.
        let firstApp = (try? cache.apps())?.first?.id
        state.appID = firstApp
        sync.focus(Interest(app: firstApp, visible: state.visibleData))
        _ = update(&state, .dataChanged(snapshot(), sync.status))
        if let note = cache.recoveryNote { _ = update(&state, .notice(note, isError: true)) }
        if let note = options.startupNotice { _ = update(&state, .notice(note, isError: true)) }
        sync.start()

        let terminal = CursesTerminal(colors: options.theme.name != "mono", mouse: options.mouse)
        defer {
            terminal.stop()
            sync.stop()
            requests.stop()
        }
        _ = update(&state, .resized(terminal.size))
        logger.info("console started against \(options.apiURL), cache \(options.cachePath), theme \(options.theme.name)")

        var running = true
        let clock = ContinuousClock()
        var lastRead = clock.now
        var dataPending = false
        // Draw only when something may have changed: a message other than the clock,
        // or a new second for the ages on screen. A fast stream wakes us far more often.
        var needsDraw = true
        var identifying = false
        var lastTickSecond = Int(Date().timeIntervalSince1970)
        defer { latency.log(to: logger) }
        while running && !quitRequested.isSet {
            if needsDraw {
                terminal.draw(view(state, theme: theme, size: terminal.size))
                latency.painted(state)
                needsDraw = false
            }
            // With data waiting behind the read limit, sleep only until it may be read.
            let untilRead = minimumReadInterval - (clock.now - lastRead)
            let timeout: Duration = dataPending ? max(.milliseconds(1), untilRead) : .seconds(1)
            // Data already waits: further wakes change nothing until it is read.
            let wait = waker.wait(input: STDIN_FILENO, timeout: timeout, ignoringWakes: dataPending)
            let now = Date()
            var messages: [Message] = [.tick(now)]
            if Int(now.timeIntervalSince1970) != lastTickSecond {
                lastTickSecond = Int(now.timeIntervalSince1970)
                needsDraw = true
            }
            messages += requests.takeFinished()
            if wait.woken { dataPending = true }
            if dataPending && clock.now - lastRead >= minimumReadInterval {
                messages.append(.dataChanged(snapshot(), sync.status))
                lastRead = clock.now
                dataPending = false
            }
            if wait.input {
                let keys = terminal.readKeys()
                if keys.isEmpty && isStdinGone() {
                    logger.info("terminal closed; quitting")
                    break
                }
                for key in keys {
                    messages.append(key == .resize ? .resized(terminal.size) : .key(key))
                }
            }
            let paneBefore = state.pane, filterBefore = state.crashFilter
            if messages.count > 1 { needsDraw = true }
            for message in messages {
                for effect in update(&state, message) {
                    switch effect {
                    case .quit: running = false
                    case .refresh: sync.refresh()
                    case .focus:
                        sync.focus(Interest(app: state.appID, visible: state.visibleData))
                        _ = update(&state, .dataChanged(snapshot(), sync.status))
                    case .redrawAll: terminal.invalidate()
                    case .loadCrashEvent(let id):
                        _ = update(&state, .crashEventLoaded(try? cache.crashEvent(id: id)))
                    case .theme(let name):
                        do {
                            theme = try Theme.load(name, searchPath: Theme.searchPath())
                            _ = update(&state, .notice("theme \(theme.name)", isError: false))
                        } catch {
                            _ = update(&state, .notice("\(error)", isError: true))
                        }
                        terminal.invalidate()
                    case .loadFunnels(let app):
                        requests.submit { client in
                            do throws(PlatformError) {
                                return .funnelsLoaded(app: app, .success(try client.funnels(app: app).value ?? []))
                            } catch {
                                return .funnelsLoaded(app: app, .failure(PlatformFailure(error.description)))
                            }
                        }
                    case .loadFunnelReport(let app, let funnel, let from, let to, let byRelease):
                        requests.submit { client in
                            do throws(PlatformError) {
                                let report = try client.funnelReport(app: app, funnel: funnel, from: from, to: to, byRelease: byRelease)
                                return .funnelReportLoaded(app: app, funnel: funnel, .success(report))
                            } catch {
                                return .funnelReportLoaded(app: app, funnel: funnel, .failure(PlatformFailure(error.description)))
                            }
                        }
                    case .perform(let dialog):
                        perform(dialog)
                    case .loadIssue(let app, let fingerprint):
                        requests.submit { client in
                            do throws(PlatformError) {
                                return .issueLoaded(fingerprint: fingerprint, .success(try client.crashIssue(app: app, fingerprint: fingerprint)))
                            } catch {
                                return .issueLoaded(fingerprint: fingerprint, .failure(PlatformFailure(error.description)))
                            }
                        }
                    }
                }
            }
            // Learn who the token is once the platform answers (the role shapes the keys).
            if state.caller == nil && !identifying && state.sync.connection == .online {
                identifying = true
                requests.submit { client in
                    do throws(PlatformError) {
                        return .identified(try client.me())
                    } catch {
                        return .notice("cannot tell the token's role: \(error.description)", isError: true)
                    }
                }
            }
            if state.pane != paneBefore {
                sync.focus(Interest(app: state.appID, visible: state.visibleData))
                _ = update(&state, .dataChanged(snapshot(), sync.status))
            } else if state.crashFilter != filterBefore {
                // The cache holds more of the matching events than the list on screen.
                _ = update(&state, .dataChanged(snapshot(), sync.status))
            }
        }
        logger.info("console stopped")
    }

    /// Sends a change on the request thread. The answer goes into the cache at once (so
    /// that the screen does not flip back until the next poll) and back to `update`.
    private func perform(_ dialog: ActionDialog) {
        let cache = cache, logger = logger
        requests.submit { client in
            let key = dialog.idempotencyKey
            switch dialog.action {
            case .setSwitch(let app, let name, let enabled):
                do throws(PlatformError) {
                    let changed = try client.patchSwitch(app: app, key: name, SwitchPatch(enabled: enabled, reason: dialog.reason),
                                                         ifMatch: dialog.ifMatch, idempotencyKey: key)
                    Self.store { try cache.updateSwitch(changed) }
                    logger.info("switch \(app)/\(name) set to \(enabled) (revision \(changed.revision)): \(dialog.reason)")
                    return .actionFinished(idempotencyKey: key, .switchChanged(changed))
                } catch .changedMeanwhile(_, let current) {
                    let latest = current.flatMap { try? WireFormat.decoder().decode(Switch.self, from: $0) }
                    if let latest { Self.store { try cache.updateSwitch(latest) } }
                    return .actionFinished(idempotencyKey: key, .switchConflict(current: latest))
                } catch {
                    logger.warning("switch \(app)/\(name) change failed: \(error.description)")
                    return .actionFinished(idempotencyKey: key, .failed(error.description))
                }
            case .setGray(let app, let version, _), .setStage(let app, let version, _), .release(let app, let version, _):
                do throws(PlatformError) {
                    let changed: Release
                    switch dialog.action {
                    case .setGray(_, _, let percent):
                        changed = try client.patchRelease(app: app, version: version, ReleasePatch(grayPercent: percent, reason: dialog.reason),
                                                          ifMatch: dialog.ifMatch, idempotencyKey: key)
                    case .setStage(_, _, let stage):
                        changed = try client.patchRelease(app: app, version: version, ReleasePatch(stage: stage, reason: dialog.reason),
                                                          ifMatch: dialog.ifMatch, idempotencyKey: key)
                    case .release(_, _, let command):
                        let action: PlatformClient.ReleaseAction = switch command {
                        case .halt: .halt
                        case .resume: .resume
                        case .rollback: .rollback
                        }
                        changed = try client.perform(action, app: app, version: version, reason: dialog.reason,
                                                     ifMatch: dialog.ifMatch, idempotencyKey: key)
                    case .setSwitch:
                        return .actionFinished(idempotencyKey: key, .failed("not a release change"))
                    }
                    Self.store { try cache.updateRelease(changed) }
                    logger.info("release \(app)/\(version) now \(changed.stage.rawValue) at \(changed.grayPercent)% (revision \(changed.revision)): \(dialog.reason)")
                    return .actionFinished(idempotencyKey: key, .releaseChanged(changed))
                } catch .changedMeanwhile(_, let current) {
                    let latest = current.flatMap { try? WireFormat.decoder().decode(Release.self, from: $0) }
                    if let latest { Self.store { try cache.updateRelease(latest) } }
                    return .actionFinished(idempotencyKey: key, .releaseConflict(current: latest))
                } catch {
                    logger.warning("release \(app)/\(version) change failed: \(error.description)")
                    return .actionFinished(idempotencyKey: key, .failed(error.description))
                }
            }
        }
    }

    /// The server's answer goes into the cache at once, so that the screen does not
    /// flip back until the next poll. A cache that cannot be written only loses that.
    private static func store(_ write: () throws -> Void) {
        try? write()
    }

    /// A list that changes only when polled is decoded again only then (or for another
    /// app); otherwise the last snapshot's copy serves. The snapshot's, not the screen's:
    /// the screen's is filtered, and clearing a filter must bring the rest back at once.
    private func readWhenPolled<Value: Collection>(_ resource: String, app: String, readAt: inout Date?, last: Value?,
                                                   read: () throws -> Value) throws -> Value {
        let polled = try cache.syncRecord(resource: resource)?.fetchedAt
        if let last, !last.isEmpty, polled == readAt, app == state.appID { return last }
        readAt = polled
        return try read()
    }

    /// Reads what the screen needs from the cache. A failed read keeps the last state.
    private func snapshot() -> CacheSnapshot {
        do {
            let apps = try cache.apps()
            let app = state.appID ?? apps.first?.id
            let releases = try app.map { try cache.releases(app: $0) } ?? []
            var snapshot = CacheSnapshot(apps: apps, releases: releases, releasesApp: app, lastFetched: try cache.lastFetched())
            if let app, state.pane == .crashes {
                snapshot.crashEvents = try cache.recentCrashEvents(app: app, limit: 300, matching: state.crashFilter)
                snapshot.crashEventCount = try cache.crashEventCount(app: app)
                snapshot.crashIssues = try readWhenPolled(CacheStore.crashIssuesResource(app: app), app: app, readAt: &issuesReadAt,
                                                          last: state.lastSnapshot?.crashIssues) { try cache.crashIssues(app: app) }
                if state.crashView == .issues, state.crashIssues.contains(where: { $0.trend == nil }) {
                    snapshot.issueTrends = try cache.issueTrends(app: app, buckets: CrashIssue.trendBuckets)
                }
            }
            if let app, state.pane == .breakers { snapshot.switches = try cache.switches(app: app) }
            // Releases chart it; Rollouts count the devices a change reaches from it.
            if let app, state.pane == .releases || state.pane == .rollouts {
                snapshot.health = try readWhenPolled(CacheStore.healthResource(app: app), app: app, readAt: &healthReadAt,
                                                     last: state.lastSnapshot?.health) { try cache.releaseHealth(app: app) }
            }
            if state.pane == .audit { snapshot.audit = try cache.audit(limit: 1000) }
            // Rollouts say which halts were the guardrail's.
            if state.pane == .rollouts { snapshot.audit = try cache.audit(limit: 200) }
            return snapshot
        } catch {
            logger.error("cannot read the cache: \(error)")
            return CacheSnapshot(apps: state.apps, releases: state.releases, releasesApp: state.appID, lastFetched: state.lastFetched,
                                 crashEvents: state.crashEvents, crashEventCount: state.crashEventCount, crashIssues: state.crashIssues,
                                 switches: state.switches, audit: state.audit, health: state.health)
        }
    }

    /// SIGINT, SIGTERM and SIGHUP (the SSH link dropped) end the loop cleanly, so that
    /// the terminal is always restored.
    private func installSignalHandlers() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let flag = quitRequested, waker = waker
            source.setEventHandler {
                flag.set()
                waker.wake()
            }
            source.resume()
            return source
        }
    }

    private func isStdinGone() -> Bool {
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, 0) > 0 && fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }
}

/// How old the newest crash event was when it was painted (its device time to the
/// screen), for `make bench`: logged when the console ends. Meaningful when the devices
/// share this machine's clock, as the benchmark's do.
struct PaintLatency {
    private var newestPainted: Int64?
    private var milliseconds: [Double] = []

    /// Counts each paint that shows a newer event than the last; the first paint only
    /// sets the mark (it may show what was cached before).
    mutating func painted(_ state: ConsoleState) {
        guard state.pane == .crashes, !state.livePaused, let newest = state.crashEvents.first, newest.id > newestPainted ?? -1 else { return }
        if newestPainted != nil, milliseconds.count < 1_000_000 { milliseconds.append(Date().timeIntervalSince(newest.at) * 1000) }
        newestPainted = newest.id
    }

    func log(to logger: Logger) {
        guard !milliseconds.isEmpty else { return }
        let sorted = milliseconds.sorted()
        func at(_ p: Double) -> Int { Int(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) }
        logger.info("paint latency: newest crash event from device to screen p50 \(at(0.5)) ms, p99 \(at(0.99)) ms, max \(Int(sorted.last!)) ms over \(sorted.count) paints")
    }
}

private final class QuitFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

import Cache
import CLinux
import Foundation
import Logging
import PlatformClient
import PlatformModel
import Sync
import Synchronization
import TUI

/// Where results come back to the UI thread: messages posted from any thread, and a
/// counter of Sync's changes. Both wake the UI; the counter is also compared on every
/// turn of the loop, so that new data is noticed even if a wake-up were ever lost.
final class Inbox: Sendable {
    let waker = Waker()
    private let messages = Mutex<[Message]>([])
    private let generation = Atomic<UInt64>(0)
    /// When Sync last changed the cache, in Unix ms.
    private let changedAt = Atomic<Int64>(0)

    func post(_ message: Message) {
        messages.withLock { $0.append(message) }
        waker.wake()
    }

    /// Sync wrote the cache or changed its status.
    func cacheChanged() {
        changedAt.store(Int64(Date().timeIntervalSince1970 * 1000), ordering: .relaxed)
        generation.add(1, ordering: .releasing)
        waker.wake()
    }

    /// The messages posted since the last call, and `.cacheChanged` when Sync's counter
    /// moved past `seen`.
    func take(seen: inout UInt64) -> [Message] {
        var taken = messages.withLock { messages in
            defer { messages = [] }
            return messages
        }
        let now = generation.load(ordering: .acquiring)
        if now != seen {
            seen = now
            let at = Date(timeIntervalSince1970: Double(changedAt.load(ordering: .relaxed)) / 1000)
            taken.insert(.cacheChanged(at: at), at: 0)
        }
        return taken
    }
}

/// What running an effect asks of the runtime itself.
enum RuntimeControl {
    case none
    case quit
    /// Quit, to be started again on this context.
    case switchContext(String)
    /// Forget what the terminal shows and paint every cell again.
    case redrawAll
}

/// Runs each effect `update` returns, off the UI thread: cache reads and file I/O on
/// the reader thread, requests on the request thread, Sync's focus as a call that only
/// records it. Results come back through the inbox as messages. Nothing here decides
/// policy: that is `update` and `follow`.
final class EffectRunner {
    private let sync: SyncEngine
    private let reader: CacheReader
    private let requests: RequestWorker
    private let cache: CacheStore
    private let logger: Logger
    private let deliver: @Sendable (Message) -> Void

    init(cache: CacheStore, sync: SyncEngine, requests: RequestWorker, reader: CacheReader, logger: Logger,
         deliver: @escaping @Sendable (Message) -> Void) {
        self.deliver = deliver
        self.cache = cache
        self.sync = sync
        self.requests = requests
        self.reader = reader
        self.logger = logger
    }

    func run(_ effect: Effect) -> RuntimeControl {
        switch effect {
        case .quit:
            return .quit
        case .switchContext(let name):
            return .switchContext(name)
        case .redrawAll:
            return .redrawAll
        case .refresh:
            sync.refresh()
        case .focus(let interest):
            sync.focus(interest)
        case .read(let read):
            reader.submit(.read(read))
        case .loadCrashEvent(let id):
            reader.submit(.crashEvent(id: id))
        case .theme(let name):
            reader.submit(.theme(name))
        case .checkCache:
            // A thread of its own: the check takes seconds on a large cache, and reads
            // for the screen go on beside it (WAL).
            let cache = cache, deliver = deliver
            let thread = Thread {
                opsdeck_name_thread("opsdeck-check")
                deliver(.cacheChecked(problem: cache.verify()))
            }
            thread.qualityOfService = .background
            thread.start()
        case .identify:
            requests.submit { client in
                do throws(PlatformError) {
                    return .identified(try client.me())
                } catch {
                    return .notice("cannot tell the token's role: \(error.description)", isError: true)
                }
            }
        case .loadFunnels(let app):
            requests.submit { client in
                do throws(PlatformError) {
                    return .funnelsLoaded(app: app, .success(try client.funnelDefinitions(app: app)))
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
        case .loadIssue(let app, let fingerprint):
            requests.submit { client in
                do throws(PlatformError) {
                    return .issueLoaded(fingerprint: fingerprint, .success(try client.crashIssue(app: app, fingerprint: fingerprint)))
                } catch {
                    return .issueLoaded(fingerprint: fingerprint, .failure(PlatformFailure(error.description)))
                }
            }
        case .perform(let dialog):
            perform(dialog)
        case .submitForm(let form):
            submit(form)
        case .previewTargeting(let app, let targeting):
            requests.submit { client in
                do throws(PlatformError) {
                    return .targetingPreviewed(targeting, .success(try client.previewTargeting(app: app, targeting)))
                } catch {
                    return .targetingPreviewed(targeting, .failure(PlatformFailure(error.description)))
                }
            }
        }
        return .none
    }

    /// Sends a filled-in form on the request thread; the answer goes into the cache.
    private func submit(_ form: Form) {
        let cache = cache, logger = logger
        guard case .success(let request) = formRequest(form) else { return }
        requests.submit { client in
            let key = form.idempotencyKey
            do throws(PlatformError) {
                switch request {
                case .createRelease(let app, let draft):
                    let release = try client.createRelease(app: app, draft, idempotencyKey: key)
                    logger.info("release \(app)/\(release.version) created as a draft: \(draft.reason)")
                    Self.store { try cache.updateRelease(release) }
                    return .formFinished(idempotencyKey: key, .success(.release(release)))
                case .setTargeting(let app, let version, let targeting, let reason):
                    let release = try client.patchRelease(app: app, version: version, ReleasePatch(targeting: targeting, reason: reason),
                                                          ifMatch: form.ifMatch ?? "*", idempotencyKey: key)
                    logger.info("release \(app)/\(version) targeting set (revision \(release.revision)): \(reason)")
                    Self.store { try cache.updateRelease(release) }
                    return .formFinished(idempotencyKey: key, .success(.release(release)))
                case .createSwitch(let app, let draft):
                    let item = try client.createSwitch(app: app, draft, idempotencyKey: key)
                    logger.info("switch \(app)/\(item.key) created: \(draft.reason)")
                    return .formFinished(idempotencyKey: key, .success(.switchItem(item)))
                case .createFunnel(let app, let draft):
                    let funnel = try client.createFunnel(app: app, draft, idempotencyKey: key)
                    logger.info("funnel \(app)/\(funnel.id) created: \(draft.reason)")
                    return .formFinished(idempotencyKey: key, .success(.funnel(funnel)))
                case .editFunnel(let app, let id, let draft):
                    let funnel = try client.updateFunnel(app: app, id: id, draft, ifMatch: form.ifMatch ?? "*", idempotencyKey: key)
                    logger.info("funnel \(app)/\(id) edited (revision \(funnel.revision ?? 0)): \(draft.reason)")
                    return .formFinished(idempotencyKey: key, .success(.funnel(funnel)))
                case .editSwitch(let app, let name, let patch):
                    let item = try client.patchSwitch(app: app, key: name, patch, ifMatch: form.ifMatch ?? "*", idempotencyKey: key)
                    logger.info("switch \(app)/\(name) edited (revision \(item.revision)): \(patch.reason)")
                    Self.store { try cache.updateSwitch(item) }
                    return .formFinished(idempotencyKey: key, .success(.switchItem(item)))
                }
            } catch {
                logger.warning("form \(form.title) failed: \(error.description)")
                return .formFinished(idempotencyKey: key, .failure(PlatformFailure(error.description)))
            }
        }
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
            case .triage(let app, let fingerprint, let triage):
                do throws(PlatformError) {
                    let changed = try client.triage(triage, app: app, fingerprint: fingerprint, reason: dialog.reason,
                                                    ifMatch: dialog.ifMatch, idempotencyKey: key)
                    Self.store { try cache.updateCrashIssue(changed) }
                    logger.info("issue \(app)/\(fingerprint) is now \(changed.status.rawValue) (revision \(changed.revision ?? 0)): \(dialog.reason)")
                    return .actionFinished(idempotencyKey: key, .issueChanged(changed))
                } catch .changedMeanwhile(_, let current) {
                    let latest = current.flatMap { try? WireFormat.decoder().decode(CrashIssue.self, from: $0) }
                    if let latest { Self.store { try cache.updateCrashIssue(latest) } }
                    return .actionFinished(idempotencyKey: key, .issueConflict(current: latest))
                } catch {
                    logger.warning("issue \(app)/\(fingerprint) triage failed: \(error.description)")
                    return .actionFinished(idempotencyKey: key, .failed(error.description))
                }
            case .acknowledge(let id):
                do throws(PlatformError) {
                    let alert = try client.acknowledgeAlert(id: id, reason: dialog.reason, ifMatch: dialog.ifMatch, idempotencyKey: key)
                    Self.store { try cache.updateAlert(alert) }
                    logger.info("alert \(id) acknowledged: \(dialog.reason)")
                    return .actionFinished(idempotencyKey: key, .alertAcknowledged(alert))
                } catch .changedMeanwhile(_, let current) {
                    // Re-evaluated (new figures) or acknowledged by someone else meanwhile.
                    let latest = current.flatMap { try? WireFormat.decoder().decode(Alert.self, from: $0) }
                    if let latest {
                        Self.store { try cache.updateAlert(latest) }
                        if latest.acknowledgedAt != nil { return .actionFinished(idempotencyKey: key, .alertAcknowledged(latest)) }
                    }
                    return .actionFinished(idempotencyKey: key, .failed("the alert changed meanwhile; Esc, look again, and acknowledge the new state"))
                } catch {
                    logger.warning("alert \(id) acknowledgement failed: \(error.description)")
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
                    case .setSwitch, .acknowledge, .triage:
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
}

/// The thread that reads the cache (and theme files) for the UI, so that the UI thread
/// never waits on SQLite or the disk. Reads of the screen's data coalesce: when several
/// wait, only the newest runs (`follow` never sends two, but a burst must not queue).
final class CacheReader: Sendable {
    enum Job: Sendable {
        case read(CacheRead)
        case crashEvent(id: Int64)
        case theme(String)
    }

    private let queue = JobQueue<Job>()

    init(cache: CacheStore, status: @escaping @Sendable () -> SyncStatus, logger: Logger, deliver: @escaping @Sendable (Message) -> Void) {
        let thread = Thread { [self] in
            opsdeck_name_thread("opsdeck-reader")
            var memo = SnapshotMemo()
            while let job = queue.next() {
                deliver(Self.run(job, cache: cache, status: status, memo: &memo, logger: logger))
            }
        }
        thread.start()
    }

    /// A read replaces a read still waiting: only the newest answers what is on screen.
    func submit(_ job: Job) {
        queue.submit(job) { waiting in
            if case .read = job, case .read = waiting { true } else { false }
        }
    }

    func stop() {
        queue.stop()
    }

    private static func run(_ job: Job, cache: CacheStore, status: () -> SyncStatus, memo: inout SnapshotMemo, logger: Logger) -> Message {
        switch job {
        case .read(let read):
            // The status first: data read after it is at least as new as it says.
            let status = status()
            do {
                return .dataChanged(try memo.snapshot(read, from: cache), status)
            } catch {
                logger.error("cannot read the cache: \(error)")
                return .readFailed("\(error)")
            }
        case .crashEvent(let id):
            do {
                return .crashEventLoaded(try cache.crashEvent(id: id))
            } catch {
                logger.error("cannot read crash event \(id) from the cache: \(error)")
                return .readFailed("\(error)")
            }
        case .theme(let name):
            do {
                return .themeLoaded(.success(try Theme.load(name, searchPath: Theme.searchPath())))
            } catch {
                return .themeLoaded(.failure(PlatformFailure("\(error)")))
            }
        }
    }
}

/// Reads a `CacheRead`. Lists that change only when polled (issues, health) are decoded
/// again only when polled or for another app; otherwise the last read's copy serves.
struct SnapshotMemo {
    private var issues = PolledMemo<[CrashIssue]>()
    private var health = PolledMemo<[String: MetricsSeries]>()
    private var fleet = PolledMemo<FleetOverview?>()
    private var alerts = PolledMemo<[Alert]>()

    mutating func snapshot(_ read: CacheRead, from cache: CacheStore) throws -> CacheSnapshot {
        let apps = try cache.apps()
        let app = read.app ?? apps.first?.id
        let releases = try app.map { try cache.releases(app: $0) } ?? []
        var snapshot = CacheSnapshot(apps: apps, releases: releases, releasesApp: app, lastFetched: try cache.lastFetched())
        snapshot.read = read
        snapshot.alerts = try alerts.value(of: .alerts, in: cache) { try cache.alerts() }
        if read.fleet {
            snapshot.fleet = try fleet.value(of: .fleet, in: cache) { try cache.fleet() }
        }
        guard let app else { return snapshot }
        if let filter = read.crashEvents {
            snapshot.crashEvents = try cache.recentCrashEvents(app: app, limit: 300, matching: filter)
            snapshot.crashEventCount = try cache.crashEventCount(app: app)
        }
        if read.crashIssues {
            snapshot.crashIssues = try issues.value(of: .crashIssues(app: app), in: cache) { try cache.crashIssues(app: app) }
            if read.issueTrends, snapshot.crashIssues.contains(where: { $0.trend == nil }) {
                snapshot.issueTrends = try cache.issueTrends(app: app, buckets: CrashIssue.trendBuckets)
            }
        }
        if read.switches { snapshot.switches = try cache.switches(app: app) }
        if read.reach { snapshot.reach = try cache.reach(app: app) }
        if read.health {
            snapshot.health = try health.value(of: .health(app: app), in: cache) { try cache.releaseHealth(app: app) }
        }
        if read.auditLimit > 0 { snapshot.audit = try cache.audit(limit: read.auditLimit) }
        return snapshot
    }
}

/// One cache read kept until its resource is polled again: what a poll answered does not
/// change between polls, and decoding it again five times a second costs more than the
/// `sync_state` row that says whether it did.
struct PolledMemo<Value> {
    private var last: (resource: SyncResource, polledAt: Date?, value: Value)?

    mutating func value(of resource: SyncResource, in cache: CacheStore, read: () throws -> Value) throws -> Value {
        let polledAt = try cache.syncRecord(resource: resource)?.fetchedAt
        if let last, last.resource == resource, last.polledAt == polledAt { return last.value }
        let value = try read()
        last = (resource, polledAt, value)
        return value
    }
}

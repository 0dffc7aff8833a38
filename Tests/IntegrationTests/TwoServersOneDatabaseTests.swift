import Foundation
import Logging
import PlatformClient
import PlatformModel
@testable import PlatformServer
import Synchronization
import TestSupport
import XCTest

/// Two servers on one PostgreSQL database are interchangeable (issue 17): a client may
/// send each request to either. Runs when OPSDECK_TEST_POSTGRES names a PostgreSQL server
/// (`make test` starts a private one); on SQLite there is only ever one server per store.
final class TwoServersOneDatabaseTests: XCTestCase {
    var a: TestServer!
    var b: TestServer!

    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["OPSDECK_TEST_POSTGRES"]?.isEmpty == false else {
            throw XCTSkip("needs OPSDECK_TEST_POSTGRES=postgres://USER@HOST:PORT (make test starts a cluster: Tests/pg/cluster.sh)")
        }
        let admin = AccessToken(name: "adam", role: .admin, token: "admin-token-0123456789")
        a = try TestServer.start(tokens: [admin], watching: false)
        b = try TestServer.start(tokens: [admin], databasePath: a.databasePath, watching: false)
    }

    override func tearDown() {
        a?.stop()
        b?.stop()
    }

    func client(_ server: TestServer) throws -> PlatformClient { try Self.client(server.url) }

    static func client(_ url: String) throws -> PlatformClient {
        try PlatformClient(baseURL: url, token: "admin-token-0123456789", timeouts: .init(connect: 2, total: 30))
    }

    func grayRelease() throws -> Release {
        let client = try client(a)
        for app in try XCTUnwrap(client.apps().value) {
            if let release = try XCTUnwrap(client.releases(app: app.id).value).first(where: { $0.stage == .gray }) { return release }
        }
        throw TestFailure("the seeded catalogue has no gray release")
    }

    /// 2 × 500 changes of one release, each sent with the revision its sender last read,
    /// half through each server, 16 at a time: every revision is made by exactly one
    /// success, every other answer is a 412, and the audit log has one entry per success.
    func testConcurrentConflictingChangesThroughTwoServersLoseNothing() throws {
        let gray = try grayRelease()
        let successes = Mutex<[Int]>([]), conflicts = Atomic<Int>(0), others = Mutex<[String]>([])
        let next = Atomic<Int>(0)
        let servers = [a.url, b.url]
        // 16 senders at once, each on its own thread until the 1,000 are sent.
        DispatchQueue.concurrentPerform(iterations: 16) { worker in
            guard let client = try? Self.client(servers[worker % 2]) else { return }
            var etag = gray.etag
            while true {
                let n = next.add(1, ordering: .relaxed).oldValue
                guard n < 1000 else { return }
                do {
                    let changed = try client.patchRelease(app: gray.app, version: gray.version,
                                                          ReleasePatch(grayPercent: Double(1 + n % 99), reason: "race \(n)"), ifMatch: etag)
                    successes.withLock { $0.append(changed.revision) }
                    etag = changed.etag
                } catch PlatformError.changedMeanwhile(_, let current) {
                    conflicts.add(1, ordering: .relaxed)
                    if let current, let now = try? WireFormat.decoder().decode(Release.self, from: current) { etag = now.etag }
                } catch {
                    others.withLock { $0.append("\(error)") }
                }
            }
        }
        XCTAssertEqual(others.withLock { $0 }, [], "every answer was a success or a 412")
        let made = successes.withLock { $0 }.sorted()
        XCTAssertEqual(made.count + conflicts.load(ordering: .relaxed), 1000)
        XCTAssertEqual(made, Array((gray.revision + 1)...(gray.revision + made.count)), "each revision was made once, none skipped")
        let final = try client(b).release(app: gray.app, version: gray.version)
        XCTAssertEqual(final.revision, gray.revision + made.count)
        var audited = 0
        var cursor: String?
        repeat {
            let page = try client(a).audit(since: cursor, limit: 1000)
            audited += page.items.filter { $0.target == "\(gray.app)/\(gray.version)" && $0.reason.hasPrefix("race ") }.count
            cursor = page.items.isEmpty ? nil : page.nextCursor
        } while cursor != nil
        XCTAssertEqual(audited, made.count, "one audit entry per success, none for a 412")
    }

    /// A retry of a change with the same Idempotency-Key, sent to the other server,
    /// answers the first result and changes nothing again.
    func testAnIdempotentRetryOnTheOtherServerAnswersTheFirstResult() throws {
        let gray = try grayRelease()
        let patch = ReleasePatch(grayPercent: 42, reason: "once only")
        let first = try client(a).patchRelease(app: gray.app, version: gray.version, patch, ifMatch: gray.etag, idempotencyKey: "retry-across-servers")
        let again = try client(b).patchRelease(app: gray.app, version: gray.version, patch, ifMatch: gray.etag, idempotencyKey: "retry-across-servers")
        XCTAssertEqual(again, first)
        XCTAssertEqual(try client(b).release(app: gray.app, version: gray.version).revision, gray.revision + 1)
    }

    /// A crash sent to A reaches a live stream held open on B within a second, and a
    /// stream resumed on A after B's last id goes on with the next event, none twice.
    func testAnEventIngestedOnOneServerReachesTheOthersStream() throws {
        let app = try XCTUnwrap(try client(a).apps().value?.first)
        let release = try XCTUnwrap(try client(a).releases(app: app.id).value?.first?.version)
        func send(_ n: Int) throws -> Int64 {
            let receipt = try client(a).send(SDKBatch(
                app: app.id, release: release, device: DeviceInfo(id: "two-servers", os: app.platform, osVersion: "14", model: "Pixel 8"),
                crashes: [SDKCrash(kind: .crash, exceptionType: "Across\(n)", message: "sent to A", frames: [], at: Date())]))
            return try XCTUnwrap(receipt.crashIds.first)
        }
        // B's stream starts just before event 0, so that receiving it says the stream is
        // open and caught up; event 1, sent after, can only come by A's announcement.
        let first = try send(0)
        let received = Mutex<[(CrashEvent, Date)]>([])
        let bURL = b.url, appID = app.id
        let following = Thread {
            guard let client = try? Self.client(bURL) else { return }
            _ = try? client.followCrashes(app: appID, lastEventID: String(first - 1), idleTimeout: 30) { event in
                let count = received.withLock { $0.append((event, Date())); return $0.count }
                return count < 2
            }
        }
        following.start()
        try waitUntil("B's stream delivered event 0", timeout: 10) { received.withLock { $0.count } >= 1 }
        let sent = Date()
        _ = try send(1)
        try waitUntil("the event sent to A is on B's stream", timeout: 5) { received.withLock { $0.count } >= 2 }
        let (event, at) = try XCTUnwrap(received.withLock { $0.last })
        XCTAssertEqual(received.withLock { $0.map(\.0.exceptionType) }, ["Across0", "Across1"])
        XCTAssertLessThan(at.timeIntervalSince(sent), 1.0, "within a second")

        _ = try send(2)
        _ = try send(3)
        var resumed: [CrashEvent] = []
        _ = try client(a).followCrashes(app: app.id, lastEventID: String(event.id), idleTimeout: 10) { next in
            resumed.append(next)
            return resumed.count < 2
        }
        XCTAssertEqual(resumed.map(\.exceptionType), ["Across2", "Across3"], "resumed on A right after B's last id")
    }

    /// A switch flipped through A changes B's upgrade answers within a second.
    func testAChangeOnOneServerReachesTheOthersUpgradeCheckWithinASecond() throws {
        let app = try XCTUnwrap(try client(a).apps().value?.first)
        let release = try XCTUnwrap(try client(a).releases(app: app.id).value?.first?.version)
        let device = DeviceInfo(id: "device-check", os: app.platform, osVersion: "14", model: "Pixel 8")
        let item = try XCTUnwrap(try client(a).switches(app: app.id).value?.first { $0.scope == SwitchScope() })
        let before = try client(b).check(app: app.id, device: device, version: release)
        XCTAssertEqual(before.switches[item.key], item.enabled, "B's snapshot is warm")
        _ = try client(a).patchSwitch(app: app.id, key: item.key, SwitchPatch(enabled: !item.enabled, reason: "flip across"), ifMatch: item.etag)
        let flipped = Date()
        try waitUntil("B answers the flipped value", timeout: 5) {
            try self.client(self.b).check(app: app.id, device: device, version: release).switches[item.key] == !item.enabled
        }
        XCTAssertLessThan(Date().timeIntervalSince(flipped), 1.0)
    }

    /// Guardrails and alerts run on one server at a time: of two on one database, one
    /// leads, and asking again does not change which.
    func testOneServerOfTwoRunsThePeriodicWork() async throws {
        let first = await a.server.store.leadsPeriodicWork(), second = await b.server.store.leadsPeriodicWork()
        XCTAssertNotEqual(first, second, "exactly one leads (A: \(first), B: \(second))")
        let again = await b.server.store.leadsPeriodicWork()
        XCTAssertEqual(again, second)

        // The leader's connection dies (as it does when its process is killed): the lock
        // is PostgreSQL's to give, and the other server takes it at its next round.
        let (leader, other) = first ? (a!, b!) : (b!, a!)
        let admin = try PostgresDatabase(XCTUnwrap(PostgresLocation(a.databasePath)), connections: 1,
                                         logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let ended = try admin.session { db in
            try db.value("""
                SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks
                WHERE locktype = 'advisory' AND objid = ? AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """, [Int64(PostgresDatabase.leaderLock & 0xFFFF_FFFF)], as: Int.self)
        }
        XCTAssertEqual(ended, 1, "one connection held the leader's lock")
        let taken = await other.server.store.leadsPeriodicWork()
        XCTAssertTrue(taken, "the other server took over")
        let stillLeads = await leader.server.store.leadsPeriodicWork()
        XCTAssertFalse(stillLeads, "the old leader does not lead beside it")
    }
}

import Foundation
import Logging
import PlatformClient
import PlatformModel
@testable import PlatformServer
import Synchronization
import TestSupport
import XCTest

/// PostgreSQL's volume tables (issue 17): sessions, crash events and funnel steps are
/// partitioned by day, the console's queries on them are index-backed, and retention
/// drops whole days. Runs when OPSDECK_TEST_POSTGRES names a PostgreSQL server.
final class PostgresVolumeTests: XCTestCase {
    var server: TestServer!
    var database: PostgresDatabase!
    let logger = Logger(label: "test.volume") { _ in SwiftLogNoOpLogHandler() }

    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["OPSDECK_TEST_POSTGRES"]?.isEmpty == false else {
            throw XCTSkip("needs OPSDECK_TEST_POSTGRES=postgres://USER@HOST:PORT (make test starts a cluster: Tests/pg/cluster.sh)")
        }
        server = try TestServer.start(watching: false)
        database = try PostgresDatabase(XCTUnwrap(PostgresLocation(server.databasePath)), connections: 2, logger: logger)
    }

    override func tearDown() {
        PostgresSession.observer.withLock { $0 = nil }
        server?.stop()
    }

    /// Rows spread over ten apps and the last twenty hours (the days' partitions exist
    /// from yesterday on): each console query asks for one app and at most an hour.
    func fill(crashes: Int, sessions: Int, steps: Int) throws {
        let now = Date().unixMilliseconds, span: Int64 = 20 * 3_600_000
        try database.session { db in
            try db.execute("""
                INSERT INTO crash_events (app, release, kind, fingerprint, deviceId, os, osVersion, model, exceptionType, message, frames, at)
                SELECT CASE WHEN n % 10 = 0 THEN 'wallet-android' ELSE 'bulk-' || (n % 10) END, '5.3.0',
                       CASE WHEN n % 7 = 0 THEN 'anr' ELSE 'crash' END, 'fp-' || (n % 50), 'device-' || (n % 5000), 'android', '14',
                       'Pixel 8', 'java.lang.Bulk' || (n % 50), 'bulk', '[]', ? - (n * ?) / ?
                FROM generate_series(1, ?) AS n
                """, [now, span, crashes, crashes])
            try db.execute("""
                INSERT INTO sessions (app, release, device, startedAt, durationSeconds, crashed)
                SELECT CASE WHEN n % 10 = 0 THEN 'wallet-android' ELSE 'bulk-' || (n % 10) END, '5.3.0', 'device-' || (n % 5000),
                       ? - (n * ?) / ?, 60, n % 50 = 0
                FROM generate_series(1, ?) AS n
                """, [now, span, sessions, sessions])
            try db.execute("""
                INSERT INTO funnel_events (app, release, device, name, at)
                SELECT CASE WHEN n % 10 = 0 THEN 'wallet-android' ELSE 'bulk-' || (n % 10) END, '5.3.0', 'device-' || (n % 5000),
                       'step-' || (n % 4), ? - (n * ?) / ?
                FROM generate_series(1, ?) AS n
                """, [now, span, steps, steps])
            try db.execute("ANALYZE")
        }
    }

    /// Every query the console's requests make on the volume tables, EXPLAINed with its
    /// own values against 300,000 events, 300,000 sessions and 100,000 funnel steps: none
    /// reads a day's partition whole.
    func testTheConsolesQueriesAreIndexBacked() async throws {
        try fill(crashes: 300_000, sessions: 300_000, steps: 100_000)
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let app = "wallet-android"
        _ = try client.send(SDKBatch(app: app, release: "5.3.0", device: DeviceInfo(id: "plan", os: .android, osVersion: "14", model: "Pixel 8"),
                                     crashes: [SDKCrash(kind: .crash, exceptionType: "Plan", message: "m", frames: [], at: Date())]))
        let seen = Mutex<[(String, [SQLValue])]>([])
        PostgresSession.observer.withLock { $0 = { sql, values in seen.withLock { $0.append((sql, values)) } } }
        // What the console asks while an incident runs: the live list and its catch-up,
        // issues and an issue's detail, release health, the fleet, a funnel, alerts.
        let events = try client.crashEvents(app: app, since: "1", limit: 500)
        _ = try client.crashEvents(app: app, since: String(events.items.last?.id ?? 1), limit: 500)
        let issues = try XCTUnwrap(client.crashIssues(app: app).value)
        _ = try client.crashIssue(app: app, fingerprint: try XCTUnwrap(issues.first).fingerprint)
        _ = try client.metrics(app: app, release: "5.3.0", from: Date().addingTimeInterval(-3600), to: Date())
        _ = try client.metrics(app: app, release: nil, from: Date().addingTimeInterval(-3600), to: Date())
        _ = try client.fleet()
        let funnel = try XCTUnwrap(client.funnels(app: app).value?.first)
        _ = try client.funnelReport(app: app, funnel: funnel.id, from: Date().addingTimeInterval(-3600), to: Date())
        _ = try client.followCrashes(app: app, lastEventID: String(events.items.last?.id ?? 1), idleTimeout: 2) { _ in false }
        _ = try await server.server.store.evaluateAlerts(rules: AlertRules())
        PostgresSession.observer.withLock { $0 = nil }

        let volume = ["crash_events", "sessions", "funnel_events"]
        let queries = seen.withLock { $0 }.filter { sql, _ in
            sql.trimmingCharacters(in: .whitespacesAndNewlines).uppercased().hasPrefix("SELECT") && volume.contains { sql.contains($0) }
        }
        for table in volume {
            XCTAssertTrue(queries.contains { $0.0.contains(table) }, "the requests read \(table)")
        }
        // The days that hold the rows (the planner rightly reads an empty day whole).
        let large = Set(try database.session { db in
            try db.values("SELECT relname FROM pg_class WHERE relkind = 'r' AND reltuples > 10000", as: String.self)
        })
        XCTAssertFalse(large.isEmpty)
        var explained = 0
        for (sql, values) in queries {
            let plan = try database.session { db in try db.values("EXPLAIN " + sql, values.map { $0 }, as: String.self) }.joined(separator: "\n")
            explained += 1
            let wholeDays = plan.split(separator: "\n").filter { line in
                large.contains { line.contains("Seq Scan on \($0) ") }
            }
            XCTAssertTrue(wholeDays.isEmpty, "a day's partition read whole by:\n\(sql)\n\(plan)")
        }
        XCTAssertGreaterThan(explained, 10)
    }

    /// Days older than the retention are dropped whole; what the default partition holds
    /// from before the cutoff is deleted; the rest stays.
    func testRetentionDropsWholeDays() async throws {
        let now = Date()
        let old = now.addingTimeInterval(-10 * 86_400)
        try PostgresPartitions.ensure(database, now: old, logger: logger)
        let oldDay = "crash_events_" + PostgresPartitions.suffix(day: old.unixMilliseconds / PostgresPartitions.dayMilliseconds)
        try database.session { db in
            for (at, n) in [(old.unixMilliseconds, 3), (now.unixMilliseconds, 2), (now.addingTimeInterval(-30 * 86_400).unixMilliseconds, 1)] {
                try db.execute("""
                    INSERT INTO crash_events (app, release, kind, fingerprint, deviceId, os, osVersion, model, exceptionType, message, frames, at)
                    SELECT 'wallet-android', '5.3.0', 'crash', 'fp', 'd', 'android', '14', 'Pixel 8', 'E', 'm', '[]', ? FROM generate_series(1, ?)
                    """, [at, n])
            }
        }
        XCTAssertTrue(try database.session { try PostgresPartitions.existing($0) }.contains(oldDay))
        let done = try await server.server.store.maintainVolume(now: now, retention: 7 * 86_400, logger: logger)
        XCTAssertTrue(done.contains("dropped \(oldDay)"), "\(done)")
        let partitions = try database.session { try PostgresPartitions.existing($0) }
        XCTAssertFalse(partitions.contains(oldDay))
        XCTAssertTrue(partitions.contains("crash_events_" + PostgresPartitions.suffix(day: now.unixMilliseconds / PostgresPartitions.dayMilliseconds)))
        let left = try database.session { try $0.value("SELECT COUNT(*) FROM crash_events", as: Int.self) }
        XCTAssertEqual(left, 2, "the 3 events of ten days ago went with their day, the 1 of a month ago from the default")
    }
}

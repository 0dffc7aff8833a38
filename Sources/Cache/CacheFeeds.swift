import Foundation
import GRDB
import PlatformModel

/// How much of the feeds the cache keeps. Lists (releases, switches, issues) are
/// replaced whole and need no limit; feeds grow and are trimmed by age and by count.
public struct Retention: Sendable, Equatable {
    /// Crash events and audit entries older than this (by when they reached the cache) go.
    public var maximumAge: TimeInterval
    /// The newest this many crash events are kept per app.
    public var crashEventsPerApp: Int
    public var auditEntries: Int

    public init(maximumAge: TimeInterval = 7 * 86_400, crashEventsPerApp: Int = 100_000, auditEntries: Int = 20_000) {
        self.maximumAge = maximumAge
        self.crashEventsPerApp = crashEventsPerApp
        self.auditEntries = auditEntries
    }
}

/// One crash or ANR as the live list shows it: no stack, which is read on demand.
/// Which crash events to show: one release, one kind, one OS; nil matches all.
public struct CrashEventFilter: Sendable, Equatable {
    public var release: String?
    public var kind: CrashKind?
    public var os: Platform?

    public init(release: String? = nil, kind: CrashKind? = nil, os: Platform? = nil) {
        self.release = release
        self.kind = kind
        self.os = os
    }

    public var isEmpty: Bool { release == nil && kind == nil && os == nil }

    public func matches(_ event: CrashEventSummary) -> Bool {
        (release == nil || event.release == release) && (kind == nil || event.kind == kind) && (os == nil || event.os == os)
    }

    /// Issues carry releases and a kind, not an OS: the OS narrows only events.
    public func matches(_ issue: CrashIssue) -> Bool {
        (release.map { issue.releases.contains($0) } ?? true) && (kind == nil || issue.kind == kind)
    }
}

public struct CrashEventSummary: Sendable, Equatable, Identifiable {
    public var id: Int64
    public var release: String
    public var kind: CrashKind
    public var fingerprint: String
    public var exceptionType: String
    public var message: String
    public var os: Platform
    public var osVersion: String
    public var model: String
    public var at: Date
    /// When it reached this cache.
    public var storedAt: Date

    public init(id: Int64, release: String, kind: CrashKind, fingerprint: String, exceptionType: String, message: String, os: Platform, osVersion: String, model: String, at: Date, storedAt: Date) {
        self.id = id
        self.release = release
        self.kind = kind
        self.fingerprint = fingerprint
        self.exceptionType = exceptionType
        self.message = message
        self.os = os
        self.osVersion = osVersion
        self.model = model
        self.at = at
        self.storedAt = storedAt
    }
}

extension CacheStore {

    // MARK: Writes (the sync thread)

    /// Stores a batch of an app's crash events and the cursor after them, in one
    /// transaction: after a crash the cursor never runs ahead of the rows. An event
    /// already stored (same server id) is left as it is. Returns how many were new.
    @discardableResult
    public func storeCrashEvents(app: String, _ events: [CrashEvent], cursor: String?, at date: Date) throws -> Int {
        try pool.write { db in
            // Thousands of rows a second: bound with SQLite's own calls on a statement of
            // our own, not through GRDB's boxed arguments, which cost more than the insert.
            let insert = try RawStatement(db, sql: """
                INSERT OR IGNORE INTO crash_events
                    (id, app, release, kind, fingerprint, exceptionType, message, deviceId, os, osVersion, model, city, network, frames, at, storedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var inserted = 0
            var insertedPerApp: [String: Int] = [:]
            let storedAt = date.unixMilliseconds
            for event in events {
                insert.bind(1, event.id)
                insert.bind(2, event.app)
                insert.bind(3, event.release)
                insert.bind(4, event.kind.rawValue)
                insert.bind(5, event.fingerprint)
                insert.bind(6, event.exceptionType)
                insert.bind(7, event.message)
                insert.bind(8, event.device.id)
                insert.bind(9, event.device.os.rawValue)
                insert.bind(10, event.device.osVersion)
                insert.bind(11, event.device.model)
                insert.bind(12, event.device.city)
                insert.bind(13, event.device.network)
                insert.bind(14, StackFrame.jsonArray(event.frames))
                insert.bind(15, event.at.unixMilliseconds)
                insert.bind(16, storedAt)
                let new = try insert.run()
                inserted += new
                if new > 0 { insertedPerApp[event.app, default: 0] += new }
            }
            for (app, new) in insertedPerApp { try Self.count(db, app: app, by: new) }
            try Self.advance(db, resource: .crashEvents(app: app), cursor: cursor, at: date)
            return inserted
        }
    }

    /// Stores audit entries and the feed's cursor in one transaction.
    public func storeAudit(_ entries: [AuditEntry], cursor: String?, at date: Date) throws {
        try pool.write { db in
            let encoder = WireFormat.encoder()
            for entry in entries {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO audit (id, at, actor, action, target, json) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [entry.id, entry.at.unixMilliseconds, entry.actor, entry.action.rawValue, entry.target,
                                String(decoding: try encoder.encode(entry), as: UTF8.self)])
            }
            try Self.advance(db, resource: .audit, cursor: cursor, at: date)
        }
    }

    public func replaceCrashIssues(app: String, _ issues: [CrashIssue], etag: String?, at date: Date) throws {
        try replaceList(table: "crash_issues", keyColumn: "fingerprint", app: app, issues.map { ($0.fingerprint, $0) },
                        resource: .crashIssues(app: app), etag: etag, at: date)
    }

    public func replaceSwitches(app: String, _ switches: [Switch], etag: String?, at date: Date) throws {
        try replaceList(table: "switches", keyColumn: "key", app: app, switches.map { ($0.key, $0) },
                        resource: .switches(app: app), etag: etag, at: date)
    }


    /// Stores the health series of an app's releases (replacing the app's old ones).
    public func storeReleaseHealth(app: String, _ series: [MetricsSeries], at date: Date) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM release_health WHERE app = ?", arguments: [app])
            let encoder = WireFormat.encoder()
            for item in series {
                guard let version = item.release else { continue }
                try db.execute(
                    sql: "INSERT INTO release_health (app, version, json, fetchedAt) VALUES (?, ?, ?, ?)",
                    arguments: [app, version, String(decoding: try encoder.encode(item), as: UTF8.self), date.unixMilliseconds])
            }
            try Self.record(db, resource: .health(app: app), etag: nil, at: date)
        }
    }

    /// The app's release health series by version.
    public func releaseHealth(app: String) throws -> [String: MetricsSeries] {
        let rows = try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT version, json FROM release_health WHERE app = ?", arguments: [app])
        }
        let decoder = WireFormat.decoder()
        var result: [String: MetricsSeries] = [:]
        for row in rows {
            if let series = try? decoder.decode(MetricsSeries.self, from: Data((try row.required("json") as String).utf8)) {
                result[try row.required("version")] = series
            }
        }
        return result
    }

    /// The fleet overview as the server sent it.
    public func storeFleet(_ fleet: FleetOverview, etag: String?, at date: Date) throws {
        try storeDocument(fleet, name: "fleet", resource: .fleet, etag: etag, at: date)
    }

    /// The last fleet overview, nil before the first (or if what is stored cannot be read).
    public func fleet() throws -> FleetOverview? {
        try document(FleetOverview.self, name: "fleet")
    }

    /// How far changes have got on an app's devices, as the server last counted.
    public func storeReach(_ reach: AppReach, etag: String?, at date: Date) throws {
        try storeDocument(reach, name: "reach:\(reach.app)", resource: .reach(app: reach.app), etag: etag, at: date)
    }

    public func reach(app: String) throws -> AppReach? {
        try document(AppReach.self, name: "reach:\(app)")
    }

    /// A whole answer kept as the server sent it, with its fetch record.
    private func storeDocument<Value: Encodable>(_ value: Value, name: String, resource: SyncResource, etag: String?, at date: Date) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO documents (name, json) VALUES (?, ?)",
                           arguments: [name, String(decoding: try WireFormat.encoder().encode(value), as: UTF8.self)])
            try Self.record(db, resource: resource, etag: etag, at: date)
        }
    }

    /// A kept answer, nil when there is none or it cannot be read.
    private func document<Value: Decodable>(_ type: Value.Type, name: String) throws -> Value? {
        let json = try pool.read { db in try String.fetchOne(db, sql: "SELECT json FROM documents WHERE name = ?", arguments: [name]) }
        return json.flatMap { try? WireFormat.decoder().decode(Value.self, from: Data($0.utf8)) }
    }

    /// Replaces the alerts with the server's answer (open and lately resolved, every app).
    public func replaceAlerts(_ alerts: [Alert], etag: String?, at date: Date) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM alerts")
            let encoder = WireFormat.encoder()
            for alert in alerts {
                try db.execute(sql: "INSERT OR REPLACE INTO alerts (id, app, json) VALUES (?, ?, ?)",
                               arguments: [alert.id, alert.app, String(decoding: try encoder.encode(alert), as: UTF8.self)])
            }
            try Self.record(db, resource: .alerts, etag: etag, at: date)
        }
    }

    /// One alert as the server just answered a change to it (an acknowledgement).
    public func updateAlert(_ alert: Alert) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE alerts SET json = ? WHERE id = ?",
                           arguments: [String(decoding: try WireFormat.encoder().encode(alert), as: UTF8.self), alert.id])
        }
    }

    /// Cached alerts, newest first; rows that cannot be read are skipped.
    public func alerts() throws -> [Alert] {
        let rows = try pool.read { db in try String.fetchAll(db, sql: "SELECT json FROM alerts ORDER BY id DESC") }
        let decoder = WireFormat.decoder()
        return rows.compactMap { try? decoder.decode(Alert.self, from: Data($0.utf8)) }
    }

    /// One switch as the server just answered a change to it, in its place in the list.
    public func updateSwitch(_ item: Switch) throws {
        try pool.write { db in
            try db.execute(
                sql: "UPDATE switches SET json = ? WHERE app = ? AND key = ?",
                arguments: [String(decoding: try WireFormat.encoder().encode(item), as: UTF8.self), item.app, item.key])
        }
    }

    /// Puts a triaged issue in place (the server's answer), keeping the cached trend when
    /// the answer carries none.
    public func updateCrashIssue(_ item: CrashIssue) throws {
        try pool.write { db in
            var item = item
            if item.trend == nil, let json = try String.fetchOne(db, sql: "SELECT json FROM crash_issues WHERE app = ? AND fingerprint = ?",
                                                                  arguments: [item.app, item.fingerprint]) {
                item.trend = (try? WireFormat.decoder().decode(CrashIssue.self, from: Data(json.utf8)))?.trend
            }
            try db.execute(
                sql: "UPDATE crash_issues SET json = ? WHERE app = ? AND fingerprint = ?",
                arguments: [String(decoding: try WireFormat.encoder().encode(item), as: UTF8.self), item.app, item.fingerprint])
        }
    }

    /// Replaces one app's rows of a list table with what the server sent, in its order.
    private func replaceList<Item: Encodable>(table: String, keyColumn: String, app: String, _ items: [(String, Item)], resource: SyncResource, etag: String?, at date: Date) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM \(table) WHERE app = ?", arguments: [app])
            let encoder = WireFormat.encoder()
            for (position, (key, item)) in items.enumerated() {
                try db.execute(
                    sql: "INSERT INTO \(table) (app, \(keyColumn), position, json) VALUES (?, ?, ?, ?)",
                    arguments: [app, key, position, String(decoding: try encoder.encode(item), as: UTF8.self)])
            }
            try Self.record(db, resource: resource, etag: etag, at: date)
        }
    }

    private static func advance(_ db: Database, resource: SyncResource, cursor: String?, at date: Date) throws {
        try db.execute(
            sql: """
                INSERT INTO sync_state (resource, cursor, fetchedAt) VALUES (?, ?, ?)
                ON CONFLICT (resource) DO UPDATE SET cursor = COALESCE(excluded.cursor, cursor), fetchedAt = excluded.fetchedAt
                """,
            arguments: [resource.key, cursor, date.unixMilliseconds])
    }

    /// Trims the feeds to `retention`. Returns the number of rows removed.
    @discardableResult
    public func prune(_ retention: Retention, now: Date = Date()) throws -> Int {
        try pool.write { db in
            let cutoff = now.addingTimeInterval(-retention.maximumAge).unixMilliseconds
            var removed = 0
            // Each app's count goes down by what is removed of it, in this transaction.
            let expired = try Row.fetchAll(db, sql: "SELECT app, COUNT(*) AS n FROM crash_events WHERE storedAt < ? GROUP BY app", arguments: [cutoff])
            if !expired.isEmpty {
                try db.execute(sql: "DELETE FROM crash_events WHERE storedAt < ?", arguments: [cutoff])
                removed += db.changesCount
                for row in expired { try Self.count(db, app: try row.required("app"), by: -(try row.required("n") as Int)) }
            }
            for app in try String.fetchAll(db, sql: "SELECT app FROM crash_event_counts WHERE count > ?", arguments: [retention.crashEventsPerApp]) {
                try db.execute(
                    sql: """
                        DELETE FROM crash_events WHERE app = ? AND id <= (
                            SELECT id FROM crash_events WHERE app = ? ORDER BY id DESC LIMIT 1 OFFSET ?)
                        """,
                    arguments: [app, app, retention.crashEventsPerApp])
                removed += db.changesCount
                try Self.count(db, app: app, by: -db.changesCount)
            }
            try db.execute(sql: "DELETE FROM audit WHERE at < ?", arguments: [cutoff])
            removed += db.changesCount
            try db.execute(
                sql: "DELETE FROM audit WHERE id <= (SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET ?)",
                arguments: [retention.auditEntries])
            removed += db.changesCount
            return removed
        }
    }

    // MARK: Reads (the UI)

    /// The app's newest crash events, newest first.
    public func recentCrashEvents(app: String, limit: Int = 500, matching filter: CrashEventFilter = CrashEventFilter()) throws -> [CrashEventSummary] {
        try pool.read { db in
            try Array(Row.fetchCursor(
                db,
                sql: """
                    SELECT id, release, kind, fingerprint, exceptionType, message, os, osVersion, model, at, storedAt
                    FROM crash_events WHERE app = :app
                      AND (:release IS NULL OR release = :release) AND (:kind IS NULL OR kind = :kind) AND (:os IS NULL OR os = :os)
                    ORDER BY id DESC LIMIT :limit
                    """,
                arguments: ["app": app, "limit": limit, "release": filter.release, "kind": filter.kind?.rawValue, "os": filter.os?.rawValue]
            ).map { row in
                // By position, in the SELECT's order, from a cursor (no row copies): a
                // lookup by name compares lower-cased names, and this list is read up to
                // five times a second.
                CrashEventSummary(
                    id: try row.required(0), release: try row.required(1), kind: CrashKind(rawValue: try row.required(2)) ?? .crash,
                    fingerprint: try row.required(3), exceptionType: try row.required(4), message: try row.required(5),
                    os: Platform(rawValue: try row.required(6)) ?? .android, osVersion: try row.required(7), model: try row.required(8),
                    at: Date(unixMilliseconds: try row.required(9)), storedAt: Date(unixMilliseconds: try row.required(10)))
            })
        }
    }

    /// One event in full, with its stack.
    public func crashEvent(id: Int64) throws -> CrashEvent? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM crash_events WHERE id = ?", arguments: [id]).map { row in
                CrashEvent(
                    id: try row.required("id"), app: try row.required("app"), release: try row.required("release"),
                    kind: CrashKind(rawValue: try row.required("kind")) ?? .crash,
                    device: DeviceInfo(id: try row.required("deviceId"), os: Platform(rawValue: try row.required("os")) ?? .android,
                                       osVersion: try row.required("osVersion"), model: try row.required("model"),
                                       city: try row.optional("city"), network: try row.optional("network")),
                    exceptionType: try row.required("exceptionType"), message: try row.required("message"),
                    frames: (try? WireFormat.decoder().decode([StackFrame].self, from: Data((try row.required("frames") as String).utf8))) ?? [],
                    fingerprint: try row.required("fingerprint"), at: Date(unixMilliseconds: try row.required("at")))
            }
        }
    }

    /// For each of an app's events that happened at or after `since`: how long it took
    /// from the device's clock to this cache, in milliseconds (benchmarks; meaningful
    /// when the devices share this machine's clock).
    public func arrivalDelays(app: String, since: Date) throws -> [Int64] {
        try pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT storedAt - at FROM crash_events WHERE app = ? AND at >= ? ORDER BY 1",
                               arguments: [app, since.unixMilliseconds])
        }
    }

    /// Per issue, how many of the app's cached events fell in each of `buckets` equal
    /// slices of the hour before `now`, oldest first: the issues' trend lines.
    public func issueTrends(app: String, now: Date = Date(), buckets: Int = 12) throws -> [String: [Int]] {
        let from = now.addingTimeInterval(-3600).unixMilliseconds
        let width = max(1, 3_600_000 / Int64(buckets))
        let rows = try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT fingerprint, (at - ?) / ? AS bucket, COUNT(*) AS count FROM crash_events
                    WHERE app = ? AND at >= ? AND at < ? GROUP BY fingerprint, bucket
                    """,
                arguments: [from, width, app, from, now.unixMilliseconds])
        }
        var trends: [String: [Int]] = [:]
        for row in rows {
            let bucket: Int = try row.required("bucket")
            guard (0..<buckets).contains(bucket) else { continue }
            trends[try row.required("fingerprint"), default: Array(repeating: 0, count: buckets)][bucket] = try row.required("count")
        }
        return trends
    }

    /// How many crash events the cache holds for `app`: one row's read, kept exact by
    /// every write that adds or removes events (never a `COUNT(*)` over the table).
    public func crashEventCount(app: String) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count FROM crash_event_counts WHERE app = ?", arguments: [app]) ?? 0
        }
    }

    /// Moves `app`'s event count by `delta`, inside the writer's transaction.
    static func count(_ db: Database, app: String, by delta: Int) throws {
        guard delta != 0 else { return }
        try db.execute(
            sql: """
                INSERT INTO crash_event_counts (app, count) VALUES (?, ?)
                ON CONFLICT(app) DO UPDATE SET count = count + excluded.count
                """,
            arguments: [app, delta])
    }

    /// Every stored event id of an app, ascending (for exact comparison with the server).
    public func crashEventIDs(app: String) throws -> [Int64] {
        try pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM crash_events WHERE app = ? ORDER BY id", arguments: [app])
        }
    }

    public func crashIssues(app: String) throws -> [CrashIssue] {
        try list(table: "crash_issues", app: app)
    }

    public func switches(app: String) throws -> [Switch] {
        try list(table: "switches", app: app)
    }

    /// The newest audit entries, newest first.
    public func audit(limit: Int = 1000) throws -> [AuditEntry] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT json FROM audit ORDER BY id DESC LIMIT ?", arguments: [limit])
        }.compactMap { try? WireFormat.decoder().decode(AuditEntry.self, from: Data($0.utf8)) }
    }

    private func list<Item: Decodable>(table: String, app: String) throws -> [Item] {
        let rows = try pool.read { db in
            try String.fetchAll(db, sql: "SELECT json FROM \(table) WHERE app = ? ORDER BY position", arguments: [app])
        }
        let decoder = WireFormat.decoder()
        return rows.compactMap { try? decoder.decode(Item.self, from: Data($0.utf8)) }
    }
}

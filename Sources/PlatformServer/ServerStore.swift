import Foundation
import GRDB
import Logging
import PlatformModel
import Synchronization

/// What `ServerStore.migrate(path:)` did.
public struct StoreMigration: Sendable {
    /// The migrations applied by this call, oldest first.
    public var applied: [String]
    /// The newest migration the store has now.
    public var current: String
}

/// The reference server's own SQLite store. One writer, many readers (WAL for a file;
/// a single in-memory connection when no file is given).
public final class ServerStore: Sendable {
    let db: any StoreDatabase
    /// What the upgrade check reads; every write to releases or switches clears it.
    let snapshots = SnapshotCache()
    /// What each device was told at its last upgrade check (see `DeviceReach`).
    let reach = DeviceReach()
    /// Wakes this server's live streams for events another server stored.
    private let crashWatchers = Mutex<[@Sendable () -> Void]>([])

    /// Opens (creating if needed) the store at `path`: a SQLite file, a PostgreSQL
    /// database (`postgres://USER@HOST:PORT/DB`, migrated under a lock), or an in-memory
    /// SQLite store when nil. PostgreSQL's connecting and migrating wait on a thread of
    /// their own: the caller may be on an event loop, which must never wait.
    public static func open(path: String?, logger: Logger = Logger(label: "opsdeck.store") { _ in SwiftLogNoOpLogHandler() }) async throws -> ServerStore {
        guard let path, let location = try PostgresLocation(path) else { return try ServerStore(path: path) }
        let database = try await PostgresDatabase.offEventLoop {
            let database = try PostgresDatabase(location, logger: logger)
            _ = try PostgresSchema.migrate(database)
            try PostgresPartitions.ensure(database, now: Date(), logger: logger)
            return database
        }
        return ServerStore(postgres: database)
    }

    private init(postgres database: PostgresDatabase) {
        db = database
        listenToOtherServers()
    }

    /// Opens (creating if needed) the SQLite store at `path`, or an in-memory one when nil.
    public init(path: String?) throws {
        if let path, try PostgresLocation(path) != nil {
            throw StoreOpenError("a PostgreSQL store is opened with ServerStore.open(path:)")
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(5)
        // WAL with synchronous=NORMAL cannot corrupt the store; a power cut may lose the
        // last commits, which a reference platform can afford for its ingest rate.
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let writer: any DatabaseWriter
        if let path {
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            writer = try DatabasePool(path: path, configuration: config)
        } else {
            writer = try DatabaseQueue(configuration: config)
        }
        try Self.migrator.migrate(writer)
        db = SQLiteDatabase(writer: writer)
    }

    /// Creates or migrates the store at `path` without opening it for serving: which
    /// migrations this call applied, and the newest one the store now has.
    public static func migrate(path: String) async throws -> StoreMigration {
        if let location = try PostgresLocation(path) {
            return try await PostgresDatabase.offEventLoop {
                try PostgresSchema.migrate(try PostgresDatabase(location, connections: 1, logger: Logger(label: "opsdeck.store") { _ in SwiftLogNoOpLogHandler() }))
            }
        }
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: path)
        let before = Set(try await queue.read { try migrator.appliedIdentifiers($0) })
        try migrator.migrate(queue)
        let after = try await queue.read { try migrator.appliedIdentifiers($0) }
        let applied = migrator.migrations.filter { after.contains($0) && !before.contains($0) }
        return StoreMigration(applied: applied, current: migrator.migrations.last { after.contains($0) } ?? "none")
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: apps and releases") { db in
            try db.create(table: "apps") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("platform", .text).notNull()
                t.column("bundleId", .text).notNull()
                t.column("position", .integer).notNull()
            }
            try db.create(table: "releases") { t in
                t.column("app", .text).notNull().references("apps", onDelete: .cascade)
                t.column("version", .text).notNull()
                t.column("build", .integer).notNull()
                t.column("stage", .text).notNull()
                // 0...10_000: the gray share in hundredths of a percent, exact.
                t.column("grayBasisPoints", .integer).notNull()
                    .check { $0 >= 0 && $0 <= 10_000 }
                t.column("notes", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("revision", .integer).notNull()
                t.primaryKey(["app", "version"])
            }
        }
        migrator.registerMigration("v2: audit log and idempotency keys") { db in
            try db.create(table: "audit") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .integer).notNull()  // Unix ms
                t.column("actor", .text).notNull()
                t.column("role", .text).notNull()
                t.column("action", .text).notNull()
                t.column("target", .text).notNull()
                t.column("before", .text)  // JSON
                t.column("after", .text)  // JSON
                t.column("reason", .text).notNull()
            }
            // A mutation's first answer, replayed to a retry carrying the same key.
            try db.create(table: "idempotency") { t in
                t.column("actor", .text).notNull()
                t.column("key", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("status", .integer).notNull()
                t.column("body", .blob).notNull()
                t.column("etag", .text)
                t.column("createdAt", .integer).notNull()
                t.primaryKey(["actor", "key"])
            }
        }
        migrator.registerMigration("v3: switches") { db in
            try db.create(table: "switches") { t in
                t.column("app", .text).notNull().references("apps", onDelete: .cascade)
                t.column("key", .text).notNull()
                t.column("description", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("enabled", .boolean).notNull()
                t.column("platforms", .text).notNull()  // JSON array
                t.column("minVersion", .text)
                t.column("maxVersion", .text)
                t.column("percentBasisPoints", .integer).notNull()
                t.column("updatedBy", .text).notNull()
                t.column("updatedAt", .datetime).notNull()
                t.column("revision", .integer).notNull()
                t.primaryKey(["app", "key"])
            }
        }
        migrator.registerMigration("v4: sessions, crash events and issues") { db in
            try db.create(table: "sessions") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("app", .text).notNull()
                t.column("release", .text).notNull()
                t.column("device", .text).notNull()
                t.column("startedAt", .integer).notNull()  // Unix ms
                t.column("durationSeconds", .double).notNull()
                t.column("crashed", .boolean).notNull()
            }
            try db.create(index: "sessions_by_app_time", on: "sessions", columns: ["app", "startedAt"])
            try db.create(table: "crash_issues") { t in
                t.column("app", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("exceptionType", .text).notNull()
                t.column("culprit", .text).notNull()
                t.column("message", .text).notNull()
                t.column("firstSeen", .integer).notNull()
                t.column("lastSeen", .integer).notNull()
                t.column("count", .integer).notNull()
                t.column("resolved", .boolean).notNull().defaults(to: false)
                t.column("regressed", .boolean).notNull().defaults(to: false)
                t.primaryKey(["app", "fingerprint"])
            }
            try db.create(table: "crash_events") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("app", .text).notNull()
                t.column("release", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("deviceId", .text).notNull()
                t.column("os", .text).notNull()
                t.column("osVersion", .text).notNull()
                t.column("model", .text).notNull()
                t.column("city", .text)
                t.column("network", .text)
                t.column("exceptionType", .text).notNull()
                t.column("message", .text).notNull()
                t.column("frames", .text).notNull()  // JSON
                t.column("at", .integer).notNull()  // Unix ms
            }
            try db.create(index: "crash_events_by_app", on: "crash_events", columns: ["app", "id"])
            try db.create(index: "crash_events_by_issue", on: "crash_events", columns: ["app", "fingerprint", "id"])
            try db.create(table: "issue_devices") { t in
                t.column("app", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("device", .text).notNull()
                t.primaryKey(["app", "fingerprint", "device"])
            }
            try db.create(table: "issue_releases") { t in
                t.column("app", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("release", .text).notNull()
                t.column("count", .integer).notNull()
                t.primaryKey(["app", "fingerprint", "release"])
            }
        }
        migrator.registerMigration("v5: release guardrails") { db in
            try db.alter(table: "releases") { t in
                t.add(column: "guardrailMaxCrashRate", .double)
                t.add(column: "guardrailMinSessions", .integer)
                t.add(column: "guardrailWindowMinutes", .integer)
            }
        }
        migrator.registerMigration("v6: funnels") { db in
            try db.create(table: "funnels") { t in
                t.column("app", .text).notNull().references("apps", onDelete: .cascade)
                t.column("id", .text).notNull()
                t.column("name", .text).notNull()
                t.column("steps", .text).notNull()  // JSON array of event names
                t.column("windowMinutes", .integer).notNull()
                t.primaryKey(["app", "id"])
            }
            try db.create(table: "funnel_events") { t in
                t.column("app", .text).notNull()
                t.column("release", .text).notNull()
                t.column("device", .text).notNull()
                t.column("name", .text).notNull()
                t.column("at", .integer).notNull()  // Unix ms
            }
            try db.create(index: "funnel_events_by_name", on: "funnel_events", columns: ["app", "name", "at"])
        }
        migrator.registerMigration("v7: release targeting") { db in
            try db.alter(table: "releases") { t in
                t.add(column: "targeting", .text)  // JSON Targeting
            }
        }
        migrator.registerMigration("v8: crash events by time") { db in
            // Issue trends count an app's events of the last hour by time.
            try db.create(index: "crash_events_by_app_time", on: "crash_events", columns: ["app", "at"])
        }
        migrator.registerMigration("v9: guardrail figures in the audit log") { db in
            // A guardrail's halt carries its figures as data (GuardrailBreach, JSON), so
            // that no client reads them out of the reason's words.
            try db.alter(table: "audit") { t in t.add(column: "guardrail", .text) }
        }
        migrator.registerMigration("v10: alerts") { db in
            try db.create(table: "alerts") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("app", .text).notNull()
                t.column("release", .text).notNull()
                t.column("fingerprint", .text)
                t.column("kind", .text).notNull()
                t.column("severity", .text).notNull()
                t.column("summary", .text).notNull()
                t.column("figures", .text).notNull()  // JSON AlertFigures
                t.column("openedAt", .integer).notNull()  // Unix ms
                t.column("acknowledgedAt", .integer)
                t.column("acknowledgedBy", .text)
                t.column("resolvedAt", .integer)
                t.column("revision", .integer).notNull()
            }
            try db.create(index: "alerts_open", on: "alerts", columns: ["resolvedAt"])
        }
        migrator.registerMigration("v11: issue triage, idempotency keys in the audit log") { db in
            try db.alter(table: "crash_issues") { t in
                t.add(column: "revision", .integer).notNull().defaults(to: 1)
                t.add(column: "ignored", .boolean).notNull().defaults(to: false)
                t.add(column: "ignoredUntil", .integer)  // Unix ms
                t.add(column: "ignoredUntilCount", .integer)
            }
            try db.alter(table: "audit") { t in
                t.add(column: "idempotencyKey", .text)
            }
        }
        migrator.registerMigration("v12: release packages") { db in
            try db.alter(table: "releases") { t in
                t.add(column: "packageSize", .integer)
                t.add(column: "checksum", .text)
            }
        }
        migrator.registerMigration("v13: funnels by user, funnel revisions") { db in
            try db.alter(table: "funnels") { t in
                t.add(column: "countedBy", .text).notNull().defaults(to: "device")
                t.add(column: "revision", .integer).notNull().defaults(to: 1)
            }
            try db.alter(table: "funnel_events") { t in
                t.add(column: "user", .text)
            }
        }
        migrator.registerMigration("v14: SDKs: Unleash rules, tokens and metrics; Sentry keys and sessions") { db in
            try db.alter(table: "switches") { t in
                t.add(column: "rules", .text)  // JSON SwitchRules, for switches imported from Unleash
                t.add(column: "scopeRules", .text)  // JSON [TargetingRule]: city, model, network, OS version
            }
            // Shares are whole percents now (an Unleash rollout's buckets): a stored 0.5 %
            // becomes 1 %, 12.5 % becomes 13 %.
            try db.execute(sql: "UPDATE switches SET percentBasisPoints = MAX(100, CAST(ROUND(percentBasisPoints / 100.0) AS INTEGER) * 100)")
            try db.create(table: "unleash_segments") { t in
                t.column("app", .text).notNull().references("apps", onDelete: .cascade)
                t.column("id", .integer).notNull()
                t.column("name", .text)
                t.column("constraints", .text).notNull()  // JSON [UnleashConstraint]
                t.primaryKey(["app", "id"])
            }
            try db.create(table: "sdk_tokens") { t in
                t.primaryKey("token", .text)
                t.column("app", .text).notNull().references("apps", onDelete: .cascade)
                t.column("kind", .text).notNull()  // client | frontend
                t.column("name", .text).notNull()
                t.column("createdBy", .text).notNull()
                t.column("createdAt", .integer).notNull()
            }
            try db.create(table: "sdk_clients") { t in
                t.column("app", .text).notNull().references("apps", onDelete: .cascade)
                t.column("appName", .text).notNull()
                t.column("instanceId", .text).notNull()
                t.column("sdkVersion", .text)
                t.column("strategies", .text)
                t.column("interval", .integer)
                t.column("started", .text)
                t.column("lastSeen", .integer).notNull()
                t.primaryKey(["app", "appName", "instanceId"])
            }
            // Evaluations Unleash SDKs report, per switch and hour.
            try db.create(table: "switch_metrics") { t in
                t.column("app", .text).notNull().references("apps", onDelete: .cascade)
                t.column("key", .text).notNull()
                t.column("hour", .integer).notNull()  // unix ms of the hour's start
                t.column("yes", .integer).notNull()
                t.column("no", .integer).notNull()
                t.primaryKey(["app", "key", "hour"])
            }
            try db.alter(table: "apps") { t in
                t.add(column: "sentryProject", .integer)
                t.add(column: "sentryKey", .text)
            }
            for (index, id) in try String.fetchAll(db, sql: "SELECT id FROM apps ORDER BY position, id").enumerated() {
                try db.execute(sql: "UPDATE apps SET sentryProject = ?, sentryKey = ? WHERE id = ?",
                               arguments: [index + 1, Self.newSentryKey(), id])
            }
            try db.create(index: "apps_by_sentry_project", on: "apps", columns: ["sentryProject"], unique: true)
            // Sentry sessions are updated as they go (init, then ok/exited/crashed): one row
            // per session id, the release-health figures read the latest state.
            try db.alter(table: "sessions") { t in
                t.add(column: "sid", .text)
                t.add(column: "user", .text)
                t.add(column: "errored", .boolean).notNull().defaults(to: false)
            }
            try db.create(index: "sessions_by_sid", on: "sessions", columns: ["app", "sid"], unique: true, condition: Column("sid") != nil)
            try db.alter(table: "crash_events") { t in
                t.add(column: "environment", .text)
                t.add(column: "level", .text)
            }
        }
        return migrator
    }

    /// After a change to releases, switches or segments: this server's snapshots are
    /// dropped now, and every other server on the database is told to drop its own.
    func snapshotsChanged() {
        snapshots.invalidateAll()
        db.announce(.snapshots)
    }

    /// Keeps the volume tables ready and within `retention` (see `StoreDatabase.maintainVolume`).
    public func maintainVolume(now: Date = Date(), retention: TimeInterval?, logger: Logger) async throws -> [String] {
        try await db.maintainVolume(now: now, retention: retention, logger: logger)
    }

    /// Whether this server runs guardrails and alerts (see `StoreDatabase.leads`).
    public func leadsPeriodicWork() async -> Bool { await db.leads() }

    /// Called when another server on the database stored crash events.
    public func onCrashesElsewhere(_ handler: @escaping @Sendable () -> Void) {
        crashWatchers.withLock { $0.append(handler) }
    }

    /// Until the first LISTEN is up, and whenever it is down, the upgrade check reads
    /// the database every time: a snapshot no announcement can clear might be stale.
    private func listenToOtherServers() {
        snapshots.setTrusted(false)
        db.listen { [weak self] news in
            guard let self else { return }
            switch news {
            case .changed(.snapshots):
                snapshots.invalidateAll()
            case .changed(.crashes):
                for watcher in crashWatchers.withLock({ $0 }) { watcher() }
            case .listening:
                snapshots.setTrusted(true)
                for watcher in crashWatchers.withLock({ $0 }) { watcher() }
            case .deaf:
                snapshots.setTrusted(false)
            }
        }
    }

    /// How many sessions and crash/ANR events the store holds (all apps).
    public func eventCounts() async throws -> (sessions: Int, crashes: Int) {
        try await db.read { db in
            (try db.value("SELECT COUNT(*) FROM sessions", as: Int.self) ?? 0,
             try db.value("SELECT COUNT(*) FROM crash_events", as: Int.self) ?? 0)
        }
    }

    /// True when the store holds no apps yet (a new store, to be seeded).
    public func isEmpty() async throws -> Bool {
        try await db.read { db in try db.value("SELECT COUNT(*) FROM apps", as: Int.self) ?? 0 } == 0
    }

    public func insert(catalogue: Catalogue) async throws {
        defer { snapshotsChanged() }
        try await db.write { db in
            for (position, app) in catalogue.apps.enumerated() {
                try db.execute(
                    "INSERT INTO apps (id, name, platform, bundleId, position, sentryProject, sentryKey) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [app.id, app.name, app.platform.rawValue, app.bundleId, position,
                     (try db.value("SELECT COALESCE(MAX(sentryProject), 0) + 1 FROM apps", as: Int.self)) ?? 1, Self.newSentryKey()])
            }
            for item in catalogue.switches { try Self.save(db, item) }
            for funnel in catalogue.funnels {
                try db.execute(
                    "INSERT INTO funnels (app, id, name, steps, windowMinutes) VALUES (?, ?, ?, ?, ?)",
                    [funnel.app, funnel.id, funnel.name,
                                String(decoding: try JSONEncoder().encode(funnel.steps), as: UTF8.self), funnel.windowMinutes])
            }
            for release in catalogue.releases {
                try db.execute(
                    """
                        INSERT INTO releases (app, version, build, stage, grayBasisPoints, notes, createdAt, updatedAt, revision,
                            guardrailMaxCrashRate, guardrailMinSessions, guardrailWindowMinutes, targeting)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    [
                        release.app, release.version, release.build, release.stage.rawValue,
                        Int((release.grayPercent * 100).rounded()), release.notes,
                        release.createdAt, release.updatedAt, release.revision,
                        release.guardrail?.maxCrashRate, release.guardrail?.minSessions, release.guardrail?.windowMinutes,
                        Self.targetingJSON(release.targeting),
                    ])
            }
        }
    }

    public func apps() async throws -> [App] {
        try await db.read { db in
            try db.rows("SELECT * FROM apps ORDER BY position, id").map(Self.app(from:))
        }
    }

    /// The apps, each with its Sentry DSN naming `dsnHost` ("host:port").
    func apps(dsnHost: String) async throws -> [App] {
        try await db.read { db in
            try db.rows("SELECT * FROM apps ORDER BY position, id").map { row in
                var app = Self.app(from: row)
                if let key = row["sentryKey"] as String?, let project = row["sentryProject"] as Int? {
                    app.sentryDSN = "http://\(key)@\(dsnHost)/\(project)"
                }
                return app
            }
        }
    }

    public func app(id: String) async throws -> App? {
        try await db.read { db in
            try db.row("SELECT * FROM apps WHERE id = ?", [id]).map(Self.app(from:))
        }
    }

    /// The app's releases, newest first.
    public func releases(app: String) async throws -> [Release] {
        try await db.read { db in try Self.releases(db, app: app) }
    }

    /// The app's switches, by key, each with how Unleash SDKs evaluated it lately.
    public func switches(app: String) async throws -> [Switch] {
        try await db.read { db in
            let use = try Self.sdkUse(db, app: app, now: Date())
            return try Self.switches(db, app: app).map { item in
                var item = item
                item.sdk = use[item.key]
                return item
            }
        }
    }

    static func releases(_ db: SQLSession, app: String) throws -> [Release] {
        try db.rows("SELECT * FROM releases WHERE app = ? ORDER BY createdAt DESC, version DESC", [app])
            .map(Self.release(from:))
    }

    static func switches(_ db: SQLSession, app: String) throws -> [Switch] {
        try db.rows("SELECT * FROM switches WHERE app = ? ORDER BY key", [app]).map(Self.switchItem(from:))
    }

    static func appExists(_ db: SQLSession, _ app: String) throws -> Bool {
        try db.value("SELECT COUNT(*) FROM apps WHERE id = ?", [app], as: Int.self) == 1
    }

    static func switchItem(from row: SQLRow) -> Switch {
        let platforms = (try? JSONDecoder().decode([Platform].self, from: Data((row["platforms"] as String).utf8))) ?? []
        let basisPoints: Int = row["percentBasisPoints"]
        return Switch(
            app: row["app"], key: row["key"], description: row["description"],
            kind: SwitchKind(rawValue: row["kind"]) ?? .killSwitch, enabled: row["enabled"],
            scope: SwitchScope(platforms: platforms, minVersion: row["minVersion"], maxVersion: row["maxVersion"],
                               rules: (row["scopeRules"] as String?).flatMap { try? JSONDecoder().decode([TargetingRule].self, from: Data($0.utf8)) } ?? [],
                               percent: Double(basisPoints) / 100),
            updatedBy: row["updatedBy"], updatedAt: row["updatedAt"], revision: row["revision"],
            rules: (row["rules"] as String?).flatMap { try? JSONDecoder().decode(SwitchRules.self, from: Data($0.utf8)) })
    }

    /// A Sentry DSN's public key: 32 hex digits, as Sentry makes them.
    static func newSentryKey() -> String { randomHex(bytes: 16) }

    /// Inserts or replaces one switch.
    static func save(_ db: SQLSession, _ item: Switch) throws {
        let platforms = String(decoding: try JSONEncoder().encode(item.scope.platforms), as: UTF8.self)
        try db.execute(
            """
                INSERT INTO switches (app, key, description, kind, enabled, platforms, minVersion, maxVersion,
                    percentBasisPoints, updatedBy, updatedAt, revision, rules, scopeRules)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (app, key) DO UPDATE SET description = excluded.description, kind = excluded.kind,
                    enabled = excluded.enabled, platforms = excluded.platforms, minVersion = excluded.minVersion,
                    maxVersion = excluded.maxVersion, percentBasisPoints = excluded.percentBasisPoints,
                    updatedBy = excluded.updatedBy, updatedAt = excluded.updatedAt, revision = excluded.revision,
                    rules = excluded.rules, scopeRules = excluded.scopeRules
                """,
            [item.app, item.key, item.description, item.kind.rawValue, item.enabled, platforms,
                        item.scope.minVersion, item.scope.maxVersion, Bucketing.basisPoints(item.scope.percent),
                        item.updatedBy, item.updatedAt, item.revision,
                        try item.rules.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) },
                        item.scope.rules.isEmpty ? nil : String(decoding: try JSONEncoder().encode(item.scope.rules), as: UTF8.self)])
    }

    static func app(from row: SQLRow) -> App {
        App(
            id: row["id"], name: row["name"],
            platform: Platform(rawValue: row["platform"]) ?? .android,
            bundleId: row["bundleId"])
    }

    static func release(from row: SQLRow) -> Release {
        let basisPoints: Int = row["grayBasisPoints"]
        return Release(
            app: row["app"], version: row["version"], build: row["build"],
            stage: ReleaseStage(rawValue: row["stage"]) ?? .draft,
            grayPercent: Double(basisPoints) / 100,
            notes: row["notes"], createdAt: row["createdAt"], updatedAt: row["updatedAt"],
            revision: row["revision"],
            guardrail: (row["guardrailMaxCrashRate"] as Double?).map { rate in
                Guardrail(maxCrashRate: rate, minSessions: row["guardrailMinSessions"] ?? 100, windowMinutes: row["guardrailWindowMinutes"] ?? 10)
            },
            targeting: (row["targeting"] as String?).flatMap { try? WireFormat.decoder().decode(Targeting.self, from: Data($0.utf8)) },
            packageSize: row["packageSize"], checksum: row["checksum"])
    }

    static func targetingJSON(_ targeting: Targeting?) -> String? {
        targeting.flatMap { try? WireFormat.encoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) }
    }
}

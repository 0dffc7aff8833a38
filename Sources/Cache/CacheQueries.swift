import Foundation
import GRDB
import PlatformModel

/// Something Sync fetches and the cache keeps fetch state for: its ETag, its feed
/// cursor, when it was last confirmed current. Typed, so a misspelt key does not compile.
public enum SyncResource: Hashable, Sendable, CustomStringConvertible {
    case apps
    case audit
    case releases(app: String)
    case switches(app: String)
    case crashIssues(app: String)
    case crashEvents(app: String)
    case health(app: String)
    case fleet
    case alerts
    case reach(app: String)

    /// Its row in `sync_state` (the values the column has always held).
    public var key: String {
        switch self {
        case .apps: "apps"
        case .audit: "audit"
        case .releases(let app): "releases:\(app)"
        case .switches(let app): "switches:\(app)"
        case .crashIssues(let app): "crash_issues:\(app)"
        case .crashEvents(let app): "crash_events:\(app)"
        case .health(let app): "health:\(app)"
        case .fleet: "fleet"
        case .alerts: "alerts"
        case .reach(let app): "reach:\(app)"
        }
    }

    public var description: String { key }
}

/// When a resource was last fetched successfully, and the ETag it came with.
public struct SyncRecord: Sendable, Equatable {
    public var resource: SyncResource
    public var etag: String?
    public var fetchedAt: Date?
    /// Where a feed (crash events, audit) goes on from: the server's `nextCursor`.
    public var cursor: String?

    public init(resource: SyncResource, etag: String?, fetchedAt: Date?, cursor: String? = nil) {
        self.resource = resource
        self.etag = etag
        self.fetchedAt = fetchedAt
        self.cursor = cursor
    }
}

extension CacheStore {
    // MARK: Writes (the sync thread)

    /// Replaces the whole app list: a list answer is authoritative.
    public func replaceApps(_ apps: [App], etag: String?, at date: Date) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM apps")
            for (position, app) in apps.enumerated() {
                try db.execute(
                    sql: "INSERT INTO apps (id, name, platform, bundleId, position, sentryDSN) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [app.id, app.name, app.platform.rawValue, app.bundleId, position, app.sentryDSN])
            }
            try Self.record(db, resource: .apps, etag: etag, at: date)
        }
    }

    /// Replaces one app's releases (upserting each, dropping those the server no longer lists).
    public func replaceReleases(app: String, _ releases: [Release], etag: String?, at date: Date) throws {
        try pool.write { db in
            for (position, release) in releases.enumerated() {
                try Self.upsert(db, release, position: position)
            }
            let keep = releases.map(\.version)
            try db.execute(
                sql: "DELETE FROM releases WHERE app = ? AND version NOT IN (SELECT value FROM json_each(?))",
                arguments: [app, String(data: try JSONEncoder().encode(keep), encoding: .utf8)])
            try Self.record(db, resource: .releases(app: app), etag: etag, at: date)
        }
    }

    /// One release as the server just answered a change to it, in its place in the list.
    public func updateRelease(_ release: Release) throws {
        try pool.write { db in
            let position = try Int.fetchOne(db, sql: "SELECT position FROM releases WHERE app = ? AND version = ?",
                                            arguments: [release.app, release.version]) ?? 0
            try Self.upsert(db, release, position: position)
        }
    }

    private static func upsert(_ db: Database, _ release: Release, position: Int) throws {
        try db.execute(
            sql: """
                INSERT INTO releases (app, version, build, stage, grayPercent, notes, createdAt, updatedAt, revision, position,
                    guardrailMaxCrashRate, guardrailMinSessions, guardrailWindowMinutes, targeting)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (app, version) DO UPDATE SET
                    build = excluded.build, stage = excluded.stage, grayPercent = excluded.grayPercent,
                    notes = excluded.notes, createdAt = excluded.createdAt, updatedAt = excluded.updatedAt,
                    revision = excluded.revision, position = excluded.position,
                    guardrailMaxCrashRate = excluded.guardrailMaxCrashRate,
                    guardrailMinSessions = excluded.guardrailMinSessions,
                    guardrailWindowMinutes = excluded.guardrailWindowMinutes,
                    targeting = excluded.targeting
                """,
            arguments: [
                release.app, release.version, release.build, release.stage.rawValue, release.grayPercent,
                release.notes, release.createdAt.unixMilliseconds, release.updatedAt.unixMilliseconds, release.revision, position,
                release.guardrail?.maxCrashRate, release.guardrail?.minSessions, release.guardrail?.windowMinutes,
                release.targeting.flatMap { try? WireFormat.encoder().encode($0) }.map { String(decoding: $0, as: UTF8.self) },
            ])
    }

    /// Notes that a resource was confirmed unchanged (HTTP 304) at `date`.
    public func markUnchanged(resource: SyncResource, at date: Date) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE sync_state SET fetchedAt = ? WHERE resource = ?", arguments: [date.unixMilliseconds, resource.key])
        }
    }

    static func record(_ db: Database, resource: SyncResource, etag: String?, at date: Date) throws {
        try db.execute(
            sql: """
                INSERT INTO sync_state (resource, etag, fetchedAt) VALUES (?, ?, ?)
                ON CONFLICT (resource) DO UPDATE SET etag = excluded.etag, fetchedAt = excluded.fetchedAt
                """,
            arguments: [resource.key, etag, date.unixMilliseconds])
    }

    // MARK: Reads (the UI)

    public func apps() throws -> [App] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM apps ORDER BY position, id").map { row in
                var app = App(id: try row.required("id"), name: try row.required("name"),
                              platform: Platform(rawValue: try row.required("platform")) ?? .android, bundleId: try row.required("bundleId"))
                app.sentryDSN = row["sentryDSN"]
                return app
            }
        }
    }

    /// The app's releases in the server's order (newest first).
    public func releases(app: String) throws -> [Release] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM releases WHERE app = ? ORDER BY position", arguments: [app]).map { row in
                Release(
                    app: try row.required("app"), version: try row.required("version"), build: try row.required("build"),
                    stage: ReleaseStage(rawValue: try row.required("stage")) ?? .draft, grayPercent: try row.required("grayPercent"),
                    notes: try row.required("notes"), createdAt: Date(unixMilliseconds: try row.required("createdAt")),
                    updatedAt: Date(unixMilliseconds: try row.required("updatedAt")),
                    revision: try row.required("revision"),
                    guardrail: try (row.optional("guardrailMaxCrashRate") as Double?).map { rate in
                        Guardrail(maxCrashRate: rate, minSessions: try row.optional("guardrailMinSessions") ?? 0,
                                  windowMinutes: try row.optional("guardrailWindowMinutes") ?? 10)
                    },
                    targeting: try (row.optional("targeting") as String?).flatMap { try? WireFormat.decoder().decode(Targeting.self, from: Data($0.utf8)) })
            }
        }
    }

    public func syncRecord(resource: SyncResource) throws -> SyncRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sync_state WHERE resource = ?", arguments: [resource.key]).map { row in
                SyncRecord(
                    resource: resource, etag: try row.optional("etag"),
                    fetchedAt: try (row.optional("fetchedAt") as Int64?).map(Date.init(unixMilliseconds:)),
                    cursor: try row.optional("cursor"))
            }
        }
    }

    /// The newest moment any resource was confirmed current: the age of what is shown.
    public func lastFetched() throws -> Date? {
        try pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT MAX(fetchedAt) FROM sync_state").map(Date.init(unixMilliseconds:))
        }
    }
}

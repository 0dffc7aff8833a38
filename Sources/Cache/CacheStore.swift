import Foundation
import GRDB
import PlatformModel
import Synchronization

/// The console's local cache: the last known state of everything it has fetched, so
/// that it opens instantly and still shows something when the platform is gone.
///
/// It is only a cache. A file that is corrupt, foreign, or from a newer OpsDeck is moved
/// aside and rebuilt (`recoveryNote` says so); it never stops the console.
public final class CacheStore: Sendable {
    /// `PRAGMA application_id` of an OpsDeck cache ("OPSD"), to tell it from other files.
    static let applicationID: Int32 = 0x4F50_5344

    public let path: String
    /// Set when the file had to be moved aside and rebuilt; shown to the person once.
    public let recoveryNote: String?
    let pool: DatabasePool

    public init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        // Only a regular file OpsDeck may write is ever opened, moved aside or rebuilt. A
        // directory (`--cache ~/.cache`), a symbolic link, or a file this user may not
        // write is left exactly as it is: the console runs on a temporary cache and says so.
        // A regular file it may read (read-only, immutable, in a folder it may not write)
        // is copied there first, so that the console still shows what it knew.
        if let unsafe = Self.unsafeReason(path) {
            let temporary = Self.temporaryPath()
            Self.removeAtExit(temporary)
            let copied = Self.isReadableRegularFile(path) && (try? FileManager.default.copyItem(atPath: path, toPath: temporary)) != nil
            if copied, let opened = try? Self.open(temporary) {
                pool = opened
                recoveryNote = "\(path) \(unsafe); it was left untouched. This run shows its data from a temporary copy "
                    + "(nothing new is kept): give --cache a file path OpsDeck may write"
            } else {
                try? FileManager.default.removeItem(atPath: temporary)
                pool = try Self.open(temporary)
                recoveryNote = "\(path) \(unsafe); it was left untouched. This run uses a temporary cache (nothing is kept): "
                    + "give --cache a file path OpsDeck may write"
            }
            self.path = temporary
            return
        }
        self.path = path
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        do {
            pool = try Self.open(path)
            recoveryNote = nil
        } catch {
            let aside = try Self.moveAside(path)
            pool = try Self.open(path)
            recoveryNote = "the cache \(url.lastPathComponent) could not be used (\(Self.describe(error))); "
                + "moved aside to \(URL(fileURLWithPath: aside).lastPathComponent) and rebuilt"
        }
    }

    /// Why `path` must not be used as the cache file, or nil when it may.
    static func unsafeReason(_ path: String) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            // Nothing there: it is created, if its folder may be written.
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), !FileManager.default.isWritableFile(atPath: folder) {
                return "is in a folder this user may not write (\(folder))"
            }
            return nil
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return "is a directory, not a cache file"
        case S_IFLNK: return "is a symbolic link (to \((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"))"
        case S_IFREG: break
        default: return "is not a regular file"
        }
        if !FileManager.default.isWritableFile(atPath: path) { return "is read-only for this user" }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.isWritableFile(atPath: folder) { return "is in a folder this user may not write (\(folder))" }
        return nil
    }

    private static func isReadableRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && FileManager.default.isReadableFile(atPath: path)
    }

    /// Temporary caches of this process, removed (with their WAL files) when it exits.
    private static let temporaries = Mutex<[String]>([])

    private static func removeAtExit(_ path: String) {
        let first = temporaries.withLock { list in
            list.append(path)
            return list.count == 1
        }
        if first {
            atexit {
                for path in CacheStore.temporaries.withLock({ $0 }) {
                    for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
                }
            }
        }
    }

    private static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("opsdeck-cache-\(getpid())-\(UUID().uuidString.prefix(8)).sqlite").path
    }

    /// Opens without reading the whole file: a full integrity check of a large cache
    /// takes seconds, so it runs after the first frame (`verify()`); what it finds is
    /// acted on here at the next start. Only the header is checked before use.
    private static func open(_ path: String) throws -> DatabasePool {
        if FileManager.default.fileExists(atPath: failedCheckMarker(path)) {
            throw CacheOpenError.failedCheck((try? String(contentsOfFile: failedCheckMarker(path), encoding: .utf8)) ?? "")
        }
        if let problem = headerProblem(path) { throw CacheOpenError.corrupt(problem) }
        var config = Configuration()
        config.busyMode = .timeout(3)
        config.label = "opsdeck.cache"
        // WAL with NORMAL stays consistent after a crash; a power cut may lose the last
        // writes, which a cache fetches again. FULL paid an fsync for every poll's commit.
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let pool = try DatabasePool(path: path, configuration: config)
        try pool.write { db in
            let owner = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
            let tables = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'") ?? 0
            if owner != applicationID && tables > 0 { throw CacheOpenError.foreign }
        }
        if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
            throw CacheOpenError.newerSchema
        }
        try migrator.migrate(pool)
        return pool
    }

    /// Renames the file and its WAL/SHM companions to `NAME.broken-TIMESTAMP`.
    private static func moveAside(_ path: String) throws -> String {
        let stamp = Int(Date().timeIntervalSince1970)
        let aside = "\(path).broken-\(stamp)"
        let files = FileManager.default
        for suffix in ["", "-wal", "-shm"] where files.fileExists(atPath: path + suffix) {
            try? files.removeItem(atPath: aside + suffix)
            try files.moveItem(atPath: path + suffix, toPath: aside + suffix)
        }
        try? files.removeItem(atPath: failedCheckMarker(path))
        return aside
    }

    /// Left beside the cache when `verify()` finds it damaged; the next open moves the
    /// cache aside and rebuilds it (it cannot be done under a running console).
    static func failedCheckMarker(_ path: String) -> String { path + ".failed-check" }

    /// What is wrong with the file's 100-byte header, read without SQLite: a file that
    /// is shorter than its header says was cut off (a full disk, a bad copy). Nil: the
    /// header looks sound, or there is no file yet.
    static func headerProblem(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size > 0 else { return nil }
        try? handle.seek(toOffset: 0)
        guard let header = try? handle.read(upToCount: 100), header.count == 100 else { return "too short to be a database" }
        let bytes = [UInt8](header)
        guard bytes.starts(with: Array("SQLite format 3\u{0}".utf8)) else { return nil }  // SQLite says what it is
        func big(_ offset: Int, _ count: Int) -> UInt64 { bytes[offset..<offset + count].reduce(0) { $0 << 8 | UInt64($1) } }
        let pageSize = big(16, 2) == 1 ? 65_536 : big(16, 2)
        // The page count is valid only while the change counter matches its copy.
        guard big(24, 4) == big(92, 4), big(28, 4) > 0 else { return nil }
        let expected = pageSize * big(28, 4)
        return size < expected ? "truncated: \(size) of \(expected) bytes" : nil
    }

    /// Runs SQLite's full integrity check (it reads the whole file: seconds for a large
    /// cache, so never on the way to the first frame). Nil: sound. Otherwise what is
    /// wrong; the next open moves the file aside and rebuilds it.
    public func verify() -> String? {
        let result: String
        do {
            result = try pool.read { try String.fetchOne($0, sql: "PRAGMA quick_check") } ?? "no answer"
        } catch {
            result = Self.describe(error)
        }
        guard result != "ok" else { return nil }
        try? result.write(toFile: Self.failedCheckMarker(path), atomically: true, encoding: .utf8)
        return String(result.prefix(120))
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? CacheOpenError { return error.description }
        if let error = error as? DatabaseError { return error.message ?? "SQLite error \(error.resultCode)" }
        return String(describing: error)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: apps, releases, sync state") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
            try db.create(table: "apps") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("platform", .text).notNull()
                t.column("bundleId", .text).notNull()
                t.column("position", .integer).notNull()
            }
            try db.create(table: "releases") { t in
                t.column("app", .text).notNull()
                t.column("version", .text).notNull()
                t.column("build", .integer).notNull()
                t.column("stage", .text).notNull()
                t.column("grayPercent", .double).notNull()
                t.column("notes", .text).notNull()
                // Times are Unix milliseconds: exact, compact and cheap to compare.
                t.column("createdAt", .integer).notNull()
                t.column("updatedAt", .integer).notNull()
                t.column("revision", .integer).notNull()
                t.column("position", .integer).notNull()
                t.primaryKey(["app", "version"])
            }
            try db.create(table: "sync_state") { t in
                t.primaryKey("resource", .text)
                t.column("etag", .text)
                t.column("fetchedAt", .integer)
            }
        }
        migrator.registerMigration("v2: release guardrails") { db in
            try db.alter(table: "releases") { t in
                t.add(column: "guardrailMaxCrashRate", .double)
                t.add(column: "guardrailMinSessions", .integer)
                t.add(column: "guardrailWindowMinutes", .integer)
            }
        }
        migrator.registerMigration("v3: release targeting") { db in
            try db.alter(table: "releases") { t in
                t.add(column: "targeting", .text)  // JSON, as on the wire
            }
        }
        migrator.registerMigration("v4: crash events, issues, switches, audit") { db in
            // The feeds' cursors (crash events per app, the audit log).
            try db.alter(table: "sync_state") { t in
                t.add(column: "cursor", .text)
            }
            // One row per crash or ANR; `id` is the server's event id, so a row can never
            // be stored twice and the cache can be compared with the server exactly.
            try db.create(table: "crash_events") { t in
                t.primaryKey("id", .integer)
                t.column("app", .text).notNull()
                t.column("release", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("exceptionType", .text).notNull()
                t.column("message", .text).notNull()
                t.column("deviceId", .text).notNull()
                t.column("os", .text).notNull()
                t.column("osVersion", .text).notNull()
                t.column("model", .text).notNull()
                t.column("city", .text)
                t.column("network", .text)
                t.column("frames", .text).notNull()  // JSON, as on the wire
                t.column("at", .integer).notNull()  // on the device
                t.column("storedAt", .integer).notNull()  // in this cache: retention and latency
            }
            try db.create(index: "crash_events_by_app", on: "crash_events", columns: ["app", "id"])
            try db.create(index: "crash_events_by_age", on: "crash_events", columns: ["storedAt"])
            // Lists the server sends whole: key columns to order and filter by, and the
            // item as the server sent it.
            try db.create(table: "crash_issues") { t in
                t.column("app", .text).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("json", .text).notNull()
                t.primaryKey(["app", "fingerprint"])
            }
            try db.create(table: "switches") { t in
                t.column("app", .text).notNull()
                t.column("key", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("json", .text).notNull()
                t.primaryKey(["app", "key"])
            }
            try db.create(table: "audit") { t in
                t.primaryKey("id", .integer)
                t.column("at", .integer).notNull()
                t.column("actor", .text).notNull()
                t.column("action", .text).notNull()
                t.column("target", .text).notNull()
                t.column("json", .text).notNull()
            }
        }
        migrator.registerMigration("v5: release health") { db in
            // The last hour of each release's health, per minute, as the server sent it.
            try db.create(table: "release_health") { t in
                t.column("app", .text).notNull()
                t.column("version", .text).notNull()
                t.column("json", .text).notNull()
                t.column("fetchedAt", .integer).notNull()
                t.primaryKey(["app", "version"])
            }
        }
        migrator.registerMigration("v6: crash events without an age index") { db in
            // Every live event paid for this index; only the minutely prune used it, and
            // a scan of a table bounded by retention costs that prune a few milliseconds.
            try db.execute(sql: "DROP INDEX IF EXISTS crash_events_by_age")
        }
        migrator.registerMigration("v7: crash event counts") { db in
            // The Crashes pane shows how many events are cached; counting them per frame
            // scanned the app's rows (110 ms at a million). Writers keep this exact.
            try db.create(table: "crash_event_counts") { t in
                t.primaryKey("app", .text)
                t.column("count", .integer).notNull()
            }
            try db.execute(sql: "INSERT INTO crash_event_counts (app, count) SELECT app, COUNT(*) FROM crash_events GROUP BY app")
        }
        migrator.registerMigration("v8: fleet and alerts") { db in
            // Whole answers kept as the server sent them (the fleet overview).
            try db.create(table: "documents") { t in
                t.primaryKey("name", .text)
                t.column("json", .text).notNull()
            }
            // Alerts of every app, open and lately resolved: replaced by each answer.
            try db.create(table: "alerts") { t in
                t.primaryKey("id", .integer)
                t.column("app", .text).notNull()
                t.column("json", .text).notNull()
            }
        }
        migrator.registerMigration("v9: an app's Sentry DSN") { db in
            try db.alter(table: "apps") { t in t.add(column: "sentryDSN", .text) }
        }
        return migrator
    }
}


enum CacheOpenError: Error, CustomStringConvertible {
    case corrupt(String)
    /// The last run's background check found damage.
    case failedCheck(String)
    case foreign
    case newerSchema

    var description: String {
        switch self {
        case .corrupt(let detail): "integrity check failed: \(detail.prefix(80))"
        case .failedCheck(let detail): "it failed its integrity check last time: \(detail.prefix(80))"
        case .foreign: "it is not an OpsDeck cache"
        case .newerSchema: "it was written by a newer OpsDeck"
        }
    }
}

/// Where the cache for a context lives: `$OPSDECK_CACHE` when set, else
/// `$XDG_CACHE_HOME/opsdeck/CONTEXT.sqlite`, else `~/.cache/opsdeck/CONTEXT.sqlite`.
public enum CacheLocation {
    public static func path(context: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["OPSDECK_CACHE"], !explicit.isEmpty { return explicit }
        let base: String
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            base = xdg
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            base = home + "/.cache"
        }
        return "\(base)/opsdeck/\(fileName(context)).sqlite"
    }

    /// A context name safe as a file name: `http://127.0.0.1:8080` -> `127.0.0.1_8080`.
    public static func fileName(_ context: String) -> String {
        var name = context
        for prefix in ["https://", "http://"] where name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
        let safe = name.unicodeScalars.map { scalar -> Character in
            CharacterSet.alphanumerics.contains(scalar) && scalar.isASCII || scalar == "." || scalar == "-"
                ? Character(scalar) : "_"
        }
        let trimmed = String(safe).trimmingCharacters(in: CharacterSet(charactersIn: "_"))
        return trimmed.isEmpty ? "default" : String(trimmed.prefix(100))
    }
}

import Foundation
import Logging

// The one interface the platform's store is written against, so that the same queries,
// transactions and checks run on SQLite (GRDB, the embedded default) and on PostgreSQL
// (postgres-nio, for several servers on one database). Everything above this file is
// written once; only `SQLiteDatabase` and `PostgresDatabase` know their engine.
//
// The SQL the store writes is the part of SQL both engines speak: `?` placeholders (the
// PostgreSQL session numbers them), `INSERT … ON CONFLICT … DO UPDATE/NOTHING`,
// `RETURNING`, `CASE` instead of two-argument MAX/MIN or summed booleans. Column names
// are read case-insensitively: PostgreSQL folds unquoted names to lower case.

/// Which engine a session talks to, for the rare statement that must differ.
public enum SQLDialect: Sendable {
    case sqlite, postgres
}

/// One value bound to or read from a statement.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    /// Bytes; on SQLite also text that holds a NUL (see `String`).
    case blob(Data)
    case bool(Bool)
    case date(Date)
}

/// A Swift value a statement can bind.
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

/// A Swift value a row can be read as.
public protocol SQLReadable {
    /// nil when `value` is NULL or cannot be this type.
    static func read(_ value: SQLValue) -> Self?
}

extension Int: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public static func read(_ value: SQLValue) -> Int? { Int64.read(value).flatMap { Int(exactly: $0) } }
}

extension Int64: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .integer(self) }
    public static func read(_ value: SQLValue) -> Int64? {
        switch value {
        case .integer(let v): v
        case .real(let v): v.isFinite ? Int64(exactly: v.rounded(.towardZero)) : nil
        case .bool(let v): v ? 1 : 0
        case .text(let v): Int64(v) ?? Double(v).flatMap { $0.isFinite ? Int64(exactly: $0.rounded(.towardZero)) : nil }
        default: nil
        }
    }
}

extension Double: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .real(self) }
    public static func read(_ value: SQLValue) -> Double? {
        switch value {
        case .real(let v): v
        case .integer(let v): Double(v)
        case .text(let v): Double(v)
        default: nil
        }
    }
}

extension Bool: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .bool(self) }
    public static func read(_ value: SQLValue) -> Bool? {
        switch value {
        case .bool(let v): v
        case .integer(let v): v != 0
        case .real(let v): v != 0
        default: nil
        }
    }
}

extension String: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .text(self) }
    public static func read(_ value: SQLValue) -> String? {
        switch value {
        case .text(let v): v
        case .blob(let v): String(decoding: v, as: UTF8.self)
        case .integer(let v): String(v)
        case .real(let v): String(v)
        default: nil
        }
    }
}

extension Data: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .blob(self) }
    public static func read(_ value: SQLValue) -> Data? {
        switch value {
        case .blob(let v): v
        case .text(let v): Data(v.utf8)
        default: nil
        }
    }
}

extension Date: SQLBindable, SQLReadable {
    public var sqlValue: SQLValue { .date(self) }
    public static func read(_ value: SQLValue) -> Date? {
        switch value {
        case .date(let v): v
        case .text(let v): StoredDate.parse(v)
        case .integer(let v): Date(timeIntervalSince1970: Double(v))
        case .real(let v): Date(timeIntervalSince1970: v)
        default: nil
        }
    }
}

extension Optional: SQLBindable where Wrapped: SQLBindable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

extension SQLValue: SQLBindable {
    public var sqlValue: SQLValue { self }
}

/// Dates as SQLite stores keep them (GRDB's format, UTC): "2026-12-03 18:58:37.123".
enum StoredDate {
    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        return calendar
    }()

    /// "YYYY-MM-DD", "YYYY-MM-DD HH:MM", "…:SS" or "…:SS.SSS", with a space or a T.
    static func parse(_ text: String) -> Date? {
        let digits = text.split(whereSeparator: { "-: T.".contains($0) }).map { Int($0) }
        guard digits.count >= 3, !digits.contains(nil) else { return nil }
        let numbers = digits.compactMap { $0 }
        var parts = DateComponents(year: numbers[0], month: numbers[1], day: numbers[2])
        parts.hour = numbers.count > 3 ? numbers[3] : 0
        parts.minute = numbers.count > 4 ? numbers[4] : 0
        parts.second = numbers.count > 5 ? numbers[5] : 0
        guard let whole = calendar.date(from: parts) else { return nil }
        guard numbers.count > 6, let fraction = text.split(separator: ".").last.map({ Double("0." + $0) }) ?? nil else { return whole }
        return whole.addingTimeInterval(fraction)
    }
}

/// The column names of one result, shared by its rows.
final class SQLColumns: Sendable {
    let names: [String]
    private let index: [String: Int]

    init(_ names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name.lowercased()] == nil {
            index[name.lowercased()] = position
        }
        self.index = index
    }

    func position(of name: String) -> Int? { index[name.lowercased()] }
}

/// One result row, its values copied out of the engine.
public struct SQLRow: Sendable {
    let columns: SQLColumns
    let values: [SQLValue]

    /// The value of `column`, NULL when the result has no such column.
    func value(_ column: String) -> SQLValue {
        columns.position(of: column).map { values[$0] } ?? .null
    }

    /// A column the schema declares NOT NULL. A NULL or missing one is a bug in the
    /// store's own SQL (never in what a client sent), so it stops the process loudly.
    subscript<T: SQLReadable>(_ column: String) -> T {
        guard let value = T.read(value(column)) else {
            fatalError("store: column '\(column)' is NULL or not \(T.self) in \(columns.names)")
        }
        return value
    }

    /// A column that may be NULL.
    subscript<T: SQLReadable>(_ column: String) -> T? {
        T.read(value(column))
    }
}

/// Arguments for one statement: `[a, b, nil]`.
public typealias SQLArguments = [(any SQLBindable)?]

/// One connection inside one transaction (or one read). Engines subclass `query`.
class SQLSession {
    let dialect: SQLDialect

    init(dialect: SQLDialect) { self.dialect = dialect }

    /// Runs one statement; the rows it returns (none for most writes).
    func query(_ sql: String, _ values: [SQLValue]) throws -> [SQLRow] {
        fatalError("SQLSession.query is implemented by each engine")
    }

    final func execute(_ sql: String, _ arguments: SQLArguments = []) throws {
        _ = try query(sql, arguments.map { $0?.sqlValue ?? .null })
    }

    final func rows(_ sql: String, _ arguments: SQLArguments = []) throws -> [SQLRow] {
        try query(sql, arguments.map { $0?.sqlValue ?? .null })
    }

    final func row(_ sql: String, _ arguments: SQLArguments = []) throws -> SQLRow? {
        try rows(sql, arguments).first
    }

    /// The first column of the first row.
    final func value<T: SQLReadable>(_ sql: String, _ arguments: SQLArguments = [], as type: T.Type = T.self) throws -> T? {
        try row(sql, arguments)?.values.first.flatMap(T.read)
    }

    /// The first column of every row.
    final func values<T: SQLReadable>(_ sql: String, _ arguments: SQLArguments = [], as type: T.Type = T.self) throws -> [T] {
        try rows(sql, arguments).compactMap { $0.values.first.flatMap(T.read) }
    }
}

/// What other servers on the same database are told after a commit.
enum StoreTopic: String, Sendable {
    /// Releases, switches or segments changed: what the upgrade check reads.
    case snapshots
    /// Crash events were stored: live streams should read on.
    case crashes
}

/// What a server hears of the others.
enum StoreNews: Sendable {
    case changed(StoreTopic)
    /// Announcements are heard (again): anything may have changed since.
    case listening
    /// Announcements cannot be heard: trust no copy of the database's state.
    case deaf
}

/// Where the platform's data lives. `read` sees one consistent state; `write` is one
/// transaction that commits when `body` returns and rolls back when it throws. A
/// conflict between concurrent writers (PostgreSQL's serialization failures) retries
/// `body` from the start, so `body` must do nothing outside the database but compute.
protocol StoreDatabase: Sendable {
    var dialect: SQLDialect { get }
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T
    /// A write that only appends rows and bumps counters (ingest), serialised by a lock
    /// of its own: on PostgreSQL it runs READ COMMITTED, where a SERIALIZABLE snapshot
    /// taken before that lock would only make concurrent batches fail and retry.
    func appendingWrite<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T
    /// `read` for a caller that cannot await (the device gateway's event loops); it
    /// blocks the calling thread.
    func readNow<T>(_ body: (SQLSession) throws -> T) throws -> T
    /// Tells every other server on this database that `topic` changed (after a commit).
    func announce(_ topic: StoreTopic)
    /// Calls `handler` with each announcement another server makes, `.deaf` when
    /// announcements can no longer be heard (a lost connection) and `.listening` once
    /// they can again (what was announced meanwhile is unknown).
    func listen(_ handler: @escaping @Sendable (StoreNews) -> Void)
    /// Whether this process is the one of the servers on this database that runs the
    /// periodic work (guardrails, alerts): asked before each round; true for one at a
    /// time, and another takes over when the one that leads dies.
    func leads() async -> Bool
    /// Keeps the volume tables (sessions, crash events, funnel steps) ready and within
    /// `retention` (nil: keep everything): what it did, in words, for the log.
    func maintainVolume(now: Date, retention: TimeInterval?, logger: Logger) async throws -> [String]
}

/// A store that did not do what its own SQL says it must.
enum StoreError: Error, CustomStringConvertible {
    /// An INSERT … RETURNING that returned nothing.
    case noRowReturned(String)

    var description: String {
        switch self {
        case .noRowReturned(let table): "the store returned no row for an insert into \(table)"
        }
    }
}

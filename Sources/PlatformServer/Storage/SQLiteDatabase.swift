import Foundation
import GRDB
import Logging
import PlatformModel

/// The store on SQLite through GRDB: one writer, many readers (WAL) for a file, one
/// connection for an in-memory store.
struct SQLiteDatabase: StoreDatabase {
    let writer: any DatabaseWriter
    var dialect: SQLDialect { .sqlite }

    func read<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        try await writer.read { db in try body(SQLiteSession(db)) }
    }

    func readNow<T>(_ body: (SQLSession) throws -> T) throws -> T {
        try writer.read { db in try body(SQLiteSession(db)) }
    }

    /// SQLite has one writer at a time: the same as `write`.
    func appendingWrite<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        try await write(body)
    }

    // One process owns a SQLite store: there is no one else to tell.
    func announce(_ topic: StoreTopic) {}
    func listen(_ handler: @escaping @Sendable (StoreNews) -> Void) {}
    func leads() async -> Bool { true }

    /// SQLite has no partitions: rows older than the retention are deleted.
    func maintainVolume(now: Date, retention: TimeInterval?, logger: Logger) async throws -> [String] {
        guard let retention else { return [] }
        let cutoff = now.addingTimeInterval(-retention).unixMilliseconds
        return try await write { db in
            var done: [String] = []
            for (table, column) in [("sessions", "startedAt"), ("crash_events", "at"), ("funnel_events", "at")] {
                try db.execute("DELETE FROM \(table) WHERE \(column) < ?", [cutoff])
                done.append("\(table): rows before \(cutoff) deleted")
            }
            return done
        }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        try await writer.write { db in try body(SQLiteSession(db)) }
    }
}

final class SQLiteSession: SQLSession {
    private let db: Database

    init(_ db: Database) {
        self.db = db
        super.init(dialect: .sqlite)
    }

    override func query(_ sql: String, _ values: [SQLValue]) throws -> [SQLRow] {
        // Cached: the same statement text is prepared once per connection.
        let statement = try db.cachedStatement(sql: sql)
        try statement.setArguments(StatementArguments(values.map(Self.databaseValue)))
        guard statement.columnCount > 0 else {
            try statement.execute()
            return []
        }
        let columns = SQLColumns(statement.columnNames)
        var rows: [SQLRow] = []
        let cursor = try Row.fetchCursor(statement)
        while let row = try cursor.next() {
            rows.append(SQLRow(columns: columns, values: (0..<row.count).map { Self.value(row[$0] as DatabaseValue) }))
        }
        return rows
    }

    private static func databaseValue(_ value: SQLValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .integer(let v): v.databaseValue
        case .real(let v): v.databaseValue
        // GRDB binds text only up to its first NUL: text holding one is kept as its UTF-8
        // bytes (a BLOB), which reads back whole as a String.
        case .text(let v): v.utf8.contains(0) ? Data(v.utf8).databaseValue : v.databaseValue
        case .blob(let v): v.databaseValue
        case .bool(let v): v.databaseValue
        case .date(let v): v.databaseValue
        }
    }

    private static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: .null
        case .int64(let v): .integer(v)
        case .double(let v): .real(v)
        case .string(let v): .text(v)
        case .blob(let v): .blob(v)
        }
    }
}

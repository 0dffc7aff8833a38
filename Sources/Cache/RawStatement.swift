import GRDB
import GRDBSQLite

/// A prepared statement driven with SQLite's C calls, inside a GRDB transaction: for
/// the one insert that runs thousands of times a second, where binding through GRDB's
/// boxed arguments costs more than SQLite's own work. Lives for one `pool.write`.
final class RawStatement {
    private let connection: OpaquePointer
    private let statement: OpaquePointer

    /// SQLite copies bound text before the call returns (SQLITE_TRANSIENT).
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "closed database") }
        self.connection = connection
        var prepared: OpaquePointer?
        let code = sqlite3_prepare_v2(connection, sql, -1, &prepared, nil)
        guard code == SQLITE_OK, let prepared else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
        }
        statement = prepared
    }

    deinit {
        sqlite3_finalize(statement)
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(statement, index, value)
    }

    /// Text by its UTF-8 bytes and length. Text holding a NUL is bound as a BLOB of the
    /// same bytes: GRDB reads TEXT only up to its first NUL, a BLOB whole (and
    /// `Row.required` reads either as a `String`).
    func bind(_ index: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(statement, index)
            return
        }
        value.withUTF8 { bytes in
            // An empty buffer may have no address; SQLite reads a null pointer as NULL.
            let pointer = bytes.baseAddress.map(UnsafeRawPointer.init) ?? UnsafeRawPointer(("" as StaticString).utf8Start)
            if bytes.contains(0) {
                _ = sqlite3_bind_blob(statement, index, pointer, Int32(bytes.count), Self.transient)
            } else {
                _ = sqlite3_bind_text(statement, index, pointer.assumingMemoryBound(to: CChar.self), Int32(bytes.count), Self.transient)
            }
        }
    }

    /// Steps the statement to its end; returns the rows it changed.
    func run() throws -> Int {
        defer { sqlite3_reset(statement) }
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
        }
        return Int(sqlite3_changes(connection))
    }
}

/// A row of the cache file holds something other than what the cache writes (a damaged
/// or foreign file): the read fails with this, it never traps the console.
struct CacheRowError: Error, CustomStringConvertible {
    var column: String
    var value: DatabaseValue
    var description: String { "the cache holds \(value.storage.kind) in \(column), not what OpsDeck wrote there" }
}

extension DatabaseValue.Storage {
    var kind: String {
        switch self {
        case .null: "NULL"
        case .int64: "an integer"
        case .double: "a real number"
        case .string: "text"
        case .blob: "bytes"
        }
    }
}

/// Reading a column by the throwing path: GRDB's subscripts trap on a value of another
/// type, and a cache file is not to be trusted that far.
extension Row {
    /// The value of `column`; throws `CacheRowError` when it is NULL or another type.
    func required<Value: DatabaseValueConvertible>(_ column: String) throws -> Value {
        let value = self[column] as DatabaseValue
        guard let decoded = Value.fromDatabaseValue(value) else { throw CacheRowError(column: column, value: value) }
        return decoded
    }

    /// The value at `index` of a cursor's row; throws `CacheRowError` as above.
    func required<Value: DatabaseValueConvertible>(_ index: Int) throws -> Value {
        let value = self[index] as DatabaseValue
        guard let decoded = Value.fromDatabaseValue(value) else { throw CacheRowError(column: "column \(index)", value: value) }
        return decoded
    }

    /// The value of `column`, nil for NULL; throws `CacheRowError` for another type.
    func optional<Value: DatabaseValueConvertible>(_ column: String) throws -> Value? {
        let value = self[column] as DatabaseValue
        if value.isNull { return nil }
        guard let decoded = Value.fromDatabaseValue(value) else { throw CacheRowError(column: column, value: value) }
        return decoded
    }
}

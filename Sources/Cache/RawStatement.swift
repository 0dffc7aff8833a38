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
    /// same bytes: GRDB reads TEXT only up to its first NUL, a BLOB whole (see
    /// `Row.freeText`).
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

extension Row {
    /// Free text at `index` of a cursor's row, whole even when it holds a NUL (stored as
    /// a BLOB): GRDB's fast path reads a column as a C string.
    func freeText(_ index: Int) -> String {
        String.fromDatabaseValue(self[index] as DatabaseValue) ?? ""
    }
}

import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// Where a PostgreSQL store is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    /// nil when `text` is not a postgres:// or postgresql:// URL; throws when it is one
    /// that lacks a part, naming the part.
    public init?(_ text: String) throws {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else { return nil }
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw StoreOpenError("'\(text)' is not a PostgreSQL URL: expected postgres://USER@HOST:PORT/DATABASE")
        }
        guard let user = url.user, !user.isEmpty else {
            throw StoreOpenError("the PostgreSQL URL names no user: expected postgres://USER@HOST:PORT/DATABASE")
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw StoreOpenError("the PostgreSQL URL names no database: expected postgres://USER@HOST:PORT/DATABASE")
        }
        self.host = host
        self.port = url.port ?? 5432
        self.user = user
        self.password = url.password
        self.database = database
    }

    /// Creates the empty database `name` on the server `server` (postgres://USER@HOST:PORT,
    /// a user allowed to create databases) and returns its URL.
    public static func createDatabase(_ name: String, on server: String) throws -> String {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), let base = try PostgresLocation(server + "/postgres") else {
            throw StoreOpenError("cannot make a database '\(name)' on '\(server)'")
        }
        let admin = try PostgresDatabase(base, connections: 1, logger: Logger(label: "opsdeck.store") { _ in SwiftLogNoOpLogHandler() })
        try admin.session { db in try db.execute("CREATE DATABASE \(name)") }
        return server + "/" + name
    }

    /// Without the password: what logs and messages may show.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}

/// A store that could not be opened, said for a person.
public struct StoreOpenError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// An error PostgreSQL answered, with its SQLSTATE (e.g. 40001 for a serialization
/// failure) and its own words; or a connection that failed.
struct PostgresFailure: Error, CustomStringConvertible {
    var sqlState: String?
    var message: String

    init(_ error: any Error) {
        if let failure = error as? PostgresFailure {
            self = failure
        } else if let psql = error as? PSQLError {
            sqlState = psql.serverInfo?[.sqlState]
            message = psql.serverInfo?[.message] ?? psql.underlying.map { "\($0)" } ?? "\(psql.code)"
        } else {
            message = "\(error)"
        }
    }

    /// Two transactions collided (serialization failure, deadlock): run it again.
    var isRetryable: Bool { sqlState == "40001" || sqlState == "40P01" }

    var description: String { "PostgreSQL: \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "") }
}

/// The store on PostgreSQL through postgres-nio. Each read or write takes a connection
/// from a small pool and runs on a thread of its own, where the store's synchronous
/// statements wait for their answers (never on an event loop or a Swift task's thread).
/// Writes are SERIALIZABLE transactions, retried when PostgreSQL reports a collision, so
/// an If-Match check and its change commit together against every other server's writes.
final class PostgresDatabase: StoreDatabase {
    let location: PostgresLocation
    var dialect: SQLDialect { .postgres }
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let idle = Mutex<[PostgresConnection]>([])
    private let slots: DispatchSemaphore
    private let nextID = Atomic<Int>(1)
    private let queue = DispatchQueue(label: "opsdeck.postgres", attributes: .concurrent)
    private let listener = Mutex<Task<Void, Never>?>(nil)
    /// The connection holding the leader's advisory lock, while this process leads.
    private let leadership = Mutex<PostgresConnection?>(nil)
    /// Any fixed number other than the migrations' lock: the periodic work's.
    static let leaderLock: Int64 = 0x0905_DECD

    init(_ location: PostgresLocation, connections: Int = 8, logger: Logger) throws {
        self.location = location
        self.logger = logger
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        self.configuration = configuration
        slots = DispatchSemaphore(value: max(1, connections))
        // Fail now, with PostgreSQL's words, rather than at the first request.
        try withConnection { connection in _ = try PostgresSession(connection, logger: logger).rows("SELECT 1") }
    }

    deinit {
        listener.withLock { $0?.cancel() }
        if let connection = leadership.withLock({ $0 }) { Self.close(connection) }
        for connection in idle.withLock({ $0 }) { Self.close(connection) }
    }

    /// Closes a connection, keeping it alive until it has (postgres-nio requires it).
    private static func close(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    func read<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        try await onOwnThread { try self.transaction(.readOnly, body) }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        try await onOwnThread { try self.transaction(.serializable, body) }
    }

    func appendingWrite<T: Sendable>(_ body: @escaping @Sendable (SQLSession) throws -> T) async throws -> T {
        try await onOwnThread { try self.transaction(.readCommitted, body) }
    }

    func readNow<T>(_ body: (SQLSession) throws -> T) throws -> T {
        try transaction(.readOnly, body)
    }

    /// NOTIFY on the `opsdeck` channel, payload the topic; sent after the caller's
    /// commit, off the caller's thread.
    func announce(_ topic: StoreTopic) {
        queue.async { [self] in
            do {
                try session { try $0.execute("SELECT pg_notify('opsdeck', ?)", [topic.rawValue]) }
            } catch {
                logger.warning("could not announce \(topic.rawValue) to other servers: \(PostgresFailure(error))")
            }
        }
    }

    /// LISTEN on its own connection, for as long as the process runs; a lost connection
    /// is reported (`.deaf`) and opened again after half a second (`.listening`).
    func listen(_ handler: @escaping @Sendable (StoreNews) -> Void) {
        let configuration = configuration, logger = logger, location = location
        listener.withLock { task in
            task?.cancel()
            task = Task.detached {
                var id = 1_000_000
                while !Task.isCancelled {
                    id += 1
                    do {
                        let connection = try await PostgresConnection.connect(
                            on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: id, logger: logger)
                        defer { Self.close(connection) }
                        try await connection.listen(on: "opsdeck") { notifications in
                            handler(.listening)
                            for try await notification in notifications {
                                if let topic = StoreTopic(rawValue: notification.payload) { handler(.changed(topic)) }
                            }
                        }
                    } catch {
                        if Task.isCancelled { return }
                        logger.warning("listening to \(location) failed: \(PostgresFailure(error)); again in 0.5 s")
                    }
                    handler(.deaf)
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
        }
    }

    /// The leader holds a session advisory lock on a connection of its own: PostgreSQL
    /// lets it go when that connection ends (the process died or lost the database), and
    /// the next server to ask takes it.
    func leads() async -> Bool {
        (try? await onOwnThread { [self] in
            if let held = leadership.withLock({ $0 }), !held.isClosed { return true }
            let connection = try connect()
            let won = try PostgresSession(connection, logger: logger)
                .value("SELECT pg_try_advisory_lock(?)", [Self.leaderLock], as: Bool.self) ?? false
            if won {
                leadership.withLock { $0 = connection }
                logger.info("this server now runs guardrails and alerts for \(location)")
            } else {
                Self.close(connection)
            }
            return won
        }) ?? false
    }

    /// Makes the coming days' partitions; past the retention, drops whole days.
    func maintainVolume(now: Date, retention: TimeInterval?, logger: Logger) async throws -> [String] {
        try await onOwnThread { [self] in
            var done = try PostgresPartitions.ensure(self, now: now, logger: logger).map { "made \($0)" }
            if let retention {
                done += try PostgresPartitions.dropOlder(than: now.addingTimeInterval(-retention), self).map { "dropped \($0)" }
            }
            return done
        }
    }

    /// Runs `body` outside a transaction (migrations take their own lock and steps).
    func session<T>(_ body: (SQLSession) throws -> T) throws -> T {
        try withConnection { connection in try body(PostgresSession(connection, logger: logger)) }
    }

    /// Runs blocking PostgreSQL work (connecting, migrating) on a thread that may wait.
    static func offEventLoop<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    private func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    private enum Isolation: String {
        case serializable = "BEGIN ISOLATION LEVEL SERIALIZABLE"
        case readCommitted = "BEGIN ISOLATION LEVEL READ COMMITTED"
        case readOnly = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
    }

    private func transaction<T>(_ isolation: Isolation, _ body: (SQLSession) throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try withConnection { connection in
                    let session = PostgresSession(connection, logger: logger)
                    try session.execute(isolation.rawValue)
                    do {
                        let result = try body(session)
                        try session.execute("COMMIT")
                        return result
                    } catch {
                        try? session.execute("ROLLBACK")
                        throw error
                    }
                }
            } catch let failure as PostgresFailure where failure.isRetryable && attempt < 20 {
                // Another server's transaction won; wait a little (more each time) and redo.
                usleep(UInt32.random(in: 1_000...5_000) * UInt32(min(attempt, 10)))
            }
        }
    }

    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        slots.wait()
        defer { slots.signal() }
        let connection = try idle.withLock { $0.popLast() } ?? connect()
        do {
            let result = try body(connection)
            idle.withLock { $0.append(connection) }
            return result
        } catch {
            // A connection that broke is dropped; the next request opens a new one.
            if connection.isClosed { Self.close(connection) } else { idle.withLock { $0.append(connection) } }
            throw error
        }
    }

    private func connect() throws -> PostgresConnection {
        do {
            return try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                id: nextID.add(1, ordering: .relaxed).oldValue, logger: logger
            ).wait()
        } catch {
            throw PostgresFailure(sqlState: PostgresFailure(error).sqlState,
                                  message: "cannot connect to \(location): \(PostgresFailure(error).message)")
        }
    }
}

extension PostgresFailure {
    init(sqlState: String?, message: String) {
        self.sqlState = sqlState
        self.message = message
    }
}

/// One PostgreSQL connection inside one transaction: `?` placeholders become `$1…$n`,
/// values are bound typed, and the answer's cells are read back by their types.
final class PostgresSession: SQLSession {
    private let connection: PostgresConnection
    private let logger: Logger

    init(_ connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
        super.init(dialect: .postgres)
    }

    /// Sees every statement a session runs, with its values: tests use it to EXPLAIN
    /// the queries the console's requests really make.
    static let observer = Mutex<(@Sendable (String, [SQLValue]) -> Void)?>(nil)

    override func query(_ sql: String, _ values: [SQLValue]) throws -> [SQLRow] {
        if let observe = Self.observer.withLock({ $0 }) { observe(sql, values) }
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let v): bindings.append(v)
            case .real(let v): bindings.append(v)
            case .text(let v): bindings.append(NULText.stored(v))
            case .blob(let v): try bindings.append(v)
            case .bool(let v): bindings.append(v)
            case .date(let v): bindings.append(v)
            }
        }
        let result: PostgresQueryResult
        do {
            result = try connection.query(PostgresQuery(unsafeSQL: Self.numbered(sql), binds: bindings), logger: logger).wait()
        } catch {
            throw PostgresFailure(error)
        }
        var rows: [SQLRow] = []
        var columns: SQLColumns?
        for row in result {
            let cells = Array(row)
            let names = columns ?? SQLColumns(cells.map(\.columnName))
            columns = names
            rows.append(SQLRow(columns: names, values: try cells.map(Self.value)))
        }
        return rows
    }

    /// `?` → `$1`, `$2`, …, outside quoted text and names.
    static func numbered(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                out.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                out.append(character)
            } else if character == "?" {
                number += 1
                out += "$\(number)"
            } else {
                out.append(character)
            }
        }
        return out
    }

    private static func value(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch cell.dataType {
            case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
            case .float4, .float8: return .real(try cell.decode(Double.self))
            case .numeric:
                let number = try cell.decode(Decimal.self)
                let double = NSDecimalNumber(decimal: number).doubleValue
                if let whole = Int64(exactly: double) { return .integer(whole) }
                return .real(double)
            case .bool: return .bool(try cell.decode(Bool.self))
            case .bytea: return .blob(try cell.decode(Data.self))
            case .timestamptz, .timestamp: return .date(try cell.decode(Date.self))
            // text, varchar, name, json…; a type the store never reads as a value (void) is NULL.
            default: return (try? cell.decode(String.self)).map { .text(NULText.read($0)) } ?? .null
            }
        } catch {
            throw PostgresFailure(sqlState: nil, message: "column \(cell.columnName) of type \(cell.dataType) could not be read: \(error)")
        }
    }
}

/// PostgreSQL's text cannot hold a NUL, and the platform stores what devices sent, NUL
/// included. Text holding one (or starting with the marker) is stored as the marker, a
/// noncharacter no client text begins with unescaped, then its UTF-8 bytes in base64:
/// deterministic, so equal texts still compare and group equal, and read back whole.
enum NULText {
    static let marker: Character = "\u{FFFF}"

    static func stored(_ text: String) -> String {
        guard text.utf8.contains(0) || text.first == marker else { return text }
        return String(marker) + Data(text.utf8).base64EncodedString()
    }

    static func read(_ stored: String) -> String {
        guard stored.first == marker, let bytes = Data(base64Encoded: String(stored.dropFirst())) else { return stored }
        return String(decoding: bytes, as: UTF8.self)
    }
}

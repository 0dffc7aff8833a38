import Cache
import Foundation
import GRDB
import PlatformClient
import PlatformModel
@_spi(Fuzzing) import PlatformServer
import TUI

/// The parsers that read bytes nobody vouches for, each as one function of an input.
///
/// libFuzzer drives them (`make fuzz`, through `opsdeck-fuzz`); `FuzzRegressionTests`
/// replays every kept input (Tests/FuzzCorpus/TARGET/) in `make test`. A target traps
/// (`preconditionFailure`) when a property every input must keep is broken, so that
/// the fuzzer reports it like a crash.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// The hand-written JSON reader behind the live stream's fast decode.
    case json
    /// The Server-Sent Events parser of the live crash stream.
    case sse
    /// The device gateway's HTTP/1.1 request parser.
    case gateway
    /// The theme loader (TOML).
    case theme
    /// The cache's row decoding: rows of any type and content, read back by every query.
    case cacheRows = "cache-rows"
    /// Sentry envelopes, their items, and gzip/brotli bodies (the Sentry ingestion).
    case sentryEnvelope = "sentry-envelope"

    public func run(_ input: UnsafeBufferPointer<UInt8>) {
        switch self {
        case .json: Self.json(input)
        case .sse: Self.sse(input)
        case .gateway: Self.gateway(input)
        case .theme: Self.theme(input)
        case .cacheRows: CacheRowsTarget.shared.run(input)
        case .sentryEnvelope: _ = SentryParsing.read(Array(input))
        }
    }

    public func run(_ data: Data) {
        data.withUnsafeBytes { run($0.bindMemory(to: UInt8.self)) }
    }

    /// The fast decoder never traps, and whatever it accepts JSONDecoder reads the same.
    static func json(_ input: UnsafeBufferPointer<UInt8>) {
        let data = Data(input)
        if let event = CrashEvent.fastDecode(data) {
            guard let decoded = try? WireFormat.decoder().decode(CrashEvent.self, from: data) else {
                preconditionFailure("the fast decoder accepted what JSONDecoder refuses")
            }
            precondition(decoded == event, "the fast decoder and JSONDecoder read different events")
        }
        let text = String(decoding: input, as: UTF8.self)
        if let frames = StackFrame.fromJSONArray(text) {
            precondition(StackFrame.fromJSONArray(StackFrame.jsonArray(frames)) == frames, "frames do not survive a round trip")
        }
    }

    /// Events never depend on how the bytes were cut into chunks.
    static func sse(_ input: UnsafeBufferPointer<UInt8>) {
        var whole = ServerSentEventParser(maximumLine: 4096)
        let expected = whole.feed(UnsafeRawBufferPointer(input))
        // Cut at positions the input itself chooses (its first byte), and byte by byte.
        let step = max(1, Int(input.first ?? 1) % 17)
        var chunked = ServerSentEventParser(maximumLine: 4096)
        var events: [ServerSentEvent] = []
        var start = 0
        while start < input.count {
            let end = min(input.count, start + step)
            events += chunked.feed(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: input[start..<end])))
            start = end
        }
        precondition(events == expected, "chunks of \(step) bytes gave other events than the whole")
        precondition(chunked.lastEventID == whole.lastEventID && chunked.retry == whole.retry, "chunks changed the resume state")
    }

    /// Every answer stays inside the bytes it was given, and the query reads safely.
    static func gateway(_ input: UnsafeBufferPointer<UInt8>) {
        switch GatewayHTTP.parse(input) {
        case .incomplete:
            break
        case .malformed(let status, let detail):
            precondition((400...599).contains(status) && !detail.isEmpty, "a refusal without a status or a reason")
        case .request(let request):
            precondition(request.length <= input.count, "a request longer than the bytes")
            for range in [request.method, request.path] + [request.query, request.authorization].compactMap({ $0 }) {
                precondition(range.lowerBound >= 0 && range.upperBound <= request.length, "a range outside the request")
            }
            for name in ["app", "device", "version", "os", "osVersion", "model", "city", "network"] {
                _ = GatewayHTTP.parameter(name, in: input, query: request.query)
            }
        }
    }

    /// A theme either loads or says why; it never traps.
    static func theme(_ input: UnsafeBufferPointer<UInt8>) {
        let text = String(decoding: input, as: UTF8.self)
        if let theme = try? Theme.parse(text, name: "fuzz") {
            for role in ThemeRole.allCases { _ = theme.style(role) }
        }
    }
}

/// One cache file for the whole run; each input empties its tables, writes rows whose
/// every column takes a type and a value from the input (as a damaged or foreign file
/// could hold), and reads them back through every public query.
final class CacheRowsTarget: @unchecked Sendable {
    static let shared = CacheRowsTarget()

    let cache: CacheStore
    /// A second connection to the same file, to write what the cache itself never would.
    let writer: DatabaseQueue
    /// Each table's columns, in order.
    let tables: [(name: String, columns: [String])]
    static let app = "a"

    private init() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("opsdeck-fuzz-\(getpid()).sqlite").path
        do {
            cache = try CacheStore(path: path)
            writer = try DatabaseQueue(path: path)
            tables = try writer.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations' ORDER BY name")
                    .map { table in (table, try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))").map { $0["name"] as String }) }
            }
        } catch {
            fatalError("cannot open a cache for fuzzing at \(path): \(error)")
        }
    }

    func run(_ input: UnsafeBufferPointer<UInt8>) {
        var bytes = ByteStream(input)
        try? writer.write { db in
            for table in tables { try db.execute(sql: "DELETE FROM \(table.name)") }
            while !bytes.isEmpty {
                let table = tables[Int(bytes.byte()) % tables.count]
                let values = table.columns.map { column in column == "app" ? Self.app.databaseValue : bytes.value() }
                let marks = Array(repeating: "?", count: values.count).joined(separator: ", ")
                try? db.execute(sql: "INSERT OR REPLACE INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES (\(marks))",
                                arguments: StatementArguments(values))
            }
        }
        let app = Self.app
        _ = try? cache.apps()
        _ = try? cache.releases(app: app)
        for event in (try? cache.recentCrashEvents(app: app)) ?? [] { _ = try? cache.crashEvent(id: event.id) }
        for id in (try? cache.crashEventIDs(app: app)) ?? [] { _ = try? cache.crashEvent(id: id) }
        _ = try? cache.crashIssues(app: app)
        _ = try? cache.issueTrends(app: app)
        _ = try? cache.crashEventCount(app: app)
        _ = try? cache.arrivalDelays(app: app, since: Date(timeIntervalSince1970: 0))
        _ = try? cache.switches(app: app)
        _ = try? cache.audit()
        _ = try? cache.alerts()
        _ = try? cache.fleet()
        _ = try? cache.reach(app: app)
        _ = try? cache.releaseHealth(app: app)
        _ = try? cache.lastFetched()
        for resource in [SyncResource.apps, .audit, .fleet, .alerts, .releases(app: app), .crashEvents(app: app), .health(app: app)] {
            _ = try? cache.syncRecord(resource: resource)
        }
    }
}

/// Reads typed values out of fuzzer bytes: a type byte, then its payload.
struct ByteStream {
    private var rest: Slice<UnsafeBufferPointer<UInt8>>

    init(_ bytes: UnsafeBufferPointer<UInt8>) { rest = bytes[...] }

    var isEmpty: Bool { rest.isEmpty }

    mutating func byte() -> UInt8 { rest.popFirst() ?? 0 }

    mutating func bytes(_ count: Int) -> [UInt8] {
        let taken = Array(rest.prefix(count))
        rest = rest.dropFirst(count)
        return taken
    }

    mutating func value() -> DatabaseValue {
        switch byte() % 6 {
        case 0: return .null
        case 1: return Int64(bitPattern: bytes(8).reduce(0) { $0 << 8 | UInt64($1) }).databaseValue
        case 2: return Double(bitPattern: bytes(8).reduce(0) { $0 << 8 | UInt64($1) }).databaseValue
        case 3: return String(decoding: bytes(Int(byte())), as: UTF8.self).databaseValue
        case 4: return Data(bytes(Int(byte()))).databaseValue
        default:
            // Text that is nearly what the cache writes: a JSON value.
            return ("{\"id\":" + String(byte()) + "," + String(decoding: bytes(Int(byte())), as: UTF8.self) + "}").databaseValue
        }
    }
}

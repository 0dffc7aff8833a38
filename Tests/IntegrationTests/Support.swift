import Foundation
import Logging
import PlatformClient
import PlatformModel
import PlatformServer
import Synchronization
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The real reference server, in this process, on a free loopback port, with a
/// temporary SQLite store. Tests call it with the real libcurl client from their own
/// (blocking) thread.
final class TestServer: Sendable {
    let port: Int
    let token: String
    let databasePath: String
    let server: PlatformServer
    private let task: Task<Void, Never>

    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts a server; blocks the calling (non-async) thread until it listens.
    /// `watching`: guardrails and alerts are evaluated every `watchInterval` by the server
    /// itself; without, only when a test calls them.
    static func start(tokens: [AccessToken]? = nil, databasePath: String? = nil, port: Int = 0, watching: Bool = true,
                      alertRules: AlertRules = AlertRules()) throws -> TestServer {
        let admin = AccessToken.generatedAdmin()
        let path = try databasePath ?? freshStore()
        var configuration = ServerConfiguration(port: port, databasePath: path, seed: 7, tokens: tokens ?? [admin])
        configuration.watchInterval = watching ? .seconds(1) : nil
        configuration.alertRules = alertRules
        let result = Mutex<Result<(PlatformServer, Int), any Error>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let task = Task {
            do {
                let server = try await PlatformServer(configuration: configuration)
                try await server.run(logger: Logger(label: "test.server") { _ in SwiftLogNoOpLogHandler() }) { port in
                    result.withLock { $0 = .success((server, port)) }
                    ready.signal()
                }
            } catch is CancellationError {
            } catch {
                result.withLock { $0 = .failure(error) }
                ready.signal()
            }
        }
        guard ready.wait(timeout: .now() + 30) == .success else {
            task.cancel()
            throw TestFailure("the server did not start within 30 s")
        }
        let (server, boundPort) = try result.withLock { try $0!.get() }
        return TestServer(port: boundPort, token: (tokens?.first ?? admin).token, databasePath: path, server: server, task: task)
    }

    private init(port: Int, token: String, databasePath: String, server: PlatformServer, task: Task<Void, Never>) {
        self.port = port
        self.token = token
        self.databasePath = databasePath
        self.server = server
        self.task = task
    }

    /// Stops the server and waits until its port no longer accepts connections.
    func stop() {
        task.cancel()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, canConnect(port: port) { usleep(20_000) }
    }

    deinit { task.cancel() }
}

/// A new, empty store for one server: a SQLite file, or, when OPSDECK_TEST_POSTGRES
/// names a PostgreSQL server (postgres://USER@HOST:PORT, as `Tests/pg/cluster.sh`
/// prints), a new database on it, so that the suite runs on either store.
func freshStore() throws -> String {
    guard let server = ProcessInfo.processInfo.environment["OPSDECK_TEST_POSTGRES"], !server.isEmpty else {
        return temporaryPath("platform.sqlite")
    }
    let name = "opsdeck_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    return try PostgresLocation.createDatabase(name, on: server)
}

func temporaryPath(_ name: String) -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("opsdeck-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name).path
}

func canConnect(port: Int) -> Bool {
    guard let fd = connectLoopback(port: port) else { return false }
    close(fd)
    return true
}

/// A blocking TCP connection to 127.0.0.1:port, or nil when nothing accepts it.
func connectLoopback(port: Int) -> Int32? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    if connected { return fd }
    close(fd)
    return nil
}

/// Runs async work from a synchronous test and waits for its result.
func blocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Locked<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
        result.update { $0 = outcome }
        done.signal()
    }
    done.wait()
    return try result.current!.get()
}

extension Array where Element == UInt8 {
    /// The same raw HTTP response with one more header line.
    func withHeader(_ line: String) -> [UInt8] {
        var text = String(decoding: self, as: UTF8.self)
        if let end = text.range(of: "\r\n\r\n") { text.replaceSubrange(end, with: "\r\n\(line)\r\n\r\n") }
        return Array(text.utf8)
    }
}

/// Sends `total` sessions of a release, the first `crashed` of them crashed, in batches
/// of 50 from their own devices.
func sendSessions(_ client: PlatformClient, app: String, release: String, total: Int, crashed: Int) throws {
    var remainingCrashes = crashed
    for batch in 0..<(total / 50) {
        let sessions = (0..<50).map { _ -> SDKSession in
            defer { remainingCrashes -= 1 }
            return SDKSession(startedAt: Date(), durationSeconds: 10, crashed: remainingCrashes > 0)
        }
        _ = try client.send(SDKBatch(app: app, release: release,
                                     device: DeviceInfo(id: "g\(batch)", os: .android, osVersion: "14", model: "Pixel 8"),
                                     sessions: sessions))
    }
}

/// A test against a server with one token per role (vera viewer, sam support, rita
/// release manager, adam admin), started before each test and stopped after it.
class RolesServerTestCase: XCTestCase {
    static let roleTokens = [
        AccessToken(name: "vera", role: .viewer, token: "viewer-token-0123456789"),
        AccessToken(name: "sam", role: .support, token: "support-token-0123456789"),
        AccessToken(name: "rita", role: .releaseManager, token: "manager-token-0123456789"),
        AccessToken(name: "adam", role: .admin, token: "admin-token-0123456789"),
    ]
    var server: TestServer!

    override func setUpWithError() throws {
        server = try TestServer.start(tokens: Self.roleTokens)
    }

    override func tearDown() {
        server.stop()
    }

    /// A client with `name`'s token.
    func client(_ name: String) throws -> PlatformClient {
        try PlatformClient(baseURL: server.url, token: try XCTUnwrap(Self.roleTokens.first { $0.name == name }).token)
    }
}

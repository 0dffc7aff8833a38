import Cache
import Foundation
import PlatformClient
import PlatformModel
import TestSupport
import XCTest

/// Two `opsdeck serve` processes on one PostgreSQL database behind nginx, configured by
/// the repository's own docs/deploy/nginx.conf (issue 17). The console follows the live
/// crash stream through the balancer while crashes arrive; one server is killed with
/// SIGKILL mid-stream; the console goes on through the other, and its cache ends up
/// with exactly the server's events: none lost, none twice. Runs when
/// OPSDECK_TEST_POSTGRES names a PostgreSQL server (`make pg-test` starts one) and
/// nginx is installed.
final class BalancedServersEndToEndTests: XCTestCase {
    func testKillingOneServerMidStreamLosesAndDoublesNothing() throws {
        guard let postgres = ProcessInfo.processInfo.environment["OPSDECK_TEST_POSTGRES"], !postgres.isEmpty else {
            throw XCTSkip("needs OPSDECK_TEST_POSTGRES=postgres://USER@HOST:PORT (make pg-test starts a cluster)")
        }
        guard let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("needs nginx (make pg-test installs it)")
        }
        let folder = Harness.temporaryFolder()
        let database = "opsdeck_balanced_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try Harness.run(["psql", postgres + "/postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(database)"])
        let token = "balanced-admin-token-0123456789"
        let tokens = folder.appendingPathComponent("tokens.toml").path
        try "[[token]]\nname = \"admin\"\nrole = \"admin\"\ntoken = \"\(token)\"\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        let a = try ServerProcess(database: postgres + "/" + database, arguments: ["--tokens", tokens], token: token)
        defer { a.stop() }
        let b = try ServerProcess(database: postgres + "/" + database, arguments: ["--tokens", tokens], token: token)
        defer { b.stop() }

        // The sample configuration, pointed at these two servers and a free port.
        let port = try freePort()
        var config = try String(contentsOf: Harness.root.appendingPathComponent("docs/deploy/nginx.conf"), encoding: .utf8)
        config = config.replacingOccurrences(of: "127.0.0.1:8081", with: "127.0.0.1:\(a.port)")
            .replacingOccurrences(of: "127.0.0.1:8082", with: "127.0.0.1:\(b.port)")
            .replacingOccurrences(of: "listen 127.0.0.1:8080;", with: "listen 127.0.0.1:\(port);")
            .replacingOccurrences(of: "listen 127.0.0.1:9080;", with: "listen 127.0.0.1:\(try freePort());")
            .replacingOccurrences(of: "/tmp/opsdeck-nginx", with: folder.path + "/nginx")
        let configPath = folder.appendingPathComponent("nginx.conf").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let balancer = Process()
        balancer.executableURL = URL(fileURLWithPath: nginx)
        balancer.arguments = ["-c", configPath, "-g", "daemon off;"]
        balancer.standardError = FileHandle.nullDevice
        try balancer.run()
        defer { balancer.terminate(); balancer.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)"
        try waitUntil("nginx answers", timeout: 10) { (try? PlatformClient(baseURL: url, token: token).apps()) != nil }

        let client = try PlatformClient(baseURL: url, token: token, timeouts: .init(connect: 2, total: 10))
        let app = try XCTUnwrap(try client.apps().value?.first)
        let release = try XCTUnwrap(try client.releases(app: app.id).value?.first?.version)
        let cachePath = folder.appendingPathComponent("cache.sqlite").path
        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(cachePath) OPSDECK_TOKEN=\(token) \(Harness.binary) --api \(url) --log \(folder.path)/console.log")
        try terminal.waitFor(["app \(app.id)", "online"])
        try terminal.send("2")
        try terminal.waitFor(["● live"])

        // Crashes through the balancer, 20 every 50 ms; a send that fails (its server
        // died under it) is sent again, as an SDK would.
        let sending = Flag(), sent = Locked(0)
        let sender = Thread {
            guard let client = try? PlatformClient(baseURL: url, token: token, timeouts: .init(connect: 1, total: 5)) else { return }
            var round = 0
            while !sending.isSet {
                round += 1
                let batch = SDKBatch(
                    app: app.id, release: release, device: DeviceInfo(id: "balanced-\(round % 20)", os: app.platform, osVersion: "14", model: "Pixel 8"),
                    crashes: (0..<20).map { n in
                        SDKCrash(kind: .crash, exceptionType: "Balanced\(n % 4)", message: "round \(round)", frames: [], at: Date())
                    })
                for _ in 0..<20 {
                    if let receipt = try? client.send(batch) {
                        sent.update { $0 += receipt.crashIds.count }
                        break
                    }
                }
                usleep(50_000)  // pacing the load
            }
        }
        sender.start()
        defer { sending.set() }
        try waitUntil("the stream carried 400 events", timeout: 30) { sent.current >= 400 }
        kill(a.process.processIdentifier, SIGKILL)
        let killedAt = sent.current
        try waitUntil("400 more were sent after the kill", timeout: 30) { sent.current >= killedAt + 400 }
        sending.set()
        while sender.isExecuting { usleep(10_000) }

        // The server's events of the app, through the balancer (only B is left).
        var serverIDs: [Int64] = []
        var cursor: String?
        repeat {
            let page = try client.crashEvents(app: app.id, since: cursor, limit: 5000)
            serverIDs += page.items.map(\.id)
            cursor = page.items.isEmpty ? nil : page.nextCursor
        } while cursor != nil
        XCTAssertEqual(serverIDs.count, sent.current, "the server stored every acknowledged event once")
        let cache = try CacheStore(path: cachePath)
        try waitUntil("the console's cache holds exactly the server's events", timeout: 30) {
            try cache.crashEventIDs(app: app.id).sorted() == serverIDs.sorted()
        }
        let screen = try terminal.screen()
        XCTAssertTrue(screen.contains("● live"), "the console is live again, through B:\n\(screen)")
        XCTAssertTrue(screen.contains("\(GroupedNumber.of(serverIDs.count)) events cached"), screen)
    }

    private func freePort() throws -> Int {
        let output = try Harness.run(["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        guard let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw TestFailure("no free port: \(output)") }
        return port
    }
}

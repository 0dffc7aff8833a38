import Foundation
import PlatformClient
import PlatformModel
import XCTest

/// The real binary in a real terminal, against the real server over loopback.
final class ConsoleEndToEndTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = Harness.temporaryFolder()
        guard FileManager.default.isExecutableFile(atPath: Harness.binary) else {
            throw Harness.Failure("no opsdeck binary at \(Harness.binary): run `swift build` first (make test does)")
        }
        _ = try Harness.run(["tmux", "-V"])
    }

    func consoleCommand(_ server: ServerProcess, cache: String, extra: String = "") -> String {
        "env OPSDECK_CACHE=\(cache) \(Harness.binary) --api \(server.url) --token \(server.token) --log \(folder.path)/console.log \(extra)"
    }

    /// Sends the quit key and expects the console to end with status 0 soon after.
    func assertQuits(_ terminal: Terminal, key: String = "q", file: StaticString = #filePath, line: UInt = #line) throws {
        try terminal.send(key)
        let status = try terminal.waitForExit()
        if status != 0 {
            let log = (try? String(contentsOfFile: folder.appendingPathComponent("console.log").path, encoding: .utf8)) ?? ""
            XCTFail("\(key) did not end the console with status 0 (got \(String(describing: status)))\nscreen:\n\(try terminal.screen())\nlog:\n\(log.suffix(2000))", file: file, line: line)
        }
    }

    func firstAppReleases(_ server: ServerProcess) throws -> (App, [Release]) {
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let app = try XCTUnwrap(client.apps().value?.first)
        return (app, try XCTUnwrap(client.releases(app: app.id).value))
    }

    func testConsoleShowsTheServersReleasesAndQuitsCleanly() throws {
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let (app, releases) = try firstAppReleases(server)
        let terminal = try Terminal(command: consoleCommand(server, cache: folder.appendingPathComponent("cache.sqlite").path))
        let screen = try terminal.waitFor(releases.map(\.version) + ["online", app.id, "Releases", "Crashes", "Rollouts", "Breakers", "Funnels", "Audit"])
        XCTAssertTrue(screen.contains("VERSION"), screen)

        try terminal.send("2")
        try terminal.waitFor(["Live crash and ANR stream"])
        try terminal.send("1")
        try terminal.waitFor([releases[0].version])
        try terminal.send("a")
        try terminal.waitFor(["app \(try PlatformClient(baseURL: server.url, token: server.token).apps().value![1].id)"])

        try assertQuits(terminal)
    }

    func testWithTheServerGoneTheCacheIsShownAndSaysOffline() throws {
        let cache = folder.appendingPathComponent("cache.sqlite").path
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        let (_, releases) = try firstAppReleases(server)
        do {
            let terminal = try Terminal(command: consoleCommand(server, cache: cache))
            try terminal.waitFor(releases.map(\.version) + ["online"])
            try assertQuits(terminal)
        }
        server.stop()

        let offline = try Terminal(command: consoleCommand(server, cache: cache))
        let screen = try offline.waitFor(releases.map(\.version) + ["offline", "connection refused", "(stale)"])
        XCTAssertTrue(screen.contains("showing cached data"), screen)
        try assertQuits(offline, key: "C-c")
    }

    func testAWrongTokenIsExplained() throws {
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let command = "env OPSDECK_CACHE=\(folder.path)/c.sqlite \(Harness.binary) --api \(server.url) --token wrong-token --log \(folder.path)/console.log"
        let terminal = try Terminal(command: command)
        try terminal.waitFor(["refused the token", "OPSDECK_TOKEN"])
        try assertQuits(terminal)
    }

    func testTooSmallATerminalSaysSo() throws {
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let terminal = try Terminal(command: consoleCommand(server, cache: folder.appendingPathComponent("cache.sqlite").path), width: 60, height: 15)
        try terminal.waitFor(["Terminal too small: 60×15"])
        try terminal.tmux(["resize-window", "-t", "main", "-x", "120", "-y", "40"])
        try terminal.waitFor(["VERSION", "online"])
        try assertQuits(terminal)
    }

    func testDemoRunsEverythingAndQuittingStopsIt() throws {
        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/demo-cache.sqlite \(Harness.binary) demo --log \(folder.path)/demo.log")
        try terminal.waitFor(["online", "wallet-android", "VERSION", "◐ gray"])
        try assertQuits(terminal)
    }

    func testNothingButTheScreenIsWrittenWhileTheConsoleRuns() throws {
        // stderr of the console goes to a file; it must stay empty (logs go to --log).
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let stderrPath = folder.appendingPathComponent("stderr.txt").path
        let terminal = try Terminal(command: consoleCommand(server, cache: folder.appendingPathComponent("cache.sqlite").path) + " 2>\(stderrPath)")
        try terminal.waitFor(["online"])
        try assertQuits(terminal)
        XCTAssertEqual(try String(contentsOfFile: stderrPath, encoding: .utf8), "")
        let log = try String(contentsOfFile: folder.appendingPathComponent("console.log").path, encoding: .utf8)
        XCTAssertTrue(log.contains("console started"), log)
    }
}

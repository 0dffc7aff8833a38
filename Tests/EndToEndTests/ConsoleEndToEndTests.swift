import Cache
import Foundation
import PlatformClient
import PlatformModel
import TestSupport
import XCTest

/// The real binary in a real terminal, against the real server over loopback.
final class ConsoleEndToEndTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = Harness.temporaryFolder()
        guard FileManager.default.isExecutableFile(atPath: Harness.binary) else {
            throw TestFailure("no opsdeck binary at \(Harness.binary): run `swift build` first (make test does)")
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
        // It opens on the overview: every app, its live releases, the alerts.
        let apps = try XCTUnwrap(PlatformClient(baseURL: server.url, token: server.token).apps().value)
        try terminal.waitFor(apps.map(\.id) + ["online", "Overview", "Releases", "Crashes", "Rollouts", "Breakers", "Funnels", "Audit", "ALERTS", "CF SESS"])
        try terminal.send("1")
        let screen = try terminal.waitFor(releases.map(\.version) + ["app \(app.id)"])
        XCTAssertTrue(screen.contains("VERSION"), screen)

        try terminal.send("2")
        try terminal.waitFor(["Live events"])
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
            try terminal.waitFor(["online", "ALERTS", "CF SESS"])
            try terminal.send("1")
            try terminal.waitFor(releases.map(\.version) + ["online"])
            try assertQuits(terminal)
        }
        server.stop()

        let offline = try Terminal(command: consoleCommand(server, cache: cache))
        // It starts on the cache and says why; the overview as cached, then the app's
        // releases, both saying how stale.
        try offline.waitFor(["starting offline on the cache"])
        try offline.waitFor(["offline", "CF SESS", "(stale)"])
        try offline.send("1")
        try offline.waitFor(releases.map(\.version) + ["offline", "connection refused", "(stale)"])
        // The sync's own word comes after the start's notice, in turn.
        try offline.waitFor(["showing cached data"], timeout: 30)
        try assertQuits(offline, key: "C-c")
    }

    func testAWrongTokenIsExplained() throws {
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        // Before the screen, with a status a script can test: no screen is drawn.
        let cache = "\(folder.path)/c.sqlite"
        var run = try Harness.exec([Harness.binary, "--api", server.url, "--token", "wrong-token", "--log", "\(folder.path)/console.log"],
                                   environment: ["OPSDECK_CACHE": cache])
        XCTAssertEqual(run.status, 77, run.errors)
        XCTAssertTrue(run.errors.contains("refused the token") && run.errors.contains("OPSDECK_TOKEN"), run.errors)
        // A malformed address is a usage error; an unreachable server with nothing cached is 69.
        run = try Harness.exec([Harness.binary, "--api", "not a url", "--token", "t"], environment: ["OPSDECK_CACHE": cache])
        XCTAssertEqual(run.status, 64, run.errors)
        run = try Harness.exec([Harness.binary, "--api", "http://127.0.0.1:1", "--token", "t"], environment: ["OPSDECK_CACHE": cache])
        XCTAssertEqual(run.status, 69, run.errors)
        XCTAssertTrue(run.errors.contains("nothing is cached for it yet"), run.errors)
        XCTAssertFalse(FileManager.default.fileExists(atPath: cache), "nothing was created for a console that did not start")
    }

    /// A log that reaches 10 MB is renamed to `.1` (the one before dropped) and a new
    /// one begun, owner-only: a long session cannot fill the disk.
    func testTheLogRotatesAtItsLimit() throws {
        let log = folder.appendingPathComponent("console.log").path
        let old = String(repeating: "an old line of the last session\n", count: (10 * 1024 * 1024) / 32 - 2)
        try old.write(toFile: log, atomically: false, encoding: .utf8)
        try "the session before that\n".write(toFile: log + ".1", atomically: false, encoding: .utf8)
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/c.sqlite \(Harness.binary) --api \(server.url) --token \(server.token) --log \(log)")
        try terminal.waitFor(["online"])
        try assertQuits(terminal)
        let rotated = try String(contentsOfFile: log + ".1", encoding: .utf8)
        XCTAssertTrue(rotated.hasPrefix(old), "the full log moved to .1 whole")
        XCTAssertLessThanOrEqual(rotated.utf8.count, 10 * 1024 * 1024)
        let fresh = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertFalse(fresh.isEmpty, "this session's lines went on in a new file")
        XCTAssertFalse(fresh.contains("an old line"), fresh)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: log)[.posixPermissions] as? Int)
        XCTAssertEqual(mode & 0o077, 0, "a new log is the owner's only")
    }

    func testTooSmallATerminalSaysSo() throws {
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let terminal = try Terminal(command: consoleCommand(server, cache: folder.appendingPathComponent("cache.sqlite").path), width: 36, height: 10)
        try terminal.waitFor(["Terminal too small: 36×10"])
        // Narrow mode from 40x12: the pane's list, its name in place of the tabs, help.
        try terminal.tmux(["resize-window", "-t", "main", "-x", "44", "-y", "14"])
        try terminal.waitFor(["0 Overview", "Tab next", "? help"])
        try terminal.send("1")
        try terminal.waitFor(["1 Releases", "VERSION", "5.3.0"])
        try terminal.tmux(["resize-window", "-t", "main", "-x", "120", "-y", "40"])
        try terminal.waitFor(["0 Overview   1 Releases", "CF SESS", "online"])
        try assertQuits(terminal)
    }

    /// Rapid resizes leave the screen as a fresh draw would (Ctrl-L) shows it: no stale
    /// cells, no shifted rows. The server has no fleet, so the data stays still; the
    /// header's age may move and is left out.
    func testRapidResizesRepaintLikeAFreshDraw() throws {
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let terminal = try Terminal(command: consoleCommand(server, cache: folder.appendingPathComponent("cache.sqlite").path))
        try terminal.waitFor(["online", "ALERTS", "CF SESS"])
        for pane in ["0", "1", "2"] {
            try terminal.send(pane)
            for (width, height) in [(100, 30), (120, 40), (80, 24), (150, 45), (120, 40), (90, 26), (120, 40)] {
                try terminal.tmux(["resize-window", "-t", "main", "-x", "\(width)", "-y", "\(height)"])
            }
            // Drawn at the last size: the header on the first row, the key hints on the last.
            try assertMatchesFullRepaint(terminal, "pane \(pane) after resizes") { screen in
                let rows = screen.split(separator: "\n", omittingEmptySubsequences: false)
                return rows.count >= 40 && rows[0].contains("OpsDeck") && rows[39].contains("q quit")
            }
        }
        try assertQuits(terminal)
    }

    func testADumbTerminalIsToldWhyAndTheExitStatusSaysSo() throws {
        // A reachable server: an unreachable one with nothing cached is refused (69)
        // before the terminal is looked at.
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let command = "env TERM=dumb OPSDECK_CACHE=\(folder.path)/c.sqlite \(Harness.binary) --api \(server.url) --token \(server.token) --log \(folder.path)/console.log; echo EXIT=$?; sleep 30"
        let terminal = try Terminal(command: command)
        try terminal.waitFor(["TERM=dumb", "cannot move the cursor", "EXIT=64"])
    }

    func testASignalEndsTheConsoleWith128PlusIt() throws {
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let terminal = try Terminal(command: consoleCommand(server, cache: folder.appendingPathComponent("cache.sqlite").path) + "; echo EXIT=$?; sleep 30")
        try terminal.waitFor(["online"])
        let pid = try XCTUnwrap(Int32(try Harness.run(["pgrep", "-n", "-f", "^\(Harness.binary) --api"]).trimmingCharacters(in: .whitespacesAndNewlines)))
        kill(pid, SIGTERM)
        try terminal.waitFor(["EXIT=143"])
    }

    func testDemoRunsEverythingAndQuittingStopsIt() throws {
        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/demo-cache.sqlite \(Harness.binary) demo --log \(folder.path)/demo.log")
        try terminal.waitFor(["online", "wallet-android", "merchant-ios", "ALERTS", "◐"])
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

/// The live crash feed of the real console against a real server that is stopped and
/// restarted (same store, same port) while events stream in.
final class LiveFeedEndToEndTests: XCTestCase {
    /// Keys pressed before any data has arrived (a fresh cache) must not leave the live
    /// stream off: Crashes, then another pane and back, at once.
    func testTheLiveStreamStartsWhateverIsPressedBeforeTheFirstData() throws {
        let folder = Harness.temporaryFolder()
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/fresh.sqlite \(Harness.binary) --api \(server.url) --token \(server.token) --log \(folder.path)/console.log")
        try terminal.send("2", "3", "2")
        try terminal.waitFor(["● live"], timeout: 30)
        try terminal.send("q")
        XCTAssertEqual(try terminal.waitForExit(), 0)
    }

    func testCacheEqualsTheServersEventsAfterRestartsUnderALiveStream() throws {
        let folder = Harness.temporaryFolder()
        guard FileManager.default.isExecutableFile(atPath: Harness.binary) else {
            throw TestFailure("no opsdeck binary at \(Harness.binary): run `swift build` first (make test does)")
        }
        let token = "e2e-admin-token-0123456789abcdef"
        let tokens = folder.appendingPathComponent("tokens.toml").path
        try "[[token]]\nname = \"admin\"\nrole = \"admin\"\ntoken = \"\(token)\"\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        let database = folder.appendingPathComponent("platform.sqlite").path
        let cachePath = folder.appendingPathComponent("cache.sqlite").path
        // The simulated fleet as well as our own sender: events from every side.
        let live = ["--tokens", tokens, "--simulate", "--rate", "100"]
        var server = try ServerProcess(database: database, arguments: live, token: token)
        let port = server.port
        let app = try XCTUnwrap(try PlatformClient(baseURL: server.url, token: token).apps().value?.first)

        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(cachePath) \(Harness.binary) --api \(server.url) --token \(token) --log \(folder.path)/console.log")
        try terminal.waitFor(["app \(app.id)", "online"])
        try terminal.send("2")
        try terminal.waitFor(["● live"])

        let sending = Flag(), stopped = Flag()
        let sent = Locked(0), failed = Locked(0)
        let sender = Thread {
            defer { stopped.set() }
            guard let client = try? PlatformClient(baseURL: "http://127.0.0.1:\(port)", token: token, timeouts: .init(connect: 1, total: 3)),
                  let release = try? client.releases(app: app.id).value?.first?.version else { return }
            var round = 0
            while !sending.isSet {
                round += 1
                let batch = SDKBatch(
                    app: app.id, release: release, device: DeviceInfo(id: "e2e-\(round % 30)", os: app.platform, osVersion: "14", model: "Pixel 8"),
                    crashes: (0..<2).map { n in
                        SDKCrash(kind: n == 0 ? .crash : .anr, exceptionType: "E2E\(round % 3)", message: "round \(round)",
                                 frames: [StackFrame(symbol: "e2e.frame\(n)", inApp: true)], at: Date())
                    })
                if let receipt = try? client.send(batch) {
                    sent.update { $0 += receipt.crashIds.count }
                } else {
                    failed.update { $0 += 1 }
                }
                usleep(20_000)  // pacing: about 100 events a second
            }
        }
        sender.start()
        func waitForMoreSent(_ count: Int) throws {
            let target = sent.current + count
            try waitUntil("\(count) more events were sent") { sent.current >= target }
        }

        for round in 0..<4 {
            try waitForMoreSent(100)
            // Half the time a clean stop, half a crash.
            if round % 2 == 0 { server.stop() } else { server.kill() }
            let failures = failed.current
            try waitUntil("the sender found the server down") { failed.current > failures }
            server = try ServerProcess(database: database, port: port, arguments: live, token: token)
        }
        try waitForMoreSent(100)
        sending.set()
        try waitUntil("the sender stopped") { stopped.isSet }
        // A last restart without the fleet, so that the server's set stops growing.
        server.stop()
        server = try ServerProcess(database: database, port: port, arguments: ["--tokens", tokens], token: token)
        defer { server.stop() }
        XCTAssertGreaterThan(sent.current, 100, "events went in between the restarts")

        let client = try PlatformClient(baseURL: server.url, token: token)
        var expected: [Int64] = []
        var cursor: String?
        while true {
            let page = try client.crashEvents(app: app.id, since: cursor, limit: 500)
            expected += page.items.map(\.id)
            cursor = page.nextCursor
            if page.items.count < 500 { break }
        }
        // A second reader of the console's cache file, as a second console would be.
        let cache = try CacheStore(path: cachePath)
        let deadline = Date().addingTimeInterval(30)
        var cached: [Int64] = []
        while Date() < deadline {
            cached = try cache.crashEventIDs(app: app.id)
            if cached.count >= expected.count { break }
            usleep(200_000)
        }
        usleep(500_000)
        cached = try cache.crashEventIDs(app: app.id)
        XCTAssertEqual(cached.count, expected.count, "none lost, none twice")
        XCTAssertEqual(Set(cached), Set(expected), "the cache's crash_events ids equal the server's")
        try terminal.waitFor(["● live"])
        try terminal.send("q")
        XCTAssertEqual(try terminal.waitForExit(), 0)
    }
}


/// A support engineer's path in the real console, by mouse and keys: flip a breaker with
/// a reason, see it confirmed, find it in the Audit pane, and see it through the API.
final class BreakerEndToEndTests: XCTestCase {
    func testFlippingABreakerWithAReasonLandsOnTheServerAndInTheAuditPane() throws {
        let folder = Harness.temporaryFolder()
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let app = try XCTUnwrap(client.apps().value?.first)
        let switches = try XCTUnwrap(client.switches(app: app.id).value)
        let index = try XCTUnwrap(switches.firstIndex { $0.kind == .circuitBreaker && $0.enabled })
        let breaker = switches[index]

        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/cache.sqlite \(Harness.binary) --api \(server.url) --token \(server.token) --log \(folder.path)/console.log")
        try terminal.waitFor(["app \(app.id)", "online"])
        // By mouse: the Breakers tab, then the breaker's toggle.
        try terminal.click(x: try XCTUnwrap(terminal.column(of: "4 Breakers", row: 1)) + 1, y: 1)
        try terminal.waitFor([breaker.key, "● CLOSED"])
        let row = try XCTUnwrap(terminal.screen().split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(" \(breaker.key) ") })
        try terminal.click(x: 3, y: row)
        try terminal.waitFor(["Open circuit breaker \(breaker.key)", "OPEN (failing fast)", "Reason:"])
        try terminal.send("Enter")
        try terminal.waitFor(["a reason is required"])
        try terminal.tmux(["send-keys", "-t", "main", "-l", "e2e drill INC-7"])
        try terminal.send("Enter")
        try terminal.waitFor(["\(breaker.key) is now OPEN (failing fast) (confirmed by the server"])

        let after = try XCTUnwrap(client.switches(app: app.id).value?.first { $0.key == breaker.key })
        XCTAssertFalse(after.enabled)
        let audit = try client.audit().items
        XCTAssertTrue(audit.contains { $0.target.hasSuffix(breaker.key) && $0.reason == "e2e drill INC-7" }, "\(audit)")

        try terminal.send("6")
        try terminal.waitFor(["switch.disable", "e2e drill INC-7"])
        try terminal.send("q")
        XCTAssertEqual(try terminal.waitForExit(), 0)
    }
}

/// The on-call path in the real console: the crash in the gray release and its stack,
/// halting that release, raising another's gray, a funnel's worst step, and the changes
/// seen in Audit and through the API.
final class OnCallEndToEndTests: XCTestCase {
    func testFindTheCrashHaltTheReleaseRaiseAnotherAndSeeItAllAudited() throws {
        let folder = Harness.temporaryFolder()
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let apps = try XCTUnwrap(client.apps().value)
        let app = apps[0]
        let gray = try XCTUnwrap(client.releases(app: app.id).value?.first { $0.stage == .gray })
        // A crash in the gray release, as a device would send it.
        _ = try client.send(SDKBatch(
            app: app.id, release: gray.version, device: DeviceInfo(id: "oncall-1", os: app.platform, osVersion: "14", model: "Pixel 8"),
            crashes: [SDKCrash(kind: .crash, exceptionType: "CheckoutStateException", message: "coupon was null",
                               frames: [StackFrame(symbol: "com.opsdeck.checkout.Coupon.apply", file: "Coupon.kt", line: 42, inApp: true)], at: Date())]))
        // And an ANR elsewhere, for the filter to leave out.
        _ = try client.send(SDKBatch(
            app: app.id, release: gray.version, device: DeviceInfo(id: "oncall-2", os: app.platform, osVersion: "14", model: "Pixel 8"),
            crashes: [SDKCrash(kind: .anr, exceptionType: "FeedFrozenANR", message: "main thread blocked", frames: [], at: Date())]))

        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/cache.sqlite \(Harness.binary) --api \(server.url) --token \(server.token) --log \(folder.path)/console.log")
        try terminal.waitFor(["app \(app.id)", "online"])
        try terminal.send("2")
        try terminal.waitFor(["CheckoutStateException", "FeedFrozenANR", gray.version])
        // Only crashes: f, down to Kind, right to "crash", keep.
        try terminal.send("f")
        try terminal.waitFor(["Filter crashes", "▸ Release"])
        try terminal.send("j", "l", "Enter")
        let filtered = try terminal.waitFor(["only crash", "CheckoutStateException"])
        XCTAssertFalse(filtered.contains("FeedFrozenANR"), filtered)
        try terminal.send("Enter")
        try terminal.waitFor(["Stack trace", "com.opsdeck.checkout.Coupon.apply (Coupon.kt:42)"])
        try terminal.send("Escape")

        // Halt the gray release.
        try terminal.send("3")
        try terminal.waitFor(["\(gray.version) (build"])
        let rollouts = try XCTUnwrap(client.releases(app: app.id).value).filter { [.whitelist, .gray, .halted].contains($0.stage) }
        let grayIndex = try XCTUnwrap(rollouts.firstIndex { $0.version == gray.version })
        for _ in 0..<grayIndex { try terminal.send("j") }
        try terminal.send("H")
        try terminal.waitFor(["Halt \(app.id) \(gray.version)"])
        try terminal.tmux(["send-keys", "-t", "main", "-l", "crash spike in checkout"])
        try terminal.send("Enter")
        try terminal.waitFor(["\(gray.version) is now halted (confirmed by the server"])
        XCTAssertEqual(try client.release(app: app.id, version: gray.version).stage, .halted)

        // Raise another app's gray by 5 points.
        let other = try XCTUnwrap(apps.dropFirst().first { app in (try? client.releases(app: app.id).value?.contains { $0.stage == .gray }) == true })
        let otherRelease = try XCTUnwrap(client.releases(app: other.id).value?.first { $0.stage == .gray })
        let otherRollouts = try XCTUnwrap(client.releases(app: other.id).value).filter { [.whitelist, .gray, .halted].contains($0.stage) }
        while try !terminal.screen().contains("app \(other.id)") {
            try terminal.send("a")
            usleep(300_000)
        }
        try terminal.waitFor(["\(otherRelease.version) (build"])
        for _ in 0..<(otherRollouts.firstIndex { $0.version == otherRelease.version } ?? 0) { try terminal.send("j") }
        // ] goes up the gray ladder (1 2 5 10 20 50 100 %) to the next rung.
        let rung = try XCTUnwrap([1.0, 2, 5, 10, 20, 50, 100].first { $0 > otherRelease.grayPercent })
        try terminal.send("]")
        try terminal.send("Enter")
        try terminal.waitFor(["Raise the gray of \(other.id) \(otherRelease.version)"])
        try terminal.tmux(["send-keys", "-t", "main", "-l", "healthy for a day"])
        try terminal.send("Enter")
        try terminal.waitFor(["\(otherRelease.version) is now gray at"])
        XCTAssertEqual(try client.release(app: other.id, version: otherRelease.version).grayPercent, rung)

        // The checkout funnel's worst step: five devices start, four reach the second
        // step, one the third.
        let now = Date()
        for device in 0..<5 {
            let reached = device == 0 ? 3 : device < 4 ? 2 : 1
            _ = try client.send(SDKBatch(
                app: other.id, release: otherRelease.version, device: DeviceInfo(id: "funnel-\(device)", os: other.platform, osVersion: "14", model: "Pixel 8"),
                funnelSteps: DemoFunnels.checkout.steps.prefix(reached).enumerated().map { SDKFunnelStep(name: $1, at: now.addingTimeInterval(Double($0 * 10 - 60))) }))
        }
        try terminal.send("5")
        try terminal.waitFor(["Checkout", "▼ enter_payment", "biggest drop-off"])

        try terminal.send("6")
        try terminal.waitFor(["release.halt", "crash spike in checkout", "release.gray", "healthy for a day"])
        let audit = try client.audit().items
        XCTAssertTrue(audit.contains { $0.action == .releaseHalt && $0.reason == "crash spike in checkout" })
        XCTAssertTrue(audit.contains { $0.action == .releaseGray && $0.reason == "healthy for a day" })
        try terminal.send("q")
        XCTAssertEqual(try terminal.waitForExit(), 0)
    }
}

/// A viewer token: the console shows the role and refuses changes before sending them.
final class ViewerEndToEndTests: XCTestCase {
    func testAViewerSeesItsRoleAndCannotFlipABreaker() throws {
        let folder = Harness.temporaryFolder()
        let tokens = folder.appendingPathComponent("tokens.toml").path
        try """
            [[token]]
            name = "vera"
            role = "viewer"
            token = "viewer-token-0123456789abcdef"
            """.write(toFile: tokens, atomically: true, encoding: .utf8)
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path, arguments: ["--tokens", tokens],
                                       token: "viewer-token-0123456789abcdef")
        defer { server.stop() }
        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/cache.sqlite \(Harness.binary) --api \(server.url) --token \(server.token) --log \(folder.path)/console.log")
        try terminal.waitFor(["vera (viewer)", "online"])
        try terminal.send("4")
        try terminal.waitFor(["● CLOSED"])
        try terminal.send("Space")
        try terminal.waitFor(["the token's role (viewer) may not change switches"])
        XCTAssertFalse(try terminal.screen().contains("Reason:"))
        try terminal.send("q")
        XCTAssertEqual(try terminal.waitForExit(), 0)
    }
}

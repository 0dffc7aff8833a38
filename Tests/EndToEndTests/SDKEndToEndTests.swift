import Foundation
import PlatformClient
import PlatformModel
import TestSupport
import XCTest

/// Real SDKs (sentry-sdk, UnleashClient, from PyPI; `make test` installs them) against a
/// real server, with the real console in tmux watching or acting.
final class SDKEndToEndTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = Harness.temporaryFolder()
        _ = try Harness.run(["tmux", "-V"])
        guard try Harness.exec(["python3", "-c", "import sentry_sdk, UnleashClient"]).status == 0 else {
            throw TestFailure("sentry-sdk and UnleashClient are not installed: `make test` installs them (Tests/sdk/run.sh --install)")
        }
    }

    private func console(_ server: ServerProcess) throws -> Terminal {
        try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/cache.sqlite \(Harness.binary) --api \(server.url) --token \(server.token) "
                     + "--log \(folder.path)/console.log")
    }

    private func typeText(_ terminal: Terminal, _ text: String) throws {
        _ = try terminal.tmux(["send-keys", "-t", "main", "-l", text])
    }

    /// sentry-sdk reports an unhandled exception through the focused app's DSN; the
    /// console's live list shows it within 2 s of the SDK's flush.
    func testASentryCrashReachesTheConsolesLiveListWithinTwoSeconds() throws {
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let app = try XCTUnwrap(PlatformClient(baseURL: server.url, token: server.token).apps().value?.first)
        let dsn = try XCTUnwrap(app.sentryDSN)
        let terminal = try console(server)
        try terminal.waitFor(["online"])
        try terminal.send("2")
        try terminal.waitFor(["Live events", "app \(app.id)"])

        let script = """
            import sentry_sdk, sys
            from sentry_sdk.utils import event_from_exception
            sentry_sdk.init(dsn="\(dsn)", release="\(app.bundleId)@5.3.0+530", default_integrations=False)
            class CheckoutStateCorrupted(Exception):
                pass
            def pay():
                raise CheckoutStateCorrupted("cart total is negative")
            try:
                pay()
            except CheckoutStateCorrupted:
                event, hint = event_from_exception(sys.exc_info(), client_options=sentry_sdk.get_client().options,
                                                   mechanism={"type": "excepthook", "handled": False})
                sentry_sdk.capture_event(event, hint=hint)
            sentry_sdk.flush(timeout=5)
            """
        let started = Date()
        let sent = try Harness.exec(["python3", "-c", script])
        XCTAssertEqual(sent.status, 0, sent.errors)
        let flushed = Date()
        try terminal.waitFor(["CheckoutStateCorrupted"], timeout: 2)
        let took = Date().timeIntervalSince(flushed)
        print("sentry-sdk: flushed to on screen \(String(format: "%.2f", took)) s; from starting the script (Python, import, "
              + "send, flush, exit) \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        XCTAssertLessThanOrEqual(took, 2)
    }

    /// An Unleash SDK polling the Client API sees a switch flipped in the console within
    /// its refresh interval.
    func testAFlipInTheConsoleReachesUnleashClientWithinItsRefreshInterval() throws {
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let app = try XCTUnwrap(PlatformClient(baseURL: server.url, token: server.token).apps().value?.first)
        let made = try CurlTransport().perform(
            method: "POST", url: "\(server.url)/v1/apps/\(app.id)/sdk-tokens",
            headers: ["Authorization": "Bearer \(server.token)", "Content-Type": "application/json"],
            body: Data(#"{"name": "backend", "kind": "client", "reason": "e2e"}"#.utf8))
        XCTAssertEqual(made.status, 201)
        let token = try XCTUnwrap(try JSONDecoder().decode([String: String?].self, from: made.body)["token"] ?? nil)

        // The SDK writes a line each time pay-api's answer changes: "TIME on|off".
        let states = folder.appendingPathComponent("states.txt").path
        let sdk = Process()
        sdk.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sdk.arguments = ["python3", "-c", """
            import time
            from UnleashClient import UnleashClient
            client = UnleashClient(url="\(server.url)/api", app_name="e2e", refresh_interval=1, disable_metrics=True,
                                   custom_headers={"Authorization": "\(token)"}, cache_directory="\(folder.path)/unleash")
            client.initialize_client()
            last = None
            deadline = time.time() + 90
            while time.time() < deadline:
                now = client.is_enabled("pay-api", {"properties": {"deviceId": "e2e-device"}})
                if now != last:
                    with open("\(states)", "a") as out:
                        out.write(f"{time.time():.3f} {'on' if now else 'off'}\\n")
                    last = now
                time.sleep(0.02)
            """]
        try sdk.run()
        defer { sdk.terminate() }
        func lines() -> [String] {
            ((try? String(contentsOfFile: states, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        try waitUntil("the SDK sees pay-api on", timeout: 20) { lines().last?.hasSuffix(" on") == true }

        let terminal = try console(server)
        try terminal.waitFor(["online"])
        try terminal.send("4")
        try terminal.waitFor(["pay-api", "● CLOSED"])
        try terminal.send("/")
        try typeText(terminal, "pay-api")
        try terminal.send("Enter")
        try terminal.send("Space")
        try terminal.waitFor(["Open circuit breaker pay-api of \(app.id)"])
        try typeText(terminal, "payments API answering 5xx")
        try terminal.send("Enter")
        try terminal.waitFor(["pay-api is now OPEN (failing fast)"])
        let flipped = Date().timeIntervalSince1970
        try waitUntil("the SDK sees pay-api off", timeout: 5) { lines().last?.hasSuffix(" off") == true }
        let seen = try XCTUnwrap(Double(lines().last?.split(separator: " ").first ?? ""))
        let took = seen - flipped
        print("console flip to UnleashClient: \(String(format: "%.2f", took)) s (refresh interval 1 s)")
        XCTAssertLessThanOrEqual(took, 1.5, "within the 1 s refresh interval and a poll")
    }
}

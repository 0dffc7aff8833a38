import Foundation
import PlatformClient
import PlatformModel
import TestSupport
import XCTest

/// The on-call engineer's whole path in `opsdeck demo` (the platform, the simulated fleet
/// and the console, one process, in tmux): the overview puts the spiking app on top with an alert; `!`, `Enter`
/// lands on the crashing issue; `H` halts its release with a reason (three keys from
/// launch to the dialog); the `new-checkout` kill switch goes off and the console shows
/// devices picking it up; a minute later the fleet sends no more of the spike, and the
/// gray release's alert has resolved.
final class AlertToActionEndToEndTests: XCTestCase {
    func testFromTheOverviewToTheHaltAndTheKillSwitchAndTheSpikeStops() throws {
        // `opsdeck demo` as a person starts it, with a token the test knows so that it
        // can check the server's side through the API.
        let folder = Harness.temporaryFolder()
        let token = "e2e-demo-admin-token-0001"
        let tokens = folder.appendingPathComponent("tokens.toml").path
        try "[[token]]\nname = \"oncall\"\nrole = \"admin\"\ntoken = \"\(token)\"\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        let log = folder.appendingPathComponent("demo.log").path
        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/cache.sqlite \(Harness.binary) demo --tokens \(tokens) --rate 40 --log \(log)",
                                    width: 160, height: 45)
        let client = try PlatformClient(baseURL: try demoAPI(log: log), token: token)

        // The overview, the spiking app first, with its alert.
        var screen = try terminal.waitFor(["ALERTS", "new issue in gray", "⚑"], timeout: 60)
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try XCTUnwrap(lines.firstIndex { $0.contains("APP") && $0.contains("CF SESS") })
        let top = lines[header + 1]
        XCTAssertTrue(top.contains("crit") || top.contains("warn"), "the first app has an open alert: \(top)")

        // ! and Enter: the alert's issue, its stack loading then shown.
        try terminal.send("!")
        try terminal.waitFor(["go to it", "acknowledge"])
        screen = try terminal.screen()
        try terminal.send("Enter")
        screen = try terminal.waitFor(["Checkout", "halt/resume/back"], timeout: 30)
        let alerts = try XCTUnwrap(client.alerts().value)
        let topLine = try XCTUnwrap(screen.split(separator: "\n").first { $0.contains("app ") })
        let app = try XCTUnwrap(alerts.map(\.app).first { topLine.contains("app \($0) ") || topLine.hasSuffix("app \($0)") })
        let gray = try XCTUnwrap(client.releases(app: app).value?.first { $0.stage == .gray })

        // H halts the issue's release, with a reason.
        try terminal.send("H")
        try terminal.waitFor(["Halt \(app) \(gray.version)", "Reason:"])
        try terminal.tmux(["send-keys", "-t", "main", "-l", "checkout spike INC-9"])
        try terminal.send("Enter")
        try terminal.waitFor(["\(gray.version) is now halted (confirmed by the server"])
        XCTAssertEqual(try client.release(app: app, version: gray.version).stage, .halted)

        // The kill switch, from Breakers: filter to it, flip it, say why.
        try terminal.send("Escape")
        try terminal.send("4")
        try terminal.waitFor(["new-checkout"])
        try terminal.tmux(["send-keys", "-t", "main", "-l", "/new-checkout"])
        try terminal.send("Enter")
        try terminal.send("Space")
        try terminal.waitFor(["Turn OFF kill switch new-checkout", "Reason:"])
        try terminal.tmux(["send-keys", "-t", "main", "-l", "stop the checkout crash INC-9"])
        try terminal.send("Enter")
        try terminal.waitFor(["new-checkout is now OFF (confirmed by the server"])
        let switchedOff = Date()

        // A minute on, with the fleet still sending (other apps' issues still seen), no
        // device of this app has sent the spike since the first minute after the switch.
        let fingerprint = try XCTUnwrap(client.crashIssues(app: app).value?.first { $0.culprit.contains("Checkout") }?.fingerprint)
        let apps = try XCTUnwrap(client.apps().value).map(\.id)
        try waitUntil("a minute after the switch, with the fleet still sending", timeout: 150) {
            guard Date() > switchedOff.addingTimeInterval(70) else { return false }
            return try apps.contains { other in
                try client.crashIssues(app: other).value?.contains { $0.lastSeen > switchedOff.addingTimeInterval(60) } ?? false
            }
        }
        let spike = try XCTUnwrap(client.crashIssues(app: app).value?.first { $0.fingerprint == fingerprint })
        XCTAssertLessThan(spike.lastSeen, switchedOff.addingTimeInterval(60),
                          "the checkout crash was last seen \(spike.lastSeen.timeIntervalSince(switchedOff)) s after new-checkout went off")

        // The console shows the devices picking the new value up, until all that checked have it.
        try waitUntil("every device that checked has new-checkout off", timeout: 120) {
            let row = try terminal.screen().split(separator: "\n").first { $0.contains("new-checkout") && $0.contains("OFF") } ?? ""
            return row.range(of: #"all [0-9]"#, options: .regularExpression) != nil
        }

        // The gray release's "new issue" alert resolved when it was halted.
        try terminal.send("0")
        try terminal.waitFor(["✓ resolved"], timeout: 30)
        try terminal.send("q")
        XCTAssertEqual(try terminal.waitForExit(), 0)
    }
}

/// Two operators on one release: the dialog open in the console follows the change the
/// other makes through the API, names them and their reason, and sends against the new
/// state.
final class OtherOperatorEndToEndTests: XCTestCase {
    func testAnOpenRaiseDialogFollowsAnotherOperatorsChange() throws {
        let folder = Harness.temporaryFolder()
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let app = try XCTUnwrap(client.apps().value?.first)
        let releases = try XCTUnwrap(client.releases(app: app.id).value)
        let gray = try XCTUnwrap(releases.first { $0.stage == .gray && $0.grayPercent <= 90 })
        let rollouts = releases.filter { [.whitelist, .gray, .halted].contains($0.stage) }
        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/cache.sqlite \(Harness.binary) --api \(server.url) --token \(server.token) --log \(folder.path)/console.log")
        try terminal.waitFor(["online", "ALERTS"])
        try terminal.send("3")
        try terminal.waitFor(["\(gray.version) (build"])
        for _ in 0..<(try XCTUnwrap(rollouts.firstIndex { $0.version == gray.version })) { try terminal.send("j") }
        try terminal.send("Right", "Right", "Right", "Enter")
        let raised = gray.grayPercent + 3
        try terminal.waitFor(["Raise the gray of \(app.id) \(gray.version)", "Reason:"])
        try terminal.tmux(["send-keys", "-t", "main", "-l", "more users INC-12"])

        // Meanwhile, someone else raises it a little, with a reason.
        let other = try client.patchRelease(app: app.id, version: gray.version,
                                            ReleasePatch(grayPercent: gray.grayPercent + 1, reason: "ramp per plan"), ifMatch: gray.etag)
        let now = percentText(other.grayPercent)
        try terminal.waitFor(["changed \(gray.version) to gray at \(now)", "(\"ramp per plan\")", "from \(now) to \(percentText(raised))"], timeout: 30)
        try terminal.send("Enter")
        try terminal.waitFor(["\(gray.version) is now gray at \(percentText(raised)) (confirmed by the server"])
        XCTAssertEqual(try client.release(app: app.id, version: gray.version).grayPercent, raised)
        try terminal.send("q")
        XCTAssertEqual(try terminal.waitForExit(), 0)
    }

    /// As the console writes percentages.
    func percentText(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))%" : String(format: "%.2f%%", value)
    }
}

import Foundation
import PlatformClient
import PlatformModel
import TestSupport
import XCTest

/// The on-call engineer's whole path in the real console against a server with the
/// simulated fleet: the overview puts the spiking app on top with an alert; `!`, `Enter`
/// lands on the crashing issue; `H` halts its release with a reason (three keys from
/// launch to the dialog); the `new-checkout` kill switch goes off and the console shows
/// devices picking it up; a minute later the fleet sends no more of the spike, and the
/// gray release's alert has resolved.
final class AlertToActionEndToEndTests: XCTestCase {
    func testFromTheOverviewToTheHaltAndTheKillSwitchAndTheSpikeStops() throws {
        let folder = Harness.temporaryFolder()
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path, arguments: ["--simulate", "--rate", "40"])
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/cache.sqlite \(Harness.binary) --api \(server.url) --token \(server.token) --log \(folder.path)/console.log",
                                    width: 160, height: 45)

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

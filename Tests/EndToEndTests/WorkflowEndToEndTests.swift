import Foundation
import PlatformClient
import PlatformModel
import TestSupport
import XCTest

/// Three people's jobs on one platform, each in their own console in tmux against
/// `opsdeck demo` (the platform and the simulated fleet): a release manager creates a
/// draft, targets it at two cities and a whitelist and sees the reach, advances it to
/// gray and walks the ladder to 5 %; support creates a circuit breaker and opens it;
/// on-call resolves an issue and sees it regress when the fleet sends it again. Each
/// change is in Audit, and its detail shows before → after.
final class WorkflowEndToEndTests: XCTestCase {
    func testReleaseManagerSupportAndOnCallDoTheirJobsAndAuditKeepsEachChange() throws {
        let folder = Harness.temporaryFolder()
        let tokens = folder.appendingPathComponent("tokens.toml").path
        try """
            [[token]]
            name = "olga"
            role = "admin"
            token = "e2e-oncall-token-0000001"

            [[token]]
            name = "rita"
            role = "release-manager"
            token = "e2e-release-manager-0001"

            [[token]]
            name = "sam"
            role = "support"
            token = "e2e-support-token-000001"
            """.write(toFile: tokens, atomically: true, encoding: .utf8)
        let log = folder.appendingPathComponent("demo.log").path
        let onCall = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/oncall.sqlite \(Harness.binary) demo --tokens \(tokens) --rate 40 --log \(log)",
                                  width: 120, height: 40)
        let api = try demoAPI(log: log)
        let client = try PlatformClient(baseURL: api, token: "e2e-oncall-token-0000001")
        func console(_ name: String, _ token: String) throws -> Terminal {
            try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/\(name).sqlite \(Harness.binary) --api \(api) --token \(token) --log \(folder.path)/\(name).log",
                         width: 120, height: 40)
        }
        func type(_ terminal: Terminal, _ text: String) throws {
            try terminal.tmux(["send-keys", "-t", "main", "-l", text])
        }

        // The release manager: a draft, its targeting with the reach, whitelist, gray, 5 %.
        let rita = try console("rita", "e2e-release-manager-0001")
        try rita.waitFor(["rita (release-manager)", "online"])
        try rita.send("1")
        try rita.waitFor(["VERSION", "5.3.0"])
        try rita.send("n")
        try rita.waitFor(["New draft release of wallet-android"])
        try type(rita, "9.9.0")
        try rita.send("Tab", "Tab")
        try type(rita, "e2e release train")
        try rita.send("Tab")
        try type(rita, "46 MB")
        try rita.send("Tab")
        try type(rita, String(repeating: "9f", count: 32))
        try rita.send("Tab")
        try type(rita, "release train 2026-12")
        try rita.send("Enter")
        try rita.waitFor(["9.9.0 created as a draft"])
        try rita.send("t")
        try rita.waitFor(["Targeting of wallet-android 9.9.0 (draft)"])
        try type(rita, "qa-01, qa-*")
        try rita.send("Tab")
        try type(rita, "in Hangzhou, Shanghai")
        try rita.send("Tab")
        try rita.waitFor(["Reaches", "match every rule (city"])
        try rita.send("Tab", "Tab", "Tab", "Tab")
        try type(rita, "pilot in two cities")
        try rita.send("Enter")
        try rita.waitFor(["9.9.0's targeting saved"])
        try rita.send("A")
        try rita.waitFor(["Advance wallet-android 9.9.0 from draft to whitelist", "qa-01, qa-*"])
        try type(rita, "testers first")
        try rita.send("Enter")
        try rita.waitFor(["9.9.0 is now whitelist"])
        try rita.send("A")
        try rita.waitFor(["Advance wallet-android 9.9.0 from whitelist to gray"])
        try type(rita, "testers are happy")
        try rita.send("Enter")
        try rita.waitFor(["9.9.0 is now gray at 1%"])
        try rita.send("3")
        try rita.waitFor(["ladder 1 2 5 10 20 50 100%", "9.9.0"])
        try rita.send("g")  // the newest release is the first
        try rita.waitFor(["▶ 9.9.0"])
        try rita.send("]", "]")
        try rita.waitFor(["1% → 5% pending"])
        try rita.send("Enter")
        try rita.waitFor(["Raise the gray of wallet-android 9.9.0 from 1% to 5%"])
        try type(rita, "ladder step, cities look fine")
        try rita.send("Enter")
        try rita.waitFor(["9.9.0 is now gray at 5%"])
        let release = try client.release(app: "wallet-android", version: "9.9.0")
        XCTAssertEqual(release.stage, .gray)
        XCTAssertEqual(release.grayPercent, 5)
        XCTAssertEqual(release.targeting?.rules, [TargetingRule(.city, .in, ["Hangzhou", "Shanghai"])])
        XCTAssertEqual(release.targeting?.whitelist, ["qa-01", "qa-*"])

        // Support: a new breaker, then opened.
        let sam = try console("sam", "e2e-support-token-000001")
        try sam.waitFor(["sam (support)", "online"])
        try sam.send("4")
        try sam.waitFor(["pay-api", "● CLOSED"])
        try sam.send("n")
        try sam.waitFor(["New kill switch or circuit breaker of wallet-android"])
        try type(sam, "risk-api")
        try sam.send("Tab", "Tab")
        try type(sam, "Calls to the risk scoring API")
        // Platforms, app versions, city, model, network, OS version, devices: as they are.
        try sam.send("Tab", "Tab", "Tab", "Tab", "Tab", "Tab", "Tab", "Tab")
        try type(sam, "new dependency in 9.9.0")
        try sam.send("Enter")
        // The new breaker, selected in the list. (Its flash, "circuit breaker risk-api
        // created, CLOSED (calls flow)", went unseen in 2 of 9 CI runs although the
        // breaker was made: not understood yet, see the closing note of issue 17.)
        try waitUntil("the form closed and risk-api is listed", timeout: 20) {
            let screen = try sam.screen()
            return screen.contains("risk-api") && !screen.contains("New kill switch or circuit breaker")
        }
        try sam.send("Space")
        try sam.waitFor(["Open circuit breaker risk-api of wallet-android: OPEN (failing fast)"])
        try type(sam, "risk API answering 5xx INC-77")
        try sam.send("Enter")
        try sam.waitFor(["risk-api is now OPEN (failing fast)"])
        XCTAssertEqual(try client.switches(app: "wallet-android").value?.first { $0.key == "risk-api" }?.enabled, false)

        // On-call: resolve the spiking issue; the fleet sends it again; it has regressed.
        try onCall.waitFor(["olga (admin)", "online"], timeout: 30)
        try onCall.send("2")
        try onCall.send("v")
        try onCall.waitFor(["Issues (", "STATUS"], timeout: 30)
        try waitUntil("an issue in wallet-android", timeout: 60) { (try client.crashIssues(app: "wallet-android").value ?? []).contains { $0.status != .resolved } }
        try onCall.waitFor(["✖ crash"], timeout: 30)
        try onCall.send("r")
        try onCall.waitFor(["Resolve ", "If it happens again it comes back as regressed."])
        try type(onCall, "fixed in 5.3.1, PR 812")
        try onCall.send("Enter")
        try onCall.waitFor(["is now resolved (confirmed by the server"])
        try onCall.waitFor(["↻ regressed"], timeout: 90)

        // Audit: every change, with before → after in its detail.
        try onCall.send("6")
        try onCall.waitFor(["release.create", "release.targeting", "release.stage", "release.gray", "switch.create", "switch.disable",
                            "issue.resolve", "issue.regress"], timeout: 30)
        try onCall.tmux(["send-keys", "-t", "main", "-l", "/release.gray"])
        try onCall.send("Enter")
        try onCall.send("Enter")
        let detail = try onCall.waitFor(["Audit entry #", "release.gray  wallet-android/9.9.0", "rita, role release-manager",
                                         "ladder step, cities look fine", "Idempotency key"])
        XCTAssertTrue(detail.split(separator: "\n").contains { $0.contains("grayPercent") && $0.contains("1 → 5") }, detail)
        let audit = try client.audit(limit: 1000).items
        for action in [AuditAction.releaseCreate, .releaseTargeting, .releaseStage, .releaseGray, .switchCreate, .switchDisable, .issueResolve, .issueRegress] {
            let entry = audit.first { $0.action == action }
            XCTAssertNotNil(entry, "\(action) is in the audit log")
            XCTAssertNotNil(entry?.after, "\(action) keeps its after")
        }
        XCTAssertEqual(audit.first { $0.action == .releaseTargeting }?.actor, "rita")
        XCTAssertEqual(audit.first { $0.action == .switchDisable && $0.target.hasSuffix("risk-api") }?.actor, "sam")
    }
}

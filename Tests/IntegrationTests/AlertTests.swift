import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import TestSupport
import XCTest

/// Alerts evaluated by the real server from what devices sent over HTTP, read and
/// acknowledged through the real client. Evaluations run at moments the test picks
/// (`watching: false`), except in the last test, where the server evaluates by itself.
final class AlertTests: XCTestCase {
    let device = DeviceInfo(id: "alert-device", os: .android, osVersion: "14", model: "Pixel 8")

    func crash(_ exception: String, at: Date = Date(), kind: CrashKind = .crash) -> SDKCrash {
        SDKCrash(kind: kind, exceptionType: exception, message: "boom",
                 frames: [StackFrame(symbol: "com.example.\(exception).run", inApp: true)], at: at)
    }

    /// Sends `count` crashes of one issue in `release`, at `at`, in batches.
    func sendCrashes(_ client: PlatformClient, app: String, release: String, exception: String, count: Int, at: Date = Date()) throws {
        var left = count
        while left > 0 {
            let n = min(left, 50)
            _ = try client.send(SDKBatch(app: app, release: release, device: device, crashes: (0..<n).map { _ in crash(exception, at: at) }))
            left -= n
        }
    }

    /// The newest full release and the gray release after it, of an app with both.
    func grayAndBaseline(_ client: PlatformClient) throws -> (gray: Release, baseline: Release) {
        for app in try XCTUnwrap(client.apps().value) {
            let releases = try XCTUnwrap(client.releases(app: app.id).value)
            guard let gray = releases.first(where: { $0.stage == .gray }) else { continue }
            if let baseline = releases.filter({ $0.stage == .full && $0.createdAt < gray.createdAt }).max(by: { $0.createdAt < $1.createdAt }) {
                return (gray, baseline)
            }
        }
        throw TestFailure("no app with a gray release after a full one")
    }

    func evaluate(_ server: TestServer, at now: Date = Date()) throws -> (opened: [Alert], resolved: [Alert]) {
        let store = server.server.store
        return try blocking { try await store.evaluateAlerts(now: now) }
    }

    func openAlerts(_ client: PlatformClient) throws -> [Alert] {
        try XCTUnwrap(client.alerts().value).filter(\.isOpen)
    }

    func testAVelocitySpikeOpensAnAlertThatResolvesWhenItPasses() throws {
        let server = try TestServer.start(watching: false)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let (gray, baseline) = try grayAndBaseline(client)
        // Below the minimum count: nothing.
        try sendCrashes(client, app: gray.app, release: baseline.version, exception: "SlowDrip", count: 12)
        XCTAssertEqual(try evaluate(server).opened.filter { $0.kind == .velocity }, [])
        // An issue with a steady hourly baseline is not spiking at its usual rate…
        try sendCrashes(client, app: gray.app, release: baseline.version, exception: "Steady", count: 240, at: Date().addingTimeInterval(-30 * 60))
        try sendCrashes(client, app: gray.app, release: baseline.version, exception: "Steady", count: 25)
        // …one that suddenly comes 40 times in 5 minutes is.
        try sendCrashes(client, app: gray.app, release: gray.version, exception: "CheckoutBoom", count: 40)
        let opened = try evaluate(server).opened.filter { $0.kind == .velocity }
        XCTAssertEqual(opened.map(\.release), [gray.version], "\(opened.map(\.summary))")
        let alert = try XCTUnwrap(try openAlerts(client).first { $0.kind == .velocity })
        XCTAssertEqual(alert.severity, .critical)
        XCTAssertEqual(alert.figures.recentEvents, 40)
        XCTAssertEqual(alert.figures.expectedEvents, 0)
        XCTAssertEqual(alert.figures.minimumEvents, 20)
        XCTAssertNotNil(alert.fingerprint)
        XCTAssertTrue(alert.summary.contains("CheckoutBoom"), alert.summary)
        XCTAssertEqual(try evaluate(server).opened, [], "one open alert per condition, not one per evaluation")

        // Ten minutes on, the spike is out of the window: resolved, still listed.
        let resolved = try evaluate(server, at: Date().addingTimeInterval(600)).resolved
        XCTAssertEqual(resolved.map(\.id), [alert.id])
        let listed = try XCTUnwrap(client.alerts().value?.first { $0.id == alert.id })
        XCTAssertNotNil(listed.resolvedAt)
    }

    func testAGrayReleaseWorseThanTheFullOneAlertsOnlyOnceEnoughSessionsAreIn() throws {
        let server = try TestServer.start(watching: false)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let (gray, baseline) = try grayAndBaseline(client)
        try sendSessions(client, app: gray.app, release: gray.version, total: 50, crashed: 10)
        try sendSessions(client, app: gray.app, release: baseline.version, total: 300, crashed: 1)
        XCTAssertEqual(try evaluate(server).opened.filter { $0.kind == .grayRegression }, [], "50 sessions are below the sample size")
        try sendSessions(client, app: gray.app, release: gray.version, total: 100, crashed: 5)
        let alert = try XCTUnwrap(try evaluate(server).opened.first { $0.kind == .grayRegression })
        XCTAssertEqual(alert.release, gray.version)
        XCTAssertEqual(alert.figures.metric, "crash_free_sessions")
        XCTAssertEqual(alert.figures.sessions, 150)
        XCTAssertEqual(alert.figures.value, 90)
        XCTAssertEqual(alert.figures.baselineRelease, baseline.version)
        XCTAssertEqual(alert.figures.baselineSessions, 300)
        XCTAssertEqual(try XCTUnwrap(alert.figures.baselineValue), 99.67, accuracy: 0.01)
        XCTAssertEqual(alert.figures.minimumSessions, 100)
        XCTAssertTrue(alert.summary.contains("150 and 300 sessions"), alert.summary)
    }

    func testAnIssueFirstSeenInGrayAndARegressedIssueEachOpenOne() throws {
        let server = try TestServer.start(watching: false)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let (gray, baseline) = try grayAndBaseline(client)
        try sendCrashes(client, app: gray.app, release: gray.version, exception: "BrandNew", count: 1)
        try sendCrashes(client, app: gray.app, release: baseline.version, exception: "OldFriend", count: 1)
        let opened = try evaluate(server).opened
        let new = try XCTUnwrap(opened.first { $0.kind == .newIssueInGray })
        XCTAssertEqual(new.release, gray.version)
        XCTAssertTrue(new.summary.contains("BrandNew"), new.summary)
        XCTAssertFalse(opened.contains { $0.kind == .newIssueInGray && $0.summary.contains("OldFriend") }, "first seen in a full release")

        let old = try XCTUnwrap(client.crashIssues(app: gray.app).value?.first { $0.exceptionType == "OldFriend" })
        let store = server.server.store
        try blocking { try await store.resolveIssue(app: gray.app, fingerprint: old.fingerprint) }
        XCTAssertFalse(try evaluate(server).opened.contains { $0.kind == .regressed })
        try sendCrashes(client, app: gray.app, release: gray.version, exception: "OldFriend", count: 1)
        let regressed = try XCTUnwrap(try evaluate(server).opened.first { $0.kind == .regressed })
        XCTAssertEqual(regressed.fingerprint, old.fingerprint)
        XCTAssertEqual(regressed.release, gray.version)
        try blocking { try await store.resolveIssue(app: gray.app, fingerprint: old.fingerprint) }
        XCTAssertEqual(try evaluate(server).resolved.map(\.id), [regressed.id], "resolving the issue again resolves the alert")
    }

    func testAGuardrailHaltOpensAnAlertWithItsFiguresUntilTheReleaseMoves() throws {
        let server = try TestServer.start(watching: false)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let wallet = try XCTUnwrap(client.apps().value?.first { $0.id.hasPrefix("wallet") })
        let gray = try XCTUnwrap(client.releases(app: wallet.id).value?.first { $0.stage == .gray })
        try sendSessions(client, app: gray.app, release: gray.version, total: 200, crashed: 40)
        let store = server.server.store
        XCTAssertEqual(try blocking { try await store.enforceGuardrails() }, ["\(gray.app)/\(gray.version)"])
        let alert = try XCTUnwrap(try evaluate(server).opened.first { $0.kind == .guardrailHalt })
        XCTAssertEqual(alert.figures.guardrail?.sessions, 200)
        XCTAssertEqual(alert.figures.guardrail?.maxCrashRate, 5)
        let halted = try client.release(app: gray.app, version: gray.version)
        _ = try client.perform(.resume, app: gray.app, version: gray.version, reason: "fixed on the server side", ifMatch: halted.etag)
        XCTAssertEqual(try evaluate(server).resolved.map(\.id), [alert.id])
    }

    func testAcknowledgingSaysWhoAndWhyAndIsAuditedAndRefusedWhereItMustBe() throws {
        let admin = AccessToken(name: "ana", role: .admin, token: "admin-token-for-alerts")
        let viewer = AccessToken(name: "vic", role: .viewer, token: "viewer-token-for-alerts")
        let server = try TestServer.start(tokens: [admin, viewer], watching: false)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: admin.token)
        let (gray, _) = try grayAndBaseline(client)
        try sendCrashes(client, app: gray.app, release: gray.version, exception: "AckMe", count: 30)
        _ = try evaluate(server)
        let alert = try XCTUnwrap(try openAlerts(client).first { $0.kind == .velocity })

        let readOnly = try PlatformClient(baseURL: server.url, token: viewer.token)
        XCTAssertThrowsError(try readOnly.acknowledgeAlert(id: alert.id, reason: "looking", ifMatch: alert.etag)) { error in
            guard case PlatformError.forbidden = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try client.acknowledgeAlert(id: alert.id, reason: "looking", ifMatch: "\"alert-0-r0\"")) { error in
            guard case PlatformError.changedMeanwhile = error else { return XCTFail("\(error)") }
        }
        let acknowledged = try client.acknowledgeAlert(id: alert.id, reason: "on it, checking the checkout flow", ifMatch: alert.etag)
        XCTAssertEqual(acknowledged.acknowledgedBy, "ana")
        XCTAssertNotNil(acknowledged.acknowledgedAt)
        XCTAssertNil(acknowledged.resolvedAt)
        let entry = try XCTUnwrap(client.audit().items.last)
        XCTAssertEqual(entry.action, .alertAcknowledge)
        XCTAssertEqual(entry.target, "alerts/\(alert.id)")
        XCTAssertEqual(entry.reason, "on it, checking the checkout flow")

        _ = try evaluate(server, at: Date().addingTimeInterval(900))
        let resolved = try XCTUnwrap(client.alerts().value?.first { $0.id == alert.id })
        XCTAssertThrowsError(try client.acknowledgeAlert(id: alert.id, reason: "late", ifMatch: resolved.etag)) { error in
            guard case PlatformError.http(409, _) = error else { return XCTFail("\(error)") }
        }
    }

    func testTheRunningServerEvaluatesByItself() throws {
        let server = try TestServer.start(watching: true)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let (gray, _) = try grayAndBaseline(client)
        try sendCrashes(client, app: gray.app, release: gray.version, exception: "OnItsOwn", count: 30)
        try waitUntil("the server opened a velocity alert", timeout: 20) {
            try openAlerts(client).contains { $0.kind == .velocity && $0.summary.contains("OnItsOwn") }
        }
    }
}

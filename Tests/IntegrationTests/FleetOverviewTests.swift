import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import TestSupport
import XCTest

/// `GET /v1/fleet` from the real server, with data sent by devices over HTTP.
final class FleetOverviewTests: XCTestCase {
    func testEveryAppWithItsLiveReleasesHealthTrendAndAlerts() throws {
        let server = try TestServer.start(watching: false)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let apps = try XCTUnwrap(client.apps().value)
        let before = try XCTUnwrap(client.fleet().value)
        XCTAssertEqual(before.apps.map(\.app.id), apps.map(\.id), "every app, in the platform's order")
        XCTAssertEqual(before.windowMinutes, 60)

        // An app with a gray release after its newest full one.
        let (app, releases) = try XCTUnwrap(apps.lazy.compactMap { app -> (App, [Release])? in
            guard let releases = try? client.releases(app: app.id).value, releases.contains(where: { $0.stage == .gray }) else { return nil }
            return (app, releases)
        }.first)
        let gray = try XCTUnwrap(releases.first { $0.stage == .gray })
        let full = try XCTUnwrap(releases.filter { $0.stage == .full }.max { $0.createdAt < $1.createdAt })
        func send(_ release: String, device: String, sessions: Int, crashed: Int, crashes: Int = 0, anrs: Int = 0) throws {
            let info = DeviceInfo(id: device, os: app.platform, osVersion: "14", model: "Pixel 8")
            let frames = [StackFrame(symbol: "com.example.run", inApp: true)]
            _ = try client.send(SDKBatch(
                app: app.id, release: release, device: info,
                sessions: (0..<sessions).map { SDKSession(startedAt: Date(), durationSeconds: 30, crashed: $0 < crashed) },
                crashes: (0..<crashes).map { _ in SDKCrash(kind: .crash, exceptionType: "E", message: "m", frames: frames, at: Date()) }
                    + (0..<anrs).map { _ in SDKCrash(kind: .anr, exceptionType: "ANR", message: "m", frames: frames, at: Date()) }))
        }
        try send(full.version, device: "f1", sessions: 20, crashed: 0)
        try send(full.version, device: "f2", sessions: 20, crashed: 1, crashes: 1)
        try send(gray.version, device: "g1", sessions: 10, crashed: 5, crashes: 4, anrs: 1)
        try send(gray.version, device: "g2", sessions: 10, crashed: 0)
        let store = server.server.store
        _ = try blocking { try await store.evaluateAlerts() }

        // The answer is kept for up to 2 s: wait until it shows what was sent.
        var row: FleetApp?
        try waitUntil("the fleet shows the sessions", timeout: 10) {
            row = try client.fleet().value?.apps.first { $0.app.id == app.id }
            return row?.full?.health.sessions == 40
        }
        let summary = try XCTUnwrap(row)
        XCTAssertEqual(summary.full?.version, full.version)
        XCTAssertEqual(summary.full?.health.crashFreeSessions, 97.5)
        XCTAssertEqual(summary.full?.health.crashFreeUsers, 50, "one of two devices had a crashed session")
        let grayRow = try XCTUnwrap(summary.gray.first { $0.version == gray.version })
        XCTAssertEqual(grayRow.stage, .gray)
        XCTAssertEqual(grayRow.grayPercent, gray.grayPercent)
        XCTAssertEqual(grayRow.health.sessions, 20)
        XCTAssertEqual(grayRow.health.crashFreeSessions, 75)
        XCTAssertEqual(grayRow.health.anrs, 1)
        XCTAssertEqual(summary.eventsPerMinute.count, FleetOverview.trendMinutes)
        XCTAssertEqual(summary.eventsPerMinute.suffix(2).reduce(0, +), 6, "this minute's events (or the last's, at a minute's turn)")
        XCTAssertGreaterThanOrEqual(summary.openAlerts, 1, "the new issue in gray")
        XCTAssertEqual(summary.worstAlert, .warning)

        // Unchanged: a conditional GET costs a 304.
        let first = try client.fleet()
        guard case .modified(_, let etag?) = first else { return XCTFail("no ETag") }
        try waitUntil("an unchanged fleet answers 304", timeout: 10) {
            if case .notModified = try client.fleet(etag: etag) { return true }
            return false
        }
    }
}

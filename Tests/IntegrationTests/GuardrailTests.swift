import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import TestSupport
import XCTest

/// The server halting a gray release by itself when its crash rate breaches its guardrail.
final class GuardrailTests: XCTestCase {
    func grayRelease(_ client: PlatformClient, prefix: String) throws -> Release {
        for app in try client.apps().value! where app.id.hasPrefix(prefix) {
            if let release = try client.releases(app: app.id).value!.first(where: { $0.stage == .gray }) { return release }
        }
        throw TestFailure("no gray \(prefix) release")
    }

    func testABreachHaltsTheReleaseAsTheSystemWithTheFigures() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let gray = try grayRelease(client, prefix: "wallet")
        let guardrail = try XCTUnwrap(gray.guardrail)
        XCTAssertEqual(guardrail.maxCrashRate, 5)
        try sendSessions(client, app: gray.app, release: gray.version, total: 200, crashed: 8)  // 4 %: under
        XCTAssertEqual(try enforce(server), [])
        try sendSessions(client, app: gray.app, release: gray.version, total: 200, crashed: 20)  // now 7 %
        XCTAssertEqual(try enforce(server), ["\(gray.app)/\(gray.version)"])
        XCTAssertEqual(try client.release(app: gray.app, version: gray.version).stage, .halted)
        let entry = try XCTUnwrap(client.audit().items.last)
        XCTAssertEqual(entry.actor, "system")
        XCTAssertEqual(entry.action, .releaseGuardrailHalt)
        XCTAssertTrue(entry.reason.contains("28 of 400 sessions"), entry.reason)
        XCTAssertEqual(entry.guardrail, GuardrailBreach(crashRate: 7, crashedSessions: 28, sessions: 400, windowMinutes: guardrail.windowMinutes,
                                                        maxCrashRate: 5), "the figures come as data, over the wire")
        XCTAssertEqual(try enforce(server), [], "a halted release is not halted twice")
    }

    func testTooFewSessionsDecideNothing() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let gray = try grayRelease(client, prefix: "wallet")
        try sendSessions(client, app: gray.app, release: gray.version, total: 100, crashed: 50)
        XCTAssertEqual(try enforce(server), [])
    }

    func testTheRunningServerEnforcesByItself() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let gray = try grayRelease(client, prefix: "wallet")
        try sendSessions(client, app: gray.app, release: gray.version, total: 200, crashed: 40)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, try client.release(app: gray.app, version: gray.version).stage == .gray { usleep(200_000) }
        XCTAssertEqual(try client.release(app: gray.app, version: gray.version).stage, .halted)
    }

    func enforce(_ server: TestServer) throws -> [String] {
        let store = server.server.store
        return try blocking { try await store.enforceGuardrails() }
    }
}

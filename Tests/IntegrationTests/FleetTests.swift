import Foundation
import Logging
import PlatformClient
import PlatformModel
import PlatformServer
import Simulator
import TestSupport
import XCTest

/// The simulated fleet against the real server.
final class FleetTests: XCTestCase {
    func counts(_ server: TestServer) throws -> (sessions: Int, crashes: Int) {
        let store = server.server.store
        let counts = try blocking { try await store.eventCounts() }
        return (counts.sessions, counts.crashes)
    }

    func crashSignature(_ server: TestServer) throws -> [String] {
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        return try client.apps().value!.flatMap { app in
            try client.crashEvents(app: app.id, limit: 5000).items.map { "\($0.app) \($0.release) \($0.device.id) \($0.exceptionType)" }
        }
    }

    func testEverythingSentIsStoredAndTheSpikeIsInTheGrayRelease() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let fleet = Fleet(configuration: .init(apiURL: server.url, token: server.token, devices: 300, rate: 100_000, seed: 5))
        try fleet.run(limit: 3000)
        let stats = fleet.statistics
        XCTAssertEqual(stats.failures, 0, stats.lastError ?? "")
        XCTAssertGreaterThanOrEqual(stats.events, 3000)
        let stored = try counts(server)
        XCTAssertEqual(stored.sessions, stats.sessions, "no session lost")
        XCTAssertEqual(stored.crashes, stats.crashes + stats.anrs, "no crash lost")

        // The gray releases' checkout crash is the top issue of some app.
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let tops = try client.apps().value!.compactMap { try client.crashIssues(app: $0.id).value!.max { $0.count < $1.count } }
        XCTAssertTrue(tops.contains { $0.culprit.contains("applyCoupon") }, tops.map(\.culprit).description)
        XCTAssertTrue(stats.upgrades > 0, "devices adopt gray releases")
    }

    func testWithAGatewayTheFleetChecksThereAndGetsTheSameFleet() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let gateway = try DeviceGateway(server: server.server, configuration: .init(loops: 2), logger: .init(label: "test.gateway"))
        defer { gateway.stop() }
        func fleet(checkURL: String) -> Fleet {
            var configuration = Fleet.Configuration(apiURL: server.url, token: server.token, devices: 200, rate: 100_000, seed: 9)
            configuration.checkURL = checkURL
            return Fleet(configuration: configuration)
        }
        let viaGateway = fleet(checkURL: "http://127.0.0.1:\(gateway.port)")
        try viaGateway.run(limit: 1500)
        XCTAssertEqual(viaGateway.statistics.failures, 0, viaGateway.statistics.lastError ?? "")
        XCTAssertGreaterThan(viaGateway.statistics.checks, 0)
        XCTAssertGreaterThan(viaGateway.statistics.upgrades, 0, "devices adopt what the gateway offers")

        // The checks really go there: with nothing listening, they fail (the fleet backs
        // off and retries; stopped once it has failed).
        let deadPort = try RawServer { _ in nil }
        deadPort.stop()
        let viaNothing = fleet(checkURL: "http://127.0.0.1:\(deadPort.port)")
        let done = DispatchSemaphore(value: 0)
        Thread {
            try? viaNothing.run()
            done.signal()
        }.start()
        let deadline = Date().addingTimeInterval(10)
        while viaNothing.statistics.failures == 0, Date() < deadline { usleep(20_000) }
        viaNothing.stop()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertGreaterThan(viaNothing.statistics.failures, 0)
        XCTAssertEqual(viaNothing.statistics.checks, 0)
        XCTAssertTrue(viaNothing.statistics.lastError?.contains("127.0.0.1:\(deadPort.port)") ?? false, viaNothing.statistics.lastError ?? "")
    }

    func testTheSameSeedSendsTheSameEvents() throws {
        var signatures: [[String]] = []
        for _ in 0..<2 {
            let server = try TestServer.start()
            defer { server.stop() }
            let fleet = Fleet(configuration: .init(apiURL: server.url, token: server.token, devices: 100, rate: 100_000, seed: 9))
            try fleet.run(limit: 1500)
            signatures.append(try crashSignature(server))
        }
        XCTAssertFalse(signatures[0].isEmpty)
        XCTAssertEqual(signatures[0], signatures[1])
    }

    func testTurningTheCheckoutSwitchOffEndsTheSpike() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        for app in try client.apps().value! {
            if let item = try client.switches(app: app.id).value!.first(where: { $0.key == "new-checkout" }) {
                _ = try client.patchSwitch(app: app.id, key: item.key, SwitchPatch(enabled: false, reason: "stop the spike"), ifMatch: item.etag)
            }
        }
        let fleet = Fleet(configuration: .init(apiURL: server.url, token: server.token, devices: 300, rate: 100_000, seed: 5))
        try fleet.run(limit: 3000)
        let culprits = try client.apps().value!.flatMap { try client.crashIssues(app: $0.id).value!.map(\.culprit) }
        XCTAssertFalse(culprits.contains { $0.contains("applyCoupon") }, "no checkout crash once the switch is off")
    }
}

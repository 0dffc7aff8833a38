import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import XCTest

/// Kill switches and circuit breakers over real HTTP.
final class SwitchTests: XCTestCase {
    var server: TestServer!

    override func setUpWithError() throws {
        server = try TestServer.start(tokens: ReleaseChangeTests.tokens)
    }

    override func tearDown() {
        server.stop()
    }

    func client(_ name: String) throws -> PlatformClient {
        try PlatformClient(baseURL: server.url, token: ReleaseChangeTests.tokens.first { $0.name == name }!.token)
    }

    func testEveryAppHasBreakersAndKillSwitches() throws {
        let vera = try client("vera")
        for app in try vera.apps().value! {
            let switches = try XCTUnwrap(vera.switches(app: app.id).value)
            XCTAssertEqual(Set(switches.map(\.kind)), [.killSwitch, .circuitBreaker], app.id)
            XCTAssertTrue(switches.contains { $0.key == "pay-api" })
            XCTAssertEqual(switches.map(\.key), switches.map(\.key).sorted())
        }
        XCTAssertThrowsError(try vera.switches(app: "nope")) { XCTAssertEqual($0 as? PlatformError, .notFound(detail: "no app with id 'nope'")) }
    }

    func testOnlySupportAndAdminMayFlip() throws {
        let breaker = try client("vera").switches(app: "wallet-ios").value!.first { $0.key == "pay-api" }!
        for name in ["vera", "rita"] {
            XCTAssertThrowsError(try client(name).patchSwitch(app: "wallet-ios", key: "pay-api", SwitchPatch(enabled: false, reason: "r"), ifMatch: breaker.etag), name) { error in
                guard case PlatformError.forbidden = error else { return XCTFail("\(name): got \(error)") }
            }
        }
        let open = try client("sam").patchSwitch(app: "wallet-ios", key: "pay-api", SwitchPatch(enabled: false, reason: "payments timing out"), ifMatch: breaker.etag)
        XCTAssertFalse(open.enabled)
        XCTAssertEqual(open.updatedBy, "sam")
        XCTAssertEqual(open.revision, breaker.revision + 1)
        let closed = try client("adam").patchSwitch(app: "wallet-ios", key: "pay-api", SwitchPatch(enabled: true, reason: "recovered"), ifMatch: open.etag)
        XCTAssertTrue(closed.enabled)

        let audit = try client("vera").audit().items
        XCTAssertEqual(audit.map(\.action), [.switchDisable, .switchEnable])
        XCTAssertEqual(audit.map(\.target), ["wallet-ios/switches/pay-api", "wallet-ios/switches/pay-api"])
        XCTAssertEqual(audit[0].before?["enabled"], .bool(true))
        XCTAssertEqual(audit[0].after?["enabled"], .bool(false))
    }

    func testAStaleFlipIsRefusedWithTheCurrentState() throws {
        let breaker = try client("vera").switches(app: "wallet-ios").value!.first { $0.key == "pay-api" }!
        _ = try client("sam").patchSwitch(app: "wallet-ios", key: "pay-api", SwitchPatch(enabled: false, reason: "a"), ifMatch: breaker.etag)
        XCTAssertThrowsError(try client("adam").patchSwitch(app: "wallet-ios", key: "pay-api", SwitchPatch(enabled: false, reason: "b"), ifMatch: breaker.etag)) { error in
            guard case PlatformError.changedMeanwhile(_, let current?) = error else { return XCTFail("got \(error)") }
            let now = try? WireFormat.decoder().decode(Switch.self, from: current)
            XCTAssertEqual(now?.updatedBy, "sam")
        }
        XCTAssertThrowsError(try client("sam").patchSwitch(app: "wallet-ios", key: "no-such", SwitchPatch(enabled: false, reason: "r"), ifMatch: "*")) { error in
            guard case PlatformError.notFound = error else { return XCTFail("got \(error)") }
        }
    }
}

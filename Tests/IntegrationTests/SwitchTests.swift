import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import XCTest

/// Kill switches and circuit breakers over real HTTP.
final class SwitchTests: RolesServerTestCase {
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

/// Creating and editing switches over real HTTP.
final class SwitchEditTests: RolesServerTestCase {
    func testSupportCreatesABreakerEditsItsScopeAndOpensIt() throws {
        let sam = try client("sam")
        let draft = SwitchDraft(key: "risk-api", kind: .circuitBreaker, description: "Calls to the risk scoring API",
                                scope: SwitchScope(platforms: [.android], minVersion: "5.2.0", percent: 100), reason: "new dependency in 5.3")
        let created = try sam.createSwitch(app: "wallet-android", draft, idempotencyKey: "sw-1")
        XCTAssertTrue(created.enabled, "a new breaker starts closed: calls flow")
        XCTAssertEqual(created.revision, 1)
        XCTAssertEqual(created.updatedBy, "sam")
        XCTAssertEqual(try sam.createSwitch(app: "wallet-android", draft, idempotencyKey: "sw-1"), created, "a retry answers the first result")
        XCTAssertTrue(try sam.switches(app: "wallet-android").value?.contains(created) ?? false)

        let edited = try sam.patchSwitch(app: "wallet-android", key: "risk-api",
                                         SwitchPatch(scope: SwitchScope(platforms: [.android], minVersion: "5.2.0", maxVersion: "5.3.9", percent: 25),
                                                     reason: "only the builds that call it"), ifMatch: created.etag)
        XCTAssertEqual(edited.scope.percent, 25)
        XCTAssertTrue(edited.enabled, "an edit does not flip")
        let opened = try sam.patchSwitch(app: "wallet-android", key: "risk-api", SwitchPatch(enabled: false, reason: "risk API 5xx"), ifMatch: edited.etag)
        XCTAssertFalse(opened.enabled)

        let audit = try client("vera").audit().items.filter { $0.target == "wallet-android/switches/risk-api" }
        XCTAssertEqual(audit.map(\.action), [.switchCreate, .switchEdit, .switchDisable])
        XCTAssertNil(audit[0].before)
        XCTAssertEqual(audit[1].before?["scope"]?["percent"], .number(100))
        XCTAssertEqual(audit[1].after?["scope"]?["percent"], .number(25))
        XCTAssertEqual(audit[2].after?["enabled"], .bool(false))
    }

    func testBadSwitchesNameTheFieldAndRolesAreEnforced() throws {
        let good = SwitchDraft(key: "k", kind: .killSwitch, description: "d", reason: "r")
        var cases: [(SwitchDraft, String)] = []
        var draft = good
        draft.key = "Bad Key"
        cases.append((draft, "key must be"))
        draft = good
        draft.description = " "
        cases.append((draft, "description must"))
        draft = good
        draft.scope.percent = 0
        cases.append((draft, "scope.percent must be"))
        draft = good
        draft.scope = SwitchScope(minVersion: "5.4.0", maxVersion: "5.2.0")
        cases.append((draft, "scope.minVersion 5.4.0 is above"))
        for (draft, field) in cases {
            XCTAssertThrowsError(try client("adam").createSwitch(app: "wallet-ios", draft)) { error in
                guard case PlatformError.http(422, let problem) = error else { return XCTFail("\(field): got \(error)") }
                XCTAssertTrue(problem?.detail?.hasPrefix(field) ?? false, "\(field): \(problem?.detail ?? "")")
            }
        }
        XCTAssertThrowsError(try client("rita").createSwitch(app: "wallet-ios", good)) { error in
            guard case PlatformError.forbidden = error else { return XCTFail("a release manager may not create switches; got \(error)") }
        }
        XCTAssertThrowsError(try client("adam").createSwitch(app: "wallet-ios", SwitchDraft(key: "pay-api", kind: .circuitBreaker, description: "d", reason: "r"))) { error in
            guard case PlatformError.http(409, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(problem?.detail, "key: wallet-ios already has a switch pay-api")
        }
        let breaker = try XCTUnwrap(client("vera").switches(app: "wallet-ios").value?.first { $0.key == "pay-api" })
        XCTAssertThrowsError(try client("adam").patchSwitch(app: "wallet-ios", key: "pay-api", SwitchPatch(reason: "nothing"), ifMatch: breaker.etag)) { error in
            guard case PlatformError.http(422, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(problem?.detail?.hasPrefix("nothing to change") ?? false)
        }
    }
}

/// What schemathesis found: a share above 0 that stores as 0 is refused, like 0 itself.
final class TinyPercentTests: RolesServerTestCase {
    func testAPercentThatStoresAsZeroIsRefused() throws {
        let adam = try client("adam")
        let draft = SwitchDraft(key: "tiny", kind: .killSwitch, description: "d", scope: SwitchScope(percent: Double.leastNonzeroMagnitude), reason: "r")
        XCTAssertThrowsError(try adam.createSwitch(app: "wallet-ios", draft)) { error in
            guard case PlatformError.http(422, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(problem?.detail?.hasPrefix("scope.percent must be") ?? false)
        }
        let gray = try XCTUnwrap(adam.releases(app: "wallet-ios").value?.first { $0.stage == .gray })
        XCTAssertThrowsError(try adam.patchRelease(app: "wallet-ios", version: gray.version, ReleasePatch(grayPercent: Double.leastNonzeroMagnitude, reason: "r"), ifMatch: gray.etag)) { error in
            guard case PlatformError.http(422, _) = error else { return XCTFail("got \(error)") }
        }
    }
}

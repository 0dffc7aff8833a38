import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import XCTest

/// Creating draft releases and previewing a targeting's reach, over real HTTP.
final class ReleaseDraftTests: RolesServerTestCase {
    static let checksum = String(repeating: "ab", count: 32)

    func testAReleaseManagerCreatesADraftAndItIsAudited() throws {
        let draft = ReleaseDraft(version: "9.0.0", build: 900, notes: "New wallet home", packageSize: 48_213_004,
                                 checksum: Self.checksum.uppercased(), reason: "release train 2026-12")
        let created = try client("rita").createRelease(app: "wallet-ios", draft, idempotencyKey: "create-9")
        XCTAssertEqual(created.stage, .draft)
        XCTAssertEqual(created.grayPercent, 0)
        XCTAssertEqual(created.revision, 1)
        XCTAssertEqual(created.packageSize, 48_213_004)
        XCTAssertEqual(created.checksum, Self.checksum, "stored lower-case")
        XCTAssertEqual(try client("vera").release(app: "wallet-ios", version: "9.0.0"), created)
        XCTAssertEqual(try client("rita").createRelease(app: "wallet-ios", draft, idempotencyKey: "create-9"), created, "a retry answers the first result")

        let audit = try XCTUnwrap(client("vera").audit().items.last)
        XCTAssertEqual(audit.action, .releaseCreate)
        XCTAssertEqual(audit.target, "wallet-ios/9.0.0")
        XCTAssertNil(audit.before)
        XCTAssertEqual(audit.after?["checksum"], .string(Self.checksum))
        XCTAssertEqual(audit.idempotencyKey, "create-9")

        XCTAssertThrowsError(try client("rita").createRelease(app: "wallet-ios", draft)) { error in
            guard case PlatformError.http(409, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(problem?.detail, "version: wallet-ios already has a release 9.0.0")
        }
        XCTAssertThrowsError(try client("sam").createRelease(app: "wallet-ios", draft)) { error in
            guard case PlatformError.forbidden = error else { return XCTFail("support may not create releases; got \(error)") }
        }
    }

    func testBadDraftsNameTheField() throws {
        let good = ReleaseDraft(version: "9.1.0", build: 1, notes: "", packageSize: 1, checksum: Self.checksum, reason: "r")
        var cases: [(ReleaseDraft, String)] = []
        var draft = good
        draft.version = "v9"
        cases.append((draft, "version must be"))
        draft = good
        draft.build = 0
        cases.append((draft, "build must be"))
        draft = good
        draft.packageSize = 0
        cases.append((draft, "packageSize must be"))
        draft = good
        draft.checksum = "abc"
        cases.append((draft, "checksum must be"))
        draft = good
        draft.targeting = Targeting(rules: [TargetingRule(.city, .inRange, ["a", "b"])])
        cases.append((draft, "targeting: in_range applies to osVersion only"))
        for (draft, field) in cases {
            XCTAssertThrowsError(try client("adam").createRelease(app: "wallet-ios", draft)) { error in
                guard case PlatformError.http(422, let problem) = error else { return XCTFail("\(field): got \(error)") }
                XCTAssertTrue(problem?.detail?.hasPrefix(field) ?? false, "\(field): \(problem?.detail ?? "")")
            }
        }
        XCTAssertThrowsError(try client("adam").release(app: "wallet-ios", version: "9.1.0"), "nothing was stored")
    }

    func testThePreviewCountsActiveDevicesTheTargetingReaches() throws {
        let viewer = try client("vera")
        let devices = [
            DeviceInfo(id: "qa-01", os: .ios, osVersion: "17.2", model: "iPhone 15", city: "Beijing", network: "wifi"),
            DeviceInfo(id: "d-1", os: .ios, osVersion: "17.4", model: "iPhone 15", city: "Hangzhou", network: "wifi"),
            DeviceInfo(id: "d-2", os: .ios, osVersion: "16.7", model: "iPhone 12", city: "Shanghai", network: "4g"),
            DeviceInfo(id: "d-3", os: .ios, osVersion: "17.0", model: "iPhone 14", city: "Shenzhen", network: "5g"),
        ]
        for device in devices { _ = try viewer.check(app: "wallet-ios", device: device, version: "5.0.0") }
        let targeting = Targeting(whitelist: ["qa-*"], rules: [
            TargetingRule(.city, .in, ["Hangzhou", "Shanghai"]),
            TargetingRule(.osVersion, .inRange, ["16.0", "17.9"]),
        ])
        let reach = try viewer.previewTargeting(app: "wallet-ios", targeting)
        XCTAssertEqual(reach.activeDevices, 4)
        XCTAssertEqual(reach.whitelisted, 1, "qa-* names qa-01")
        XCTAssertEqual(reach.byRule, [2, 4])
        XCTAssertEqual(reach.matchingRules, 2)
        XCTAssertEqual(reach.reached, 3, "the whitelisted device and the two in those cities")
        XCTAssertTrue(reach.windowOpen)

        let closed = Targeting(whitelist: ["qa-*"], rules: targeting.rules, startsAt: Date().addingTimeInterval(3600))
        let later = try viewer.previewTargeting(app: "wallet-ios", closed)
        XCTAssertFalse(later.windowOpen)
        XCTAssertEqual(later.reached, 1, "before the window opens only the whitelist is offered")

        XCTAssertThrowsError(try viewer.previewTargeting(app: "wallet-ios", Targeting(whitelist: ["*"]))) { error in
            guard case PlatformError.http(422, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(problem?.detail?.contains("more than '*'") ?? false)
        }
    }

    func testAWhitelistPatternGetsTheWhitelistBuild() throws {
        let release = try client("rita").createRelease(app: "wallet-ios", ReleaseDraft(
            version: "9.2.0", build: 920, notes: "", packageSize: 10, checksum: Self.checksum, targeting: Targeting(whitelist: ["qa-*"]), reason: "testers"))
        _ = try client("rita").patchRelease(app: "wallet-ios", version: "9.2.0", ReleasePatch(stage: .whitelist, reason: "to the testers"), ifMatch: release.etag)
        let tester = DeviceInfo(id: "qa-77", os: .ios, osVersion: "17.2", model: "iPhone 15")
        let other = DeviceInfo(id: "d-77", os: .ios, osVersion: "17.2", model: "iPhone 15")
        XCTAssertEqual(try client("vera").check(app: "wallet-ios", device: tester, version: "9.1.9").offer?.version, "9.2.0")
        XCTAssertNotEqual(try client("vera").check(app: "wallet-ios", device: other, version: "9.1.9").offer?.version, "9.2.0")
    }
}

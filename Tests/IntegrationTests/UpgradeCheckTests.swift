import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import XCTest

/// The device-facing upgrade check over real HTTP.
final class UpgradeCheckTests: XCTestCase {
    func testRaisingGrayOnlyAddsDevicesAndFullIsOfferedToEveryone() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let releases = try client.releases(app: "wallet-android").value!
        let gray = try XCTUnwrap(releases.first { $0.stage == .gray })
        let latestFull = try XCTUnwrap(releases.filter { $0.stage == .full }.max { VersionOrder.compare($0.version, $1.version) == .orderedAscending })
        var current = try client.patchRelease(app: gray.app, version: gray.version, ReleasePatch(grayPercent: 10, reason: "test"), ifMatch: gray.etag)

        let devices = (0..<600).map { DeviceInfo(id: "dev-\($0)", os: .android, osVersion: "14", model: "Pixel 8") }
        func offered() throws -> Set<String> {
            Set(try devices.filter { try client.check(app: "wallet-android", device: $0, version: latestFull.version).offer?.version == gray.version }.map(\.id))
        }
        let atTen = try offered()
        current = try client.patchRelease(app: gray.app, version: gray.version, ReleasePatch(grayPercent: 20, reason: "test"), ifMatch: current.etag)
        let atTwenty = try offered()
        XCTAssertTrue(atTen.isSubset(of: atTwenty), "raising the percentage keeps every device that had it")
        XCTAssertEqual(Double(atTen.count) / 600, 0.10, accuracy: 0.04)
        XCTAssertEqual(Double(atTwenty.count) / 600, 0.20, accuracy: 0.05)
        XCTAssertEqual(try offered(), atTwenty, "the same device always gets the same answer")

        // A device on an old release is offered the newest full one (unless in the gray).
        let old = try XCTUnwrap(releases.last)
        let outside = try XCTUnwrap(devices.first { !atTwenty.contains($0.id) })
        XCTAssertEqual(try client.check(app: "wallet-android", device: outside, version: old.version).offer?.version, latestFull.version)
        XCTAssertNil(try client.check(app: "wallet-android", device: outside, version: "99.0").offer, "nothing newer: stay")

        // Halting the gray release stops offering it.
        _ = try client.perform(.halt, app: gray.app, version: gray.version, reason: "test", ifMatch: current.etag)
        XCTAssertTrue(try offered().isEmpty)
    }

    func testSwitchValuesFollowTheirScope() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let pay = try XCTUnwrap(client.switches(app: "wallet-ios").value?.first { $0.key == "pay-api" })
        let device = DeviceInfo(id: "d&x=1", os: .ios, osVersion: "17.2", model: "iPhone 15", city: "Shanghai", network: "5g")
        XCTAssertEqual(try client.check(app: "wallet-ios", device: device, version: "5.0.0").switches["pay-api"], true)
        _ = try client.patchSwitch(app: "wallet-ios", key: "pay-api", SwitchPatch(enabled: false, reason: "incident"), ifMatch: pay.etag)
        XCTAssertEqual(try client.check(app: "wallet-ios", device: device, version: "5.0.0").switches["pay-api"], false)

        let item = Switch(app: "a", key: "k", description: "", kind: .killSwitch, enabled: false,
                          scope: SwitchScope(platforms: [.android], minVersion: "2.0.0", maxVersion: "3.0.0"), updatedBy: "", updatedAt: Date(), revision: 1)
        XCTAssertFalse(UpgradePolicy.value(of: item, os: .android, version: "2.5.0", device: "d"))
        XCTAssertTrue(UpgradePolicy.value(of: item, os: .ios, version: "2.5.0", device: "d"), "another platform is out of scope")
        XCTAssertTrue(UpgradePolicy.value(of: item, os: .android, version: "3.1.0", device: "d"), "a newer version is out of scope")
        XCTAssertTrue(UpgradePolicy.value(of: item, os: .android, version: "1.9.9", device: "d"))
    }

    func testMissingParametersAreExplained() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let transport = CurlTransport()
        let exchange = try transport.perform(method: "GET", url: "\(server.url)/v1/sdk/check?app=wallet-ios&device=d", headers: ["Authorization": "Bearer \(server.token)"])
        XCTAssertEqual(exchange.status, 400)
        XCTAssertTrue(String(decoding: exchange.body, as: UTF8.self).contains("'version' is required"))
    }

    func testVersionOrder() {
        XCTAssertTrue(VersionOrder.isNewer("5.10.0", than: "5.9.2"))
        XCTAssertTrue(VersionOrder.isNewer("5.9.1", than: "5.9"))
        XCTAssertEqual(VersionOrder.compare("5.9", "5.9.0"), .orderedSame)
        XCTAssertFalse(VersionOrder.isNewer("1.0.0-beta", than: "1.0.0"))
    }
}

/// Release targeting: whitelist, attribute rules and time window.
final class TargetingTests: XCTestCase {
    func testRulesWhitelistAndWindowDecideWhoGetsAGrayRelease() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let releases = try client.releases(app: "wallet-ios").value!
        var gray = try XCTUnwrap(releases.first { $0.stage == .gray || $0.stage == .halted })
        if gray.stage == .halted { gray = try client.perform(.resume, app: gray.app, version: gray.version, reason: "test", ifMatch: gray.etag) }
        gray = try client.patchRelease(app: gray.app, version: gray.version, ReleasePatch(
            grayPercent: 100,
            targeting: Targeting(whitelist: ["vip"], rules: [TargetingRule(.city, .in, ["Hangzhou"]), TargetingRule(.osVersion, .inRange, ["17.0", "17.9"])]),
            reason: "Hangzhou on iOS 17 first"), ifMatch: gray.etag)
        XCTAssertEqual(gray.targeting?.rules.count, 2)

        func offered(_ id: String, city: String, os: String = "17.2") throws -> Bool {
            let device = DeviceInfo(id: id, os: .ios, osVersion: os, model: "iPhone 15", city: city, network: "wifi")
            return try client.check(app: "wallet-ios", device: device, version: "1.0.0").offer?.version == gray.version
        }
        XCTAssertTrue(try offered("a", city: "Hangzhou"))
        XCTAssertFalse(try offered("b", city: "Shanghai"), "outside the city rule")
        XCTAssertFalse(try offered("c", city: "Hangzhou", os: "18.1"), "outside the OS range")
        XCTAssertTrue(try offered("vip", city: "Shanghai"), "the whitelist wins over rules")

        // A window that has not opened yet: whitelist only.
        gray = try client.patchRelease(app: gray.app, version: gray.version, ReleasePatch(
            targeting: Targeting(whitelist: ["vip"], startsAt: Date().addingTimeInterval(3600)), reason: "tomorrow"), ifMatch: gray.etag)
        XCTAssertFalse(try offered("a", city: "Hangzhou"))
        XCTAssertTrue(try offered("vip", city: "Hangzhou"))
        XCTAssertEqual(try client.audit().items.last?.action, .releaseTargeting)

        XCTAssertThrowsError(try client.patchRelease(app: gray.app, version: gray.version, ReleasePatch(
            targeting: Targeting(rules: [TargetingRule(.osVersion, .inRange, ["1"])]), reason: "bad"), ifMatch: gray.etag)) { error in
            guard case PlatformError.http(422, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(problem?.detail?.contains("exactly two values") == true)
        }
    }

    func testWhitelistStageReachesOnlyItsDevices() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let candidate = try XCTUnwrap(client.releases(app: "wallet-android").value!.first { $0.stage == .whitelist })
        XCTAssertEqual(candidate.targeting?.whitelist.first, "qa-device-01")
        let qa = DeviceInfo(id: "qa-device-01", os: .android, osVersion: "14", model: "Pixel 8")
        let other = DeviceInfo(id: "someone", os: .android, osVersion: "14", model: "Pixel 8")
        let newestFull = try client.releases(app: "wallet-android").value!.filter { $0.stage == .full }.map(\.version)
            .max { VersionOrder.compare($0, $1) == .orderedAscending }!
        XCTAssertEqual(try client.check(app: "wallet-android", device: qa, version: newestFull).offer?.version, candidate.version)
        XCTAssertNotEqual(try client.check(app: "wallet-android", device: other, version: newestFull).offer?.version, candidate.version)
    }
}

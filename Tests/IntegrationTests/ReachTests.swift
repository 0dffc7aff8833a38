import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import TestSupport
import XCTest

/// Proof a change took: the server counts what devices were told at their checks, and
/// the counts move as devices check again after a switch flips or a release halts.
final class ReachTests: XCTestCase {
    func testSwitchValuesAndReleaseOffersAsDevicesCheck() throws {
        let server = try TestServer.start(watching: false)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let app = try XCTUnwrap(client.apps().value?.first)
        let releases = try XCTUnwrap(client.releases(app: app.id).value)
        let full = try XCTUnwrap(releases.filter { $0.stage == .full }.max { $0.createdAt < $1.createdAt })
        let gray = try XCTUnwrap(releases.first { $0.stage == .gray })
        var enabled = try XCTUnwrap(client.switches(app: app.id).value?.first { $0.key == "pay-api" })
        XCTAssertTrue(enabled.enabled)
        let devices = (0..<40).map { DeviceInfo(id: "reach-\($0)", os: app.platform, osVersion: "14", model: "Pixel 8") }
        func checkAll() throws -> [UpgradeAnswer] { try devices.map { try client.check(app: app.id, device: $0, version: full.version) } }

        XCTAssertEqual(try XCTUnwrap(client.reach(app: app.id).value).devices, 0, "nobody checked yet")
        let answers = try checkAll()
        var reach = try XCTUnwrap(client.reach(app: app.id).value)
        XCTAssertEqual(reach.devices, 40)
        XCTAssertEqual(reach.switchReach("pay-api"), SwitchReach(key: "pay-api", on: 40, off: 0))
        XCTAssertEqual(reach.releaseReach(full.version)?.running, 40)
        let offeredGray = answers.filter { $0.offer?.version == gray.version }.count
        XCTAssertEqual(reach.releaseReach(gray.version)?.offered ?? 0, offeredGray, "the gray share was offered it")

        // Off: devices pick it up as they check again, and only then.
        enabled = try client.patchSwitch(app: app.id, key: "pay-api", SwitchPatch(enabled: false, reason: "reach test"), ifMatch: enabled.etag)
        XCTAssertEqual(try XCTUnwrap(client.reach(app: app.id).value?.switchReach("pay-api")?.off), 0, "told nobody yet")
        for device in devices.prefix(15) { _ = try client.check(app: app.id, device: device, version: full.version) }
        reach = try XCTUnwrap(client.reach(app: app.id).value)
        XCTAssertEqual(reach.switchReach("pay-api"), SwitchReach(key: "pay-api", on: 25, off: 15))

        // A halt stops new offers; the devices that took it still run it.
        _ = try client.check(app: app.id, device: devices[0], version: gray.version)
        _ = try client.perform(.halt, app: app.id, version: gray.version, reason: "reach test", ifMatch: gray.etag)
        _ = try checkAll()
        reach = try XCTUnwrap(client.reach(app: app.id).value)
        XCTAssertEqual(reach.releaseReach(gray.version)?.offered ?? 0, 0, "no new offers of a halted release")
    }
}

import Foundation
import PlatformClient
import PlatformModel
import XCTest

/// Release health series over real HTTP, from controlled sessions and crashes.
final class MetricsTests: XCTestCase {
    func testPerStepCrashFreeRatesAndAdoption() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let t0 = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 60).rounded(.down) * 60 - 600)
        func send(_ release: String, device: Int, at offset: TimeInterval, crashed: Bool) throws {
            let at = t0.addingTimeInterval(offset)
            _ = try client.send(SDKBatch(
                app: "wallet-ios", release: release,
                device: DeviceInfo(id: "m\(device)", os: .ios, osVersion: "17.2", model: "iPhone 15"),
                sessions: [SDKSession(startedAt: at, durationSeconds: 30, crashed: crashed)],
                crashes: crashed ? [SDKCrash(kind: device % 2 == 0 ? .crash : .anr, exceptionType: "E", message: "m", frames: [], at: at)] : []))
        }
        // Minute 0: release 5.3.0 on devices 0-9 (0, 1 and 2 crash; device 0 twice), 5.2.1 on 10-19.
        for device in 0..<10 { try send("5.3.0", device: device, at: 10, crashed: device < 3) }
        try send("5.3.0", device: 0, at: 20, crashed: true)
        for device in 10..<20 { try send("5.2.1", device: device, at: 15, crashed: false) }
        // Minute 2: only 5.2.1.
        for device in 10..<14 { try send("5.2.1", device: device, at: 130, crashed: false) }

        let series = try client.metrics(app: "wallet-ios", release: "5.3.0", from: t0, to: t0.addingTimeInterval(180))
        XCTAssertEqual(series.points.count, 3)
        XCTAssertEqual(series.points.map(\.at), [t0, t0.addingTimeInterval(60), t0.addingTimeInterval(120)])
        let first = series.points[0]
        XCTAssertEqual(first.sessions, 11)
        XCTAssertEqual(first.crashes + first.anrs, 4)
        XCTAssertEqual(first.crashes, 3, "devices 0 (twice) and 2 crash; device 1 has an ANR")
        XCTAssertEqual(try XCTUnwrap(first.crashFreeSessions), 63.64, accuracy: 0.01)  // 7 of 11
        XCTAssertEqual(try XCTUnwrap(first.crashFreeUsers), 70, accuracy: 0.01)  // 7 of 10 devices
        XCTAssertEqual(try XCTUnwrap(first.adoption), 50, accuracy: 0.01)  // 10 of 20 active devices
        XCTAssertNil(series.points[1].crashFreeSessions, "no sessions, no rate")
        XCTAssertEqual(series.points[2].adoption, 0)
        XCTAssertEqual(series.total.sessions, 11)
        // Device counts: a gray change's blast radius is a share of the app's active devices.
        XCTAssertEqual(first.devices, 10)
        XCTAssertEqual(first.appDevices, 20)
        XCTAssertEqual(series.points[2].devices, 0)
        XCTAssertEqual(series.points[2].appDevices, 4)
        XCTAssertEqual(series.total.devices, 10)
        XCTAssertEqual(series.total.appDevices, 20)

        let app = try client.metrics(app: "wallet-ios", release: nil, from: t0, to: t0.addingTimeInterval(180))
        XCTAssertEqual(app.total.sessions, 25)
        XCTAssertNil(app.total.adoption)
        XCTAssertEqual(app.total.devices, 20)
        XCTAssertNil(app.total.appDevices)
    }

    func testBadRangesAreExplained() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let now = Date()
        XCTAssertThrowsError(try client.metrics(app: "wallet-ios", release: nil, from: now, to: now.addingTimeInterval(-60)))
        let month = try client.metrics(app: "wallet-ios", release: nil, from: now.addingTimeInterval(-86_400 * 30), to: now)
        XCTAssertEqual(month.stepSeconds, 1800, "a wide range gets a coarser step instead of a refusal")
        XCTAssertLessThanOrEqual(month.points.count, 1440)
        XCTAssertThrowsError(try client.metrics(app: "wallet-ios", release: "0.0.0", from: now.addingTimeInterval(-60), to: now)) { error in
            guard case PlatformError.notFound = error else { return XCTFail("got \(error)") }
        }
    }
}

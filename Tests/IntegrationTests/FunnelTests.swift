import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import Simulator
import XCTest

/// Funnel definitions and reports over real HTTP.
final class FunnelTests: XCTestCase {
    func testReportFromControlledJourneysWithReleaseBreakdown() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let funnels = try XCTUnwrap(client.funnels(app: "wallet-ios").value)
        XCTAssertEqual(funnels.map(\.id), ["checkout", "signup"])
        let checkout = funnels[0]
        let t0 = Date().addingTimeInterval(-3600)
        func walk(_ device: Int, release: String, steps: Int) throws {
            let funnelSteps = (0..<steps).map { SDKFunnelStep(name: checkout.steps[$0], at: t0.addingTimeInterval(Double($0) * 10)) }
            _ = try client.send(SDKBatch(app: "wallet-ios", release: release,
                                         device: DeviceInfo(id: "f\(device)", os: .ios, osVersion: "17", model: "iPhone 15"),
                                         funnelSteps: funnelSteps))
        }
        for device in 0..<10 { try walk(device, release: "5.3.0", steps: device < 4 ? 5 : 2) }
        for device in 10..<20 { try walk(device, release: "5.2.1", steps: 5) }

        let report = try client.funnelReport(app: "wallet-ios", funnel: "checkout", from: t0.addingTimeInterval(-60), to: Date(), byRelease: true)
        XCTAssertEqual(report.steps.map(\.devices), [20, 20, 14, 14, 14])
        XCTAssertEqual(report.steps[2].dropOff, 6)
        XCTAssertEqual(report.steps[4].overallConversion, 70)
        XCTAssertEqual(report.steps[1].medianSecondsFromPrevious, 10)
        XCTAssertEqual(report.byRelease?["5.3.0"]?.map(\.devices), [10, 10, 4, 4, 4])
        XCTAssertEqual(report.byRelease?["5.2.1"]?.last?.overallConversion, 100)

        XCTAssertThrowsError(try client.funnelReport(app: "wallet-ios", funnel: "nope", from: t0, to: Date())) { error in
            guard case PlatformError.notFound = error else { return XCTFail("got \(error)") }
        }
    }

    func testOpeningThePaymentsBreakerBreaksTheLastCheckoutStep() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        func paidConversion() throws -> Double {
            let reports = try client.apps().value!.map {
                try client.funnelReport(app: $0.id, funnel: "checkout", from: Date().addingTimeInterval(-3600), to: Date())
            }
            let confirmed = reports.reduce(0) { $0 + $1.steps[3].devices }
            let paid = reports.reduce(0) { $0 + $1.steps[4].devices }
            return Double(paid) / Double(max(confirmed, 1))
        }
        try Fleet(configuration: .init(apiURL: server.url, token: server.token, devices: 200, rate: 100_000, seed: 4)).run(limit: 2500)
        let healthy = try paidConversion()
        XCTAssertGreaterThan(healthy, 0.85)

        let fresh = try TestServer.start()
        defer { fresh.stop() }
        let freshClient = try PlatformClient(baseURL: fresh.url, token: fresh.token)
        for app in try freshClient.apps().value! {
            let breaker = try freshClient.switches(app: app.id).value!.first { $0.key == "pay-api" }!
            _ = try freshClient.patchSwitch(app: app.id, key: "pay-api", SwitchPatch(enabled: false, reason: "payments down"), ifMatch: breaker.etag)
        }
        try Fleet(configuration: .init(apiURL: fresh.url, token: fresh.token, devices: 200, rate: 100_000, seed: 4)).run(limit: 2500)
        let reports = try freshClient.apps().value!.map {
            try freshClient.funnelReport(app: $0.id, funnel: "checkout", from: Date().addingTimeInterval(-3600), to: Date())
        }
        let confirmed = reports.reduce(0) { $0 + $1.steps[3].devices }
        let paid = reports.reduce(0) { $0 + $1.steps[4].devices }
        XCTAssertGreaterThan(confirmed, 20)
        XCTAssertLessThan(Double(paid) / Double(confirmed), 0.2, "the breaker shows as the funnel's worst step")
    }
}

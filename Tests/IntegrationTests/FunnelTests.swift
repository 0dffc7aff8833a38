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

/// Funnel definitions made and changed over the API, and counting by user.
final class FunnelEditTests: RolesServerTestCase {
    func testAFunnelCountedByUserFollowsTheUserAcrossDevices() throws {
        let rita = try client("rita")
        let draft = FunnelDraft(id: "onboarding", name: "Onboarding", steps: ["install", "signup", "first_payment"], windowMinutes: 60,
                                countedBy: .user, reason: "growth review")
        let created = try rita.createFunnel(app: "wallet-ios", draft, idempotencyKey: "f-1")
        XCTAssertEqual(created.revision, 1)
        XCTAssertEqual(created.countedBy, .user)
        XCTAssertEqual(try rita.createFunnel(app: "wallet-ios", draft, idempotencyKey: "f-1"), created)
        let t0 = Date().addingTimeInterval(-1800)
        func send(device: String, user: String?, _ steps: [String], at offset: Double) throws {
            _ = try rita.send(SDKBatch(app: "wallet-ios", release: "5.3.0", device: DeviceInfo(id: device, os: .ios, osVersion: "17", model: "iPhone 15"),
                                       user: user, funnelSteps: steps.enumerated().map { SDKFunnelStep(name: $1, at: t0.addingTimeInterval(offset + Double($0))) }))
        }
        // Ann starts on her phone and pays on her tablet; Bo stops at signup; a signed-out device is not a user.
        try send(device: "phone-ann", user: "ann", ["install", "signup"], at: 0)
        try send(device: "tablet-ann", user: "ann", ["first_payment"], at: 60)
        try send(device: "phone-bo", user: "bo", ["install", "signup"], at: 0)
        try send(device: "anon", user: nil, ["install", "signup", "first_payment"], at: 0)

        let byUser = try rita.funnelReport(app: "wallet-ios", funnel: "onboarding", from: t0.addingTimeInterval(-60), to: Date())
        XCTAssertEqual(byUser.steps.map(\.devices), [2, 2, 1], "two users; Ann finished across her devices")

        let edited = try rita.updateFunnel(app: "wallet-ios", id: "onboarding",
                                           FunnelDraft(name: "Onboarding (devices)", steps: draft.steps, windowMinutes: 60, countedBy: .device,
                                                       reason: "compare with devices"), ifMatch: created.etag)
        XCTAssertEqual(edited.revision, 2)
        let byDevice = try rita.funnelReport(app: "wallet-ios", funnel: "onboarding", from: t0.addingTimeInterval(-60), to: Date())
        XCTAssertEqual(byDevice.steps.map(\.devices), [3, 3, 1], "by device Ann's payment on the tablet is not her phone's; the anonymous device counts")

        XCTAssertThrowsError(try rita.updateFunnel(app: "wallet-ios", id: "onboarding", FunnelDraft(name: "x", steps: draft.steps, windowMinutes: 5, reason: "stale"),
                                                   ifMatch: created.etag)) { error in
            guard case PlatformError.changedMeanwhile = error else { return XCTFail("got \(error)") }
        }
        let audit = try client("vera").audit().items.filter { $0.target == "wallet-ios/funnels/onboarding" }
        XCTAssertEqual(audit.map(\.action), [.funnelCreate, .funnelEdit])
        XCTAssertEqual(audit[1].before?["countedBy"], .string("user"))
        XCTAssertEqual(audit[1].after?["countedBy"], .string("device"))
    }

    func testBadFunnelsNameTheFieldAndRolesAreEnforced() throws {
        let good = FunnelDraft(id: "f", name: "F", steps: ["a", "b"], windowMinutes: 30, reason: "r")
        var cases: [(FunnelDraft, String)] = []
        var draft = good
        draft.id = "Bad Id"
        cases.append((draft, "id must be"))
        draft = good
        draft.steps = ["a"]
        cases.append((draft, "steps must list"))
        draft = good
        draft.steps = ["a", "a"]
        cases.append((draft, "steps: an event name appears twice"))
        draft = good
        draft.windowMinutes = 0
        cases.append((draft, "windowMinutes must be"))
        for (draft, field) in cases {
            XCTAssertThrowsError(try client("adam").createFunnel(app: "wallet-ios", draft)) { error in
                guard case PlatformError.http(422, let problem) = error else { return XCTFail("\(field): got \(error)") }
                XCTAssertTrue(problem?.detail?.hasPrefix(field) ?? false, "\(field): \(problem?.detail ?? "")")
            }
        }
        XCTAssertThrowsError(try client("sam").createFunnel(app: "wallet-ios", good)) { error in
            guard case PlatformError.forbidden = error else { return XCTFail("support may not define funnels; got \(error)") }
        }
        XCTAssertThrowsError(try client("adam").createFunnel(app: "wallet-ios", FunnelDraft(id: "checkout", name: "x", steps: ["a", "b"], windowMinutes: 5, reason: "r"))) { error in
            guard case PlatformError.http(409, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(problem?.detail, "id: wallet-ios already has a funnel checkout")
        }
    }
}

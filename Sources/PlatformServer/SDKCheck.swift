import Foundation
import Hummingbird
import PlatformModel

/// The upgrade check apart from HTTP: the API's route and the device gateway
/// (DeviceGateway.swift) both answer with it, so the two cannot drift apart.
struct UpgradeCheck {
    var app: String
    var device: DeviceInfo
    var version: String

    /// The check's query, looked up by parameter name (values percent-decoded); a
    /// `ProblemError` (400) says what is missing or wrong.
    init(parameter: (String) -> String?) throws {
        func required(_ name: String) throws -> String {
            // Characters are counted only past 200 bytes: counting them costs a walk of
            // grapheme breaks, and no more characters than bytes can be.
            guard let value = parameter(name), !value.isEmpty, value.utf8.count <= 200 || value.count <= 200 else {
                throw ProblemError(.badRequest, "query parameter '\(name)' is required (1 to 200 characters)")
            }
            return value
        }
        app = try required("app")
        let id = try required("device")
        version = try required("version")
        guard let os = Platform(rawValue: try required("os")) else {
            throw ProblemError(.badRequest, "os must be one of \(Platform.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        device = DeviceInfo(id: id, os: os, osVersion: parameter("osVersion") ?? "", model: parameter("model") ?? "",
                            city: parameter("city"), network: parameter("network"))
    }

    static func unknownApp(_ app: String) -> ProblemError { ProblemError(.notFound, "no app with id '\(app)'") }

    /// What this device should run and which switches are on for it: the JSON of an
    /// `UpgradeAnswer`, appended to `out`.
    /// What it was told is recorded in `reach`, so that a change's progress can be shown.
    func appendAnswer(from snapshot: AppSnapshot, to out: inout [UInt8], reach: DeviceReach) {
        let offer = UpgradePolicy.offer(releases: snapshot.releases, app: app, device: device, current: version).map {
            UpgradeAnswer.Offer(version: $0.version, build: $0.build, stage: $0.stage, notes: $0.notes)
        }
        // The snapshot keeps its switches in key order, the order the answer lists them.
        let context = UnleashContext.device(device, appVersion: version, app: app)
        let switches = snapshot.features.map { feature in
            (key: feature.name, value: snapshot.evaluator.isEnabled(feature, context))
        }
        reach.record(app: app, device: device.id, DeviceReach.Seen(device: device, runs: version, offered: offer?.version, keys: snapshot.switchKeys,
                                                                   values: switches.map(\.value), at: Date()))
        UpgradeAnswer.appendJSON(app: app, device: device.id, current: version, offer: offer, switches: switches, to: &out)
    }
}

extension PlatformServer {
    /// `GET /v1/sdk/check`: the device-facing upgrade and configuration check.
    func addSDKCheckRoute(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        v1.get("sdk/check") { request, _ in
            let query = request.uri.queryParameters
            let check = try UpgradeCheck { query.get($0) }
            guard let snapshot = try await store.snapshot(app: check.app) else { throw UpgradeCheck.unknownApp(check.app) }
            var body: [UInt8] = []
            body.reserveCapacity(512)
            check.appendAnswer(from: snapshot, to: &body, reach: store.reach)
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}

import Foundation
import Hummingbird
import PlatformModel

extension PlatformServer {
    /// `GET /v1/sdk/check`: the device-facing upgrade and configuration check.
    func addSDKCheckRoute(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        v1.get("sdk/check") { request, _ in
            let query = request.uri.queryParameters
            func required(_ name: String) throws -> String {
                guard let value = query.get(name), !value.isEmpty, value.count <= 200 else {
                    throw ProblemError(.badRequest, "query parameter '\(name)' is required (1 to 200 characters)")
                }
                return value
            }
            let app = try required("app"), device = try required("device"), version = try required("version")
            guard let os = Platform(rawValue: try required("os")) else {
                throw ProblemError(.badRequest, "os must be one of \(Platform.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let snapshot = try await store.snapshot(app: app) else { throw ProblemError(.notFound, "no app with id '\(app)'") }
            let info = DeviceInfo(id: device, os: os, osVersion: query.get("osVersion") ?? "", model: query.get("model") ?? "",
                                  city: query.get("city"), network: query.get("network"))
            let offer = UpgradePolicy.offer(releases: snapshot.releases, app: app, device: info, current: version).map {
                UpgradeAnswer.Offer(version: $0.version, build: $0.build, stage: $0.stage, notes: $0.notes)
            }
            var switches: [String: Bool] = [:]
            for item in snapshot.switches {
                switches[item.key] = UpgradePolicy.value(of: item, os: os, version: version, device: device)
            }
            let answer = UpgradeAnswer(app: app, device: device, current: version, offer: offer, switches: switches)
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: answer.json())))
        }
    }
}

import Foundation
import Hummingbird
import PlatformModel

/// Unleash's SDK-facing APIs over the app's switches, so that Unleash SDKs read them
/// with no OpsDeck code in the app: the Client API (`/api/client/…`, the whole features
/// document, evaluated in the SDK) and the Frontend API (`/api/frontend…`, evaluated
/// here for one context). A token opens one app (`/v1/apps/{app}/sdk-tokens`); SDKs send
/// it bare in `Authorization`, as Unleash's do.
extension PlatformServer {
    func addUnleashRoutes(to router: Router<PlatformRequestContext>) {
        let store = store
        let api = router.group("api")

        api.get("client/features") { request, context in
            let access = try await sdkAccess(request, store, .client)
            guard let snapshot = try await store.snapshot(app: access.app) else { throw UpgradeCheck.unknownApp(access.app) }
            var features = snapshot.features
            if let prefix = request.uri.queryParameters.get("namePrefix") { features = features.filter { $0.name.hasPrefix(prefix) } }
            return try jsonResponse(UnleashFeatures(features: features, segments: snapshot.segments), for: request)
        }
        for kind in SDKTokenKind.allCases {
            let prefix = kind == .client ? "client" : "frontend/client"
            api.post("\(prefix)/register") { request, context in
                let access = try await sdkAccess(request, store, kind)
                let registration = try await unleashBody(UnleashRegistration.self, request, context)
                try await store.registerSDKClient(app: access.app, registration, now: Date())
                return Response(status: .accepted)
            }
            api.post("\(prefix)/metrics") { request, context in
                let access = try await sdkAccess(request, store, kind)
                let metrics = try await unleashBody(UnleashMetrics.self, request, context)
                try await store.recordSDKMetrics(app: access.app, metrics, now: Date())
                return Response(status: .accepted)
            }
        }
        api.get("frontend") { request, context in
            let access = try await sdkAccess(request, store, .frontend)
            var unleash = UnleashContext(properties: [:])
            for (name, value) in request.uri.queryParameters {
                unleash.set(String(name), String(value))
            }
            return try await frontendAnswer(access, unleash, peerAddress: context.remoteAddress, request, store)
        }
        api.post("frontend") { request, context in
            let access = try await sdkAccess(request, store, .frontend)
            let body = try await unleashBody(JSONValue.self, request, context)
            // Unleash takes `{"context": {...}}`, and the context itself at the top.
            let fields = body["context"] ?? body
            var unleash = UnleashContext(properties: [:])
            var addressGiven = false
            if case .object(let members) = fields {
                // "remoteAddress": null says "no address": the peer's is not put in.
                addressGiven = members.keys.contains("remoteAddress")
                for (name, value) in members {
                    if name == "properties", case .object(let properties) = value {
                        for (key, property) in properties { if let text = property.text { unleash.properties[key] = text } }
                    } else if let text = value.text {
                        unleash.set(name, text)
                    }
                }
            }
            return try await frontendAnswer(access, unleash, peerAddress: addressGiven ? nil : context.remoteAddress, request, store)
        }
    }
}

/// Every enabled switch for this context, with its variant: `{"toggles": [...]}`, as
/// Unleash's Frontend API answers (switches that are off are left out).
/// The peer's address stands in for a context without `remoteAddress`, as in Unleash.
private func frontendAnswer(
    _ access: SDKAccess, _ unleash: UnleashContext, peerAddress: String?, _ request: Request, _ store: ServerStore
) async throws -> Response {
    var unleash = unleash
    if unleash.remoteAddress == nil { unleash.remoteAddress = peerAddress }
    guard let snapshot = try await store.snapshot(app: access.app) else { throw UpgradeCheck.unknownApp(access.app) }
    let toggles = snapshot.features.compactMap { feature -> FrontendToggle? in
        let variant = snapshot.evaluator.variant(feature, unleash)
        guard variant.featureEnabled else { return nil }
        return FrontendToggle(name: feature.name, enabled: true, variant: variant, impressionData: feature.impressionData ?? false)
    }
    return try jsonResponse(FrontendAnswer(toggles: toggles), for: request)
}

private struct FrontendAnswer: Encodable {
    var toggles: [FrontendToggle]
}

private struct FrontendToggle: Encodable {
    var name: String
    var enabled: Bool
    var variant: UnleashVariantResult
    var impressionData: Bool
}

/// The app and API the request's token opens; 401 for a missing, unknown or wrong-kind
/// token (Unleash's SDKs send the token bare; "Bearer TOKEN" is accepted too).
private func sdkAccess(_ request: Request, _ store: ServerStore, _ kind: SDKTokenKind) async throws -> SDKAccess {
    let challenge: HTTPFields = [.wwwAuthenticate: "Unleash realm=\"opsdeck\""]
    guard var token = request.headers[.authorization]?.trimmingCharacters(in: .whitespaces), !token.isEmpty else {
        throw ProblemError(.unauthorized, "this endpoint needs an Authorization header with an SDK token of the app", headers: challenge)
    }
    if token.lowercased().hasPrefix("bearer ") { token = String(token.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
    guard let access = try await store.sdkAccess(token: token) else {
        throw ProblemError(.unauthorized, "the SDK token is not known to this server", headers: challenge)
    }
    guard access.kind == kind else {
        throw ProblemError(.unauthorized, "a \(access.kind.rawValue) token does not open the \(kind == .client ? "Client" : "Frontend") API; "
                           + "make a \(kind.rawValue) token for the app", headers: challenge)
    }
    return access
}

private func unleashBody<Body: Decodable>(_ type: Body.Type, _ request: Request, _ context: PlatformRequestContext) async throws -> Body {
    var request = request
    let buffer = try await request.collectBody(upTo: context.maxUploadSize)
    do {
        return try JSONDecoder().decode(Body.self, from: Data(buffer.readableBytesView))
    } catch {
        throw ProblemError(.badRequest, WireFormat.explain(error))
    }
}

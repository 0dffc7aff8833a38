import Foundation
import Hummingbird
import PlatformModel

/// Admin endpoints for what real SDKs need: an app's Unleash tokens, and the import of
/// an Unleash features document into its switches.
extension PlatformServer {
    func addSDKAdminRoutes(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        v1.get("apps/:app/sdk-tokens") { request, context in
            try requireRole(context, \.mayAdministerSDKs)
            return try jsonResponse(try await store.sdkTokens(app: try await requireApp(context, store)), for: request)
        }
        v1.post("apps/:app/sdk-tokens") { request, context in
            let (draft, mutation) = try await mutationInput(SDKTokenDraft.self, request: request, context: context, allowed: \.mayAdministerSDKs)
            return try await store.createSDKToken(app: try context.parameters.require("app"), draft, context: mutation).response()
        }
        v1.delete("apps/:app/sdk-tokens/:name") { request, context in
            let (_, mutation) = try await mutationInput(JSONValue.self, request: request, context: context, allowed: \.mayAdministerSDKs,
                                                        emptyBody: .null)
            let app = try await requireApp(context, store)
            try await store.revokeSDKToken(app: app, name: try context.parameters.require("name"),
                                           reason: queryReason(request), context: mutation)
            return Response(status: .noContent)
        }
        v1.post("apps/:app/switches/import") { request, context in
            let (document, mutation) = try await mutationInput(UnleashFeatures.self, request: request, context: context,
                                                               allowed: \.mayAdministerSDKs, upTo: context.maxUploadSize)
            return try await store.importSwitches(app: try context.parameters.require("app"), document,
                                                  reason: queryReason(request), context: mutation).response()
        }
    }
}

/// A reason given in the query, where "+" is a space (as forms and most clients write it).
private func queryReason(_ request: Request) -> String {
    (request.uri.queryParameters.get("reason").map { String($0) } ?? "").replacingOccurrences(of: "+", with: " ")
}

/// 403 unless the caller's role allows it.
func requireRole(_ context: PlatformRequestContext, _ allowed: KeyPath<Role, Bool>) throws {
    guard let caller = context.caller else { throw ProblemError(.unauthorized, "no caller") }
    guard caller.role[keyPath: allowed] else {
        throw ProblemError(.forbidden, "the role \(caller.role.rawValue) of token '\(caller.name)' may not do this")
    }
}

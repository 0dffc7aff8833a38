import Hummingbird
import Logging
import PlatformModel

/// Per-request context: Hummingbird's core storage plus who is calling.
public struct PlatformRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware for every `/v1` request.
    var caller: AccessToken?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Limits request bodies; the API's largest bodies are SDK event batches.
    public var maxUploadSize: Int { 1 << 20 }
}

/// Every `/v1` request must carry `Authorization: Bearer TOKEN` naming a known token.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = PlatformRequestContext
    let registry: TokenRegistry

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let challenge: HTTPFields = [.wwwAuthenticate: "Bearer realm=\"opsdeck\""]
        guard let header = request.headers[.authorization] else {
            throw ProblemError(.unauthorized, "this endpoint needs an Authorization: Bearer token", headers: challenge)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw ProblemError(.unauthorized, "the Authorization header must be 'Bearer TOKEN'", headers: challenge)
        }
        guard let caller = registry.identify(String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw ProblemError(.unauthorized, "the token is not known to this server", headers: challenge)
        }
        var context = context
        context.caller = caller
        context.logger[metadataKey: "caller"] = .string(caller.name)
        return try await next(request, context)
    }
}

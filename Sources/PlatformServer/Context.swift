import Hummingbird
import Logging
import PlatformModel

/// Per-request context: Hummingbird's core storage plus who is calling.
public struct PlatformRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware for every `/v1` request.
    var caller: AccessToken?
    /// The peer's IP address: the Unleash Frontend API's `remoteAddress` when the
    /// context does not name one.
    let remoteAddress: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
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
        let caller: AccessToken
        switch registry.caller(authorization: request.headers[.authorization]?.utf8) {
        case .success(let found): caller = found
        case .failure(let refusal):
            throw ProblemError(.unauthorized, refusal.rawValue, headers: [.wwwAuthenticate: TokenRegistry.challenge])
        }
        var context = context
        context.caller = caller
        // The caller is not logger metadata: the stream handler formats metadata again
        // on every change, a cost per request; the lines that need it name the caller.
        return try await next(request, context)
    }
}

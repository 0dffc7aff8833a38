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
        // Trimmed by hand: Foundation's trimming bridges through NSString on every request.
        var token = parts[1]
        while token.first == " " || token.first == "\t" { token = token.dropFirst() }
        while token.last == " " || token.last == "\t" { token = token.dropLast() }
        guard let caller = registry.identify(String(token)) else {
            throw ProblemError(.unauthorized, "the token is not known to this server", headers: challenge)
        }
        var context = context
        context.caller = caller
        // The caller is not logger metadata: the stream handler formats metadata again
        // on every change, a cost per request; the lines that need it name the caller.
        return try await next(request, context)
    }
}

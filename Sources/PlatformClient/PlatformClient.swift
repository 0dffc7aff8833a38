import Foundation
import PlatformModel

/// The result of a conditional GET: either new content with its ETag, or "unchanged".
public enum Fetched<Value: Sendable>: Sendable {
    case modified(Value, etag: String?)
    case notModified

    public var value: Value? {
        if case .modified(let value, _) = self { return value }
        return nil
    }
}

/// Typed client of the platform API over libcurl. Blocking; owned by one thread (the
/// sync thread, a CLI command, a test). `cancel()` may be called from any thread.
public final class PlatformClient {
    /// Cancels this client's requests from any thread.
    public var canceller: Canceller { Canceller(flag: transport.cancelFlag) }

    public let baseURL: String
    private let token: String?
    private let transport: CurlTransport

    /// - Parameter baseURL: e.g. `http://127.0.0.1:8080`; a trailing slash is ignored.
    public init(baseURL: String, token: String?, timeouts: CurlTransport.Timeouts = .init()) throws(PlatformError) {
        var base = baseURL.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil
        else { throw .invalidURL(baseURL) }
        self.baseURL = base
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        transport = CurlTransport(timeouts: timeouts)
    }

    /// Aborts the request in flight and all later ones (used when quitting).
    public func cancel() { transport.cancel() }

    public func health() throws(PlatformError) -> Health {
        try get("/healthz", as: Health.self, etag: nil).value!
    }

    public func apps(etag: String? = nil) throws(PlatformError) -> Fetched<[App]> {
        try get("/v1/apps", as: [App].self, etag: etag)
    }

    public func releases(app: String, etag: String? = nil) throws(PlatformError) -> Fetched<[Release]> {
        try get("/v1/apps/\(Self.segment(app))/releases", as: [Release].self, etag: etag)
    }

    /// GET `path` and decode the JSON answer; with `etag`, a 304 gives `.notModified`.
    public func get<T: Decodable & Sendable>(_ path: String, as type: T.Type, etag: String?) throws(PlatformError) -> Fetched<T> {
        var headers = ["Accept": "application/json"]
        if let etag { headers["If-None-Match"] = etag }
        let exchange = try send("GET", path, headers: headers)
        if exchange.status == 304 { return .notModified }
        return .modified(try decode(T.self, from: exchange, path: path), etag: exchange.headers["etag"])
    }

    /// Sends one request and maps HTTP error statuses to `PlatformError`.
    func send(_ method: String, _ path: String, headers: [String: String], body: Data? = nil) throws(PlatformError) -> HTTPExchange {
        let url = baseURL + path
        var headers = headers
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let exchange = try transport.perform(method: method, url: url, headers: headers, body: body)
        switch exchange.status {
        case 200..<300, 304:
            return exchange
        case 401:
            throw .tokenRefused(url: url, detail: problem(in: exchange)?.detail)
        case 403:
            throw .forbidden(detail: problem(in: exchange)?.detail)
        case 404:
            throw .notFound(detail: problem(in: exchange)?.detail)
        default:
            throw .http(status: exchange.status, problem: problem(in: exchange))
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, from exchange: HTTPExchange, path: String) throws(PlatformError) -> T {
        do {
            return try WireFormat.decoder().decode(T.self, from: exchange.body)
        } catch {
            let reason: String
            switch error {
            case DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty:
                reason = "the body is not JSON"
            case DecodingError.keyNotFound(let key, let context):
                reason = "field '\(Self.path(context.codingPath + [key]))' is missing"
            case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
                 DecodingError.dataCorrupted(let context):
                reason = "field '\(Self.path(context.codingPath))' has an unexpected value"
            default:
                reason = "the body cannot be read"
            }
            throw .badResponse(url: baseURL + path, reason: reason)
        }
    }

    private func problem(in exchange: HTTPExchange) -> Problem? {
        try? WireFormat.decoder().decode(Problem.self, from: exchange.body)
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            .trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// Percent-encodes one path segment (app ids and versions are user data).
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

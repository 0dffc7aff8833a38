import Foundation
import Hummingbird
import Logging
import PlatformModel
import Synchronization

/// A problem+json response (RFC 9457) thrown from a handler.
struct ProblemError: HTTPResponseError {
    var problem: Problem
    var headers: HTTPFields = [:]

    var status: HTTPResponse.Status { .init(code: problem.status) }

    init(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:]) {
        problem = Problem(title: status.reasonPhrase, status: status.code, detail: detail)
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var problem = problem
        problem.instance = problem.instance ?? request.uri.path
        return Self.response(problem, headers: headers)
    }

    static func response(_ problem: Problem, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = Problem.mediaType
        let data = (try? WireFormat.encoder().encode(problem)) ?? Data()
        return Response(
            status: .init(code: problem.status), headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Which methods each route path answers, to tell "no such resource" (404) from "not
/// with this method" (405 with `Allow`). Filled once the routes are registered.
final class RouteTable: Sendable {
    private let routes = Mutex<[(segments: [Substring], methods: Set<String>)]>([])

    func record(_ descriptions: [(path: String, method: String)]) {
        var table: [String: Set<String>] = [:]
        for description in descriptions { table[description.path, default: []].insert(description.method) }
        routes.withLock { routes in
            routes = table.map { (Self.segments($0.key), $0.value) }
        }
    }

    /// The methods allowed on `path`, or nil when no route matches it at all.
    func allowedMethods(for path: String) -> Set<String>? {
        let wanted = Self.segments(path)
        let matches = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == wanted.count
                    && zip(route.segments, wanted).allSatisfy { ($0.hasPrefix("{") && $0.hasSuffix("}")) || $0 == $1 }
            }
        }
        // The router takes a constant segment over a parameter (`switches/import` is not
        // `switches/{key}`): only the routes that match with the most constants count.
        func constants(_ route: (segments: [Substring], methods: Set<String>)) -> Int {
            route.segments.filter { !($0.hasPrefix("{") && $0.hasSuffix("}")) }.count
        }
        let best = matches.map(constants).max()
        let chosen = matches.filter { constants($0) == best }
        return chosen.isEmpty ? nil : chosen.reduce(into: Set<String>()) { $0.formUnion($1.methods) }
    }

    private static func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}

/// Turns every error a route throws, and every unmatched path, into problem+json, so
/// that a client never has to guess what an error body looks like.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(
        _ request: Request, context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ProblemError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError where error.status == .notFound {
            if let allowed = routes.allowedMethods(for: request.uri.path), !allowed.contains(request.method.rawValue) {
                let list = allowed.sorted().joined(separator: ", ")
                var problem = Problem(title: "Method Not Allowed", status: 405, detail: "\(request.method) is not allowed on \(request.uri.path) (allowed: \(list))")
                problem.instance = request.uri.path
                return ProblemError.response(problem, headers: [.allow: list])
            }
            var problem = Problem(title: "Not Found", status: 404, detail: "no such resource: \(request.method) \(request.uri.path)")
            problem.instance = request.uri.path
            return ProblemError.response(problem)
        } catch let error as HTTPError {
            let detail: String
            switch error.status {
            case .notFound: detail = "no such resource: \(request.method) \(request.uri.path)"
            case .methodNotAllowed: detail = "\(request.method) is not allowed on \(request.uri.path)"
            case .contentTooLarge: detail = "the request body is larger than the server accepts"
            default: detail = error.body ?? error.status.reasonPhrase
            }
            var problem = Problem(title: error.status.reasonPhrase, status: error.status.code, detail: detail)
            problem.instance = request.uri.path
            return ProblemError.response(problem, headers: error.headers)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // A body past the endpoint's limit: say so as a problem like every other 4xx.
            var problem = Problem(title: "Content Too Large", status: 413, detail: "the request body is larger than this endpoint accepts")
            problem.instance = request.uri.path
            return ProblemError.response(problem)
        } catch let error as any HTTPResponseError {
            return try error.response(from: request, context: context)
        } catch is DecodingError {
            var problem = Problem(
                title: "Bad Request", status: 400, detail: "the request body is not the JSON this endpoint expects")
            problem.instance = request.uri.path
            return ProblemError.response(problem)
        } catch {
            context.logger.error("unhandled error on \(request.method) \(request.uri.path): \(error)")
            var problem = Problem(
                title: "Internal Server Error", status: 500, detail: "the server failed to answer; see its log")
            problem.instance = request.uri.path
            return ProblemError.response(problem)
        }
    }
}

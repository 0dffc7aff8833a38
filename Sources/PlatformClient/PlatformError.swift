import Foundation
import PlatformModel

/// Everything that can go wrong talking to the platform, each case carrying what an
/// operator needs to act: which URL, and what happened, in plain words.
public enum PlatformError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The configured API address cannot be used at all.
    case invalidURL(String)
    /// No connection could be made (refused, no route, DNS failure, TLS failure).
    case unreachable(url: String, reason: String)
    case timedOut(url: String, seconds: Double)
    /// The connection broke or the server sent something that is not HTTP/JSON we understand.
    case badResponse(url: String, reason: String)
    /// 401: the server does not accept the token.
    case tokenRefused(url: String, detail: String?)
    /// 403: the token is known but its role may not do this.
    case forbidden(detail: String?)
    case notFound(detail: String?)
    /// 412: someone changed the resource since it was read; nothing was changed.
    /// `current` is the resource as the server has it now (JSON), when it sent it.
    case changedMeanwhile(detail: String?, current: Data?)
    /// 429 or 503: the server is overloaded or throttling us, and may say for how long
    /// (Retry-After, in seconds).
    case busy(status: Int, retryAfter: Double?, problem: Problem?)
    /// Any other HTTP error, with the server's problem+json when it sent one.
    case http(status: Int, problem: Problem?)
    /// The request was cancelled locally (the console is quitting).
    case cancelled

    public var description: String {
        switch self {
        case .invalidURL(let url):
            "not a usable API address: \(url) (expected http://HOST:PORT or https://HOST)"
        case .unreachable(let url, let reason):
            "cannot reach \(url): \(reason)"
        case .timedOut(let url, let seconds):
            "no answer from \(url) within \(Self.format(seconds)) s"
        case .badResponse(let url, let reason):
            "bad answer from \(url): \(reason)"
        case .tokenRefused(_, let detail):
            "the server refused the token" + (detail.map { " (\($0))" } ?? "")
                + "; check --token or OPSDECK_TOKEN"
        case .forbidden(let detail):
            "not allowed for this token's role" + (detail.map { ": \($0)" } ?? "")
        case .notFound(let detail):
            "not found" + (detail.map { ": \($0)" } ?? "")
        case .changedMeanwhile(let detail, _):
            "someone else changed it first" + (detail.map { ": \($0)" } ?? "")
        case .busy(let status, let retryAfter, let problem):
            "the server is busy (\(status))" + (problem?.detail.map { ": \($0)" } ?? "")
                + (retryAfter.map { "; it asks to wait \(Self.format($0)) s" } ?? "")
        case .http(let status, let problem) where (400..<500).contains(status):
            "the server refused (\(status)): " + (problem?.detail ?? problem?.title ?? "no reason given")
        case .http(let status, let problem):
            "the server answered \(status)" + (problem.map { ": \($0.description)" } ?? "")
        case .cancelled:
            "request cancelled"
        }
    }

    /// True for failures that say nothing about the data and may pass by themselves
    /// (network, timeouts, 5xx, 429): worth retrying with backoff.
    public var isTransient: Bool {
        switch self {
        case .unreachable, .timedOut, .badResponse, .busy: true
        case .http(let status, _): status >= 500 || status == 429
        default: false
        }
    }

    /// How long the server asked us to wait before trying again, if it said.
    public var retryAfter: Double? {
        if case .busy(_, let retryAfter, _) = self { return retryAfter }
        return nil
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}

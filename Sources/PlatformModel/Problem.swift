import Foundation

/// An RFC 9457 problem detail: the body of every error the platform API returns,
/// served as `application/problem+json`.
public struct Problem: Codable, Sendable, Equatable, Error {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    public var type: String
    /// A short summary that does not change from one occurrence to the next.
    public var title: String
    public var status: Int
    /// What went wrong this time, in words an operator understands.
    public var detail: String?
    public var instance: String?

    public init(type: String = "about:blank", title: String, status: Int, detail: String? = nil, instance: String? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = instance
    }

    public static let mediaType = "application/problem+json"
}

extension Problem: CustomStringConvertible {
    public var description: String {
        if let detail, !detail.isEmpty { return "\(title): \(detail)" }
        return title
    }
}

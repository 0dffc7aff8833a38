/// What a bearer token may do. Enforced by the server; the console only mirrors it.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    /// Reads everything, changes nothing.
    case viewer
    /// May flip switches and circuit breakers.
    case support
    /// May change releases: gray percentage, stage, halt, resume, roll back.
    case releaseManager = "release-manager"
    /// May do everything.
    case admin

    public var mayChangeReleases: Bool { self == .releaseManager || self == .admin }
    public var mayChangeSwitches: Bool { self == .support || self == .admin }
    /// Acknowledging an alert says "I am on it": anyone who can act, not a viewer.
    public var mayAcknowledgeAlerts: Bool { self != .viewer }
    /// Defining funnels: those who own releases and what users do in them.
    public var mayEditFunnels: Bool { self == .releaseManager || self == .admin }
    /// Resolving, ignoring and reopening crash issues: whoever is on call, not a viewer.
    public var mayTriageIssues: Bool { self != .viewer }
    /// SDK tokens and imports change what every device of an app is told: admins only.
    public var mayAdministerSDKs: Bool { self == .admin }

    private var rank: Int { Role.allCases.firstIndex(of: self)! }
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Who a token belongs to and what it may do: `GET /v1/me`.
public struct Caller: Codable, Sendable, Equatable {
    public var name: String
    public var role: Role

    public init(name: String, role: Role) {
        self.name = name
        self.role = role
    }
}

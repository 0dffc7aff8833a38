import Foundation

// Alerts: conditions the platform evaluates continuously (not the console), each a
// resource with an id and a life: opened, perhaps acknowledged by a person, resolved
// when the condition clears. `GET /v1/alerts`, `POST /v1/alerts/{id}/acknowledge`.

/// What an alert watches.
public enum AlertKind: OpenVocabulary {
    /// One issue's events in one release over the last few minutes, far above its
    /// trailing hourly baseline (Crashlytics' velocity alert).
    case velocity
    /// A gray release's crash-free sessions (or ANR rate) worse than the previous full
    /// release's by more than a threshold, once enough sessions are in.
    case grayRegression
    /// An issue first seen in a gray release.
    case newIssueInGray
    /// A resolved issue seen again.
    case regressed
    /// A guardrail halted a gray release.
    case guardrailHalt
    /// A kind a newer server sends that this build does not know.
    case other(String)

    public static let names: [(AlertKind, String)] = [
        (.velocity, "velocity"), (.grayRegression, "gray_regression"), (.newIssueInGray, "new_issue_in_gray"),
        (.regressed, "regressed"), (.guardrailHalt, "guardrail_halt"),
    ]

    public var otherName: String? {
        if case .other(let name) = self { return name }
        return nil
    }
}

/// How urgent an alert is; `critical` first when sorted.
public enum AlertSeverity: String, Sendable, Codable, CaseIterable, Comparable {
    case critical, warning, info

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// The figures an alert was opened on (and last evaluated with), as data: the console
/// shows them and never parses the summary. Which ones are set depends on the kind.
public struct AlertFigures: Codable, Sendable, Equatable {
    /// Velocity: events in the window, and the number the trailing hour predicts for it.
    public var recentEvents: Int?
    public var expectedEvents: Double?
    /// How many times the expectation counts as a spike, and the least count that does.
    public var factor: Double?
    public var minimumEvents: Int?
    public var windowMinutes: Int?
    /// Regression: the metric compared (`crash_free_sessions`, `anr_rate`), the gray
    /// release's value and sessions, the baseline release's, and the threshold in points.
    public var metric: String?
    public var value: Double?
    public var sessions: Int?
    public var baselineRelease: String?
    public var baselineValue: Double?
    public var baselineSessions: Int?
    public var threshold: Double?
    /// The sessions needed before the comparison counts (the sample size).
    public var minimumSessions: Int?
    /// Guardrail halt: the breach as recorded.
    public var guardrail: GuardrailBreach?

    public init(recentEvents: Int? = nil, expectedEvents: Double? = nil, factor: Double? = nil, minimumEvents: Int? = nil,
                windowMinutes: Int? = nil, metric: String? = nil, value: Double? = nil, sessions: Int? = nil, baselineRelease: String? = nil,
                baselineValue: Double? = nil, baselineSessions: Int? = nil, threshold: Double? = nil, minimumSessions: Int? = nil,
                guardrail: GuardrailBreach? = nil) {
        self.recentEvents = recentEvents
        self.expectedEvents = expectedEvents
        self.factor = factor
        self.minimumEvents = minimumEvents
        self.windowMinutes = windowMinutes
        self.metric = metric
        self.value = value
        self.sessions = sessions
        self.baselineRelease = baselineRelease
        self.baselineValue = baselineValue
        self.baselineSessions = baselineSessions
        self.threshold = threshold
        self.minimumSessions = minimumSessions
        self.guardrail = guardrail
    }
}

/// One alert.
public struct Alert: Codable, Sendable, Equatable, Identifiable {
    public var id: Int64
    public var app: String
    public var release: String
    /// The issue it is about (velocity, new in gray, regressed), if any.
    public var fingerprint: String?
    public var kind: AlertKind
    public var severity: AlertSeverity
    /// One line in words, for people and logs; the figures are in `figures`.
    public var summary: String
    public var figures: AlertFigures
    public var openedAt: Date
    public var acknowledgedAt: Date?
    public var acknowledgedBy: String?
    public var resolvedAt: Date?
    /// Bumped on every change (evaluation, acknowledgement, resolution): the ETag.
    public var revision: Int

    public init(id: Int64, app: String, release: String, fingerprint: String?, kind: AlertKind, severity: AlertSeverity, summary: String,
                figures: AlertFigures, openedAt: Date, acknowledgedAt: Date? = nil, acknowledgedBy: String? = nil, resolvedAt: Date? = nil,
                revision: Int = 1) {
        self.id = id
        self.app = app
        self.release = release
        self.fingerprint = fingerprint
        self.kind = kind
        self.severity = severity
        self.summary = summary
        self.figures = figures
        self.openedAt = openedAt
        self.acknowledgedAt = acknowledgedAt
        self.acknowledgedBy = acknowledgedBy
        self.resolvedAt = resolvedAt
        self.revision = revision
    }

    public var isOpen: Bool { resolvedAt == nil }
    public var etag: String { "\"alert-\(id)-r\(revision)\"" }
}

/// `POST /v1/alerts/{id}/acknowledge`: who acknowledges is the token; why is the reason.
public struct AlertAcknowledgement: Codable, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

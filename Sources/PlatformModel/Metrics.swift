import Foundation

/// One step of a release's health series.
public struct MetricsPoint: Codable, Sendable, Equatable {
    /// Start of the step.
    public var at: Date
    public var sessions: Int
    public var crashes: Int
    public var anrs: Int
    /// Percent of sessions that did not crash; nil without sessions.
    public var crashFreeSessions: Double?
    /// Percent of devices with no crashed session; nil without sessions.
    public var crashFreeUsers: Double?
    /// Percent of the app's active devices that ran this release (nil for the whole app).
    public var adoption: Double?
    /// Distinct devices with a session in the step: of the release, or of the whole app.
    public var devices: Int?
    /// The app's active devices in the step (a release's series only): adoption's base,
    /// and what a change of gray percentage is a share of.
    public var appDevices: Int?

    public init(at: Date, sessions: Int, crashes: Int, anrs: Int, crashFreeSessions: Double?, crashFreeUsers: Double?, adoption: Double?,
                devices: Int? = nil, appDevices: Int? = nil) {
        self.at = at
        self.sessions = sessions
        self.crashes = crashes
        self.anrs = anrs
        self.crashFreeSessions = crashFreeSessions
        self.crashFreeUsers = crashFreeUsers
        self.adoption = adoption
        self.devices = devices
        self.appDevices = appDevices
    }
}

/// The answer of `GET /v1/apps/{app}/metrics`.
public struct MetricsSeries: Codable, Sendable, Equatable {
    public var app: String
    /// nil: every release of the app together.
    public var release: String?
    public var from: Date
    public var to: Date
    public var stepSeconds: Int
    public var points: [MetricsPoint]
    /// The whole range as one point.
    public var total: MetricsPoint

    public init(app: String, release: String?, from: Date, to: Date, stepSeconds: Int, points: [MetricsPoint], total: MetricsPoint) {
        self.app = app
        self.release = release
        self.from = from
        self.to = to
        self.stepSeconds = stepSeconds
        self.points = points
        self.total = total
    }
}

extension MetricsPoint {
    /// `part` of `whole` as a percentage to two decimals, the one rounding every rate on
    /// the wire uses (release health, the fleet overview); nil when `whole` is 0.
    public static func percent(_ part: Int, of whole: Int) -> Double? {
        whole == 0 ? nil : (Double(part) / Double(whole) * 10_000).rounded() / 100
    }
}

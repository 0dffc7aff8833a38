import Foundation

// `GET /v1/fleet`: every app on one page, for the console's overview: where the fire is.

/// A live release of an app, with its last hour as one point.
public struct FleetRelease: Codable, Sendable, Equatable {
    public var version: String
    public var stage: ReleaseStage
    public var grayPercent: Double
    /// Sessions, crash-free sessions and users, crashes and ANRs over the fleet window.
    public var health: MetricsPoint

    public init(version: String, stage: ReleaseStage, grayPercent: Double, health: MetricsPoint) {
        self.version = version
        self.stage = stage
        self.grayPercent = grayPercent
        self.health = health
    }
}

/// One app at a glance.
public struct FleetApp: Codable, Sendable, Equatable {
    public var app: App
    /// The newest full release: the baseline every gray release is compared with.
    public var full: FleetRelease?
    /// Gray and halted releases newer than it, newest first.
    public var gray: [FleetRelease]
    /// Crash and ANR events per minute over the last `FleetOverview.trendMinutes`, oldest
    /// first; the last is the minute now running.
    public var eventsPerMinute: [Int]
    public var openAlerts: Int
    /// The most severe open alert's severity.
    public var worstAlert: AlertSeverity?

    public init(app: App, full: FleetRelease?, gray: [FleetRelease], eventsPerMinute: [Int], openAlerts: Int, worstAlert: AlertSeverity?) {
        self.app = app
        self.full = full
        self.gray = gray
        self.eventsPerMinute = eventsPerMinute
        self.openAlerts = openAlerts
        self.worstAlert = worstAlert
    }
}

/// Every app, in the platform's order (the console sorts worst first).
public struct FleetOverview: Codable, Sendable, Equatable {
    /// The span release health covers.
    public var windowMinutes: Int
    public var apps: [FleetApp]

    public init(windowMinutes: Int, apps: [FleetApp]) {
        self.windowMinutes = windowMinutes
        self.apps = apps
    }

    public static let trendMinutes = 15
}

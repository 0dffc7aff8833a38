import Foundation
import PlatformModel
import Sync
import TUI

/// The console's panes, in tab order; `1`-`6` select them.
public enum Pane: Int, CaseIterable, Sendable {
    case releases, crashes, rollouts, breakers, funnels, audit

    public var title: String {
        switch self {
        case .releases: "Releases"
        case .crashes: "Crashes"
        case .rollouts: "Rollouts"
        case .breakers: "Breakers"
        case .funnels: "Funnels"
        case .audit: "Audit"
        }
    }
}

/// A one-line message about an outcome or an error, shown until it expires.
public struct Flash: Sendable, Equatable {
    public var text: String
    public var isError: Bool
    public var shownAt: Date

    public static let lifetime: TimeInterval = 8
}

/// What the cache holds for the screen, read in one go on a wake-up.
public struct CacheSnapshot: Sendable, Equatable {
    public var apps: [App]
    public var releases: [Release]
    /// For which app `releases` are.
    public var releasesApp: String?
    public var lastFetched: Date?

    public init(apps: [App], releases: [Release], releasesApp: String?, lastFetched: Date?) {
        self.apps = apps
        self.releases = releases
        self.releasesApp = releasesApp
        self.lastFetched = lastFetched
    }
}

/// Everything the console shows, and nothing it does not: `view` is a function of it.
public struct ConsoleState: Sendable {
    public var server: String
    public var apps: [App] = []
    public var appID: String?
    public var releases: [Release] = []
    public var selected = 0
    public var pane: Pane = .releases
    public var sync: SyncStatus
    public var lastFetched: Date?
    public var now: Date
    public var flash: Flash?
    public var showHelp = false
    /// Rows the pane showed last; Page Up/Down move by this much.
    public var pageSize = 10

    public init(server: String, sync: SyncStatus, now: Date, appID: String? = nil) {
        self.server = server
        self.sync = sync
        self.now = now
        self.appID = appID
    }

    public var app: App? { apps.first { $0.id == appID } }
}

/// Everything that can happen to the console.
public enum Message: Sendable {
    case key(Key)
    case tick(Date)
    /// The cache or the sync status changed (the sync thread woke us).
    case dataChanged(CacheSnapshot, SyncStatus)
    case resized(Size)
    /// Something the person should hear about (e.g. the cache was rebuilt).
    case notice(String, isError: Bool)
}

/// What `update` asks the runtime to do; the runtime turns results back into messages.
public enum Effect: Sendable, Equatable {
    case quit
    /// Fetch everything now.
    case refresh
    /// Show and fetch this app first.
    case focus(app: String)
    /// Forget the screen contents and repaint every cell (Ctrl-L).
    case redrawAll
}

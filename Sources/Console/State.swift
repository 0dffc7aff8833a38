import Cache
import Foundation
import PlatformModel
import Sync
import TUI

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
    /// For which app `releases` and the lists below are.
    public var releasesApp: String?
    public var lastFetched: Date?
    /// Newest first.
    public var crashEvents: [CrashEventSummary]
    /// How many crash events the cache holds for the app.
    public var crashEventCount: Int
    public var crashIssues: [CrashIssue]
    public var switches: [Switch]
    /// Newest first.
    public var audit: [AuditEntry]
    /// The last hour of each release's health, by version.
    public var health: [String: MetricsSeries] = [:]
    /// Per issue fingerprint, cached events in each of 8 slices of the last hour.
    public var issueTrends: [String: [Int]] = [:]
    /// Every app at a glance, when the read asked for it and it is cached.
    public var fleet: FleetOverview?
    /// Open and lately resolved alerts of every app, newest first.
    public var alerts: [Alert] = []
    /// How far changes have got on the app's devices, when read.
    public var reach: AppReach?
    /// The read this answers (nil: applies whatever the screen shows, as in tests).
    public var read: CacheRead?

    public init(apps: [App], releases: [Release], releasesApp: String?, lastFetched: Date?,
                crashEvents: [CrashEventSummary] = [], crashEventCount: Int = 0, crashIssues: [CrashIssue] = [],
                switches: [Switch] = [], audit: [AuditEntry] = [], health: [String: MetricsSeries] = [:]) {
        self.apps = apps
        self.releases = releases
        self.releasesApp = releasesApp
        self.lastFetched = lastFetched
        self.crashEvents = crashEvents
        self.crashEventCount = crashEventCount
        self.crashIssues = crashIssues
        self.switches = switches
        self.audit = audit
        self.health = health
    }
}

/// A list a person can move through; each keeps its own selection. Panes declare theirs.
public struct ListID: Hashable, Sendable {
    public let rawValue: String
    /// Its items belong to the focused app (its selection is cleared with the app), or
    /// to the whole console (the overview's apps, the alerts).
    public let perApp: Bool

    public init(rawValue: String, perApp: Bool = true) {
        self.rawValue = rawValue
        self.perApp = perApp
    }
}

/// The selected index of each list: a per-app list's is the focused app's (cleared with
/// it), a console-wide list's stays when the app changes.
public struct Selections: Sendable, Equatable {
    var perApp: [ListID: Int]
    var global: [ListID: Int]

    public subscript(list: ListID) -> Int? {
        get { list.perApp ? perApp[list] : global[list] }
        set {
            if list.perApp { perApp[list] = newValue } else { global[list] = newValue }
        }
    }
}

/// A change the person asked for, waiting for a reason, then for the server's answer.
/// Nothing is ever queued: it is sent when the person presses Enter, and the dialog
/// stays until the server has answered.
public struct ActionDialog: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        case setSwitch(app: String, key: String, enabled: Bool)
        case setGray(app: String, version: String, percent: Double)
        case setStage(app: String, version: String, stage: ReleaseStage)
        case release(app: String, version: String, ReleaseCommand)
        /// "I am on it" for an alert.
        case acknowledge(alertID: Int64)
        case triage(app: String, fingerprint: String, IssueTriage)
    }

    /// One of several ways to do the change (ignore for an hour, a day, until it
    /// worsens): Tab and Shift-Tab move between them.
    public struct Choice: Sendable, Equatable {
        public var label: String
        public var action: Action

        public init(_ label: String, _ action: Action) {
            self.label = label
            self.action = action
        }
    }

    public enum Phase: Sendable, Equatable {
        case editing
        case sending
        /// The last attempt failed; Enter tries again (with the same Idempotency-Key).
        case failed(String)
    }

    public var action: Action
    public var title: String
    /// What will change and for whom (the blast radius).
    public var lines: [String]
    public var ifMatch: String
    public var idempotencyKey: String
    public var reason = ""
    public var phase: Phase = .editing
    /// What makes this change risky, in words (a raise of a release with worse vitals
    /// than the previous full one): the dialog says it and asks for a second Enter.
    public var worse: String?
    /// The person pressed Enter once with `worse` shown: the next Enter sends.
    public var confirmedWorse = false
    /// Someone else changed the target so that this change no longer means what was
    /// chosen: it is not sent; Esc closes.
    public var stale = false
    /// The ways to do it, when there are several; `action` is the chosen one's.
    public var choices: [Choice] = []
    public var choice = 0

    public init(action: Action, title: String, lines: [String], ifMatch: String, idempotencyKey: String = UUID().uuidString) {
        self.action = action
        self.title = title
        self.lines = lines
        self.ifMatch = ifMatch
        self.idempotencyKey = idempotencyKey
    }

    public static let maximumReasonLength = 200
}

/// The release moves that are not a percentage or a stage.
public enum ReleaseCommand: String, Sendable, Equatable {
    case halt, resume, rollback
}

/// How a sent action ended.
public enum ActionResult: Sendable, Equatable {
    case switchChanged(Switch)
    /// Someone changed it first; the current state, when the server sent it.
    case switchConflict(current: Switch?)
    case releaseChanged(Release)
    case releaseConflict(current: Release?)
    case alertAcknowledged(Alert)
    case issueChanged(CrashIssue)
    case issueConflict(current: CrashIssue?)
    case failed(String)
}

/// A panel over the pane with one item in full; `Esc` closes it.
public enum Overlay: Sendable, Equatable {
    case crashEvent(CrashEvent)
    case issueLoading(fingerprint: String)
    case issue(CrashIssueDetail)
    /// A release with its last hour of health as charts.
    case release(version: String)
    /// An audit entry in full: before → after, the whole reason, actor, role, key.
    case auditEntry(id: Int64)
    /// A switch in full, with its history from the audit log.
    case switchDetail(key: String)
    /// An app: ids, platform, and how real SDKs reach the platform (its Sentry DSN).
    case app(id: String)
}

/// What the console holds of the focused app. A new app starts from `AppData()`: a
/// field added here is cleared with the app without anyone remembering to.
public struct AppData: Sendable {
    public var releases: [Release] = []
    public var crashEvents: [CrashEventSummary] = []
    public var crashEventCount: Int = 0
    public var crashIssues: [CrashIssue] = []
    public var switches: [Switch] = []
    public var health: [String: MetricsSeries] = [:]
    public var issueTrends: [String: [Int]] = [:]
    /// How far changes have got on the app's devices (switch values, offers, installs).
    public var reach: AppReach? = nil
    /// Gray percentages being set on the Rollouts pane, by release version, not yet sent.
    public var pendingGray: [String: Double] = [:]
    /// What each pane keeps for itself (see `PaneStateKey`).
    var panes = PaneStore()
    /// The crash filter picker while open (`f`).
    public var crashFilterPicker: CrashFilterPicker? = nil
    /// The last cache snapshot for this app: a changed filter applies to it at once.
    public var lastSnapshot: CacheSnapshot? = nil
    /// The live list is frozen so that a person can read it; new events are counted.
    public var livePaused: Bool = false
    public var newWhilePaused: Int = 0
    public var overlay: Overlay? = nil
    public var selection: [ListID: Int] = [:]

    public init() {}
}

/// A change the server confirmed, followed on the status line as it reaches devices:
/// "new-checkout OFF: 1,240 of 24,800 devices that checked have it".
public struct ChangeOutcome: Sendable, Equatable {
    public enum Change: Sendable, Equatable {
        case switchValue(key: String, on: Bool)
        case release(version: String)
    }

    public var app: String
    public var change: Change
    /// What the server confirmed, in words ("new-checkout is now OFF").
    public var summary: String
    public var since: Date

    /// How long the line follows the change.
    public static let lifetime: TimeInterval = 180
}

/// The named context the console runs in (`--context`, OPSDECK_CONTEXT or the config's
/// current one): the header names it, and a production one is marked on every screen and
/// in every change's dialog.
public struct ConsoleContext: Sendable, Equatable {
    public var name: String
    public var production: Bool

    public init(name: String, production: Bool) {
        self.name = name
        self.production = production
    }

    /// "prod, PRODUCTION" or "staging": what a dialog's title names.
    public var label: String { production ? "\(name), PRODUCTION" : name }
}

/// Everything the console shows, and nothing it does not: `view` is a function of it.
public struct ConsoleState: Sendable {
    public var server: String
    public var apps: [App] = []
    public var appID: String?
    public var audit: [AuditEntry] = []
    public var dialog: ActionDialog?
    /// A form being filled in (a new release, a targeting), over the pane.
    public var form: Form?
    /// `/` filters per list (case-insensitive, every word must match), and the one being typed.
    public var filters: [ListID: String] = [:]
    public var filterEditing: ListID?
    /// The Crashes pane's release, kind and OS filter (the release is the app's: it is
    /// cleared with the app; kind and OS carry over).
    public var crashFilter = CrashEventFilter()
    /// The Audit pane's filter by app, actor, action and time, and its picker when open.
    public var auditFilter = AuditFilter()
    public var auditFilterPicker: AuditFilterPicker?
    /// What the console shows of the focused app: replaced whole when the app changes,
    /// so nothing of one app can stay on screen for another.
    public var appData = AppData()
    /// The `:` palette, when open.
    public var palette: Palette?
    public var pendingFocus: PendingFocus?
    /// Themes `:theme` offers.
    public var themeNames: [String] = []
    /// `--readonly`: every change is refused before it is sent.
    public var readOnly = false
    /// The context, when the console was started from one.
    public var context: ConsoleContext?
    /// The config's contexts, which `:context` offers.
    public var contextNames: [String] = []
    /// Who the token is (`GET /v1/me`), once known.
    public var caller: Caller?
    public var crashView: CrashView = .events
    /// The order of the issue list (`s` cycles).
    public var issueSort: IssueSort = .lastSeen
    /// Scroll position in the overlay (stack traces are long).
    public var overlayScroll = 0
    public var pane: Pane
    /// The panes this console has, in tab order (`PaneUnit.registry`).
    public let panes: [PaneUnit]
    public var sync: SyncStatus
    public var lastFetched: Date?
    public var now: Date
    public var flash: Flash?
    /// Notices waiting for the flash line, shown in turn as each expires.
    public var notices: [Flash] = []
    /// The last confirmed change, followed as it reaches devices (see `ChangeOutcome`).
    public var outcome: ChangeOutcome?
    public var showHelp = false
    /// How far help is scrolled, when it is taller than the screen.
    public var helpScroll = 0
    /// Rows the pane showed last; Page Up/Down move by this much.
    public var pageSize = 10
    /// Open and lately resolved alerts of every app, newest first (the server's).
    public var alerts: [Alert] = []
    /// What panes keep for the whole console, not per app (see `PaneStateKey`).
    var paneStore = PaneStore()
    /// Selections of console-wide lists (see `Selections`).
    var globalSelection: [ListID: Int] = [:]
    /// The screen's size, for mapping clicks to what was drawn there.
    public var size = Size(width: 120, height: 40)
    /// The theme the screen is drawn in.
    public var theme: Theme = .fallback
    /// When the cache is read next (see `follow`).
    public var reads = ReadSchedule()
    /// What Sync was last told the person looks at.
    public var syncInterest: Interest?
    /// `GET /v1/me` was sent (once per run).
    public var identifying = false
    /// The cache's full integrity check was started (once per run, after the first read).
    public var cacheCheckStarted = false
    /// When Sync last changed the cache, as it said itself (not through a read).
    public var cacheChangedAt: Date?
    /// The oldest change of the cache not on screen yet (nil: the screen shows all).
    public var unshownSince: Date?

    public init(server: String, sync: SyncStatus, now: Date, appID: String? = nil, panes: [PaneUnit] = PaneUnit.registry) {
        precondition(!panes.isEmpty, "a console needs a pane")
        self.panes = panes
        self.pane = panes[0].pane
        self.server = server
        self.sync = sync
        self.now = now
        self.appID = appID
    }

    public var app: App? { apps.first { $0.id == appID } }

    // The focused app's data, read and written where it lives.
    public var releases: [Release] {
        get { appData.releases }
        set { appData.releases = newValue }
    }
    public var crashEvents: [CrashEventSummary] {
        get { appData.crashEvents }
        set { appData.crashEvents = newValue }
    }
    public var crashEventCount: Int {
        get { appData.crashEventCount }
        set { appData.crashEventCount = newValue }
    }
    public var crashIssues: [CrashIssue] {
        get { appData.crashIssues }
        set { appData.crashIssues = newValue }
    }
    public var switches: [Switch] {
        get { appData.switches }
        set { appData.switches = newValue }
    }
    public var health: [String: MetricsSeries] {
        get { appData.health }
        set { appData.health = newValue }
    }
    public var issueTrends: [String: [Int]] {
        get { appData.issueTrends }
        set { appData.issueTrends = newValue }
    }
    public var reach: AppReach? {
        get { appData.reach }
        set { appData.reach = newValue }
    }
    public var pendingGray: [String: Double] {
        get { appData.pendingGray }
        set { appData.pendingGray = newValue }
    }
    public var crashFilterPicker: CrashFilterPicker? {
        get { appData.crashFilterPicker }
        set { appData.crashFilterPicker = newValue }
    }
    public var lastSnapshot: CacheSnapshot? {
        get { appData.lastSnapshot }
        set { appData.lastSnapshot = newValue }
    }
    public var livePaused: Bool {
        get { appData.livePaused }
        set { appData.livePaused = newValue }
    }
    public var newWhilePaused: Int {
        get { appData.newWhilePaused }
        set { appData.newWhilePaused = newValue }
    }
    public var overlay: Overlay? {
        get { appData.overlay }
        set { appData.overlay = newValue }
    }
    public var selection: Selections {
        get { Selections(perApp: appData.selection, global: globalSelection) }
        set {
            appData.selection = newValue.perApp
            globalSelection = newValue.global
        }
    }

    /// The selected release's index.
    public var selected: Int {
        get { selection[.releases] ?? 0 }
        set { selection[.releases] = newValue }
    }

    /// The list the arrow keys move through in this pane, if any.
    public var activeList: ListID? { unit.list(self)?.id }

    /// Why the person may not change switches (nil: they may; the server decides in the end).
    public var switchesRefusal: String? {
        if readOnly { return "read-only console (--readonly): changes are not possible here" }
        if let caller, !caller.role.mayChangeSwitches { return "the token's role (\(caller.role.rawValue)) may not change switches" }
        return nil
    }

    public var alertsRefusal: String? {
        if readOnly { return "read-only console (--readonly): changes are not possible here" }
        if let caller, !caller.role.mayAcknowledgeAlerts { return "the token's role (\(caller.role.rawValue)) may not acknowledge alerts" }
        return nil
    }

    public var issuesRefusal: String? {
        if readOnly { return "read-only console (--readonly): changes are not possible here" }
        if let caller, !caller.role.mayTriageIssues { return "the token's role (\(caller.role.rawValue)) may not resolve or ignore issues" }
        return nil
    }

    public var funnelsRefusal: String? {
        if readOnly { return "read-only console (--readonly): changes are not possible here" }
        if let caller, !caller.role.mayEditFunnels { return "the token's role (\(caller.role.rawValue)) may not define funnels" }
        return nil
    }

    public var releasesRefusal: String? {
        if readOnly { return "read-only console (--readonly): changes are not possible here" }
        if let caller, !caller.role.mayChangeReleases { return "the token's role (\(caller.role.rawValue)) may not change releases" }
        return nil
    }

    /// `items` whose text contains every word of the list's filter, any case.
    func filtered<Item: Filterable>(_ items: [Item], _ list: ListID) -> [Item] {
        guard let filter = filters[list]?.lowercased(), !filter.isEmpty else { return items }
        let words = filter.split(separator: " ")
        return items.filter { item in
            let text = item.filterText.lowercased()
            return words.allSatisfy { text.contains($0) }
        }
    }

    /// The releases a rollout can move: in whitelist, gray or halted.
    public var rollouts: [Release] {
        releases.filter { [.whitelist, .gray, .halted].contains($0.stage) }
    }

    /// The data kinds on screen, for the sync engine to fetch first and most often.
    public var visibleData: Set<DataKind> { unit.data.union(outcome?.app == appID && outcome != nil ? [.reach] : []) }
}

/// Everything that can happen to the console.
public enum Message: Sendable {
    case key(Key)
    /// A click or a turn of the wheel, with what the frame on screen shows there.
    case pointer(MouseButton, Hit?, x: Int)
    case tick(Date)
    /// Sync wrote the cache or changed its status (its latest change at the time given):
    /// read again when due.
    case cacheChanged(at: Date)
    /// Sync polled and found nothing new: the cached data is current as of then (only
    /// its age on screen changes; nothing is read).
    case confirmed(at: Date)
    /// What a cache read found, with Sync's status at the time.
    case dataChanged(CacheSnapshot, SyncStatus)
    /// A cache read failed; the screen keeps what it has.
    case readFailed(String)
    /// The cache's integrity check ended: nil, sound; else what is wrong.
    case cacheChecked(problem: String?)
    /// A theme asked for with `:theme`, loaded (or why not).
    case themeLoaded(Result<Theme, PlatformFailure>)
    case resized(Size)
    /// Something the person should hear about (e.g. the cache was rebuilt).
    case notice(String, isError: Bool)
    /// A crash event in full, read from the cache (nil: no longer there).
    case crashEventLoaded(CrashEvent?)
    /// An issue's detail from the server, or why it could not be had.
    case issueLoaded(fingerprint: String, Result<CrashIssueDetail, PlatformFailure>)
    /// Who the token is.
    case identified(Caller)
    case funnelsLoaded(app: String, Result<[FunnelDefinition], PlatformFailure>)
    case funnelReportLoaded(app: String, funnel: String, Result<FunnelReport, PlatformFailure>)
    /// The server's answer to a sent action (matched by its Idempotency-Key).
    case actionFinished(idempotencyKey: String, ActionResult)
    /// The server answered a form.
    case formFinished(idempotencyKey: String, Result<FormAnswer, PlatformFailure>)
    case targetingPreviewed(Targeting, Result<TargetingReach, PlatformFailure>)
}

/// A failed request, as the person is told about it.
public struct PlatformFailure: Error, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What `update` asks the runtime to do; the runtime turns results back into messages.
public enum Effect: Sendable, Equatable {
    case quit
    /// Fetch everything now.
    case refresh
    /// Tell Sync what the person looks at: fetched first, and its crashes live.
    case focus(Interest)
    /// Read what the screen needs from the cache.
    case read(CacheRead)
    /// Ask the platform who the token is (`GET /v1/me`).
    case identify
    /// Check the whole cache file in the background (seconds for a large one).
    case checkCache
    /// Forget the screen contents and repaint every cell (Ctrl-L).
    case redrawAll
    /// Read one crash event with its stack from the cache.
    case loadCrashEvent(id: Int64)
    /// Fetch an issue's detail (stack, breakdowns) from the server.
    case loadIssue(app: String, fingerprint: String)
    /// Load this theme (a name or a path) and switch to it.
    case theme(String)
    case loadFunnels(app: String)
    case loadFunnelReport(app: String, funnel: String, from: Date, to: Date, byRelease: Bool)
    /// Send a change to the server, with its reason, If-Match and Idempotency-Key.
    case perform(ActionDialog)
    /// Sends a filled-in form.
    case submitForm(Form)
    /// Ends this console to start it again on another context.
    case switchContext(String)
    /// Asks how many devices a targeting reaches.
    case previewTargeting(app: String, Targeting)
}

/// What a `/` filter searches in an item.
protocol Filterable {
    var filterText: String { get }
}

extension Release: Filterable {
    var filterText: String { "\(version) \(build) \(stage.rawValue) \(notes)" }
}

extension CrashEventSummary: Filterable {
    var filterText: String { "\(kind.rawValue) \(release) \(exceptionType) \(message) \(os.rawValue) \(osVersion) \(model)" }
}

extension CrashIssue: Filterable {
    var filterText: String { "\(status.rawValue) \(kind.rawValue) \(exceptionType) \(culprit) \(message) \(releases.joined(separator: " "))" }
}

extension Switch: Filterable {
    var filterText: String { "\(key) \(kind.rawValue) \(enabled ? "on" : "off") \(updatedBy) \(description)" }
}

extension AuditEntry: Filterable {
    var filterText: String { "\(actor) \(role) \(action) \(target) \(reason)" }
}

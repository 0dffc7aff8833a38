import Foundation

/// The kinds of data a pane can show; the sync engine fetches what is on screen often
/// and the rest rarely.
public enum DataKind: String, Sendable, CaseIterable {
    case releases, switches, crashIssues, crashEvents, audit
    /// The last hour of each release's health (crash-free, ANRs, adoption).
    case health
    /// Every app at a glance (`GET /v1/fleet`).
    case fleet
    /// Alerts of every app.
    case alerts
    /// How far changes have got on the focused app's devices.
    case reach
}

/// What the person is looking at: one app, and the kinds of data of the pane on screen.
public struct Interest: Sendable, Equatable {
    public var app: String?
    public var visible: Set<DataKind>

    public init(app: String?, visible: Set<DataKind> = [.releases]) {
        self.app = app
        self.visible = visible
    }
}

/// One thing the poller fetches.
struct Job: Hashable, Sendable, CustomStringConvertible {
    enum Kind: String, Sendable {
        case apps, releases, switches, crashIssues, crashEvents, audit, health, fleet, alerts, reach
        /// Not a fetch: trims the cache to its retention.
        case prune
    }

    var kind: Kind
    var app: String?

    var description: String { app.map { "\(kind.rawValue):\($0)" } ?? kind.rawValue }
}

/// How often each kind is fetched.
public struct PollIntervals: Sendable, Equatable {
    /// Data on screen.
    public var visible: Duration
    /// The focused app's data that is not on screen (one key away).
    public var focused: Duration
    /// Every other app's data, and the app list.
    public var background: Duration

    public init(visible: Duration = .seconds(5), focused: Duration = .seconds(30), background: Duration = .seconds(120)) {
        self.visible = visible
        self.focused = focused
        self.background = background
    }
}

/// Which jobs exist for the apps and the interest, how often each runs, and in which
/// order: the focused app's visible data first. A pure function, tested without a server.
func plan(apps: [String], interest: Interest, intervals: PollIntervals) -> [(job: Job, every: Duration)] {
    var jobs: [(job: Job, every: Duration)] = [(Job(kind: .apps), apps.isEmpty ? intervals.visible : intervals.background)]
    let kinds: [(Job.Kind, DataKind)] = [(.releases, .releases), (.switches, .switches), (.crashIssues, .crashIssues), (.crashEvents, .crashEvents)]
    var ordered = apps
    // Before the console has chosen an app it shows the first: fetch that one first,
    // without waiting for the console to say so.
    let focusedApp = interest.app ?? apps.first
    if let focus = focusedApp, let index = ordered.firstIndex(of: focus) {
        ordered.remove(at: index)
        ordered.insert(focus, at: 0)
    }
    for app in ordered {
        let focused = app == focusedApp
        for (kind, data) in kinds {
            // The focused app's crash events come over the live stream, not by polling.
            if kind == .crashEvents && app == interest.app { continue }
            let every = focused ? (interest.visible.contains(data) ? intervals.visible : intervals.focused) : intervals.background
            jobs.append((Job(kind: kind, app: app), every))
        }
        // Health is a request per release, in per-minute steps: only for the app on
        // screen, every 30 s while its releases show, every 2 min otherwise.
        if focused {
            let every = interest.visible.contains(.health) ? intervals.focused : intervals.background
            jobs.append((Job(kind: .health, app: app), every))
            // Reach moves as devices check: often while a pane shows it, else not at all.
            if interest.visible.contains(.reach) { jobs.append((Job(kind: .reach, app: app), intervals.visible)) }
        }
    }
    jobs.append((Job(kind: .audit), interest.visible.contains(.audit) ? intervals.visible : intervals.focused))
    // Every app at a glance, often while the overview shows; alerts often everywhere:
    // where the fire is matters on every pane.
    jobs.append((Job(kind: .fleet), interest.visible.contains(.fleet) ? intervals.visible : intervals.focused))
    jobs.append((Job(kind: .alerts), intervals.visible))
    jobs.append((Job(kind: .prune), .seconds(60)))
    // Visible first, then by interval, keeping the order above among equals.
    return jobs.enumerated().sorted { lhs, rhs in
        (lhs.element.every, lhs.offset) < (rhs.element.every, rhs.offset)
    }.map(\.element)
}

/// When each job last succeeded, and what is due.
struct Timetable {
    private var lastRun: [Job: ContinuousClock.Instant] = [:]

    mutating func ran(_ job: Job, at instant: ContinuousClock.Instant) { lastRun[job] = instant }
    mutating func forgetAll() { lastRun = [:] }

    /// The jobs due at `now`, in plan order, and when the next of the rest is due.
    func due(_ jobs: [(job: Job, every: Duration)], at now: ContinuousClock.Instant) -> (due: [Job], next: ContinuousClock.Instant?) {
        var due: [Job] = []
        var next: ContinuousClock.Instant?
        for (job, every) in jobs {
            guard let last = lastRun[job] else {
                due.append(job)
                continue
            }
            let at = last + every
            if at <= now {
                due.append(job)
            } else {
                next = min(next ?? at, at)
            }
        }
        return (due, next)
    }
}

import Cache
import Foundation
import Sync
import TUI

// The console's policy, as pure code: what to read from the cache and when, what Sync
// should follow, when to ask who the token is. `update` ends with `follow`, so every
// decision here is an effect a headless test can see, driven by messages and the clock
// in `.tick`. The runtime only runs what comes out.

/// What the screen needs from the cache now: a function of the state. The cache reader,
/// off the UI thread, turns it into a `CacheSnapshot` and sends it back as a message.
public struct CacheRead: Sendable, Equatable {
    /// The app whose lists to read (nil: the first the cache lists).
    public var app: String?
    /// The live list through the Crashes pane's filter; nil when it is not on screen.
    public var crashEvents: CrashEventFilter?
    public var crashIssues = false
    /// Issue trends counted from cached events, for issues the server sent without one.
    public var issueTrends = false
    public var switches = false
    /// The last hour of each release's health.
    public var health = false
    /// How many of the newest audit entries (0: none).
    public var auditLimit = 0
    /// Every app at a glance (the overview). Alerts are read with every read: the
    /// header counts them on every pane.
    public var fleet = false
    /// How far changes have got on the app's devices.
    public var reach = false

    public init(app: String?, crashEvents: CrashEventFilter? = nil, crashIssues: Bool = false, issueTrends: Bool = false,
                switches: Bool = false, health: Bool = false, auditLimit: Int = 0, fleet: Bool = false) {
        self.app = app
        self.crashEvents = crashEvents
        self.crashIssues = crashIssues
        self.issueTrends = issueTrends
        self.switches = switches
        self.health = health
        self.auditLimit = auditLimit
        self.fleet = fleet
    }
}

/// When the cache is read: at once when what the screen needs changed (a pane, an app,
/// a filter), at most every `minimumInterval` when only the data changed (a live stream
/// changes it thousands of times a second), and never two reads at a time. In the first
/// `eagerSeconds` of a run every change is read as soon as the read before it ends, so
/// that the first data is on screen as soon as Sync stores it.
public struct ReadSchedule: Sendable, Equatable {
    /// The read running now, if any.
    public var inFlight: CacheRead?
    /// The last read asked for, and when.
    public var requested: CacheRead?
    public var startedAt: Date?
    /// The cache changed since the last read began.
    public var dataChanged = false
    /// What the screen needs is not read yet (true at start: nothing is).
    public var needed = true
    /// Until when changes are read without the interval (set by the first read).
    public var eagerUntil: Date?

    public static let minimumInterval: TimeInterval = 0.2
    public static let eagerSeconds: TimeInterval = 2

    public init() {}

    /// The read to start now, if one is due.
    mutating func start(_ read: CacheRead, at now: Date) -> CacheRead? {
        if read != requested { needed = true }
        guard inFlight == nil else { return nil }
        if eagerUntil == nil { eagerUntil = now.addingTimeInterval(Self.eagerSeconds) }
        guard needed || (dataChanged && !throttled(at: now)) else { return nil }
        inFlight = read
        requested = read
        startedAt = now
        needed = false
        dataChanged = false
        return read
    }

    /// When a read held back by the interval may start (nil: none is held back).
    var heldUntil: Date? {
        guard inFlight == nil, dataChanged, !needed, let startedAt else { return nil }
        return startedAt.addingTimeInterval(Self.minimumInterval)
    }

    private func throttled(at now: Date) -> Bool {
        if let eagerUntil, now < eagerUntil { return false }
        return startedAt.map { now.timeIntervalSince($0) < Self.minimumInterval } ?? false
    }
}

extension CacheRead {
    /// Whether a snapshot read for `self` answers `other`: the same, or made for no app
    /// in particular (the first) when `other` names it.
    func answers(_ other: CacheRead) -> Bool {
        var named = self
        named.app = other.app
        return self == other || (app == nil && named == other)
    }
}

extension ConsoleState {
    /// What Sync should fetch first: the app on screen and the kinds its pane shows.
    public var interest: Interest { Interest(app: appID, visible: visibleData) }

    /// What the screen needs from the cache now.
    public var cacheRead: CacheRead {
        var read = CacheRead(app: appID)
        unit.read(&read, self)
        // An open dialog follows its target: the audit log says who changed it and why.
        if dialog != nil { read.auditLimit = max(read.auditLimit, 100) }
        // A confirmed change is followed as it reaches devices.
        if let outcome, outcome.app == appID { read.reach = true }
        return read
    }

    /// How far the screen is behind the cache: the age of the oldest change Sync made
    /// that no read has shown yet, once it passes `behindLimit`. Reads keep up under any
    /// stream; this says when they stop (a stuck read, a failing one), since a stale
    /// "live" is worse than "offline".
    public var screenBehind: TimeInterval? {
        guard let since = unshownSince, now.timeIntervalSince(since) > Self.behindLimit else { return nil }
        return now.timeIntervalSince(since)
    }

    public static let behindLimit: TimeInterval = 3

    /// Ages on screen ("data 4s old", "12s ago") move in steps of this many seconds:
    /// with nothing else happening, the screen is drawn once a step, not every second.
    public static let clockStep: TimeInterval = 5

    /// The time the view shows ages at: `now` at the last whole step. A shown age is
    /// exact as of that moment, so the true one is at most a step more.
    public var shownNow: Date {
        Date(timeIntervalSince1970: (now.timeIntervalSince1970 / Self.clockStep).rounded(.down) * Self.clockStep)
    }

    /// What of the screen the clock alone changes: the step ages are shown at, and
    /// whether a flash is up (it expires). The runtime draws on a turn that brought
    /// nothing but the clock only when this changed.
    public var clockFace: [Double] {
        [shownNow.timeIntervalSince1970, flash == nil ? 0 : 1, outcome == nil ? 0 : 1]
    }

    /// When the runtime should send a `.tick` if nothing else happens first: the next
    /// step of the ages on screen, a flash's expiry, or sooner when a read of new data
    /// is held back by the read interval.
    public var nextTick: Date {
        var next = shownNow.addingTimeInterval(Self.clockStep)
        if let flash { next = min(next, flash.shownAt.addingTimeInterval(Flash.lifetime + 0.001)) }
        if let outcome { next = min(next, outcome.since.addingTimeInterval(ChangeOutcome.lifetime + 0.001)) }
        return reads.heldUntil.map { min($0, next) } ?? next
    }
}

/// The effects that follow from the state after any message: Sync is told what the
/// person now looks at, the cache is read when due (and checked once, after the first
/// read), the token is identified once the platform answers (its role shapes the keys).
func follow(_ state: inout ConsoleState) -> [Effect] {
    var effects: [Effect] = []
    let interest = state.interest
    if state.syncInterest != interest {
        state.syncInterest = interest
        effects.append(.focus(interest))
    }
    // The full check reads the whole file: only once the first read has been answered.
    if !state.cacheCheckStarted, state.reads.requested != nil, state.reads.inFlight == nil {
        state.cacheCheckStarted = true
        effects.append(.checkCache)
    }
    if let read = state.reads.start(state.cacheRead, at: state.now) {
        effects.append(.read(read))
    }
    if state.caller == nil, !state.identifying, state.sync.connection == .online {
        state.identifying = true
        effects.append(.identify)
    }
    return effects
}

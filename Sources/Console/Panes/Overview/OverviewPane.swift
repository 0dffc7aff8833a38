import Cache
import Foundation
import PlatformModel
import Sync
import TUI

// The fleet overview, where the console opens: every app in one table, worst first
// (open alerts, then gray releases against their full release), and the alerts below.
// Enter on an app focuses it in Releases; `!` (from any pane) moves to the alerts, where
// Enter goes to what the alert is about and `a` acknowledges it. Drawn in
// `OverviewView.swift`.

extension Pane {
    public static let overview = Pane(rawValue: "overview")
}

extension ListID {
    public static let fleet = ListID(rawValue: "fleet", perApp: false)
    public static let alerts = ListID(rawValue: "alerts", perApp: false)
}

/// What the overview keeps for the whole console (it shows every app, so it is not
/// cleared when the focused app changes).
struct OverviewState: Sendable {
    /// Apps worst first, through the `/` filter.
    var rows: [FleetApp] = []
    var windowMinutes = 60
    /// A fleet answer has been read (else "loading", not "no apps").
    var loaded = false
    /// Open alerts worst first, then those resolved in the last hour, newest first.
    var alerts: [Alert] = []
    /// Which list the arrows move: the apps or the alerts.
    var onAlerts = false
}

private enum OverviewKey: PaneStateKey {
    static var initial: OverviewState { OverviewState() }
}

extension ConsoleState {
    var overview: OverviewState {
        get { paneStore[OverviewKey.self] }
        set { paneStore[OverviewKey.self] = newValue }
    }

    /// Open alerts nobody has acknowledged yet: what the header counts on every pane.
    public var unacknowledgedAlerts: [Alert] {
        alerts.filter { $0.isOpen && $0.acknowledgedAt == nil }
    }
}

extension PaneUnit {
    static let overview = PaneUnit(
        .overview, title: "Overview", key: "0", data: [.fleet, .alerts],
        read: { read, _ in read.fleet = true },
        list: { state in
            state.overview.onAlerts
                ? PaneList(id: .alerts, count: state.overview.alerts.count, filterable: false, secondClickOpens: true)
                : PaneList(id: .fleet, count: state.overview.rows.count, secondClickOpens: true)
        },
        keys: overviewKeys,
        everywhere: { _ in
            [KeyAction([.character("!")], short: nil, hint: "alerts", help: "the alerts, worst first (from any pane)") { _, state in
                state.pane = .overview
                state.overview.onAlerts = true
                state.overlay = nil
                return []
            }]
        },
        show: { snapshot, state in
            if let fleet = snapshot.fleet {
                state.overview.loaded = true
                state.overview.windowMinutes = fleet.windowMinutes
                state.overview.rows = keepingSelection(of: .fleet, in: state.overview.rows, state.filtered(worstFirst(fleet.apps), .fleet), &state,
                                                       id: \.app.id)
            }
            state.overview.alerts = keepingSelection(of: .alerts, in: state.overview.alerts, alertsWorstFirst(snapshot.alerts, now: state.now),
                                                     &state, id: \.id)
        },
        draw: { state, theme, canvas, area, hits in drawOverview(state, theme: theme, into: &canvas, area: area, hits: &hits) })
}

private func overviewKeys(_ state: ConsoleState) -> [KeyAction] {
    var keys = [
        KeyAction([.enter], short: "Enter", hint: state.overview.onAlerts ? "go to it" : "open app",
                  help: state.overview.onAlerts ? "go to what the alert is about (its issue, or its release)" : "the app's releases") { _, state in
            state.overview.onAlerts ? openAlert(&state) : openApp(&state)
        },
        KeyAction([.character("!"), .character("v")], short: "!", names: "!, v", hint: state.overview.onAlerts ? "apps" : "alerts",
                  help: "the apps / the alerts") { _, state in
            state.overview.onAlerts.toggle()
            return []
        },
    ]
    if !state.overview.onAlerts {
        keys.append(KeyAction([.character("i")], short: "i", hint: "app info", help: "the app: ids and its Sentry DSN for real SDKs") { _, state in
            let index = state.selection[.fleet] ?? 0
            guard state.overview.rows.indices.contains(index) else { return [] }
            state.overlay = .app(id: state.overview.rows[index].app.id)
            return []
        })
    }
    if state.overview.onAlerts {
        keys.append(KeyAction([.character("a")], short: "a", hint: "acknowledge", help: "acknowledge the alert: you are on it (asks why)",
                              permission: .acknowledgesAlerts) { _, state in askToAcknowledge(&state) })
    }
    return keys
}

/// Worst first: apps with open alerts (by the worst one's severity), then by how much
/// worse their gray releases do than their full release; the platform's order last.
func worstFirst(_ apps: [FleetApp]) -> [FleetApp] {
    func rank(_ app: FleetApp) -> Int {
        guard app.openAlerts > 0 else { return AlertSeverity.allCases.count }
        return AlertSeverity.allCases.firstIndex(of: app.worstAlert ?? .info) ?? 0
    }
    return apps.enumerated().sorted { lhs, rhs in
        let (a, b) = (lhs.element, rhs.element)
        if rank(a) != rank(b) { return rank(a) < rank(b) }
        let (gapA, gapB) = (healthGap(a), healthGap(b))
        if gapA != gapB { return gapA > gapB }
        return lhs.offset < rhs.offset
    }.map(\.element)
}

/// The least sessions a release needs before its rates are compared (below, they are
/// shown as not enough data).
let minimumSessions = 30

/// Points of crash-free sessions the worst gray release is below the full release, when
/// both have enough sessions; 0 otherwise.
func healthGap(_ app: FleetApp) -> Double {
    guard let full = app.full, full.health.sessions >= minimumSessions, let base = full.health.crashFreeSessions else { return 0 }
    return app.gray.compactMap { gray -> Double? in
        guard gray.health.sessions >= minimumSessions, let value = gray.health.crashFreeSessions else { return nil }
        return base - value
    }.max() ?? 0
}

/// Open alerts worst first (unacknowledged before acknowledged, then newest), then those
/// resolved in the last hour, newest first.
func alertsWorstFirst(_ alerts: [Alert], now: Date) -> [Alert] {
    let open = alerts.filter(\.isOpen).sorted { a, b in
        if a.severity != b.severity { return a.severity < b.severity }
        if (a.acknowledgedAt == nil) != (b.acknowledgedAt == nil) { return a.acknowledgedAt == nil }
        return a.openedAt > b.openedAt
    }
    let resolved = alerts.filter { $0.resolvedAt.map { now.timeIntervalSince($0) < 3600 } ?? false }.sorted { ($0.resolvedAt ?? .distantPast) > ($1.resolvedAt ?? .distantPast) }
    return open + resolved
}

extension FleetApp: Filterable {
    var filterText: String {
        "\(app.id) \(app.name) \(app.platform.rawValue) \(full?.version ?? "") \(gray.map(\.version).joined(separator: " "))"
    }
}

/// Enter on an app: the app, in Releases.
private func openApp(_ state: inout ConsoleState) -> [Effect] {
    let index = state.selection[.fleet] ?? 0
    guard state.overview.rows.indices.contains(index) else { return [] }
    focus(app: state.overview.rows[index].app.id, &state)
    state.pane = .releases
    return []
}

/// Enter on an alert: its issue (in Crashes, with its stack and breakdown), or its release.
private func openAlert(_ state: inout ConsoleState) -> [Effect] {
    let index = state.selection[.alerts] ?? 0
    guard state.overview.alerts.indices.contains(index) else { return [] }
    let alert = state.overview.alerts[index]
    focus(app: alert.app, &state)
    if let fingerprint = alert.fingerprint {
        state.pane = .crashes
        state.crashView = .issues
        // Its issues in the alert's release: the issue's moves (H/R/B) act on that release.
        state.crashFilter = CrashEventFilter()
        state.crashFilter.release = alert.release
        state.filters[.crashIssues] = nil
        state.pendingFocus = PendingFocus(list: .crashIssues, id: fingerprint)
        state.overlay = .issueLoading(fingerprint: fingerprint)
        state.overlayScroll = 0
        return [.loadIssue(app: alert.app, fingerprint: fingerprint)]
    }
    state.pane = .releases
    state.filters[.releases] = nil
    state.pendingFocus = PendingFocus(list: .releases, id: alert.release)
    if let snapshot = state.lastSnapshot { showLists(of: snapshot, &state) }
    return []
}

/// `a` on an alert: ask why, then acknowledge it with its ETag.
private func askToAcknowledge(_ state: inout ConsoleState) -> [Effect] {
    let index = state.selection[.alerts] ?? 0
    guard state.overview.alerts.indices.contains(index) else { return [] }
    let alert = state.overview.alerts[index]
    guard alert.isOpen else {
        state.flash = Flash(text: "alert \(alert.id) is resolved: there is nothing to acknowledge", isError: true, shownAt: state.now)
        return []
    }
    var lines = [alert.summary, "App \(alert.app), release \(alert.release); opened \(timestamp(alert.openedAt, now: state.now))."]
    if let by = alert.acknowledgedBy { lines.append("Already acknowledged by \(by); acknowledging again puts your name on it.") }
    lines.append("Others see that you are on it; the reason goes into the audit log.")
    state.dialog = ActionDialog(action: .acknowledge(alertID: alert.id), title: "Acknowledge alert \(alert.id) (\(alert.kind.rawValue.replacingOccurrences(of: "_", with: " ")))",
                                lines: lines, ifMatch: alert.etag)
    return []
}

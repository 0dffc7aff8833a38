import Foundation
import PlatformModel
import Sync
import TUI

// The Crashes pane: the live stream of crash and ANR events (pausable), or the issues
// they form; `f` filters by release, kind and OS; Enter opens an event's stack or an
// issue's breakdown. Drawn in `CrashesView.swift`, filtered in `CrashFilter.swift`.

extension Pane {
    public static let crashes = Pane(rawValue: "crashes")
}

extension ListID {
    public static let crashEvents = ListID(rawValue: "crash-events")
    public static let crashIssues = ListID(rawValue: "crash-issues")
}

/// The Crashes pane shows either the live stream of events or the issues they form.
public enum CrashView: Sendable, Equatable {
    case events, issues
}

extension PaneUnit {
    static let crashes = PaneUnit(
        .crashes, title: "Crashes", key: "2", data: [.crashEvents, .crashIssues],
        read: { read, state in
            read.crashEvents = state.crashFilter
            read.crashIssues = true
            read.issueTrends = state.crashView == .issues
        },
        list: { state in
            state.crashView == .events
                ? PaneList(id: .crashEvents, count: state.crashEvents.count, secondClickOpens: true)
                : PaneList(id: .crashIssues, count: state.crashIssues.count, secondClickOpens: true)
        },
        keys: crashesKeys,
        legend: [
            "Kinds: ✖ crash · ◷ ANR (the app did not respond).",
            "Issues: ✦ new (first seen in the last day) · ● ongoing · ↻ regressed (seen again after it was resolved, "
                + "or more events than it was ignored until) · ✓ resolved · ◌ ignored.",
            "1 HOUR: events per five minutes over the last hour, oldest first. Trend sorts by the rise over the last 15 minutes.",
        ],
        draw: { state, theme, canvas, area, hits in drawCrashes(state, theme: theme, into: &canvas, area: area, hits: &hits) })
}

private func crashesKeys(_ state: ConsoleState) -> [KeyAction] {
    var keys = [
        KeyAction([.enter], short: "Enter", hint: "details", help: "the event's or the issue's stack and breakdown") { _, state in openCrashDetail(&state) },
        KeyAction([.character("v")], short: "v", hint: state.crashView == .events ? "issues" : "live events", help: "live events / issues") { _, state in
            state.crashView = state.crashView == .events ? .issues : .events
            return []
        },
    ]
    if state.crashView == .issues {
        keys.append(KeyAction([.character("s")], short: "s", hint: "sort: \(state.issueSort.rawValue)",
                              help: "sort issues by last seen, events, devices or trend (rising in the last 15 minutes)") { _, state in
            state.issueSort = state.issueSort.next
            let sorted = sortedIssues(state.crashIssues, by: state.issueSort, trends: state.issueTrends)
            state.crashIssues = keepingSelection(of: .crashIssues, in: state.crashIssues, sorted, &state, id: \.fingerprint)
            return []
        })
        keys += triageKeys()
    }
    if state.crashView == .events {
        keys.append(KeyAction([.character(" ")], short: "space", hint: state.livePaused ? "resume" : "pause", help: "pause, resume the live list") { _, state in
            state.livePaused.toggle()
            state.newWhilePaused = 0
            state.flash = Flash(text: state.livePaused ? "live stream paused: new events are counted, not shown (space resumes)" : "live stream resumed",
                                isError: false, shownAt: state.now)
            return state.livePaused ? [] : [.refresh]
        })
    }
    keys.append(KeyAction([.character("f")], short: "f", hint: "release/kind/OS", help: "filter by release, kind (crash, ANR) and OS") { _, state in
        openCrashFilter(&state)
        return []
    })
    return keys
}

func openCrashDetail(_ state: inout ConsoleState) -> [Effect] {
    switch state.crashView {
    case .events:
        let index = state.selection[.crashEvents] ?? 0
        guard state.crashEvents.indices.contains(index) else { return [] }
        return [.loadCrashEvent(id: state.crashEvents[index].id)]
    case .issues:
        let index = state.selection[.crashIssues] ?? 0
        guard let app = state.appID, state.crashIssues.indices.contains(index) else { return [] }
        let fingerprint = state.crashIssues[index].fingerprint
        state.overlay = .issueLoading(fingerprint: fingerprint)
        return [.loadIssue(app: app, fingerprint: fingerprint)]
    }
}

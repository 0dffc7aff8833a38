import Foundation
import PlatformModel
import TUI

// Triage, as Sentry and Crashlytics users know it: sort the issues (`s`), resolve (`r`),
// ignore for a time or until it worsens (`i`), reopen (`u`) — each through the change
// dialog, with a reason for the audit log. A resolved issue that happens again comes
// back as regressed (the server decides, and says so in the audit log).

/// The order of the issue list. Open issues come first in every order; ignored and
/// resolved ones follow, so that a person sees where the one they triaged went.
public enum IssueSort: String, CaseIterable, Sendable {
    case lastSeen = "last seen"
    case events
    case devices
    /// Rising: events in the last 15 minutes against the 15 before.
    case trend

    var next: IssueSort { Self.allCases[(Self.allCases.firstIndex(of: self)! + 1) % Self.allCases.count] }
}

/// Issues in `order`; ties by most recently seen, then fingerprint, so the order is stable.
func sortedIssues(_ issues: [CrashIssue], by order: IssueSort, trends: [String: [Int]]) -> [CrashIssue] {
    func group(_ issue: CrashIssue) -> Int {
        switch issue.status {
        case .new, .regressed, .ongoing: 0
        case .ignored: 1
        case .resolved: 2
        }
    }
    func rising(_ issue: CrashIssue) -> (Int, Int) {
        let trend = issue.trend ?? trends[issue.fingerprint] ?? []
        let recent = trend.suffix(3).reduce(0, +), before = trend.dropLast(3).suffix(3).reduce(0, +)
        return (recent - before, recent)
    }
    func key(_ issue: CrashIssue) -> (Int, Int) {
        switch order {
        case .lastSeen: (0, 0)
        case .events: (issue.count, 0)
        case .devices: (issue.affectedDevices, issue.count)
        case .trend: rising(issue)
        }
    }
    return issues.sorted { a, b in
        if group(a) != group(b) { return group(a) < group(b) }
        let (ka, kb) = (key(a), key(b))
        if ka != kb { return ka > kb }
        if a.lastSeen != b.lastSeen { return a.lastSeen > b.lastSeen }
        return a.fingerprint < b.fingerprint
    }
}

/// "resolved", "ignored for 59 min more", "ignored until 1,300 events (now 1,234)".
func triageStatusText(_ issue: CrashIssue, now: Date) -> String {
    guard issue.status == .ignored else { return issue.status.rawValue }
    var parts: [String] = []
    if let until = issue.ignoredUntil { parts.append("for \(duration(max(60, until.timeIntervalSince(now)))) more") }
    if let count = issue.ignoredUntilCount { parts.append("until \(grouped(count)) events (now \(grouped(issue.count)))") }
    return parts.isEmpty ? "ignored for good" : "ignored " + parts.joined(separator: " or ")
}

func triageAllowed(_ triage: IssueTriage, on issue: CrashIssue) -> Bool {
    switch triage {
    case .resolve: issue.status != .resolved
    case .ignore: issue.status != .resolved
    case .unresolve: issue.status == .resolved || issue.status == .ignored
    }
}

/// The triage keys, for the issue list and the issue's detail.
func triageKeys() -> [KeyAction] {
    [
        KeyAction([.character("r")], short: "r", hint: "resolve", help: "resolve the issue (it comes back as regressed if it happens again)",
                  permission: .triagesIssues) { key, state in askTriage(key, &state) },
        KeyAction([.character("i")], short: "i", hint: "ignore", help: "ignore the issue for a time, until it worsens, or for good",
                  permission: .triagesIssues) { key, state in askTriage(key, &state) },
        KeyAction([.character("u")], short: "u", hint: "unresolve", help: "reopen a resolved or ignored issue",
                  permission: .triagesIssues) { key, state in askTriage(key, &state) },
    ]
}

/// The issue `r`/`i`/`u` act on: the open detail's, else the selected one.
private func triagedIssue(_ state: ConsoleState) -> CrashIssue? {
    if case .issue(let detail) = state.overlay {
        return state.crashIssues.first { $0.fingerprint == detail.issue.fingerprint } ?? detail.issue
    }
    guard state.crashView == .issues else { return nil }
    let index = state.selection[.crashIssues] ?? 0
    return state.crashIssues.indices.contains(index) ? state.crashIssues[index] : nil
}

/// Opens the change dialog for `r`, `i` or `u` on the issue in front of the person.
func askTriage(_ key: Key, _ state: inout ConsoleState) -> [Effect] {
    // Who may triage is the key table's to say (`.triagesIssues`): dispatch refuses first.
    guard let issue = triagedIssue(state) else { return [] }
    let app = issue.app, name = issue.shortExceptionType
    let triage: IssueTriage = switch key {
    case .character("r"): .resolve
    case .character("i"): .ignore(minutes: 60, moreEvents: nil)
    default: .unresolve
    }
    guard triageAllowed(triage, on: issue) else {
        let why = switch triage {
        case .resolve: "\(name) is already resolved (u reopens it)"
        case .ignore: "\(name) is resolved: u reopens it first"
        case .unresolve: "\(name) is open (\(issue.status.rawValue)): only a resolved or ignored issue can be unresolved"
        }
        state.flash = Flash(text: why, isError: true, shownAt: state.now)
        return []
    }
    let action = ActionDialog.Action.triage(app: app, fingerprint: issue.fingerprint, triage)
    let seen = "\(count(issue.count, "event")) from \(count(issue.affectedDevices, "device")), "
        + "last \(duration(max(0, state.now.timeIntervalSince(issue.lastSeen)))) ago"
    var lines: [String] = []
    let title: String
    switch triage {
    case .resolve:
        title = "Resolve \(name) in \(app)"
        lines.append("It leaves the open issues. If it happens again it comes back as regressed.")
    case .ignore:
        title = "Ignore \(name) in \(app)"
        lines.append("It leaves the open issues and raises no alert while ignored.")
        lines.append("An ignore until more events ends when they arrive: it comes back as regressed.")
    case .unresolve:
        title = "Unresolve \(name) in \(app)"
        lines.append("It goes back among the open issues.")
    }
    lines.append("\(issue.exceptionType) at \(issue.culprit)")
    lines.append("Now: \(triageStatusText(issue, now: state.now)), \(seen).")
    var dialog = ActionDialog(action: action, title: title, lines: lines, ifMatch: issue.etag)
    if case .ignore = triage {
        let step = max(10, issue.count / 10)
        dialog.choices = [
            .init("for 1 hour", .triage(app: app, fingerprint: issue.fingerprint, .ignore(minutes: 60, moreEvents: nil))),
            .init("for 24 hours", .triage(app: app, fingerprint: issue.fingerprint, .ignore(minutes: 1440, moreEvents: nil))),
            .init("for 7 days", .triage(app: app, fingerprint: issue.fingerprint, .ignore(minutes: 10_080, moreEvents: nil))),
            .init("until \(grouped(step)) more events", .triage(app: app, fingerprint: issue.fingerprint, .ignore(minutes: nil, moreEvents: step))),
            .init("for good", .triage(app: app, fingerprint: issue.fingerprint, .ignore(minutes: nil, moreEvents: nil))),
        ]
    }
    state.dialog = dialog
    return []
}

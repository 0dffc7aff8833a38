import Foundation
import TUI

// One key table: each entry says which keys, how the hint bar and `?` help show them,
// who may use them, and what they do. Dispatch, the hint bar and help are all made from
// it, so a key that shows works, and one the role or `--readonly` forbids is not shown
// (pressing it says why). Text entry (a reason, a filter, the palette, the filter
// picker) keeps its own line editor; its entries only describe it.

/// Who may use a key.
enum KeyPermission {
    case anyone
    /// Moves a release: release managers and admins, never `--readonly`.
    case changesReleases
    /// Flips a switch: support and admins, never `--readonly`.
    case changesSwitches
    /// Acknowledges an alert: anyone but a viewer, never `--readonly`.
    case acknowledgesAlerts
    /// Resolves, ignores, reopens an issue: anyone but a viewer, never `--readonly`.
    case triagesIssues
    /// Defines funnels: release managers and admins, never `--readonly`.
    case editsFunnels

    /// Why the person may not, or nil.
    func refusal(in state: ConsoleState) -> String? {
        switch self {
        case .anyone: nil
        case .changesReleases: state.releasesRefusal
        case .changesSwitches: state.switchesRefusal
        case .acknowledgesAlerts: state.alertsRefusal
        case .triagesIssues: state.issuesRefusal
        case .editsFunnels: state.funnelsRefusal
        }
    }
}

/// One entry of a key table.
struct KeyAction {
    /// The keys that run it (empty for text entry, which the mode's editor takes).
    var keys: [Key]
    /// As the hint bar shows it ("↑↓"); nil: help only.
    var short: String?
    /// As help shows it ("↑ ↓, j k").
    var names: String
    var hint: String
    var help: String
    var permission: KeyPermission
    /// What it does; nil when a mode's own editor does it.
    var run: ((Key, inout ConsoleState) -> [Effect])?

    init(_ keys: [Key], short: String?, names: String? = nil, hint: String, help: String? = nil, permission: KeyPermission = .anyone,
         run: ((Key, inout ConsoleState) -> [Effect])?) {
        self.keys = keys
        self.short = short
        self.names = names ?? keys.map(\.label).joined(separator: ", ")
        self.hint = hint
        self.help = help ?? hint
        self.permission = permission
        self.run = run
    }

    /// An entry that only describes a mode's key.
    static func described(_ short: String?, _ names: String, _ hint: String, _ help: String? = nil) -> KeyAction {
        KeyAction([], short: short, names: names, hint: hint, help: help, run: nil)
    }
}

/// The keys that work now, in this mode, on this pane, for this token's role: what the
/// hint bar and help show.
func keyTable(for state: ConsoleState) -> [KeyAction] {
    allKeys(for: state).filter { $0.permission.refusal(in: state) == nil }
}

/// Runs the entry `key` belongs to. Nil: no entry has it. A forbidden entry is not run:
/// the person is told why.
func dispatch(_ key: Key, _ state: inout ConsoleState) -> [Effect]? {
    guard let entry = allKeys(for: state).first(where: { $0.keys.contains(key) }), let run = entry.run else { return nil }
    if let refusal = entry.permission.refusal(in: state) {
        state.flash = Flash(text: refusal, isError: true, shownAt: state.now)
        return []
    }
    return run(key, &state)
}

/// Every entry for the state, allowed or not, in the order keys are looked up: the
/// mode's, else the pane's before the global ones.
private func allKeys(for state: ConsoleState) -> [KeyAction] {
    if let modal = modalKeys(for: state) { return modal }
    let pane = paneKeys(for: state)
    let claimed = Set(pane.flatMap(\.keys))
    return pane + globalKeys(for: state, claimed: claimed)
}

// MARK: - Modes (described here, edited by their own handlers)

private func modalKeys(for state: ConsoleState) -> [KeyAction]? {
    if let dialog = state.dialog {
        return [.described("type", "any text", "the reason", "the reason, kept in the audit log")]
            + (dialog.choices.isEmpty ? [] : [.described("Tab", "Tab, Shift-Tab", "choice", "the next or previous way to do it")])
            + [.described("Enter", "Enter", "send", "send with If-Match; wait for the answer"),
               .described("Esc", "Esc", "cancel", "cancel: nothing is sent"), .described("^U", "Ctrl-U", "clear")]
    }
    if state.form != nil {
        return [.described("type", "any text", "the field", "the field with the cursor; its syntax is shown under it"),
                .described("Tab", "Tab, ↓ / Shift-Tab, ↑", "field", "the next or previous field"),
                .described("Enter", "Enter", "next/send", "the next field; on Reason, send"),
                .described("Esc", "Esc", "cancel", "cancel: nothing is sent"), .described("^U", "Ctrl-U", "clear")]
    }
    if state.filterEditing != nil {
        return [.described("type", "any text", "to filter", "words to match, any order and case"), .described("Enter", "Enter", "keep"),
                .described("Esc", "Esc", "clear"), .described("^U", "Ctrl-U", "clear")]
    }
    if state.palette != nil {
        return [.described("type", "any text", "a command", "app, release, breaker, theme, pane, refresh, quit"), .described("Tab", "Tab", "complete"),
                .described("Enter", "Enter", "run"), .described("Esc", "Esc", "close"), .described(nil, "Ctrl-U", "clear")]
    }
    if state.crashFilterPicker != nil || state.auditFilterPicker != nil {
        return [.described("↑↓", "↑ ↓, j k, Tab", "row", state.auditFilterPicker != nil ? "app, actor, action or time" : "release, kind or OS"),
                .described("←→", "← → (h l), space", "value", "the next or previous value; applies at once"),
                .described("x", "x", "clear all"), .described("Enter", "Enter, f", "keep"), .described("Esc", "Esc", "undo", "back to the filter before")]
    }
    if state.overlay != nil {
        var keys: [KeyAction] = [.described("Esc", "Esc, ←, h", "close"), .described("↑↓", "↑ ↓, PgUp PgDn, g", "scroll")]
        if case .switchDetail = state.overlay, state.switchesRefusal == nil {
            keys.append(.described("space", "space", "flip", "open or close the breaker, turn the switch on or off (asks why)"))
        }
        if case .issue(let detail) = state.overlay {
            keys += triageKeys()
            if let release = release(of: detail, in: state) {
                keys.append(.described("Enter", "Enter", "release \(release.version)", "the issue's release (\(release.version)) in Releases"))
                if state.releasesRefusal == nil {
                    keys.append(.described("H/R/B", "H R B", "halt/resume/back", "halt, resume, roll back \(release.version) (asks why)"))
                }
            }
        }
        return keys + [.described("q", "q", "quit")]
    }
    return nil
}

// MARK: - Panes

/// The pane's own keys: each pane's unit declares them (see `Panes/`).
private func paneKeys(for state: ConsoleState) -> [KeyAction] {
    state.unit.keys(state)
}

// MARK: - Everywhere

/// The keys of every pane; `claimed` are the pane's own, which the global ones give way to.
private func globalKeys(for state: ConsoleState, claimed: Set<Key>) -> [KeyAction] {
    let panes = state.panes.map { Key.character($0.key) }
    let range = state.panes.count > 1 ? "\(state.panes[0].key)-\(state.panes[state.panes.count - 1].key)" : "\(state.panes[0].key)"
    var keys = [
        KeyAction([.character("q"), .control("c")], short: "q", hint: "quit") { _, _ in [.quit] },
        KeyAction(panes + [.tab, .backTab], short: range, names: "\(range), Tab, Shift-Tab", hint: "panes", help: "switch pane") { key, state in
            let count = state.panes.count
            let current = state.panes.firstIndex { $0.pane == state.pane } ?? 0
            switch key {
            case .tab: state.pane = state.panes[(current + 1) % count].pane
            case .backTab: state.pane = state.panes[(current + count - 1) % count].pane
            default: if let index = panes.firstIndex(of: key) { state.pane = state.panes[index].pane }
            }
            return []
        },
    ]
    if let list = state.unit.list(state) {
        keys.append(KeyAction([.up, .down, .character("j"), .character("k"), .pageUp, .pageDown, .home, .end, .character("g"), .character("G")],
                              short: "↑↓", names: "↑ ↓, j k, PgUp PgDn, g G", hint: "select", help: "move the selection") { key, state in
            moveSelection(key, &state)
            return []
        })
        if list.filterable {
            keys.append(KeyAction([.character("/")], short: "/", hint: "filter", help: "filter the list (words, any case)") { _, state in
                state.filterEditing = state.activeList
                return []
            })
        }
    }
    let apps: [Key] = [.character("a"), .character("A")].filter { !claimed.contains($0) }
    keys += [
        KeyAction(apps, short: apps.count == 2 ? "a/A" : apps.first?.label, hint: apps.count == 2 ? "next/prev app" : apps == [.character("A")] ? "prev app" : "next app") { key, state in
            switchApp(by: key == .character("a") ? 1 : -1, &state)
        },
    ]
    keys += state.panes.flatMap { $0.everywhere(state) }
    keys += [
        KeyAction([.character(":")], short: nil, hint: "command", help: "command: app, release, breaker, theme, pane, quit") { _, state in
            state.palette = Palette()
            return []
        },
        KeyAction([.control("r")], short: "^R", hint: "refresh", help: "fetch everything now") { _, state in
            state.flash = Flash(text: "refreshing from \(state.server)…", isError: false, shownAt: state.now)
            return [.refresh]
        },
        KeyAction([.control("l")], short: nil, hint: "redraw", help: "redraw the screen") { _, _ in [.redrawAll] },
        KeyAction([.character("?")], short: "?", hint: "help", help: "this help") { _, state in
            state.showHelp = true
            return []
        },
    ]
    // The pane's own keys win; an entry left with none of its keys is not offered.
    return keys.map { entry in
        var entry = entry
        entry.keys.removeAll(where: claimed.contains)
        return entry
    }.filter { !$0.keys.isEmpty }
}

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

    /// Why the person may not, or nil.
    func refusal(in state: ConsoleState) -> String? {
        switch self {
        case .anyone: nil
        case .changesReleases: state.releasesRefusal
        case .changesSwitches: state.switchesRefusal
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
    if state.dialog != nil {
        return [.described("type", "any text", "the reason", "the reason, kept in the audit log"),
                .described("Enter", "Enter", "send", "send with If-Match; wait for the answer"),
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
    if state.crashFilterPicker != nil {
        return [.described("↑↓", "↑ ↓, j k, Tab", "row", "release, kind or OS"),
                .described("←→", "← → (h l), space", "value", "the next or previous value; applies at once"),
                .described("x", "x", "clear all"), .described("Enter", "Enter, f", "keep"), .described("Esc", "Esc", "undo", "back to the filter before")]
    }
    if state.overlay != nil {
        return [.described("Esc", "Esc, ←, h", "close"), .described("↑↓", "↑ ↓, PgUp PgDn, g", "scroll"), .described("q", "q", "quit")]
    }
    return nil
}

// MARK: - Panes

private func paneKeys(for state: ConsoleState) -> [KeyAction] {
    switch state.pane {
    case .releases:
        return [KeyAction([.enter], short: "Enter", hint: "charts", help: "the release's last hour as charts") { _, state in
            guard state.releases.indices.contains(state.selected) else { return [] }
            state.overlay = .release(version: state.releases[state.selected].version)
            state.overlayScroll = 0
            return []
        }]
    case .crashes:
        var keys = [
            KeyAction([.enter], short: "Enter", hint: "details", help: "the event's or the issue's stack and breakdown") { _, state in openCrashDetail(&state) },
            KeyAction([.character("v")], short: "v", hint: state.crashView == .events ? "issues" : "live events", help: "live events / issues") { _, state in
                state.crashView = state.crashView == .events ? .issues : .events
                return []
            },
        ]
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
    case .rollouts:
        let rollout: (Key, inout ConsoleState) -> [Effect] = { key, state in handleRollouts(key, &state) ?? [] }
        return [
            KeyAction([.left, .right, .character("h"), .character("l")], short: "←→", names: "← → (h l)", hint: "gray %",
                      help: "move the pending gray percentage", permission: .changesReleases, run: rollout),
            KeyAction([.character("["), .character("]")], short: nil, names: "[ ]", hint: "step", help: "step: 0.1, 1, 5, 10, 25 %",
                      permission: .changesReleases, run: rollout),
            KeyAction([.enter], short: "Enter", hint: "apply", help: "apply the pending percentage (asks why)", permission: .changesReleases, run: rollout),
            KeyAction([.escape], short: nil, hint: "reset", help: "forget the pending percentage", permission: .changesReleases, run: rollout),
            KeyAction([.character("H"), .character("R"), .character("A"), .character("B")], short: "H/R/A/B", names: "H R A B",
                      hint: "halt/resume/advance/back", help: "halt, resume, advance the stage, roll back (asks why)", permission: .changesReleases, run: rollout),
        ]
    case .breakers:
        return [KeyAction([.character(" "), .enter], short: "space", hint: "flip", help: "flip the switch (asks why)", permission: .changesSwitches) { _, state in
            askToFlipSwitch(&state)
        }]
    case .funnels:
        let funnel: (Key, inout ConsoleState) -> [Effect] = { key, state in handleFunnels(key, &state) ?? [] }
        return [KeyAction([.character("t")], short: "t", hint: "range", help: "time range: hour, day, week", run: funnel),
                KeyAction([.character("c")], short: "c", hint: "compare releases", help: "compare the two busiest releases", run: funnel)]
    case .audit:
        return []
    }
}

// MARK: - Everywhere

/// The keys of every pane; `claimed` are the pane's own, which the global ones give way to.
private func globalKeys(for state: ConsoleState, claimed: Set<Key>) -> [KeyAction] {
    let panes = Pane.allCases.map { Key.character(Character(String($0.rawValue + 1))) }
    var keys = [
        KeyAction([.character("q"), .control("c")], short: "q", hint: "quit") { _, _ in [.quit] },
        KeyAction(panes + [.tab, .backTab], short: "1-\(Pane.allCases.count)", names: "1-\(Pane.allCases.count), Tab, Shift-Tab", hint: "panes",
                  help: "switch pane") { key, state in
            let count = Pane.allCases.count
            switch key {
            case .tab: state.pane = Pane.allCases[(state.pane.rawValue + 1) % count]
            case .backTab: state.pane = Pane.allCases[(state.pane.rawValue + count - 1) % count]
            default: if let index = panes.firstIndex(of: key) { state.pane = Pane.allCases[index] }
            }
            return []
        },
    ]
    if let list = state.activeList {
        keys.append(KeyAction([.up, .down, .character("j"), .character("k"), .pageUp, .pageDown, .home, .end, .character("g"), .character("G")],
                              short: "↑↓", names: "↑ ↓, j k, PgUp PgDn, g G", hint: "select", help: "move the selection") { key, state in
            moveSelection(key, &state)
            return []
        })
        if list != .rollouts && list != .funnels {
            keys.append(KeyAction([.character("/")], short: "/", hint: "filter", help: "filter the list (words, any case)") { _, state in
                state.filterEditing = state.activeList
                return []
            })
        }
    }
    let apps: [Key] = [.character("a"), .character("A")].filter { !claimed.contains($0) }
    keys += [
        KeyAction(apps, short: apps.count == 2 ? "a/A" : "a", hint: apps.count == 2 ? "next/prev app" : "next app") { key, state in
            switchApp(by: key == .character("a") ? 1 : -1, &state)
        },
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
    return keys.filter { !$0.keys.isEmpty }.map { entry in
        var entry = entry
        entry.keys.removeAll(where: claimed.contains)
        return entry
    }
}

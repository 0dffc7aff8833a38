import Foundation

/// One entry of the key map: how the hint bar and the help show it.
struct KeyBinding {
    /// As the hint bar shows it ("↑↓"); nil: help only.
    var short: String?
    /// As the help shows it ("↑ ↓, j k").
    var keys: String
    var hint: String
    var help: String
}

/// The keys that work now: in this mode, on this pane, for this token's role. The hint
/// bar and `?` help are both made from it, so neither offers a key that does nothing.
func keyMap(for state: ConsoleState) -> [KeyBinding] {
    func key(_ short: String?, _ keys: String, _ hint: String, _ help: String? = nil) -> KeyBinding {
        KeyBinding(short: short, keys: keys, hint: hint, help: help ?? hint)
    }
    if state.dialog != nil {
        return [key("type", "any text", "the reason", "the reason, kept in the audit log"), key("Enter", "Enter", "send", "send with If-Match; wait for the answer"),
                key("Esc", "Esc", "cancel", "cancel: nothing is sent"), key("^U", "Ctrl-U", "clear")]
    }
    if state.filterEditing != nil {
        return [key("type", "any text", "to filter", "words to match, any order and case"), key("Enter", "Enter", "keep"),
                key("Esc", "Esc", "clear"), key("^U", "Ctrl-U", "clear")]
    }
    if state.palette != nil {
        return [key("type", "any text", "a command", "app, release, breaker, theme, pane, refresh, quit"), key("Tab", "Tab", "complete"),
                key("Enter", "Enter", "run"), key("Esc", "Esc", "close"), key(nil, "Ctrl-U", "clear")]
    }
    if state.crashFilterPicker != nil {
        return [key("↑↓", "↑ ↓, j k, Tab", "row", "release, kind or OS"), key("←→", "← → (h l), space", "value", "the next or previous value; applies at once"),
                key("x", "x", "clear all"), key("Enter", "Enter, f", "keep"), key("Esc", "Esc", "undo", "back to the filter before")]
    }
    if state.overlay != nil {
        return [key("Esc", "Esc, ←, h", "close"), key("↑↓", "↑ ↓, PgUp PgDn, g", "scroll"), key("q", "q", "quit")]
    }
    var map = [key("q", "q, Ctrl-C", "quit"), key("1-6", "1-6, Tab, Shift-Tab", "panes", "switch pane")]
    if let list = state.activeList {
        map.append(key("↑↓", "↑ ↓, j k, PgUp PgDn, g G", "select", "move the selection"))
        if list != .rollouts && list != .funnels { map.append(key("/", "/", "filter", "filter the list (words, any case)")) }
    }
    switch state.pane {
    case .releases:
        map.append(key("Enter", "Enter", "charts", "the release's last hour as charts"))
    case .crashes:
        map.append(key("Enter", "Enter", "details", "the event's or the issue's stack and breakdown"))
        map.append(key("v", "v", state.crashView == .events ? "issues" : "live events", "live events / issues"))
        if state.crashView == .events { map.append(key("space", "space", state.livePaused ? "resume" : "pause", "pause, resume the live list")) }
        map.append(key("f", "f", "release/kind/OS", "filter by release, kind (crash, ANR) and OS"))
    case .rollouts:
        if state.releasesRefusal == nil {
            map += [key("←→", "← → (h l)", "gray %", "move the pending gray percentage"), key(nil, "[ ]", "step", "step: 0.1, 1, 5, 10, 25 %"),
                    key("Enter", "Enter", "apply", "apply the pending percentage (asks why)"),
                    key("H/R/A/B", "H R A B", "halt/resume/advance/back", "halt, resume, advance the stage, roll back (asks why)")]
        }
    case .breakers:
        if state.switchesRefusal == nil { map.append(key("space", "space, Enter", "flip", "flip the switch (asks why)")) }
    case .funnels:
        map += [key("t", "t", "range", "time range: hour, day, week"), key("c", "c", "compare releases", "compare the two busiest releases")]
    case .audit:
        break
    }
    map += [
        key("a/A", state.pane == .rollouts ? "a" : "a, A", state.pane == .rollouts ? "next app" : "next/prev app"),
        key(nil, ":", "command", "command: app, release, breaker, theme, pane, quit"),
        key("^R", "Ctrl-R", "refresh", "fetch everything now"),
        key(nil, "Ctrl-L", "redraw", "redraw the screen"),
        key("?", "?", "help", "this help"),
    ]
    return map
}

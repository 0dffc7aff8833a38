import Foundation
import PlatformModel
import Sync
import TUI

// The Breakers pane: the app's kill switches and circuit breakers with their scope and
// who changed them last; space or a click on the state cell flips one (asks why), Enter
// opens its detail with its history from the audit log. Breakers speak as breakers do:
// CLOSED, calls flow; OPEN, calls fail fast.

extension Pane {
    public static let breakers = Pane(rawValue: "breakers")
}

extension ListID {
    public static let switches = ListID(rawValue: "switches")
}

extension PaneUnit {
    static let breakers = PaneUnit(
        .breakers, title: "Breakers", key: "4", data: [.switches, .reach],
        read: { read, state in
            read.switches = true
            read.reach = true
            // A switch's detail shows its history.
            if case .switchDetail = state.overlay { read.auditLimit = max(read.auditLimit, 1000) }
        },
        list: { state in PaneList(id: .switches, count: state.switches.count, secondClickOpens: true) },
        keys: { _ in
            [
                KeyAction([.character(" ")], short: "space", hint: "flip", help: "open or close the breaker, turn the switch on or off (asks why)",
                          permission: .changesSwitches) { _, state in askToFlipSwitch(&state) },
                KeyAction([.character("n")], short: "n", hint: "new", help: "create a kill switch or circuit breaker (key, kind, what it guards, scope)",
                          permission: .changesSwitches) { _, state in openNewSwitchForm(&state) },
                KeyAction([.character("e")], short: "e", hint: "edit", help: "edit what the switch guards and where it applies (platforms, versions, share)",
                          permission: .changesSwitches) { _, state in
                    let index = state.selection[.switches] ?? 0
                    guard state.switches.indices.contains(index) else { return [] }
                    return openEditSwitchForm(state.switches[index], &state)
                },
                KeyAction([.enter], short: "Enter", hint: "details", help: "the switch in full, with its history from the audit log") { _, state in
                    let index = state.selection[.switches] ?? 0
                    guard state.switches.indices.contains(index) else { return [] }
                    state.overlay = .switchDetail(key: state.switches[index].key)
                    state.overlayScroll = 0
                    return []
                },
            ]
        },
        legend: [
            "Circuit breaker: CLOSED = calls to the dependency flow (normal); OPEN = calls fail fast on the devices in scope, "
                + "the dependency is spared. Opening a breaker is the emergency action.",
            "Kill switch: ON = the feature runs; OFF = the feature is turned off on the devices in scope at their next check.",
            "REACHED: devices that have the current value, of those that checked in the last hour.",
        ],
        draw: { state, theme, canvas, area, hits in drawBreakers(state, theme: theme, into: &canvas, area: area, hits: &hits) },
        click: { hit, _, state in
            guard case .toggle(let index) = hit else { return [] }
            state.selection[.switches] = index
            return dispatch(.character(" "), &state) ?? []
        })
}

/// Space or Enter on a switch: ask to flip it.
func askToFlipSwitch(_ state: inout ConsoleState) -> [Effect] {
    let index = state.selection[.switches] ?? 0
    guard let app = state.appID, state.switches.indices.contains(index) else { return [] }
    if let refusal = state.switchesRefusal {
        state.flash = Flash(text: refusal, isError: true, shownAt: state.now)
        return []
    }
    state.dialog = flipDialog(state.switches[index], app: app, state)
    return []
}

/// The dialog that turns `item` the other way: what it does and where.
func flipDialog(_ item: Switch, app: String, _ state: ConsoleState) -> ActionDialog {
    let enable = !item.enabled
    let title = item.kind == .circuitBreaker
        ? "\(enable ? "Close" : "Open") circuit breaker \(item.key) of \(app): \(switchWord(item.kind, enabled: enable))"
        : "Turn \(enable ? "ON" : "OFF") kill switch \(item.key) of \(app)"
    var lines = [item.description, "Applies to: \(scopeText(item.scope))."]
    switch (item.kind, enable) {
    case (.circuitBreaker, false): lines.append("Calls to \(item.key) will fail fast on those devices until it is closed again.")
    case (.circuitBreaker, true): lines.append("Traffic to \(item.key) flows again on those devices.")
    case (.killSwitch, false): lines.append("The feature turns off on those devices at their next check.")
    case (.killSwitch, true): lines.append("The feature turns back on on those devices at their next check.")
    }
    lines.append("Last changed by \(item.updatedBy), \(timestamp(item.updatedAt, now: state.now)).")
    return ActionDialog(action: .setSwitch(app: app, key: item.key, enabled: enable), title: title, lines: lines, ifMatch: item.etag)
}

/// What a switch's value is called: a breaker is CLOSED (calls flow) or OPEN (calls fail
/// fast); a kill switch is ON or OFF.
func switchWord(_ kind: SwitchKind, enabled: Bool) -> String {
    switch kind {
    case .circuitBreaker: enabled ? "CLOSED (calls flow)" : "OPEN (failing fast)"
    case .killSwitch: enabled ? "ON" : "OFF"
    }
}

/// The short form, for a list cell and a flash: "CLOSED", "OPEN", "ON", "OFF".
func switchState(_ kind: SwitchKind, enabled: Bool) -> String {
    switch kind {
    case .circuitBreaker: enabled ? "CLOSED" : "OPEN"
    case .killSwitch: enabled ? "ON" : "OFF"
    }
}

/// "Android, iOS · 5.2.0–5.4.0 · 50% of devices"
func scopeText(_ scope: SwitchScope) -> String {
    var parts: [String] = [scope.platforms.isEmpty ? "every platform" : scope.platforms.map(platformName).joined(separator: ", ")]
    switch (scope.minVersion, scope.maxVersion) {
    case (nil, nil): break
    case (let low?, nil): parts.append("\(low)+")
    case (nil, let high?): parts.append("≤\(high)")
    case (let low?, let high?): parts.append("\(low)–\(high)")
    }
    for rule in scope.rules {
        parts.append("\(attributeName(rule.attribute)) \(ruleFieldText(rule))")
    }
    parts.append(scope.percent >= 100 ? "all devices" : "\(percentText(scope.percent)) of devices")
    return parts.joined(separator: " · ")
}

private func drawBreakers(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    let inner = Rect(x: area.x + 1, y: area.y, width: area.width - 2, height: area.height)
    guard !state.switches.isEmpty else {
        drawEmpty("No kill switches or circuit breakers for \(state.appID ?? "this app") in the cache yet.", theme: theme, into: &canvas, area: inner)
        return
    }
    // At 80 columns state, key and who changed it stay; scope and description give way
    // (both are in the detail, Enter).
    let wide = inner.width >= 110
    let columns = [
        Table.Column("STATE", width: .length(10)),
        Table.Column("REACHED", width: .length(11), alignment: .right),
        Table.Column("KEY", width: .length(16)),
        Table.Column("KIND", width: .length(11)),
        Table.Column("SCOPE", width: .length(36)),
        Table.Column("CHANGED BY", width: .length(12)),
        Table.Column("WHEN", width: .length(8)),
        Table.Column("DESCRIPTION", width: .fill(min: 12)),
    ].enumerated().filter { wide || ![4, 7].contains($0.offset) }.map(\.element)
    let sending: String? = {
        guard let dialog = state.dialog, dialog.phase == .sending, case .setSwitch(_, let key, _) = dialog.action else { return nil }
        return key
    }()
    let rows = state.switches.map { item -> [Span] in
        let stateSpan = sending == item.key
            ? Span("… pending", style: theme.style(.statusWarn))
            : item.enabled ? Span(item.kind == .circuitBreaker ? "● CLOSED" : "● ON", style: theme.style(.toggleOn))
                           : Span(item.kind == .circuitBreaker ? "○ OPEN" : "○ OFF", style: theme.style(.toggleOff).adding(.bold))
        return [
            stateSpan,
            reachSpan(item, state.reach, theme: theme),
            Span(item.key, style: Style(attributes: .bold)),
            Span(item.kind == .circuitBreaker ? "breaker" : "kill switch"),
            Span(scopeText(item.scope), style: theme.style(.muted)),
            Span(item.updatedBy),
            Span(duration(max(0, state.shownNow.timeIntervalSince(item.updatedAt))) + " ago"),
            Span(item.description, style: theme.style(.muted)),
        ].enumerated().filter { wide || ![4, 7].contains($0.offset) }.map(\.element)
    }
    let shown = Table(columns: columns, rows: rows, selected: state.selection[.switches] ?? 0, styles: tableStyles(theme))
        .render(into: &canvas, area: inner)
    hits.add(rows: shown, of: .switches)
    // The state cell (the first column) flips the breaker.
    for (row, rect) in shown { hits.add(Rect(x: rect.x, y: rect.y, width: 10, height: 1), .toggle(row)) }
}

/// Devices that have the switch's current value, of those that checked in the last
/// hour: a flip reaches devices at their next check, and this shows it spreading.
private func reachSpan(_ item: Switch, _ reach: AppReach?, theme: Theme) -> Span {
    guard let reach else { return Span("…", style: theme.style(.muted)) }
    guard reach.devices > 0, let counts = reach.switchReach(item.key) else { return Span("—", style: theme.style(.muted)) }
    let told = item.enabled ? counts.on : counts.off
    let all = counts.on + counts.off
    if told == all { return Span("all \(grouped(all))", style: theme.style(.statusOK)) }
    return Span("\(grouped(told))/\(grouped(all))", style: theme.style(.statusWarn))
}

import Foundation
import PlatformModel
import TUI

// The person's changes: a dialog that shows the change and its blast radius and asks for
// a reason, then the server's answer. Pure, like `update`.

/// Keys while a dialog is open: typing edits the reason, Enter sends, Esc cancels.
func handleDialog(_ key: Key, _ state: inout ConsoleState) -> [Effect] {
    guard var dialog = state.dialog else { return [] }
    if dialog.phase == .sending {
        // The request is out; nothing is cancelled behind the person's back.
        if key == .control("c") { return [.quit] }
        state.flash = Flash(text: "waiting for the server's answer…", isError: false, shownAt: state.now)
        return []
    }
    switch key {
    case .escape:
        state.dialog = nil
        state.flash = Flash(text: "cancelled: nothing was sent", isError: false, shownAt: state.now)
        return []
    case .control("c"):
        return [.quit]
    case .enter:
        let reason = dialog.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else {
            dialog.phase = .failed("a reason is required: type why, then Enter")
            state.dialog = dialog
            return []
        }
        dialog.reason = reason
        dialog.phase = .sending
        state.dialog = dialog
        return [.perform(dialog)]
    case .backspace:
        if !dialog.reason.isEmpty { dialog.reason.removeLast() }
    case .control("u"):
        dialog.reason = ""
    case .character(let character):
        if dialog.reason.count < ActionDialog.maximumReasonLength { dialog.reason.append(character) }
    default:
        break
    }
    state.dialog = dialog
    return []
}

/// The server answered an action.
func finishAction(_ key: String, _ result: ActionResult, _ state: inout ConsoleState) -> [Effect] {
    guard var dialog = state.dialog, dialog.idempotencyKey == key else { return [] }
    switch result {
    case .switchChanged(let changed):
        state.dialog = nil
        if let index = state.switches.firstIndex(where: { $0.key == changed.key }) { state.switches[index] = changed }
        state.flash = Flash(text: "\(changed.key) is now \(changed.enabled ? "ON" : "OFF") (confirmed by the server, revision \(changed.revision))",
                            isError: false, shownAt: state.now)
        return [.refresh]
    case .switchConflict(let current):
        guard case .setSwitch(_, _, let enabled) = dialog.action else { return [] }
        if let current {
            if let index = state.switches.firstIndex(where: { $0.key == current.key }) { state.switches[index] = current }
            if current.enabled == enabled {
                state.dialog = nil
                state.flash = Flash(text: "\(current.key) was already turned \(enabled ? "ON" : "OFF") by \(current.updatedBy); nothing sent again",
                                    isError: false, shownAt: state.now)
                return [.refresh]
            }
            dialog.ifMatch = current.etag
            dialog.lines.insert("Changed meanwhile by \(current.updatedBy): it is \(current.enabled ? "ON" : "OFF") now.", at: 0)
        }
        // A new request on the new state: a new key, so it is not taken for a replay.
        dialog.idempotencyKey = UUID().uuidString
        dialog.phase = .failed("someone else changed it first; check the new state, then Enter to apply or Esc")
        state.dialog = dialog
        return [.refresh]
    case .failed(let reason):
        dialog.phase = .failed(reason + " — Enter retries (applied at most once), Esc gives up")
        state.dialog = dialog
        return []
    }
}

/// Space or Enter on a switch: ask to flip it.
func askToFlipSwitch(_ state: inout ConsoleState) -> [Effect] {
    let index = state.selection[.switches] ?? 0
    guard let app = state.appID, state.switches.indices.contains(index) else { return [] }
    guard !state.readOnly else {
        state.flash = Flash(text: "read-only console (--readonly): changes are not possible here", isError: true, shownAt: state.now)
        return []
    }
    let item = state.switches[index]
    let enable = !item.enabled
    let what = item.kind == .circuitBreaker ? "circuit breaker" : "kill switch"
    let title = "Turn \(enable ? "ON" : "OFF") \(what) \(item.key) of \(app)"
    var lines = [item.description, "Applies to: \(scopeText(item.scope))."]
    switch (item.kind, enable) {
    case (.circuitBreaker, false): lines.append("Calls to \(item.key) will fail fast on those devices until it is closed again.")
    case (.circuitBreaker, true): lines.append("Traffic to \(item.key) flows again on those devices.")
    case (.killSwitch, false): lines.append("The feature turns off on those devices at their next check.")
    case (.killSwitch, true): lines.append("The feature turns back on on those devices at their next check.")
    }
    lines.append("Last changed by \(item.updatedBy), \(timestamp(item.updatedAt, now: state.now)).")
    state.dialog = ActionDialog(action: .setSwitch(app: app, key: item.key, enabled: enable), title: title, lines: lines, ifMatch: item.etag)
    return []
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
    parts.append(scope.percent >= 100 ? "all devices" : "\(percentText(scope.percent)) of devices")
    return parts.joined(separator: " · ")
}

func percentText(_ value: Double) -> String {
    value == value.rounded() ? "\(Int(value))%" : String(format: "%.2f%%", value)
}

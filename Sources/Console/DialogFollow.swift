import Foundation
import PlatformModel

// Other operators: a dialog stays open while the person types a reason, and meanwhile
// someone else may change its target. Each read of the cache brings the target as it is
// now; when it changed, the dialog says who changed it, to what and why (from the audit
// log), recomputes what the change would do from the new state, and takes the new ETag.
// A change that no longer means what the person chose (a raise that would now lower,
// a halt of a release already halted, a switch already turned) is not sent: the dialog
// says so and waits for Esc.

/// Brings an open dialog up to date with its target as the last read found it.
func followDialogTarget(_ state: inout ConsoleState) {
    guard let dialog = state.dialog, dialog.phase != .sending, !dialog.stale else { return }
    switch dialog.action {
    case .setSwitch(let app, let key, let enabled):
        guard let item = (state.lastSnapshot?.switches ?? state.switches).first(where: { $0.key == key && $0.app == app }),
              item.etag != dialog.ifMatch else { return }
        let who = changedBy(target: "\(app)/switches/\(key)", state, fallback: item.updatedBy)
        guard item.enabled != enabled else {
            return stale(dialog, "\(who) already made \(key) \(switchState(item.kind, enabled: enabled))\(reasonText(target: "\(app)/switches/\(key)", state)).",
                         "nothing left to do: Esc closes", &state)
        }
        var updated = flipDialog(item, app: app, state)
        updated.lines.insert("Changed meanwhile by \(who)\(reasonText(target: "\(app)/switches/\(key)", state)): it is \(switchState(item.kind, enabled: item.enabled)) now.", at: 0)
        keepTyping(dialog, into: &updated)
        state.dialog = updated
    case .setGray(let app, let version, _), .setStage(let app, let version, _), .release(let app, let version, _):
        guard let release = (state.lastSnapshot?.releases ?? state.releases).first(where: { $0.version == version && $0.app == app }),
              release.etag != dialog.ifMatch else { return }
        let target = "\(app)/\(version)"
        let who = changedBy(target: target, state, fallback: "someone")
        let now = "\(release.stage.rawValue.replacingOccurrences(of: "_", with: " ")) at \(percentText(release.grayPercent))"
        let change = "\(who) changed \(version) to \(now)\(reasonText(target: target, state))"
        // What the person chose must still mean the same from the new state.
        switch dialog.action {
        case .setGray(_, _, let percent):
            let wasRaise = dialog.title.hasPrefix("Raise")
            guard release.stage == .gray, percent != release.grayPercent, (percent > release.grayPercent) == wasRaise else {
                return stale(dialog, "Changed meanwhile: \(change).",
                             "\(percentText(percent)) would no longer be a \(wasRaise ? "raise" : "lower"): not sent; Esc, then choose again", &state)
            }
        case .release(_, _, let command):
            let still = switch command {
            case .halt: release.stage.canHalt
            case .resume: release.stage.canResume
            case .rollback: release.stage.canRollBack
            }
            guard still else {
                return stale(dialog, "Changed meanwhile: \(change).",
                             "it cannot be \(command == .rollback ? "rolled back" : command.rawValue + "d") now: not sent; Esc closes", &state)
            }
        case .setStage(_, _, let stage):
            guard nextStage(of: release) == stage else {
                return stale(dialog, "Changed meanwhile: \(change).", "it cannot be advanced to \(stage.rawValue) now: not sent; Esc closes", &state)
            }
        case .setSwitch, .acknowledge, .triage:
            break
        }
        let reason = dialog.reason
        var scratch = state
        _ = ask(dialog.action, for: release, &scratch)
        guard var updated = scratch.dialog else { return }
        updated.lines.insert("Changed meanwhile: \(change).", at: 0)
        updated.reason = reason
        keepTyping(dialog, into: &updated)
        state.dialog = updated
    case .triage(let app, let fingerprint, let triage):
        guard let issue = (state.lastSnapshot?.crashIssues ?? state.crashIssues).first(where: { $0.fingerprint == fingerprint && $0.app == app }),
              issue.revision != nil, issue.etag != dialog.ifMatch else { return }
        let target = "\(app)/issues/\(fingerprint)"
        let change = "\(changedBy(target: target, state, fallback: "someone")) made it \(triageStatusText(issue, now: state.now))\(reasonText(target: target, state))"
        guard triageAllowed(triage, on: issue) else {
            return stale(dialog, "Changed meanwhile: \(change).", "nothing left to do: Esc closes", &state)
        }
        var updated = dialog
        updated.ifMatch = issue.etag
        updated.lines.insert("Changed meanwhile: \(change).", at: 0)
        keepTyping(dialog, into: &updated)
        state.dialog = updated
    case .acknowledge:
        return
    }
}

/// The newest audit entry's actor for `target`, with their role.
func changedBy(target: String, _ state: ConsoleState, fallback: String) -> String {
    guard let entry = (state.lastSnapshot?.audit ?? state.audit).first(where: { $0.target == target }) else { return fallback }
    return entry.actor == "system" ? "the platform (\(entry.action.rawValue))" : "\(entry.actor) (\(entry.role))"
}

/// ": why", from the newest audit entry for `target`.
func reasonText(target: String, _ state: ConsoleState) -> String {
    guard let entry = (state.lastSnapshot?.audit ?? state.audit).first(where: { $0.target == target }), !entry.reason.isEmpty else { return "" }
    return " (\"\(entry.reason)\")"
}

/// The reason typed so far stays; a new target state is a new request (new key), and
/// a confirmation of worse vitals is asked for again.
private func keepTyping(_ old: ActionDialog, into new: inout ActionDialog) {
    new.reason = old.reason
    if case .failed = old.phase { new.phase = .editing }
}

/// The dialog stays to say what happened and why it will not send; only Esc closes it.
private func stale(_ dialog: ActionDialog, _ change: String, _ why: String, _ state: inout ConsoleState) {
    var dialog = dialog
    dialog.stale = true
    dialog.lines.insert(change, at: 0)
    dialog.phase = .failed(why)
    state.dialog = dialog
}

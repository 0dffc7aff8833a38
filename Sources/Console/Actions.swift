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
        guard !dialog.stale else { return [] }  // the dialog says why; Esc closes
        let reason = dialog.reason.trimmingCharacters(in: .whitespaces)
        guard !reason.isEmpty else {
            dialog.phase = .failed("a reason is required: type why, then Enter")
            state.dialog = dialog
            return []
        }
        dialog.reason = reason
        // Worse vitals: said plainly, and a second, explicit Enter to go ahead.
        if dialog.worse != nil && !dialog.confirmedWorse {
            dialog.confirmedWorse = true
            state.dialog = dialog
            return []
        }
        dialog.phase = .sending
        state.dialog = dialog
        return [.perform(dialog)]
    case .tab where !dialog.choices.isEmpty, .backTab where !dialog.choices.isEmpty:
        let count = dialog.choices.count
        dialog.choice = (dialog.choice + (key == .tab ? 1 : count - 1)) % count
        dialog.action = dialog.choices[dialog.choice].action
        if case .failed = dialog.phase { dialog.phase = .editing }
    default:
        // A changed reason is a new answer: worse vitals are confirmed afresh.
        if editLine(&dialog.reason, key, limit: ActionDialog.maximumReasonLength) { dialog.confirmedWorse = false }
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
        state.flash = Flash(text: "\(changed.key) is now \(switchWord(changed.kind, enabled: changed.enabled)) (confirmed by the server, revision \(changed.revision)); "
                            + "devices take it at their next check",
                            isError: false, shownAt: state.now)
        state.outcome = ChangeOutcome(app: changed.app, change: .switchValue(key: changed.key, on: changed.enabled),
                                      summary: "\(changed.key) \(switchState(changed.kind, enabled: changed.enabled))", since: state.now)
        return [.refresh]
    case .switchConflict(let current):
        guard case .setSwitch(_, _, let enabled) = dialog.action else { return [] }
        if let current {
            if let index = state.switches.firstIndex(where: { $0.key == current.key }) { state.switches[index] = current }
            if current.enabled == enabled {
                state.dialog = nil
                state.flash = Flash(text: "\(current.key) was already made \(switchState(current.kind, enabled: enabled)) by \(current.updatedBy); nothing sent again",
                                    isError: false, shownAt: state.now)
                return [.refresh]
            }
            dialog.ifMatch = current.etag
            let target = "\(current.app)/switches/\(current.key)"
            dialog.lines.insert("Changed meanwhile by \(changedBy(target: target, state, fallback: current.updatedBy))\(reasonText(target: target, state)): "
                                + "it is \(switchState(current.kind, enabled: current.enabled)) now.", at: 0)
        }
        // A new request on the new state: a new key, so it is not taken for a replay.
        dialog.idempotencyKey = UUID().uuidString
        dialog.phase = .failed("someone else changed it first; check the new state, then Enter to apply or Esc")
        state.dialog = dialog
        return [.refresh]
    case .releaseChanged(let release):
        state.dialog = nil
        replace(release, in: &state)
        state.pendingGray[release.version] = nil
        state.flash = Flash(text: "\(release.version) is now \(release.stage.rawValue.replacingOccurrences(of: "_", with: " "))"
                            + (release.stage == .gray ? " at \(percentText(release.grayPercent))" : "")
                            + " (confirmed by the server, revision \(release.revision))", isError: false, shownAt: state.now)
        state.outcome = ChangeOutcome(app: release.app, change: .release(version: release.version),
                                      summary: "\(release.version) \(release.stage.rawValue.replacingOccurrences(of: "_", with: " "))"
                                          + (release.stage == .gray ? " at \(percentText(release.grayPercent))" : ""),
                                      since: state.now)
        return [.refresh]
    case .releaseConflict(let current):
        if let current {
            replace(current, in: &state)
            dialog.ifMatch = current.etag
            let target = "\(current.app)/\(current.version)"
            dialog.lines.insert("Changed meanwhile by \(changedBy(target: target, state, fallback: "someone else"))\(reasonText(target: target, state)): "
                                + "it is \(current.stage.rawValue.replacingOccurrences(of: "_", with: " ")) at \(percentText(current.grayPercent)) now "
                                + "(revision \(current.revision)).", at: 0)
        }
        dialog.idempotencyKey = UUID().uuidString
        dialog.phase = .failed("someone else changed it first; check the new state, then Enter to apply or Esc")
        state.dialog = dialog
        return [.refresh]
    case .alertAcknowledged(let alert):
        state.dialog = nil
        if let index = state.alerts.firstIndex(where: { $0.id == alert.id }) { state.alerts[index] = alert }
        state.flash = Flash(text: "alert \(alert.id) acknowledged by \(alert.acknowledgedBy ?? "you") (confirmed by the server)",
                            isError: false, shownAt: state.now)
        return [.refresh]
    case .issueChanged(let issue):
        state.dialog = nil
        if let index = state.crashIssues.firstIndex(where: { $0.fingerprint == issue.fingerprint }) {
            var shown = issue
            shown.trend = shown.trend ?? state.crashIssues[index].trend
            state.crashIssues[index] = shown
        }
        if case .issue(var detail) = state.overlay, detail.issue.fingerprint == issue.fingerprint {
            detail.issue.status = issue.status
            detail.issue.revision = issue.revision
            detail.issue.ignoredUntil = issue.ignoredUntil
            detail.issue.ignoredUntilCount = issue.ignoredUntilCount
            state.overlay = .issue(detail)
        }
        state.flash = Flash(text: "\(issue.shortExceptionType) is now \(triageStatusText(issue, now: state.now)) "
                            + "(confirmed by the server, revision \(issue.revision ?? 0))", isError: false, shownAt: state.now)
        return [.refresh]
    case .issueConflict(let current):
        if let current {
            if let index = state.crashIssues.firstIndex(where: { $0.fingerprint == current.fingerprint }) { state.crashIssues[index] = current }
            dialog.ifMatch = current.etag
            let target = "\(current.app)/issues/\(current.fingerprint)"
            dialog.lines.insert("Changed meanwhile by \(changedBy(target: target, state, fallback: "someone else"))\(reasonText(target: target, state)): "
                                + "it is \(triageStatusText(current, now: state.now)) now.", at: 0)
        }
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

private func replace(_ release: Release, in state: inout ConsoleState) {
    if let index = state.releases.firstIndex(where: { $0.version == release.version }) { state.releases[index] = release }
}

/// `H` halts, `R` resumes, `B` rolls back, `A` advances the stage: the same moves, each
/// through the dialog, from Rollouts, Releases and an issue.
func moveRelease(_ key: Key, _ release: Release, _ state: inout ConsoleState) -> [Effect] {
    let app = release.app
    switch key {
    case .character("H"):
        guard release.stage.canHalt else { return refuse("halt", release, &state) }
        return ask(.release(app: app, version: release.version, .halt), for: release, &state)
    case .character("R"):
        guard release.stage.canResume else { return refuse("resume", release, &state) }
        return ask(.release(app: app, version: release.version, .resume), for: release, &state)
    case .character("B"):
        guard release.stage.canRollBack else { return refuse("roll back", release, &state) }
        return ask(.release(app: app, version: release.version, .rollback), for: release, &state)
    case .character("A"):
        let next = nextStage(of: release)
        guard let next else { return refuse("advance", release, &state) }
        return ask(.setStage(app: app, version: release.version, stage: next), for: release, &state)
    default:
        return []
    }
}

/// Where `A` takes a release (`Release.advancedStage`).
func nextStage(of release: Release) -> ReleaseStage? {
    release.advancedStage
}

func refuse(_ verb: String, _ release: Release, _ state: inout ConsoleState) -> [Effect] {
    state.flash = Flash(text: "cannot \(verb) \(release.version): it is \(release.stage.rawValue.replacingOccurrences(of: "_", with: " "))",
                        isError: true, shownAt: state.now)
    return []
}

/// Opens the dialog for a release move, with what it does and to whom.
func ask(_ action: ActionDialog.Action, for release: Release, _ state: inout ConsoleState) -> [Effect] {
    if let refusal = state.releasesRefusal {
        state.flash = Flash(text: refusal, isError: true, shownAt: state.now)
        return []
    }
    let app = state.appID ?? release.app
    var lines: [String] = []
    var worse: String?
    let title: String
    switch action {
    case .setGray(_, _, let percent):
        let delta = percent - release.grayPercent
        title = "\(delta > 0 ? "Raise" : "Lower") the gray of \(app) \(release.version) from \(percentText(release.grayPercent)) to \(percentText(percent))"
        // Devices, when the health says how many are active; else a share of them.
        let more = delta > 0 ? " more" : ""
        let active = activeDevices(state)
        let who: String
        switch active.map({ Double($0) * abs(delta) / 100 }) {
        case let expected? where expected < 1: who = "Under one\(more) device, on average,"
        case let expected?: who = "About \(grouped(Int(expected.rounded())))\(more) \(Int(expected.rounded()) == 1 ? "device" : "devices")"
        case nil: who = "About \(percentText(abs(delta)))\(more) of \(app)'s devices"
        }
        lines.append(delta > 0 ? "\(who) will be offered \(release.version)." : "\(who) will no longer be offered \(release.version); installs stay.")
        if let active { lines.append("That is \(percentText(abs(delta))) of the \(count(active, "device")) of \(app) active in the last hour.") }
        if delta > 0 { lines.append("Every device already in stays in: buckets are stable, a raise only adds.") }
        if delta > 0 { worse = vitals(of: release, state, into: &lines) }
    case .setStage(_, _, let stage):
        title = "Advance \(app) \(release.version) from \(release.stage.rawValue) to \(stage.rawValue)"
        switch stage {
        case .full:
            let active = activeDevices(state).map { " (\(count($0, "device")) active in the last hour)" } ?? ""
            lines.append("Every device of \(app)\(active) will be offered \(release.version).")
        case .whitelist:
            let listed = release.targeting?.whitelist ?? []
            lines.append("Only the whitelisted devices will be offered it: \(listed.prefix(5).joined(separator: ", "))\(listed.count > 5 ? ", …" : "").")
        case .gray where release.stage == .draft:
            lines.append("It starts at 1% of the devices its rules match; ] walks the ladder (1, 2, 5, 10, 20, 50, 100 %).")
        default:
            lines.append("Devices in the gray percentage (now \(percentText(release.grayPercent))) will be offered it.")
        }
    case .release(_, _, let command):
        let running = devicesRunning(release.version, state).map { " (\(count($0, "device")) ran it in the last hour)" } ?? ""
        switch command {
        case .halt:
            title = "Halt \(app) \(release.version)"
            lines.append("No more devices will be offered it.")
            lines.append("Devices that installed it keep it\(running).")
        case .resume:
            title = "Resume \(app) \(release.version)"
            lines.append("Offers start again at \(percentText(release.grayPercent)).")
        case .rollback:
            title = "Roll back \(app) \(release.version)"
            lines.append("Devices on it are offered the previous full release\(running).")
            lines.append("A rollback cannot be resumed.")
        }
    case .setSwitch, .acknowledge, .triage:
        return []
    }
    lines.append("Now: \(release.stage.rawValue) at \(percentText(release.grayPercent)), revision \(release.revision).")
    var dialog = ActionDialog(action: action, title: title, lines: lines, ifMatch: release.etag)
    dialog.worse = worse
    state.dialog = dialog
    return []
}

/// The release's vitals over the last hour against the previous full release's, with
/// the sessions behind each, appended to `lines`; what is worse, in words, if anything
/// is (and both have enough sessions to say so).
private func vitals(of release: Release, _ state: ConsoleState, into lines: inout [String]) -> String? {
    guard let index = state.releases.firstIndex(where: { $0.version == release.version }) else { return nil }
    guard let health = state.health[release.version]?.total else {
        lines.append("Vitals: not read yet; the raise is blind to them.")
        return nil
    }
    guard let base = baselineRelease(for: index, in: state.releases), let baseline = state.health[base.version]?.total else {
        lines.append("Vitals: no previous full release to compare with.")
        return nil
    }
    func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0) } ?? "—" }
    lines.append("Vitals over the last hour, \(release.version) against \(base.version) (full), from \(grouped(health.sessions)) and \(grouped(baseline.sessions)) sessions:")
    var worse: [String] = []
    let enough = health.sessions >= minimumSessions && baseline.sessions >= minimumSessions
    for (name, value, baseValue, higherIsBetter) in [
        ("crash-free sessions", health.crashFreeSessions, baseline.crashFreeSessions, true),
        ("crash-free users", health.crashFreeUsers, baseline.crashFreeUsers, true),
        ("ANR rate", health.anrRate, baseline.anrRate, false),
    ] {
        var line = "  \(name) \(percent(value)) against \(percent(baseValue))"
        if enough, let value, let baseValue, abs(value - baseValue) > 0.1, (value < baseValue) == higherIsBetter {
            line += "  ▼ WORSE"
            worse.append("\(name) \(percent(value)) against \(percent(baseValue))")
        }
        lines.append(line)
    }
    if !enough { lines.append("  too few sessions to compare (fewer than \(minimumSessions) in one of them)") }
    return worse.isEmpty ? nil : "\(release.version) is doing worse than \(base.version): " + worse.joined(separator: ", ")
}

/// The app's devices with a session in the last hour, as the releases' health counts
/// them: what a gray percentage is a share of. nil before the health is cached.
private func activeDevices(_ state: ConsoleState) -> Int? {
    state.health.values.compactMap(\.total.appDevices).max()
}

/// Devices that ran a release in the last hour.
private func devicesRunning(_ version: String, _ state: ConsoleState) -> Int? {
    state.health[version]?.total.devices
}

/// The one way a gray or scope percentage is written ("5%", "7.5%", "0.25%").
func percentText(_ value: Double) -> String {
    PercentText.of(value)
}

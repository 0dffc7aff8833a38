import Foundation
import PlatformModel
import Sync
import TUI

// The Rollouts pane: each release in whitelist, gray or halted with a slider for its
// gray percentage; ← → move a pending percentage, Enter applies it, H/R/A/B move the
// release, each through the dialog with a reason. Drawn in `RolloutsView.swift`.

extension Pane {
    public static let rollouts = Pane(rawValue: "rollouts")
}

extension ListID {
    public static let rollouts = ListID(rawValue: "rollouts")
}

extension PaneUnit {
    static let rollouts = PaneUnit(
        .rollouts, title: "Rollouts", key: "3", data: [.releases, .audit, .health, .reach],
        read: { read, _ in
            // Rollouts count the devices a change reaches from health, and say which
            // halts were the guardrail's from the audit log.
            read.health = true
            read.reach = true
            read.auditLimit = max(read.auditLimit, 200)
        },
        list: { state in PaneList(id: .rollouts, count: state.rollouts.count, filterable: false) },
        keys: rolloutsKeys,
        draw: { state, theme, canvas, area, hits in drawRollouts(state, theme: theme, into: &canvas, area: area, hits: &hits) },
        click: { hit, x, state in
            guard case .slider(let index, let track) = hit else { return [] }
            state.selection[.rollouts] = index
            let rollouts = state.rollouts
            guard rollouts.indices.contains(index) else { return [] }
            let release = rollouts[index]
            // Where on the track is the percentage.
            let percent = min(100, max(0.01, ((Double(x - track.x) + 1) / Double(track.width) * 100 * 100).rounded() / 100))
            state.pendingGray[release.version] = percent == release.grayPercent ? nil : percent
            return []
        })
}

/// The gray percentages release managers step through (Play Console's staged rollout
/// and most teams' runbooks): `]`/`+` go to the next one up, `[`/`-` to the next down.
public let grayLadder: [Double] = [1, 2, 5, 10, 20, 50, 100]

/// The next rung of `grayLadder` above (`up`) or below `current`, nil past either end.
func nextRung(from current: Double, up: Bool) -> Double? {
    up ? grayLadder.first { $0 > current + 0.000_1 } : grayLadder.last { $0 < current - 0.000_1 }
}

/// ← → move by one point, or by 0.1 below 1 %, where a point is a large share.
func fineStep(from current: Double, up: Bool) -> Double {
    let step = (up ? current < 1 : current <= 1) ? 0.1 : 1
    return min(100, max(0.1, ((current + (up ? step : -step)) * 100).rounded() / 100))
}

private func rolloutsKeys(_ state: ConsoleState) -> [KeyAction] {
    let rollout: (Key, inout ConsoleState) -> [Effect] = { key, state in handleRollouts(key, &state) ?? [] }
    return [
        KeyAction([.left, .right, .character("h"), .character("l")], short: "←→", names: "← → (h l)", hint: "gray %",
                  help: "move the pending gray percentage by 1 point (0.1 below 1 %)", permission: .changesReleases, run: rollout),
        KeyAction([.character("["), .character("]"), .character("-"), .character("+")], short: nil, names: "[ ] (- +)", hint: "ladder",
                  help: "down or up the gray ladder: 1, 2, 5, 10, 20, 50, 100 %", permission: .changesReleases, run: rollout),
        KeyAction([.character("=")], short: "=", hint: "type %", help: "type an exact gray percentage (opens :gray; e.g. = 7.5 Enter)",
                  permission: .changesReleases) { _, state in
            var palette = Palette()
            palette.text = "gray "
            state.palette = palette
            return []
        },
        KeyAction([.enter], short: "Enter", hint: "apply", help: "apply the pending percentage (asks why)", permission: .changesReleases, run: rollout),
        KeyAction([.escape], short: nil, hint: "reset", help: "forget the pending percentage", permission: .changesReleases, run: rollout),
        KeyAction([.character("H"), .character("R"), .character("A"), .character("B")], short: "H/R/A/B", names: "H R A B",
                  hint: "move", help: "halt, resume, advance the stage, roll back (asks why)", permission: .changesReleases, run: rollout),
    ]
}

/// Keys of the Rollouts pane: move the pending percentage, choose the step, and the
/// release moves (each through the dialog).
func handleRollouts(_ key: Key, _ state: inout ConsoleState) -> [Effect]? {
    let rollouts = state.rollouts
    let index = state.selection[.rollouts] ?? 0
    guard rollouts.indices.contains(index), let app = state.appID else { return nil }
    let release = rollouts[index]
    switch key {
    case .left, .character("h"), .right, .character("l"), .character("["), .character("]"), .character("-"), .character("+"):
        guard release.stage == .gray else {
            state.flash = Flash(text: "\(release.version) is \(release.stage.rawValue): only a gray release has a percentage to move", isError: true, shownAt: state.now)
            return []
        }
        let up = [.right, .character("l"), .character("]"), .character("+")].contains(key)
        let current = state.pendingGray[release.version] ?? release.grayPercent
        let next: Double
        if [.left, .character("h"), .right, .character("l")].contains(key) {
            next = fineStep(from: current, up: up)
        } else if let rung = nextRung(from: current, up: up) {
            next = rung
        } else {
            state.flash = Flash(text: up ? "100% is the top of the ladder" : "1% is the ladder's lowest rung: ← for finer steps", isError: false, shownAt: state.now)
            return []
        }
        state.pendingGray[release.version] = next == release.grayPercent ? nil : next
        return []
    case .escape:
        state.pendingGray[release.version] = nil
        return []
    case .enter:
        guard let pending = state.pendingGray[release.version], pending != release.grayPercent else {
            state.flash = Flash(text: "move the percentage first: [ ] the ladder, ← → by a point", isError: false, shownAt: state.now)
            return []
        }
        return ask(.setGray(app: app, version: release.version, percent: pending), for: release, &state)
    case .character("H"), .character("R"), .character("B"), .character("A"):
        return moveRelease(key, release, &state)
    default:
        return nil
    }
}

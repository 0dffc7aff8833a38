import Foundation
import PlatformModel
import TUI

// Clicks and the wheel, mapped to what `view` drew at that cell: tabs, list rows, a
// breaker's toggle, a rollout's slider. The layout facts here mirror `view`.

func handleMouse(x: Int, y: Int, _ button: MouseButton, _ state: inout ConsoleState) -> [Effect] {
    // A dialog, the palette and a filter being typed take keys only.
    guard state.dialog == nil, state.palette == nil, state.filterEditing == nil, !state.showHelp else { return [] }
    if state.overlay != nil {
        switch button {
        case .wheelDown: return handle(.down, &state)
        case .wheelUp: return handle(.up, &state)
        case .left: return []
        }
    }
    switch button {
    case .wheelDown: return handle(.down, &state) + handle(.down, &state) + handle(.down, &state)
    case .wheelUp: return handle(.up, &state) + handle(.up, &state) + handle(.up, &state)
    case .left: break
    }
    if y == 1 {
        var scratch = Canvas(size: Size(width: state.size.width, height: 1))
        let ranges = Tabs(titles: Pane.allCases.map { "\($0.rawValue + 1) \($0.title)" }, active: state.pane.rawValue, style: Style(), activeStyle: Style())
            .render(into: &scratch, area: Rect(x: 0, y: 0, width: state.size.width, height: 1))
        if let index = ranges.firstIndex(where: { $0.contains(x) }) { state.pane = Pane(rawValue: index)! }
        return []
    }
    if state.pane == .rollouts { return clickRollout(x: x, y: y, &state) }
    guard let list = state.activeList, let (firstRow, visible) = listRows(state, list) else { return [] }
    let count = state.count(of: list)
    let selected = state.selection[list] ?? 0
    let offset = Table.scrollOffset(selected: selected, rowCount: count, visible: visible)
    let index = offset + (y - firstRow)
    guard y >= firstRow, y < firstRow + visible, index < count else { return [] }
    if state.pane == .funnels && x >= (state.size.width >= 120 ? 26 : 18) { return [] }
    state.selection[list] = index
    // The toggle cell flips a breaker; a second click on a selected row opens it.
    if state.pane == .breakers && x >= 1 && x < 13 { return askToFlipSwitch(&state) }
    if index == selected && (state.pane == .crashes || state.pane == .breakers) { return handle(.enter, &state) }
    return []
}

/// The screen row of a list's first item and how many rows it shows, as `view` draws it.
private func listRows(_ state: ConsoleState, _ list: ListID) -> (Int, Int)? {
    let bodyTop = 2, bodyHeight = state.size.height - 4
    switch list {
    case .releases:
        let detail = bodyHeight >= state.releases.count + 1 + 5 + 1 || bodyHeight >= 16
        return (bodyTop + 1, (detail ? bodyHeight - 5 : bodyHeight) - 1)
    case .crashEvents, .crashIssues:
        return (bodyTop + 2, bodyHeight - 2)
    case .switches, .audit, .funnels:
        return (bodyTop + 1, bodyHeight - 1)
    case .rollouts:
        return nil
    }
}

/// A click on a release's name line selects it; on its slider, also sets the pending
/// percentage under the pointer.
private func clickRollout(x: Int, y: Int, _ state: inout ConsoleState) -> [Effect] {
    let rollouts = state.rollouts
    let bodyTop = 2, bodyHeight = state.size.height - 4
    let fits = max(1, (bodyHeight - 2) / 3)
    let selected = state.selection[.rollouts] ?? 0
    let first = min(max(0, selected - fits + 1), max(0, rollouts.count - fits))
    let relative = y - (bodyTop + 2)
    guard relative >= 0, relative % 3 < 2 else { return [] }
    let index = first + relative / 3
    guard index < rollouts.count, relative / 3 < fits else { return [] }
    state.selection[.rollouts] = index
    let release = rollouts[index]
    guard relative % 3 == 1, release.stage == .gray else { return [] }
    let trackStart = 1 + 3
    let trackWidth = max(10, (state.size.width - 2) - 34 - 6)
    let cell = x - trackStart
    guard cell >= 0, cell < trackWidth else { return [] }
    let percent = min(100, max(0.01, ((Double(cell) + 1) / Double(trackWidth) * 100 * 100).rounded() / 100))
    state.pendingGray[release.version] = percent == release.grayPercent ? nil : percent
    return []
}

import Foundation
import TUI

// Clicks and the wheel. The runtime looks each click up in the hit map of the frame on
// screen (what `view` drew there) and sends `.pointer`; nothing here knows the layout.

func handlePointer(_ button: MouseButton, on hit: Hit?, x: Int, _ state: inout ConsoleState) -> [Effect] {
    // A dialog, the palette, a filter being typed and help take keys only.
    guard state.dialog == nil, state.palette == nil, state.filterEditing == nil, !state.showHelp else { return [] }
    if state.overlay != nil {
        switch button {
        case .wheelDown: state.overlayScroll += 1
        case .wheelUp: state.overlayScroll = max(0, state.overlayScroll - 1)
        case .left: break
        }
        return []
    }
    switch button {
    case .wheelDown, .wheelUp:
        for _ in 0..<3 { moveSelection(button == .wheelDown ? .down : .up, &state) }
        return []
    case .left:
        break
    }
    switch hit {
    case .tab(let pane):
        state.pane = pane
    case .row(let list, let index):
        let selected = state.selection[list]
        state.selection[list] = index
        // A second click on a selected row opens it (a crash) or flips it (a breaker).
        if index == selected && (list == .crashEvents || list == .crashIssues || list == .switches) { return dispatch(.enter, &state) ?? [] }
    case .toggle(let index):
        state.selection[.switches] = index
        return dispatch(.enter, &state) ?? []
    case .slider(let index, let track):
        state.selection[.rollouts] = index
        let rollouts = state.rollouts
        guard rollouts.indices.contains(index) else { return [] }
        let release = rollouts[index]
        let percent = min(100, max(0.01, ((Double(x - track.x) + 1) / Double(track.width) * 100 * 100).rounded() / 100))
        state.pendingGray[release.version] = percent == release.grayPercent ? nil : percent
    case nil:
        break
    }
    return []
}

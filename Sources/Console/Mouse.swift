import Foundation
import TUI

// Clicks and the wheel. The runtime looks each click up in the hit map of the frame on
// screen (what `view` drew there) and sends `.pointer`; nothing here knows the layout.

func handlePointer(_ button: MouseButton, on hit: Hit?, x: Int, _ state: inout ConsoleState) -> [Effect] {
    // A dialog, a form, the palette, a filter being typed or picked and help take keys only.
    guard state.dialog == nil, state.form == nil, state.palette == nil, state.filterEditing == nil, state.crashFilterPicker == nil,
          state.auditFilterPicker == nil,
          !state.showHelp else { return [] }
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
        if index == selected, let shown = state.unit.list(state), shown.id == list, shown.secondClickOpens { return dispatch(.enter, &state) ?? [] }
    case let hit?:
        return state.unit.click(hit, x, &state)
    case nil:
        break
    }
    return []
}

import Foundation
import PlatformModel
import Sync
import TUI

/// The console's logic: a pure function from a state and a message to the next state
/// and the effects to run. No I/O here, so every key can be tested headless.
public func update(_ state: inout ConsoleState, _ message: Message) -> [Effect] {
    switch message {
    case .tick(let now):
        state.now = now
        if let flash = state.flash, now.timeIntervalSince(flash.shownAt) > Flash.lifetime { state.flash = nil }
        return []
    case .resized(let size):
        state.pageSize = max(1, size.height - 6)
        return []
    case .notice(let text, let isError):
        state.flash = Flash(text: text, isError: isError, shownAt: state.now)
        return []
    case .dataChanged(let snapshot, let status):
        return apply(snapshot, status, to: &state)
    case .key(let key):
        return handle(key, &state)
    }
}

private func apply(_ snapshot: CacheSnapshot, _ status: SyncStatus, to state: inout ConsoleState) -> [Effect] {
    let wasOnline = state.sync.connection == .online
    state.sync = status
    state.lastFetched = snapshot.lastFetched
    state.apps = snapshot.apps
    if !wasOnline, status.connection == .online, state.flash?.isError == true { state.flash = nil }
    if snapshot.releasesApp == state.appID {
        let selectedVersion = state.releases.indices.contains(state.selected) ? state.releases[state.selected].version : nil
        state.releases = snapshot.releases
        if let selectedVersion, let index = state.releases.firstIndex(where: { $0.version == selectedVersion }) {
            state.selected = index
        }
    }
    state.selected = max(0, min(state.selected, state.releases.count - 1))
    // No app chosen yet, or the chosen one is gone: take the first the server lists.
    if let first = snapshot.apps.first, state.app == nil {
        state.appID = first.id
        state.releases = []
        state.selected = 0
        return [.focus(app: first.id)]
    }
    return []
}

private func handle(_ key: Key, _ state: inout ConsoleState) -> [Effect] {
    if state.showHelp {
        // Help is modal: any key closes it; q still quits.
        state.showHelp = false
        return key == .character("q") || key == .control("c") ? [.quit] : []
    }
    switch key {
    case .character("q"), .control("c"):
        return [.quit]
    case .character("?"):
        state.showHelp = true
    case .control("r"):
        state.flash = Flash(text: "refreshing from \(state.server)…", isError: false, shownAt: state.now)
        return [.refresh]
    case .control("l"):
        return [.redrawAll]
    case .character(let c) where ("1"..."6").contains(c):
        state.pane = Pane(rawValue: Int(String(c))! - 1)!
    case .tab:
        state.pane = Pane(rawValue: (state.pane.rawValue + 1) % Pane.allCases.count)!
    case .backTab:
        state.pane = Pane(rawValue: (state.pane.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!
    case .character("a"), .character("A"):
        return switchApp(by: key == .character("a") ? 1 : -1, &state)
    case .down, .character("j"):
        moveSelection(to: state.selected + 1, &state)
    case .up, .character("k"):
        moveSelection(to: state.selected - 1, &state)
    case .pageDown:
        moveSelection(to: state.selected + state.pageSize, &state)
    case .pageUp:
        moveSelection(to: state.selected - state.pageSize, &state)
    case .home, .character("g"):
        moveSelection(to: 0, &state)
    case .end, .character("G"):
        moveSelection(to: state.releases.count - 1, &state)
    default:
        break
    }
    return []
}

private func moveSelection(to index: Int, _ state: inout ConsoleState) {
    guard state.pane == .releases, !state.releases.isEmpty else { return }
    state.selected = max(0, min(index, state.releases.count - 1))
}

private func switchApp(by step: Int, _ state: inout ConsoleState) -> [Effect] {
    guard !state.apps.isEmpty else { return [] }
    let current = state.apps.firstIndex { $0.id == state.appID } ?? 0
    let next = state.apps[(current + step + state.apps.count) % state.apps.count]
    guard next.id != state.appID else { return [] }
    state.appID = next.id
    state.releases = []
    state.selected = 0
    return [.focus(app: next.id)]
}

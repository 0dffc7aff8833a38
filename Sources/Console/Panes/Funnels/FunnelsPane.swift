import Foundation
import PlatformModel
import Sync
import TUI

// The Funnels pane: the app's funnels, each step's conversion, drop-off and time, the
// two busiest releases side by side. Reports are computed by the server and fetched on
// demand (when the pane opens, for another app or funnel, on refresh), never cached.
// Drawn in `FunnelsView.swift`.

extension Pane {
    public static let funnels = Pane(rawValue: "funnels")
}

extension ListID {
    public static let funnels = ListID(rawValue: "funnels")
}

extension PaneUnit {
    static let funnels = PaneUnit(
        .funnels, title: "Funnels", key: "5",
        list: { state in PaneList(id: .funnels, count: state.funnels.definitions.count, filterable: false) },
        keys: { _ in
            let funnel: (Key, inout ConsoleState) -> [Effect] = { key, state in handleFunnels(key, &state) ?? [] }
            return [KeyAction([.character("t")], short: "t", hint: "range", help: "time range: hour, day, week", run: funnel),
                    KeyAction([.character("c")], short: "c", hint: "compare", help: "the two busiest releases side by side, step by step", run: funnel),
                    KeyAction([.character("n")], short: "n", hint: "new", help: "define a funnel: ordered steps, window, counted by device or user",
                              permission: .editsFunnels) { _, state in openNewFunnelForm(&state) },
                    KeyAction([.character("e")], short: "e", hint: "edit", help: "edit the funnel's name, steps, window and what it counts",
                              permission: .editsFunnels) { _, state in
                        let index = state.selection[.funnels] ?? 0
                        guard state.funnels.definitions.indices.contains(index) else { return [] }
                        return openEditFunnelForm(state.funnels.definitions[index], &state)
                    }]
        },
        draw: { state, theme, canvas, area, hits in drawFunnels(state, theme: theme, into: &canvas, area: area, hits: &hits) },
        afterInput: { before, state, effects in
            guard state.pane == .funnels else { return [] }
            if before.pane != .funnels || before.appID != state.appID { return openFunnels(&state) }
            if before.selection[.funnels] != state.selection[.funnels] || effects.contains(.refresh) { return loadReport(&state) }
            return []
        })
}

/// The Funnels pane's state, kept per app.
private enum FunnelsState: PaneStateKey {
    static var initial: FunnelsView { FunnelsView() }
}

extension ConsoleState {
    public var funnels: FunnelsView {
        get { appData.panes[FunnelsState.self] }
        set { appData.panes[FunnelsState.self] = newValue }
    }
}

/// The time ranges a funnel report covers; `t` cycles them.
public enum FunnelRange: Int, CaseIterable, Sendable {
    case hour, day, week

    public var seconds: TimeInterval {
        switch self {
        case .hour: 3600
        case .day: 86_400
        case .week: 7 * 86_400
        }
    }

    public var title: String {
        switch self {
        case .hour: "last hour"
        case .day: "last 24 h"
        case .week: "last 7 days"
        }
    }
}

/// The Funnels pane's data: fetched on demand, not cached (reports are computed).
public struct FunnelsView: Sendable, Equatable {
    public var definitions: [FunnelDefinition] = []
    public var range: FunnelRange = .day
    /// Two releases side by side.
    public var compare = true
    public var report: FunnelReport?
    public var loading = false
    public var error: String?
    public var fetchedAt: Date?

    public init() {}
}

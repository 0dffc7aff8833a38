import Foundation
import Sync
import TUI

// A pane is one unit: its title and key, what it reads from the cache and asks Sync to
// fetch, the list its arrows move, its keys, how it draws (with what a click hits) and
// what it does after a key. Each lives in its folder under `Panes/`; `PaneUnit.registry`
// lists them in tab order. The runtime, the key table, the view, the mouse and the
// palette know panes only through this.

/// A pane's identity: what `state.pane` holds, and what a tab click names.
public struct Pane: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// The list a pane's arrow keys move through.
struct PaneList {
    var id: ListID
    /// Items on screen (after the `/` filter).
    var count: Int
    /// `/` filters it.
    var filterable = true
    /// A second click on the selected row runs the pane's Enter (opens a crash, flips a breaker).
    var secondClickOpens = false
}

/// Everything one pane is.
public struct PaneUnit: Sendable {
    public let pane: Pane
    public let title: String
    /// The key that brings it up, also shown on its tab.
    public let key: Character
    /// The kinds of cached data it shows: what Sync fetches first and most often.
    public let data: Set<DataKind>
    /// Adds what it shows to the cache read.
    let read: @Sendable (inout CacheRead, ConsoleState) -> Void
    let list: @Sendable (ConsoleState) -> PaneList?
    /// Its own keys, before the global ones (which give way to them).
    let keys: @Sendable (ConsoleState) -> [KeyAction]
    /// What its symbols and words mean, for `?` help (wrapped, never cut).
    let legend: [String]
    /// Keys it offers on every pane (the overview's `!`: the alerts, from anywhere).
    let everywhere: @Sendable (ConsoleState) -> [KeyAction]
    /// Takes what it shows from a cache snapshot read for the screen (its lists, kept
    /// through the `/` filter and with their selection).
    let show: @Sendable (CacheSnapshot, inout ConsoleState) -> Void
    /// Draws it into the body, adding what each clickable region stands for.
    let draw: @Sendable (ConsoleState, Theme, inout Canvas, Rect, inout HitMap<Hit>) -> Void
    /// A click on one of its own regions (a toggle, a slider); rows and tabs are common.
    let click: @Sendable (Hit, _ x: Int, inout ConsoleState) -> [Effect]
    /// After a key or click, given the state before it and the effects it asked for:
    /// what the pane needs then (the Funnels pane fetches when it opens or the app changes).
    let afterInput: @Sendable (_ before: ConsoleState, inout ConsoleState, _ effects: [Effect]) -> [Effect]

    init(_ pane: Pane, title: String, key: Character, data: Set<DataKind> = [],
         read: @escaping @Sendable (inout CacheRead, ConsoleState) -> Void = { _, _ in },
         list: @escaping @Sendable (ConsoleState) -> PaneList? = { _ in nil },
         keys: @escaping @Sendable (ConsoleState) -> [KeyAction] = { _ in [] },
         legend: [String] = [],
         everywhere: @escaping @Sendable (ConsoleState) -> [KeyAction] = { _ in [] },
         show: @escaping @Sendable (CacheSnapshot, inout ConsoleState) -> Void = { _, _ in },
         draw: @escaping @Sendable (ConsoleState, Theme, inout Canvas, Rect, inout HitMap<Hit>) -> Void,
         click: @escaping @Sendable (Hit, Int, inout ConsoleState) -> [Effect] = { _, _, _ in [] },
         afterInput: @escaping @Sendable (ConsoleState, inout ConsoleState, [Effect]) -> [Effect] = { _, _, _ in [] }) {
        self.pane = pane
        self.title = title
        self.key = key
        self.data = data
        self.read = read
        self.list = list
        self.keys = keys
        self.legend = legend
        self.everywhere = everywhere
        self.show = show
        self.draw = draw
        self.click = click
        self.afterInput = afterInput
    }
}

extension PaneUnit {
    /// The console's panes, in tab order. Adding a pane: its folder, and a line here.
    public static let registry: [PaneUnit] = [
        .overview,
        .releases,
        .crashes,
        .rollouts,
        .breakers,
        .funnels,
        .audit,
    ]
}

extension ConsoleState {
    /// The unit on screen (the first, should `pane` name none of this console's).
    var unit: PaneUnit {
        panes.first { $0.pane == pane } ?? panes[0]
    }

    func unit(_ pane: Pane) -> PaneUnit? {
        panes.first { $0.pane == pane }
    }
}

// MARK: - State a pane keeps

/// A piece of state one pane keeps per app, declared in the pane's folder: a new pane
/// with state adds a key there, not a field to `AppData`.
protocol PaneStateKey {
    associatedtype Value: Sendable
    static var initial: Value { get }
}

/// The panes' own state, by key; a key never set reads as its initial value.
struct PaneStore: Sendable {
    private var values: [ObjectIdentifier: any Sendable] = [:]

    subscript<Key: PaneStateKey>(_ key: Key.Type) -> Key.Value {
        get { values[ObjectIdentifier(key)] as? Key.Value ?? Key.initial }
        set { values[ObjectIdentifier(key)] = newValue }
    }
}

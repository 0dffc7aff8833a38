import Cache
import PlatformModel
import TUI

// The Crashes pane's filter by release, kind and OS: `f` opens a small picker whose
// changes apply at once, so a person sees the list narrow while choosing. The `/` text
// filter still applies on top of it.

/// The open picker: which row is chosen, and the filter to go back to on Esc.
public struct CrashFilterPicker: Sendable, Equatable {
    public enum Row: Int, CaseIterable, Sendable {
        case release, kind, os

        var title: String {
            switch self {
            case .release: "Release"
            case .kind: "Kind"
            case .os: "OS"
            }
        }
    }

    public var row: Row = .release
    public var before: CrashEventFilter
}

/// The values a row offers, "all" (nil) first: releases the app has or that crashed, newest
/// first; both kinds; every platform.
func choices(for row: CrashFilterPicker.Row, _ state: ConsoleState) -> [String?] {
    switch row {
    case .release:
        let snapshot = state.lastSnapshot
        var versions = Set((snapshot?.releases ?? state.releases).map(\.version))
        versions.formUnion((snapshot?.crashEvents ?? state.crashEvents).map(\.release))
        if let chosen = state.crashFilter.release { versions.insert(chosen) }
        return [nil] + versions.sorted { VersionOrder.isNewer($0, than: $1) }
    case .kind: return [nil] + CrashKind.allCases.map(\.rawValue)
    case .os: return [nil] + Platform.allCases.map(\.rawValue)
    }
}

private func value(of row: CrashFilterPicker.Row, in filter: CrashEventFilter) -> String? {
    switch row {
    case .release: filter.release
    case .kind: filter.kind?.rawValue
    case .os: filter.os?.rawValue
    }
}

private func set(_ row: CrashFilterPicker.Row, to value: String?, in filter: inout CrashEventFilter) {
    switch row {
    case .release: filter.release = value
    case .kind: filter.kind = value.flatMap(CrashKind.init(rawValue:))
    case .os: filter.os = value.flatMap(Platform.init(rawValue:))
    }
}

func openCrashFilter(_ state: inout ConsoleState) {
    state.crashFilterPicker = CrashFilterPicker(before: state.crashFilter)
}

/// Keys while the picker is open.
func handleCrashFilterPicker(_ key: Key, _ state: inout ConsoleState) -> [Effect] {
    guard var picker = state.crashFilterPicker else { return [] }
    let snapshot = state
    let (filter, open, effects) = handleFacetPicker(
        key, row: &picker.row, rows: CrashFilterPicker.Row.allCases, filter: state.crashFilter, before: picker.before, empty: CrashEventFilter(),
        choices: { choices(for: $0, snapshot) }, value: value(of:in:), set: set)
    state.crashFilterPicker = open ? picker : nil
    applyCrashFilter(filter, &state)
    return effects
}

/// What a key does in a facet picker (the crash filter's, the audit filter's): ↑↓ (j k,
/// Tab) move between rows, ←→ (h l, space) cycle the row's value, x clears every facet,
/// Enter or f keeps, Esc goes back to the filter before the picker opened, q quits.
/// Returns the filter as it is now and whether the picker stays open.
func handleFacetPicker<Row: Equatable, Filter>(
    _ key: Key, row: inout Row, rows: [Row], filter: Filter, before: Filter, empty: Filter,
    choices: (Row) -> [String?], value: (Row, Filter) -> String?, set: (Row, String?, inout Filter) -> Void
) -> (filter: Filter, open: Bool, effects: [Effect]) {
    let index = rows.firstIndex(of: row) ?? 0
    var filter = filter
    switch key {
    case .up, .character("k"), .backTab: row = rows[(index + rows.count - 1) % rows.count]
    case .down, .character("j"), .tab: row = rows[(index + 1) % rows.count]
    case .left, .right, .character("h"), .character("l"), .character(" "):
        let options = choices(row)
        let current = options.firstIndex(of: value(row, filter)) ?? 0
        let step = (key == .left || key == .character("h")) ? options.count - 1 : 1
        set(row, options[(current + step) % options.count], &filter)
    case .character("x"): filter = empty
    case .enter, .character("f"): return (filter, false, [])
    case .escape: return (before, false, [])
    case .control("c"), .character("q"): return (filter, true, [.quit])
    default: break
    }
    return (filter, true, [])
}

/// Shows the lists as the new filter has them now; the next cache read brings the newest
/// matching events.
func applyCrashFilter(_ filter: CrashEventFilter, _ state: inout ConsoleState) {
    guard filter != state.crashFilter else { return }
    state.crashFilter = filter
    refilter(&state)
}

/// "5.3.0 · anr · android", or nil without a filter.
func crashFilterText(_ filter: CrashEventFilter) -> String? {
    let parts = [filter.release, filter.kind?.rawValue, filter.os.map(platformName)].compactMap { $0 }
    return parts.isEmpty ? nil : parts.joined(separator: " · ")
}

/// The crash filter's box: a row per facet with its value between arrows.
func drawCrashFilterPicker(_ picker: CrashFilterPicker, state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect) {
    let rows = CrashFilterPicker.Row.allCases.map { row in
        (row.title, value(of: row, in: state.crashFilter).map { row == .os ? platformName(Platform(rawValue: $0) ?? .android) : $0 } ?? "all",
         row == picker.row)
    }
    let note = state.crashView == .issues && state.crashFilter.os != nil ? "Issues carry no OS: it narrows the live events only." : nil
    drawFacetPicker("Filter crashes", rows: rows, note: note, theme: theme, into: &canvas, area: area)
}

/// A small box over a list: a row per facet ("Release ‹ 5.3.0 ›"), the chosen one
/// marked, an optional note, and the keys. The crash and audit filters both use it.
func drawFacetPicker(_ title: String, rows: [(title: String, value: String, chosen: Bool)], note: String?, theme: Theme,
                     into canvas: inout Canvas, area: Rect) {
    let width = min(area.width - 4, 56), height = rows.count + 5
    let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + max(0, (area.height - height) / 2), width: width, height: height)
    let style = theme.style(.header)
    let rule = theme.style(.muted).over(style)
    canvas.fill(box, style: style)
    canvas.put(String(repeating: "─", count: box.width), x: box.x, y: box.y, style: rule)
    canvas.put(" \(title) ", x: box.x + 2, y: box.y, style: theme.style(.accent).over(style).adding(.bold))
    for (offset, row) in rows.enumerated() {
        let y = box.y + 1 + offset
        canvas.put(row.chosen ? "▸ " : "  ", x: box.x + 2, y: y, style: theme.style(.accent).over(style))
        canvas.put(row.title, x: box.x + 4, y: y, style: row.chosen ? style.adding(.bold) : style)
        canvas.put("‹ \(row.value) ›", x: box.x + 14, y: y, maxWidth: box.width - 16, style: row.chosen ? theme.style(.tableSelected) : style)
    }
    if let note { canvas.put(note, x: box.x + 2, y: box.y + rows.count + 2, maxWidth: box.width - 4, style: rule) }
    canvas.put("↑↓ row · ←→ value · x clear · Enter keep · Esc undo", x: box.x + 2, y: box.y + rows.count + 3, maxWidth: box.width - 4, style: rule)
    canvas.put(String(repeating: "─", count: box.width), x: box.x, y: box.y + box.height - 1, style: rule)
}

import Foundation
import PlatformModel
import Sync
import TUI

// The Audit pane: every change made through the platform, newest first, with who made
// it, in what role, and why.

extension Pane {
    public static let audit = Pane(rawValue: "audit")
}

extension ListID {
    public static let audit = ListID(rawValue: "audit")
}

extension PaneUnit {
    static let audit = PaneUnit(
        .audit, title: "Audit", key: "6", data: [.audit],
        read: { read, _ in read.auditLimit = max(read.auditLimit, 1000) },
        list: { state in PaneList(id: .audit, count: state.audit.count, secondClickOpens: true) },
        keys: { _ in
            [KeyAction([.enter], short: "Enter", hint: "details", help: "the entry in full: before → after, reason, actor, role, key") { _, state in
                let index = state.selection[.audit] ?? 0
                guard state.audit.indices.contains(index) else { return [] }
                state.overlay = .auditEntry(id: state.audit[index].id)
                state.overlayScroll = 0
                return []
            },
             KeyAction([.character("f")], short: "f", hint: "app/actor/action/time", help: "filter by app, actor, action and time") { _, state in
                state.auditFilterPicker = AuditFilterPicker(before: state.auditFilter)
                return []
            }]
        },
        draw: { state, theme, canvas, area, hits in drawAudit(state, theme: theme, into: &canvas, area: area, hits: &hits) })
}

private func drawAudit(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    var inner = Rect(x: area.x + 1, y: area.y, width: area.width - 2, height: area.height)
    if let filter = state.auditFilter.text {
        // What the list is narrowed to, always in sight.
        canvas.put(spans: [Span("only ", style: theme.style(.muted)), Span(filter, style: theme.style(.accent).adding(.bold)),
                           Span("  (f changes it)", style: theme.style(.muted))], x: inner.x, y: inner.y, maxWidth: inner.width, base: theme.style(.base))
        inner = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1)
    }
    guard !state.audit.isEmpty else {
        let empty = state.auditFilter.text != nil || state.filters[.audit] != nil
            ? "No entries match the filter (f or / change it)." : "No changes in the audit log yet."
        drawEmpty(empty, theme: theme, into: &canvas, area: inner)
        return
    }
    // Narrow, the reason keeps its room: the time loses seconds, the actor its role
    // (both are in the detail, Enter).
    let wide = inner.width >= 110
    let columns = [
        Table.Column("WHEN", width: .length(wide ? 14 : 11)),
        Table.Column("ACTOR", width: .length(wide ? 20 : 12)),
        Table.Column("ACTION", width: .length(wide ? 18 : 16)),
        Table.Column("TARGET", width: .length(wide ? 30 : 16)),
        Table.Column("REASON", width: .fill(min: 12)),
    ]
    let (window, selected) = visibleWindow(count: state.audit.count, selected: state.selection[.audit] ?? 0, height: inner.height)
    let rows = state.audit[window].map { entry -> [Span] in
        [
            Span(LocalTime(entry.at).format(date: true, year: false, seconds: wide), style: theme.style(.muted)),
            Span(wide ? "\(entry.actor) (\(entry.role))" : entry.actor, style: entry.actor == "system" ? theme.style(.statusWarn) : nil),
            Span(entry.action.rawValue, style: Style(attributes: .bold)),
            Span(entry.target),
            Span(entry.reason),
        ]
    }
    let shown = Table(columns: columns, rows: rows, selected: selected, styles: tableStyles(theme)).render(into: &canvas, area: inner)
    hits.add(rows: shown, of: .audit, first: window.lowerBound)
}

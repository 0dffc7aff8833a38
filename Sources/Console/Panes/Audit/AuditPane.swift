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
        list: { state in PaneList(id: .audit, count: state.audit.count) },
        draw: { state, theme, canvas, area, hits in drawAudit(state, theme: theme, into: &canvas, area: area, hits: &hits) })
}

private func drawAudit(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    let inner = Rect(x: area.x + 1, y: area.y, width: area.width - 2, height: area.height)
    guard !state.audit.isEmpty else {
        drawEmpty("No changes in the audit log yet.", theme: theme, into: &canvas, area: inner)
        return
    }
    let columns = [
        Table.Column("WHEN", width: .length(14)),
        Table.Column("ACTOR", width: .length(20)),
        Table.Column("ACTION", width: .length(16)),
        Table.Column("TARGET", width: .length(30)),
        Table.Column("REASON", width: .fill(min: 12)),
    ]
    let (window, selected) = visibleWindow(count: state.audit.count, selected: state.selection[.audit] ?? 0, height: inner.height)
    let rows = state.audit[window].map { entry -> [Span] in
        [
            Span(LocalTime(entry.at).format(date: true, year: false, seconds: true), style: theme.style(.muted)),
            Span("\(entry.actor) (\(entry.role))", style: entry.actor == "system" ? theme.style(.statusWarn) : nil),
            Span(entry.action.rawValue, style: Style(attributes: .bold)),
            Span(entry.target),
            Span(entry.reason),
        ]
    }
    let shown = Table(columns: columns, rows: rows, selected: selected, styles: tableStyles(theme)).render(into: &canvas, area: inner)
    hits.add(rows: shown, of: .audit, first: window.lowerBound)
}

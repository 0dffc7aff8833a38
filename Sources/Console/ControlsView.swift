import Foundation
import PlatformModel
import TUI

// The Breakers and Audit panes, and the action dialog.

func drawBreakers(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    let inner = Rect(x: area.x + 1, y: area.y, width: area.width - 2, height: area.height)
    guard !state.switches.isEmpty else {
        drawEmpty("No kill switches or circuit breakers for \(state.appID ?? "this app") in the cache yet.", theme: theme, into: &canvas, area: inner)
        return
    }
    let columns = [
        Table.Column("STATE", width: .length(12)),
        Table.Column("KEY", width: .length(16)),
        Table.Column("KIND", width: .length(11)),
        Table.Column("SCOPE", width: .length(36)),
        Table.Column("CHANGED BY", width: .length(12)),
        Table.Column("WHEN", width: .length(8)),
        Table.Column("DESCRIPTION", width: .fill(min: 12)),
    ]
    let sending: String? = {
        guard let dialog = state.dialog, dialog.phase == .sending, case .setSwitch(_, let key, _) = dialog.action else { return nil }
        return key
    }()
    let rows = state.switches.map { item -> [Span] in
        let stateSpan = sending == item.key
            ? Span("… pending", style: theme.style(.statusWarn))
            : item.enabled ? Span("[● ON ]", style: theme.style(.toggleOn)) : Span("[○ OFF]", style: theme.style(.toggleOff).adding(.bold))
        return [
            stateSpan,
            Span(item.key, style: Style(attributes: .bold)),
            Span(item.kind == .circuitBreaker ? "breaker" : "kill switch"),
            Span(scopeText(item.scope), style: theme.style(.muted)),
            Span(item.updatedBy),
            Span(duration(max(0, state.shownNow.timeIntervalSince(item.updatedAt))) + " ago"),
            Span(item.description, style: theme.style(.muted)),
        ]
    }
    let shown = Table(columns: columns, rows: rows, selected: state.selection[.switches] ?? 0, styles: tableStyles(theme))
        .render(into: &canvas, area: inner)
    hits.add(rows: shown, of: .switches)
    // The state cell (the first column) flips the breaker.
    for (row, rect) in shown { hits.add(Rect(x: rect.x, y: rect.y, width: 12, height: 1), .toggle(row)) }
}

func drawAudit(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
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

/// A box in the middle of the pane: the change, its blast radius, the reason being
/// typed, and what happened to the last attempt.
func drawDialog(_ dialog: ActionDialog, theme: Theme, into canvas: inout Canvas, area: Rect) {
    let width = min(area.width - 4, 90)
    let height = min(area.height, dialog.lines.count + 8)
    let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + max(0, (area.height - height) / 2), width: width, height: height)
    let style = theme.style(.header)
    canvas.fill(box, style: style)
    let rule = theme.style(.muted).over(style)
    canvas.put(String(repeating: "─", count: box.width), x: box.x, y: box.y, style: rule)
    canvas.put(" \(dialog.title) ", x: box.x + 2, y: box.y, maxWidth: box.width - 4, style: theme.style(.accent).over(style).adding(.bold))
    var y = box.y + 1
    for line in dialog.lines where y < box.y + box.height - 4 {
        canvas.put(line, x: box.x + 2, y: y, maxWidth: box.width - 4, style: style)
        y += 1
    }
    y += 1
    canvas.put("Reason: ", x: box.x + 2, y: y, style: style.adding(.bold))
    let field = Rect(x: box.x + 10, y: y, width: box.width - 12, height: 1)
    canvas.fill(field, style: theme.style(.tableSelected))
    let shown = TerminalText.width(dialog.reason) > field.width - 1 ? "…" + String(dialog.reason.suffix(field.width - 2)) : dialog.reason
    canvas.put(shown + (dialog.phase == .sending ? "" : "▏"), x: field.x, y: y, maxWidth: field.width, style: theme.style(.tableSelected))
    let status: Span
    switch dialog.phase {
    case .editing: status = Span("Enter sends with If-Match \(dialog.ifMatch) · Esc cancels", style: rule)
    case .sending: status = Span("sending… waiting for the server's answer", style: theme.style(.statusWarn).over(style))
    case .failed(let message): status = Span(message, style: theme.style(.flashError).over(style))
    }
    canvas.put(status.text, x: box.x + 2, y: y + 2, maxWidth: box.width - 4, style: status.style ?? style)
    canvas.put(String(repeating: "─", count: box.width), x: box.x, y: box.y + box.height - 1, style: rule)
}

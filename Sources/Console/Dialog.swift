import Foundation
import PlatformModel
import TUI

// The action dialog: what will change, for whom, and the reason being typed.

/// A box in the middle of the pane: the change, its blast radius, the reason being
/// typed, and what happened to the last attempt.
func drawDialog(_ dialog: ActionDialog, context: ConsoleContext?, theme: Theme, into canvas: inout Canvas, area: Rect) {
    let width = min(area.width - 4, 90)
    // At 80 columns a line may not fit: it wraps (keeping its indent), never cut.
    let lines = dialog.lines.flatMap { line -> [(text: String, worse: Bool)] in
        let indent = String(line.prefix { $0 == " " })
        return TerminalText.wrapped(String(line.dropFirst(indent.count)), to: width - 4 - indent.count).map { (indent + $0, line.hasSuffix("▼ WORSE")) }
    }
    let height = min(area.height, lines.count + 8 + (dialog.worse == nil ? 0 : 2) + (dialog.choices.isEmpty ? 0 : 2))
    let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + max(0, (area.height - height) / 2), width: width, height: height)
    let style = theme.style(.header)
    canvas.fill(box, style: style)
    let rule = theme.style(.muted).over(style)
    canvas.put(String(repeating: "─", count: box.width), x: box.x, y: box.y, style: rule)
    canvas.put(spans: changeTitle(dialog.title, context: context, theme: theme, on: style), x: box.x + 2, y: box.y, maxWidth: box.width - 4, base: style)
    var y = box.y + 1
    for line in lines where y < box.y + box.height - 4 {
        canvas.put(line.text, x: box.x + 2, y: y, maxWidth: box.width - 4, style: line.worse ? theme.style(.statusCrit).over(style) : style)
        y += 1
    }
    if !dialog.choices.isEmpty, y < box.y + box.height - 5 {
        y += 1
        var spans = [Span("Choose: ", style: style.adding(.bold))]
        for (index, choice) in dialog.choices.enumerated() {
            spans.append(index == dialog.choice ? Span("▸ \(choice.label) ", style: theme.style(.tableSelected).adding(.bold))
                                                : Span("  \(choice.label) ", style: style))
        }
        spans.append(Span("  Tab: next", style: rule))
        // Too narrow for every choice: the chosen one, and where it stands among them.
        if spans.reduce(0, { $0 + TerminalText.width($1.text) }) > box.width - 4 {
            spans = [Span("Choose: ", style: style.adding(.bold)),
                     Span("▸ \(dialog.choices[dialog.choice].label) ", style: theme.style(.tableSelected).adding(.bold)),
                     Span("  \(dialog.choice + 1) of \(dialog.choices.count) · Tab: next", style: rule)]
        }
        canvas.put(spans: spans, x: box.x + 2, y: y, maxWidth: box.width - 4, base: style)
        y += 1
    }
    if let worse = dialog.worse, y < box.y + box.height - 5 {
        y += 1
        canvas.put("⚠ " + worse, x: box.x + 2, y: y, maxWidth: box.width - 4, style: theme.style(.statusCrit).over(style).adding(.bold))
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
    case .editing where dialog.worse != nil && dialog.confirmedWorse:
        status = Span("Worse vitals: Enter again to raise anyway · Esc cancels", style: theme.style(.statusCrit).over(style).adding(.bold))
    case .editing where dialog.worse != nil:
        status = Span("Enter, then Enter again to raise despite worse vitals · Esc cancels", style: theme.style(.statusWarn).over(style))
    case .editing: status = Span("Enter sends with If-Match \(dialog.ifMatch) · Esc cancels", style: rule)
    case .sending: status = Span("sending… waiting for the server's answer", style: theme.style(.statusWarn).over(style))
    case .failed(let message): status = Span(message, style: theme.style(.flashError).over(style))
    }
    canvas.put(status.text, x: box.x + 2, y: y + 2, maxWidth: box.width - 4, style: status.style ?? style)
    canvas.put(String(repeating: "─", count: box.width), x: box.x, y: box.y + box.height - 1, style: rule)
}

/// A change box's title (a dialog's, a form's), the context first: a change in production
/// says so in red before anything else.
func changeTitle(_ title: String, context: ConsoleContext?, theme: Theme, on style: Style) -> [Span] {
    var spans = [Span(" \(title) ", style: theme.style(.accent).over(style).adding(.bold))]
    if let context {
        spans.insert(Span(" [\(context.label)] ", style: context.production ? theme.style(.flashError).adding([.bold, .reverse]) : theme.style(.accent).over(style)),
                     at: 0)
    }
    return spans
}

import Foundation
import PlatformModel
import TUI

// One audit entry in full (Enter in Audit): what changed, before → after, field by
// field; the whole reason, wrapped; who, in what role, when; the Idempotency-Key a
// retry reuses. Plain text, so that a person can select and copy it (with --no-mouse,
// or the terminal's own modifier-drag).

func auditOverlay(_ id: Int64, state: ConsoleState, theme: Theme, width: Int) -> (String, [[Span]]) {
    guard let entry = state.audit.first(where: { $0.id == id }) ?? state.lastSnapshot?.audit.first(where: { $0.id == id }) else {
        return ("Audit entry #\(id)", [[Span("No longer in the cached audit log.", style: theme.style(.muted))]])
    }
    let label = theme.style(.muted)
    let labelWidth = 16
    var lines: [[Span]] = []
    func field(_ name: String, _ value: String, _ style: Style? = nil) {
        for (index, line) in TerminalText.wrapped(value, to: max(10, width - labelWidth)).enumerated() {
            lines.append([Span(TerminalText.padded(index == 0 ? name : "", to: labelWidth), style: label), Span(line, style: style)])
        }
    }
    lines.append([Span(entry.action.rawValue, style: Style(attributes: .bold)), Span("  "), Span(entry.target)])
    field("When", "\(LocalTime(entry.at).format(date: true, year: true, seconds: true)) (\(duration(max(0, state.shownNow.timeIntervalSince(entry.at)))) ago)")
    field("Actor", entry.actor == "system" ? "the platform (system)" : "\(entry.actor), role \(entry.role)",
          entry.actor == "system" ? theme.style(.statusWarn) : nil)
    field("Reason", entry.reason.isEmpty ? "—" : entry.reason)
    field("Idempotency key", entry.idempotencyKey ?? "— (sent without one)")
    if let breach = entry.guardrail {
        field("Guardrail", String(format: "crash rate %.2f%% (%@ of %@ sessions over %d min) against the limit of %.2f%%",
                                  breach.crashRate, grouped(breach.crashedSessions), grouped(breach.sessions), breach.windowMinutes, breach.maxCrashRate))
    }
    lines.append([])
    let before = flattened(entry.before), after = flattened(entry.after)
    let keys = (Array(before.keys) + after.keys.filter { before[$0] == nil }).sorted()
    let changed = keys.filter { before[$0] != after[$0] }
    switch (entry.before, entry.after) {
    case (nil, nil):
        lines.append([Span("No before or after recorded.", style: label)])
    case (nil, _):
        lines.append([Span("Created with", style: Style(attributes: .bold))])
    default:
        lines.append([Span("Changed (before → after)", style: Style(attributes: .bold)),
                      Span(changed.isEmpty ? "  nothing: the same values were sent" : "", style: label)])
    }
    // Paths get up to half the width; a longer one is cut, its value never.
    let keyWidth = min(max(12, width / 2), (keys.map(TerminalText.width).max() ?? 6) + 2)
    for key in changed {
        let text = entry.before == nil ? (after[key] ?? "—") : "\(before[key] ?? "—") → \(after[key] ?? "—")"
        for (index, line) in TerminalText.wrapped(text, to: max(10, width - keyWidth - 2)).enumerated() {
            lines.append([Span("  " + TerminalText.padded(index == 0 ? key : "", to: keyWidth - 1) + " ", style: label), Span(line)])
        }
    }
    let unchanged = keys.filter { before[$0] == after[$0] }
    if !unchanged.isEmpty && entry.before != nil {
        lines.append([])
        lines.append([Span("Unchanged", style: Style(attributes: .bold))])
        for key in unchanged {
            for (index, line) in TerminalText.wrapped(after[key] ?? "—", to: max(10, width - keyWidth - 2)).enumerated() {
                lines.append([Span("  " + TerminalText.padded(index == 0 ? key : "", to: keyWidth - 1) + " ", style: label), Span(line, style: label)])
            }
        }
    }
    return ("Audit entry #\(entry.id)", lines)
}

/// A JSON value as "path: value" pairs: `targeting.rules[0].values`, strings unquoted,
/// whole numbers without a decimal point, null as "null".
func flattened(_ value: JSONValue?) -> [String: String] {
    var out: [String: String] = [:]
    func walk(_ value: JSONValue, _ path: String) {
        switch value {
        case .object(let members):
            if members.isEmpty { out[path.isEmpty ? "(value)" : path] = "{}" }
            for (key, member) in members { walk(member, path.isEmpty ? key : "\(path).\(key)") }
        case .array(let items):
            if items.isEmpty { out[path.isEmpty ? "(value)" : path] = "[]" }
            for (index, item) in items.enumerated() { walk(item, "\(path)[\(index)]") }
        case .string(let text): out[path.isEmpty ? "(value)" : path] = text
        case .number(let number):
            out[path.isEmpty ? "(value)" : path] = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): out[path.isEmpty ? "(value)" : path] = flag ? "true" : "false"
        case .null: out[path.isEmpty ? "(value)" : path] = "null"
        }
    }
    if let value { walk(value, "") }
    return out
}

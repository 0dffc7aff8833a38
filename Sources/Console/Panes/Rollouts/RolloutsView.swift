import Foundation
import PlatformModel
import TUI

// The Rollouts pane: each release in whitelist, gray or halted as a slider, the current
// percentage and the pending one apart, and a guardrail's halt in plain sight.

/// Lines each release takes: name and stage, slider, spacing.
private let rowHeight = 4

func drawRollouts(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    let inner = Rect(x: area.x + 1, y: area.y, width: area.width - 2, height: area.height)
    let rollouts = state.rollouts
    guard !rollouts.isEmpty else {
        drawEmpty("No release of \(state.appID ?? "this app") is in whitelist, gray or halted.", theme: theme, into: &canvas, area: inner)
        return
    }
    let header = "[ ] ladder 1 2 5 10 20 50 100%  ← → ±1 point  Enter apply  Esc reset  H halt  R resume  A advance  B roll back"
    canvas.put(header, x: inner.x, y: inner.y, maxWidth: inner.width, style: theme.style(.muted))
    let selected = state.selection[.rollouts] ?? 0
    let fits = max(1, (inner.height - 2) / rowHeight)
    let first = min(max(0, selected - fits + 1), max(0, rollouts.count - fits))
    for (offset, release) in rollouts.dropFirst(first).prefix(fits).enumerated() {
        let index = first + offset
        let y = inner.y + 2 + offset * rowHeight
        let area = Rect(x: inner.x, y: y, width: inner.width, height: 3)
        let track = drawRollout(release, selected: index == selected, pending: state.pendingGray[release.version],
                                guardrailHalt: guardrailHalt(of: release, in: state), health: state.health[release.version], reach: state.reach, theme: theme,
                                into: &canvas, area: area)
        hits.add(area, .row(.rollouts, index))
        if release.stage == .gray { hits.add(track, .slider(index, track: track)) }
    }
}

/// The audit entry of the server's own halt of this release, when that is why it is halted.
private func guardrailHalt(of release: Release, in state: ConsoleState) -> AuditEntry? {
    guard release.stage == .halted else { return nil }
    let target = "\(release.app)/\(release.version)"
    let latest = state.audit.first { $0.target == target }
    return latest?.action == .releaseGuardrailHalt ? latest : nil
}

/// Draws one release's name line and slider; returns where the slider's track is.
private func drawRollout(_ release: Release, selected: Bool, pending: Double?, guardrailHalt: AuditEntry?, health: MetricsSeries?, reach: AppReach?, theme: Theme,
                         into canvas: inout Canvas, area: Rect) -> Rect {
    let base = selected ? theme.style(.tableSelected) : theme.style(.base)
    canvas.fill(Rect(x: area.x, y: area.y, width: area.width, height: 1), style: base)
    var spans = [
        Span(selected ? "▶ " : "  "),
        Span(release.version, style: Style(attributes: .bold)),
        Span(" (build \(release.build))  ", style: theme.style(.muted)),
        stageSpan(release.stage, theme: theme),
    ]
    if let guardrailHalt {
        spans.append(Span("  ■ HALTED BY GUARDRAIL ", style: theme.style(.statusCrit).adding(.reverse)))
        spans.append(Span(" " + guardrailText(guardrailHalt), style: theme.style(.statusCrit)))
    }
    canvas.put(spans: spans, x: area.x, y: area.y, maxWidth: area.width, base: base)
    // Under the slider: where the release has got on devices, and its guardrail.
    if area.height > 2 {
        var spans = [Span("    ")]
        if let counts = reach?.releaseReach(release.version) {
            let running = "\(grouped(counts.running)) \(counts.running == 1 ? "device runs" : "devices run") it"
            if release.stage == .halted || release.stage == .rolledBack {
                spans.append(Span("new offers stopped; \(running)", style: theme.style(.statusWarn)))
            } else {
                spans.append(Span("offered to \(grouped(counts.offered)) at their last check; \(running)", style: theme.style(.accent)))
            }
        } else if reach != nil {
            spans.append(Span(release.stage == .halted ? "new offers stopped; no device runs it" : "no device has been offered it yet",
                              style: theme.style(.muted)))
        }
        if guardrailHalt == nil, let guardrail = release.guardrail {
            if spans.count > 1 { spans.append(Span(" · ", style: theme.style(.muted))) }
            spans += guardrailStatus(guardrail, health: health, theme: theme)
        }
        canvas.put(spans: spans, x: area.x, y: area.y + 2, maxWidth: area.width, base: theme.style(.base))
    }

    // The slider: filled to the current percentage; the pending value as a marker.
    let label: [Span]
    switch release.stage {
    case .whitelist:
        label = [Span("whitelist only: A starts the gray", style: theme.style(.muted))]
    default:
        var parts = [Span(percentText(release.grayPercent), style: Style(attributes: .bold))]
        if let pending {
            let delta = pending - release.grayPercent
            parts.append(Span(" → \(percentText(pending)) pending (\(delta > 0 ? "+" : "−")\(percentText(abs(delta))))", style: theme.style(.statusWarn).adding(.bold)))
        }
        label = parts
    }
    let labelWidth = 34
    let trackWidth = max(10, area.width - labelWidth - 6)
    let track = sliderTrack(current: release.stage == .whitelist ? 0 : release.grayPercent, pending: pending, width: trackWidth)
    let y = area.y + 1
    canvas.put("  [", x: area.x, y: y, style: theme.style(.muted))
    var x = area.x + 3
    for (character, role) in track {
        canvas.put(String(character), x: x, y: y, style: theme.style(role))
        x += 1
    }
    canvas.put("]  ", x: x, y: y, style: theme.style(.muted))
    canvas.put(spans: label, x: x + 3, y: y, maxWidth: area.x + area.width - x - 3, base: theme.style(.base))
    return Rect(x: area.x + 3, y: y, width: trackWidth, height: 1)
}

/// Why the guardrail halted the release: from the figures the server sent with the halt;
/// an entry from before they were sent has only its reason, shown as it is.
func guardrailText(_ halt: AuditEntry) -> String {
    guard let breach = halt.guardrail else { return halt.reason }
    return "crash rate \(percentText(breach.crashRate)) over \(breach.windowMinutes) min "
        + "(\(breach.crashedSessions) of \(breach.sessions) sessions), limit \(percentText(breach.maxCrashRate))"
}

/// Cells of a slider `width` wide: filled up to `current`, a `│` marker at `pending`
/// (styled apart, so that it reads without colour too).
func sliderTrack(current: Double, pending: Double?, width: Int) -> [(Character, ThemeRole)] {
    func cell(_ percent: Double) -> Int { min(width - 1, max(0, Int((percent / 100 * Double(width)).rounded(.down)))) }
    let filled = current <= 0 ? 0 : max(1, Int((current / 100 * Double(width)).rounded()))
    var cells: [(Character, ThemeRole)] = (0..<width).map { $0 < filled ? ("█", .sliderFill) : ("░", .muted) }
    if let pending { cells[cell(pending)] = ("┃", .statusWarn) }
    return cells
}

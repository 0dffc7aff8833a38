import Foundation
import PlatformModel
import TUI

// The Funnels pane: pick a funnel and a range; per step, bars with devices, step and
// overall conversion and drop-off; the two busiest releases side by side; the worst
// step marked. Reports come from the server on demand.

/// Keys of the Funnels pane; nil when the key is not the pane's.
func handleFunnels(_ key: Key, _ state: inout ConsoleState) -> [Effect]? {
    switch key {
    case .character("t"):
        state.funnels.range = FunnelRange(rawValue: (state.funnels.range.rawValue + 1) % FunnelRange.allCases.count)!
        return loadReport(&state)
    case .character("c"):
        state.funnels.compare.toggle()
        return loadReport(&state)
    default:
        // Moving in the list is as in every pane; the report follows (see `update`).
        return nil
    }
}

/// Effects to fetch what the Funnels pane needs when it opens or the app changes.
func openFunnels(_ state: inout ConsoleState) -> [Effect] {
    guard let app = state.appID else { return [] }
    state.funnels.loading = true
    state.funnels.error = nil
    return [.loadFunnels(app: app)]
}

/// Fetch the selected funnel's report.
func loadReport(_ state: inout ConsoleState) -> [Effect] {
    let index = state.selection[.funnels] ?? 0
    guard let app = state.appID, state.funnels.definitions.indices.contains(index) else { return [] }
    state.funnels.loading = true
    state.funnels.error = nil
    let funnel = state.funnels.definitions[index].id
    return [.loadFunnelReport(app: app, funnel: funnel, from: state.now.addingTimeInterval(-state.funnels.range.seconds), to: state.now,
                              byRelease: state.funnels.compare)]
}

func funnelsLoaded(_ app: String, _ result: Result<[FunnelDefinition], PlatformFailure>, _ state: inout ConsoleState) -> [Effect] {
    guard app == state.appID else { return [] }
    switch result {
    case .success(let definitions):
        state.funnels.definitions = definitions
        state.selection[.funnels] = min(state.selection[.funnels] ?? 0, max(0, definitions.count - 1))
        return loadReport(&state)
    case .failure(let failure):
        state.funnels.loading = false
        state.funnels.error = failure.description
        return []
    }
}

func funnelReportLoaded(_ app: String, _ funnel: String, _ result: Result<FunnelReport, PlatformFailure>, _ state: inout ConsoleState) -> [Effect] {
    let index = state.selection[.funnels] ?? 0
    guard app == state.appID, state.funnels.definitions.indices.contains(index), state.funnels.definitions[index].id == funnel else { return [] }
    state.funnels.loading = false
    switch result {
    case .success(let report):
        state.funnels.report = report
        state.funnels.error = nil
        state.funnels.fetchedAt = state.now
    case .failure(let failure):
        // Keep the last report on screen, and say why it is not newer.
        state.funnels.error = failure.description
    }
    return []
}

/// The step with the most devices lost, if any were.
func worstStep(_ steps: [FunnelStepResult]) -> Int? {
    let index = steps.indices.dropFirst().max { steps[$0].dropOff < steps[$1].dropOff }
    return index.flatMap { steps[$0].dropOff > 0 ? $0 : nil }
}

/// The two releases with the most devices at the first step, busiest first.
func comparedReleases(_ report: FunnelReport) -> [(String, [FunnelStepResult])] {
    guard let byRelease = report.byRelease else { return [] }
    return byRelease.sorted { ($0.value.first?.devices ?? 0, $1.key) > ($1.value.first?.devices ?? 0, $0.key) }
        .prefix(2).map { ($0.key, $0.value) }
}

func drawFunnels(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    // Narrow, the report takes the width: the funnel's name heads it and ↑↓ still
    // move between funnels.
    let withList = area.width >= 70
    let columns = area.columns([.length(withList ? (area.width >= 120 ? 26 : 18) : 0), .fill])
    let view = state.funnels
    if view.definitions.isEmpty {
        let text = view.error.map { "Cannot load funnels: \($0)" } ?? (view.loading ? "Loading funnels…" : "No funnels for this app.")
        drawEmpty(text, theme: theme, into: &canvas, area: area)
        return
    }
    if withList {
        let list = Rect(x: columns[0].x + 1, y: columns[0].y, width: columns[0].width - 2, height: columns[0].height)
        let rows = view.definitions.map { [Span($0.name)] }
        let shown = Table(columns: [Table.Column("FUNNEL", width: .fill(min: 8))], rows: rows, selected: state.selection[.funnels] ?? 0,
                          styles: tableStyles(theme)).render(into: &canvas, area: list)
        hits.add(rows: shown, of: .funnels)
    }

    let report = withList ? columns[1] : Rect(x: area.x + 1, y: area.y, width: area.width - 2, height: area.height)
    var y = report.y
    let selected = view.definitions[min(state.selection[.funnels] ?? 0, view.definitions.count - 1)]
    var title = [Span(selected.name, style: theme.style(.accent).adding(.bold)), Span("  \(view.range.title)", style: theme.style(.muted)),
                 Span("  window \(selected.windowMinutes) min", style: theme.style(.muted))]
    if view.loading { title.append(Span("  loading…", style: theme.style(.statusWarn))) }
    if let error = view.error { title.append(Span("  ✕ \(error)", style: theme.style(.flashError))) }
    canvas.put(spans: title, x: report.x, y: y, maxWidth: report.width, base: theme.style(.base))
    y += 2
    guard let data = view.report, data.funnel.id == selected.id else {
        if !view.loading && view.error == nil { drawEmpty("No report yet.", theme: theme, into: &canvas, area: Rect(x: report.x, y: y, width: report.width, height: report.height - 2)) }
        return
    }
    if let fetched = view.fetchedAt {
        canvas.put("computed \(clock(fetched)) · t range · c compare releases · Ctrl-R again", x: report.x, y: report.y + 1, maxWidth: report.width, style: theme.style(.muted))
    }
    let compared = view.compare ? comparedReleases(data) : []
    let height = report.y + report.height - y
    let area = Rect(x: report.x, y: y, width: report.width, height: height)
    if compared.count == 2 {
        drawFunnelComparison(compared[0], compared[1], theme: theme, into: &canvas, area: area)
    } else {
        let title = view.compare ? "all releases: fewer than two entered it in the range, nothing to compare" : "all releases"
        drawFunnelSteps(title + ", counted by \(data.funnel.countedBy.rawValue)", data.steps, theme: theme, into: &canvas, area: area)
    }
}

/// Two releases side by side, one row a step: how many reached it and what share of
/// those that entered, for each, and the difference in points. Columns at any width:
/// the comparison is read across a row, never between two blocks.
private func drawFunnelComparison(_ a: (String, [FunnelStepResult]), _ b: (String, [FunnelStepResult]), theme: Theme,
                                  into canvas: inout Canvas, area: Rect) {
    let wide = area.width >= 110
    let barWidth = wide ? max(6, (area.width - 60) / 2) : 0
    var columns = [Table.Column("STEP", width: .fill(min: 10))]
    for (version, steps) in [a, b] {
        let entered = steps.first?.devices ?? 0
        columns.append(Table.Column("\(version) (\(grouped(entered)))", width: .length(wide ? 16 + barWidth : 16), alignment: .right))
    }
    columns.append(Table.Column("Δ POINTS", width: .length(9), alignment: .right))
    let worstA = worstStep(a.1), worstB = worstStep(b.1)
    let rows = a.1.indices.map { index -> [Span] in
        let left = a.1[index], right = b.1.indices.contains(index) ? b.1[index] : nil
        func cell(_ step: FunnelStepResult?, worst: Bool, first: Int) -> Span {
            guard let step else { return Span("—", style: theme.style(.muted)) }
            let figures = "\(grouped(step.devices)) \(String(format: "%5.1f%%", step.overallConversion))\(worst ? " ▼" : "  ")"
            let bars = wide ? bar(first > 0 ? Double(step.devices) / Double(first) : 0, width: barWidth) : ""
            return Span(TerminalText.padded(bars, to: barWidth) + figures, style: worst ? theme.style(.statusCrit) : nil)
        }
        let delta = right.map { $0.overallConversion - left.overallConversion }
        let deltaText = delta.map { abs($0) < 0.05 ? "0.0" : String(format: "%+.1f", $0) } ?? "—"
        return [
            Span(left.name, style: Style(attributes: .bold)),
            cell(left, worst: index == worstA, first: a.1.first?.devices ?? 0),
            cell(right, worst: index == worstB, first: b.1.first?.devices ?? 0),
            Span(deltaText, style: delta.map { abs($0) >= 5 ? theme.style(.statusWarn).adding(.bold) : theme.style(.muted) } ?? theme.style(.muted)),
        ]
    }
    let shown = Table(columns: columns, rows: rows, selected: -1, styles: tableStyles(theme)).render(into: &canvas, area: area)
    let below = area.y + 1 + shown.count + 1
    if below < area.y + area.height {
        canvas.put("% of entered · ▼ biggest drop-off · Δ = \(b.0) − \(a.0)", x: area.x, y: below,
                   maxWidth: area.width, style: theme.style(.muted))
    }
}

private func drawFunnelSteps(_ title: String, _ steps: [FunnelStepResult], theme: Theme, into canvas: inout Canvas, area: Rect) {
    canvas.put(title, x: area.x, y: area.y, maxWidth: area.width, style: Style(attributes: [.bold, .underline]))
    guard let first = steps.first, first.devices > 0 else {
        canvas.put("no devices entered this funnel in the range", x: area.x, y: area.y + 1, maxWidth: area.width, style: theme.style(.muted))
        return
    }
    let worst = worstStep(steps)
    // Narrow, the figures keep their room and the bars go.
    let barWidth = area.width >= 50 ? max(6, area.width - 44) : 0
    let figuresX = area.x + 20 + (barWidth > 0 ? barWidth + 1 : 0)
    // Two lines a step when they fit; else one, the drop-off in the figures.
    let roomy = 1 + steps.count * 2 <= area.height
    for (index, step) in steps.enumerated() {
        let y = area.y + 1 + index * (roomy ? 2 : 1)
        guard y < area.y + area.height else { break }
        let isWorst = index == worst
        let name = (isWorst ? "▼ " : "  ") + step.name
        canvas.put(name, x: area.x, y: y, maxWidth: 20, style: isWorst ? theme.style(.statusCrit) : Style(attributes: .bold))
        let fraction = Double(step.devices) / Double(first.devices)
        if barWidth > 0 {
            canvas.put(bar(fraction, width: barWidth), x: area.x + 20, y: y, maxWidth: barWidth, style: theme.style(isWorst ? .statusCrit : .funnelBar))
        }
        var figures = "\(grouped(step.devices).leftPadded(to: 7))  \(String(format: "%5.1f%%", step.overallConversion))"
        if !roomy && index > 0 { figures += "  −\(grouped(step.dropOff))" }
        canvas.put(figures, x: figuresX, y: y, maxWidth: area.x + area.width - figuresX, style: theme.style(.base))
        if index > 0 && roomy {
            var detail = "step \(String(format: "%.1f%%", step.stepConversion)) · lost \(grouped(step.dropOff))"
            if let median = step.medianSecondsFromPrevious { detail += " · median \(duration(median))" }
            if isWorst { detail = "biggest drop-off · " + detail }
            canvas.put(detail, x: area.x + 2, y: y + 1, maxWidth: area.width - 2, style: isWorst ? theme.style(.statusCrit) : theme.style(.muted))
        }
    }
}

import Foundation
import PlatformModel
import Sync
import TUI

// The overview's drawing: the fleet table over the alerts.

func drawOverview(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    let inner = Rect(x: area.x + 1, y: area.y, width: area.width - 2, height: area.height)
    let overview = state.overview
    // The apps as many rows as they need, leaving the alerts at least 5 (their rule,
    // header and three); the alerts right below them, down to the bottom.
    let fleetHeight = max(3, min(max(overview.rows.count, 1) + 1, inner.height - 5))
    let parts = inner.rows([.length(fleetHeight), .fill])
    if overview.rows.isEmpty {
        let text: String
        if overview.loaded {
            text = state.filters[.fleet] != nil ? "No app matches the filter." : "The platform lists no apps."
        } else {
            switch state.sync.connection {
            case .online, .connecting: text = "Loading every app's health from \(state.server)…"
            case .offline, .refused: text = "No overview cached yet, and the platform cannot be reached."
            }
        }
        drawEmpty(text, theme: theme, into: &canvas, area: parts[0])
    } else {
        drawFleet(state, theme: theme, into: &canvas, area: parts[0], hits: &hits)
    }
    drawAlerts(state, theme: theme, into: &canvas, area: parts[1], hits: &hits)
}

private func drawFleet(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    let wide = area.width >= 140
    var columns = [
        Table.Column("APP", width: .length(wide ? 20 : 16)),
        Table.Column("FULL", width: .length(6)),
        Table.Column("GRAY", width: .length(wide ? 24 : narrowGrayWidth)),
        Table.Column("CF SESS", width: .length(7), alignment: .right),
        Table.Column("CF USER", width: .length(7), alignment: .right),
        Table.Column("ANR", width: .length(6), alignment: .right),
        Table.Column(wide ? "EV/MIN" : "EV/M", width: .length(wide ? 6 : 5), alignment: .right),
        Table.Column(wide ? "LAST 15 MIN" : "15m", width: wide ? .length(FleetOverview.trendMinutes) : .fill(min: 3)),
        Table.Column("ALERTS", width: .length(7)),
    ]
    if wide {
        columns.insert(Table.Column("PLATFORM", width: .length(9)), at: 1)
        columns.insert(Table.Column("SESS", width: .length(7), alignment: .right), at: 4)
        columns.insert(Table.Column("FULL CF", width: .length(8), alignment: .right), at: 6)
        columns.append(Table.Column("WORST OPEN ALERT", width: .fill(min: 10)))
    }
    let trendTop = Double(state.overview.rows.flatMap(\.eventsPerMinute).max() ?? 0)
    // The trend gets what the fixed columns leave: minutes summed to fit it.
    let fixed = columns.reduce(0) { total, column in
        if case .length(let width) = column.width { return total + width }
        return total
    }
    let trendWidth = wide ? FleetOverview.trendMinutes : max(1, area.width - fixed - (columns.count - 1))
    let onFleet = !state.overview.onAlerts
    let rows = state.overview.rows.map { row -> [Span] in
        let gray = row.gray.first
        let full = row.full
        // Gray against full when there is a gray release; the full release alone otherwise.
        let shown = gray ?? full
        let baseline = gray == nil ? nil : full
        var cells = [
            Span(row.app.id, style: Style(attributes: .bold)),
            Span(full?.version ?? "—", style: full == nil ? theme.style(.muted) : nil),
            graySpan(row, all: wide, theme: theme),
            rate(shown?.health, baseline?.health, \.crashFreeSessions, higherIsBetter: true, theme: theme),
            rate(shown?.health, baseline?.health, \.crashFreeUsers, higherIsBetter: true, theme: theme),
            rate(shown?.health, baseline?.health, \.anrRate, higherIsBetter: false, theme: theme),
            Span(eventsPerMinute(row).map(String.init) ?? "—"),
            Span(sparkline(fitted(row.eventsPerMinute, into: trendWidth), top: trendTop * Double(minutesPerCell(row.eventsPerMinute.count, trendWidth))),
                 style: theme.style(.spark)),
            alertsSpan(row, theme: theme),
        ]
        if wide {
            cells.insert(Span(platformName(row.app.platform)), at: 1)
            cells.insert(Span(shown.map { grouped($0.health.sessions) } ?? "—", style: theme.style(.muted)), at: 4)
            cells.insert(Span(full?.health.crashFreeSessions.map { String(format: "%.1f%%", $0) } ?? "—", style: theme.style(.muted)), at: 6)
            let worst = state.overview.alerts.first { $0.app == row.app.id && $0.isOpen }
            cells.append(Span(worst?.summary ?? "", style: theme.style(.muted)))
        }
        return cells
    }
    var styles = tableStyles(theme)
    if !onFleet { styles.selected = styles.row }  // the alerts have the selection
    let shown = Table(columns: columns, rows: rows, selected: state.selection[.fleet] ?? 0, styles: styles).render(into: &canvas, area: area)
    hits.add(rows: shown, of: .fleet)
}

private let narrowGrayWidth = 12

/// "◐ 5.4.0 12.5%": the newest gray (or halted) release and its percentage; "+1" when
/// there are more.
private func graySpan(_ row: FleetApp, all: Bool, theme: Theme) -> Span {
    guard let gray = row.gray.first else { return Span("—", style: theme.style(.muted)) }
    func text(_ release: FleetRelease) -> String {
        let percent = percentText(release.grayPercent)
        return "\(release.stage == .halted ? "■" : "◐")\(release.version) \(percent)"
    }
    // Every gray release where there is room; else the newest and how many more (its
    // percentage left out if both do not fit: that there are more matters more).
    var shown = all ? row.gray.map(text).joined(separator: ", ") : text(gray)
    if !all && row.gray.count > 1 {
        let more = " +\(row.gray.count - 1)"
        let mark = gray.stage == .halted ? "■" : "◐"
        shown = TerminalText.width(shown + more) <= narrowGrayWidth ? shown + more : "\(mark)\(gray.version)\(more)"
    }
    return Span(shown, style: theme.style(gray.stage == .halted ? .statusCrit : .statusWarn))
}

/// How many minutes one cell of the trend sums.
private func minutesPerCell(_ minutes: Int, _ width: Int) -> Int {
    max(1, Int((Double(minutes) / Double(max(1, width))).rounded(.up)))
}

/// Per-minute counts summed into at most `width` cells, the newest last.
private func fitted(_ values: [Int], into width: Int) -> [Double] {
    let size = minutesPerCell(values.count, width)
    guard size > 1 else { return values.map(Double.init) }
    return stride(from: values.count, to: 0, by: -size).reversed().map { end in
        Double(values[max(0, end - size)..<end].reduce(0, +))
    }
}

/// Events per minute over the last five whole minutes.
private func eventsPerMinute(_ row: FleetApp) -> Int? {
    let whole = row.eventsPerMinute.dropLast().suffix(5)
    guard !whole.isEmpty else { return nil }
    return Int((Double(whole.reduce(0, +)) / Double(whole.count)).rounded())
}

private func alertsSpan(_ row: FleetApp, theme: Theme) -> Span {
    guard row.openAlerts > 0 else { return Span("—", style: theme.style(.muted)) }
    switch row.worstAlert ?? .info {
    case .critical: return Span("✖\(row.openAlerts) crit", style: theme.style(.statusCrit))
    case .warning: return Span("▲\(row.openAlerts) warn", style: theme.style(.statusWarn))
    case .info: return Span("●\(row.openAlerts) info", style: theme.style(.accent))
    }
}

private func drawAlerts(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    guard area.height > 0 else { return }
    let alerts = state.overview.alerts
    let open = alerts.filter(\.isOpen)
    let unacknowledged = open.filter { $0.acknowledgedAt == nil }.count
    var title = " ALERTS  \(open.count) open"
    if open.count > unacknowledged { title += " · \(open.count - unacknowledged) acknowledged" }
    if alerts.count > open.count { title += " · \(alerts.count - open.count) resolved in the last hour" }
    canvas.put(String(repeating: "─", count: area.width), x: area.x, y: area.y, style: theme.style(.muted))
    canvas.put(title + " ", x: area.x + 1, y: area.y, style: theme.style(unacknowledged > 0 ? .statusCrit : .accent).adding(.bold))
    let body = Rect(x: area.x, y: area.y + 1, width: area.width, height: area.height - 1)
    guard !alerts.isEmpty else {
        canvas.put("No open alerts: nothing spiking, no gray release worse than its full one, no guardrail halt.", x: body.x + 1, y: body.y,
                   width: body.width - 1, style: theme.style(.muted))
        return
    }
    let columns = [
        Table.Column("SEV", width: .length(4)),
        Table.Column("APP", width: .length(16)),
        Table.Column("WHAT", width: .fill(min: 20)),
        Table.Column("OPENED", width: .length(7), alignment: .right),
        Table.Column("STATE", width: .length(14)),
    ]
    let rows = alerts.map { alert -> [Span] in
        let muted = !alert.isOpen
        let severity: Span
        switch alert.severity {
        case .critical: severity = Span("CRIT", style: theme.style(muted ? .muted : .statusCrit))
        case .warning: severity = Span("WARN", style: theme.style(muted ? .muted : .statusWarn))
        case .info: severity = Span("INFO", style: theme.style(.muted))
        }
        let status: Span
        if let resolved = alert.resolvedAt {
            status = Span("✓ resolved \(duration(max(0, state.shownNow.timeIntervalSince(resolved))))", style: theme.style(.statusOK))
        } else if let by = alert.acknowledgedBy {
            status = Span("◆ \(by)", style: theme.style(.accent))
        } else {
            status = Span("● open", style: theme.style(.statusCrit))
        }
        return [severity, Span(alert.app, style: muted ? theme.style(.muted) : Style(attributes: .bold)),
                Span(alert.summary, style: muted ? theme.style(.muted) : nil),
                Span(duration(max(0, state.shownNow.timeIntervalSince(alert.openedAt))), style: theme.style(.muted)), status]
    }
    var styles = tableStyles(theme)
    if !state.overview.onAlerts { styles.selected = styles.row }
    let shown = Table(columns: columns, rows: rows, selected: state.selection[.alerts] ?? 0, styles: styles).render(into: &canvas, area: body)
    hits.add(rows: shown, of: .alerts)
}

import Cache
import Foundation
import PlatformModel
import Sync
import TUI

// The Crashes pane: the live stream of crash and ANR events, or the issues they form,
// and either in full in an overlay.

func drawCrashes(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    let parts = area.rows([.length(1), .fill])
    drawCrashesBar(state, theme: theme, into: &canvas, area: parts[0])
    let inner = Rect(x: parts[1].x + 1, y: parts[1].y, width: parts[1].width - 2, height: parts[1].height)
    switch state.crashView {
    case .events: drawCrashEvents(state, theme: theme, into: &canvas, area: inner, hits: &hits)
    case .issues: drawCrashIssues(state, theme: theme, into: &canvas, area: inner, hits: &hits)
    }
}

/// "[Live events] Issues      ● live · 1,234 cached · ‖ paused, 12 new"
private func drawCrashesBar(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect) {
    let active = theme.style(.tabActive), idle = theme.style(.tab)
    var spans = [
        Span(" "),
        Span(" Live events ", style: state.crashView == .events ? active : idle),
        Span(" "),
        Span(" Issues (\(state.crashIssues.count)) ", style: state.crashView == .issues ? active : idle),
        Span("   "),
    ]
    switch state.sync.live {
    case .live: spans.append(Span("● live", style: theme.style(.statusOK)))
    case .catchingUp: spans.append(Span("◌ catching up", style: theme.style(.statusWarn)))
    case .reconnecting(let reason): spans.append(Span("⟳ stream reconnecting: \(reason)", style: theme.style(.statusWarn)))
    case .off: spans.append(Span("○ stream off", style: theme.style(.muted)))
    }
    spans.append(Span(" · \(count(state.crashEventCount, "event")) cached", style: theme.style(.muted)))
    if let filter = crashFilterText(state.crashFilter) {
        spans.append(Span(" · ", style: theme.style(.muted)))
        spans.append(Span("only \(filter)", style: theme.style(.accent).adding(.bold)))
    }
    if state.livePaused {
        spans.append(Span(" · ‖ paused", style: theme.style(.statusWarn).adding(.bold)))
        if state.newWhilePaused > 0 {
            let more = state.newWhilePaused >= 500 ? "500+" : String(state.newWhilePaused)
            spans.append(Span(", \(more) new", style: theme.style(.statusWarn)))
        }
    }
    canvas.put(spans: spans, x: area.x, y: area.y, maxWidth: area.width, base: theme.style(.base))
}

private func drawCrashEvents(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    guard !state.crashEvents.isEmpty else {
        if let note = noMatchNote(state, .crashEvents) { return drawEmpty(note, theme: theme, into: &canvas, area: area) }
        drawEmpty("No crashes or ANRs of \(state.appID ?? "this app") in the cache yet." + waitingNote(state), theme: theme, into: &canvas, area: area)
        return
    }
    let columns = [
        Table.Column("TIME", width: .length(8)),
        Table.Column("KIND", width: .length(7)),
        Table.Column("RELEASE", width: .length(9)),
        Table.Column("EXCEPTION", width: .fill(min: 14)),
        Table.Column("MESSAGE", width: .fill(min: 10)),
        Table.Column("DEVICE", width: .length(22)),
    ]
    // Only the rows that fit are built: the list holds hundreds.
    let (window, selected) = visibleWindow(count: state.crashEvents.count, selected: state.selection[.crashEvents] ?? 0, height: area.height)
    let rows = state.crashEvents[window].map { event -> [Span] in
        [
            Span(clock(event.at), style: theme.style(.muted)),
            kindSpan(event.kind, theme: theme),
            Span(event.release),
            Span(CrashIssue.shortName(event.exceptionType), style: Style(attributes: .bold)),
            Span(event.message),
            Span("\(event.model) · \(event.osVersion)", style: theme.style(.muted)),
        ]
    }
    let shown = Table(columns: columns, rows: rows, selected: selected, styles: tableStyles(theme)).render(into: &canvas, area: area)
    hits.add(rows: shown, of: .crashEvents, first: window.lowerBound)
}

private func drawCrashIssues(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    guard !state.crashIssues.isEmpty else {
        if let note = noMatchNote(state, .crashIssues) { return drawEmpty(note, theme: theme, into: &canvas, area: area) }
        drawEmpty("No crash issues for \(state.appID ?? "this app") yet." + waitingNote(state), theme: theme, into: &canvas, area: area)
        return
    }
    // The sorted column says so: "EVENTS▼".
    func title(_ text: String, _ order: IssueSort) -> String { state.issueSort == order ? text + "▼" : text }
    // Narrow, the issue's name keeps its room: the kind becomes its symbol in front of
    // the name, and the releases move to the detail (Enter).
    let wide = area.width >= 100
    var columns = [
        Table.Column("STATUS", width: .length(11)),
        Table.Column("KIND", width: .length(7)),
        Table.Column("ISSUE", width: .fill(min: 20)),
        Table.Column(title("1 HOUR", .trend), width: .length(CrashIssue.trendBuckets)),
        Table.Column(title("EVENTS", .events), width: .length(7), alignment: .right),
        Table.Column(title("DEVICES", .devices), width: .length(8), alignment: .right),
        Table.Column("RELEASES", width: .length(9)),
        Table.Column(title("SEEN", .lastSeen), width: .length(8)),
    ]
    if !wide { columns.remove(at: 6); columns.remove(at: 1) }
    let rows = state.crashIssues.map { issue -> [Span] in
        let standsOut = issue.status == .new || issue.status == .regressed
        let putAside = issue.status == .resolved || issue.status == .ignored
        let kind = kindSpan(issue.kind, theme: theme)
        // The package goes first when room is short: the name is what people know.
        let name = Span("\(issue.shortExceptionType) · \(issue.culprit)",
                        style: putAside ? theme.style(.muted) : Style(attributes: standsOut ? .bold : []))
        var row = [
            issueStatusSpan(issue.status, theme: theme),
            kind,
            name,
            // The server's count per five minutes; from an older server, what this console cached.
            Span((issue.trend ?? state.issueTrends[issue.fingerprint]).map { sparkline($0.map(Double.init)) } ?? "", style: theme.style(.spark)),
            Span(grouped(issue.count)),
            Span(grouped(issue.affectedDevices)),
            Span(issue.releases.joined(separator: ", "), style: theme.style(.muted)),
            Span(duration(max(0, state.shownNow.timeIntervalSince(issue.lastSeen))) + " ago"),
        ]
        if !wide {
            row.remove(at: 6)
            row.remove(at: 1)
            row[1] = Span(String(kind.text.prefix(1)) + " " + name.text, style: name.style)
        }
        return row
    }
    let shown = Table(columns: columns, rows: rows, selected: state.selection[.crashIssues] ?? 0, styles: tableStyles(theme))
        .render(into: &canvas, area: area)
    hits.add(rows: shown, of: .crashIssues)
}

/// An empty list because of a filter says so, not that nothing arrived.
private func noMatchNote(_ state: ConsoleState, _ list: ListID) -> String? {
    let facets = crashFilterText(state.crashFilter).map { "only \($0)" }
    let words = state.filters[list].map { "/\($0)" }
    let filters = [facets, words].compactMap { $0 }
    guard !filters.isEmpty else { return nil }
    return "Nothing matches \(filters.joined(separator: " and ")). f changes the release, kind and OS; / the words."
}

private func waitingNote(_ state: ConsoleState) -> String {
    switch state.sync.connection {
    case .online, .connecting: ""
    case .offline, .refused: " The platform cannot be reached."
    }
}

/// The rows of a long list that a table of `height` lines (header included) shows with
/// `selected` in view, and the selection's index within them.
func visibleWindow(count: Int, selected: Int, height: Int) -> (Range<Int>, Int) {
    let visible = max(0, height - 1)
    let offset = Table.scrollOffset(selected: selected, rowCount: count, visible: visible)
    let end = min(count, offset + visible)
    return (offset..<max(offset, end), selected - offset)
}

func drawEmpty(_ text: String, theme: Theme, into canvas: inout Canvas, area: Rect) {
    canvas.put(text, x: area.x, y: area.y + area.height / 2, width: area.width, style: theme.style(.muted), alignment: .center)
}

func tableStyles(_ theme: Theme) -> Table.Styles {
    .init(header: theme.style(.tableHeader), row: theme.style(.tableRow), selected: theme.style(.tableSelected))
}

func kindSpan(_ kind: CrashKind, theme: Theme) -> Span {
    switch kind {
    case .crash: Span("✖ crash", style: theme.style(.statusCrit))
    case .anr: Span("◷ ANR", style: theme.style(.statusWarn))
    case .error: Span("△ handled", style: theme.style(.muted))
    }
}

/// New and regressed issues stand out: a symbol, bold, the critical colour.
func issueStatusSpan(_ status: IssueStatus, theme: Theme) -> Span {
    switch status {
    case .new: Span("✦ new", style: theme.style(.statusCrit))
    case .regressed: Span("↻ regressed", style: theme.style(.statusCrit))
    case .ongoing: Span("● ongoing", style: theme.style(.statusWarn))
    case .resolved: Span("✓ resolved", style: theme.style(.statusOK))
    case .ignored: Span("◌ ignored", style: theme.style(.muted))
    }
}

// MARK: - The overlay

func drawOverlay(_ overlay: Overlay, state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect) {
    let style = theme.style(.header)
    let rule = theme.style(.muted).over(style)
    canvas.fill(area, style: style)
    let (title, lines) = overlayContent(overlay, state: state, theme: theme, width: area.width - 4)
    canvas.put(String(repeating: "─", count: area.width), x: area.x, y: area.y, style: rule)
    canvas.put(" \(title) ", x: area.x + 2, y: area.y, maxWidth: area.width - 4, style: theme.style(.accent).over(style).adding(.bold))
    let visible = area.height - 2
    let scroll = max(0, min(state.overlayScroll, lines.count - visible))
    for (index, line) in lines.dropFirst(scroll).prefix(visible).enumerated() {
        canvas.put(spans: line, x: area.x + 2, y: area.y + 1 + index, maxWidth: area.width - 4, base: style)
    }
    let position = lines.count > visible ? " lines \(scroll + 1)-\(min(lines.count, scroll + visible)) of \(lines.count) · ↑↓ scroll ·" : ""
    canvas.put(String(repeating: "─", count: area.width), x: area.x, y: area.y + area.height - 1, style: rule)
    let hint = "\(position) Esc closes "
    canvas.put(hint, x: max(area.x, area.x + area.width - 2 - TerminalText.width(hint)), y: area.y + area.height - 1, style: rule)
}

private func overlayContent(_ overlay: Overlay, state: ConsoleState, theme: Theme, width: Int) -> (String, [[Span]]) {
    let label = theme.style(.muted)
    func field(_ name: String, _ value: String, _ valueStyle: Style? = nil) -> [Span] {
        [Span(TerminalText.padded(name, to: 12), style: label), Span(value, style: valueStyle)]
    }
    switch overlay {
    case .release(let version):
        return releaseOverlay(version, state: state, theme: theme)
    case .auditEntry(let id):
        return auditOverlay(id, state: state, theme: theme, width: width)
    case .switchDetail(let key):
        return switchOverlay(key, state: state, theme: theme, width: width)
    case .app(let id):
        return appOverlay(id, state: state, theme: theme, width: width)
    case .issueLoading(let fingerprint):
        return ("Issue \(fingerprint)", [[Span("Loading the issue from \(state.server)…", style: label)]])
    case .crashEvent(let event):
        var lines: [[Span]] = [
            [kindSpan(event.kind, theme: theme), Span("  "), Span(event.exceptionType, style: Style(attributes: .bold))],
            field("Message", event.message),
            field("When", timestamp(event.at, now: state.shownNow)),
            field("Release", event.release),
            field("Device", "\(event.device.model), \(platformName(event.device.os)) \(event.device.osVersion)"
                + (event.device.city.map { ", \($0)" } ?? "") + (event.device.network.map { ", \($0)" } ?? "")),
            field("Device id", event.device.id),
            field("Issue", event.fingerprint),
        ]
        if event.environment != nil || event.level != nil {
            lines.append(field("Reported", [event.level.map { "level \($0)" }, event.environment.map { "environment \($0)" }]
                .compactMap { $0 }.joined(separator: ", ")))
        }
        lines += [
            [],
            [Span("Stack trace", style: Style(attributes: .bold))],
        ]
        lines += stackLines(event.frames, theme: theme)
        return ("Event #\(event.id)", lines)
    case .issue(let detail):
        let issue = detail.issue
        var lines: [[Span]] = [
            [issueStatusSpan(issue.status, theme: theme), Span("  "), kindSpan(issue.kind, theme: theme), Span("  "),
             Span(issue.exceptionType, style: Style(attributes: .bold)), Span(" at \(issue.culprit)")],
            field("Message", issue.message),
            field("Events", "\(count(issue.count, "event")) from \(count(issue.affectedDevices, "device"))"),
            field("First seen", timestamp(issue.firstSeen, now: state.shownNow)),
            field("Last seen", timestamp(issue.lastSeen, now: state.shownNow)),
            field("Releases", issue.releases.joined(separator: ", ")),
        ]
        if issue.status == .ignored || issue.status == .resolved {
            lines.append(field("Triage", triageStatusText(issue, now: state.now), theme.style(.muted)))
        }
        lines.append([])
        // The stack first: it is what the person opened the issue for.
        if let latest = detail.latest {
            lines.append([Span("Latest event #\(latest.id), \(latest.device.model) \(latest.device.osVersion), release \(latest.release)", style: Style(attributes: .bold))])
            lines += stackLines(latest.frames, theme: theme)
            lines.append([])
        }
        lines += shareLines("By release", detail.byRelease, theme: theme)
        lines += shareLines("By OS version", detail.byOSVersion, theme: theme)
        lines += shareLines("By model", detail.byModel, theme: theme)
        return ("Issue \(issue.fingerprint)", lines)
    }
}

/// "  0  CheckoutViewModel.submit  (Checkout.swift:88)", the app's own frames bright.
private func stackLines(_ frames: [StackFrame], theme: Theme) -> [[Span]] {
    guard !frames.isEmpty else { return [[Span("  (no frames)", style: theme.style(.muted))]] }
    return frames.enumerated().map { index, frame in
        let location = frame.file.map { file in " (\(file)" + (frame.line.map { ":\($0)" } ?? "") + ")" } ?? ""
        return [
            Span(String(index).leftPadded(to: 4) + "  ", style: theme.style(.muted)),
            Span(frame.symbol, style: frame.inApp ? theme.style(.accent).adding(.bold) : theme.style(.muted)),
            Span(location, style: theme.style(.muted)),
        ]
    }
}

/// A heading and up to six "key  ████▌  123 (45%)" lines.
private func shareLines(_ title: String, _ shares: [CrashIssueDetail.Share], theme: Theme) -> [[Span]] {
    guard !shares.isEmpty else { return [] }
    let total = max(1, shares.reduce(0) { $0 + $1.count })
    let top = shares.sorted { $0.count > $1.count }.prefix(6)
    var lines: [[Span]] = [[Span(title, style: Style(attributes: .bold))]]
    for share in top {
        let fraction = Double(share.count) / Double(total)
        lines.append([
            Span("  " + TerminalText.padded(share.key, to: 18)),
            Span(TerminalText.padded(bar(fraction, width: 20), to: 21), style: theme.style(.funnelBar)),
            Span("\(grouped(share.count)) (\(Int((fraction * 100).rounded()))%)"),
        ])
    }
    lines.append([])
    return lines
}

/// A horizontal bar in eighths of a cell.
func bar(_ fraction: Double, width: Int) -> String {
    let eighths = Int((max(0, min(1, fraction)) * Double(width * 8)).rounded())
    let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
    return String(repeating: "█", count: eighths / 8) + partial[eighths % 8]
}

/// "1 event", "1,234 events".
func count(_ value: Int, _ noun: String) -> String {
    "\(grouped(value)) \(value == 1 ? noun : noun + "s")"
}

/// 12345 -> "12,345".
func grouped(_ value: Int) -> String {
    GroupedNumber.of(value)
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// A release with its last hour: totals against the baseline, then charts per minute.
private func releaseOverlay(_ version: String, state: ConsoleState, theme: Theme) -> (String, [[Span]]) {
    guard let index = state.releases.firstIndex(where: { $0.version == version }) else {
        return ("Release \(version)", [[Span("No longer listed.", style: theme.style(.muted))]])
    }
    let release = state.releases[index]
    let baseline = baselineRelease(for: index, in: state.releases)
    var lines: [[Span]] = [
        [stageSpan(release.stage, theme: theme), Span("  gray \(grayText(release))  revision \(release.revision)  build \(release.build)")],
        [Span(release.notes, style: theme.style(.muted))],
        [],
    ]
    guard let health = state.health[version] else {
        lines.append([Span("No health data for the last hour yet.", style: theme.style(.muted))])
        return ("Release \(version)", lines)
    }
    let base = baseline.flatMap { state.health[$0.version] }
    let total = health.total
    lines.append([Span("Last hour", style: Style(attributes: .bold)),
                  Span(baseline.map { "  compared with \($0.version), the previous full release" } ?? "", style: theme.style(.muted))])
    lines.append([Span("  sessions \(grouped(total.sessions))  crashes \(grouped(total.crashes))  ANRs \(grouped(total.anrs))  adoption "
                       + (total.adoption.map { String(format: "%.1f%%", $0) } ?? "—"))])
    lines.append([Span("  crash-free sessions "), compared(total.crashFreeSessions, base?.total.crashFreeSessions, higherIsBetter: true, theme: theme),
                  Span("   crash-free users "), compared(total.crashFreeUsers, base?.total.crashFreeUsers, higherIsBetter: true, theme: theme),
                  Span("   ANRs per 100 sessions "), compared(anrRate(health), base.flatMap(anrRate), higherIsBetter: false, theme: theme)])
    lines.append([])
    lines += chart("Crashes per minute", health.points.map { Double($0.crashes) }, theme: theme)
    lines += chart("ANRs per minute", health.points.map { Double($0.anrs) }, theme: theme)
    lines += chart("Sessions per minute", health.points.map { Double($0.sessions) }, theme: theme)
    return ("Release \(version)", lines)
}

/// A small bar chart: six rows of eighth-blocks, the top value on the axis.
private func chart(_ title: String, _ values: [Double], theme: Theme) -> [[Span]] {
    let height = 6
    let top = max(values.max() ?? 0, 0.000_001)
    var lines: [[Span]] = [[Span(title, style: Style(attributes: .bold)), Span("  max " + grouped(Int(values.max() ?? 0)), style: theme.style(.muted))]]
    let blocks: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    for row in (0..<height).reversed() {
        let text = String(values.map { value -> Character in
            let eighths = Int((value / top * Double(height * 8)).rounded()) - row * 8
            return blocks[max(0, min(8, eighths))]
        })
        lines.append([Span("  │", style: theme.style(.muted)), Span(text, style: theme.style(.spark))])
    }
    lines.append([Span("  └" + String(repeating: "─", count: values.count) + " 60 min → now", style: theme.style(.muted))])
    lines.append([])
    return lines
}

/// An app in full (Overview `i`): what it is, and how real SDKs reach the platform.
func appOverlay(_ id: String, state: ConsoleState, theme: Theme, width: Int) -> (String, [[Span]]) {
    let label = theme.style(.muted)
    guard let app = state.apps.first(where: { $0.id == id }) else {
        return ("App \(id)", [[Span("Not in the cached app list.", style: label)]])
    }
    var lines: [[Span]] = [[Span(app.name, style: Style(attributes: .bold)), Span("  \(platformName(app.platform)) · \(app.bundleId)", style: label)], []]
    func field(_ name: String, _ value: String, _ style: Style? = nil) {
        for (index, line) in TerminalText.wrapped(value, to: max(10, width - 16)).enumerated() {
            lines.append([Span(TerminalText.padded(index == 0 ? name : "", to: 12), style: label), Span(line, style: style)])
        }
    }
    field("Sentry DSN", app.sentryDSN ?? "not given by this server")
    field("", "Sentry SDKs in the app report crashes, ANRs and sessions with it.", label)
    lines.append([])
    field("Unleash", "SDKs read the app's switches at \(state.server)/api: server SDKs and Edge through the Client API, "
          + "mobile and web SDKs through the Frontend API (/api/frontend).")
    field("", "Each needs a client or frontend token of this app, which an admin makes: "
          + "POST /v1/apps/\(app.id)/sdk-tokens.", label)
    return ("App \(app.id)", lines)
}

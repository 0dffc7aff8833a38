import Foundation
import PlatformModel
import Sync
import TUI

/// The size the full layout is designed for; below it, down to `minimumSize`, the
/// console draws in narrow mode (a one-line header, the active pane's name in place of
/// the tabs, each pane's list with its first columns; Enter shows the detail).
public let fullSize = Size(width: 80, height: 24)
/// The smallest terminal the console draws in at all.
public let minimumSize = Size(width: 40, height: 12)

/// What can be clicked, as `view` drew it.
public enum Hit: Sendable, Equatable {
    case tab(Pane)
    /// An item of a list.
    case row(ListID, Int)
    /// A breaker's state cell: a click flips it.
    case toggle(Int)
    /// A rollout's slider: where on the track is the percentage.
    case slider(Int, track: Rect)
}

/// A drawn screen: the cells, and what each clickable region stands for. The layout is
/// computed once, here; clicks are looked up in `hits`.
public struct Frame: Sendable {
    public var canvas: Canvas
    public var hits = HitMap<Hit>()
}

/// Draws `state` into a new canvas of `size`: a pure function, so a test sees exactly
/// what a person would.
public func view(_ state: ConsoleState, theme: Theme, size: Size) -> Canvas {
    frame(state, theme: theme, size: size).canvas
}

/// `view`, with the regions a click can hit.
public func frame(_ state: ConsoleState, theme: Theme, size: Size) -> Frame {
    var canvas = Canvas(size: size, style: theme.style(.base))
    var hits = HitMap<Hit>()
    guard size.width >= minimumSize.width, size.height >= minimumSize.height else {
        drawTooSmall(&canvas, theme: theme)
        return Frame(canvas: canvas)
    }
    let narrow = size.width < fullSize.width || size.height < fullSize.height
    let parts = canvas.bounds.rows([.length(1), .length(1), .fill, .length(1), .length(1)])
    let unit = state.unit
    if narrow {
        drawNarrowHeader(state, theme: theme, into: &canvas, area: parts[0])
        // The active pane by name, and how to get to the others.
        let index = state.panes.firstIndex { $0.pane == unit.pane } ?? 0
        canvas.fill(parts[1], style: theme.style(.tab))
        canvas.put(spans: [Span(" \(unit.key) \(unit.title) ", style: theme.style(.tabActive)),
                           Span("  \(index + 1)/\(state.panes.count) · Tab next", style: theme.style(.tab))],
                   x: parts[1].x, y: parts[1].y, maxWidth: parts[1].width, base: theme.style(.tab))
    } else {
        drawHeader(state, theme: theme, into: &canvas, area: parts[0])
        let tabs = Tabs(
            titles: state.panes.map { "\($0.key) \($0.title)" }, active: state.panes.firstIndex { $0.pane == unit.pane } ?? 0,
            style: theme.style(.tab), activeStyle: theme.style(.tabActive)
        ).render(into: &canvas, area: parts[1])
        for (pane, rect) in zip(state.panes, tabs) { hits.add(rect, .tab(pane.pane)) }
    }
    let body = parts[2]
    unit.draw(state, theme, &canvas, body, &hits)
    if let overlay = state.overlay { drawOverlay(overlay, state: state, theme: theme, into: &canvas, area: body) }
    if let form = state.form { drawForm(form, context: state.context, theme: theme, into: &canvas, area: body) }
    if let dialog = state.dialog { drawDialog(dialog, context: state.context, theme: theme, into: &canvas, area: body) }
    if let picker = state.crashFilterPicker { drawCrashFilterPicker(picker, state: state, theme: theme, into: &canvas, area: body) }
    if let picker = state.auditFilterPicker { drawAuditFilterPicker(picker, state: state, theme: theme, into: &canvas, area: body) }
    drawFlash(state, theme: theme, into: &canvas, area: parts[3])
    KeyHints(keyHints(for: state).filter { $0.key != "?" }, pinned: ("?", "help"), style: theme.style(.status), keyStyle: theme.style(.statusKey))
        .render(into: &canvas, area: parts[4])
    if state.showHelp { drawHelp(state, theme: theme, into: &canvas) }
    return Frame(canvas: canvas, hits: hits)
}

extension HitMap where Target == Hit {
    /// The rows a table showed, as items of `list` (`first`: the index of its first row).
    mutating func add(rows: [(row: Int, rect: Rect)], of list: ListID, first: Int = 0) {
        for (row, rect) in rows { add(rect, .row(list, first + row)) }
    }
}

// MARK: - Header and status

private func drawHeader(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect) {
    let base = theme.style(.header)
    canvas.fill(area, style: base)
    // Most urgent first: at 80 columns the end is cut, and it must never be the data's
    // age or a warning that the screen is behind. The server, known at start, goes last.
    var spans: [Span] = [Span(" OpsDeck ", style: theme.style(.headerTitle))]
    // A production context is marked first, on every pane, where it cannot be missed.
    if let context = state.context, context.production {
        spans.append(Span(" "))
        spans.append(Span(" PRODUCTION ", style: theme.style(.flashError).adding([.bold, .reverse])))
    }
    spans.append(Span("  app "))
    spans.append(Span(state.app.map { "\($0.id)" } ?? "—", style: Style(attributes: .bold)))
    // Alerts nobody is on yet, on every pane (`!` shows them).
    let alerts = state.unacknowledgedAlerts
    if !alerts.isEmpty {
        let critical = alerts.contains { $0.severity == .critical }
        spans.append(Span("  "))
        spans.append(Span("⚑ \(alerts.count) alert\(alerts.count == 1 ? "" : "s")", style: theme.style(critical ? .statusCrit : .statusWarn).adding(.bold)))
    }
    if let caller = state.caller {
        spans.append(Span("  \(caller.name) (\(caller.role.rawValue)\(state.readOnly ? ", read-only" : ""))"))
    } else if state.readOnly {
        spans.append(Span("  read-only"))
    }
    spans.append(Span("  "))
    spans.append(connectionSpan(state, theme: theme))
    spans.append(Span("  "))
    spans.append(freshnessSpan(state, theme: theme))
    spans.append(Span("  " + (state.context.map { "context \($0.name) · " } ?? "") + hostLabel(state.server), style: theme.style(.muted)))
    canvas.put(spans: spans, x: area.x, y: area.y, maxWidth: area.width, base: base)
}

/// Narrow mode's header: the app, the connection and the data's age; nothing else fits.
private func drawNarrowHeader(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect) {
    canvas.fill(area, style: theme.style(.header))
    var spans: [Span] = []
    if let context = state.context, context.production { spans.append(Span("PROD ", style: theme.style(.flashError).adding([.bold, .reverse]))) }
    spans += [Span(state.app?.id ?? "—", style: theme.style(.header).adding(.bold)), Span(" ")]
    if !state.unacknowledgedAlerts.isEmpty { spans.append(Span("⚑\(state.unacknowledgedAlerts.count) ", style: theme.style(.statusCrit).adding(.bold))) }
    spans.append(connectionSpan(state, theme: theme))
    spans.append(Span(" "))
    spans.append(freshnessSpan(state, theme: theme))
    canvas.put(spans: spans, x: area.x + 1, y: area.y, maxWidth: area.width - 1, base: theme.style(.header))
}

/// The server as the header names it: host and port, which is what tells two
/// environments apart; the scheme and path only cost columns at 80.
func hostLabel(_ url: String) -> String {
    guard let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty else { return url }
    let shown = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    return parts.port.map { "\(shown):\($0)" } ?? shown
}

private func connectionSpan(_ state: ConsoleState, theme: Theme) -> Span {
    switch state.sync.connection {
    case .connecting: Span("◌ connecting…", style: theme.style(.statusWarn))
    case .online: Span("● online", style: theme.style(.statusOK))
    case .offline: Span("✕ offline since \(clock(state.sync.since))", style: theme.style(.statusCrit))
    case .refused: Span("✕ refused", style: theme.style(.statusCrit))
    }
}

private func freshnessSpan(_ state: ConsoleState, theme: Theme) -> Span {
    if let behind = state.screenBehind {
        return Span("⚠ screen \(duration(behind)) behind the cache", style: theme.style(.statusCrit))
    }
    guard let fetched = state.lastFetched else { return Span("no data yet", style: theme.style(.statusWarn)) }
    let age = max(0, state.shownNow.timeIntervalSince(fetched))
    let stale = age > 60 || state.sync.connection != .online
    return Span(
        "data \(duration(age)) old" + (stale ? " (stale)" : ""),
        style: theme.style(stale ? .statusWarn : .muted))
}

private func drawFlash(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect) {
    if let palette = state.palette {
        var spans = [Span(" :" + palette.text + "▏", style: theme.style(.accent).adding(.bold))]
        if let error = palette.error {
            spans.append(Span("  " + error, style: theme.style(.flashError)))
        } else {
            let options = completions(for: palette.text, in: state)
            if !options.isEmpty { spans.append(Span("  Tab: " + options.prefix(8).joined(separator: " · "), style: theme.style(.muted))) }
        }
        canvas.put(spans: spans, x: area.x, y: area.y, maxWidth: area.width, base: theme.style(.base))
        return
    }
    if let list = state.unit.list(state), state.filterEditing == list.id || (state.filters[list.id] != nil && state.flash == nil) {
        let editing = state.filterEditing == list.id
        let text = " /" + (state.filters[list.id] ?? "") + (editing ? "▏" : "")
        let count = " \(list.count) shown" + (editing ? " · Enter keeps · Esc clears" : " · / edits the filter")
        canvas.put(spans: [Span(text, style: theme.style(.accent).adding(.bold)), Span(count, style: theme.style(.muted))],
                   x: area.x, y: area.y, maxWidth: area.width, base: theme.style(.base))
        return
    }
    if let flash = state.flash {
        canvas.put(" " + flash.text, x: area.x, y: area.y, width: area.width, style: theme.style(flash.isError ? .flashError : .flashInfo))
        return
    }
    if let outcome = state.outcome, outcome.app == state.appID {
        canvas.put(spans: outcomeSpans(outcome, state, theme: theme), x: area.x, y: area.y, maxWidth: area.width, base: theme.style(.base))
        return
    }
    let retry = state.sync.nextAttempt.map { next -> String in
        let wait = next.timeIntervalSince(state.shownNow)
        return wait < 1 ? "retrying now" : "retrying in \(duration(wait))"
    } ?? "not retrying"
    let shown = state.lastFetched.map { "showing cached data from \(clock($0))" } ?? "nothing cached yet"
    switch state.sync.connection {
    case .offline(let reason), .refused(let reason):
        canvas.put(" \(reason) — \(shown); \(retry)", x: area.x, y: area.y, width: area.width, style: theme.style(.flashError))
    case .connecting:
        canvas.put(" connecting to \(state.server)… \(shown)", x: area.x, y: area.y, width: area.width, style: theme.style(.muted))
    case .online:
        canvas.fill(area, style: theme.style(.base))
    }
}

/// The last confirmed change as it reaches devices: who has it so far.
private func outcomeSpans(_ outcome: ChangeOutcome, _ state: ConsoleState, theme: Theme) -> [Span] {
    var spans = [Span(" ✓ \(outcome.summary) since \(clock(outcome.since)): ", style: theme.style(.statusOK).adding(.bold))]
    guard let reach = state.reach else { return spans + [Span("counting the devices that have it…", style: theme.style(.muted))] }
    switch outcome.change {
    case .switchValue(let key, let on):
        guard let counts = reach.switchReach(key), counts.on + counts.off > 0 else {
            return spans + [Span("no device has checked in yet", style: theme.style(.muted))]
        }
        let told = on ? counts.on : counts.off, all = counts.on + counts.off
        spans.append(Span("devices on the new value: \(grouped(told)) of \(grouped(all))", style: theme.style(told == all ? .statusOK : .statusWarn)))
    case .release(let version):
        let release = state.releases.first { $0.version == version }
        let counts = reach.releaseReach(version)
        let running = "\(grouped(counts?.running ?? 0)) \(counts?.running == 1 ? "device runs" : "devices run") it"
        if let release, [.halted, .rolledBack].contains(release.stage) {
            spans.append(Span("new offers stopped; \(running)", style: theme.style(.statusWarn)))
        } else {
            spans.append(Span("offered to \(grouped(counts?.offered ?? 0)) at their last check; \(running)", style: theme.style(.accent)))
        }
    }
    return spans
}

private func keyHints(for state: ConsoleState) -> [(key: String, label: String)] {
    keyTable(for: state).compactMap { entry in entry.short.map { ($0, entry.hint) } }
}

private func drawTooSmall(_ canvas: inout Canvas, theme: Theme) {
    let lines = [
        "Terminal too small: \(canvas.width)×\(canvas.height)",
        "OpsDeck needs at least \(minimumSize.width)×\(minimumSize.height).",
        "Enlarge the window, or press q to quit.",
    ]
    let top = max(0, (canvas.height - lines.count) / 2)
    for (index, line) in lines.enumerated() where top + index < canvas.height {
        canvas.put(line, x: 0, y: top + index, width: canvas.width, style: theme.style(index == 0 ? .flashError : .base), alignment: .center)
    }
}

// MARK: - Panes

/// The release to compare with: the newest full release older than this one (for the
/// newest full release itself, the full one before it).
func baselineRelease(for index: Int, in releases: [Release]) -> Release? {
    releases.dropFirst(index + 1).first { $0.stage == .full }
}

/// `points` summed into at most `count` consecutive buckets, the newest last.
func bucketed(_ points: [MetricsPoint], into count: Int) -> [MetricsPoint] {
    guard points.count > count, count > 0 else { return points }
    let size = Int((Double(points.count) / Double(count)).rounded(.up))
    return stride(from: points.count, to: 0, by: -size).reversed().map { end in
        let slice = points[max(0, end - size)..<end]
        return MetricsPoint(at: slice.first!.at, sessions: slice.reduce(0) { $0 + $1.sessions }, crashes: slice.reduce(0) { $0 + $1.crashes },
                            anrs: slice.reduce(0) { $0 + $1.anrs }, crashFreeSessions: nil, crashFreeUsers: nil, adoption: nil)
    }
}

/// Crashes per 100 sessions, one value per cell, each over a trailing window of about
/// five minutes: a single minute's rate is noise, as a session and its crash can fall into
/// different minutes.
func crashRates(_ points: [MetricsPoint], into width: Int, window minutes: Double = 5) -> [Double] {
    let buckets = bucketed(points, into: width)
    guard !buckets.isEmpty else { return [] }
    let span = max(1, Int((minutes * Double(buckets.count) / Double(points.count)).rounded(.up)))
    return buckets.indices.map { index in
        let slice = buckets[max(0, index - span + 1)...index]
        let sessions = slice.reduce(0) { $0 + $1.sessions }
        return sessions == 0 ? 0 : Double(slice.reduce(0) { $0 + $1.crashes }) / Double(sessions) * 100
    }
}

/// ANRs per 100 sessions over the series.
func anrRate(_ series: MetricsSeries) -> Double? {
    series.total.anrRate
}

extension MetricsPoint {
    /// ANRs per 100 sessions; nil without sessions.
    var anrRate: Double? { sessions == 0 ? nil : Double(anrs) / Double(sessions) * 100 }
    /// Crash events per 100 sessions; nil without sessions.
    var crashRate: Double? { sessions == 0 ? nil : Double(crashes) / Double(sessions) * 100 }
}

/// A rate of `value`'s release against `baseline`'s, or why there is none: "—" without
/// sessions, "n=12" (muted) when too few sessions to say anything.
func rate(_ value: MetricsPoint?, _ baseline: MetricsPoint?, _ metric: (MetricsPoint) -> Double?, higherIsBetter: Bool,
                  theme: Theme) -> Span {
    guard let value, value.sessions > 0 else { return Span("—", style: theme.style(.muted)) }
    guard value.sessions >= minimumSessions else { return Span("n=\(value.sessions)", style: theme.style(.muted)) }
    guard let shown = metric(value) else { return Span("—", style: theme.style(.muted)) }
    let text = shown >= 99.95 ? "100%" : String(format: "%.1f%%", shown)
    // Against the baseline when it has enough sessions too: an arrow when they differ by
    // more than 0.1 points, coloured by whether that is better (the arrow says it without colour).
    guard let base = baseline.flatMap({ $0.sessions >= minimumSessions ? metric($0) : nil }), abs(shown - base) > 0.1 else {
        return Span(text + "  ")
    }
    let better = (shown > base) == higherIsBetter
    return Span(text + (shown > base ? " ▲" : " ▼"), style: theme.style(better ? .statusOK : .statusCrit))
}

private func anrRate(_ point: MetricsPoint) -> Double? {
    point.sessions == 0 ? nil : Double(point.anrs) / Double(point.sessions) * 100
}

/// The guardrail of a release as it stands: its limit, the crash rate over its window
/// now (from the cached per-minute health) and whether it is armed (enough sessions in
/// the window for it to act).
func guardrailStatus(_ guardrail: Guardrail, health: MetricsSeries?, theme: Theme, named: Bool = true) -> [Span] {
    var spans = [Span((named ? "guardrail: " : "") + "halts above \(percentText(guardrail.maxCrashRate)) crashed over \(guardrail.windowMinutes) min",
                      style: theme.style(.muted))]
    guard let health else {
        spans.append(Span(" · now …", style: theme.style(.muted)))
        return spans
    }
    let window = health.points.suffix(guardrail.windowMinutes)
    let sessions = window.reduce(0) { $0 + $1.sessions }
    let crashed = Int(window.reduce(0.0) { total, point in
        total + Double(point.sessions) * (100 - (point.crashFreeSessions ?? 100)) / 100
    }.rounded())
    guard sessions > 0 else {
        spans.append(Span(" · no sessions · not armed (needs \(grouped(guardrail.minSessions)))", style: theme.style(.muted)))
        return spans
    }
    let rate = Double(crashed) / Double(sessions) * 100
    let over = rate > guardrail.maxCrashRate
    spans.append(Span(" · now \(String(format: "%.1f%%", rate)) (\(grouped(crashed)) of \(grouped(sessions)))",
                      style: theme.style(over ? .statusCrit : .statusOK)))
    if sessions >= guardrail.minSessions {
        spans.append(Span(" · armed", style: theme.style(over ? .statusCrit : .statusOK).adding(.bold)))
    } else {
        spans.append(Span(" · not armed: \(grouped(sessions)) of \(grouped(guardrail.minSessions)) sessions", style: theme.style(.statusWarn)))
    }
    return spans
}


/// "99.2% ▲": the value, and an arrow when it differs from the baseline by more than
/// 0.1 points, coloured by whether that is better; the arrow says it without colour.
func compared(_ value: Double?, _ baseline: Double?, higherIsBetter: Bool, theme: Theme) -> Span {
    guard let value else { return Span("—", style: theme.style(.muted)) }
    let text = String(format: "%.1f%%", value)
    guard let baseline, abs(value - baseline) > 0.1 else { return Span(text + "  ") }
    let better = (value > baseline) == higherIsBetter
    return Span(text + (value > baseline ? " ▲" : " ▼"), style: theme.style(better ? .statusOK : .statusCrit))
}

/// Values as a row of eighth-blocks, scaled to `top` (to their own largest when nil: a
/// column of sparklines passes one top, so that rows compare); flat without data.
func sparkline(_ values: [Double], top: Double? = nil) -> String {
    guard let top = top ?? values.max(), top > 0 else { return String(repeating: "▁", count: min(values.count, 60)) }
    let blocks: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
    return String(values.map { blocks[min(7, Int(($0 / top * 7).rounded()))] })
}

/// "2026-11-21 14:03 (3h ago)", local time.
func timestamp(_ date: Date, now: Date) -> String {
    "\(LocalTime(date).format(date: true, seconds: false)) (\(duration(max(0, now.timeIntervalSince(date)))) ago)"
}

/// Stage names carry a symbol as well as a colour: colour alone says nothing on a
/// monochrome terminal or to a colour-blind reader.
func stageSpan(_ stage: ReleaseStage, theme: Theme) -> Span {
    switch stage {
    case .draft: Span("○ draft", style: theme.style(.muted))
    case .whitelist: Span("◇ whitelist", style: theme.style(.accent))
    case .gray: Span("◐ gray", style: theme.style(.statusWarn))
    case .full: Span("● full", style: theme.style(.statusOK))
    case .halted: Span("■ halted", style: theme.style(.statusCrit))
    case .rolledBack: Span("↺ rolled back", style: theme.style(.statusCrit))
    }
}

func platformName(_ platform: Platform) -> String {
    switch platform {
    case .android: "Android"
    case .ios: "iOS"
    case .harmony: "HarmonyOS"
    }
}

func grayText(_ release: Release) -> String {
    switch release.stage {
    case .gray, .halted, .full:
        return percentText(release.grayPercent)
    default:
        return "—"
    }
}

/// The keys that work here, for this role: the same map as the hint bar, in full.
private func drawHelp(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas) {
    let (box, lines, scroll) = helpLayout(state, size: Size(width: canvas.width, height: canvas.height))
    let style = theme.style(.header)
    let border = theme.style(.muted).over(style)
    canvas.fill(box, style: style)
    let inner = box.width - 2
    canvas.put("┌" + String(repeating: "─", count: inner) + "┐", x: box.x, y: box.y, style: border)
    for y in (box.y + 1)..<(box.maxY - 1) {
        canvas.put("│", x: box.x, y: y, style: border)
        canvas.put("│", x: box.maxX - 1, y: y, style: border)
    }
    canvas.put("└" + String(repeating: "─", count: inner) + "┘", x: box.x, y: box.maxY - 1, style: border)
    let title = " Keys in \(state.unit.title)" + (state.caller.map { " for \($0.role.rawValue)" } ?? "") + " "
    canvas.put(title, x: box.x + max(1, (box.width - TerminalText.width(title)) / 2), y: box.y, maxWidth: inner, style: style.adding(.bold))
    let visible = box.height - 2
    for (index, line) in lines.dropFirst(scroll).prefix(visible).enumerated() {
        var spans = line
        if let first = spans.first, first.style == nil { spans[0].style = theme.style(.statusKey).over(style) }
        canvas.put(spans: spans, x: box.x + 2, y: box.y + 1 + index, maxWidth: inner - 2, base: style)
    }
    let footer = lines.count > visible
        ? " lines \(scroll + 1)-\(min(lines.count, scroll + visible)) of \(lines.count) · ↑↓ scroll · any other key closes "
        : " any key closes "
    canvas.put(footer, x: box.x + max(1, box.width - 1 - TerminalText.width(footer)), y: box.maxY - 1, maxWidth: inner, style: border)
}

/// Help's box, its lines (keys, then the pane's legend), wrapped to the box and never
/// cut, and how far it is scrolled: what `drawHelp` draws and `handle` scrolls.
func helpLayout(_ state: ConsoleState, size: Size) -> (box: Rect, lines: [[Span]], scroll: Int) {
    var unmodal = state
    unmodal.showHelp = false
    let entries = keyTable(for: unmodal).map { ($0.names, $0.help) }
    let width = min(size.width, 84), text = max(10, width - 4)
    let keyWidth = min(22, max(8, text / 3))
    var lines: [[Span]] = []
    for (names, help) in entries {
        let left = TerminalText.wrapped(names, to: keyWidth), right = TerminalText.wrapped(help, to: text - keyWidth - 2)
        for row in 0..<max(left.count, right.count) {
            // The key column's first span has no style: drawHelp gives it the key colour.
            lines.append([Span(TerminalText.padded(row < left.count ? left[row] : "", to: keyWidth + 2)),
                          Span(row < right.count ? right[row] : "")])
        }
    }
    if !state.unit.legend.isEmpty {
        lines.append([Span("", style: Style())])
        lines.append([Span("What the screen says", style: Style(attributes: .bold))])
        for paragraph in state.unit.legend {
            for line in TerminalText.wrapped(paragraph, to: text) { lines.append([Span(line, style: Style())]) }
        }
    }
    let height = min(size.height, lines.count + 2)
    let box = Rect(x: (size.width - width) / 2, y: (size.height - height) / 2, width: width, height: height)
    let scroll = max(0, min(state.helpScroll, lines.count - (height - 2)))
    return (box, lines, scroll)
}

// MARK: - Formatting

/// "45s", "12m", "3h", "2d": how long ago, at a glance.
func duration(_ seconds: TimeInterval) -> String {
    switch seconds {
    case ..<60: "\(Int(seconds))s"
    case ..<3600: "\(Int(seconds / 60))m"
    case ..<86_400: "\(Int(seconds / 3600))h"
    default: "\(Int(seconds / 86_400))d"
    }
}

/// Wall-clock time in the local zone, "14:03:07".
func clock(_ date: Date) -> String {
    LocalTime(date).format(date: false, seconds: true)
}

/// A moment broken down in the local time zone with `localtime_r`: formatting a list's
/// worth of times per frame with DateFormatter (built per call) cost a core at 10 frames
/// a second.
struct LocalTime {
    var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0

    init(_ date: Date) {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        localtime_r(&seconds, &parts)
        year = Int(parts.tm_year) + 1900
        month = Int(parts.tm_mon) + 1
        day = Int(parts.tm_mday)
        hour = Int(parts.tm_hour)
        minute = Int(parts.tm_min)
        second = Int(parts.tm_sec)
    }

    /// "2026-11-21 14:03:07", "14:03", "11-21 14:03:07" …
    func format(date: Bool, year withYear: Bool = true, seconds: Bool) -> String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        var text = ""
        if date { text = (withYear ? "\(year)-" : "") + "\(two(month))-\(two(day)) " }
        text += "\(two(hour)):\(two(minute))"
        if seconds { text += ":\(two(second))" }
        return text
    }
}

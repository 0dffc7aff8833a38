import Foundation
import PlatformModel
import Sync
import TUI

// The Releases pane: each release of the app with its stage, gray percentage and the
// last hour's health against the previous full release; the selected one in full below.
// Enter shows its issues, `c` its charts; H/R/B/A move it (as in Rollouts, through the
// dialog).

extension Pane {
    public static let releases = Pane(rawValue: "releases")
}

extension ListID {
    public static let releases = ListID(rawValue: "releases")
}

private func releasesKeys(_ state: ConsoleState) -> [KeyAction] {
    func selected(_ state: ConsoleState) -> Release? {
        state.releases.indices.contains(state.selected) ? state.releases[state.selected] : nil
    }
    return [
        KeyAction([.enter], short: "Enter", hint: "issues", help: "the release's crash issues (in Crashes)") { _, state in
            guard let release = selected(state) else { return [] }
            showIssues(of: release.version, &state)
            return []
        },
        KeyAction([.character("c")], short: "c", hint: "charts", help: "the release's last hour as charts") { _, state in
            guard let release = selected(state) else { return [] }
            state.overlay = .release(version: release.version)
            state.overlayScroll = 0
            return []
        },
        KeyAction([.character("H"), .character("R"), .character("A"), .character("B")], short: "H/R/A/B", names: "H R A B",
                  hint: "move",
                  help: "halt, resume, advance (draft → whitelist or gray → full), roll back the release (asks why)",
                  permission: .changesReleases) { key, state in
            guard let release = selected(state) else { return [] }
            return moveRelease(key, release, &state)
        },
        KeyAction([.character("n")], short: "n", hint: "new", help: "create a draft release: version, build, notes, package size, SHA-256",
                  permission: .changesReleases) { _, state in openNewReleaseForm(&state) },
        KeyAction([.character("t")], short: "t", hint: "targeting",
                  help: "edit the release's whitelist, rules (city, model, network, OS version) and window, with the devices it reaches",
                  permission: .changesReleases) { _, state in
            guard let release = selected(state) else { return [] }
            return openTargetingForm(release, &state)
        },
    ]
}

/// The Crashes pane's issues of one release.
func showIssues(of version: String, _ state: inout ConsoleState) {
    state.pane = .crashes
    state.crashView = .issues
    state.crashFilter.release = version
    state.filters[.crashIssues] = nil
    refilter(&state)
    state.flash = Flash(text: "issues seen in \(version) (f changes the filter)", isError: false, shownAt: state.now)
}

extension PaneUnit {
    static let releases = PaneUnit(
        .releases, title: "Releases", key: "1", data: [.releases, .health],
        read: { read, _ in read.health = true },
        list: { state in PaneList(id: .releases, count: state.releases.count) },
        keys: releasesKeys,
        draw: { state, theme, canvas, area, hits in drawReleases(state, theme: theme, into: &canvas, area: area, hits: &hits) })
}

private func drawReleases(_ state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect, hits: inout HitMap<Hit>) {
    guard !state.releases.isEmpty else {
        let text: String
        switch state.sync.connection {
        case .online, .connecting: text = state.app == nil ? "Waiting for the platform's app list…" : "No releases for \(state.appID ?? "this app") yet."
        case .offline, .refused: text = "Nothing cached for \(state.appID ?? "this app"), and the platform cannot be reached."
        }
        canvas.put(text, x: area.x, y: area.y + area.height / 2, width: area.width, style: theme.style(.muted), alignment: .center)
        return
    }
    // Health columns always; build, update time and notes when there is room.
    let wide = area.width >= 140
    var columns = [
        Table.Column("VERSION", width: .length(9)),
        Table.Column("STAGE", width: .length(13)),
        Table.Column("GRAY", width: .length(7), alignment: .right),
        Table.Column("ADOPT", width: .length(6), alignment: .right),
        Table.Column("CF SESS", width: .length(8), alignment: .right),
        Table.Column("CF USERS", width: .length(8), alignment: .right),
        Table.Column("ANR", width: .length(6), alignment: .right),
        Table.Column("CRASH%", width: .length(6), alignment: .right),
        Table.Column(wide ? "CRASH% OVER THE LAST HOUR" : "HOUR", width: wide ? .length(30) : .fill(min: 5)),
    ]
    if wide {
        columns.insert(Table.Column("BUILD", width: .length(6), alignment: .right), at: 1)
        columns.insert(Table.Column("SESS", width: .length(7), alignment: .right), at: 5)
        columns += [Table.Column("UPDATED", width: .length(9)), Table.Column("NOTES", width: .fill(min: 10))]
    }
    // The sparkline gets as many cells as its column: minutes summed into buckets. All
    // rows share one scale, so a release at 30 % crashes does not look like one at 1 %.
    let sparkWidth = wide ? 30 : max(5, area.width - 2 - 63 - 8)
    let rates = Dictionary(uniqueKeysWithValues: state.releases.compactMap { release in
        state.health[release.version].map { (release.version, crashRates($0.points, into: sparkWidth)) }
    })
    let top = rates.values.flatMap { $0 }.max()
    let rows = state.releases.enumerated().map { index, release -> [Span] in
        let health = state.health[release.version]
        let baseline = baselineRelease(for: index, in: state.releases).flatMap { state.health[$0.version] }
        // Drafts and rolled-back releases have no health; the others' is loading until read.
        let none = Span([.draft, .rolledBack].contains(release.stage) ? "—" : "…", style: theme.style(.muted))
        var row = [
            Span(release.version, style: Style(attributes: .bold)),
            stageSpan(release.stage, theme: theme),
            Span(grayText(release)),
            health.map { series in Span(series.total.adoption.map { String(format: "%.1f%%", $0) } ?? "—") } ?? none,
            health.map { rate($0.total, baseline?.total, \.crashFreeSessions, higherIsBetter: true, theme: theme) } ?? none,
            health.map { rate($0.total, baseline?.total, \.crashFreeUsers, higherIsBetter: true, theme: theme) } ?? none,
            health.map { rate($0.total, baseline?.total, \.anrRate, higherIsBetter: false, theme: theme) } ?? none,
            health.map { series in
                guard series.total.sessions >= minimumSessions, let value = series.total.crashRate else {
                    return Span(series.total.sessions == 0 ? "—" : "n=\(series.total.sessions)", style: theme.style(.muted))
                }
                return Span(String(format: "%.1f", value))
            } ?? none,
            Span(rates[release.version].map { sparkline($0, top: top) } ?? "", style: theme.style(.spark)),
        ]
        if wide {
            row.insert(Span(String(release.build)), at: 1)
            row.insert(health.map { Span(grouped($0.total.sessions), style: theme.style(.muted)) } ?? none, at: 5)
            row += [Span(duration(max(0, state.shownNow.timeIntervalSince(release.updatedAt))) + " ago"), Span(release.notes, style: theme.style(.muted))]
        }
        return row
    }
    let table = Table(
        columns: columns, rows: rows, selected: state.selected,
        styles: .init(header: theme.style(.tableHeader), row: theme.style(.tableRow), selected: theme.style(.tableSelected)))
    let inner = Rect(x: area.x + 1, y: area.y, width: area.width - 2, height: area.height)
    let detailHeight = 6
    // The selected release in full below the table, when there is room for both.
    if inner.height >= state.releases.count + 1 + detailHeight + 1 || inner.height >= 16 {
        let parts = inner.rows([.fill, .length(detailHeight)])
        hits.add(rows: table.render(into: &canvas, area: parts[0]), of: .releases)
        let release = state.releases[state.selected]
        let baseline = baselineRelease(for: state.selected, in: state.releases)
        drawReleaseDetail(release, health: state.health[release.version], baseline: baseline.map { ($0, state.health[$0.version]) },
                          now: state.shownNow, theme: theme, into: &canvas, area: parts[1])
    } else {
        hits.add(rows: table.render(into: &canvas, area: inner), of: .releases)
    }
}

private func drawReleaseDetail(_ release: Release, health: MetricsSeries?, baseline: (Release, MetricsSeries?)?, now: Date, theme: Theme,
                               into canvas: inout Canvas, area: Rect) {
    let rule = theme.style(.muted)
    let title = " \(release.version) (build \(release.build)) "
    canvas.put(String(repeating: "─", count: area.width), x: area.x, y: area.y, style: rule)
    canvas.put(title, x: area.x + 2, y: area.y, style: theme.style(.accent).adding(.bold))
    let label = theme.style(.muted)
    func field(_ name: String, _ value: [Span], x: Int, y: Int, width: Int) {
        canvas.put(name, x: x, y: y, width: 9, style: label)
        canvas.put(spans: value, x: x + 9, y: y, maxWidth: width - 9, base: theme.style(.base))
    }
    let half = area.width / 2
    var stage = stageSpan(release.stage, theme: theme)
    if release.stage == .gray || release.stage == .halted { stage.text += " at \(grayText(release))" }
    field("Stage", [stage], x: area.x, y: area.y + 1, width: half)
    field("Revision", [Span("\(release.revision)")], x: area.x + half, y: area.y + 1, width: area.width - half)
    field("Created", [Span(timestamp(release.createdAt, now: now))], x: area.x, y: area.y + 2, width: half)
    field("Updated", [Span(timestamp(release.updatedAt, now: now))], x: area.x + half, y: area.y + 2, width: area.width - half)
    // The sample behind the rates above: sessions and devices, and the baseline's.
    var sample: [Span]
    if let total = health?.total {
        sample = [Span("\(count(total.sessions, "session")), \(count(total.devices ?? 0, "device")) in the last hour")]
        if total.sessions > 0 && total.sessions < minimumSessions { sample.append(Span(" (too few to compare)", style: theme.style(.statusWarn))) }
    } else {
        sample = [Span([.draft, .rolledBack].contains(release.stage) ? "none: not offered" : "loading…", style: theme.style(.muted))]
    }
    if let (base, baseHealth) = baseline {
        sample.append(Span("  against \(base.version): \(baseHealth.map { grouped($0.total.sessions) } ?? "…") sessions", style: theme.style(.muted)))
    }
    field("Sample", sample, x: area.x, y: area.y + 3, width: area.width)
    if let guardrail = release.guardrail {
        field("Guard", guardrailStatus(guardrail, health: health, theme: theme, named: false), x: area.x, y: area.y + 4, width: area.width)
    } else {
        field("Guard", [Span("no guardrail", style: theme.style(.muted))], x: area.x, y: area.y + 4, width: area.width)
    }
    field("Notes", [Span(release.notes)], x: area.x, y: area.y + 5, width: area.width)
}

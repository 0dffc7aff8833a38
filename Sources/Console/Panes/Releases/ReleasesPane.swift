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
        KeyAction([.character("H"), .character("R"), .character("B")], short: "H/R/B", names: "H R B", hint: "halt/resume/back",
                  help: "halt, resume, roll back the release (asks why)", permission: .changesReleases) { key, state in
            guard let release = selected(state) else { return [] }
            return moveRelease(key, release, &state)
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
        Table.Column("CF SESS", width: .length(9), alignment: .right),
        Table.Column("CF USERS", width: .length(9), alignment: .right),
        Table.Column("ANR", width: .length(6), alignment: .right),
        Table.Column("CRASH% 1h", width: wide ? .length(30) : .fill(min: 10)),
    ]
    if wide {
        columns.insert(Table.Column("BUILD", width: .length(6), alignment: .right), at: 1)
        columns += [Table.Column("UPDATED", width: .length(9)), Table.Column("NOTES", width: .fill(min: 10))]
    }
    // The sparkline gets as many cells as its column: minutes summed into buckets.
    let sparkWidth = wide ? 30 : max(10, area.width - 2 - 66 - 7)
    let rows = state.releases.enumerated().map { index, release -> [Span] in
        let health = state.health[release.version]
        let baseline = baselineRelease(for: index, in: state.releases).flatMap { state.health[$0.version] }
        var row = [
            Span(release.version, style: Style(attributes: .bold)),
            stageSpan(release.stage, theme: theme),
            Span(grayText(release)),
            Span(health?.total.adoption.map { String(format: "%.1f%%", $0) } ?? "—"),
            compared(health?.total.crashFreeSessions, baseline?.total.crashFreeSessions, higherIsBetter: true, theme: theme),
            compared(health?.total.crashFreeUsers, baseline?.total.crashFreeUsers, higherIsBetter: true, theme: theme),
            compared(health.flatMap(anrRate), baseline.flatMap(anrRate), higherIsBetter: false, theme: theme),
            Span(health.map { sparkline(crashRates($0.points, into: sparkWidth)) } ?? "", style: theme.style(.spark)),
        ]
        if wide {
            row.insert(Span(String(release.build)), at: 1)
            row += [Span(duration(max(0, state.shownNow.timeIntervalSince(release.updatedAt))) + " ago"), Span(release.notes, style: theme.style(.muted))]
        }
        return row
    }
    let table = Table(
        columns: columns, rows: rows, selected: state.selected,
        styles: .init(header: theme.style(.tableHeader), row: theme.style(.tableRow), selected: theme.style(.tableSelected)))
    let inner = Rect(x: area.x + 1, y: area.y, width: area.width - 2, height: area.height)
    let detailHeight = 5
    // The selected release in full below the table, when there is room for both.
    if inner.height >= state.releases.count + 1 + detailHeight + 1 || inner.height >= 16 {
        let parts = inner.rows([.fill, .length(detailHeight)])
        hits.add(rows: table.render(into: &canvas, area: parts[0]), of: .releases)
        drawReleaseDetail(state.releases[state.selected], now: state.shownNow, theme: theme, into: &canvas, area: parts[1])
    } else {
        hits.add(rows: table.render(into: &canvas, area: inner), of: .releases)
    }
}

private func drawReleaseDetail(_ release: Release, now: Date, theme: Theme, into canvas: inout Canvas, area: Rect) {
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
    field("Notes", [Span(release.notes)], x: area.x, y: area.y + 3, width: area.width)
}

import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

// A seventh pane, made as a reviewer would add one: its identity, its list, its own
// state, a key, a view with clickable rows, and one line in a registry. Nothing else
// in the console is told about it, and it must appear with its tab, keys, help and mouse.

extension Pane {
    static let notes = Pane(rawValue: "notes")
}

extension ListID {
    static let notes = ListID(rawValue: "notes")
}

/// How many times `n` was pressed, kept by the pane itself.
private enum NotesPressed: PaneStateKey {
    static var initial: Int { 0 }
}

private let noteLines = ["first note", "second note", "third note"]

extension PaneUnit {
    static let notes = PaneUnit(
        .notes, title: "Notes", key: "7",
        list: { _ in PaneList(id: .notes, count: noteLines.count) },
        keys: { _ in
            [KeyAction([.character("n")], short: "n", hint: "count", help: "count a note") { _, state in
                state.appData.panes[NotesPressed.self] += 1
                return []
            }]
        },
        draw: { state, theme, canvas, area, hits in
            let rows = noteLines.map { [Span($0)] }
            let table = Table(columns: [Table.Column("NOTE", width: .fill(min: 10))], rows: rows, selected: state.selection[.notes] ?? 0,
                              styles: tableStyles(theme))
            hits.add(rows: table.render(into: &canvas, area: area), of: .notes)
            canvas.put("pressed \(state.appData.panes[NotesPressed.self])", x: area.x, y: area.y + area.height - 1, style: theme.style(.muted))
        })
}

@Suite struct PaneRegistryTests {
    static func console() -> ConsoleState {
        var state = ConsoleState(server: "http://127.0.0.1:9", sync: SyncStatus(connection: .connecting, since: ConsoleTests.now),
                                 now: ConsoleTests.now, panes: PaneUnit.registry + [.notes])
        _ = update(&state, .dataChanged(CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android",
                                                      lastFetched: ConsoleTests.now),
                                        SyncStatus(connection: .online, since: ConsoleTests.now)))
        return state
    }

    @Test func aPaneAddedToTheRegistryHasItsTabKeyHelpListAndMouse() throws {
        var state = Self.console()
        #expect(ConsoleTests.screen(state).lines[1].contains("7 Notes"), "its tab")
        #expect(ConsoleTests.screen(state).lines.last?.contains("0-7 panes") == true, "the pane keys count it")

        _ = update(&state, .key(.character("7")))
        #expect(state.pane == .notes)
        var screen = ConsoleTests.screen(state)
        #expect(screen.contains("second note"))
        #expect(screen.lines.last?.contains("n count") == true, "its key is in the hint bar")

        _ = update(&state, .key(.character("n")))
        _ = update(&state, .key(.character("n")))
        #expect(ConsoleTests.screen(state).contains("pressed 2"), "its key ran, on its own state")

        _ = update(&state, .key(.down))
        #expect(state.selection[.notes] == 1, "the arrows move its list")

        let y = try #require(MouseTests.row(of: "third note", in: state))
        MouseTests.click(x: 4, y: y, .left, &state)
        #expect(state.selection[.notes] == 2, "a click selects its row")

        _ = update(&state, .key(.character("?")))
        screen = ConsoleTests.screen(state)
        #expect(screen.contains("Keys in Notes"))
        #expect(screen.contains("count a note"), "help lists its key")
        _ = update(&state, .key(.escape))

        // Its state belongs to the app: another app starts from nothing.
        _ = update(&state, .key(.character("a")))
        #expect(ConsoleTests.screen(state).contains("pressed 0"))

        // Back by a click on another tab, and to it again with the palette.
        let tabs = ConsoleTests.screen(state).lines[1]
        let column = tabs.distance(from: tabs.startIndex, to: try #require(tabs.range(of: "6 Audit")).lowerBound)
        MouseTests.click(x: column + 2, y: 1, .left, &state)
        #expect(state.pane == .audit)
        for key in ":pane notes" { _ = update(&state, .key(.character(key))) }
        _ = update(&state, .key(.enter))
        #expect(state.pane == .notes)
    }

    @Test func theRegistryHasOneKeyOneTitleAndOneIdentityPerPane() {
        let units = PaneUnit.registry
        #expect(Set(units.map(\.pane)).count == units.count)
        #expect(Set(units.map(\.key)).count == units.count)
        #expect(Set(units.map(\.title)).count == units.count)
        // Pane keys are not taken by any pane's own keys or the global ones.
        for unit in units {
            var state = ConsoleTests.loaded()
            state.pane = unit.pane
            let own = unit.keys(state).flatMap(\.keys)
            for other in units { #expect(!own.contains(.character(other.key)), "\(unit.title) takes \(other.key)") }
        }
    }
}

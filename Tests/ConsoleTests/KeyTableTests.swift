import Foundation
import PlatformModel
import Testing
import TUI
@testable import Console

/// The key table is the one source of dispatch, the hint bar and help: what shows
/// works, and what the role or `--readonly` forbids is neither shown nor done.
@Suite struct KeyTableTests {
    static func states() -> [(String, ConsoleState)] {
        var result: [(String, ConsoleState)] = []
        for unit in PaneUnit.registry {
            for (who, caller, readOnly) in [("admin", Caller(name: "ana", role: .admin), false), ("viewer", Caller(name: "vi", role: .viewer), false),
                                            ("read-only admin", Caller(name: "ana", role: .admin), true)] {
                var state = ConsoleTests.loaded()
                state.pane = unit.pane
                state.caller = caller
                state.readOnly = readOnly
                result.append(("\(unit.title) as \(who)", state))
            }
        }
        return result
    }

    @Test func everyKeyShownRunsTheEntryThatShowsIt() {
        for (name, state) in Self.states() {
            let table = keyTable(for: state)
            #expect(!table.isEmpty, "\(name)")
            for entry in table {
                #expect(entry.run != nil, "\(name): '\(entry.names)' is shown but nothing runs it")
                for key in entry.keys {
                    let first = table.first { $0.keys.contains(key) }
                    #expect(first?.help == entry.help, "\(name): \(key.label) shows as '\(entry.help)' but runs '\(first?.help ?? "nothing")'")
                }
            }
        }
    }

    @Test func whatTheRoleMayNotDoIsNotShown() {
        for (name, state) in Self.states() where state.readOnly || state.caller?.role == .viewer {
            let table = keyTable(for: state)
            #expect(table.allSatisfy { $0.permission == .anyone }, "\(name): \(table.filter { $0.permission != .anyone }.map(\.names))")
            let canvas = view(state, theme: ConsoleTests.theme, size: ConsoleTests.size)
            #expect(!canvas.contains("flip"), "\(name): the hint bar offers no flip")
            #expect(!canvas.contains("H/R/A/B"), "\(name): nor a release move")
        }
    }

    @Test func aForbiddenKeySaysWhyAndDoesNothing() {
        var state = ConsoleTests.loaded()
        state.readOnly = true
        _ = update(&state, .key(.character("3")))
        let effects = update(&state, .key(.character("H")))
        #expect(effects.isEmpty)
        #expect(state.dialog == nil)
        #expect(state.flash?.text.contains("read-only") == true)
        #expect(state.appID == "wallet-android", "H is the pane's, even when forbidden: it never falls through to another key")

        var viewer = ConsoleTests.loaded()
        viewer.caller = Caller(name: "vi", role: .viewer)
        _ = update(&viewer, .key(.character("4")))
        _ = update(&viewer, .key(.character(" ")))
        #expect(viewer.dialog == nil)
        #expect(viewer.flash?.text.contains("viewer") == true)
    }

    @Test func inRolloutsCapitalAAdvancesAndOnlyLowercaseAChangesTheApp() {
        var state = ConsoleTests.loaded()
        state.caller = Caller(name: "ana", role: .admin)
        _ = update(&state, .key(.character("3")))
        let hints = keyTable(for: state).compactMap(\.short)
        #expect(hints.contains("a"))
        #expect(!hints.contains("a/A"))
        _ = update(&state, .key(.character("A")))
        #expect(state.appID == "wallet-android")
        #expect(state.dialog != nil, "A asks to advance the selected rollout")
    }
}

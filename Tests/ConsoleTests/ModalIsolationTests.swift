import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// Keys pressed behind anything over the pane (a dialog, a form, help, the palette, the
/// filter picker, a detail) never act on the pane underneath, and clicks do nothing.
@Suite struct ModalIsolationTests {
    /// Keys that do something on some pane: move, flip, raise, halt, open, switch pane.
    static let paneKeys: [Key] = [
        .character("]"), .character("["), .character("+"), .character(" "), .character("H"), .character("A"), .character("B"),
        .character("n"), .character("e"), .character("t"), .character("s"), .character("v"), .character("f"), .character("3"),
        .down, .right, .pageDown, .character("G"),
    ]

    static func modals() -> [(String, ConsoleState)] {
        var rollouts = ConsoleTests.loaded()
        rollouts.caller = Caller(name: "adam", role: .admin)
        _ = update(&rollouts, .key(.character("3")))
        var result: [(String, ConsoleState)] = []
        var dialog = rollouts
        _ = update(&dialog, .key(.character("]")))
        _ = update(&dialog, .key(.enter))
        result.append(("dialog", dialog))
        var form = ConsoleTests.loaded()
        form.caller = Caller(name: "adam", role: .admin)
        _ = update(&form, .key(.character("1")))
        _ = update(&form, .key(.character("n")))
        result.append(("form", form))
        var help = rollouts
        _ = update(&help, .key(.character("?")))
        result.append(("help", help))
        var palette = rollouts
        _ = update(&palette, .key(.character(":")))
        result.append(("palette", palette))
        var audit = ConsoleTests.loaded()
        _ = update(&audit, .key(.character("6")))
        OtherOperatorsTests.read(&audit, releases: ConsoleTests.releases, audit: [
            AuditEntry(id: 1, at: ConsoleTests.now, actor: "a", role: "admin", action: .releaseGray, target: "wallet-android/5.3.0",
                       before: nil, after: nil, reason: "r"),
        ])
        _ = update(&audit, .key(.enter))
        result.append(("audit detail", audit))
        return result
    }

    @Test func paneKeysBehindAModalDoNothingToThePane() {
        for (name, start) in Self.modals() {
            #expect(start.dialog != nil || start.form != nil || start.showHelp || start.palette != nil || start.overlay != nil, "\(name) is open")
            for key in Self.paneKeys {
                var state = start
                let effects = update(&state, .key(key))
                #expect(state.pane == start.pane, "\(name): \(key) changed the pane")
                #expect(state.pendingGray == start.pendingGray, "\(name): \(key) moved a gray percentage behind it")
                #expect(state.selection == start.selection, "\(name): \(key) moved the list behind it")
                #expect(!effects.contains { if case .perform = $0 { true } else { false } }, "\(name): \(key) sent a change")
                #expect(state.issueSort == start.issueSort && state.crashView == start.crashView, "\(name): \(key)")
            }
        }
    }

    @Test func clicksBehindAModalDoNothing() {
        for (name, start) in Self.modals() {
            var state = start
            let effects = update(&state, .pointer(.left, .tab(.breakers), x: 0))
            #expect(effects.isEmpty && state.pane == start.pane, "\(name): a click on a tab behind it switched the pane")
            _ = update(&state, .pointer(.left, .row(.releases, 2), x: 0))
            #expect(state.selection == start.selection, "\(name): a click behind it selected a row")
        }
    }
}

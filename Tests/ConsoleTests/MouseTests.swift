import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// Clicks land on what `view` drew there (checked against the drawn screen itself).
@Suite struct MouseTests {
    /// The screen row on which `text` is drawn.
    static func row(of text: String, in state: ConsoleState) -> Int? {
        ConsoleTests.screen(state, size: state.size).lines.firstIndex { $0.contains(text) }
    }

    @Test func clickingATabSwitchesPane() {
        var state = ConsoleTests.loaded()
        let tabs = ConsoleTests.screen(state).lines[1]
        let column = tabs.distance(from: tabs.startIndex, to: tabs.range(of: "6 Audit")!.lowerBound)
        _ = update(&state, .key(.mouse(x: column + 2, y: 1, button: .left)))
        #expect(state.pane == .audit)
    }

    @Test func clickingAReleaseRowSelectsItAndTheWheelMoves() throws {
        var state = ConsoleTests.loaded()
        let y = try #require(Self.row(of: "5.1.0", in: state))
        _ = update(&state, .key(.mouse(x: 5, y: y, button: .left)))
        #expect(state.releases[state.selected].version == "5.1.0")
        _ = update(&state, .key(.mouse(x: 5, y: y, button: .wheelUp)))
        #expect(state.selected == 0)
    }

    @Test func clickingABreakersToggleAsksToFlipIt() throws {
        var state = ControlsPaneTests.breakers([ControlsPaneTests.breaker("hd-images"), ControlsPaneTests.breaker("pay-api")])
        let y = try #require(Self.row(of: "pay-api", in: state))
        _ = update(&state, .key(.mouse(x: 3, y: y, button: .left)))
        #expect(state.dialog?.action == .setSwitch(app: "wallet-android", key: "pay-api", enabled: false))
    }

    @Test func clickingACrashRowTwiceOpensIt() throws {
        var state = CrashesPaneTests.crashes(events: [CrashesPaneTests.event(2), CrashesPaneTests.event(1, exception: "Second")])
        let y = try #require(Self.row(of: "Second", in: state))
        #expect(update(&state, .key(.mouse(x: 10, y: y, button: .left))).isEmpty)
        #expect(update(&state, .key(.mouse(x: 10, y: y, button: .left))) == [.loadCrashEvent(id: 1)])
    }

    @Test func clickingOnASliderSetsThePendingPercentageThere() throws {
        var state = RolloutsPaneTests.rollouts()
        let y = try #require(Self.row(of: "12.50%", in: state))
        let track = ConsoleTests.screen(state).lines[y]
        let start = track.distance(from: track.startIndex, to: track.firstIndex(of: "[")!) + 1
        let end = track.distance(from: track.startIndex, to: track.firstIndex(of: "]")!)
        _ = update(&state, .key(.mouse(x: start + (end - start) / 2, y: y, button: .left)))
        let pending = try #require(state.pendingGray["5.3.0"])
        #expect(abs(pending - 50) < 3, "the middle of the track is about 50% (got \(pending))")
        #expect(ConsoleTests.screen(state).contains("pending"))
    }
}

import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// Clicks land on what `view` drew there (checked against the drawn screen itself):
/// each click is looked up in the frame's hit map, as the runtime does.
@Suite struct MouseTests {
    /// A click at a cell of the screen `state` draws, as the runtime sends it.
    @discardableResult
    static func click(x: Int, y: Int, _ button: MouseButton = .left, _ state: inout ConsoleState) -> [Effect] {
        let drawn = frame(state, theme: ConsoleTests.theme, size: state.size)
        return update(&state, .pointer(button, drawn.hits.target(atX: x, y: y), x: x))
    }

    /// The screen row on which `text` is drawn.
    static func row(of text: String, in state: ConsoleState) -> Int? {
        ConsoleTests.screen(state, size: state.size).lines.firstIndex { $0.contains(text) }
    }

    @Test func clickingATabSwitchesPane() {
        var state = ConsoleTests.loaded()
        let tabs = ConsoleTests.screen(state).lines[1]
        let column = tabs.distance(from: tabs.startIndex, to: tabs.range(of: "6 Audit")!.lowerBound)
        _ = Self.click(x: column + 2, y: 1, .left, &state)
        #expect(state.pane == .audit)
    }

    @Test func clickingAReleaseRowSelectsItAndTheWheelMoves() throws {
        var state = ConsoleTests.loaded()
        let y = try #require(Self.row(of: "5.1.0", in: state))
        _ = Self.click(x: 5, y: y, .left, &state)
        #expect(state.releases[state.selected].version == "5.1.0")
        _ = Self.click(x: 5, y: y, .wheelUp, &state)
        #expect(state.selected == 0)
    }

    @Test func clickingABreakersToggleAsksToFlipIt() throws {
        var state = ControlsPaneTests.breakers([ControlsPaneTests.breaker("hd-images"), ControlsPaneTests.breaker("pay-api")])
        let y = try #require(Self.row(of: "pay-api", in: state))
        _ = Self.click(x: 3, y: y, .left, &state)
        #expect(state.dialog?.action == .setSwitch(app: "wallet-android", key: "pay-api", enabled: false))
    }

    @Test func clickingACrashRowTwiceOpensIt() throws {
        var state = CrashesPaneTests.crashes(events: [CrashesPaneTests.event(2), CrashesPaneTests.event(1, exception: "Second")])
        let y = try #require(Self.row(of: "Second", in: state))
        #expect(Self.click(x: 10, y: y, .left, &state).isEmpty)
        #expect(Self.click(x: 10, y: y, .left, &state) == [.loadCrashEvent(id: 1)])
    }

    @Test func clickingOnASliderSetsThePendingPercentageThere() throws {
        var state = RolloutsPaneTests.rollouts()
        let y = try #require(Self.row(of: "12.5%", in: state))
        let track = ConsoleTests.screen(state).lines[y]
        let start = track.distance(from: track.startIndex, to: track.firstIndex(of: "[")!) + 1
        let end = track.distance(from: track.startIndex, to: track.firstIndex(of: "]")!)
        _ = Self.click(x: start + (end - start) / 2, y: y, .left, &state)
        let pending = try #require(state.pendingGray["5.3.0"])
        #expect(abs(pending - 50) < 3, "the middle of the track is about 50% (got \(pending))")
        #expect(ConsoleTests.screen(state).contains("pending"))
    }
}

extension MouseTests {
    @Test func aClickOnNothingDoesNothingAndARawClickWithoutAFrameIsIgnored() {
        var state = ConsoleTests.loaded()
        let before = state.selected
        #expect(Self.click(x: 100, y: 0, .left, &state).isEmpty, "the header is not clickable")
        #expect(update(&state, .key(.mouse(x: 5, y: 4, button: .left))).isEmpty)
        #expect(state.selected == before)
    }

    @Test func aViewerClickingABreakersToggleIsToldWhyNot() throws {
        var state = ControlsPaneTests.breakers([ControlsPaneTests.breaker("hd-images")])
        state.caller = Caller(name: "vi", role: .viewer)
        let y = try #require(Self.row(of: "hd-images", in: state))
        Self.click(x: 3, y: y, .left, &state)
        #expect(state.dialog == nil)
        #expect(state.flash?.text.contains("viewer") == true)
    }
}

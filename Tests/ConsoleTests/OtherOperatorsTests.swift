import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// A dialog left open while someone else changes its target: it says who, to what and
/// why, recomputes from the new state, and never sends what no longer means what the
/// person chose.
@Suite struct OtherOperatorsTests {
    static let now = ConsoleTests.now

    static func audit(_ target: String, by actor: String, reason: String) -> AuditEntry {
        AuditEntry(id: 99, at: now, actor: actor, role: "release-manager", action: .releaseGray, target: target, before: nil, after: nil, reason: reason)
    }

    /// The cache's answer after someone else's change: the releases and the audit log.
    static func read(_ state: inout ConsoleState, releases: [Release], switches: [Switch] = [], audit: [AuditEntry]) {
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: releases, releasesApp: "wallet-android", lastFetched: now, switches: switches, audit: audit),
            SyncStatus(connection: .online, since: now)))
    }

    static func raising() -> ConsoleState {
        var state = ConsoleTests.loaded()  // 5.3.0 gray at 12.5 %
        state.caller = Caller(name: "rita", role: .releaseManager)
        _ = update(&state, .key(.character("3")))
        for _ in 0..<3 { _ = update(&state, .key(.right)) }  // pending 15.5 %
        _ = update(&state, .key(.enter))
        for character in "INC-9" { _ = update(&state, .key(.character(character))) }
        return state
    }

    static func moved(to percent: Double) -> [Release] {
        var releases = ConsoleTests.releases
        releases[0].grayPercent = percent
        releases[0].revision += 1
        return releases
    }

    @Test func aRaiseStillARaiseIsRecomputedAndSaysWhoChangedItAndWhy() throws {
        var state = Self.raising()
        let before = try #require(state.dialog)
        #expect(before.title.contains("from 12.5% to 15.5%"))
        Self.read(&state, releases: Self.moved(to: 14), audit: [Self.audit("wallet-android/5.3.0", by: "bo", reason: "ramp per plan")])
        let dialog = try #require(state.dialog)
        #expect(dialog.title.contains("from 14% to 15.5%"), "the blast radius from the new state: \(dialog.title)")
        #expect(dialog.lines.first?.contains("bo (release-manager) changed 5.3.0 to gray at 14% (\"ramp per plan\")") == true, "\(dialog.lines)")
        #expect(dialog.ifMatch == Self.moved(to: 14)[0].etag, "sent against what it now shows")
        #expect(dialog.reason == "INC-9", "what was typed stays")
        #expect(update(&state, .key(.enter)).contains { if case .perform = $0 { true } else { false } })
    }

    @Test func aRaiseThatWouldNowLowerIsNotSent() throws {
        var state = Self.raising()
        Self.read(&state, releases: Self.moved(to: 20), audit: [Self.audit("wallet-android/5.3.0", by: "bo", reason: "faster")])
        let dialog = try #require(state.dialog)
        #expect(dialog.stale)
        #expect(ConsoleTests.screen(state).contains("15.5% would no longer be a raise: not sent"))
        #expect(ConsoleTests.screen(state).contains("bo (release-manager) changed 5.3.0 to gray at 20% (\"faster\")"))
        #expect(update(&state, .key(.enter)).isEmpty, "nothing is sent")
        _ = update(&state, .key(.escape))
        #expect(state.dialog == nil)
    }

    @Test func aPendingPercentageKeepsItsDirectionWhenTheReleaseMoves() {
        var state = ConsoleTests.loaded()
        state.caller = Caller(name: "rita", role: .releaseManager)
        _ = update(&state, .key(.character("3")))
        for _ in 0..<3 { _ = update(&state, .key(.right)) }
        #expect(state.pendingGray["5.3.0"] == 15.5)
        Self.read(&state, releases: Self.moved(to: 20), audit: [])
        #expect(state.pendingGray["5.3.0"] == 23, "still 3 points above the current value")
    }

    @Test func aSwitchSomeoneElseAlreadyTurnedIsNotTurnedAgain() throws {
        var state = ControlsPaneTests.breakers([ControlsPaneTests.breaker("pay-api")])
        state.caller = Caller(name: "sam", role: .support)
        _ = update(&state, .key(.character(" ")))
        #expect(state.dialog != nil)
        let off = ControlsPaneTests.breaker("pay-api", enabled: false, revision: 4, by: "bo")
        Self.read(&state, releases: ConsoleTests.releases, switches: [off],
                  audit: [AuditEntry(id: 5, at: Self.now, actor: "bo", role: "support", action: .switchDisable, target: "wallet-android/switches/pay-api",
                                     before: nil, after: nil, reason: "payments down")])
        let dialog = try #require(state.dialog)
        #expect(dialog.stale)
        #expect(dialog.lines.first == "bo (support) already made pay-api OPEN (\"payments down\").", "\(dialog.lines)")
        #expect(dialog.phase == .failed("nothing left to do: Esc closes"))
    }
}

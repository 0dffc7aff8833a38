import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// Release moves where the person is: from Releases and from an issue, not only from
/// Rollouts; and from a release to its issues and back.
@Suite struct ActWhereYouAreTests {
    static let manager = Caller(name: "rita", role: .releaseManager)

    static func state() -> ConsoleState {
        var state = ConsoleTests.loaded()
        state.caller = manager
        return state
    }

    static func detail(releases: [(String, Int)]) -> CrashIssueDetail {
        var issue = CrashesPaneTests.issue("checkout-npe", .new, count: 40)
        issue.releases = releases.map(\.0)
        return CrashIssueDetail(issue: issue, latest: nil, byOSVersion: [], byModel: [],
                                byRelease: releases.map { CrashIssueDetail.Share(key: $0.0, count: $0.1) })
    }

    @Test func fromReleasesHaltTheSelectedGrayRelease() throws {
        var state = Self.state()
        #expect(state.releases[state.selected].version == "5.3.0")
        _ = update(&state, .key(.character("H")))
        let dialog = try #require(state.dialog)
        #expect(dialog.action == .release(app: "wallet-android", version: "5.3.0", .halt))
        #expect(dialog.title.contains("Halt wallet-android 5.3.0"))
    }

    @Test func fromReleasesAMoveTheStageForbidsIsRefusedWithWhy() {
        var state = Self.state()
        _ = update(&state, .key(.down))  // 5.2.0, full
        _ = update(&state, .key(.character("H")))
        #expect(state.dialog == nil)
        #expect(state.flash?.text == "cannot halt 5.2.0: it is full")
    }

    @Test func aViewerIsNotOfferedReleaseMovesInReleases() {
        var state = ConsoleTests.loaded()
        state.caller = Caller(name: "vi", role: .viewer)
        #expect(!keyTable(for: state).contains { $0.keys.contains(.character("H")) })
        _ = update(&state, .key(.character("H")))
        #expect(state.dialog == nil)
        #expect(state.flash?.isError == true)
    }

    @Test func enterOnAReleaseShowsItsIssues() {
        var state = Self.state()
        _ = update(&state, .key(.enter))
        #expect(state.pane == .crashes)
        #expect(state.crashView == .issues)
        #expect(state.crashFilter.release == "5.3.0")
    }

    @Test func fromAnIssueHaltItsReleaseOrGoToIt() throws {
        var state = Self.state()
        state.pane = .crashes
        state.crashView = .issues
        // Most of its events are in the full release, but the gray one is the live edge.
        state.overlay = .issue(Self.detail(releases: [("5.2.0", 30), ("5.3.0", 10)]))
        #expect(keyTable(for: state).contains { $0.hint == "release 5.3.0" }, "the overlay's keys say which release")
        _ = update(&state, .key(.character("H")))
        let dialog = try #require(state.dialog)
        #expect(dialog.action == .release(app: "wallet-android", version: "5.3.0", .halt))
        _ = update(&state, .key(.escape))

        _ = update(&state, .key(.enter))
        #expect(state.pane == .releases)
        #expect(state.overlay == nil)
        #expect(state.releases[state.selected].version == "5.3.0")
    }

    @Test func theCrashFiltersReleaseIsTheIssuesReleaseWhenTheIssueIsInIt() {
        var state = Self.state()
        state.crashFilter.release = "5.1.1"
        let detail = Self.detail(releases: [("5.3.0", 30), ("5.1.1", 3)])
        #expect(release(of: detail, in: state)?.version == "5.1.1", "the person came from 5.1.1 (or an alert on it)")
        state.crashFilter.release = "5.0.0"
        #expect(release(of: detail, in: state)?.version == "5.3.0", "not in the filter's release: the live edge")
    }
}

/// Proof a change took, as the person sees it: how many devices have a switch's current
/// value, and for a release how many were offered it and run it.
@Suite struct ReachShownTests {
    static func state(reach: AppReach) -> ConsoleState {
        var state = ConsoleTests.loaded()
        _ = update(&state, .dataChanged(
            {
                var snapshot = CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android",
                                             lastFetched: ConsoleTests.now,
                                             switches: [ControlsPaneTests.breaker("pay-api"), ControlsPaneTests.breaker("new-checkout", enabled: false)])
                snapshot.reach = reach
                return snapshot
            }(),
            SyncStatus(connection: .online, since: ConsoleTests.now)))
        return state
    }

    static let reach = AppReach(app: "wallet-android", windowMinutes: 60, devices: 40,
                                switches: [SwitchReach(key: "pay-api", on: 40, off: 0), SwitchReach(key: "new-checkout", on: 25, off: 15)],
                                releases: [ReleaseReach(version: "5.3.0", running: 31, offered: 6), ReleaseReach(version: "5.1.1", running: 3, offered: 0)])

    @Test func breakersCountTheDevicesOnTheCurrentValue() {
        var state = Self.state(reach: Self.reach)
        _ = update(&state, .key(.character("4")))
        let lines = ConsoleTests.screen(state).lines
        #expect(lines.first { $0.contains("pay-api") }?.contains("all 40") == true)
        #expect(lines.first { $0.contains("new-checkout") }?.contains("15/40") == true, "turned off: 15 of 40 devices have been told")
    }

    @Test func rolloutsSayWhoWasOfferedAndWhoStillRunsAHaltedRelease() {
        var state = Self.state(reach: Self.reach)
        _ = update(&state, .key(.character("3")))
        let screen = ConsoleTests.screen(state)
        #expect(screen.contains("offered to 6 at their last check; 31 devices run it"))
        #expect(screen.contains("new offers stopped; 3 devices run it"))
    }

    @Test func afterAFlipTheStatusLineFollowsItAsItReachesDevices() throws {
        var state = Self.state(reach: Self.reach)
        state.caller = Caller(name: "sam", role: .support)
        _ = update(&state, .key(.character("4")))
        _ = update(&state, .key(.down))  // new-checkout, off: turn it on
        _ = update(&state, .key(.character(" ")))
        for character in "back" { _ = update(&state, .key(.character(character))) }
        let effects = update(&state, .key(.enter))
        guard case .perform(let sent)? = effects.first else {
            Issue.record("nothing sent: \(effects)")
            return
        }
        var on = ControlsPaneTests.breaker("new-checkout", enabled: true, revision: 4)
        on.updatedBy = "sam"
        _ = update(&state, .actionFinished(idempotencyKey: sent.idempotencyKey, .switchChanged(on)))
        #expect(state.outcome?.change == .switchValue(key: "new-checkout", on: true))
        #expect(state.cacheRead.reach, "the reach is read while the change is followed")
        _ = update(&state, .tick(ConsoleTests.now.addingTimeInterval(Flash.lifetime + 1)))  // the flash is gone
        #expect(ConsoleTests.screen(state).contains("✓ new-checkout CLOSED since"))
        #expect(ConsoleTests.screen(state).contains("devices on the new value: 25 of 40"))
        _ = update(&state, .tick(ConsoleTests.now.addingTimeInterval(ChangeOutcome.lifetime + 1)))
        #expect(state.outcome == nil, "followed for three minutes")
    }
}

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

import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// The Releases pane's health columns: compared with the previous full release, by
/// arrow and colour, and a sparkline of the last hour's crashes.
@Suite struct ReleaseHealthTests {
    static func series(_ version: String, crashFree: Double, users: Double, crashes: [Int], anrs: Int = 0, sessions: Int = 1000) -> MetricsSeries {
        let now = ConsoleTests.now
        let points = crashes.enumerated().map { index, count in
            MetricsPoint(at: now.addingTimeInterval(Double(index - crashes.count) * 60), sessions: sessions / crashes.count, crashes: count, anrs: 0,
                         crashFreeSessions: nil, crashFreeUsers: nil, adoption: nil)
        }
        let total = MetricsPoint(at: now.addingTimeInterval(-3600), sessions: sessions, crashes: crashes.reduce(0, +), anrs: anrs,
                                 crashFreeSessions: crashFree, crashFreeUsers: users, adoption: 12.5)
        return MetricsSeries(app: "wallet-android", release: version, from: now.addingTimeInterval(-3600), to: now, stepSeconds: 60, points: points, total: total)
    }

    static func state() -> ConsoleState {
        var state = ConsoleTests.loaded()
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android", lastFetched: ConsoleTests.now,
                          health: [
                            "5.3.0": series("5.3.0", crashFree: 97.0, users: 99.5, crashes: [0, 0, 1, 8], anrs: 9),
                            "5.2.0": series("5.2.0", crashFree: 99.4, users: 99.5, crashes: [1, 1, 1, 1], anrs: 1),
                          ]),
            SyncStatus(connection: .online, since: ConsoleTests.now)))
        return state
    }

    @Test func worseThanThePreviousFullReleaseShowsADownArrow() {
        let canvas = ConsoleTests.screen(Self.state())
        let line = canvas.lines.first { $0.contains("5.3.0") }!
        #expect(line.contains("97.0% ▼"), "crash-free sessions fell against 5.2.0")
        #expect(line.contains("99.5%  "), "unchanged: no arrow")
        #expect(line.contains("0.9% ▲"), "more ANRs per 100 sessions is an up arrow, in the bad colour")
        #expect(line.contains("12.5%"))
        #expect(line.contains("▁▁▂█"), "the sparkline climbs with the crashes")
        #expect(baselineRelease(for: 0, in: ConsoleTests.releases)?.version == "5.2.0")
        #expect(compared(97, 99.4, higherIsBetter: true, theme: Theme.fallback).style == Theme.fallback.style(.statusCrit))
        #expect(compared(1.2, 0.1, higherIsBetter: false, theme: Theme.fallback).text == "1.2% ▲")
    }

    @Test func cOpensTheReleaseWithItsCharts() {
        var state = Self.state()
        _ = update(&state, .key(.character("c")))
        #expect(state.overlay == .release(version: "5.3.0"))
        let canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("compared with 5.2.0, the previous full release"))
        #expect(canvas.contains("Crashes per minute  max 8"))
        #expect(canvas.contains("█"))
    }

    @Test func bucketsSumMinutesKeepingTheNewestLast() {
        let points = (0..<60).map { MetricsPoint(at: Date(timeIntervalSince1970: Double($0) * 60), sessions: 1, crashes: $0 == 59 ? 5 : 0, anrs: 0,
                                                  crashFreeSessions: nil, crashFreeUsers: nil, adoption: nil) }
        let buckets = bucketed(points, into: 12)
        #expect(buckets.count == 12)
        #expect(buckets.last?.crashes == 5)
        #expect(buckets.reduce(0) { $0 + $1.sessions } == 60)
        #expect(sparkline([0, 0, 0]) == "▁▁▁")
    }

    /// A gray release with a guardrail, its last minutes at the given sessions and
    /// crash-free percentage each.
    static func guarded(sessionsPerMinute: Int, crashFree: Double) -> ConsoleState {
        var state = ConsoleTests.loaded()
        var releases = ConsoleTests.releases
        releases[0].guardrail = Guardrail(maxCrashRate: 5, minSessions: 150, windowMinutes: 10)
        let points = (0..<60).map { minute in
            MetricsPoint(at: ConsoleTests.now.addingTimeInterval(Double(minute - 60) * 60), sessions: sessionsPerMinute, crashes: 0, anrs: 0,
                         crashFreeSessions: crashFree, crashFreeUsers: nil, adoption: nil)
        }
        let series = MetricsSeries(app: "wallet-android", release: "5.3.0", from: ConsoleTests.now.addingTimeInterval(-3600), to: ConsoleTests.now,
                                   stepSeconds: 60, points: points,
                                   total: MetricsPoint(at: ConsoleTests.now.addingTimeInterval(-3600), sessions: sessionsPerMinute * 60, crashes: 0, anrs: 0,
                                                       crashFreeSessions: crashFree, crashFreeUsers: nil, adoption: nil))
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: releases, releasesApp: "wallet-android", lastFetched: ConsoleTests.now,
                          health: ["5.3.0": series]),
            SyncStatus(connection: .online, since: ConsoleTests.now)))
        return state
    }

    @Test func theGuardrailShowsItsLimitItsValueNowAndWhetherItIsArmed() {
        let armed = Self.guarded(sessionsPerMinute: 20, crashFree: 97)
        var screen = ConsoleTests.screen(armed)
        #expect(screen.contains("halts above 5% crashed over 10 min"))
        #expect(screen.contains("now 3.0% (6 of 200) · armed"), "10 minutes of 20 sessions, 3 % crashed")
        let early = Self.guarded(sessionsPerMinute: 10, crashFree: 90)
        screen = ConsoleTests.screen(early)
        #expect(screen.contains("now 10.0% (10 of 100) · not armed: 100 of 150 sessions"))
        var rollouts = early
        _ = update(&rollouts, .key(.character("3")))
        #expect(ConsoleTests.screen(rollouts).contains("not armed: 100 of 150 sessions"), "and in Rollouts")
    }

    @Test func loadingTooFewAndNoneAreToldApart() {
        var state = ConsoleTests.loaded()
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android", lastFetched: ConsoleTests.now,
                          health: ["5.3.0": Self.series("5.3.0", crashFree: 75, users: 75, crashes: [1, 2], sessions: 12),
                                   "5.2.0": Self.series("5.2.0", crashFree: 99, users: 99, crashes: [0, 0], sessions: 0)]),
            SyncStatus(connection: .online, since: ConsoleTests.now)))
        let rows = ConsoleTests.screen(state).lines
        let gray = rows.first { $0.contains("5.3.0") && $0.contains("gray") } ?? ""
        let full = rows.first { $0.contains("5.2.0") && $0.contains("full") } ?? ""
        let halted = rows.first { $0.contains("5.1.1") } ?? ""
        #expect(gray.contains("n=12") && !gray.contains("75.0%"), "too few sessions: the count, not a rate: \(gray)")
        #expect(full.contains("—") && !full.contains("n=0"), "no sessions: a dash: \(full)")
        #expect(halted.contains("…"), "not read yet: loading: \(halted)")
    }
}

/// A raise shows the release's vitals against the previous full release, and when they
/// are worse says so and needs a second Enter (as Play Console warns on worse vitals).
@Suite struct VitalsBeforeARaiseTests {
    static func raise(_ state: inout ConsoleState) {
        state.caller = Caller(name: "rita", role: .releaseManager)
        _ = update(&state, .key(.character("3")))
        _ = update(&state, .key(.right))
        _ = update(&state, .key(.enter))
    }

    @Test func worseVitalsAreSaidPlainlyAndNeedASecondEnter() throws {
        var state = ReleaseHealthTests.state()  // 5.3.0 at 97.0 % crash-free sessions, 5.2.0 at 99.4 %
        Self.raise(&state)
        let dialog = try #require(state.dialog)
        #expect(dialog.lines.contains { $0.contains("crash-free sessions 97.0% against 99.4%") && $0.hasSuffix("▼ WORSE") })
        #expect(dialog.lines.contains { $0.contains("from 1,000 and 1,000 sessions") }, "the sample sizes")
        #expect(dialog.worse?.contains("5.3.0 is doing worse than 5.2.0") == true)
        #expect(ConsoleTests.screen(state).contains("⚠ 5.3.0 is doing worse than 5.2.0"))
        for character in "INC-9 ok" { _ = update(&state, .key(.character(character))) }
        #expect(update(&state, .key(.enter)).isEmpty, "the first Enter only confirms")
        #expect(ConsoleTests.screen(state).contains("Enter again to raise anyway"))
        let effects = update(&state, .key(.enter))
        #expect(effects.contains { if case .perform = $0 { true } else { false } }, "the second sends")
    }

    @Test func vitalsNoWorseSendOnTheFirstEnter() throws {
        var state = ReleaseHealthTests.state()
        var health = state.health
        health["5.3.0"] = ReleaseHealthTests.series("5.3.0", crashFree: 99.5, users: 99.6, crashes: [0, 0, 1, 1], anrs: 1)
        state.health = health
        Self.raise(&state)
        let dialog = try #require(state.dialog)
        #expect(dialog.worse == nil)
        for character in "ok" { _ = update(&state, .key(.character(character))) }
        #expect(update(&state, .key(.enter)).contains { if case .perform = $0 { true } else { false } })
    }
}

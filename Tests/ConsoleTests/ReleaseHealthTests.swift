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
}

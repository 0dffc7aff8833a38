import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// The fleet overview: every app worst first, the alerts under it, and the way from a
/// signal to the app, the issue or the release it is about.
@Suite struct OverviewPaneTests {
    static let now = ConsoleTests.now

    static func point(sessions: Int, crashFree: Double?, users: Double? = nil, anrs: Int = 0) -> MetricsPoint {
        MetricsPoint(at: now.addingTimeInterval(-3600), sessions: sessions, crashes: 0, anrs: anrs, crashFreeSessions: crashFree,
                     crashFreeUsers: users ?? crashFree, adoption: nil)
    }

    /// An app with a full release and, optionally, a gray one.
    static func app(_ id: String, platform: Platform = .android, full: MetricsPoint? = point(sessions: 900, crashFree: 99.6),
                    gray: MetricsPoint? = nil, grayStage: ReleaseStage = .gray, perMinute: [Int] = Array(repeating: 2, count: 15),
                    alerts: Int = 0, worst: AlertSeverity? = nil) -> FleetApp {
        FleetApp(app: App(id: id, name: id.capitalized, platform: platform, bundleId: "b"),
                 full: full.map { FleetRelease(version: "5.2.0", stage: .full, grayPercent: 100, health: $0) },
                 gray: gray.map { [FleetRelease(version: "5.3.0", stage: grayStage, grayPercent: 12.5, health: $0)] } ?? [],
                 eventsPerMinute: perMinute, openAlerts: alerts, worstAlert: worst)
    }

    /// Eight apps as an incident brings them: one spiking with a critical alert, one
    /// worse in gray, one with too few gray sessions to say, one halted, quiet ones.
    static let fleet = FleetOverview(windowMinutes: 60, apps: [
        app("merchant-ios", platform: .ios),
        app("wallet-android", gray: point(sessions: 420, crashFree: 71.4, users: 63.0, anrs: 3),
            perMinute: [1, 1, 2, 1, 2, 3, 9, 18, 31, 44, 52, 61, 58, 66, 40], alerts: 2, worst: .critical),
        app("rides-android", gray: point(sessions: 12, crashFree: 91.7)),
        app("wallet-ios", platform: .ios, gray: point(sessions: 300, crashFree: 97.9), alerts: 1, worst: .warning),
        app("rides-ios", platform: .ios, gray: point(sessions: 200, crashFree: 99.0)),
        app("merchant-android", gray: point(sessions: 0, crashFree: nil), grayStage: .halted),
        app("wallet-harmony", platform: .harmony, full: nil, gray: point(sessions: 80, crashFree: 98.8)),
        app("maps-android", full: point(sessions: 0, crashFree: nil), perMinute: Array(repeating: 0, count: 15)),
    ])

    static let alerts = [
        Alert(id: 7, app: "wallet-android", release: "5.3.0", fingerprint: "checkout-npe", kind: .velocity, severity: .critical,
              summary: "java.lang.NullPointerException spiking in 5.3.0: 312 events in 5 min (none the hour before)",
              figures: AlertFigures(recentEvents: 312, expectedEvents: 0, factor: 3, minimumEvents: 20, windowMinutes: 5),
              openedAt: now.addingTimeInterval(-240)),
        Alert(id: 6, app: "wallet-android", release: "5.3.0", fingerprint: nil, kind: .grayRegression, severity: .critical,
              summary: "5.3.0 crash-free sessions 71.4% against 99.6% in 5.2.0 (420 and 900 sessions)",
              figures: AlertFigures(metric: "crash_free_sessions", value: 71.4, sessions: 420, baselineRelease: "5.2.0", baselineValue: 99.6,
                                    baselineSessions: 900, threshold: 1, minimumSessions: 100),
              openedAt: now.addingTimeInterval(-180), acknowledgedAt: now.addingTimeInterval(-60), acknowledgedBy: "ana"),
        Alert(id: 5, app: "wallet-ios", release: "5.3.0", fingerprint: "bad-access", kind: .newIssueInGray, severity: .warning,
              summary: "new issue in gray 5.3.0: EXC_BAD_ACCESS (3 events)", figures: AlertFigures(recentEvents: 3),
              openedAt: now.addingTimeInterval(-600)),
        Alert(id: 2, app: "rides-ios", release: "8.3.0", fingerprint: "old", kind: .velocity, severity: .critical,
              summary: "IllegalStateException spiking in 8.3.0: 40 events in 5 min (8× the hour before)", figures: AlertFigures(),
              openedAt: now.addingTimeInterval(-3000), resolvedAt: now.addingTimeInterval(-1200)),
    ]

    /// A console just opened (on the overview) that has read the fleet and the alerts.
    static func state(fleet: FleetOverview = fleet, alerts: [Alert] = alerts) -> ConsoleState {
        var state = ConsoleState(server: "http://127.0.0.1:9", sync: SyncStatus(connection: .online, since: now), now: now)
        var snapshot = CacheSnapshot(apps: fleet.apps.map(\.app), releases: ConsoleTests.releases, releasesApp: fleet.apps[0].app.id,
                                     lastFetched: now.addingTimeInterval(-2))
        snapshot.fleet = fleet
        snapshot.alerts = alerts
        _ = update(&state, .dataChanged(snapshot, SyncStatus(connection: .online, since: now)))
        return state
    }

    @Test func theConsoleOpensOnEveryAppWorstFirst() {
        let state = Self.state()
        #expect(state.pane == .overview)
        #expect(state.overview.rows.map(\.app.id) == [
            "wallet-android",  // a critical alert
            "wallet-ios",  // a warning
            "rides-ios",  // 0.6 points worse in gray
            "merchant-ios", "rides-android", "merchant-android", "wallet-harmony", "maps-android",  // nothing to compare: platform order
        ])
        let screen = ConsoleTests.screen(state, size: Size(width: 80, height: 24))
        for app in Self.fleet.apps { #expect(screen.contains(app.app.id), "\(app.app.id) fits at 80x24") }
        #expect(screen.contains("⚑ 2 alerts"), "the header counts alerts nobody is on yet")
        #expect(screen.contains("71.4% ▼"), "gray against full, worse, with an arrow")
        #expect(screen.contains("n=12"), "too few sessions says so, not a rate")
        #expect(screen.contains("✖2 crit"))
        #expect(screen.contains("■5.3.0"), "a halted gray release is marked")
    }

    @Test func enterOnAnAppOpensItsReleases() {
        var state = Self.state()
        _ = update(&state, .key(.down))
        _ = update(&state, .key(.enter))
        #expect(state.pane == .releases)
        #expect(state.appID == "wallet-ios")
        _ = update(&state, .key(.character("0")))
        #expect(state.selection[.fleet] == 1, "the overview keeps its place across apps")
    }

    @Test func fromAnyPaneBangShowsTheAlertsAndEnterGoesToTheIssue() {
        var state = Self.state()
        _ = update(&state, .key(.character("4")))
        #expect(ConsoleTests.screen(state).lines.last?.contains("q quit") == true)
        _ = update(&state, .key(.character("!")))
        #expect(state.pane == .overview && state.overview.onAlerts)
        #expect(state.overview.alerts.map(\.id) == [7, 6, 5, 2], "critical unacknowledged, critical acknowledged, warning, then resolved")
        let effects = update(&state, .key(.enter))
        #expect(effects.contains(.loadIssue(app: "wallet-android", fingerprint: "checkout-npe")))
        #expect(state.pane == .crashes && state.crashView == .issues)
        #expect(state.overlay == .issueLoading(fingerprint: "checkout-npe"))
        #expect(state.pendingFocus == PendingFocus(list: .crashIssues, id: "checkout-npe"), "the issue is selected when its list is read")
    }

    @Test func enterOnAReleaseAlertSelectsTheRelease() {
        var state = Self.state()
        _ = update(&state, .key(.character("!")))
        _ = update(&state, .key(.down))
        _ = update(&state, .key(.enter))
        #expect(state.pane == .releases)
        #expect(state.appID == "wallet-android")
        #expect(state.pendingFocus == PendingFocus(list: .releases, id: "5.3.0"))
        // The app's releases come with the next read; the alert's release is selected then.
        var snapshot = CacheSnapshot(apps: Self.fleet.apps.map(\.app), releases: [ConsoleTests.release("5.4.0", .whitelist)] + ConsoleTests.releases,
                                     releasesApp: "wallet-android", lastFetched: Self.now)
        snapshot.alerts = Self.alerts
        _ = update(&state, .dataChanged(snapshot, SyncStatus(connection: .online, since: Self.now)))
        #expect(state.releases.indices.contains(state.selected))
        #expect(state.releases.first { _ in true }.map { _ in state.releases[min(state.selected, state.releases.count - 1)].version } == "5.3.0")
    }

    @Test func acknowledgingAsksWhyAndSendsWithTheAlertsETag() throws {
        var state = Self.state()
        state.caller = Caller(name: "ana", role: .support)
        _ = update(&state, .key(.character("!")))
        _ = update(&state, .key(.character("a")))
        let dialog = try #require(state.dialog)
        #expect(dialog.action == .acknowledge(alertID: 7))
        #expect(dialog.ifMatch == Self.alerts[0].etag)
        for character in "on it" { _ = update(&state, .key(.character(character))) }
        let effects = update(&state, .key(.enter))
        #expect(effects.contains { if case .perform(let sent) = $0 { sent.reason == "on it" } else { false } })
        var acknowledged = Self.alerts[0]
        acknowledged.acknowledgedBy = "ana"
        acknowledged.acknowledgedAt = Self.now
        _ = update(&state, .actionFinished(idempotencyKey: dialog.idempotencyKey, .alertAcknowledged(acknowledged)))
        #expect(state.dialog == nil)
        #expect(ConsoleTests.screen(state).contains("⚑ 1 alert"))
    }

    @Test func onTheAlertsAIsAcknowledgeAndTheHintsSaySo() {
        var state = Self.state()
        _ = update(&state, .key(.character("!")))
        let hints = ConsoleTests.screen(state, size: Size(width: 200, height: 60)).lines.last ?? ""
        #expect(hints.contains("a acknowledge"))
        #expect(hints.contains("A prev app") && !hints.contains("a next app"), "a key is offered for one thing only: \(hints)")
    }

    @Test func aViewerIsNotOfferedAcknowledgingAndIsToldWhy() {
        var state = Self.state()
        state.caller = Caller(name: "vi", role: .viewer)
        _ = update(&state, .key(.character("!")))
        #expect(!keyTable(for: state).contains { $0.hint == "acknowledge" })
        _ = update(&state, .key(.character("a")))
        #expect(state.dialog == nil)
        #expect(state.flash?.text.contains("may not acknowledge") == true)
    }

    @Test func everyGrayReleaseWhereThereIsRoomElseHowManyMore() {
        var two = Self.app("wallet-android", gray: Self.point(sessions: 300, crashFree: 98))
        two.gray.append(FleetRelease(version: "5.2.9", stage: .halted, grayPercent: 5, health: Self.point(sessions: 50, crashFree: 90)))
        let state = Self.state(fleet: FleetOverview(windowMinutes: 60, apps: [two]), alerts: [])
        #expect(ConsoleTests.screen(state, size: Size(width: 200, height: 60)).contains("◐5.3.0 12.5%, ■5.2.9 5%"))
        #expect(ConsoleTests.screen(state, size: Size(width: 80, height: 24)).contains("◐5.3.0 +1 "), "that there are more, before the percentage")
    }

    @Test func beforeTheFirstAnswerItSaysLoadingNotEmpty() {
        let state = ConsoleState(server: "http://127.0.0.1:9", sync: SyncStatus(connection: .online, since: Self.now), now: Self.now)
        #expect(ConsoleTests.screen(state).contains("Loading every app's health"))
        #expect(ConsoleTests.screen(state).contains("No open alerts"))
    }

    @Test func threeHundredAppsScrollAndFilter() throws {
        let many = FleetOverview(windowMinutes: 60, apps: (1...300).map { n in
            Self.app(String(format: "app-%03d", n), gray: Self.point(sessions: 100 + n, crashFree: 99.9 - Double(n % 7)))
        })
        var state = Self.state(fleet: many, alerts: [])
        #expect(state.overview.rows.count == 300)
        _ = update(&state, .key(.end))
        let last = try #require(state.overview.rows.last).app.id
        #expect(ConsoleTests.screen(state, size: Size(width: 80, height: 24)).contains(last), "the selection scrolls into view")
        for key in "/app-25" { _ = update(&state, .key(.character(key))) }
        _ = update(&state, .key(.enter))
        let expected = worstFirst(many.apps).map(\.app.id).filter { $0.hasPrefix("app-25") }
        #expect(expected.count == 10)
        #expect(state.overview.rows.map(\.app.id) == expected, "the filter keeps the worst-first order")
        #expect(ConsoleTests.screen(state, size: Size(width: 80, height: 24)).contains("10 shown"))
    }
}

import Cache
import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// The Crashes pane headless: the live list, pausing, issues, and details.
@Suite struct CrashesPaneTests {
    static let now = ConsoleTests.now

    static func event(_ id: Int64, kind: CrashKind = .crash, exception: String = "java.lang.NullPointerException", message: String = "boom") -> CrashEventSummary {
        CrashEventSummary(id: id, release: "5.3.0", kind: kind, fingerprint: "fp\(id % 3)", exceptionType: exception, message: message,
                          os: .android, osVersion: "14", model: "Pixel 8", at: now.addingTimeInterval(-Double(100 - id)), storedAt: now)
    }

    static func issue(_ fingerprint: String, _ status: IssueStatus, count: Int = 10) -> CrashIssue {
        CrashIssue(app: "wallet-android", fingerprint: fingerprint, kind: .crash, exceptionType: "IllegalStateException",
                   culprit: "com.opsdeck.checkout.Pay.submit", message: "m", firstSeen: now.addingTimeInterval(-600),
                   lastSeen: now.addingTimeInterval(-30), count: count, affectedDevices: count / 2, releases: ["5.3.0"], status: status)
    }

    /// The pane open with events (newest first) and issues from the cache.
    static func crashes(events: [CrashEventSummary], issues: [CrashIssue] = [], live: LiveFeedState = .live(app: "wallet-android")) -> ConsoleState {
        var state = ConsoleTests.loaded()
        _ = update(&state, .key(.character("2")))
        feed(&state, events: events, issues: issues, live: live)
        return state
    }

    static func feed(_ state: inout ConsoleState, events: [CrashEventSummary], issues: [CrashIssue] = [], live: LiveFeedState = .live(app: "wallet-android")) {
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android", lastFetched: now,
                          crashEvents: events, crashEventCount: events.count, crashIssues: issues),
            SyncStatus(connection: .online, since: now, live: live)))
    }

    @Test func theLiveListShowsNewestFirstWithKindSymbols() {
        let state = Self.crashes(events: [Self.event(3, kind: .anr, exception: "ANR in FeedActivity"), Self.event(2), Self.event(1, exception: "IndexOutOfBounds")])
        let canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("● live"))
        #expect(canvas.contains("3 events cached"))
        #expect(canvas.contains("◷ ANR"))
        #expect(canvas.contains("✖ crash"))
        let rows = canvas.lines
        let anr = rows.firstIndex { $0.contains("ANR in FeedActivity") }!
        let oldest = rows.firstIndex { $0.contains("IndexOutOfBounds") }!
        #expect(anr < oldest, "newest on top")
        #expect(canvas.contains("Pixel 8 · 14"))
    }

    @Test func pausingFreezesTheListAndCountsWhatArrives() {
        var state = Self.crashes(events: [Self.event(2), Self.event(1)])
        _ = update(&state, .key(.character(" ")))
        #expect(state.livePaused)
        Self.feed(&state, events: [Self.event(5), Self.event(4), Self.event(3), Self.event(2), Self.event(1)])
        #expect(state.crashEvents.map(\.id) == [2, 1], "paused: the list a person reads does not move")
        #expect(ConsoleTests.screen(state).contains("‖ paused, 3 new"))
        #expect(update(&state, .key(.character(" "))) == [.refresh])
        Self.feed(&state, events: [Self.event(5), Self.event(4), Self.event(3), Self.event(2), Self.event(1)])
        #expect(state.crashEvents.map(\.id) == [5, 4, 3, 2, 1])
        #expect(!ConsoleTests.screen(state).contains("paused"))
    }

    @Test func theSelectedEventStaysSelectedAsNewOnesArrive() {
        var state = Self.crashes(events: [Self.event(2), Self.event(1)])
        _ = update(&state, .key(.down))
        #expect(state.selection[.crashEvents] == 1)
        Self.feed(&state, events: [Self.event(4), Self.event(3), Self.event(2), Self.event(1)])
        #expect(state.crashEvents[state.selection[.crashEvents]!].id == 1)
    }

    @Test func enterReadsTheEventAndShowsItsStack() {
        var state = Self.crashes(events: [Self.event(7)])
        #expect(update(&state, .key(.enter)) == [.loadCrashEvent(id: 7)])
        let full = CrashEvent(
            id: 7, app: "wallet-android", release: "5.3.0", kind: .crash,
            device: DeviceInfo(id: "dev-1", os: .android, osVersion: "14", model: "Pixel 8", city: "Hangzhou", network: "wifi"),
            exceptionType: "java.lang.NullPointerException", message: "boom",
            frames: [StackFrame(symbol: "com.opsdeck.checkout.Pay.submit", file: "Pay.kt", line: 42, inApp: true),
                     StackFrame(symbol: "android.os.Handler.dispatchMessage", inApp: false)],
            fingerprint: "fp1", at: Self.now)
        _ = update(&state, .crashEventLoaded(full))
        let canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("Event #7"))
        #expect(canvas.contains("com.opsdeck.checkout.Pay.submit (Pay.kt:42)"))
        #expect(canvas.contains("android.os.Handler.dispatchMessage"))
        #expect(canvas.contains("Pixel 8, Android 14, Hangzhou, wifi"))
        _ = update(&state, .key(.escape))
        #expect(state.overlay == nil)
    }

    @Test func issuesStandOutWhenNewOrRegressedAndOpenFromTheServer() {
        var state = Self.crashes(events: [], issues: [Self.issue("a", .regressed, count: 1234), Self.issue("b", .ongoing), Self.issue("c", .new)])
        _ = update(&state, .key(.character("v")))
        var canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("↻ regressed"))
        #expect(canvas.contains("✦ new"))
        #expect(canvas.contains("● ongoing"))
        #expect(canvas.contains("1,234"))
        #expect(canvas.contains("IllegalStateException · com.opsdeck.checkout.Pay"))
        #expect(canvas.contains("1 HOUR"))
        _ = update(&state, .key(.down))
        #expect(update(&state, .key(.enter)) == [.loadIssue(app: "wallet-android", fingerprint: "b")])
        #expect(ConsoleTests.screen(state).contains("Loading the issue"))
        let detail = CrashIssueDetail(issue: Self.issue("b", .ongoing), latest: nil,
                                      byOSVersion: [.init(key: "android 14", count: 3), .init(key: "android 13", count: 1)],
                                      byModel: [.init(key: "Pixel 8", count: 4)], byRelease: [.init(key: "5.3.0", count: 4)])
        _ = update(&state, .issueLoaded(fingerprint: "b", .success(detail)))
        canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("By OS version"))
        #expect(canvas.contains("android 14"))
        #expect(canvas.contains("3 (75%)"))
    }

    @Test func anIssuesTrendIsASparklineOfItsCachedEvents() {
        var state = Self.crashes(events: [], issues: [Self.issue("a", .regressed)])
        _ = update(&state, .key(.character("v")))
        var snapshot = CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android", lastFetched: Self.now,
                                     crashIssues: [Self.issue("a", .regressed)])
        snapshot.issueTrends = ["a": [0, 0, 0, 0, 1, 2, 4, 8]]
        _ = update(&state, .dataChanged(snapshot, SyncStatus(connection: .online, since: Self.now)))
        #expect(ConsoleTests.screen(state).contains("▁▁▁▁▂▃▅█"))
    }

    @Test func theServersTrendWinsOverTheCachedCount() {
        var issue = Self.issue("a", .ongoing)
        issue.trend = [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 8]
        var state = Self.crashes(events: [], issues: [issue])
        _ = update(&state, .key(.character("v")))
        var snapshot = CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android", lastFetched: Self.now,
                                     crashIssues: [issue])
        snapshot.issueTrends = ["a": [8, 4, 2, 1]]
        _ = update(&state, .dataChanged(snapshot, SyncStatus(connection: .online, since: Self.now)))
        #expect(ConsoleTests.screen(state).contains("▁▁▁▁▁▁▁▁▂▃▅█"))
    }

    @Test func aFailedIssueLoadSaysWhyAndClosesTheOverlay() {
        var state = Self.crashes(events: [], issues: [Self.issue("a", .new)])
        _ = update(&state, .key(.character("v")))
        _ = update(&state, .key(.enter))
        _ = update(&state, .issueLoaded(fingerprint: "a", .failure(PlatformFailure("cannot reach http://x: connection refused"))))
        #expect(state.overlay == nil)
        #expect(ConsoleTests.screen(state).contains("cannot load the issue: cannot reach http://x: connection refused"))
    }

    @Test func aReconnectingStreamAndAnEmptyCacheSaySo() {
        let state = Self.crashes(events: [], live: .reconnecting(reason: "cannot reach http://x: connection refused"))
        let canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("⟳ stream reconnecting: cannot reach http://x"))
        #expect(canvas.contains("No crashes or ANRs of wallet-android in the cache yet."))
    }

    @Test func theCrashesPaneAsksForCrashData() {
        var state = ConsoleTests.loaded()
        #expect(state.visibleData == [.releases, .health])
        _ = update(&state, .key(.character("2")))
        #expect(state.visibleData == [.crashEvents, .crashIssues])
    }

    @Test func switchingAppsClearsTheLastAppsCrashes() {
        var state = Self.crashes(events: [Self.event(1)])
        _ = update(&state, .key(.character("a")))
        #expect(state.crashEvents.isEmpty)
        #expect(!ConsoleTests.screen(state).contains("boom"))
    }

    @Test func hostileCrashTextNeverReachesTheCanvasRaw() {
        let state = Self.crashes(events: [Self.event(1, exception: "Evil\u{1B}]0;pwned\u{07}", message: "line\nbreak\u{9B}31m")])
        let canvas = ConsoleTests.screen(state)
        for line in canvas.lines {
            #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        }
    }
}

@Suite struct FilterTests {
    @Test func slashFiltersTheListAsItIsTypedAndEscClearsIt() {
        var state = CrashesPaneTests.crashes(events: [
            CrashesPaneTests.event(3, exception: "IllegalStateException", message: "checkout"),
            CrashesPaneTests.event(2, exception: "NullPointerException", message: "coupon"),
            CrashesPaneTests.event(1, exception: "IllegalStateException", message: "profile"),
        ])
        _ = update(&state, .key(.character("/")))
        for character in "illegal CHECK" { _ = update(&state, .key(.character(character))) }
        #expect(state.crashEvents.map(\.id) == [3], "every word must match, in any case")
        #expect(ConsoleTests.screen(state).contains("/illegal CHECK▏ 1 shown"))
        for _ in 0..<6 { _ = update(&state, .key(.backspace)) }
        #expect(state.crashEvents.map(\.id) == [3, 1])
        _ = update(&state, .key(.enter))
        #expect(state.filterEditing == nil)
        // New data goes through the kept filter.
        CrashesPaneTests.feed(&state, events: [
            CrashesPaneTests.event(5, exception: "IllegalArgumentException"), CrashesPaneTests.event(4, exception: "Other"),
            CrashesPaneTests.event(3, exception: "IllegalStateException"),
        ])
        #expect(state.crashEvents.map(\.id) == [5, 3])
        #expect(ConsoleTests.screen(state).contains("/illegal 2 shown"))
        _ = update(&state, .key(.character("/")))
        _ = update(&state, .key(.escape))
        #expect(state.crashEvents.map(\.id) == [5, 4, 3])
        #expect(state.filters.isEmpty)
    }

    @Test func fPicksReleaseKindAndOSAndTheListNarrowsAtOnce() {
        func event(_ id: Int64, _ release: String, _ kind: CrashKind, _ os: Platform) -> CrashEventSummary {
            var event = CrashesPaneTests.event(id, kind: kind)
            event.release = release
            event.os = os
            return event
        }
        let events = [event(4, "5.3.0", .anr, .ios), event(3, "5.3.0", .crash, .android), event(2, "5.2.1", .anr, .android), event(1, "5.3.0", .anr, .android)]
        var issue = CrashesPaneTests.issue("old", .ongoing)
        issue.releases = ["5.2.1"]
        var state = CrashesPaneTests.crashes(events: events, issues: [CrashesPaneTests.issue("a", .new), issue])
        _ = update(&state, .key(.character("f")))
        var canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("Filter crashes"))
        #expect(canvas.contains("▸ Release   ‹ all ›"))
        // Release: all → the newest first.
        _ = update(&state, .key(.right))
        #expect(state.crashFilter.release == "5.3.0")
        #expect(state.crashEvents.map(\.id) == [4, 3, 1])
        _ = update(&state, .key(.down))
        _ = update(&state, .key(.right))  // kind: crash
        _ = update(&state, .key(.right))  // kind: anr
        #expect(state.crashFilter.kind == .anr)
        _ = update(&state, .key(.down))
        let os = Platform.ios
        for _ in 0...Platform.allCases.firstIndex(of: os)! { _ = update(&state, .key(.right)) }  // OS: all → … → iOS
        #expect(state.crashFilter.os == os)
        #expect(state.crashEvents.map(\.id) == [4])
        _ = update(&state, .key(.enter))
        #expect(state.crashFilterPicker == nil)
        canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("only 5.3.0 · anr · \(platformName(os))"))
        // Issues: by release and kind (an issue has no OS).
        _ = update(&state, .key(.character("v")))
        #expect(state.crashIssues.isEmpty, "no ANR issue in 5.3.0")
        #expect(ConsoleTests.screen(state).contains("Nothing matches only 5.3.0 · anr · iOS."))
        // Esc in the picker undoes what it changed; x clears all.
        _ = update(&state, .key(.character("f")))
        _ = update(&state, .key(.character("x")))
        #expect(state.crashFilter.isEmpty)
        #expect(state.crashIssues.map(\.fingerprint) == ["a", "old"])
        _ = update(&state, .key(.escape))
        #expect(state.crashFilter == CrashEventFilter(release: "5.3.0", kind: .anr, os: os))
        // New data goes through the kept filter; switching app forgets the release only.
        _ = update(&state, .key(.character("v")))
        CrashesPaneTests.feed(&state, events: [event(6, "5.3.0", .anr, os), event(5, "5.3.0", .crash, os)] + events)
        #expect(state.crashEvents.first?.id == 6)
        #expect(!state.crashEvents.contains { $0.id == 5 })
        _ = update(&state, .key(.character("a")))
        #expect(state.crashFilter == CrashEventFilter(kind: .anr, os: os))
    }

    @Test func keysTypedIntoTheFilterDoNotActOnTheConsole() {
        var state = ConsoleTests.loaded()
        _ = update(&state, .key(.character("/")))
        #expect(update(&state, .key(.character("q"))).isEmpty, "q is text here, not quit")
        _ = update(&state, .key(.character("2")))
        #expect(state.pane == .releases)
        #expect(state.releases.isEmpty, "no release matches 'q2'")
    }
}

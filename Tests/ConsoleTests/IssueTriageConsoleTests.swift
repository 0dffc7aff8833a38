import Cache
import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// Triage in the Crashes pane headless: sorting, short names, resolve / ignore /
/// unresolve through the change dialog, and what the server's answer does.
@Suite struct IssueTriageConsoleTests {
    static let now = ConsoleTests.now

    static func issue(_ fingerprint: String, _ status: IssueStatus = .ongoing, count: Int, devices: Int, seenAgo: Double,
                      trend: [Int] = Array(repeating: 0, count: 12)) -> CrashIssue {
        CrashIssue(app: "wallet-android", fingerprint: fingerprint, kind: .crash, exceptionType: "java.lang.IndexOutOfBoundsException",
                   culprit: "com.opsdeck.\(fingerprint).bind", message: "Index: 3, Size: 3", firstSeen: now.addingTimeInterval(-90_000),
                   lastSeen: now.addingTimeInterval(-seenAgo), count: count, affectedDevices: devices, releases: ["5.3.0"], status: status,
                   trend: trend, revision: 4)
    }

    static let issues = [
        issue("cart", count: 10, devices: 9, seenAgo: 10, trend: Array(repeating: 0, count: 9) + [1, 1, 1]),
        issue("feed", count: 500, devices: 20, seenAgo: 300),
        issue("login", count: 40, devices: 35, seenAgo: 60, trend: Array(repeating: 0, count: 9) + [0, 5, 9]),
        issue("old", .resolved, count: 900, devices: 800, seenAgo: 20),
    ]

    static func issuesPane(caller: Caller? = Caller(name: "sam", role: .support)) -> ConsoleState {
        var state = CrashesPaneTests.crashes(events: [], issues: issues)
        state.caller = caller
        _ = update(&state, .key(.character("v")))
        return state
    }

    static func order(_ state: ConsoleState) -> [String] { state.crashIssues.map(\.fingerprint) }

    @Test func sCyclesTheOrderAndTheHeaderSaysWhich() {
        var state = Self.issuesPane()
        #expect(Self.order(state) == ["cart", "login", "feed", "old"], "last seen first; resolved after every open one")
        #expect(ConsoleTests.screen(state).contains("SEEN▼"))
        state.selection[.crashIssues] = 1  // login
        _ = update(&state, .key(.character("s")))
        #expect(state.issueSort == .events)
        #expect(Self.order(state) == ["feed", "login", "cart", "old"])
        #expect(state.selection[.crashIssues] == 1, "the selection stays on login")
        let canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("EVENTS▼"))
        #expect(canvas.contains("s sort: events"))
        _ = update(&state, .key(.character("s")))
        #expect(Self.order(state) == ["login", "feed", "cart", "old"], "devices")
        _ = update(&state, .key(.character("s")))
        #expect(Self.order(state) == ["login", "cart", "feed", "old"], "rising in the last 15 minutes")
        #expect(ConsoleTests.screen(state).contains("1 HOUR▼"))
    }

    @Test func listsShowTheShortExceptionNameAndTheDetailTheFullOne() {
        let canvas = ConsoleTests.screen(Self.issuesPane())
        #expect(canvas.contains("IndexOutOfBoundsException · com.opsdeck.cart.bind"))
        #expect(!canvas.contains("java.lang."))
        #expect(CrashIssue.shortName("kotlin.KotlinNullPointerException") == "KotlinNullPointerException")
        #expect(CrashIssue.shortName("NSInvalidArgumentException") == "NSInvalidArgumentException")
        #expect(CrashIssue.shortName("-[NSObject doesNotRecognize:]") == "-[NSObject doesNotRecognize:]")
        #expect(CrashIssue.shortName("a.b.") == "a.b.")
    }

    @Test func resolveAsksWhyAndSendsWithTheIssuesRevision() {
        var state = Self.issuesPane()
        #expect(update(&state, .key(.character("r"))).isEmpty)
        var canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("Resolve IndexOutOfBoundsException in wallet-android"))
        #expect(canvas.contains("If it happens again it comes back as regressed."))
        #expect(canvas.contains("Now: ongoing, 10 events from 9 devices"))
        ControlsPaneTests.type("fixed in 5.3.1", &state)
        guard case .perform(let dialog)? = update(&state, .key(.enter)).first else {
            Issue.record("Enter with a reason sends the change")
            return
        }
        #expect(dialog.action == .triage(app: "wallet-android", fingerprint: "cart", .resolve))
        #expect(dialog.ifMatch == "\"i4\"")
        var resolved = Self.issues[0]
        resolved.status = .resolved
        resolved.revision = 5
        resolved.trend = nil
        #expect(update(&state, .actionFinished(idempotencyKey: dialog.idempotencyKey, .issueChanged(resolved))) == [.refresh])
        #expect(state.dialog == nil)
        canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("IndexOutOfBoundsException is now resolved (confirmed by the server, revision 5)"))
        #expect(state.crashIssues.first { $0.fingerprint == "cart" }?.trend != nil, "the answer's missing trend does not blank the sparkline")
    }

    @Test func ignoreOffersATimeOrUntilItWorsensWithTab() {
        var state = Self.issuesPane()
        state.selection[.crashIssues] = 2  // feed, 500 events
        _ = update(&state, .key(.character("i")))
        var canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("Ignore IndexOutOfBoundsException in wallet-android"))
        #expect(canvas.contains("▸ for 1 hour"))
        #expect(canvas.contains("Tab choice"), "the hint bar says Tab changes the choice")
        _ = update(&state, .key(.tab))
        _ = update(&state, .key(.tab))
        _ = update(&state, .key(.tab))
        canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("▸ until 50 more events"))
        #expect(state.dialog?.action == .triage(app: "wallet-android", fingerprint: "feed", .ignore(minutes: nil, moreEvents: 50)))
        _ = update(&state, .key(.backTab))
        #expect(state.dialog?.action == .triage(app: "wallet-android", fingerprint: "feed", .ignore(minutes: 10_080, moreEvents: nil)))
    }

    @Test func whatCannotBeDoneIsSaidAndViewersAreNotOffered() {
        var state = Self.issuesPane()
        _ = update(&state, .key(.character("u")))
        #expect(state.dialog == nil)
        #expect(state.flash?.text.contains("only a resolved or ignored issue can be unresolved") == true)
        state.selection[.crashIssues] = 3  // resolved
        _ = update(&state, .key(.character("r")))
        #expect(state.dialog == nil)
        #expect(state.flash?.text == "IndexOutOfBoundsException is already resolved (u reopens it)")
        _ = update(&state, .key(.character("u")))
        #expect(state.dialog?.title == "Unresolve IndexOutOfBoundsException in wallet-android")

        var viewer = Self.issuesPane(caller: Caller(name: "vera", role: .viewer))
        #expect(!ConsoleTests.screen(viewer).contains("r resolve"))
        _ = update(&viewer, .key(.character("r")))
        #expect(viewer.dialog == nil)
        #expect(viewer.flash?.text == "the token's role (viewer) may not resolve or ignore issues")
    }

    @Test func theIssueDetailShowsTheStackFirstAndTakesTheTriageKeys() {
        var state = Self.issuesPane()
        let latest = CrashEvent(id: 7, app: "wallet-android", release: "5.3.0", kind: .crash,
                                device: DeviceInfo(id: "d", os: .android, osVersion: "14", model: "Pixel 8"),
                                exceptionType: "java.lang.IndexOutOfBoundsException", message: "m",
                                frames: [StackFrame(symbol: "com.opsdeck.cart.bind", inApp: true)], fingerprint: "cart", at: Self.now)
        var one = Self.issues[0]
        one.count = 1
        one.affectedDevices = 1
        state.overlay = .issue(CrashIssueDetail(issue: one, latest: latest, byOSVersion: [.init(key: "android 14", count: 1)],
                                                byModel: [.init(key: "Pixel 8", count: 1)], byRelease: [.init(key: "5.3.0", count: 1)]))
        let lines = ConsoleTests.screen(state, size: Size(width: 120, height: 40)).lines
        let stack = lines.firstIndex { $0.contains("Latest event #7") }
        let breakdown = lines.firstIndex { $0.contains("By release") }
        #expect(stack != nil && breakdown != nil && stack! < breakdown!, "the stack before the breakdowns")
        #expect(lines.contains { $0.contains("1 event from 1 device") })
        #expect(lines.contains { $0.contains("r resolve") })
        _ = update(&state, .key(.character("r")))
        #expect(state.dialog?.title == "Resolve IndexOutOfBoundsException in wallet-android")
    }
}

/// The small things people notice: one precision rule, singulars, where Releases starts.
@Suite struct SmallThingsTests {
    @Test func grayPercentagesHaveOneRule() {
        #expect(percentText(5) == "5%")
        #expect(percentText(7.5) == "7.5%")
        #expect(percentText(0.25) == "0.25%")
        #expect(percentText(12.50) == "12.5%")
        #expect(percentText(0.1) == "0.1%")
        #expect(percentText(99.999) == "100%", "the platform's resolution is 0.01")
    }

    @Test func oneEventNotOneEvents() {
        #expect(count(1, "event") == "1 event")
        #expect(count(1234, "event") == "1,234 events")
        #expect(count(0, "device") == "0 devices")
        let state = CrashesPaneTests.crashes(events: [CrashesPaneTests.event(1)])
        #expect(ConsoleTests.screen(state).contains("1 event cached"))
    }

    @Test func releasesStartOnTheReleaseThatNeedsAttentionNotADraft() {
        func release(_ version: String, _ stage: ReleaseStage, daysAgo: Double) -> Release {
            var release = ConsoleTests.releases[0]
            release.version = version
            release.stage = stage
            release.createdAt = ConsoleTests.now.addingTimeInterval(-daysAgo * 86_400)
            return release
        }
        let draftFirst = [release("5.4.0", .draft, daysAgo: 0), release("5.3.0", .gray, daysAgo: 3), release("5.2.0", .full, daysAgo: 9)]
        #expect(attentionRelease(in: draftFirst) == 1)
        let noGray = [release("5.4.0", .draft, daysAgo: 0), release("5.1.0", .full, daysAgo: 20), release("5.2.0", .full, daysAgo: 9)]
        #expect(attentionRelease(in: noGray) == 2, "the newest full one")
        #expect(attentionRelease(in: []) == nil)
        var state = ConsoleTests.loaded(releases: draftFirst)
        _ = update(&state, .key(.character("1")))
        #expect(state.selection[.releases] == 1)
    }
}

@Suite struct DialogTabTests {
    @Test func tabInADialogWithoutChoicesDoesNothing() {
        var state = IssueTriageConsoleTests.issuesPane()
        _ = update(&state, .key(.character("r")))
        let before = state.dialog
        #expect(update(&state, .key(.tab)).isEmpty)
        #expect(update(&state, .key(.backTab)).isEmpty)
        #expect(state.dialog == before, "no choices: Tab changes nothing (and never divides by zero)")
    }
}

@Suite struct NarrowDialogTests {
    @Test func at80ColumnsDialogLinesWrapAndTheChoicesSayWhereTheyStand() {
        var state = IssueTriageConsoleTests.issuesPane()
        _ = update(&state, .key(.character("i")))
        let lines = ConsoleTests.screen(state, size: Size(width: 80, height: 24)).lines
        let cut = lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasSuffix("An ignore until more events ends when they arrive: it comes back as") }
        func column(_ text: String, _ row: Int) -> Int? {
            lines[row].range(of: text).map { lines[row].distance(from: lines[row].startIndex, to: $0.lowerBound) }
        }
        #expect(cut.map { column("regressed.", $0 + 1) != nil && column("regressed.", $0 + 1) == column("An ignore", $0) } == true,
                "wrapped under its start, not cut: \(lines)")
        #expect(lines.contains { $0.contains("Choose: ▸ for 1 hour   1 of 5 · Tab: next") })
        _ = update(&state, .key(.backTab))
        #expect(ConsoleTests.screen(state, size: Size(width: 80, height: 24)).contains("▸ for good   5 of 5 · Tab: next"), "the last choice, reached and shown")
    }
}

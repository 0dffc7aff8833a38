import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// The Rollouts pane headless: sliders, pending values, release moves and guardrail halts.
@Suite struct RolloutsPaneTests {
    static let now = ConsoleTests.now

    static func rollouts(_ releases: [Release] = ConsoleTests.releases, audit: [AuditEntry] = []) -> ConsoleState {
        var state = ConsoleTests.loaded(releases: releases)
        _ = update(&state, .key(.character("3")))
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: releases, releasesApp: "wallet-android", lastFetched: now, audit: audit),
            SyncStatus(connection: .online, since: now)))
        return state
    }

    @Test func onlyWhitelistGrayAndHaltedReleasesHaveSliders() {
        let state = Self.rollouts()
        #expect(state.rollouts.map(\.version) == ["5.3.0", "5.1.1"])
        let canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("12.5%"))
        #expect(!canvas.contains("5.0.0"))
    }

    @Test func theLadderAndTheArrowsMoveThePendingValueAndShowItApart() {
        var state = Self.rollouts()
        _ = update(&state, .key(.right))
        #expect(state.pendingGray["5.3.0"] == 13.5, "→ is one point")
        _ = update(&state, .key(.character("]")))
        #expect(state.pendingGray["5.3.0"] == 20, "] is the next rung of 1 2 5 10 20 50 100")
        _ = update(&state, .key(.character("+")))
        #expect(state.pendingGray["5.3.0"] == 50)
        let canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("12.5% → 50% pending (+37.5%)"))
        #expect(canvas.contains("┃"), "the pending value has its own marker")
        _ = update(&state, .key(.character("]")))
        _ = update(&state, .key(.character("]")))
        #expect(state.pendingGray["5.3.0"] == 100, "never past 100%")
        #expect(state.flash?.text == "100% is the top of the ladder")
        _ = update(&state, .key(.escape))
        #expect(state.pendingGray["5.3.0"] == nil)
        for expected in [10.0, 5, 2, 1] {
            _ = update(&state, .key(.character("-")))
            #expect(state.pendingGray["5.3.0"] == expected)
        }
        _ = update(&state, .key(.character("[")))
        #expect(state.pendingGray["5.3.0"] == 1, "1% is the lowest rung")
        _ = update(&state, .key(.left))
        #expect(state.pendingGray["5.3.0"] == 0.9, "below 1% the arrows move by 0.1")
    }

    @Test func grayTypedInThePaletteAsksRaiseOrLower() {
        var state = Self.rollouts()
        for key in [Key.character(":")] + "gray 7.5".map(Key.character) + [.enter] { _ = update(&state, .key(key)) }
        #expect(state.palette == nil)
        #expect(ConsoleTests.screen(state).contains("Lower the gray of wallet-android 5.3.0 from 12.5% to 7.5%"))
        _ = update(&state, .key(.escape))
        for key in [Key.character(":")] + "gray 101".map(Key.character) + [.enter] { _ = update(&state, .key(key)) }
        #expect(state.palette?.error == ":gray takes a percentage from 0.01 to 100, as in :gray 7.5")
    }

    @Test func enterAsksWithTheBlastRadiusAndSendsWithIfMatch() {
        var state = Self.rollouts()
        for _ in 0..<5 { _ = update(&state, .key(.right)) }
        #expect(update(&state, .key(.enter)).isEmpty)
        let canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("Raise the gray of wallet-android 5.3.0 from 12.5% to 17.5%"))
        #expect(canvas.contains("About 5% more of wallet-android's devices"))
        for character in "24h clean" { _ = update(&state, .key(.character(character))) }
        guard case .perform(let dialog)? = update(&state, .key(.enter)).first else {
            Issue.record("Enter sends")
            return
        }
        #expect(dialog.action == .setGray(app: "wallet-android", version: "5.3.0", percent: 17.5))
        #expect(dialog.ifMatch == "\"r1\"")
        var changed = ConsoleTests.release("5.3.0", .gray, gray: 17.5)
        changed.revision = 2
        _ = update(&state, .actionFinished(idempotencyKey: dialog.idempotencyKey, .releaseChanged(changed)))
        #expect(state.pendingGray["5.3.0"] == nil)
        #expect(ConsoleTests.screen(state).contains("5.3.0 is now gray at 17.5% (confirmed by the server, revision 2)"))
    }

    @Test func withHealthCachedTheBlastRadiusIsCountedInDevices() {
        var state = Self.rollouts()
        func series(_ version: String, devices: Int, appDevices: Int) -> MetricsSeries {
            let total = MetricsPoint(at: Self.now, sessions: 10, crashes: 0, anrs: 0, crashFreeSessions: 100, crashFreeUsers: 100, adoption: nil,
                                     devices: devices, appDevices: appDevices)
            return MetricsSeries(app: "wallet-android", release: version, from: Self.now, to: Self.now, stepSeconds: 60, points: [], total: total)
        }
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android", lastFetched: Self.now,
                          health: ["5.3.0": series("5.3.0", devices: 310, appDevices: 24_800), "5.2.1": series("5.2.1", devices: 9_000, appDevices: 24_800)]),
            SyncStatus(connection: .online, since: Self.now)))
        for _ in 0..<5 { _ = update(&state, .key(.right)) }
        _ = update(&state, .key(.enter))
        let canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("About 1,240 more devices will be offered 5.3.0."))
        #expect(canvas.contains("That is 5% of the 24,800 devices of wallet-android active in the last hour."))
        _ = update(&state, .key(.escape))
        _ = update(&state, .key(.character("H")))
        #expect(ConsoleTests.screen(state).contains("Devices that installed it keep it (310 devices ran it in the last hour)."))
    }

    @Test func haltResumeAdvanceAndRollBackFollowTheStageRules() {
        var state = Self.rollouts()
        _ = update(&state, .key(.character("R")))
        #expect(state.dialog == nil)
        #expect(ConsoleTests.screen(state).contains("cannot resume 5.3.0: it is gray"))
        _ = update(&state, .key(.character("H")))
        #expect(state.dialog?.action == .release(app: "wallet-android", version: "5.3.0", .halt))
        _ = update(&state, .key(.escape))
        _ = update(&state, .key(.character("A")))
        #expect(state.dialog?.action == .setStage(app: "wallet-android", version: "5.3.0", stage: .full))
        _ = update(&state, .key(.escape))
        _ = update(&state, .key(.down))
        _ = update(&state, .key(.character("R")))
        #expect(state.dialog?.action == .release(app: "wallet-android", version: "5.1.1", .resume))
        _ = update(&state, .key(.escape))
        _ = update(&state, .key(.right))
        #expect(state.pendingGray.isEmpty, "a halted release's percentage does not move")
    }

    @Test func aConflictShowsTheNewStateAndNeverOverwrites() {
        var state = Self.rollouts()
        _ = update(&state, .key(.right))
        _ = update(&state, .key(.enter))
        for character in "go" { _ = update(&state, .key(.character(character))) }
        guard case .perform(let sent)? = update(&state, .key(.enter)).first else { return }
        var current = ConsoleTests.release("5.3.0", .gray, gray: 50)
        current.revision = 7
        _ = update(&state, .actionFinished(idempotencyKey: sent.idempotencyKey, .releaseConflict(current: current)))
        let dialog = try! #require(state.dialog)
        #expect(dialog.ifMatch == "\"r7\"")
        #expect(ConsoleTests.screen(state).contains("Changed meanwhile by someone else: it is gray at 50% now (revision 7)"),
                "without the audit log at hand, no name is made up")
        #expect(state.releases.first { $0.version == "5.3.0" }?.grayPercent == 50)
    }

    @Test func aGuardrailHaltStandsOut() {
        let releases = [ConsoleTests.release("5.3.0", .halted, gray: 20)]
        let audit = [AuditEntry(id: 9, at: Self.now, actor: "system", role: "system", action: .releaseGuardrailHalt,
                                target: "wallet-android/5.3.0", before: nil, after: nil,
                                reason: "guardrail: crash rate 7.1% over the last 10 min (71 of 1000 sessions) is above 5.00%")]
        let canvas = ConsoleTests.screen(Self.rollouts(releases, audit: audit))
        #expect(canvas.contains("■ HALTED BY GUARDRAIL"))
        #expect(canvas.contains("guardrail: crash rate 7.1% over the last 10 min"), "an entry without figures shows its reason as it is")
    }

    /// The figures come as data: the console words them itself, whatever the reason says.
    @Test func aGuardrailHaltIsToldFromItsFigures() {
        let releases = [ConsoleTests.release("5.3.0", .halted, gray: 20)]
        let breach = GuardrailBreach(crashRate: 7.1, crashedSessions: 71, sessions: 1000, windowMinutes: 10, maxCrashRate: 5)
        let audit = [AuditEntry(id: 9, at: Self.now, actor: "system", role: "system", action: .releaseGuardrailHalt,
                                target: "wallet-android/5.3.0", before: nil, after: nil, reason: "halted (words may change)", guardrail: breach)]
        let canvas = ConsoleTests.screen(Self.rollouts(releases, audit: audit))
        #expect(canvas.contains("crash rate 7.1% over 10 min (71 of 1000 sessions), limit 5%"))
        #expect(!canvas.contains("words may change"))
    }

    @Test func sliderTrackFillsToTheCurrentValueAndMarksThePending() {
        let track = sliderTrack(current: 50, pending: 75, width: 20)
        #expect(track.filter { $0.0 == "█" }.count == 10)
        #expect(track[15].0 == "┃")
        #expect(sliderTrack(current: 0.01, pending: nil, width: 20).first?.0 == "█", "a tiny gray still shows")
    }
}

/// `=` in Rollouts: a typed percentage, through the same dialog as the ladder.
@Suite struct TypedGrayTests {
    @Test func equalsThenDigitsThenEnterAsksToSetExactlyThat() {
        var state = ConsoleTests.loaded()
        state.caller = Caller(name: "rita", role: .releaseManager)
        _ = update(&state, .key(.character("3")))
        _ = update(&state, .key(.character("=")))
        #expect(state.palette?.text == "gray ")
        for character in "7.5" { _ = update(&state, .key(.character(character))) }
        #expect(ConsoleTests.screen(state).contains(":gray 7.5"))
        _ = update(&state, .key(.enter))
        #expect(state.dialog?.title == "Lower the gray of wallet-android 5.3.0 from 12.5% to 7.5%")
        #expect(state.dialog?.action == .setGray(app: "wallet-android", version: "5.3.0", percent: 7.5))
    }
}

import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// The Breakers and Audit panes and the action dialog, headless.
@Suite struct ControlsPaneTests {
    static let now = ConsoleTests.now

    static func breaker(_ key: String, enabled: Bool = true, revision: Int = 3, by: String = "ana") -> Switch {
        Switch(app: "wallet-android", key: key, description: "Payments API", kind: .circuitBreaker, enabled: enabled,
               scope: SwitchScope(platforms: [.android], minVersion: "5.2.0", percent: 50), updatedBy: by,
               updatedAt: now.addingTimeInterval(-600), revision: revision)
    }

    static func breakers(_ switches: [Switch], readOnly: Bool = false) -> ConsoleState {
        var state = ConsoleTests.loaded()
        state.readOnly = readOnly
        _ = update(&state, .key(.character("4")))
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android", lastFetched: now, switches: switches),
            SyncStatus(connection: .online, since: now)))
        return state
    }

    static func type(_ text: String, _ state: inout ConsoleState) {
        for character in text { _ = update(&state, .key(.character(character))) }
    }

    @Test func breakersShowStateKindScopeAndWhoChangedThem() {
        let canvas = ConsoleTests.screen(Self.breakers([Self.breaker("pay-api"), Self.breaker("new-checkout", enabled: false)]))
        #expect(canvas.contains("● CLOSED"), "a breaker letting calls through is CLOSED")
        #expect(canvas.contains("○ OPEN"), "one failing fast is OPEN")
        #expect(canvas.contains("breaker"))
        #expect(canvas.contains("Android · 5.2.0+ · 50% of devices"))
        #expect(canvas.contains("ana"))
    }

    @Test func flippingAsksForAReasonAndSendsWithIfMatch() {
        var state = Self.breakers([Self.breaker("pay-api")])
        #expect(update(&state, .key(.character(" "))).isEmpty, "nothing is sent before a reason")
        var canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("Open circuit breaker pay-api of wallet-android: OPEN (failing fast)"))
        #expect(canvas.contains("Calls to pay-api will fail fast"))
        #expect(canvas.contains("If-Match \"s3\""))
        #expect(update(&state, .key(.enter)).isEmpty)
        #expect(ConsoleTests.screen(state).contains("a reason is required"))
        Self.type("payments down, INC-42", &state)
        let effects = update(&state, .key(.enter))
        guard case .perform(let dialog)? = effects.first else {
            Issue.record("Enter with a reason sends the change; got \(effects)")
            return
        }
        #expect(dialog.action == .setSwitch(app: "wallet-android", key: "pay-api", enabled: false))
        #expect(dialog.reason == "payments down, INC-42")
        #expect(dialog.ifMatch == "\"s3\"")
        canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("… pending"), "the row shows pending until the server confirms")
        #expect(update(&state, .key(.escape)).isEmpty)
        #expect(state.dialog != nil, "a sent change cannot be silently dropped")

        var changed = Self.breaker("pay-api", enabled: false, revision: 4, by: "admin")
        changed.updatedAt = Self.now
        #expect(update(&state, .actionFinished(idempotencyKey: dialog.idempotencyKey, .switchChanged(changed))) == [.refresh])
        #expect(state.dialog == nil)
        canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("○ OPEN"))
        #expect(canvas.contains("pay-api is now OPEN (failing fast) (confirmed by the server, revision 4)"))
    }

    @Test func aConflictShowsTheNewStateAndAsksAgain() {
        var state = Self.breakers([Self.breaker("pay-api", enabled: true)])
        _ = update(&state, .key(.character(" ")))
        Self.type("flip it", &state)
        guard case .perform(let first)? = update(&state, .key(.enter)).first else {
            Issue.record("not sent")
            return
        }
        // Someone turned it off and on again meanwhile: revision 5, still ON.
        let current = Self.breaker("pay-api", enabled: true, revision: 5, by: "bo")
        _ = update(&state, .actionFinished(idempotencyKey: first.idempotencyKey, .switchConflict(current: current)))
        let dialog = try! #require(state.dialog)
        #expect(dialog.ifMatch == "\"s5\"")
        #expect(dialog.idempotencyKey != first.idempotencyKey)
        #expect(ConsoleTests.screen(state).contains("Changed meanwhile by bo"))
        guard case .perform(let second)? = update(&state, .key(.enter)).first else {
            Issue.record("Enter sends again on the new state")
            return
        }
        #expect(second.ifMatch == "\"s5\"")
    }

    @Test func aConflictThatAlreadyDidTheSameClosesWithoutSendingAgain() {
        var state = Self.breakers([Self.breaker("pay-api", enabled: true)])
        _ = update(&state, .key(.character(" ")))
        Self.type("x", &state)
        guard case .perform(let sent)? = update(&state, .key(.enter)).first else { return }
        _ = update(&state, .actionFinished(idempotencyKey: sent.idempotencyKey, .switchConflict(current: Self.breaker("pay-api", enabled: false, revision: 4, by: "bo"))))
        #expect(state.dialog == nil)
        #expect(ConsoleTests.screen(state).contains("already made OPEN by bo"))
    }

    @Test func aFailureKeepsTheDialogAndRetriesWithTheSameKey() {
        var state = Self.breakers([Self.breaker("pay-api")])
        _ = update(&state, .key(.character(" ")))
        Self.type("why", &state)
        guard case .perform(let sent)? = update(&state, .key(.enter)).first else { return }
        _ = update(&state, .actionFinished(idempotencyKey: sent.idempotencyKey, .failed("no answer from http://x within 15 s")))
        #expect(ConsoleTests.screen(state).contains("no answer from http://x within 15 s"))
        guard case .perform(let retry)? = update(&state, .key(.enter)).first else {
            Issue.record("Enter retries")
            return
        }
        #expect(retry.idempotencyKey == sent.idempotencyKey, "a retry after a timeout is applied at most once")
    }

    @Test func readOnlyRefusesAndEscCancels() {
        var state = Self.breakers([Self.breaker("pay-api")], readOnly: true)
        _ = update(&state, .key(.character(" ")))
        #expect(state.dialog == nil)
        #expect(ConsoleTests.screen(state).contains("read-only console"))
        #expect(!ConsoleTests.screen(state).contains("space flip"))

        var writable = Self.breakers([Self.breaker("pay-api")])
        _ = update(&writable, .key(.character(" ")))
        _ = update(&writable, .key(.escape))
        #expect(writable.dialog == nil)
        #expect(ConsoleTests.screen(writable).contains("cancelled: nothing was sent"))
    }

    @Test func auditShowsNewestFirstWithActorActionTargetAndReason() {
        var state = ConsoleTests.loaded()
        _ = update(&state, .key(.character("6")))
        let entries = [
            AuditEntry(id: 2, at: Self.now, actor: "system", role: "system", action: .releaseHalt, target: "wallet-ios/5.3.0",
                       before: nil, after: nil, reason: "guardrail: crash rate 4.1% > 2%"),
            AuditEntry(id: 1, at: Self.now.addingTimeInterval(-60), actor: "ana", role: "support", action: .switchDisable,
                       target: "wallet-android/pay-api", before: nil, after: nil, reason: "INC-42"),
        ]
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android", lastFetched: Self.now, audit: entries),
            SyncStatus(connection: .online, since: Self.now)))
        let canvas = ConsoleTests.screen(state)
        let lines = canvas.lines
        let halt = lines.firstIndex { $0.contains("release.halt") }!
        let flip = lines.firstIndex { $0.contains("switch.disable") }!
        #expect(halt < flip)
        #expect(canvas.contains("guardrail: crash rate 4.1% > 2%"))
        #expect(canvas.contains("ana (support)"))
    }
}

@Suite struct PaletteTests {
    static func type(_ text: String, _ state: inout ConsoleState) -> [Effect] {
        var effects: [Effect] = []
        for character in text { effects += update(&state, .key(.character(character))) }
        return effects
    }

    @Test func tabCompletesCommandsAndTheirArguments() {
        var state = ConsoleTests.loaded()
        state.themeNames = ["default", "light", "mono"]
        _ = update(&state, .key(.character(":")))
        _ = Self.type("ap", &state)
        _ = update(&state, .key(.tab))
        #expect(state.palette?.text == "app ")
        _ = Self.type("wallet-i", &state)
        _ = update(&state, .key(.tab))
        #expect(state.palette?.text == "app wallet-ios")
        #expect(ConsoleTests.focusedApp(update(&state, .key(.enter))) == "wallet-ios")
        #expect(state.appID == "wallet-ios")
        #expect(state.palette == nil)

        _ = update(&state, .key(.character(":")))
        _ = Self.type("theme m", &state)
        _ = update(&state, .key(.tab))
        #expect(update(&state, .key(.enter)) == [.theme("mono")])
    }

    @Test func releaseAndBreakerJumpToTheirPaneAndSelectIt() {
        var state = ConsoleTests.loaded()
        _ = update(&state, .key(.character(":")))
        _ = Self.type("release 5.1.0", &state)
        _ = update(&state, .key(.enter))
        #expect(state.pane == .releases)
        #expect(state.releases[state.selected].version == "5.1.0")

        _ = update(&state, .key(.character(":")))
        _ = Self.type("breaker pay-api", &state)
        _ = update(&state, .key(.enter))
        #expect(state.pane == .breakers)
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android", lastFetched: ConsoleTests.now,
                          switches: [ControlsPaneTests.breaker("hd-images"), ControlsPaneTests.breaker("pay-api")]),
            SyncStatus(connection: .online, since: ConsoleTests.now)))
        #expect(state.selection[.switches] == 1, "selected once the pane's list is read")
    }

    @Test func mistakesKeepThePaletteOpenAndSayWhy() {
        var state = ConsoleTests.loaded()
        _ = update(&state, .key(.character(":")))
        _ = Self.type("frobnicate", &state)
        _ = update(&state, .key(.enter))
        #expect(ConsoleTests.screen(state).contains("unknown command 'frobnicate'"))
        for _ in 0..<10 { _ = update(&state, .key(.backspace)) }
        _ = Self.type("app nowhere", &state)
        _ = update(&state, .key(.enter))
        #expect(ConsoleTests.screen(state).contains("no app 'nowhere'"))
        _ = update(&state, .key(.escape))
        #expect(state.palette == nil)
        _ = update(&state, .key(.character(":")))
        _ = Self.type("quit", &state)
        #expect(update(&state, .key(.enter)) == [.quit])
    }
}

@Suite struct RoleTests {
    @Test func aViewerSeesItsRoleAndNoChangeKeysAndIsRefusedBeforeSending() {
        var state = ControlsPaneTests.breakers([ControlsPaneTests.breaker("pay-api")])
        _ = update(&state, .identified(Caller(name: "vera", role: .viewer)))
        var canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("vera (viewer)"))
        #expect(!canvas.contains("space flip"))
        _ = update(&state, .key(.character(" ")))
        #expect(state.dialog == nil)
        #expect(ConsoleTests.screen(state).contains("the token's role (viewer) may not change switches"))
        _ = update(&state, .key(.character("3")))
        _ = update(&state, .key(.character("H")))
        #expect(state.dialog == nil)
        canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("may not change releases"))
        #expect(!canvas.contains("H/R/A/B"))
    }

    @Test func supportMayFlipSwitchesButNotMoveReleases() {
        var state = ControlsPaneTests.breakers([ControlsPaneTests.breaker("pay-api")])
        _ = update(&state, .identified(Caller(name: "sam", role: .support)))
        _ = update(&state, .key(.character(" ")))
        #expect(state.dialog != nil)
        _ = update(&state, .key(.escape))
        _ = update(&state, .key(.character("3")))
        _ = update(&state, .key(.character("H")))
        #expect(state.dialog == nil)
    }
}

@Suite struct HelpTests {
    @Test func helpShowsOnlyTheKeysThatWorkHereForThisRole() {
        var state = ControlsPaneTests.breakers([ControlsPaneTests.breaker("pay-api")])
        _ = update(&state, .key(.character("?")))
        var canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("Keys in Breakers"))
        #expect(canvas.contains("open or close the breaker, turn the switch on or off"))
        #expect(canvas.contains("CLOSED = calls to the dependency flow"), "help explains the breaker's words")
        #expect(!canvas.contains("pause, resume the live list"), "a Crashes key is not offered on Breakers")
        _ = update(&state, .key(.escape))
        _ = update(&state, .identified(Caller(name: "vera", role: .viewer)))
        _ = update(&state, .key(.character("?")))
        canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("Keys in Breakers for viewer"))
        #expect(!canvas.contains("open or close the breaker"), "a viewer is not offered a change")
        #expect(canvas.contains("filter the list"))
    }
}

/// Enter on a switch: its detail with its history from the audit log; space flips from there.
@Suite struct SwitchDetailTests {
    @Test func enterShowsTheSwitchAndItsHistoryNewestFirst() {
        var state = ControlsPaneTests.breakers([ControlsPaneTests.breaker("pay-api", enabled: false)])
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android", lastFetched: ConsoleTests.now,
                          switches: [ControlsPaneTests.breaker("pay-api", enabled: false)],
                          audit: [
                            AuditEntry(id: 9, at: ConsoleTests.now.addingTimeInterval(-60), actor: "sam", role: "support", action: .switchDisable,
                                       target: "wallet-android/switches/pay-api", before: .object(["enabled": .bool(true)]),
                                       after: .object(["enabled": .bool(false)]), reason: "gateway 5xx, INC-9"),
                            AuditEntry(id: 4, at: ConsoleTests.now.addingTimeInterval(-7200), actor: "ana", role: "admin", action: .switchEnable,
                                       target: "wallet-android/switches/pay-api", before: .object(["enabled": .bool(false)]),
                                       after: .object(["enabled": .bool(true)]), reason: "recovered"),
                            AuditEntry(id: 3, at: ConsoleTests.now.addingTimeInterval(-7300), actor: "ana", role: "admin", action: .switchEnable,
                                       target: "wallet-android/switches/other", before: nil, after: nil, reason: "not this one"),
                          ]),
            SyncStatus(connection: .online, since: ConsoleTests.now)))
        _ = update(&state, .key(.enter))
        #expect(state.overlay == .switchDetail(key: "pay-api"))
        #expect(state.cacheRead.auditLimit >= 1000, "the history is read while the detail is open")
        let lines = ConsoleTests.screen(state).lines
        let text = lines.joined(separator: "\n")
        #expect(text.contains("OPEN (failing fast)"))
        #expect(text.contains("every platform") == false && text.contains("Android · 5.2.0+ · 50% of devices"))
        let newest = lines.firstIndex { $0.contains("OPEN    sam (support): gateway 5xx, INC-9") }
        let older = lines.firstIndex { $0.contains("CLOSED  ana (admin): recovered") }
        #expect(newest != nil && older != nil && newest! < older!, "newest first")
        #expect(!text.contains("not this one"))
        _ = update(&state, .key(.character(" ")))
        #expect(state.overlay == nil)
        #expect(state.dialog?.title == "Close circuit breaker pay-api of wallet-android: CLOSED (calls flow)")
    }
}

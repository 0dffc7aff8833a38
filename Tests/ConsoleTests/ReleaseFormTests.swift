import Cache
import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// The Releases pane's forms headless: a new draft (`n`) and a release's targeting (`t`).
@Suite struct ReleaseFormTests {
    static func releasesPane() -> ConsoleState {
        var state = ConsoleTests.loaded()
        state.caller = Caller(name: "rita", role: .releaseManager)
        _ = update(&state, .key(.character("1")))
        return state
    }

    static func type(_ text: String, _ state: inout ConsoleState) -> [Effect] {
        var effects: [Effect] = []
        for character in text { effects += update(&state, .key(.character(character))) }
        return effects
    }

    @Test func aNewDraftIsReadFieldByFieldAndSentWithItsKey() {
        var state = Self.releasesPane()
        _ = update(&state, .key(.character("n")))
        #expect(ConsoleTests.screen(state).contains("New draft release of wallet-android"))
        _ = Self.type("5.4.0", &state)
        _ = update(&state, .key(.tab))
        _ = update(&state, .key(.control("u")))
        _ = Self.type("540", &state)
        _ = update(&state, .key(.tab))
        _ = Self.type("Faster checkout", &state)
        _ = update(&state, .key(.tab))
        _ = Self.type("46 MB", &state)
        _ = update(&state, .key(.tab))
        _ = Self.type("12ab", &state)
        _ = update(&state, .key(.tab))
        _ = Self.type("train 12", &state)
        #expect(update(&state, .key(.enter)).isEmpty, "a bad checksum is not sent")
        #expect(state.form?.phase == .failed("SHA-256: 64 hex digits (got 4 characters)"))
        #expect(state.form?.focus == 4, "the cursor goes to the field named")
        _ = update(&state, .key(.control("u")))
        _ = Self.type(String(repeating: "c0", count: 32), &state)
        _ = update(&state, .key(.tab))
        let effects = update(&state, .key(.enter))
        guard case .submitForm(let form)? = effects.first, case .success(.createRelease(let app, let draft)) = formRequest(form) else {
            Issue.record("Enter on Reason sends; got \(effects)")
            return
        }
        #expect(app == "wallet-android")
        #expect(draft == ReleaseDraft(version: "5.4.0", build: 540, notes: "Faster checkout", packageSize: 48_234_496,
                                      checksum: String(repeating: "c0", count: 32), reason: "train 12"))
        #expect(update(&state, .key(.escape)).isEmpty)
        #expect(state.form != nil, "a sent form waits for the answer")

        _ = update(&state, .formFinished(idempotencyKey: form.idempotencyKey,
                                         .failure(PlatformFailure("the server refused (409): version: wallet-android already has a release 5.4.0"))))
        #expect(state.form?.focus == 0, "the server's error names version: the cursor goes there")
        #expect(state.form?.errorField == 0)
    }

    @Test func targetingIsReadAndItsReachAskedAsThePersonMovesOn() {
        var state = Self.releasesPane()
        let effects = update(&state, .key(.character("t")))
        #expect(effects == [.previewTargeting(app: "wallet-android", Targeting())], "the reach of the targeting as it is")
        _ = Self.type("qa-*, dev-7", &state)
        #expect(Self.type("", &state).isEmpty)
        let moved = update(&state, .key(.tab))
        let expected = Targeting(whitelist: ["qa-*", "dev-7"])
        #expect(moved == [.previewTargeting(app: "wallet-android", expected)])
        _ = Self.type("in Hangzhou, Shanghai", &state)
        _ = update(&state, .key(.tab))
        _ = update(&state, .key(.tab))
        _ = update(&state, .key(.tab))
        _ = Self.type("16.0..17.9", &state)
        let withRules = update(&state, .key(.tab))
        let targeting = Targeting(whitelist: ["qa-*", "dev-7"], rules: [
            TargetingRule(.city, .in, ["Hangzhou", "Shanghai"]), TargetingRule(.osVersion, .inRange, ["16.0", "17.9"]),
        ])
        #expect(withRules == [.previewTargeting(app: "wallet-android", targeting)])
        _ = update(&state, .targetingPreviewed(targeting, .success(TargetingReach(
            windowMinutes: 60, activeDevices: 8000, whitelisted: 5, matchingRules: 1224, reached: 1229, byRule: [2100, 6050], windowOpen: true))))
        #expect(state.form?.preview == "Reaches 1,229 of 8,000 devices active in the last 60 min: 5 whitelisted, 1,224 match every rule (city 2,100 · OS 6,050).")
        #expect(ConsoleTests.screen(state).contains("Reaches 1,229 of 8,000 devices active"), "shown in the form")
        // An answer for an older targeting does not replace the newer one's.
        _ = update(&state, .targetingPreviewed(expected, .success(TargetingReach(
            windowMinutes: 60, activeDevices: 8000, whitelisted: 5, matchingRules: 8000, reached: 8000, byRule: [], windowOpen: true))))
        #expect(state.form?.preview?.hasPrefix("Reaches 1,229") == true)
    }

    @Test func ruleWindowAndSizeSyntax() throws {
        #expect(try parseRule("in Hangzhou, Shanghai", .city) == TargetingRule(.city, .in, ["Hangzhou", "Shanghai"]))
        #expect(try parseRule("Not in 3g", .network) == TargetingRule(.network, .notIn, ["3g"]))
        #expect(try parseRule("Pixel 8", .model) == TargetingRule(.model, .in, ["Pixel 8"]))
        #expect(try parseRule("", .model) == nil)
        #expect(throws: FieldError(wire: "city", message: "city: a range (low..high) is for the OS version only")) { try parseRule("a..b", .city) }
        #expect(throws: FieldError(wire: "osVersion", message: "OS version: the range's low end 17 is above its high end 16")) {
            try parseRule("17..16", .osVersion)
        }
        #expect(throws: FieldError(wire: "network", message: "network: give values after 'in' or 'not in'")) { try parseRule("in ,", .network) }
        let (start, end) = try parseWindow("2026-12-04 09:00 .. ")
        #expect(start.map(formTime) == "2026-12-04 09:00")
        #expect(end == nil)
        #expect(throws: FieldError.self) { try parseWindow("2026-12-05 09:00 .. 2026-12-04 09:00") }
        #expect(throws: FieldError.self) { try parseWindow("tomorrow .. later") }
        #expect(byteCount("48213004") == 48_213_004)
        #expect(byteCount("1.5 KB") == 1536)
        #expect(byteCount("1 GB") == 1_073_741_824)
        #expect(byteCount("0") == nil)
        #expect(byteCount("lots") == nil)
    }

    @Test func aViewerIsNotOfferedTheForms() {
        var state = Self.releasesPane()
        state.caller = Caller(name: "sam", role: .support)
        #expect(!ConsoleTests.screen(state).contains("n new "))
        #expect(ConsoleTests.screen(Self.releasesPane()).contains("n new "), "a release manager is offered it")
        _ = update(&state, .key(.character("n")))
        #expect(state.form == nil)
        #expect(state.flash?.text == "the token's role (support) may not change releases")
    }

    @Test func aDraftAdvancesToItsWhitelistWhenItHasOneElseToGray() {
        var release = ConsoleTests.releases[0]
        release.stage = .draft
        #expect(nextStage(of: release) == .gray)
        release.targeting = Targeting(whitelist: ["qa-*"])
        #expect(nextStage(of: release) == .whitelist)
        release.stage = .whitelist
        #expect(nextStage(of: release) == .gray)
    }
}

/// The Breakers pane's forms: `n` a new switch, `e` an edit of what it guards and where.
@Suite struct SwitchFormTests {
    static func breakersPane() -> ConsoleState {
        var state = ControlsPaneTests.breakers([ControlsPaneTests.breaker("pay-api")])
        state.caller = Caller(name: "sam", role: .support)
        return state
    }

    @Test func aNewBreakerIsReadAndSent() {
        var state = Self.breakersPane()
        _ = update(&state, .key(.character("n")))
        _ = ReleaseFormTests.type("risk-api", &state)
        _ = update(&state, .key(.tab))
        _ = update(&state, .key(.tab))
        _ = ReleaseFormTests.type("Calls to the risk API", &state)
        _ = update(&state, .key(.tab))
        _ = ReleaseFormTests.type("android, watchos", &state)
        _ = update(&state, .key(.tab))
        _ = ReleaseFormTests.type("5.2.0..", &state)
        _ = update(&state, .key(.tab))
        _ = ReleaseFormTests.type("in Hangzhou, Shanghai", &state)
        for _ in 0..<4 { _ = update(&state, .key(.tab)) }
        _ = update(&state, .key(.control("u")))
        _ = ReleaseFormTests.type("25%", &state)
        _ = update(&state, .key(.tab))
        _ = ReleaseFormTests.type("new dependency", &state)
        #expect(update(&state, .key(.enter)).isEmpty)
        #expect(state.form?.phase == .failed("Platforms: 'watchos' is not one of android, ios, harmony"))
        #expect(state.form?.fields[state.form?.focus ?? 0].wire == "scope.platforms")
        _ = update(&state, .key(.control("u")))
        _ = ReleaseFormTests.type("android", &state)
        for _ in 0..<7 { _ = update(&state, .key(.tab)) }
        let effects: [Effect] = update(&state, .key(.enter))
        guard case .submitForm(let form)? = effects.first, case .success(.createSwitch(let app, let draft)) = formRequest(form) else {
            Issue.record("the form is sent")
            return
        }
        #expect(app == "wallet-android")
        #expect(draft == SwitchDraft(key: "risk-api", kind: .circuitBreaker, description: "Calls to the risk API",
                                     scope: SwitchScope(platforms: [.android], minVersion: "5.2.0", rules: [TargetingRule(.city, .in, ["Hangzhou", "Shanghai"])],
                                                        percent: 25), reason: "new dependency"))
    }

    @Test func anEditStartsFromTheSwitchAndSendsWithItsRevision() {
        var state = Self.breakersPane()
        _ = update(&state, .key(.character("e")))
        let form = state.form
        #expect(form?.value("description") == "Payments API")
        #expect(form?.value("scope.platforms") == "android")
        #expect(form?.value("scope.minVersion") == "5.2.0..")
        #expect(form?.value("scope.percent") == "50%")
        #expect(form?.ifMatch == "\"s3\"")
        #expect(ConsoleTests.screen(state).contains("Edit circuit breaker pay-api of wallet-android"))
    }
}

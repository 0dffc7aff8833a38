import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// The Funnels pane's requests and what it shows, headless.
@Suite struct FunnelsPaneTests {
    static let definitions = [
        FunnelDefinition(app: "wallet-android", id: "checkout", name: "Checkout", steps: ["view_cart", "pay", "paid"], windowMinutes: 30),
        FunnelDefinition(app: "wallet-android", id: "signup", name: "Sign-up", steps: ["open", "done"], windowMinutes: 10),
    ]

    @Test func openingThePaneFetchesTheFunnelsThenTheFirstReport() {
        var state = ConsoleTests.loaded()
        // Funnels are fetched on demand: Sync is told the pane shows none of its kinds.
        #expect(update(&state, .key(.character("5"))) == [.loadFunnels(app: "wallet-android"), .focus(Interest(app: "wallet-android", visible: []))])
        #expect(ConsoleTests.screen(state).contains("Loading funnels"))
        let effects = update(&state, .funnelsLoaded(app: "wallet-android", .success(Self.definitions)))
        #expect(effects == [.loadFunnelReport(app: "wallet-android", funnel: "checkout", from: ConsoleTests.now.addingTimeInterval(-86_400),
                                              to: ConsoleTests.now, byRelease: true)])
        // Another funnel, another range: another report.
        guard case .loadFunnelReport(_, "signup", _, _, _)? = update(&state, .key(.down)).first else {
            Issue.record("moving to the next funnel loads its report")
            return
        }
        guard case .loadFunnelReport(_, _, let from, _, _)? = update(&state, .key(.character("t"))).first else {
            Issue.record("t loads the report for the next range")
            return
        }
        #expect(from == ConsoleTests.now.addingTimeInterval(-7 * 86_400))
    }

    @Test func theWorstStepStandsOutAndAFailedRefreshKeepsTheLastReport() {
        var state = ConsoleTests.loaded()
        _ = update(&state, .key(.character("5")))
        _ = update(&state, .funnelsLoaded(app: "wallet-android", .success(Self.definitions)))
        let steps = [
            FunnelStepResult(name: "view_cart", devices: 1000, stepConversion: 100, overallConversion: 100, dropOff: 0, medianSecondsFromPrevious: nil),
            FunnelStepResult(name: "pay", devices: 900, stepConversion: 90, overallConversion: 90, dropOff: 100, medianSecondsFromPrevious: 20),
            FunnelStepResult(name: "paid", devices: 90, stepConversion: 10, overallConversion: 9, dropOff: 810, medianSecondsFromPrevious: 30),
        ]
        let report = FunnelReport(funnel: Self.definitions[0], from: ConsoleTests.now, to: ConsoleTests.now, steps: steps, byRelease: nil)
        _ = update(&state, .funnelReportLoaded(app: "wallet-android", funnel: "checkout", .success(report)))
        var canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("▼ paid"))
        #expect(canvas.contains("biggest drop-off · step 10.0% · lost 810"))
        #expect(canvas.contains("all releases"))
        #expect(worstStep(steps) == 2)
        _ = update(&state, .funnelReportLoaded(app: "wallet-android", funnel: "checkout", .failure(PlatformFailure("cannot reach http://x: connection refused"))))
        canvas = ConsoleTests.screen(state)
        #expect(canvas.contains("▼ paid"), "the last report stays")
        #expect(canvas.contains("✕ cannot reach http://x"))
    }

    @Test func aReportForAnotherFunnelOrAppIsIgnored() {
        var state = ConsoleTests.loaded()
        _ = update(&state, .key(.character("5")))
        _ = update(&state, .funnelsLoaded(app: "wallet-android", .success(Self.definitions)))
        let late = FunnelReport(funnel: Self.definitions[1], from: ConsoleTests.now, to: ConsoleTests.now, steps: [], byRelease: nil)
        _ = update(&state, .funnelReportLoaded(app: "wallet-android", funnel: "signup", .success(late)))
        #expect(state.funnels.report == nil)
        _ = update(&state, .funnelsLoaded(app: "wallet-ios", .success([])))
        #expect(state.funnels.definitions.count == 2)
    }

    @Test func twoReleasesAreComparedInColumnsAtEveryWidth() {
        var state = ConsoleTests.loaded()
        _ = update(&state, .key(.character("5")))
        _ = update(&state, .funnelsLoaded(app: "wallet-android", .success(Self.definitions)))
        func steps(_ counts: [Int]) -> [FunnelStepResult] {
            counts.enumerated().map { index, count in
                FunnelStepResult(name: Self.definitions[0].steps[index], devices: count, stepConversion: 0,
                                 overallConversion: Double(count) / Double(counts[0]) * 100, dropOff: index == 0 ? 0 : counts[index - 1] - count,
                                 medianSecondsFromPrevious: nil)
            }
        }
        let report = FunnelReport(funnel: Self.definitions[0], from: ConsoleTests.now, to: ConsoleTests.now, steps: steps([1100, 800, 500]),
                                  byRelease: ["5.3.0": steps([100, 60, 20]), "5.2.1": steps([1000, 740, 480])])
        _ = update(&state, .funnelReportLoaded(app: "wallet-android", funnel: "checkout", .success(report)))
        for size in [Size(width: 80, height: 24), Size(width: 200, height: 60)] {
            let lines = ConsoleTests.screen(state, size: size).lines
            let header = lines.first { $0.contains("5.2.1 (1,000)") }
            #expect(header?.contains("5.3.0 (100)") == true, "both releases head columns of one table at \(size.width)")
            let paid = lines.first { $0.contains("paid") && $0.contains("48.0%") }
            #expect(paid?.contains("20.0%") == true, "one row holds the step for both releases at \(size.width)")
            #expect(paid?.contains("-28.0") == true, "and the difference in points")
            #expect(lines.filter { $0.contains("view_cart") }.count == 1, "not stacked: each step once at \(size.width)")
        }
    }

    @Test func aReleaseManagerDefinesAFunnelFromThePane() {
        var state = ConsoleTests.loaded()
        state.caller = Caller(name: "rita", role: .releaseManager)
        _ = update(&state, .key(.character("5")))
        _ = update(&state, .funnelsLoaded(app: "wallet-android", .success(Self.definitions)))
        _ = update(&state, .key(.character("n")))
        for text in ["onboarding", "Onboarding", "install > signup > first_payment", "", "user", "growth review"] {
            if text == "user" { _ = update(&state, .key(.control("u"))) }  // in place of the default, device
            for character in text { _ = update(&state, .key(.character(character))) }
            _ = update(&state, .key(.tab))
        }
        let effects = update(&state, .key(.enter))
        guard case .submitForm(let form)? = effects.first, case .success(.createFunnel(let app, let draft)) = formRequest(form) else {
            Issue.record("the funnel is sent; got \(effects) \(String(describing: state.form?.phase))")
            return
        }
        #expect(app == "wallet-android")
        #expect(draft == FunnelDraft(id: "onboarding", name: "Onboarding", steps: ["install", "signup", "first_payment"], windowMinutes: 30,
                                     countedBy: .user, reason: "growth review"))
        let created = FunnelDefinition(app: "wallet-android", id: "onboarding", name: "Onboarding", steps: draft.steps, windowMinutes: 30,
                                       countedBy: .user, revision: 1)
        let next = update(&state, .formFinished(idempotencyKey: form.idempotencyKey, .success(.funnel(created))))
        #expect(state.funnels.definitions.map(\.id) == ["checkout", "onboarding", "signup"])
        guard case .loadFunnelReport(_, "onboarding", _, _, _)? = next.first else {
            Issue.record("the new funnel is selected and its report fetched; got \(next)")
            return
        }
    }
}

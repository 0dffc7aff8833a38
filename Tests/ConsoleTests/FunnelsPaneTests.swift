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
}

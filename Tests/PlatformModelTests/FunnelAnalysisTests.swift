import Foundation
import PlatformModel
import Testing

@Suite struct FunnelAnalysisTests {
    let funnel = FunnelDefinition(app: "a", id: "f", name: "F", steps: ["a", "b", "c"], windowMinutes: 10)
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func journey(_ steps: [(String, Double)]) -> FunnelAnalysis.Journey {
        FunnelAnalysis.Journey(release: "1", steps: steps.map { ($0.0, t0.addingTimeInterval($0.1)) })
    }

    @Test func countsConversionDropOffAndMedians() {
        let results = FunnelAnalysis.results(funnel, journeys: [
            journey([("a", 0), ("b", 10), ("c", 20)]),
            journey([("a", 0), ("b", 30)]),
            journey([("a", 0)]),
            journey([("a", 0), ("b", 20), ("c", 60)]),
        ])
        #expect(results.map(\.devices) == [4, 3, 2])
        #expect(results.map(\.dropOff) == [0, 1, 1])
        #expect(results[1].stepConversion == 75)
        #expect(results[2].stepConversion == 66.67)
        #expect(results[2].overallConversion == 50)
        #expect(results[1].medianSecondsFromPrevious == 20)
        #expect(results[2].medianSecondsFromPrevious == 25)
        #expect(results[0].medianSecondsFromPrevious == nil)
    }

    @Test func stepsMustComeInOrderAndWithinTheWindow() {
        let results = FunnelAnalysis.results(funnel, journeys: [
            journey([("b", 0), ("a", 5), ("c", 6)]),  // b before a does not count; c without b neither
            journey([("a", 0), ("b", 700)]),  // b after the 10-minute window
            journey([("x", 0), ("a", 1), ("a", 2), ("b", 3)]),  // noise and repeats are ignored
        ])
        #expect(results.map(\.devices) == [3, 1, 0])
    }

    @Test func emptyFunnelHasNoDivisionByZero() {
        let results = FunnelAnalysis.results(funnel, journeys: [])
        #expect(results.map(\.devices) == [0, 0, 0])
        #expect(results.allSatisfy { $0.stepConversion == 0 && $0.overallConversion == 0 })
    }
}

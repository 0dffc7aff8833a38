import PlatformModel
import Testing

@Suite struct BucketingTests {
    let devices = (0..<50_000).map { "device-\($0)" }

    func included(_ percent: Double, release: String = "5.2.0") -> Set<String> {
        Set(devices.filter { Bucketing.includes(app: "wallet-ios", release: release, device: $0, grayPercent: percent) })
    }

    @Test func raisingThePercentageOnlyAddsDevices() {
        let ten = included(10), twenty = included(20), hundred = included(100)
        #expect(ten.isSubset(of: twenty))
        #expect(twenty.isSubset(of: hundred))
        #expect(hundred.count == devices.count)
        #expect(included(0).isEmpty)
    }

    @Test(arguments: [0.01, 1, 12.5, 50])
    func theShareIsCloseToThePercentage(percent: Double) {
        let share = Double(included(percent).count) / Double(devices.count) * 100
        // 50,000 draws: the standard error at 50 % is about 0.22 points.
        #expect(abs(share - percent) < max(1, percent * 0.1), "share \(share) for \(percent) %")
    }

    @Test func eachReleaseShufflesDevicesAfresh() {
        let a = included(10, release: "5.2.0"), b = included(10, release: "5.3.0")
        let overlap = Double(a.intersection(b).count) / Double(a.count)
        #expect(overlap < 0.2, "the same 10 % should not always be first (overlap \(overlap))")
    }

    @Test func stableAndInRange() {
        for device in devices.prefix(1000) {
            let bucket = Bucketing.bucket(app: "a", release: "1", device: device)
            #expect((0..<Bucketing.buckets).contains(bucket))
            #expect(bucket == Bucketing.bucket(app: "a", release: "1", device: device))
        }
        #expect(Bucketing.basisPoints(12.34) == 1234)
    }

    @Test func stageRulesForConsoles() {
        #expect(ReleaseStage.gray.canHalt && !ReleaseStage.draft.canHalt)
        #expect(ReleaseStage.halted.canResume && !ReleaseStage.gray.canResume)
        #expect(ReleaseStage.rolledBack.nextStages.isEmpty)
        #expect(ReleaseStage.gray.nextStages.contains(.full))
    }
}

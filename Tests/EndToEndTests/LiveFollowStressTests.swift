import Cache
import Foundation
import PlatformClient
import PlatformModel
import TestSupport
import XCTest

/// The live list must never freeze while it says live (issue 18): under a live crash
/// stream for minutes, the real console's "N events cached" keeps following the number
/// of events its cache holds. The test fails the moment the screen's count stands still
/// for more than two seconds while the cache's has moved past it, or the header says
/// the screen is behind. `OPSDECK_STRESS_SECONDS` sets the length (default 150).
final class LiveFollowStressTests: XCTestCase {
    func testTheScreensEventCountFollowsTheCacheUnderAStream() throws {
        guard FileManager.default.isExecutableFile(atPath: Harness.binary) else {
            throw TestFailure("no opsdeck binary at \(Harness.binary): run `swift build` first (make test does)")
        }
        let seconds = Double(ProcessInfo.processInfo.environment["OPSDECK_STRESS_SECONDS"] ?? "") ?? 150
        let folder = Harness.temporaryFolder()
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let app = try XCTUnwrap(try client.apps().value?.first)
        let release = try XCTUnwrap(try client.releases(app: app.id).value?.first?.version)
        let cachePath = folder.appendingPathComponent("cache.sqlite").path

        let terminal = try Terminal(command: "env OPSDECK_CACHE=\(cachePath) OPSDECK_TOKEN=\(server.token) \(Harness.binary) --api \(server.url) --log \(folder.path)/console.log")
        try terminal.waitFor(["app \(app.id)", "online"])
        try terminal.send("2")
        try terminal.waitFor(["● live"])

        // Two senders, each a batch of 40 crashes and ANRs every 40 ms: ~2,000 events/s
        // into the focused app, as an incident brings.
        let sending = Flag()
        let sent = Locked(0)
        let (url, token) = (server.url, server.token)
        let senders = (0..<2).map { index in
            Thread {
                guard let client = try? PlatformClient(baseURL: url, token: token, timeouts: .init(connect: 1, total: 5)) else { return }
                var round = 0
                while !sending.isSet {
                    round += 1
                    let batch = SDKBatch(
                        app: app.id, release: release, device: DeviceInfo(id: "stress-\(index)-\(round % 50)", os: app.platform, osVersion: "14", model: "Pixel 8"),
                        crashes: (0..<40).map { n in
                            SDKCrash(kind: n % 4 == 0 ? .anr : .crash, exceptionType: "Stress\(n % 5)", message: "round \(round)",
                                     frames: [StackFrame(symbol: "stress.frame\(n % 7)", inApp: true)], at: Date())
                        })
                    if let receipt = try? client.send(batch) { sent.update { $0 += receipt.crashIds.count } }
                    usleep(40_000)  // pacing the load, not waiting for anything
                }
            }
        }
        senders.forEach { $0.start() }
        defer { sending.set() }

        let cache = try CacheStore(path: cachePath)
        let started = Date()
        var screenCount = -1
        var screenChanged = Date()
        var samples = 0, moves = 0
        while Date().timeIntervalSince(started) < seconds {
            let text = try terminal.screen()
            guard let shown = Self.eventsCached(in: text) else {
                XCTFail("no 'events cached' on screen:\n\(text)")
                return
            }
            XCTAssertFalse(text.contains("behind the cache"), "the console says its screen is behind:\n\(text)")
            let cached = try cache.crashEventCount(app: app.id)
            samples += 1
            if shown != screenCount {
                screenCount = shown
                screenChanged = Date()
                moves += 1
            } else if cached != shown && Date().timeIntervalSince(screenChanged) > 2 {
                XCTFail("the screen has said \(shown) events cached for \(Int(Date().timeIntervalSince(screenChanged) * 1000)) ms "
                        + "while the cache holds \(cached), \(Int(Date().timeIntervalSince(started))) s into the stream:\n\(text)")
                return
            }
            XCTAssertTrue(text.contains("● live"), "the stream is on throughout:\n\(text)")
            usleep(250_000)  // the sampling period
        }
        sending.set()
        let total = sent.current
        XCTAssertGreaterThan(Double(total) / seconds, 500, "the stream carried \(total) events in \(Int(seconds)) s")
        XCTAssertGreaterThan(moves, samples / 2, "the count moved at \(moves) of \(samples) samples")
        // Once the stream stops, the screen shows exactly what the cache holds.
        try waitUntil("the screen shows the cache's final count", timeout: 10) {
            guard let shown = Self.eventsCached(in: try terminal.screen()) else { return false }
            return shown == (try cache.crashEventCount(app: app.id))
        }
    }

    /// "N events cached" (or "1 event cached") on the Crashes pane, N with thousands separators.
    static func eventsCached(in screen: String) -> Int? {
        guard let range = screen.range(of: " events cached") ?? screen.range(of: " event cached") else { return nil }
        let digits = screen[..<range.lowerBound].reversed().prefix { $0.isNumber || $0 == "," }
        return Int(String(digits.reversed()).replacingOccurrences(of: ",", with: ""))
    }
}

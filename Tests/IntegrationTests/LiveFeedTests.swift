import Cache
import Foundation
import Logging
import PlatformClient
import PlatformModel
import PlatformServer
import Sync
import TestSupport
import XCTest

/// The live crash feed into the cache: exact across server restarts, following the
/// focused app, and catching up on the others.
final class LiveFeedTests: XCTestCase {
    let admin = AccessToken(name: "admin", role: .admin, token: "live-feed-test-token-0123456789")

    func engine(_ url: String, cache: CacheStore) -> SyncEngine {
        SyncEngine(
            settings: .init(apiURL: url, token: admin.token,
                            intervals: .init(visible: .milliseconds(200), focused: .milliseconds(300), background: .milliseconds(500)),
                            maximumBackoff: .milliseconds(500)),
            cache: cache, logger: Logger(label: "test.live") { _ in SwiftLogNoOpLogHandler() }, onChange: {})
    }

    /// Every event id the server has for `app`, read page by page from its feed.
    func serverEventIDs(_ url: String, app: String) throws -> [Int64] {
        let client = try PlatformClient(baseURL: url, token: admin.token)
        var ids: [Int64] = []
        var cursor: String?
        while true {
            let page = try client.crashEvents(app: app, since: cursor, limit: 500)
            ids += page.items.map(\.id)
            cursor = page.nextCursor
            if page.items.count < 500 { return ids }
        }
    }


    /// Sends a batch of crashes for `app` every few milliseconds until stopped,
    /// shrugging off the moments the server is down.
    final class Sender: @unchecked Sendable {
        let stopped = Flag()
        let finished = Flag()
        let sent = Locked(0)
        /// Batches the server did not take (it was down).
        let failed = Locked(0)
        private var thread: Thread?

        init(url: String, token: String, app: String, release: String) {
            let (stopped, finished, sent, failed) = (stopped, finished, sent, failed)
            thread = Thread {
                defer { finished.set() }
                guard let client = try? PlatformClient(baseURL: url, token: token, timeouts: .init(connect: 1, total: 3)) else { return }
                var round = 0
                while !stopped.isSet {
                    round += 1
                    let batch = SDKBatch(
                        app: app, release: release, device: DeviceInfo(id: "dev-\(round % 40)", os: .ios, osVersion: "17.2", model: "iPhone 15"),
                        crashes: (0..<3).map { n in
                            SDKCrash(kind: n == 2 ? .anr : .crash, exceptionType: "E\(round % 4)", message: "round \(round)",
                                     frames: [StackFrame(symbol: "f\(n)", inApp: true)], at: Date())
                        })
                    if let receipt = try? client.send(batch) {
                        sent.update { $0 += receipt.crashIds.count }
                    } else {
                        failed.update { $0 += 1 }
                    }
                    usleep(15_000)  // pacing: about 200 events a second
                }
            }
            thread?.start()
        }

        /// Stops sending and returns once the last batch has been answered.
        func stop(_ test: XCTestCase) throws {
            stopped.set()
            try test.waitUntil("the sender stopped", timeout: 10) { finished.isSet }
        }

        /// Waits until `count` more events went through.
        func waitForMore(_ count: Int, _ test: XCTestCase) throws {
            let target = sent.current + count
            try test.waitUntil("\(count) more events were sent") { sent.current >= target }
        }

        /// Waits until a batch has failed: the server is down for the sender too.
        func waitForAFailure(_ test: XCTestCase) throws {
            let before = failed.current
            try test.waitUntil("a batch failed") { failed.current > before }
        }
    }

    func testCacheHoldsExactlyTheServersEventsAcrossRestarts() throws {
        let database = temporaryPath("platform.sqlite")
        var server = try TestServer.start(tokens: [admin], databasePath: database)
        let port = server.port
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let sync = engine(server.url, cache: cache)
        sync.focus(Interest(app: "wallet-ios", visible: [.crashEvents]))
        sync.start()
        defer { sync.stop() }
        let sender = Sender(url: server.url, token: admin.token, app: "wallet-ios", release: "5.3.0")
        try waitUntil("the stream is live") { sync.status.live == .live(app: "wallet-ios") }

        for _ in 0..<4 {
            try sender.waitForMore(60, self)
            server.stop()
            try sender.waitForAFailure(self)  // events sent now fail at the sender and are not counted
            server = try TestServer.start(tokens: [admin], databasePath: database, port: port)
        }
        try sender.waitForMore(60, self)
        try sender.stop(self)
        XCTAssertGreaterThan(sender.sent.current, 100, "the sender got events through between restarts")

        let expected = try serverEventIDs(server.url, app: "wallet-ios")
        // Caught up when the cursor reaches the server's newest: every page before it
        // is stored, so a duplicate or an extra would be in the cache by then.
        try waitUntil("the cache has caught up") {
            try cache.syncRecord(resource: .crashEvents(app: "wallet-ios"))?.cursor == expected.last.map(String.init)
        }
        let cached = try cache.crashEventIDs(app: "wallet-ios")
        XCTAssertEqual(cached.count, expected.count, "none lost, none twice")
        XCTAssertEqual(Set(cached), Set(expected))
        XCTAssertEqual(try cache.syncRecord(resource: .crashEvents(app: "wallet-ios"))?.cursor, String(expected.last!))
        server.stop()
    }

    func testTheStreamFollowsTheFocusedAppAndOtherAppsCatchUp() throws {
        let server = try TestServer.start(tokens: [admin])
        defer { server.stop() }
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let sync = engine(server.url, cache: cache)
        sync.focus(Interest(app: "wallet-ios", visible: [.crashEvents]))
        sync.start()
        defer { sync.stop() }
        try waitUntil("live on wallet-ios") { sync.status.live == .live(app: "wallet-ios") }

        let client = try PlatformClient(baseURL: server.url, token: admin.token)
        let android = try client.releases(app: "wallet-android").value!.first!.version
        sync.focus(Interest(app: "wallet-android", visible: [.crashEvents]))
        try waitUntil("live on wallet-android") { sync.status.live == .live(app: "wallet-android") }
        let androidIDs = try client.send(SDKBatch(
            app: "wallet-android", release: android, device: DeviceInfo(id: "a1", os: .android, osVersion: "14", model: "Pixel 8"),
            crashes: [SDKCrash(kind: .crash, exceptionType: "NullPointerException", message: "x", frames: [StackFrame(symbol: "a", inApp: true)], at: Date())]
        )).crashIds
        try waitUntil("the focused app's event is cached live") { try cache.crashEventIDs(app: "wallet-android") == androidIDs }

        // wallet-ios is no longer streamed; its events still arrive by the background feed.
        let iosIDs = try client.send(CrashStreamTests.batch(2)).crashIds
        try waitUntil("the other app's events are caught up") { try cache.crashEventIDs(app: "wallet-ios") == iosIDs }
    }

    func testIssueTrendsCountTheCachedEventsPerSliceOfTheLastHour() throws {
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let now = Date()
        let device = DeviceInfo(id: "d", os: .ios, osVersion: "17", model: "m")
        func event(_ id: Int64, _ fingerprint: String, minutesAgo: Double) -> CrashEvent {
            CrashEvent(id: id, app: "a", release: "1", kind: .crash, device: device, exceptionType: "E", message: "m", frames: [],
                       fingerprint: fingerprint, at: now.addingTimeInterval(-minutesAgo * 60))
        }
        try cache.storeCrashEvents(app: "a", [event(1, "x", minutesAgo: 58), event(2, "x", minutesAgo: 2), event(3, "x", minutesAgo: 1),
                                              event(4, "y", minutesAgo: 30), event(5, "y", minutesAgo: 90)], cursor: "5", at: now)
        let trends = try cache.issueTrends(app: "a", now: now, buckets: 12)
        XCTAssertEqual(trends["x"], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2])
        XCTAssertEqual(trends["y"], [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0], "older than an hour is not counted")
    }

    func testTheNewestEventsOfOneReleaseKindAndOSComeFromTheCache() throws {
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let events = (1...40).map { (id: Int) -> CrashEvent in
            let release = id % 4 == 0 ? "2.0" : "1.0"
            let kind: CrashKind = id % 2 == 0 ? .anr : .crash
            let os: Platform = id % 3 == 0 ? .ios : .android
            return CrashEvent(id: Int64(id), app: "a", release: release, kind: kind, device: DeviceInfo(id: "d", os: os, osVersion: "1", model: "m"),
                              exceptionType: "E", message: "m", frames: [], fingerprint: "f", at: Date())
        }
        try cache.storeCrashEvents(app: "a", events, cursor: "40", at: Date())
        let matching = try cache.recentCrashEvents(app: "a", limit: 3, matching: CrashEventFilter(release: "2.0", kind: .anr, os: .ios))
        XCTAssertEqual(matching.map(\.id), [36, 24, 12], "newest first, and the limit counts only matching rows")
        XCTAssertEqual(try cache.recentCrashEvents(app: "a", limit: 100, matching: CrashEventFilter(kind: .crash)).count, 20)
        XCTAssertEqual(try cache.recentCrashEvents(app: "a", limit: 100).count, 40)
    }

    func testStoredEventsReadBackExactlyEvenWithHostileText() throws {
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let event = CrashEvent(
            id: 7, app: "a", release: "", kind: .anr,
            device: DeviceInfo(id: "d x", os: .harmony, osVersion: "", model: "杭州 😀", city: nil, network: "wifi"),
            exceptionType: "E\ttail", message: "line\nbreak \u{1B}[31m", frames: [StackFrame(symbol: "s\u{0}", file: "", line: 0, inApp: true)],
            fingerprint: "f", at: Date(timeIntervalSince1970: 1_800_000_000.25))
        XCTAssertEqual(try cache.storeCrashEvents(app: "a", [event], cursor: "7", at: Date()), 1)
        XCTAssertEqual(try cache.crashEvent(id: 7), event, "empty, control and non-ASCII text and a missing city survive the raw insert")
        XCTAssertEqual(try cache.storeCrashEvents(app: "a", [event], cursor: "7", at: Date()), 0)
    }

    func testRetentionKeepsTheNewestEventsPerApp() throws {
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let device = DeviceInfo(id: "d", os: .ios, osVersion: "17", model: "m")
        let events = (1...50).map { id in
            CrashEvent(id: Int64(id), app: id % 2 == 0 ? "a" : "b", release: "1", kind: .crash, device: device,
                       exceptionType: "E", message: "m", frames: [], fingerprint: "f", at: Date())
        }
        XCTAssertEqual(try cache.storeCrashEvents(app: "a", events, cursor: "50", at: Date()), 50)
        XCTAssertEqual(try cache.storeCrashEvents(app: "a", events, cursor: "50", at: Date()), 0, "the same server ids are never stored twice")
        let removed = try cache.prune(Retention(maximumAge: 3600, crashEventsPerApp: 10, auditEntries: 5))
        XCTAssertEqual(removed, 30)
        XCTAssertEqual(try cache.crashEventIDs(app: "a"), Array(stride(from: 32, through: 50, by: 2)))
        XCTAssertEqual(try cache.crashEventIDs(app: "b"), Array(stride(from: 31, through: 49, by: 2)))
        XCTAssertEqual(try cache.crashEventCount(app: "a"), 10, "the kept count follows inserts, duplicates and the trim")
        XCTAssertEqual(try cache.crashEventCount(app: "b"), 10)
        // Age: everything stored "two hours ago" goes with a one-hour limit.
        try cache.storeCrashEvents(app: "c", [CrashEvent(id: 99, app: "c", release: "1", kind: .anr, device: device, exceptionType: "E", message: "m", frames: [], fingerprint: "f", at: Date())],
                                   cursor: "99", at: Date().addingTimeInterval(-7200))
        try cache.prune(Retention(maximumAge: 3600, crashEventsPerApp: 10, auditEntries: 5))
        XCTAssertEqual(try cache.crashEventIDs(app: "c"), [])
        XCTAssertEqual(try cache.crashEventCount(app: "c"), 0, "and the age limit")
        XCTAssertEqual(try cache.syncRecord(resource: .crashEvents(app: "c"))?.cursor, "99", "pruning keeps the cursor: old events are not fetched again")
    }
}

import Cache
import Foundation
import Logging
import PlatformModel
import Sync
import TestSupport
import XCTest

/// The sync engine, the real server and a real cache file, including outages.
final class SyncTests: XCTestCase {

    func engine(_ url: String, token: String?, cache: CacheStore, maximumBackoff: Duration = .milliseconds(400)) -> SyncEngine {
        SyncEngine(
            settings: .init(apiURL: url, token: token,
                            intervals: .init(visible: .milliseconds(200), focused: .milliseconds(300), background: .milliseconds(500)),
                            maximumBackoff: maximumBackoff),
            cache: cache, logger: Logger(label: "test.sync") { _ in SwiftLogNoOpLogHandler() }, onChange: {})
    }

    func testCacheEndsUpWithEveryAppAndRelease() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let sync = engine(server.url, token: server.token, cache: cache)
        sync.start()
        defer { sync.stop() }
        let apps = try server.blockingApps()
        try waitUntil("every app's releases are cached") {
            try apps.allSatisfy { try !cache.releases(app: $0.id).isEmpty } && sync.status.connection == .online
        }
        for app in apps {
            XCTAssertEqual(try cache.releases(app: app.id), try server.blockingReleases(app.id))
        }
    }

    func testAPollThatFindsNothingNewOnlyConfirmsTheData() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let changes = Locked(0), confirmations = Locked<[Date]>([])
        let sync = SyncEngine(
            settings: .init(apiURL: server.url, token: server.token,
                            intervals: .init(visible: .milliseconds(100), focused: .milliseconds(100), background: .milliseconds(100))),
            cache: cache, logger: Logger(label: "test.sync") { _ in SwiftLogNoOpLogHandler() },
            onChange: { changes.update { $0 += 1 } }, onConfirmed: { at in confirmations.update { $0.append(at) } })
        sync.focus(Interest(app: "wallet-android", visible: [.releases, .switches]))
        sync.start()
        defer { sync.stop() }
        try waitUntil("the first polls were stored") { try !cache.releases(app: "wallet-android").isEmpty && sync.status.connection == .online }
        // Nothing changes on the server now: once the health (fetched without an ETag)
        // is stored, polls end in confirmations, not changes.
        try waitUntil("confirmations arrive") { confirmations.current.count >= 3 }
        let settled = changes.current
        let seen = confirmations.current.count
        try waitUntil("more confirmations") { confirmations.current.count >= seen + 5 }
        XCTAssertLessThanOrEqual(changes.current - settled, 2, "unchanged polls are not told as changes (health may still write)")
        let fetched = try XCTUnwrap(try cache.lastFetched())
        XCTAssertLessThan(abs(fetched.timeIntervalSince(try XCTUnwrap(confirmations.current.last))), 1, "the cache records the confirmation's time")
    }

    func testOutageIsReportedAndRecoveredFrom() throws {
        let database = temporaryPath("platform.sqlite")
        let server = try TestServer.start(databasePath: database)
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let sync = engine(server.url, token: server.token, cache: cache)
        sync.start()
        defer { sync.stop() }
        try waitUntil("online") { sync.status.connection == .online }
        server.stop()
        try waitUntil("offline") {
            if case .offline(let reason) = sync.status.connection { return reason.contains("connection refused") }
            return false
        }
        let outageStart = sync.status.since
        XCTAssertFalse(try cache.apps().isEmpty, "an outage keeps what was cached")
        let restarted = try TestServer.start(tokens: [.init(name: "admin", role: .admin, token: server.token)], databasePath: database, port: server.port)
        defer { restarted.stop() }
        try waitUntil("online again") { sync.status.connection == .online }
        XCTAssertGreaterThanOrEqual(sync.status.since, outageStart)
    }

    func testRefusedTokenIsNotAnOutage() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let sync = engine(server.url, token: "wrong-token-wrong-token", cache: cache)
        sync.start()
        defer { sync.stop() }
        try waitUntil("refused") {
            if case .refused(let reason) = sync.status.connection { return reason.contains("refused the token") }
            return false
        }
    }

    func testABusyServersRetryAfterIsObeyed() throws {
        let server = try RawServer { _ in
            RawServer.http(status: "503 Service Unavailable", contentType: "application/problem+json",
                           body: #"{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"maintenance"}"#)
                .withHeader("Retry-After: 7")
        }
        defer { server.stop() }
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let sync = engine("http://127.0.0.1:\(server.port)", token: "t", cache: cache)
        sync.start()
        defer { sync.stop() }
        try waitUntil("offline") {
            if case .offline(let reason) = sync.status.connection { return reason.contains("busy (503)") && reason.contains("maintenance") }
            return false
        }
        let wait = try XCTUnwrap(sync.status.nextAttempt).timeIntervalSinceNow
        // Our own backoff would be about a second; the server asked for 7.
        XCTAssertGreaterThan(wait, 5.5, "Retry-After: 7 must hold the next attempt back")
        XCTAssertLessThanOrEqual(wait, 7.1)
    }

    func testBackoffGrowsWithJitterUpToTheCeiling() {
        let ceiling = Duration.seconds(30)
        for failures in 1...12 {
            let delay = SyncEngine.backoffForTesting(failures: failures, ceiling: ceiling)
            let full = min(pow(2, Double(failures - 1)), 30)
            XCTAssertGreaterThanOrEqual(delay, full / 2 - 0.001)
            XCTAssertLessThanOrEqual(delay, full + 0.001)
        }
    }
}

extension TestServer {
    func blockingApps() throws -> [App] {
        try PlatformClientFactory.make(url, token).apps().value!
    }

    func blockingReleases(_ app: String) throws -> [Release] {
        try PlatformClientFactory.make(url, token).releases(app: app).value!
    }
}

import PlatformClient
enum PlatformClientFactory {
    static func make(_ url: String, _ token: String) throws -> PlatformClient {
        try PlatformClient(baseURL: url, token: token)
    }
}

extension SyncTests {
    func testTheFocusedAppsReleaseHealthIsCached() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        let sync = engine(server.url, token: server.token, cache: cache)
        sync.focus(Interest(app: "wallet-ios", visible: [.releases, .health]))
        sync.start()
        defer { sync.stop() }
        let releases = try server.blockingReleases("wallet-ios").filter { ![.draft, .rolledBack].contains($0.stage) }
        try waitUntil("health of every live release is cached") { try cache.releaseHealth(app: "wallet-ios").count == releases.count }
        let health = try cache.releaseHealth(app: "wallet-ios")
        XCTAssertEqual(Set(health.keys), Set(releases.map(\.version)))
        XCTAssertTrue(health.values.allSatisfy { $0.stepSeconds == 60 && $0.points.count >= 59 })
        XCTAssertTrue(try cache.releaseHealth(app: "wallet-android").isEmpty, "only the focused app's health is fetched")
    }
}

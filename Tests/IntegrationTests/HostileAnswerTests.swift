import Cache
import Foundation
import Logging
import PlatformClient
import PlatformModel
import Sync
import TestSupport
import XCTest

/// Whatever a server answers, the client turns it into a value or a `PlatformError` the
/// person can read, never a trap: every request the console makes, against a 304 nobody
/// asked for, a 500 with an HTML page, a 200 with an HTML page and a 200 with no body.
final class HostileAnswerTests: XCTestCase {
    static let answers: [(name: String, bytes: [UInt8])] = [
        ("304 to an unconditional request", Array("HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n".utf8)),
        ("500 with an HTML page", RawServer.http(status: "500 Internal Server Error", contentType: "text/html", body: "<html><body>\u{1B}]0;owned\u{07}Oops</body></html>")),
        ("200 with an HTML page", RawServer.http(status: "200 OK", contentType: "text/html", body: "<!doctype html><title>Login</title>")),
        ("200 with an empty body", RawServer.http(status: "200 OK", body: "")),
    ]

    /// Every request the console sends, by name: through Sync's poller and live feed,
    /// the request thread (who the token is, an issue, funnels) and the person's changes.
    static func requests(_ client: PlatformClient) -> [(String, () throws -> Void)] {
        let now = Date()
        return [
            ("apps", { _ = try client.apps(etag: "\"e\"") }),
            ("releases", { _ = try client.releases(app: "a", etag: nil) }),
            ("switches", { _ = try client.switches(app: "a") }),
            ("crash issues", { _ = try client.crashIssues(app: "a") }),
            ("crash events feed", { _ = try client.crashEvents(app: "a", since: "1") }),
            ("audit feed", { _ = try client.audit(since: nil, limit: 500) }),
            ("metrics", { _ = try client.metrics(app: "a", release: "1.0", from: now.addingTimeInterval(-3600), to: now) }),
            ("me", { _ = try client.me() }),
            ("issue detail", { _ = try client.crashIssue(app: "a", fingerprint: "f") }),
            ("funnel definitions", { _ = try client.funnelDefinitions(app: "a") }),
            ("funnel report", { _ = try client.funnelReport(app: "a", funnel: "f", from: now.addingTimeInterval(-3600), to: now) }),
            ("gray change", { _ = try client.patchRelease(app: "a", version: "1.0", ReleasePatch(grayPercent: 5, reason: "r"), ifMatch: "\"r1\"") }),
            ("halt", { _ = try client.perform(.halt, app: "a", version: "1.0", reason: "r", ifMatch: "\"r1\"") }),
            ("switch flip", { _ = try client.patchSwitch(app: "a", key: "k", SwitchPatch(enabled: false, reason: "r"), ifMatch: "\"s1\"") }),
            ("fleet", { _ = try client.fleet() }),
            ("alerts", { _ = try client.alerts() }),
            ("reach", { _ = try client.reach(app: "a") }),
            ("alert acknowledgement", { _ = try client.acknowledgeAlert(id: 1, reason: "r", ifMatch: "\"alert-1-r1\"") }),
            ("live stream", { _ = try client.followCrashes(app: "a", lastEventID: "0", idleTimeout: 5) { (_: [CrashEvent], _: String?) in true } }),
        ]
    }

    func testEveryRequestTurnsEveryBadAnswerIntoAnError() throws {
        for (answerName, bytes) in Self.answers {
            let raw = try RawServer { _ in bytes }
            defer { raw.stop() }
            let client = try PlatformClient(baseURL: "http://127.0.0.1:\(raw.port)", token: "t", timeouts: .init(connect: 2, total: 5))
            for (requestName, request) in Self.requests(client) {
                do {
                    try request()
                    // A value is allowed only where the answer can mean one: a 304 to a
                    // list asked for with an ETag is "unchanged", and a stream that ends
                    // at once ends.
                    let meaningful = (answerName.hasPrefix("304") && requestName == "apps") || requestName == "live stream"
                    XCTAssertTrue(meaningful, "\(requestName) took '\(answerName)' as a good answer")
                } catch let error as PlatformError {
                    XCTAssertFalse(error.description.isEmpty)
                    XCTAssertFalse(error.description.contains("\u{1B}"), "\(requestName), \(answerName): no escape reaches the message raw")
                } catch {
                    XCTFail("\(requestName), \(answerName): not a PlatformError: \(error)")
                }
            }
        }
    }

    /// The poller and the live feed go on through such answers: offline, with a reason,
    /// retrying; the process stays up.
    func testSyncReportsBadAnswersAndKeepsTrying() throws {
        for (answerName, bytes) in Self.answers.dropFirst() {
            let raw = try RawServer { _ in bytes }
            defer { raw.stop() }
            let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
            let sync = SyncEngine(settings: .init(apiURL: "http://127.0.0.1:\(raw.port)", token: "t", maximumBackoff: .seconds(1),
                                                  timeouts: .init(connect: 2, total: 5)),
                                  cache: cache, logger: Logger(label: "test"), onChange: {})
            sync.start()
            defer { sync.stop() }
            try waitUntil("sync says it is offline after '\(answerName)'", timeout: 20) {
                if case .offline = sync.status.connection { return sync.status.failures >= 2 }
                return false
            }
            guard case .offline(let reason) = sync.status.connection else { return XCTFail("not offline") }
            XCTAssertTrue(reason.contains("500") || reason.contains("bad answer"), "\(answerName): \(reason)")
        }
    }
}

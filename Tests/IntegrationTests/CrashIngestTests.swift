import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import Cache
import XCTest

/// Crash and ANR ingestion, grouping and feeds over real HTTP.
final class CrashIngestTests: XCTestCase {
    var server: TestServer!
    var client: PlatformClient!
    /// Set as each test starts: XCTest makes every test's instance when the run starts,
    /// minutes before a late test runs, and the trend's slices are relative to the server's now.
    var now = Date()

    override func setUpWithError() throws {
        now = Date()
        server = try TestServer.start()
        client = try PlatformClient(baseURL: server.url, token: server.token)
    }

    override func tearDown() {
        server.stop()
    }

    func device(_ n: Int, model: String = "Pixel 8") -> DeviceInfo {
        DeviceInfo(id: "device-\(n)", os: .android, osVersion: "14", model: model, city: "Hangzhou", network: "wifi")
    }

    func crash(_ type: String, _ top: String, line: Int = 10, kind: CrashKind = .crash) -> SDKCrash {
        SDKCrash(kind: kind, exceptionType: type, message: "boom at line \(line)", frames: [
            StackFrame(symbol: "libc.abort", inApp: false),
            StackFrame(symbol: top, file: "Checkout.kt", line: line, inApp: true),
            StackFrame(symbol: "com.opsdeck.MainActivity.onCreate", file: "MainActivity.kt", line: 3, inApp: true),
        ], at: now)
    }

    func testCrashesAreGroupedByExceptionAndInAppFrames() throws {
        _ = try client.send(SDKBatch(app: "wallet-android", release: "5.3.0", device: device(1), crashes: [
            crash("NullPointerException", "com.opsdeck.Checkout.pay", line: 10),
            crash("NullPointerException", "com.opsdeck.Checkout.pay", line: 99),  // same issue: lines move between builds
            crash("IllegalStateException", "com.opsdeck.Cart.load"),
        ]))
        _ = try client.send(SDKBatch(app: "wallet-android", release: "5.2.1", device: device(2, model: "Galaxy S23"), crashes: [
            crash("NullPointerException", "com.opsdeck.Checkout.pay"),
            crash("ANR", "com.opsdeck.Feed.render", kind: .anr),
        ]))
        let issues = try XCTUnwrap(client.crashIssues(app: "wallet-android").value)
        XCTAssertEqual(issues.count, 3)
        let npe = try XCTUnwrap(issues.first { $0.exceptionType == "NullPointerException" })
        XCTAssertEqual(npe.count, 3)
        XCTAssertEqual(npe.affectedDevices, 2)
        XCTAssertEqual(npe.releases, ["5.2.1", "5.3.0"])
        XCTAssertEqual(npe.culprit, "com.opsdeck.Checkout.pay")
        XCTAssertEqual(npe.status, .new)
        XCTAssertEqual(issues.first { $0.kind == .anr }?.culprit, "com.opsdeck.Feed.render")
        // The trend: events per five minutes of the last hour; these all fall in the last slice.
        XCTAssertEqual(npe.trend, Array(repeating: 0, count: 11) + [3])
        XCTAssertEqual(issues.first { $0.kind == .anr }?.trend?.reduce(0, +), 1)

        let detail = try client.crashIssue(app: "wallet-android", fingerprint: npe.fingerprint)
        XCTAssertEqual(detail.latest?.frames.map(\.symbol), ["libc.abort", "com.opsdeck.Checkout.pay", "com.opsdeck.MainActivity.onCreate"])
        XCTAssertEqual(detail.byModel.map(\.key), ["Pixel 8", "Galaxy S23"])
        XCTAssertEqual(detail.byModel.map(\.count), [2, 1])
        XCTAssertEqual(detail.byOSVersion, [.init(key: "android 14", count: 3)])
        XCTAssertEqual(Set(detail.byRelease.map(\.key)), ["5.3.0", "5.2.1"])
        XCTAssertEqual(detail.issue.trend, npe.trend)
    }

    func testTheEventFeedPagesExactlyByCursor() throws {
        var sent: [Int64] = []
        for round in 0..<5 {
            let receipt = try client.send(SDKBatch(
                app: "wallet-ios", release: "5.3.0", device: device(round),
                sessions: [SDKSession(startedAt: now, durationSeconds: 30, crashed: true)],
                crashes: (0..<7).map { crash("E\($0 % 3)", "f\($0)") }))
            XCTAssertEqual(receipt.accepted, 8)
            sent += receipt.crashIds
        }
        XCTAssertEqual(sent, sent.sorted(), "ids increase")
        var seen: [Int64] = []
        var cursor: String?
        repeat {
            let page = try client.crashEvents(app: "wallet-ios", since: cursor, limit: 4)
            seen += page.items.map(\.id)
            if page.items.isEmpty { break }
            XCTAssertTrue(page.items.allSatisfy { $0.app == "wallet-ios" })
            cursor = page.nextCursor
        } while true
        XCTAssertEqual(seen, sent, "every event once, in order")
        XCTAssertTrue(try client.crashEvents(app: "wallet-android").items.isEmpty, "feeds are per app")
    }

    func testBadBatchesAreRefusedWholeWithReasons() throws {
        XCTAssertThrowsError(try client.send(SDKBatch(app: "no-such-app", release: "1", device: device(1), crashes: [crash("E", "f")]))) { error in
            guard case PlatformError.http(422, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(problem?.detail?.contains("no app") == true)
        }
        XCTAssertThrowsError(try client.send(SDKBatch(app: "wallet-ios", release: "1", device: DeviceInfo(id: "", os: .ios, osVersion: "17", model: "iPhone"), crashes: [crash("E", "f")])))
        let tooMany = SDKBatch(app: "wallet-ios", release: "1", device: device(1), sessions: Array(repeating: SDKSession(startedAt: now, durationSeconds: 1, crashed: false), count: 1001))
        XCTAssertThrowsError(try client.send(tooMany)) { error in
            guard case PlatformError.http(413, _) = error else { return XCTFail("got \(error)") }
        }
        var badLine = crash("E", "f")
        badLine.frames[1].line = -3
        XCTAssertThrowsError(try client.send(SDKBatch(app: "wallet-ios", release: "1", device: device(1), crashes: [crash("E", "g"), badLine]))) { error in
            guard case PlatformError.http(422, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(problem?.detail, "a frame's line must be 0 to 2147483647 (got -3)")
        }
        // Keys are not text: a NUL would cut them in SQLite, and a cut app id could name another app.
        for (app, release) in [("wallet-ios", "5.3.0\u{0}evil"), ("wallet-ios\u{0}x", "5.3.0"), ("wallet-ios", "5.3.0\n")] {
            XCTAssertThrowsError(try client.send(SDKBatch(app: app, release: release, device: device(1), crashes: [crash("E", "f")]))) { error in
                guard case PlatformError.http(422, let problem) = error else { return XCTFail("got \(error)") }
                XCTAssertTrue(problem?.detail?.hasSuffix("must not hold control characters") == true, "\(String(describing: problem?.detail))")
            }
        }
        XCTAssertTrue(try client.crashEvents(app: "wallet-ios").items.isEmpty, "nothing of a refused batch is stored")
    }

    func testHostileTextIsStoredAsDataAndReturnedIntact() throws {
        let evil = "\u{1B}]0;pwned\u{07}\u{1B}[2J\u{202E}before\u{0}after"
        _ = try client.send(SDKBatch(app: "wallet-ios", release: "5.3.0", device: device(1, model: "Pixel\u{0}8"), crashes: [
            SDKCrash(kind: .crash, exceptionType: "Evil\(evil)", message: evil, frames: [StackFrame(symbol: evil, inApp: true)], at: now),
        ]))
        let event = try XCTUnwrap(client.crashEvents(app: "wallet-ios").items.first)
        XCTAssertEqual(event.message, evil, "the server stores what it got, NUL included; the console sanitises on display")
        XCTAssertEqual(event.exceptionType, "Evil\(evil)")
        XCTAssertEqual(event.device.model, "Pixel\u{0}8")
        let issue = try XCTUnwrap(client.crashIssues(app: "wallet-ios").value?.first)
        XCTAssertEqual(issue.exceptionType, "Evil\(evil)")
        let detail = try client.crashIssue(app: "wallet-ios", fingerprint: issue.fingerprint)
        XCTAssertEqual(detail.latest?.frames.first?.symbol, evil)
        XCTAssertEqual(detail.byModel.first?.key, "Pixel\u{0}8")

        // And the console's cache keeps it whole too, in the list and in the detail.
        let cache = try CacheStore(path: temporaryPath("nul-cache.sqlite"))
        try cache.storeCrashEvents(app: "wallet-ios", [event], cursor: nil, at: now)
        let summary = try XCTUnwrap(cache.recentCrashEvents(app: "wallet-ios").first)
        XCTAssertEqual(summary.message, evil)
        XCTAssertEqual(summary.exceptionType, "Evil\(evil)")
        XCTAssertEqual(summary.model, "Pixel\u{0}8")
        XCTAssertEqual(try cache.crashEvent(id: event.id), event)
    }

    /// One limit for every free-text field: longer text is kept up to it and says how
    /// much was cut; nothing is refused for being long.
    func testEveryFreeTextFieldIsCutAtOneLimitWithAMarker() throws {
        let long = String(repeating: "圧", count: 40_000)  // 120,000 bytes
        _ = try client.send(SDKBatch(app: "wallet-ios", release: "5.3.0",
                                     device: DeviceInfo(id: "long-1", os: .ios, osVersion: long, model: long, city: long, network: long),
                                     crashes: [SDKCrash(kind: .crash, exceptionType: long, message: long,
                                                        frames: [StackFrame(symbol: long, file: long, line: 1, inApp: true)], at: now)]))
        let event = try XCTUnwrap(client.crashEvents(app: "wallet-ios").items.first)
        let fields = [event.exceptionType, event.message, event.device.model, event.device.osVersion, event.device.city ?? "",
                      event.device.network ?? "", event.frames.first?.symbol ?? "", event.frames.first?.file ?? ""]
        for field in fields {
            XCTAssertLessThanOrEqual(field.utf8.count, FreeText.maxBytes)
            XCTAssertGreaterThan(field.utf8.count, FreeText.maxBytes - 40, "kept up to the limit")
            XCTAssertTrue(field.hasPrefix("圧圧圧"), "cut at a character boundary")
            XCTAssertTrue(field.hasSuffix(" bytes]") && field.contains("…[cut "), "says it was cut: \(field.suffix(30))")
        }
        let marker = try XCTUnwrap(event.message.range(of: "…[cut ")).lowerBound
        let kept = event.message[..<marker].utf8.count
        XCTAssertEqual(event.message.hasSuffix("…[cut \(120_000 - kept) bytes]"), true, "the marker counts the bytes left out")
    }
}

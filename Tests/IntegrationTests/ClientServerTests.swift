import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import TestSupport
import XCTest

/// The real server and the real libcurl client over loopback.
final class ClientServerTests: XCTestCase {
    var server: TestServer!

    override func setUpWithError() throws {
        server = try TestServer.start()
    }

    override func tearDown() {
        server.stop()
    }

    func testHealthNeedsNoToken() throws {
        let client = try PlatformClient(baseURL: server.url, token: nil)
        XCTAssertEqual(try client.health().status, "ok")
    }

    func testAppsAndReleasesOfTheSeededCatalogue() throws {
        let client = try PlatformClient(baseURL: server.url + "/", token: server.token)
        let apps = try XCTUnwrap(client.apps().value)
        XCTAssertGreaterThanOrEqual(apps.count, 4)
        XCTAssertTrue(apps.contains { $0.id == "wallet-android" && $0.platform == .android })
        XCTAssertTrue(apps.contains { $0.id == "wallet-ios" && $0.platform == .ios })
        var stages: Set<ReleaseStage> = []
        for app in apps {
            let releases = try XCTUnwrap(client.releases(app: app.id).value)
            XCTAssertFalse(releases.isEmpty, "\(app.id) has releases")
            XCTAssertEqual(Set(releases.map(\.version)).count, releases.count, "versions are unique within \(app.id)")
            XCTAssertEqual(releases.map(\.createdAt), releases.map(\.createdAt).sorted(by: >), "newest first")
            for release in releases {
                XCTAssertEqual(release.app, app.id)
                XCTAssertTrue((0...100).contains(release.grayPercent))
            }
            stages.formUnion(releases.map(\.stage))
        }
        for stage in [ReleaseStage.draft, .whitelist, .gray, .full, .halted, .rolledBack] {
            XCTAssertTrue(stages.contains(stage), "the demo catalogue has a release in \(stage)")
        }
    }

    func testSameSeedSameCatalogue() throws {
        let other = try TestServer.start()
        defer { other.stop() }
        let a = try PlatformClient(baseURL: server.url, token: server.token)
        let b = try PlatformClient(baseURL: other.url, token: other.token)
        let stagesA = try a.releases(app: "wallet-ios").value!.map { "\($0.version) \($0.stage) \($0.grayPercent)" }
        let stagesB = try b.releases(app: "wallet-ios").value!.map { "\($0.version) \($0.stage) \($0.grayPercent)" }
        XCTAssertEqual(stagesA, stagesB)
    }

    func testUnchangedListAnswers304ToItsETag() throws {
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        guard case .modified(_, let etag) = try client.apps() else { return XCTFail("first fetch is content") }
        let tag = try XCTUnwrap(etag)
        guard case .notModified = try client.apps(etag: tag) else { return XCTFail("same ETag gives 304") }
        guard case .modified = try client.apps(etag: "\"something-else\"") else { return XCTFail("other ETag gives content") }
    }

    func testMissingAndWrongTokensAre401WithPlainWords() throws {
        for token in [nil, "not-a-real-token-at-all"] {
            let client = try PlatformClient(baseURL: server.url, token: token)
            XCTAssertThrowsError(try client.apps()) { error in
                guard case PlatformError.tokenRefused(_, let detail) = error else { return XCTFail("got \(error)") }
                XCTAssertNotNil(detail)
                XCTAssertTrue(String(describing: error).contains("the server refused the token"))
            }
        }
    }

    func testUnknownAppIsAProblemJSON404() throws {
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        XCTAssertThrowsError(try client.releases(app: "no-such-app")) { error in
            XCTAssertEqual(error as? PlatformError, .notFound(detail: "no app with id 'no-such-app'"))
        }
        XCTAssertThrowsError(try client.releases(app: "../../etc/passwd")) { error in
            guard case PlatformError.notFound = error else { return XCTFail("got \(error)") }
        }
    }

    func testRoleTokensFromAFileAreAllAccepted() throws {
        let tokens = try TokenFile.parse("""
            [[token]]
            name = "ana"
            role = "viewer"
            token = "viewer-token-0123456789"

            [[token]]
            name = "ben"
            role = "release-manager"
            token = "manager-token-0123456789"
            """)
        XCTAssertEqual(tokens.map(\.role), [.viewer, .releaseManager])
        let other = try TestServer.start(tokens: tokens)
        defer { other.stop() }
        for token in tokens {
            let client = try PlatformClient(baseURL: other.url, token: token.token)
            XCTAssertNotNil(try client.apps().value)
        }
    }

    func testBadTokenFilesAreRefusedWithReasons() {
        XCTAssertThrowsError(try TokenFile.parse("[[token]]\nname = \"x\"\nrole = \"god\"\ntoken = \"0123456789abcdef\"")) {
            XCTAssertTrue(String(describing: $0).contains("role"))
        }
        XCTAssertThrowsError(try TokenFile.parse("[[token]]\nname = \"x\"\nrole = \"admin\"\ntoken = \"short\"")) {
            XCTAssertTrue(String(describing: $0).contains("shorter than 16"))
        }
        XCTAssertThrowsError(try TokenFile.parse("[[token]\nname=")) {
            XCTAssertTrue(String(describing: $0).contains("line"))
        }
    }
}

/// The client against peers that fail in the ways networks do.
final class ClientFaultTests: XCTestCase {
    func testDeadServerSaysConnectionRefused() throws {
        let port = try { () throws -> Int in
            let raw = try RawServer { _ in nil }
            raw.stop()
            return raw.port
        }()
        let client = try PlatformClient(baseURL: "http://127.0.0.1:\(port)", token: "t")
        XCTAssertThrowsError(try client.apps()) { error in
            XCTAssertEqual(String(describing: error), "cannot reach http://127.0.0.1:\(port)/v1/apps: connection refused")
            XCTAssertTrue((error as? PlatformError)?.isTransient == true)
        }
    }

    func testStalledServerTimesOut() throws {
        let raw = try RawServer { _ in nil }
        defer { raw.stop() }
        let client = try PlatformClient(baseURL: "http://127.0.0.1:\(raw.port)", token: "t", timeouts: .init(connect: 1, total: 0.5))
        XCTAssertThrowsError(try client.apps()) { error in
            XCTAssertEqual(error as? PlatformError, .timedOut(url: "http://127.0.0.1:\(raw.port)/v1/apps", seconds: 0.5))
            XCTAssertTrue(String(describing: error).contains("no answer from"))
        }
    }

    func testGarbageBodyIsABadResponseNotACrash() throws {
        let raw = try RawServer { _ in RawServer.http(status: "200 OK", body: "<html>\u{1B}[31mnot json") }
        defer { raw.stop() }
        let client = try PlatformClient(baseURL: "http://127.0.0.1:\(raw.port)", token: "t")
        XCTAssertThrowsError(try client.apps()) { error in
            guard case PlatformError.badResponse(_, let reason) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(reason, "the body is not JSON")
        }
    }

    func testWrongShapeNamesTheField() throws {
        let raw = try RawServer { _ in RawServer.http(status: "200 OK", body: #"[{"id":"a","name":"A","platform":"android"}]"#) }
        defer { raw.stop() }
        let client = try PlatformClient(baseURL: "http://127.0.0.1:\(raw.port)", token: "t")
        XCTAssertThrowsError(try client.apps()) { error in
            XCTAssertEqual(String(describing: error), "bad answer from http://127.0.0.1:\(raw.port)/v1/apps: field '[0].bundleId' is missing")
        }
    }

    func testServerErrorCarriesItsProblemDetail() throws {
        let problem = #"{"type":"about:blank","title":"Internal Server Error","status":500,"detail":"disk full"}"#
        let raw = try RawServer { _ in RawServer.http(status: "500 Internal Server Error", contentType: "application/problem+json", body: problem) }
        defer { raw.stop() }
        let client = try PlatformClient(baseURL: "http://127.0.0.1:\(raw.port)", token: "t")
        XCTAssertThrowsError(try client.apps()) { error in
            XCTAssertEqual(String(describing: error), "the server answered 500: Internal Server Error: disk full")
            XCTAssertTrue((error as? PlatformError)?.isTransient == true)
        }
        // 503 is "busy": retried, with the server's own wait when it gives one.
        let busy = try RawServer { _ in
            RawServer.http(status: "503 Service Unavailable", contentType: "application/problem+json",
                           body: #"{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"maintenance until 04:00"}"#)
                .withHeader("Retry-After: 120")
        }
        defer { busy.stop() }
        XCTAssertThrowsError(try PlatformClient(baseURL: "http://127.0.0.1:\(busy.port)", token: "t").apps()) { error in
            XCTAssertEqual(String(describing: error), "the server is busy (503): maintenance until 04:00; it asks to wait 120 s")
            XCTAssertEqual((error as? PlatformError)?.retryAfter, 120)
            XCTAssertTrue((error as? PlatformError)?.isTransient == true)
        }
    }

    func testNotHTTPAtAll() throws {
        let raw = try RawServer { _ in Array("SSH-2.0-OpenSSH_9.2\r\n".utf8) }
        defer { raw.stop() }
        let client = try PlatformClient(baseURL: "http://127.0.0.1:\(raw.port)", token: "t")
        XCTAssertThrowsError(try client.apps()) { error in
            guard case PlatformError.badResponse = error else { return XCTFail("got \(error)") }
        }
    }

    func testUnusableAddressesAreRefusedUpFront() {
        for address in ["", "127.0.0.1:8080", "ftp://example.org", "http://"] {
            XCTAssertThrowsError(try PlatformClient(baseURL: address, token: nil), address) { error in
                guard case PlatformError.invalidURL = error else { return XCTFail("got \(error)") }
            }
        }
    }

    func testCancelStopsARequestInFlight() throws {
        let raw = try RawServer { _ in nil }
        defer { raw.stop() }
        let client = try PlatformClient(baseURL: "http://127.0.0.1:\(raw.port)", token: "t", timeouts: .init(connect: 5, total: 30))
        let canceller = client.canceller
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) { canceller.cancel() }
        let started = Date()
        XCTAssertThrowsError(try client.apps()) { XCTAssertEqual($0 as? PlatformError, .cancelled) }
        XCTAssertLessThan(Date().timeIntervalSince(started), 25, "did not wait for the 30 s timeout")
    }
}

final class TLSTests: XCTestCase {
    /// https to a server that does not speak TLS fails as TLS, never falls back to plain.
    func testHTTPSNeverFallsBackAndAPrivateCAFileMustExist() throws {
        let raw = try RawServer { _ in RawServer.http(status: "200 OK", body: "[]") }
        defer { raw.stop() }
        let client = try PlatformClient(baseURL: "https://127.0.0.1:\(raw.port)", token: "t", timeouts: .init(connect: 2, total: 3))
        XCTAssertThrowsError(try client.apps()) { error in
            guard case .unreachable(_, let reason)? = error as? PlatformError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("TLS"), reason)
        }
        XCTAssertThrowsError(try PlatformClient(baseURL: "https://example.invalid", token: "t", caFile: "/nonexistent/ca.pem")) { error in
            XCTAssertTrue(String(describing: error).contains("cannot read the CA file /nonexistent/ca.pem"), "\(error)")
        }
    }
}

import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import XCTest

/// The served OpenAPI document against the running server: every documented GET answers
/// with a documented status and media type, and the server has no undocumented routes
/// among the ones tried.
final class OpenAPIContractTests: XCTestCase {
    func testTheDocumentIsServedAndEveryGetAnswersAsDocumented() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let transport = CurlTransport()
        let served = try transport.perform(method: "GET", url: server.url + "/openapi.json", headers: [:])
        XCTAssertEqual(served.status, 200)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: served.body) as? [String: Any])
        XCTAssertEqual(document["openapi"] as? String, "3.1.0")
        let paths = try XCTUnwrap(document["paths"] as? [String: [String: Any]])

        let client = try PlatformClient(baseURL: server.url, token: server.token)
        _ = try client.send(SDKBatch(app: "wallet-ios", release: "5.3.0", device: DeviceInfo(id: "c", os: .ios, osVersion: "17", model: "x"),
                                     crashes: [SDKCrash(kind: .crash, exceptionType: "E", message: "m", frames: [], at: Date())]))
        let issue = try XCTUnwrap(client.crashIssues(app: "wallet-ios").value?.first?.fingerprint)
        let release = try XCTUnwrap(client.releases(app: "wallet-ios").value?.first?.version)
        let values = ["app": "wallet-ios", "release": release, "issue": issue, "funnel": "checkout", "key": "pay-api"]
        let queries = ["/v1/sdk/check": "?app=wallet-ios&device=d&version=1.0&os=ios"]

        var tried = 0
        // /api/… are Unleash's and Sentry's protocols, with their own keys (Tests/sdk).
        for (path, operations) in paths where operations["get"] != nil && !path.hasSuffix("/stream") && !path.hasPrefix("/api/") {
            var url = path
            for (name, value) in values { url = url.replacingOccurrences(of: "{\(name)}", with: value) }
            let exchange = try transport.perform(method: "GET", url: server.url + url + (queries[path] ?? ""),
                                                 headers: ["Authorization": "Bearer \(server.token)"])
            let get = try XCTUnwrap(operations["get"] as? [String: Any])
            let responses = try XCTUnwrap(get["responses"] as? [String: Any])
            XCTAssertNotNil(responses[String(exchange.status)], "\(path) answered \(exchange.status), which it does not document")
            XCTAssertEqual(exchange.status, 200, "\(path): \(String(decoding: exchange.body, as: UTF8.self))")
            XCTAssertTrue(exchange.headers["content-type"]?.hasPrefix("application/json") == true, path)
            tried += 1
        }
        XCTAssertGreaterThanOrEqual(tried, 12)
    }

    func testDocumentedErrorsAreProblemJSON() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let transport = CurlTransport()
        for (path, status) in [("/v1/apps", 401), ("/v1/apps/nope/releases", 404), ("/v1/audit?since=x", 400)] {
            let exchange = try transport.perform(method: "GET", url: server.url + path,
                                                 headers: status == 401 ? [:] : ["Authorization": "Bearer \(server.token)"])
            XCTAssertEqual(exchange.status, status, path)
            XCTAssertEqual(exchange.headers["content-type"], "application/problem+json", path)
            XCTAssertEqual(try WireFormat.decoder().decode(Problem.self, from: exchange.body).status, status)
        }
    }
}

final class MethodNotAllowedTests: XCTestCase {
    func testAKnownPathWithAnotherMethodIs405WithAllow() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let transport = CurlTransport()
        let auth = ["Authorization": "Bearer \(server.token)"]
        let trace = try transport.perform(method: "DELETE", url: server.url + "/v1/apps/wallet-ios/releases/5.3.0", headers: auth)
        XCTAssertEqual(trace.status, 405)
        XCTAssertEqual(trace.headers["allow"], "GET, PATCH")
        XCTAssertEqual(try transport.perform(method: "GET", url: server.url + "/v1/no/such/thing", headers: auth).status, 404)
    }
}

import Foundation
import GRDB
import PlatformClient
import PlatformModel
@testable import PlatformServer
import TestSupport
import XCTest

/// Who may make SDK tokens and import Unleash documents, what a token opens, and what
/// the import and the Frontend API answer; over real HTTP with the roles' tokens.
final class SDKAccessTests: RolesServerTestCase {
    private let transport = CurlTransport()

    private func call(_ method: String, _ path: String, as name: String? = nil, token: String? = nil, body: String? = nil) throws -> HTTPExchange {
        var headers = ["Content-Type": "application/json"]
        if let name { headers["Authorization"] = "Bearer \(try XCTUnwrap(Self.roleTokens.first { $0.name == name }).token)" }
        if let token { headers["Authorization"] = token }
        return try transport.perform(method: method, url: server.url + path, headers: headers, body: body.map { Data($0.utf8) })
    }

    private func problem(_ exchange: HTTPExchange) -> String {
        (try? WireFormat.decoder().decode(Problem.self, from: exchange.body).detail) ?? String(decoding: exchange.body, as: UTF8.self)
    }

    func testOnlyAdminsMakeTokensAndATokenOpensOnlyItsAppAndItsAPI() throws {
        for name in ["vera", "sam", "rita"] {
            XCTAssertEqual(try call("POST", "/v1/apps/wallet-ios/sdk-tokens", as: name, body: #"{"name":"x","kind":"client","reason":"r"}"#).status, 403, name)
            XCTAssertEqual(try call("GET", "/v1/apps/wallet-ios/sdk-tokens", as: name).status, 403, name)
        }
        let made = try call("POST", "/v1/apps/wallet-ios/sdk-tokens", as: "adam", body: #"{"name":"backend","kind":"client","reason":"Edge"}"#)
        XCTAssertEqual(made.status, 201, problem(made))
        let token = try XCTUnwrap(try WireFormat.decoder().decode(SDKToken.self, from: made.body).token)
        XCTAssertTrue(token.hasPrefix("wallet-ios:production."))
        let again = try call("POST", "/v1/apps/wallet-ios/sdk-tokens", as: "adam", body: #"{"name":"backend","kind":"frontend","reason":"x"}"#)
        XCTAssertEqual(again.status, 409)
        XCTAssertEqual(try call("POST", "/v1/apps/wallet-ios/sdk-tokens", as: "adam", body: #"{"name":"Bad Name","kind":"client","reason":"x"}"#).status, 422)

        // Listed without the secret.
        let listed = try WireFormat.decoder().decode([SDKToken].self, from: try call("GET", "/v1/apps/wallet-ios/sdk-tokens", as: "adam").body)
        XCTAssertEqual(listed.map(\.name), ["backend"])
        XCTAssertNil(listed[0].token)
        XCTAssertEqual(listed[0].preview, String(token.prefix("wallet-ios:production.".count + 8)) + "…", "a preview shows 8 of 48 secret digits")
        XCTAssertFalse(String(decoding: try call("GET", "/v1/apps/wallet-ios/sdk-tokens", as: "adam").body, as: UTF8.self).contains(token))

        // The client token reads its app's features, not the Frontend API.
        let features = try call("GET", "/api/client/features", token: token)
        XCTAssertEqual(features.status, 200)
        let document = try JSONDecoder().decode(UnleashFeatures.self, from: features.body)
        XCTAssertEqual(Set(document.features.map(\.name)), Set(try XCTUnwrap(client("vera").switches(app: "wallet-ios").value).map(\.key)))
        XCTAssertEqual(try call("GET", "/api/frontend", token: token).status, 401)
        XCTAssertEqual(try call("GET", "/api/client/features", token: "Bearer " + token).status, 200, "Bearer TOKEN is accepted too")

        // Revoked: refused at once, and the audit log says who and why.
        XCTAssertEqual(try call("DELETE", "/v1/apps/wallet-ios/sdk-tokens/backend?reason=rotated", as: "adam").status, 204)
        XCTAssertEqual(try call("GET", "/api/client/features", token: token).status, 401)
        let audit = try client("vera").audit(limit: 500).items
        XCTAssertEqual(audit.filter { $0.target == "wallet-ios/sdk-tokens/backend" }.map(\.action), [.sdkTokenCreate, .sdkTokenRevoke])
        XCTAssertFalse(audit.contains { ($0.after.map { "\($0)" } ?? "").contains(token) }, "the audit log never holds a secret")
    }

    func testImportNamesWhatItCannotEvaluateAndTheSwitchAnswersByItsRules() throws {
        let document = """
            {"version": 2, "segments": [{"id": 7, "constraints": [{"contextName": "city", "operator": "IN", "values": ["Hangzhou"]}]}],
             "features": [
               {"name": "Feature.Beta", "description": "beta", "type": "release", "enabled": true,
                "strategies": [{"name": "userWithId", "parameters": {"userIds": "u1, u2"}},
                               {"name": "default", "segments": [7]},
                               {"name": "applicationHostname", "parameters": {"hostNames": "x"}}]},
               {"name": "pay-api", "enabled": false, "strategies": []}]}
            """
        XCTAssertEqual(try call("POST", "/v1/apps/wallet-ios/switches/import?reason=bring+flags", as: "sam", body: document).status, 403)
        XCTAssertEqual(try call("POST", "/v1/apps/wallet-ios/switches/import", as: "adam", body: document).status, 400, "a reason is required")
        let bad = try call("POST", "/v1/apps/wallet-ios/switches/import?reason=x", as: "adam",
                           body: #"{"version":2,"features":[{"name":"has space","enabled":true,"strategies":[]}]}"#)
        XCTAssertEqual(bad.status, 422)
        XCTAssertTrue(problem(bad).contains("features[0].name"), problem(bad))

        let imported = try call("POST", "/v1/apps/wallet-ios/switches/import?reason=bring+flags", as: "adam", body: document)
        XCTAssertEqual(imported.status, 200, problem(imported))
        let report = try WireFormat.decoder().decode(SwitchImportReport.self, from: imported.body)
        XCTAssertEqual(report.created, ["Feature.Beta"])
        XCTAssertEqual(report.updated, ["pay-api"])
        XCTAssertEqual(report.warnings, ["Feature.Beta: strategy 'applicationHostname' is not evaluated here (counts as false)"])

        let check = { (device: String, city: String) throws -> [String: Bool] in
            let answer = try self.call("GET", "/v1/sdk/check?app=wallet-ios&device=\(device)&version=5.3.0&os=ios&city=\(city)", as: "vera")
            return try XCTUnwrap(try JSONDecoder().decode(UpgradeAnswer.self, from: answer.body).switches)
        }
        XCTAssertEqual(try check("d1", "Hangzhou")["Feature.Beta"], true, "in the segment")
        XCTAssertEqual(try check("d1", "Chengdu")["Feature.Beta"], false, "outside it, and no user id")
        XCTAssertEqual(try check("d1", "Hangzhou")["pay-api"], false, "imported disabled: off for everyone")
        let audit = try client("vera").audit(limit: 500).items
        XCTAssertEqual(Set(audit.filter { $0.action == .switchImport }.map(\.target)), ["wallet-ios/switches/Feature.Beta", "wallet-ios/switches/pay-api"])
    }

    func testTheFrontendAPIAnswersForTheContextItIsGiven() throws {
        let made = try call("POST", "/v1/apps/wallet-android/sdk-tokens", as: "adam", body: #"{"name":"mobile","kind":"frontend","reason":"app"}"#)
        let token = try XCTUnwrap(try WireFormat.decoder().decode(SDKToken.self, from: made.body).token)
        let document = #"{"version":2,"features":[{"name":"vip","enabled":true,"strategies":[{"name":"userWithId","parameters":{"userIds":"u-7"}}],"#
            + #""variants":[{"name":"gold","weight":1,"payload":{"type":"string","value":"g"}}]}]}"#
        XCTAssertEqual(try call("POST", "/v1/apps/wallet-android/switches/import?reason=x", as: "adam", body: document).status, 200)
        func on(_ query: String) throws -> [String] {
            let answer = try call("GET", "/api/frontend" + query, token: token)
            XCTAssertEqual(answer.status, 200)
            let toggles = try XCTUnwrap((try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["toggles"] as? [[String: Any]])
            return toggles.compactMap { $0["name"] as? String }.sorted()
        }
        XCTAssertTrue(try on("?userId=u-7").contains("vip"))
        XCTAssertFalse(try on("?userId=u-8").contains("vip"))
        XCTAssertFalse(try on("").contains("vip"))
        let posted = try call("POST", "/api/frontend", token: token, body: #"{"context":{"userId":"u-7"}}"#)
        XCTAssertTrue(String(decoding: posted.body, as: UTF8.self).contains(#""gold""#), "the variant comes with the toggle")
        XCTAssertEqual(try call("POST", "/api/frontend", token: token, body: "{not json").status, 400)
        XCTAssertEqual(try call("GET", "/api/frontend").status, 401)
    }

    func testEveryAppHasItsOwnDSN() throws {
        let apps = try XCTUnwrap(client("vera").apps().value)
        let dsns = apps.compactMap(\.sentryDSN)
        XCTAssertEqual(dsns.count, apps.count)
        XCTAssertEqual(Set(dsns).count, dsns.count)
        for dsn in dsns {
            let url = try XCTUnwrap(URLComponents(string: dsn))
            XCTAssertEqual(url.user?.count, 32)
            XCTAssertEqual(url.port, server.port)
            XCTAssertNotNil(Int(url.path.dropFirst()))
        }
    }
}

/// The envelope parser on its own: what it takes and what it refuses, by name.
final class SentryEnvelopeTests: XCTestCase {
    private func parse(_ text: String) -> Result<[String], SentryEnvelope.Malformed> {
        do {
            return .success(try SentryEnvelope(parsing: Array(text.utf8)).items.map { "\($0.type):\(String(decoding: $0.payload, as: UTF8.self))" })
        } catch {
            return .failure(error)
        }
    }

    func testItemsWithAndWithoutLengths() throws {
        XCTAssertEqual(try parse("{}\n{\"type\":\"event\",\"length\":2}\n{}\n{\"type\":\"session\"}\n{\"a\":1}\n").get(),
                       ["event:{}", "session:{\"a\":1}"])
        XCTAssertEqual(try parse("{}\n{\"type\":\"attachment\",\"length\":3}\na\nb\n").get(), ["attachment:a\nb"], "a length may span newlines")
        XCTAssertEqual(try parse("{\"dsn\":\"x\"}").get(), [], "a header alone is an envelope")
    }

    func testLiesAreRefusedWithWhereTheyAre() {
        for (text, reason) in [
            ("", "the envelope is empty"),
            ("{\n", "the envelope header is not a JSON object"),
            ("{}\n{\"type\":\"event\",\"length\":99}\n{}", "item 1's length says 99 bytes but 2 remain"),
            ("{}\n{\"type\":\"event\",\"length\":1}\n{}\n", "item 1's payload is longer than its length says"),
            ("{}\n{\"length\":0}\n\n", "item 1's header has no type"),
            ("{}\n[]\n", "item 1's header is not a JSON object"),
            ("{}\n{\"type\":\"event\",\"length\":-4}\n", "item 1's length is not a byte count"),
            ("{}\n{\"type\":\"event\",\"length\":1e300}\n", "item 1's length is not a byte count"),
        ] {
            guard case .failure(let malformed) = parse(text) else { return XCTFail("accepted: \(text.debugDescription)") }
            XCTAssertEqual(malformed.reason, reason, text.debugDescription)
        }
    }

    func testReleasesAndKinds() throws {
        XCTAssertEqual(SentryEvent.version(ofRelease: "com.opsdeck.wallet@5.3.0+530"), "5.3.0")
        XCTAssertEqual(SentryEvent.version(ofRelease: "5.3.0"), "5.3.0")
        XCTAssertEqual(SentryEvent.version(ofRelease: "my@app@1.2.3"), "1.2.3")
        XCTAssertNil(SentryEvent.version(ofRelease: "app@1.2.3\u{0}x"), "a release is a key: control characters are refused")
        func kind(_ json: String) throws -> CrashKind { try JSONDecoder().decode(SentryEvent.self, from: Data(json.utf8)).kind }
        XCTAssertEqual(try kind(#"{"exception":{"values":[{"type":"E","mechanism":{"type":"ANR","handled":false}}]}}"#), .anr)
        XCTAssertEqual(try kind(#"{"exception":{"values":[{"type":"E","mechanism":{"type":"AppHang"}}]}}"#), .anr)
        XCTAssertEqual(try kind(#"{"exception":{"values":[{"type":"E","mechanism":{"type":"onerror","handled":false}}]}}"#), .crash)
        XCTAssertEqual(try kind(#"{"level":"fatal","exception":[{"type":"E"}]}"#), .crash)
        XCTAssertEqual(try kind(#"{"level":"error","exception":{"values":[{"type":"E","mechanism":{"handled":true}}]}}"#), .error)
        XCTAssertEqual(try kind(#"{"exception":{"values":"not a list"},"timestamp":"soon","contexts":7}"#), .error, "wrong types are dropped, not fatal")
        XCTAssertEqual(nestingDepth(Array("[[{\"a\":\"[[[[\"}]]".utf8)[...]), 3, "brackets in strings do not count")
    }
}

/// A store from before switches spoke Unleash opens with its shares made whole percents.
final class SwitchShareMigrationTests: XCTestCase {
    func testFractionalSharesBecomeWholePercents() async throws {
        let path = temporaryPath("old.sqlite")
        do {
            let queue = try DatabaseQueue(path: path)
            try ServerStore.migrator.migrate(queue, upTo: "v13: funnels by user, funnel revisions")
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO apps (id, name, platform, bundleId, position) VALUES ('a', 'A', 'ios', 'x', 0)")
                for (key, basisPoints) in [("half", 50), ("eighth", 1250), ("all", 10_000)] {
                    try db.execute(sql: """
                        INSERT INTO switches (app, key, description, kind, enabled, platforms, percentBasisPoints, updatedBy, updatedAt, revision)
                        VALUES ('a', ?, 'd', 'kill_switch', 0, '[]', ?, 'x', '2026-12-01 00:00:00', 1)
                        """, arguments: [key, basisPoints])
                }
            }
        }
        let store = try ServerStore(path: path)
        let shares = try await store.switches(app: "a").reduce(into: [String: Double]()) { $0[$1.key] = $1.scope.percent }
        XCTAssertEqual(shares, ["half": 1, "eighth": 13, "all": 100])
    }
}

import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import TestSupport
import XCTest

/// Release changes over real HTTP: roles, If-Match, Idempotency-Key, rules, audit.
final class ReleaseChangeTests: RolesServerTestCase {
    /// The first release in `stage` in the seeded catalogue.
    func release(in stage: ReleaseStage) throws -> Release {
        let client = try client("vera")
        for app in try client.apps().value! {
            if let release = try client.releases(app: app.id).value!.first(where: { $0.stage == stage }) { return release }
        }
        throw TestFailure("no \(stage) release in the catalogue")
    }

    func testRoleMatrixForReleaseChanges() throws {
        let gray = try release(in: .gray)
        for name in ["vera", "sam"] {
            XCTAssertThrowsError(try client(name).patchRelease(app: gray.app, version: gray.version, ReleasePatch(grayPercent: 30, reason: "r"), ifMatch: gray.etag), name) { error in
                guard case PlatformError.forbidden(let detail) = error else { return XCTFail("\(name): got \(error)") }
                XCTAssertTrue(detail?.contains("may not") == true)
            }
        }
        let byManager = try client("rita").patchRelease(app: gray.app, version: gray.version, ReleasePatch(grayPercent: 30, reason: "more"), ifMatch: gray.etag)
        XCTAssertEqual(byManager.grayPercent, 30)
        let byAdmin = try client("adam").patchRelease(app: gray.app, version: gray.version, ReleasePatch(grayPercent: 40, reason: "more"), ifMatch: byManager.etag)
        XCTAssertEqual(byAdmin.grayPercent, 40)
        XCTAssertEqual(byAdmin.revision, gray.revision + 2)
    }

    func testStaleIfMatchIs412WithTheCurrentStateAndChangesNothing() throws {
        let gray = try release(in: .gray)
        let first = try client("rita").patchRelease(app: gray.app, version: gray.version, ReleasePatch(grayPercent: 25, reason: "first"), ifMatch: gray.etag)
        XCTAssertThrowsError(try client("adam").patchRelease(app: gray.app, version: gray.version, ReleasePatch(grayPercent: 60, reason: "second"), ifMatch: gray.etag)) { error in
            guard case PlatformError.changedMeanwhile(_, let current) = error, let current else { return XCTFail("got \(error)") }
            let now = try? WireFormat.decoder().decode(Release.self, from: current)
            XCTAssertEqual(now, first, "the 412 carries the release as it is now")
            XCTAssertTrue(String(describing: error).contains("someone else changed it first"))
        }
        XCTAssertEqual(try client("vera").release(app: gray.app, version: gray.version), first, "nothing was overwritten")
    }

    func testMissingIfMatchIs428() throws {
        let gray = try release(in: .gray)
        let transport = CurlTransport()
        let exchange = try transport.perform(
            method: "PATCH", url: "\(server.url)/v1/apps/\(gray.app)/releases/\(gray.version)",
            headers: ["Authorization": "Bearer manager-token-0123456789", "Content-Type": "application/json"],
            body: Data(#"{"grayPercent": 30, "reason": "r"}"#.utf8))
        XCTAssertEqual(exchange.status, 428)
        XCTAssertEqual(exchange.headers["content-type"], "application/problem+json")
    }

    func testARetriedRequestAppliesOnceAndAnswersTheSame() throws {
        let gray = try release(in: .gray)
        let rita = try client("rita")
        let patch = ReleasePatch(grayPercent: 33, reason: "retry me")
        let first = try rita.patchRelease(app: gray.app, version: gray.version, patch, ifMatch: gray.etag, idempotencyKey: "key-1")
        // The retry still carries the old If-Match: it must be answered from the record,
        // not re-evaluated (which would be a 412).
        let again = try rita.patchRelease(app: gray.app, version: gray.version, patch, ifMatch: gray.etag, idempotencyKey: "key-1")
        XCTAssertEqual(first, again)
        XCTAssertEqual(try rita.release(app: gray.app, version: gray.version).revision, gray.revision + 1, "applied once")
        XCTAssertEqual(try rita.audit().items.filter { $0.reason == "retry me" }.count, 1)
        XCTAssertThrowsError(try rita.patchRelease(app: gray.app, version: gray.version, ReleasePatch(grayPercent: 34, reason: "other"), ifMatch: first.etag, idempotencyKey: "key-1")) { error in
            guard case PlatformError.http(422, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(problem?.detail?.contains("already used") == true)
        }
    }

    func testValidationAndIllegalTransitionsAreRefusedClearly() throws {
        let gray = try release(in: .gray)
        let rita = try client("rita")
        let cases: [(ReleasePatch, Int, String)] = [
            (ReleasePatch(grayPercent: 0, reason: "r"), 422, "more than 0"),
            (ReleasePatch(grayPercent: 100.5, reason: "r"), 422, "at most 100"),
            (ReleasePatch(grayPercent: 12.345, reason: "r"), 422, "resolution of 0.01"),
            (ReleasePatch(grayPercent: 10, reason: "   "), 400, "reason is required"),
            (ReleasePatch(reason: "r"), 400, "nothing to change"),
            (ReleasePatch(stage: .whitelist, reason: "r"), 409, "cannot go from gray to whitelist"),
        ]
        for (patch, status, words) in cases {
            XCTAssertThrowsError(try rita.patchRelease(app: gray.app, version: gray.version, patch, ifMatch: gray.etag), "\(patch)") { error in
                guard case PlatformError.http(let got, let problem) = error else { return XCTFail("\(patch): got \(error)") }
                XCTAssertEqual(got, status, "\(patch)")
                XCTAssertTrue(problem?.detail?.contains(words) == true, "\(patch): \(problem?.detail ?? "-")")
            }
        }
        let draft = try release(in: .draft)
        XCTAssertThrowsError(try rita.perform(.halt, app: draft.app, version: draft.version, reason: "r", ifMatch: draft.etag)) { error in
            guard case PlatformError.http(409, _) = error else { return XCTFail("got \(error)") }
        }
        let full = try release(in: .full)
        XCTAssertThrowsError(try rita.patchRelease(app: full.app, version: full.version, ReleasePatch(grayPercent: 50, reason: "r"), ifMatch: full.etag)) { error in
            guard case PlatformError.http(409, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertTrue(problem?.detail?.contains("only in the gray stage") == true)
        }
        XCTAssertEqual(try rita.release(app: gray.app, version: gray.version), gray, "nothing was stored half")
    }

    func testMalformedBodiesAre400WithTheField() throws {
        let gray = try release(in: .gray)
        let transport = CurlTransport()
        let url = "\(server.url)/v1/apps/\(gray.app)/releases/\(gray.version)"
        let headers = ["Authorization": "Bearer manager-token-0123456789", "If-Match": gray.etag]
        let bodies: [(String, String)] = [
            ("{not json", "not JSON"),
            (#"{"grayPercent": "ten", "reason": "r"}"#, "'grayPercent' must be a number"),
            (#"{"grayPercent": 10}"#, "'reason' is missing"),
            (#"{"stage": "launched", "reason": "r"}"#, "'stage'"),
        ]
        for (body, words) in bodies {
            let exchange = try transport.perform(method: "PATCH", url: url, headers: headers, body: Data(body.utf8))
            XCTAssertEqual(exchange.status, 400, body)
            let problem = try WireFormat.decoder().decode(Problem.self, from: exchange.body)
            XCTAssertTrue(problem.detail?.contains(words) == true, "\(body): \(problem.detail ?? "-")")
        }
        let huge = try transport.perform(method: "PATCH", url: url, headers: headers, body: Data(repeating: 32, count: 200_000))
        XCTAssertEqual(huge.status, 413)
        XCTAssertEqual(huge.headers["content-type"], "application/problem+json")
        XCTAssertEqual(try WireFormat.decoder().decode(Problem.self, from: huge.body).detail, "the request body is larger than this endpoint accepts")
    }

    func testLifecycleActionsAndTheAuditLog() throws {
        let gray = try release(in: .gray)
        let rita = try client("rita")
        let halted = try rita.perform(.halt, app: gray.app, version: gray.version, reason: "crash spike", ifMatch: gray.etag)
        XCTAssertEqual(halted.stage, .halted)
        let resumed = try rita.perform(.resume, app: gray.app, version: gray.version, reason: "fixed server side", ifMatch: halted.etag)
        XCTAssertEqual(resumed.stage, .gray)
        XCTAssertEqual(resumed.grayPercent, gray.grayPercent, "resuming keeps the percentage")
        let full = try rita.patchRelease(app: gray.app, version: gray.version, ReleasePatch(stage: .full, reason: "healthy"), ifMatch: resumed.etag)
        XCTAssertEqual(full.stage, .full)
        XCTAssertEqual(full.grayPercent, 100)
        let rolledBack = try rita.perform(.rollback, app: gray.app, version: gray.version, reason: "regression", ifMatch: full.etag)
        XCTAssertEqual(rolledBack.stage, .rolledBack)

        let page = try client("vera").audit()
        XCTAssertEqual(page.items.map(\.action.rawValue), ["release.halt", "release.resume", "release.stage", "release.rollback"])
        XCTAssertTrue(page.items.allSatisfy { $0.guardrail == nil }, "only a guardrail's halt carries figures")
        XCTAssertEqual(page.items.map(\.reason), ["crash spike", "fixed server side", "healthy", "regression"])
        XCTAssertTrue(page.items.allSatisfy { $0.actor == "rita" && $0.role == "release-manager" && $0.target == "\(gray.app)/\(gray.version)" })
        XCTAssertEqual(page.items[0].before?["stage"], .string("gray"))
        XCTAssertEqual(page.items[0].after?["stage"], .string("halted"))
        XCTAssertEqual(page.nextCursor, String(page.items.last!.id))

        let later = try client("vera").audit(since: page.items[1].id.description, limit: 1)
        XCTAssertEqual(later.items.map(\.action.rawValue), ["release.stage"])
        let none = try client("vera").audit(since: page.nextCursor)
        XCTAssertTrue(none.items.isEmpty)
        XCTAssertEqual(none.nextCursor, page.nextCursor, "an empty page keeps the cursor")
    }
}

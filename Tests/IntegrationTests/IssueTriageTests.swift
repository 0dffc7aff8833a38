import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import XCTest

/// Issue triage over real HTTP: resolve, ignore (for a time, until more events), unresolve;
/// roles, If-Match, Idempotency-Key, the audit log, and regression when it happens again.
final class IssueTriageTests: RolesServerTestCase {
    let now = Date()

    /// Sends `count` events of one issue and returns the issue as the server lists it.
    @discardableResult
    func crash(_ count: Int = 1, top: String = "com.opsdeck.Cart.total") throws -> CrashIssue {
        let sam = try client("sam")
        let crashes = (0..<count).map { index in
            SDKCrash(kind: .crash, exceptionType: "java.lang.IndexOutOfBoundsException", message: "Index: \(index), Size: 3",
                     frames: [StackFrame(symbol: top, file: "Cart.kt", line: 12, inApp: true)], at: now)
        }
        _ = try sam.send(SDKBatch(app: "wallet-android", release: "5.3.0",
                                  device: DeviceInfo(id: "dev-\(UUID().uuidString.prefix(8))", os: .android, osVersion: "14", model: "Pixel 8"),
                                  crashes: crashes))
        return try XCTUnwrap(sam.crashIssues(app: "wallet-android").value?.first { $0.culprit == top })
    }

    func testResolveThenSeenAgainIsRegressedAndAudited() throws {
        let issue = try crash(3)
        XCTAssertEqual(issue.status, .new)
        XCTAssertEqual(issue.revision, 1)
        XCTAssertEqual(issue.shortExceptionType, "IndexOutOfBoundsException")

        let resolved = try client("sam").triage(.resolve, app: issue.app, fingerprint: issue.fingerprint, reason: "fixed in 5.3.1", ifMatch: issue.etag)
        XCTAssertEqual(resolved.status, .resolved)
        XCTAssertEqual(resolved.revision, 2)
        let detail = try client("vera").crashIssue(app: issue.app, fingerprint: issue.fingerprint)
        XCTAssertEqual(detail.issue.status, .resolved)

        let again = try crash(1)
        XCTAssertEqual(again.status, .regressed, "a resolved issue seen again has regressed")
        XCTAssertEqual(again.revision, 3, "the regression is a change: a dialog open on revision 2 must not resolve it blind")

        let audit = try client("vera").audit().items.filter { $0.target == "wallet-android/issues/\(issue.fingerprint)" }
        XCTAssertEqual(audit.map(\.action), [.issueResolve, .issueRegress])
        XCTAssertEqual(audit[0].actor, "sam")
        XCTAssertEqual(audit[0].role, "support")
        XCTAssertEqual(audit[0].reason, "fixed in 5.3.1")
        XCTAssertEqual(audit[0].before?["status"], .string("new"))
        XCTAssertEqual(audit[0].after?["status"], .string("resolved"))
        XCTAssertNotNil(audit[0].idempotencyKey, "the key the change was sent with is kept")
        XCTAssertEqual(audit[1].actor, "system")
        XCTAssertEqual(audit[1].before?["status"], .string("resolved"))
        XCTAssertEqual(audit[1].after?["status"], .string("regressed"))
        XCTAssertEqual(audit[1].reason, "seen again after it was resolved")
    }

    func testIgnoreUntilItWorsensComesBackWhenTheEventsArrive() throws {
        let issue = try crash(4)
        let ignored = try client("rita").triage(.ignore(minutes: nil, moreEvents: 3), app: issue.app, fingerprint: issue.fingerprint,
                                                reason: "known, low impact", ifMatch: issue.etag)
        XCTAssertEqual(ignored.status, .ignored)
        XCTAssertEqual(ignored.ignoredUntilCount, 7)
        XCTAssertEqual(try crash(2).status, .ignored, "6 of 7: still ignored")
        let worse = try crash(1)
        XCTAssertEqual(worse.status, .regressed, "the 7th event ends the ignore")
        XCTAssertNil(worse.ignoredUntilCount)
        let last = try XCTUnwrap(client("vera").audit().items.last)
        XCTAssertEqual(last.action, .issueRegress)
        XCTAssertEqual(last.reason, "ignored until 7 events; event 7 arrived")
    }

    func testIgnoreForATimeAndUnresolve() throws {
        let issue = try crash()
        let sent = Date()
        let ignored = try client("adam").triage(.ignore(minutes: 60, moreEvents: nil), app: issue.app, fingerprint: issue.fingerprint,
                                                reason: "noise during the load test", ifMatch: issue.etag)
        XCTAssertEqual(ignored.status, .ignored)
        let until = try XCTUnwrap(ignored.ignoredUntil)
        XCTAssertEqual(until.timeIntervalSince(sent), 3600, accuracy: 5)
        XCTAssertEqual(try crash().status, .ignored, "an ignore for a time holds through new events")
        let current = try XCTUnwrap(client("vera").crashIssues(app: issue.app).value?.first { $0.fingerprint == issue.fingerprint })
        let open = try client("adam").triage(.unresolve, app: issue.app, fingerprint: issue.fingerprint, reason: "load test over", ifMatch: current.etag)
        XCTAssertEqual(open.status, .new)
        XCTAssertNil(open.ignoredUntil)
        XCTAssertThrowsError(try client("adam").triage(.unresolve, app: issue.app, fingerprint: issue.fingerprint, reason: "again", ifMatch: open.etag)) { error in
            guard case PlatformError.http(409, let problem) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual(problem?.detail, "only a resolved or ignored issue can be unresolved (this one is new)")
        }
    }

    func testViewersMayNotTriageAndStaleOrMissingIfMatchIsRefused() throws {
        let issue = try crash()
        XCTAssertThrowsError(try client("vera").triage(.resolve, app: issue.app, fingerprint: issue.fingerprint, reason: "r", ifMatch: issue.etag)) { error in
            guard case PlatformError.forbidden = error else { return XCTFail("got \(error)") }
        }
        _ = try client("sam").triage(.resolve, app: issue.app, fingerprint: issue.fingerprint, reason: "first", ifMatch: issue.etag)
        XCTAssertThrowsError(try client("rita").triage(.ignore(minutes: 60, moreEvents: nil), app: issue.app, fingerprint: issue.fingerprint,
                                                       reason: "second", ifMatch: issue.etag)) { error in
            guard case PlatformError.changedMeanwhile(_, let current?) = error else { return XCTFail("got \(error)") }
            XCTAssertEqual((try? WireFormat.decoder().decode(CrashIssue.self, from: current))?.status, .resolved, "the 412 carries the issue as it is now")
        }
        let exchange = try CurlTransport().perform(
            method: "POST", url: "\(server.url)/v1/apps/\(issue.app)/crashes/issues/\(issue.fingerprint)/unresolve",
            headers: ["Authorization": "Bearer support-token-0123456789", "Content-Type": "application/json"],
            body: Data(#"{"reason": "r"}"#.utf8))
        XCTAssertEqual(exchange.status, 428)
        XCTAssertEqual(exchange.headers["content-type"], "application/problem+json")
    }

    func testBadIgnoreValuesNameTheField() throws {
        let issue = try crash()
        for (body, field) in [(IssueIgnore(reason: "r", minutes: 0), "minutes"), (IssueIgnore(reason: "r", moreEvents: 2_000_000), "moreEvents")] {
            let exchange = try CurlTransport().perform(
                method: "POST", url: "\(server.url)/v1/apps/\(issue.app)/crashes/issues/\(issue.fingerprint)/ignore",
                headers: ["Authorization": "Bearer support-token-0123456789", "Content-Type": "application/json", "If-Match": issue.etag],
                body: try WireFormat.encoder().encode(body))
            XCTAssertEqual(exchange.status, 422, field)
            let problem = try WireFormat.decoder().decode(Problem.self, from: exchange.body)
            XCTAssertTrue(problem.detail?.hasPrefix(field + " must be") ?? false, problem.detail ?? "")
        }
        XCTAssertThrowsError(try client("sam").triage(.resolve, app: issue.app, fingerprint: "nope", reason: "r", ifMatch: "*")) { error in
            guard case PlatformError.notFound = error else { return XCTFail("got \(error)") }
        }
    }

    func testARetryWithTheSameKeyAppliesOnce() throws {
        let issue = try crash()
        let sam = try client("sam")
        let first = try sam.triage(.resolve, app: issue.app, fingerprint: issue.fingerprint, reason: "once", ifMatch: issue.etag, idempotencyKey: "k-1")
        let again = try sam.triage(.resolve, app: issue.app, fingerprint: issue.fingerprint, reason: "once", ifMatch: issue.etag, idempotencyKey: "k-1")
        XCTAssertEqual(first, again)
        XCTAssertEqual(try client("vera").audit().items.filter { $0.action == .issueResolve }.count, 1)
    }
}

import Foundation
import PlatformClient
import TestSupport
import XCTest

/// `opsdeck serve --migrate-only`: a deploy pipeline migrates the store, once, then the
/// servers start on it.
final class MigrateOnlyEndToEndTests: XCTestCase {
    func testTheStoreIsMigratedOnceAndThenServed() throws {
        let folder = Harness.temporaryFolder()
        let database = folder.appendingPathComponent("deploy/platform.sqlite").path
        let first = try Harness.exec([Harness.binary, "serve", "--migrate-only", "--db", database])
        XCTAssertEqual(first.status, 0, first.errors)
        let lines = first.output.split(separator: "\n")
        XCTAssertTrue(lines.first?.hasPrefix("store \(database): applied ") == true, first.output)
        XCTAssertTrue(lines.contains("  v1: apps and releases"), first.output)
        let version = try XCTUnwrap(lines.first?.split(separator: " ").last)

        let again = try Harness.exec([Harness.binary, "serve", "--migrate-only", "--db", database])
        XCTAssertEqual(again.status, 0, again.errors)
        XCTAssertEqual(again.output, "store \(database): already at \(version), nothing to apply\n")

        // A server started on the migrated store seeds it and serves.
        let server = try ServerProcess(database: database)
        defer { server.stop() }
        XCTAssertFalse(try XCTUnwrap(PlatformClient(baseURL: server.url, token: server.token).apps().value).isEmpty)

        let memory = try Harness.exec([Harness.binary, "serve", "--migrate-only"])
        XCTAssertEqual(memory.status, 64)
        XCTAssertTrue(memory.errors.contains("--migrate-only needs --db FILE"), memory.errors)
        let garbage = folder.appendingPathComponent("garbage.sqlite").path
        try "not a database".write(toFile: garbage, atomically: true, encoding: .utf8)
        let broken = try Harness.exec([Harness.binary, "serve", "--migrate-only", "--db", garbage])
        XCTAssertEqual(broken.status, 64)
        XCTAssertTrue(broken.errors.contains("cannot migrate the store \(garbage)"), broken.errors)
    }
}

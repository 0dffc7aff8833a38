@testable import Cache
import Foundation
import GRDB
import PlatformModel
import XCTest

/// The cache on real SQLite files.
final class CacheTests: XCTestCase {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func release(_ version: String, _ stage: ReleaseStage = .full, app: String = "a") -> Release {
        Release(app: app, version: version, build: 1, stage: stage, grayPercent: stage == .full ? 100 : 0, notes: "n",
                createdAt: now, updatedAt: now, revision: 1)
    }

    func testReleasesAreReplacedInServerOrderAndSurviveReopening() throws {
        let path = temporaryPath("cache.sqlite")
        do {
            let cache = try CacheStore(path: path)
            XCTAssertNil(cache.recoveryNote)
            try cache.replaceApps([App(id: "a", name: "A", platform: .ios, bundleId: "b")], etag: "\"1\"", at: now)
            try cache.replaceReleases(app: "a", [release("2.0"), release("1.0")], etag: "\"x\"", at: now)
            try cache.replaceReleases(app: "a", [release("3.0", .gray), release("2.0")], etag: "\"y\"", at: now.addingTimeInterval(5))
        }
        let reopened = try CacheStore(path: path)
        XCTAssertEqual(try reopened.releases(app: "a").map(\.version), ["3.0", "2.0"], "1.0 is gone: the list is authoritative")
        XCTAssertEqual(try reopened.releases(app: "a").first?.stage, .gray)
        XCTAssertEqual(try reopened.syncRecord(resource: .releases(app: "a"))?.etag, "\"y\"")
        XCTAssertEqual(try reopened.lastFetched(), now.addingTimeInterval(5))
        XCTAssertEqual(try reopened.apps().map(\.id), ["a"])
    }

    func testUnchangedMarksFreshnessOnly() throws {
        let cache = try CacheStore(path: temporaryPath("cache.sqlite"))
        try cache.replaceApps([], etag: "\"e\"", at: now)
        try cache.markUnchanged(resource: .apps, at: now.addingTimeInterval(60))
        XCTAssertEqual(try cache.syncRecord(resource: .apps), SyncRecord(resource: .apps, etag: "\"e\"", fetchedAt: now.addingTimeInterval(60)))
    }

    func testCorruptFileIsMovedAsideAndRebuilt() throws {
        let path = temporaryPath("cache.sqlite")
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        let cache = try CacheStore(path: path)
        let note = try XCTUnwrap(cache.recoveryNote)
        XCTAssertTrue(note.contains("moved aside"), note)
        try cache.replaceApps([App(id: "a", name: "A", platform: .ios, bundleId: "b")], etag: nil, at: now)
        XCTAssertEqual(try cache.apps().count, 1)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertTrue(files.contains { $0.hasPrefix("cache.sqlite.broken-") }, "the bad file is kept for a post-mortem: \(files)")
    }

    func testTruncatedCacheIsRebuilt() throws {
        let path = temporaryPath("cache.sqlite")
        do {
            let cache = try CacheStore(path: path)
            try cache.replaceReleases(app: "a", (0..<500).map { release("1.\($0)") }, etag: nil, at: now)
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: path))
        try? FileManager.default.removeItem(atPath: path + "-wal")
        let cache = try CacheStore(path: path)
        XCTAssertNotNil(cache.recoveryNote)
        XCTAssertNoThrow(try cache.releases(app: "a"))
    }

    /// A damaged page inside the file is not looked for before the first frame (that
    /// reads the whole file); the background check finds it, and the next start moves
    /// the file aside and rebuilds it.
    func testDamageFoundByTheBackgroundCheckIsRebuiltAtTheNextStart() throws {
        let path = temporaryPath("cache.sqlite")
        do {
            let cache = try CacheStore(path: path)
            try cache.replaceReleases(app: "a", (0..<2000).map { release("1.\($0)") }, etag: nil, at: now)
        }
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2 / 4096 * 4096)  // a whole page in the middle
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096))
        try handle.close()

        let damaged = try CacheStore(path: path)
        XCTAssertNil(damaged.recoveryNote, "the header is sound: opened at once, without a full read")
        let problem = try XCTUnwrap(damaged.verify(), "the full check finds the damaged page")
        XCTAssertFalse(problem.isEmpty)
        XCTAssertNil(try CacheStore(path: temporaryPath("other.sqlite")).verify(), "a sound cache passes")

        let rebuilt = try CacheStore(path: path)
        XCTAssertTrue(rebuilt.recoveryNote?.contains("failed its integrity check") == true, rebuilt.recoveryNote ?? "no note")
        XCTAssertEqual(try rebuilt.releases(app: "a"), [], "rebuilt empty")
        XCTAssertNil(rebuilt.verify())
        XCTAssertNotNil(try CacheStore(path: path), "and the start after that keeps it")
        XCTAssertNil(try CacheStore(path: path).recoveryNote)
    }

    func testHeaderCheckReadsOnlyTheHeader() throws {
        let path = temporaryPath("cache.sqlite")
        XCTAssertNil(CacheStore.headerProblem(path), "no file yet")
        do { _ = try CacheStore(path: path) }
        XCTAssertNil(CacheStore.headerProblem(path))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(50).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(CacheStore.headerProblem(path), "too short to be a database")
    }

    func testForeignDatabaseIsNotTakenOver() throws {
        let path = temporaryPath("cache.sqlite")
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('precious')")
        }
        let cache = try CacheStore(path: path)
        XCTAssertTrue(cache.recoveryNote?.contains("not an OpsDeck cache") == true, cache.recoveryNote ?? "no note")
        let aside = try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
            .first { $0.hasPrefix("cache.sqlite.broken-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }
        let kept = try DatabaseQueue(path: URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(aside!).path)
        XCTAssertEqual(try kept.read { try String.fetchOne($0, sql: "SELECT name FROM users") }, "precious", "nothing of the foreign file is lost")
    }

    func testTwoConsolesOnOneFile() throws {
        let path = temporaryPath("cache.sqlite")
        let first = try CacheStore(path: path)
        let second = try CacheStore(path: path)
        let group = DispatchGroup()
        let batches = (0..<2).map { index in (0..<50).map { release("1.\($0)", app: "app\(index)") } }
        let now = now
        for (index, cache) in [first, second].enumerated() {
            let batch = batches[index]
            DispatchQueue.global().async(group: group) {
                for release in batch {
                    try? cache.replaceReleases(app: "app\(index)", [release], etag: nil, at: now)
                }
            }
        }
        group.wait()
        XCTAssertEqual(try first.releases(app: "app1").map(\.version), ["1.49"])
        XCTAssertEqual(try second.releases(app: "app0").map(\.version), ["1.49"])
    }

    func testLocation() {
        XCTAssertEqual(CacheLocation.path(context: "http://h:1", environment: ["OPSDECK_CACHE": "/x/c.sqlite", "HOME": "/home/u"]), "/x/c.sqlite")
        XCTAssertEqual(CacheLocation.path(context: "http://127.0.0.1:8080", environment: ["XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"]), "/xdg/opsdeck/127.0.0.1_8080.sqlite")
        XCTAssertEqual(CacheLocation.path(context: "https://ops.example.com/api/", environment: ["HOME": "/home/u"]), "/home/u/.cache/opsdeck/ops.example.com_api.sqlite")
        XCTAssertEqual(CacheLocation.path(context: "http://h", environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]), "/home/u/.cache/opsdeck/h.sqlite", "a relative XDG path is ignored, as the spec says")
        XCTAssertEqual(CacheLocation.fileName("../../etc/passwd"), ".._.._etc_passwd")
        XCTAssertFalse(CacheLocation.fileName("../../etc/passwd").contains("/"))
    }
}

/// A cache path that is not a file OpsDeck may write is never moved aside or written:
/// `--cache ~/.cache` must not cost a user their files.
final class CachePathSafetyTests: XCTestCase {
    func testADirectoryAtTheCachePathIsLeftAloneAndATemporaryCacheUsed() throws {
        let folder = temporaryPath("home-cache")
        try FileManager.default.createDirectory(atPath: folder + "/someone-elses", withIntermediateDirectories: true)
        try "keep me".write(toFile: folder + "/someone-elses/file.txt", atomically: true, encoding: .utf8)
        let cache = try CacheStore(path: folder)
        XCTAssertNotEqual(cache.path, folder)
        XCTAssertTrue(try XCTUnwrap(cache.recoveryNote).contains("is a directory"), cache.recoveryNote ?? "")
        XCTAssertEqual(try String(contentsOfFile: folder + "/someone-elses/file.txt", encoding: .utf8), "keep me")
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: folder).deletingLastPathComponent().path)
            .contains { $0.hasPrefix("home-cache.broken") }, "nothing renamed")
        try cache.replaceApps([App(id: "a", name: "A", platform: .ios, bundleId: "b")], etag: nil, at: Date())
        XCTAssertEqual(try cache.apps().count, 1, "the temporary cache works")
    }

    func testASymbolicLinkIsNotFollowedIntoSomethingElse() throws {
        let target = temporaryPath("precious.txt")
        try "precious".write(toFile: target, atomically: true, encoding: .utf8)
        let link = temporaryPath("cache-link.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let cache = try CacheStore(path: link)
        XCTAssertTrue(try XCTUnwrap(cache.recoveryNote).contains("symbolic link"))
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "precious", "the link's target is untouched")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), target)
    }

    /// An immutable cache (chattr +i: not even root may write it) is neither moved nor
    /// rebuilt: the console shows its data from a temporary copy.
    func testAnImmutableCacheIsLeftAloneAndItsDataStillShown() throws {
        let path = temporaryPath("immutable.sqlite")
        do {
            let cache = try CacheStore(path: path)
            try cache.replaceApps([App(id: "kept", name: "Kept", platform: .ios, bundleId: "b")], etag: nil, at: Date())
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        func chattr(_ flag: String) -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
            process.arguments = [flag, path]
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
        guard chattr("+i") else { throw XCTSkip("chattr +i is not allowed here") }
        defer { _ = chattr("-i") }
        let cache = try CacheStore(path: path)
        XCTAssertNotEqual(cache.path, path)
        XCTAssertTrue(try XCTUnwrap(cache.recoveryNote).contains("read-only"), cache.recoveryNote ?? "")
        XCTAssertTrue(try XCTUnwrap(cache.recoveryNote).contains("temporary copy"), cache.recoveryNote ?? "")
        XCTAssertEqual(try cache.apps().map(\.id), ["kept"], "what the cache knew is still shown")
        try cache.replaceApps([App(id: "new", name: "New", platform: .ios, bundleId: "b")], etag: nil, at: Date())
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "the file itself is untouched")
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
            .contains { $0.contains(".broken") }, "nothing renamed")
    }

    func testAForeignRegularFileIsStillMovedAsideWithANote() throws {
        let path = temporaryPath("not-a-db.sqlite")
        try String(repeating: "x", count: 200).write(toFile: path, atomically: true, encoding: .utf8)
        let cache = try CacheStore(path: path)
        XCTAssertEqual(cache.path, path)
        XCTAssertTrue(try XCTUnwrap(cache.recoveryNote).contains("moved aside"))
    }
}

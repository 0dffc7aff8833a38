import Foundation
import PlatformClient
import PlatformModel
import TestSupport
import XCTest

/// The scriptable commands on the real binary against a real server: tables for people,
/// `-o json` equal to what the API answers, and every exit status from a real condition.
final class CommandLineEndToEndTests: XCTestCase {
    var folder: URL!
    var server: ServerProcess!
    static let tokens: [String: (role: String, token: String)] = ["vera": ("viewer", "cli-viewer-token-00000001"), "rita": ("release-manager", "cli-manager-token-0000001"),
                         "sam": ("support", "cli-support-token-0000001")]

    override func setUpWithError() throws {
        folder = Harness.temporaryFolder()
        server = try ServerProcess(in: folder, tokens: Self.tokens, as: "rita")
    }

    override func tearDown() {
        server.stop()
    }

    /// `opsdeck ARGS` as `name`, with the address and token from the environment.
    func opsdeck(_ arguments: [String], as name: String = "rita", api: String? = nil) throws -> (status: Int32, output: String, errors: String) {
        try Harness.exec([Harness.binary] + arguments, environment: ["OPSDECK_API": api ?? server.url, "OPSDECK_TOKEN": Self.tokens[name]?.1 ?? name])
    }

    func client(_ name: String = "rita") throws -> PlatformClient {
        try PlatformClient(baseURL: server.url, token: Self.tokens[name]!.1)
    }

    func testReadCommandsPrintTablesAndTheAPIsJSON() throws {
        let api = try client()
        let apps = try XCTUnwrap(api.apps().value)
        var run = try opsdeck(["apps", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertEqual(try WireFormat.decoder().decode([App].self, from: Data(run.output.utf8)), apps)
        run = try opsdeck(["apps"])
        let lines = run.output.split(separator: "\n")
        XCTAssertTrue(lines.first?.hasPrefix("APP") ?? false, run.output)
        XCTAssertEqual(lines.count, apps.count + 1)
        XCTAssertEqual(lines.map { $0.firstRange(of: "NAME")?.lowerBound == nil }.count, lines.count)

        let releases = try XCTUnwrap(api.releases(app: "wallet-ios").value)
        run = try opsdeck(["releases", "--app", "wallet-ios", "-o", "json"])
        XCTAssertEqual(try WireFormat.decoder().decode([Release].self, from: Data(run.output.utf8)), releases)
        let gray = try XCTUnwrap(releases.first { $0.stage == .gray })
        run = try opsdeck(["release", "wallet-ios", gray.version, "-o", "json"])
        XCTAssertEqual(try WireFormat.decoder().decode(Release.self, from: Data(run.output.utf8)), gray)
        run = try opsdeck(["release", "wallet-ios", gray.version])
        XCTAssertTrue(run.output.contains("stage     gray at \(PercentText.of(gray.grayPercent))"), run.output)

        run = try opsdeck(["switches", "--app", "wallet-ios", "-o", "jsonl"])
        let switches = try run.output.split(separator: "\n").map { try WireFormat.decoder().decode(Switch.self, from: Data($0.utf8)) }
        XCTAssertEqual(switches, try api.switches(app: "wallet-ios").value)
        run = try opsdeck(["switches", "--app", "wallet-ios"])
        XCTAssertTrue(run.output.contains("pay-api") && run.output.contains("closed"), run.output)

        // Issues and events: some crashes first, so that there is something to compare.
        _ = try api.send(SDKBatch(app: "wallet-ios", release: "5.3.0", device: DeviceInfo(id: "cli-1", os: .ios, osVersion: "17", model: "iPhone 15"),
                                  crashes: (0..<4).map { n in
                                      SDKCrash(kind: n == 3 ? .anr : .crash, exceptionType: "NSGenericException\(n % 2)", message: "m\(n)",
                                               frames: [StackFrame(symbol: "f\(n % 2)", inApp: true)], at: Date())
                                  }))
        run = try opsdeck(["issues", "--app", "wallet-ios", "--sort", "events", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.errors)
        let issues = try WireFormat.decoder().decode([CrashIssue].self, from: Data(run.output.utf8))
        let apiIssues = try XCTUnwrap(api.crashIssues(app: "wallet-ios").value)
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: issues.map { ($0.fingerprint, $0.count) }),
                       Dictionary(uniqueKeysWithValues: apiIssues.map { ($0.fingerprint, $0.count) }))
        XCTAssertEqual(issues.map(\.count), issues.map(\.count).sorted(by: >), "sorted by events")
        run = try opsdeck(["issues", "--app", "wallet-ios"])
        XCTAssertEqual(run.output.split(separator: "\n").count, apiIssues.count + 1, run.output)
        let feed = try api.crashEvents(app: "wallet-ios").items
        run = try opsdeck(["events", "--app", "wallet-ios", "-o", "json"])
        XCTAssertEqual(try WireFormat.decoder().decode([CrashEvent].self, from: Data(run.output.utf8)), feed)
        run = try opsdeck(["events", "--app", "wallet-ios"])
        let eventLines = run.output.split(separator: "\n")
        XCTAssertEqual(eventLines.count, feed.count + 1)
        XCTAssertTrue(eventLines.first?.hasPrefix("AT") ?? false)
        XCTAssertTrue(eventLines.dropFirst().allSatisfy { $0.contains("NSGenericException") })

        let from = "2026-01-01T00:00:00.000Z", to = WireFormat.formatDate(Date())
        run = try opsdeck(["funnel", "wallet-ios", "checkout", "--from", from, "--to", to, "--by-release", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.errors)
        let report = try WireFormat.decoder().decode(FunnelReport.self, from: Data(run.output.utf8))
        let expected = try api.funnelReport(app: "wallet-ios", funnel: "checkout", from: try XCTUnwrap(WireFormat.parseDate(from)),
                                            to: try XCTUnwrap(WireFormat.parseDate(to)), byRelease: true)
        XCTAssertEqual(report.steps, expected.steps)
        XCTAssertEqual(report.funnel, expected.funnel)
        run = try opsdeck(["funnel", "wallet-ios", "checkout"])
        XCTAssertTrue(run.output.contains("Checkout (checkout), counted by device") && run.output.contains("STEP"), run.output)
        XCTAssertEqual(try opsdeck(["funnel", "wallet-ios", "nope"]).status, 66)

        XCTAssertEqual(try opsdeck(["whoami"]).output, "rita (release-manager)\n")
        XCTAssertEqual(try opsdeck(["whoami", "-o", "json"], as: "sam").output, #"{"name":"sam","role":"support"}"# + "\n")
        XCTAssertEqual(try opsdeck(["version"]).output, "client 0.1.0\nserver 0.1.0\n")
        XCTAssertTrue(try opsdeck(["version"], api: "http://127.0.0.1:1").output.contains("server unknown"))
    }

    func testAChangeIsDescribedConfirmedAppliedOnceAndAudited() throws {
        let api = try client()
        let gray = try XCTUnwrap(api.releases(app: "wallet-ios").value?.first { $0.stage == .gray })
        let target = gray.grayPercent == 10 ? 20.0 : 10.0
        // A dry run says what and changes nothing.
        var run = try opsdeck(["gray", "wallet-ios", gray.version, "\(Int(target))", "--reason", "ladder", "--dry-run"])
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertTrue(run.output.contains("\(target > gray.grayPercent ? "raise" : "lower") the gray from \(PercentText.of(gray.grayPercent)) to \(Int(target))%"), run.output)
        XCTAssertTrue(run.output.contains("dry run: nothing was changed"))
        XCTAssertEqual(try api.release(app: "wallet-ios", version: gray.version).revision, gray.revision)
        // Without a terminal to ask on, --yes is needed.
        run = try opsdeck(["gray", "wallet-ios", gray.version, "\(Int(target))", "--reason", "ladder"])
        XCTAssertEqual(run.status, 64, run.errors)
        XCTAssertTrue(run.errors.contains("add --yes"), run.errors)
        run = try opsdeck(["gray", "wallet-ios", gray.version, "\(Int(target))", "--reason", "ladder step", "--yes", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.errors)
        let changed = try WireFormat.decoder().decode(Release.self, from: Data(run.output.utf8))
        XCTAssertEqual(changed.grayPercent, target)
        XCTAssertEqual(changed.revision, gray.revision + 1)
        let entry = try XCTUnwrap(api.audit().items.last)
        XCTAssertEqual(entry.action, .releaseGray)
        XCTAssertEqual(entry.actor, "rita")
        XCTAssertEqual(entry.reason, "ladder step")
        XCTAssertNotNil(entry.idempotencyKey)

        run = try opsdeck(["switch", "wallet-ios", "pay-api", "open", "--reason", "payments 5xx", "--yes"], as: "sam")
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertEqual(run.output, "wallet-ios pay-api is now OPEN (revision \((try api.switches(app: "wallet-ios").value?.first { $0.key == "pay-api" }?.revision) ?? 0))\n")
        let auditJSONL = try opsdeck(["audit", "-o", "jsonl"]).output.split(separator: "\n").map { try WireFormat.decoder().decode(AuditEntry.self, from: Data($0.utf8)) }
        XCTAssertEqual(auditJSONL, try api.audit().items)
        let auditTable = try opsdeck(["audit"]).output.split(separator: "\n")
        XCTAssertEqual(auditTable.count, 3)
        XCTAssertTrue(auditTable[0].hasPrefix("ID") && auditTable[2].contains("payments 5xx"), auditTable.joined(separator: "\n"))
        // audit --follow prints what comes next, as it is made.
        let output = folder.appendingPathComponent("audit.jsonl")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: Harness.binary)
        follower.arguments = ["audit", "--follow", "-o", "jsonl", "--max", "3"]
        follower.environment = ProcessInfo.processInfo.environment.merging(["OPSDECK_API": server.url, "OPSDECK_TOKEN": Self.tokens["vera"]!.1]) { $1 }
        follower.standardOutput = try FileHandle(forWritingTo: output)
        try follower.run()
        defer { if follower.isRunning { follower.terminate() } }
        let breaker = try XCTUnwrap(api.switches(app: "wallet-ios").value?.first { $0.key == "pay-api" })
        _ = try client("sam").patchSwitch(app: "wallet-ios", key: "pay-api", SwitchPatch(enabled: true, reason: "recovered"), ifMatch: breaker.etag)
        try waitUntil("the follower's third entry", timeout: 30) { !follower.isRunning }
        let followed = try String(contentsOf: output, encoding: .utf8).split(separator: "\n").map { try WireFormat.decoder().decode(AuditEntry.self, from: Data($0.utf8)) }
        XCTAssertEqual(followed.map(\.reason), ["ladder step", "payments 5xx", "recovered"])
    }

    func testEveryExitStatusComesFromARealCondition() throws {
        let api = try client()
        let gray = try XCTUnwrap(api.releases(app: "wallet-ios").value?.first { $0.stage == .gray })
        func status(_ arguments: [String], as name: String = "rita", api: String? = nil) throws -> (Int32, String) {
            let run = try opsdeck(arguments, as: name, api: api)
            return (run.status, run.errors)
        }
        // 64: usage (no --reason).
        XCTAssertEqual(try status(["halt", "wallet-ios", gray.version]).0, 64)
        // 65: the server refused the data (0.015 % is finer than the platform's 0.01).
        let (refused, refusedText) = try status(["gray", "wallet-ios", gray.version, "0.015", "--reason", "r", "--yes"])
        XCTAssertEqual(refused, 65, refusedText)
        XCTAssertTrue(refusedText.contains("resolution of 0.01"), refusedText)
        // 66: not found.
        XCTAssertEqual(try status(["release", "wallet-ios", "9.9.9"]).0, 66)
        // 69: unreachable.
        let (unreachable, unreachableText) = try status(["apps"], api: "http://127.0.0.1:1")
        XCTAssertEqual(unreachable, 69, unreachableText)
        // 75: another operator moved the release between the read (revision N) and the write.
        _ = try api.patchRelease(app: "wallet-ios", version: gray.version, ReleasePatch(grayPercent: gray.grayPercent == 3 ? 4 : 3, reason: "someone else"),
                                 ifMatch: gray.etag)
        let (stale, staleText) = try status(["gray", "wallet-ios", gray.version, "30", "--reason", "r", "--yes", "--if-revision", "\(gray.revision)"])
        XCTAssertEqual(stale, 75, staleText)
        XCTAssertEqual(try api.release(app: "wallet-ios", version: gray.version).revision, gray.revision + 1, "nothing overwritten")
        // 77: token refused; role may not.
        XCTAssertEqual(try status(["apps"], as: "not-a-token-at-all-xx").0, 77)
        XCTAssertEqual(try status(["halt", "wallet-ios", gray.version, "--reason", "r", "--yes"], as: "vera").0, 77)
        // 0, and the table of them.
        let codes = try opsdeck(["exit-codes"])
        XCTAssertEqual(codes.status, 0)
        for code in ["64", "65", "66", "69", "75", "77"] { XCTAssertTrue(codes.output.contains("\n" + code + " ") || codes.output.hasPrefix(code), code) }
        XCTAssertTrue(try opsdeck(["help", "exit-codes"]).output.contains("75  changed meanwhile"))
    }
}

/// `opsdeck events --follow` across a server restart: every event once, none lost.
final class FollowEndToEndTests: XCTestCase {
    func testFollowingResumesAcrossAServerRestartWithNoEventLostOrDoubled() throws {
        let folder = Harness.temporaryFolder()
        let tokens = folder.appendingPathComponent("tokens.toml").path
        try "[[token]]\nname = \"ops\"\nrole = \"admin\"\ntoken = \"follow-admin-token-000001\"\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        let database = folder.appendingPathComponent("platform.sqlite").path
        var server = try ServerProcess(database: database, arguments: ["--tokens", tokens], token: "follow-admin-token-000001")
        let port = server.port
        func send(_ count: Int, from first: Int) throws {
            let client = try PlatformClient(baseURL: "http://127.0.0.1:\(port)", token: "follow-admin-token-000001")
            _ = try client.send(SDKBatch(app: "wallet-ios", release: "5.3.0", device: DeviceInfo(id: "f-\(first)", os: .ios, osVersion: "17", model: "iPhone 15"),
                                         crashes: (first..<first + count).map { n in
                                             SDKCrash(kind: .crash, exceptionType: "E\(n)", message: "m\(n)", frames: [StackFrame(symbol: "f\(n)", inApp: true)], at: Date())
                                         }))
        }
        try send(3, from: 0)

        let output = folder.appendingPathComponent("events.jsonl")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let follower = Process()
        follower.executableURL = URL(fileURLWithPath: Harness.binary)
        follower.arguments = ["events", "--app", "wallet-ios", "--follow", "-o", "jsonl", "--max", "8"]
        follower.environment = ProcessInfo.processInfo.environment.merging(
            ["OPSDECK_API": "http://127.0.0.1:\(port)", "OPSDECK_TOKEN": "follow-admin-token-000001"]) { $1 }
        follower.standardOutput = try FileHandle(forWritingTo: output)
        follower.standardError = FileHandle.nullDevice
        try follower.run()
        defer { if follower.isRunning { follower.terminate() } }
        func lines() -> [String] {
            ((try? String(contentsOf: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        try waitUntil("the events so far", timeout: 20) { lines().count == 3 }
        try send(2, from: 3)
        try waitUntil("the live ones", timeout: 20) { lines().count == 5 }

        // The server dies mid-stream and comes back on the same port and store.
        server.kill()
        server = try ServerProcess(database: database, port: port, arguments: ["--tokens", tokens], token: "follow-admin-token-000001")
        defer { server.stop() }
        try send(3, from: 5)
        try waitUntil("the follower to reach its 8 events and stop", timeout: 60) { !follower.isRunning }
        XCTAssertEqual(follower.terminationStatus, 0)
        let events = try lines().map { try WireFormat.decoder().decode(CrashEvent.self, from: Data($0.utf8)) }
        XCTAssertEqual(events.map(\.exceptionType), (0..<8).map { "E\($0)" }, "every event once, in order")
        let client = try PlatformClient(baseURL: server.url, token: "follow-admin-token-000001")
        XCTAssertEqual(events.map(\.id), try client.crashEvents(app: "wallet-ios").items.map(\.id))
    }
}

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
    static let tokens = ["vera": ("viewer", "cli-viewer-token-00000001"), "rita": ("release-manager", "cli-manager-token-0000001"),
                         "sam": ("support", "cli-support-token-0000001")]

    override func setUpWithError() throws {
        folder = Harness.temporaryFolder()
        let file = folder.appendingPathComponent("tokens.toml").path
        try Self.tokens.map { name, value in "[[token]]\nname = \"\(name)\"\nrole = \"\(value.0)\"\ntoken = \"\(value.1)\"\n" }
            .joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path, arguments: ["--tokens", file],
                                   token: Self.tokens["rita"]!.1)
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

        run = try opsdeck(["issues", "--app", "wallet-ios", "--sort", "events", "-o", "json"])
        XCTAssertEqual(run.status, 0, run.errors)
        XCTAssertNoThrow(try WireFormat.decoder().decode([CrashIssue].self, from: Data(run.output.utf8)))

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
        XCTAssertEqual(try opsdeck(["audit", "-o", "jsonl"]).output.split(separator: "\n").count, 2)
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

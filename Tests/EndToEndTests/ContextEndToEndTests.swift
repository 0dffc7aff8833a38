import Foundation
import PlatformClient
import PlatformModel
import TestSupport
import XCTest

/// Named contexts on the real binary: the config file, precedence, token sources, the
/// refusals, and the console marking a production context.
final class ContextEndToEndTests: XCTestCase {
    var folder: URL!
    var server: ServerProcess!
    var config: URL!
    static let tokens: [String: (role: String, token: String)] = ["vera": ("viewer", "ctx-viewer-token-000000001"), "rita": ("release-manager", "ctx-manager-token-00000001"),
                         "sam": ("support", "ctx-support-token-00000001")]

    override func setUpWithError() throws {
        folder = Harness.temporaryFolder()
        server = try ServerProcess(in: folder, tokens: Self.tokens, as: "rita")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("config/opsdeck"), withIntermediateDirectories: true)
        config = folder.appendingPathComponent("config/opsdeck/config.toml")
        let tokenFile = folder.appendingPathComponent("rita.token").path
        try (Self.tokens["rita"]!.1 + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        chmod(tokenFile, 0o600)
        // A credential helper, as operators have them: a program that prints the token.
        let helper = folder.appendingPathComponent("token-helper").path
        try "#!/bin/sh\necho \(Self.tokens["sam"]!.1)\n".write(toFile: helper, atomically: true, encoding: .utf8)
        chmod(helper, 0o700)
        let leaky = folder.appendingPathComponent("leaky.token").path
        try Self.tokens["vera"]!.1.write(toFile: leaky, atomically: true, encoding: .utf8)
        chmod(leaky, 0o640)
        try """
            # Three environments of one platform, as an operator keeps them.
            current-context = "staging"

            [[context]]
            name = "staging"
            api = "\(server.url)"
            token-file = "\(tokenFile)"

            [[context]]
            name = "prod"
            api = "\(server.url)"
            token-env = "CTX_PROD_TOKEN"
            production = true

            [[context]]
            name = "helper"
            api = "\(server.url)"
            token-command = "\(helper) --profile ops"
            readonly = true

            [[context]]
            name = "leaky"
            api = "\(server.url)"
            token-file = "\(leaky)"
            """.write(to: config, atomically: true, encoding: .utf8)
    }

    override func tearDown() {
        server.stop()
    }

    func opsdeck(_ arguments: [String], _ environment: [String: String?] = [:]) throws -> (status: Int32, output: String, errors: String) {
        var env: [String: String?] = ["XDG_CONFIG_HOME": folder.appendingPathComponent("config").path, "XDG_CACHE_HOME": folder.appendingPathComponent("cache").path,
                                      "OPSDECK_API": nil, "OPSDECK_TOKEN": nil, "OPSDECK_CONTEXT": nil, "OPSDECK_CACHE": nil,
                                      "CTX_PROD_TOKEN": Self.tokens["vera"]!.1]
        for (key, value) in environment { env[key] = value }
        return try Harness.exec([Harness.binary] + arguments, environment: env)
    }

    func testPrecedenceAndTokenSources() throws {
        XCTAssertEqual(try opsdeck(["whoami"]).output, "rita (release-manager)\n", "the current context, its token from a 600 file")
        XCTAssertEqual(try opsdeck(["whoami", "--context", "prod"]).output, "vera (viewer)\n", "--context, token-env")
        XCTAssertEqual(try opsdeck(["whoami"], ["OPSDECK_CONTEXT": "helper"]).output, "sam (support)\n", "OPSDECK_CONTEXT, token-command without a shell")
        XCTAssertEqual(try opsdeck(["whoami", "--context", "prod"], ["OPSDECK_TOKEN": Self.tokens["sam"]!.1]).output, "sam (support)\n",
                       "the environment's token before the context's")
        XCTAssertEqual(try opsdeck(["whoami", "--token", Self.tokens["rita"]!.1], ["OPSDECK_TOKEN": Self.tokens["sam"]!.1]).output, "rita (release-manager)\n",
                       "the flag before the environment")
        let unreachable = try opsdeck(["whoami", "--api", "http://127.0.0.1:1"])
        XCTAssertEqual(unreachable.status, 69, "the flag's address before the context's: \(unreachable.errors)")

        let leaky = try opsdeck(["whoami", "--context", "leaky"])
        XCTAssertEqual(leaky.status, 64)
        XCTAssertTrue(leaky.errors.contains("readable by others") && leaky.errors.contains("chmod 600"), leaky.errors)
        XCTAssertFalse(leaky.output.contains("vera"), "nothing was sent with a token others can read")

        let missing = try opsdeck(["whoami", "--context", "prod"], ["CTX_PROD_TOKEN": nil])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.errors.contains("token-env CTX_PROD_TOKEN is not set"), missing.errors)
    }

    func testListUseShowAndAConfigErrorWithItsFileAndLine() throws {
        let list = try opsdeck(["context", "list"]).output
        XCTAssertTrue(list.split(separator: "\n").contains { $0.hasPrefix("*") && $0.contains("staging") }, list)
        XCTAssertTrue(list.contains("prod") && list.contains("production"), list)
        XCTAssertEqual(try opsdeck(["context", "use", "prod"]).output, "current context: prod\n")
        XCTAssertEqual(try opsdeck(["whoami"]).output, "vera (viewer)\n")
        let show = try opsdeck(["context", "show", "helper"]).output
        XCTAssertTrue(show.contains("token      token-command ") && show.contains("token-helper --profile ops") && show.contains("readonly   true"), show)
        XCTAssertFalse(show.contains(Self.tokens["sam"]!.1), "show names the source, never the token")
        XCTAssertTrue((try String(contentsOf: config, encoding: .utf8)).contains("# Three environments"), "use keeps the rest of the file")
        // Shell completion: the scripts, and context names completed from the config (what
        // the generated scripts call).
        for shell in ["bash", "zsh", "fish"] {
            let script = try opsdeck(["--generate-completion-script", shell])
            XCTAssertEqual(script.status, 0, shell)
            XCTAssertTrue(script.output.contains("opsdeck") && script.output.contains("context"), shell)
        }
        let names = try opsdeck(["---completion", "whoami", "--", "--context", "1", "0"]).output.split(separator: "\n").map(String.init)
        XCTAssertEqual(Set(names), ["staging", "prod", "helper", "leaky"])

        try "current-context = \"x\"\n\n[[context]]\nname = \"x\"\napi = \"ftp://example\"\n".write(to: config, atomically: true, encoding: .utf8)
        let broken = try opsdeck(["whoami"])
        XCTAssertEqual(broken.status, 64)
        XCTAssertTrue(broken.errors.contains("config.toml:5: api: must be an http:// or https:// address"), broken.errors)
        try "[[context]]\nname = \"x\"\napi = \"http://h\"\ntoken = \"secret\"\n".write(to: config, atomically: true, encoding: .utf8)
        XCTAssertTrue(try opsdeck(["context", "list"]).errors.contains("config.toml:4: token: a token is not kept in the config"))
    }

    func testAProductionContextIsMarkedAndEachContextHasItsOwnCache() throws {
        let command = "env -u OPSDECK_API -u OPSDECK_TOKEN -u OPSDECK_CACHE XDG_CONFIG_HOME=\(folder.appendingPathComponent("config").path) "
            + "XDG_CACHE_HOME=\(folder.appendingPathComponent("cache").path) CTX_PROD_TOKEN=\(Self.tokens["rita"]!.1) \(Harness.binary) --context prod --log \(folder.path)/console.log"
        let terminal = try Terminal(command: command)
        try terminal.waitFor(["PRODUCTION", "context prod", "online"])
        try terminal.send("3")
        try terminal.waitFor(["ladder"])
        try terminal.send("A")  // the first rollout: advance it, which asks why
        try terminal.waitFor(["[prod, PRODUCTION]", "Advance wallet-android"], timeout: 20)
        try terminal.send("Escape")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("cache/opsdeck/context-prod.sqlite").path),
                      "the context's own cache")
        // :context switches: the console starts again on staging (rita's token file), its own cache.
        try terminal.tmux(["send-keys", "-t", "main", "-l", ":context sta"])
        try terminal.send("Tab")
        try terminal.waitFor([":context staging"])
        try terminal.send("Enter")
        try terminal.waitFor(["context staging", "online", "rita (release-manager)"])
        XCTAssertFalse(try terminal.screen().contains("PRODUCTION"), "staging is not production")
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("cache/opsdeck/context-staging.sqlite").path))
        try terminal.send("q")
        XCTAssertEqual(try terminal.waitForExit(), 0)
        // Completion of apps and versions comes from the context's cache, filled by the run.
        let client = try PlatformClient(baseURL: server.url, token: Self.tokens["rita"]!.1)
        let apps = try opsdeck(["---completion", "releases", "--", "--app", "1", "0"], ["OPSDECK_CONTEXT": "staging"]).output
        XCTAssertEqual(apps.split(separator: "\n").map(String.init), try XCTUnwrap(client.apps().value).map(\.id))
        let app = try XCTUnwrap(client.apps().value?.first?.id)
        let versions = try opsdeck(["---completion", "release", "--", "positional@1", "3", "0", "opsdeck", "release", app, ""], ["OPSDECK_CONTEXT": "staging"]).output
        XCTAssertEqual(versions.split(separator: "\n").map(String.init), try XCTUnwrap(client.releases(app: app).value).map(\.version))
        // The log never holds a token.
        let log = try String(contentsOfFile: folder.appendingPathComponent("console.log").path, encoding: .utf8)
        for (_, token) in Self.tokens.values { XCTAssertFalse(log.contains(token), "the log holds a token") }
    }
}

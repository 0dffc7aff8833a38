import Foundation
import TestSupport
import XCTest

/// Runs the real `opsdeck` binary: as a server process, and as a console inside a real
/// terminal (a private tmux server), whose screen tests read with `capture-pane`.
enum Harness {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var binary: String {
        ProcessInfo.processInfo.environment["OPSDECK_BIN"] ?? root.appendingPathComponent(".build/debug/opsdeck").path
    }

    static func temporaryFolder() -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("opsdeck-e2e-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Runs a command to completion and returns its stdout (stderr is folded in on failure).
    ///
    /// posix_spawn and waitpid rather than Foundation's Process: Process learns of the
    /// exit through a descriptor the child inherits, and a tmux server daemonised by the
    /// command keeps that open for ever. Output goes to files for the same reason.
    @discardableResult
    static func run(_ arguments: [String], allowFailure: Bool = false) throws -> String {
        let result = try exec(arguments)
        if result.status != 0 && !allowFailure {
            throw TestFailure("\(arguments.joined(separator: " ")) exited \(result.status): \(result.errors)")
        }
        return result.output
    }

    /// Runs a command to completion: its exit status (128 + N for signal N), stdout and
    /// stderr. `environment` is added to this process's (nil removes a variable).
    static func exec(_ arguments: [String], environment extra: [String: String?] = [:]) throws -> (status: Int32, output: String, errors: String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("opsdeck-run-\(UUID().uuidString)").path
        defer {
            unlink(base + ".out")
            unlink(base + ".err")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var environment = ProcessInfo.processInfo.environment
        environment["LANG"] = "C.UTF-8"
        for (name, value) in extra { environment[name] = value }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp)
        guard spawned == 0 else { throw TestFailure("cannot run \(arguments[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let output = (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? ""
        return (exitCode, output, errors)
    }
}

extension ServerProcess {
    /// `opsdeck serve` on a new store in `folder`, with a tokens file of `tokens` (name:
    /// role and token); the harness's own calls use `as`'s token.
    convenience init(in folder: URL, tokens: [String: (role: String, token: String)], as name: String) throws {
        let file = folder.appendingPathComponent("tokens.toml").path
        try tokens.map { name, value in "[[token]]\nname = \"\(name)\"\nrole = \"\(value.role)\"\ntoken = \"\(value.token)\"\n" }
            .joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        try self.init(database: folder.appendingPathComponent("platform.sqlite").path, arguments: ["--tokens", file],
                      token: try XCTUnwrap(tokens[name]).token)
    }
}

extension XCTestCase {
    /// The address `opsdeck demo` announces in its log ("demo platform on port N"), once
    /// it does.
    func demoAPI(log: String, timeout: TimeInterval = 30) throws -> String {
        var port = ""
        try waitUntil("the demo's platform is listening", timeout: timeout) {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            guard let range = text.range(of: #"demo platform on port [0-9]+"#, options: .regularExpression) else { return false }
            port = String(text[range].split(separator: " ").last ?? "")
            return true
        }
        return "http://127.0.0.1:\(port)"
    }
}

/// `opsdeck serve` as a child process.
final class ServerProcess {
    let process = Process()
    let token: String
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }

    /// - Parameters:
    ///   - arguments: more `opsdeck serve` options (`--tokens`, `--simulate`).
    ///   - token: the token to use when `arguments` give a tokens file (the server then
    ///     prints none).
    init(database: String, port: Int = 0, arguments: [String] = [], token: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: Harness.binary)
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--db", database] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The contract: `token: TOKEN` first (unless --tokens), then `listening on http://HOST:PORT`.
        var lines: [String] = []
        var buffer = Data()
        let deadline = Date().addingTimeInterval(30)
        while !lines.contains(where: { $0.hasPrefix("listening on ") }) && Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        let printed = lines.first { $0.hasPrefix("token: ") }.map { String($0.dropFirst("token: ".count)) }
        guard let listening = lines.first(where: { $0.hasPrefix("listening on ") }),
              let portText = listening.split(separator: ":").last, let bound = Int(portText),
              let token = printed ?? token
        else {
            process.terminate()
            throw TestFailure("opsdeck serve did not announce token and port; printed: \(lines)")
        }
        self.token = token
        self.port = bound
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Ends the server as a crash would: SIGKILL, no goodbye to its clients.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// A private tmux server with one window running a command.
final class Terminal {
    let socket = "opsdeck-e2e-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"

    /// Where the command's exit status is written when it ends.
    private let statusFile = FileManager.default.temporaryDirectory.appendingPathComponent("opsdeck-e2e-status-\(UUID().uuidString)").path

    init(command: String, width: Int = 120, height: Int = 40) throws {
        // The shell records the exit status itself: tmux's own pane_dead_status is
        // sometimes never set when the terminal closes before the process is reaped.
        let wrapped = "\(command); echo $? > \(statusFile)"
        try tmux(["-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "\(width)", "-y", "\(height)", wrapped,
                  ";", "set-option", "-t", "main", "remain-on-exit", "on"])
    }

    deinit {
        _ = try? tmux(["kill-server"], allowFailure: true)
        unlink(statusFile)
    }

    @discardableResult
    func tmux(_ arguments: [String], allowFailure: Bool = false) throws -> String {
        try Harness.run(["tmux", "-u", "-L", socket] + arguments, allowFailure: allowFailure)
    }

    func screen() throws -> String {
        try tmux(["capture-pane", "-p", "-t", "main"])
    }

    /// A left click at a cell (0-based), as the terminal reports it to ncurses in X10
    /// mouse encoding (tmux-256color's kmous): press, then release.
    func click(x: Int, y: Int) throws {
        precondition(x < 222 && y < 222, "X10 mouse encoding reaches column and row 222")
        let position = String(UnicodeScalar(UInt8(33 + x))) + String(UnicodeScalar(UInt8(33 + y)))
        // One write, as a terminal sends a report: press and release together.
        try tmux(["send-keys", "-t", "main", "-l", "\u{1B}[M " + position + "\u{1B}[M#" + position])
    }

    /// The column at which `text` first appears on screen row `y`.
    func column(of text: String, row y: Int) throws -> Int? {
        let line = try screen().split(separator: "\n", omittingEmptySubsequences: false)[y]
        return line.range(of: text).map { line.distance(from: line.startIndex, to: $0.lowerBound) }
    }

    func send(_ keys: String...) throws {
        try tmux(["send-keys", "-t", "main"] + keys)
    }

    /// Waits until every needle is on screen; fails the test with the screen otherwise.
    @discardableResult
    func waitFor(_ needles: [String], timeout: TimeInterval = 20, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        while Date() < deadline {
            text = try screen()
            if needles.allSatisfy(text.contains) { return text }
            usleep(100_000)
        }
        let missing = needles.filter { !text.contains($0) }
        XCTFail("not on screen after \(Int(timeout)) s: \(missing)\n\(text)", file: file, line: line)
        throw TestFailure("screen wait failed")
    }

    /// The command's exit status (128 + N for signal N) once it has ended, else nil.
    func exitStatus() -> Int32? {
        guard let text = try? String(contentsOfFile: statusFile, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func waitForExit(timeout: TimeInterval = 10) throws -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = exitStatus() { return status }
            usleep(100_000)
        }
        return nil
    }
}

extension XCTestCase {
    /// What the terminal shows now equals what Ctrl-L's full repaint draws: no stale cell
    /// anywhere. Waits first until `ready` holds for the screen and the screen has stopped
    /// changing (the last key may still be repainting). Ages and clocks tick between two
    /// captures and are left out of the comparison.
    func assertMatchesFullRepaint(_ terminal: Terminal, _ context: String, ready: (String) -> Bool = { _ in true },
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        func capture() throws -> String {
            try terminal.screen().replacingOccurrences(of: #"\d+(s|m|h)( ago| old)|\d\d:\d\d:\d\d"#, with: "#", options: .regularExpression)
        }
        var shown = try capture()
        try waitUntil("\(context): the screen is drawn and settled", timeout: 10) {
            let again = try capture()
            defer { shown = again }
            return ready(again) && again == shown
        }
        try terminal.send("C-l")
        var repainted = ""
        try? waitUntil("\(context): the full repaint equals the screen before it", timeout: 5) {
            repainted = try capture()
            return ready(repainted) && repainted == shown
        }
        XCTAssertEqual(shown, repainted, "\(context): the screen differs from a full repaint (stale cells)", file: file, line: line)
    }
}

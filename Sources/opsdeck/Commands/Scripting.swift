import ArgumentParser
import Foundation
import PlatformClient
import PlatformModel
import TUI

// What the scriptable commands share: how they reach the platform, how they print (an
// aligned table for people, JSON for scripts), and what their exit status means.

/// Exit statuses, as sysexits(3) names them; `opsdeck help exit-codes` lists them.
enum ExitStatus: Int32, CaseIterable {
    case success = 0
    case other = 1
    case usage = 64
    /// The server refused the data (400, 422).
    case refused = 65
    case notFound = 66
    /// Unreachable, or timed out.
    case unavailable = 69
    /// Changed meanwhile (412, 409): read again and retry.
    case changedMeanwhile = 75
    /// Token refused, or the role may not.
    case permission = 77

    var meaning: String {
        switch self {
        case .success: "success"
        case .other: "anything else"
        case .usage: "usage: a wrong flag or argument"
        case .refused: "the server refused the data (400, 422)"
        case .notFound: "not found (404): no such app, release, switch or funnel"
        case .unavailable: "the server is unreachable or timed out"
        case .changedMeanwhile: "changed meanwhile (412, 409): read again and retry"
        case .permission: "the token was refused (401) or its role may not (403)"
        }
    }

    static func of(_ error: PlatformError) -> ExitStatus {
        switch error {
        case .invalidURL: .usage
        case .unreachable, .timedOut, .busy: .unavailable
        case .tokenRefused, .forbidden: .permission
        case .notFound: .notFound
        case .changedMeanwhile: .changedMeanwhile
        case .http(let status, _) where status == 409: .changedMeanwhile
        case .http(let status, _) where status == 400 || status == 422: .refused
        case .badResponse, .http, .cancelled: .other
        }
    }
}

/// A failure a command reports on stderr, with its exit status.
struct CommandFailure: Error, CustomStringConvertible {
    var status: ExitStatus
    var description: String

    init(_ status: ExitStatus, _ description: String) {
        self.status = status
        self.description = description
    }

    init(_ error: PlatformError) {
        self.init(ExitStatus.of(error), error.description)
    }
}

/// Runs a command's body: a failure is printed as "opsdeck: …" on stderr and the
/// process exits with its status.
func scripted<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let failure as CommandFailure {
        FileHandle.standardError.write(Data("opsdeck: \(failure.description)\n".utf8))
        throw ExitCode(failure.status.rawValue)
    } catch let error as PlatformError {
        FileHandle.standardError.write(Data("opsdeck: \(error.description)\n".utf8))
        throw ExitCode(ExitStatus.of(error).rawValue)
    } catch let error as ConfigError {
        FileHandle.standardError.write(Data("opsdeck: \(error.description)\n".utf8))
        throw ExitCode(ExitStatus.usage.rawValue)
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, jsonl
}

/// Connection and output options of every scriptable command.
struct ScriptOptions: ParsableArguments {
    @OptionGroup var platform: PlatformOptions

    @Option(name: [.short, .customLong("output")], help: "table (for people), json or jsonl (for scripts; field names as the API's).")
    var output: OutputFormat = .table

    @Option(name: .long, help: "Seconds to wait for the server (connect and answer).")
    var timeout: Double = 10

    func client() throws -> PlatformClient {
        let resolved = try platform.resolve()
        do throws(PlatformError) {
            return try PlatformClient(baseURL: resolved.api, token: resolved.token, timeouts: .init(connect: min(timeout, 5), total: timeout),
                                      caFile: resolved.cacert)
        } catch {
            throw CommandFailure(error)
        }
    }
}

/// Prints `items` as an aligned table (columns by terminal width, text sanitised) or as
/// JSON (one array) or JSON lines (one object a line), as the API sends them.
func emit<Item: Encodable>(_ items: [Item], as format: OutputFormat, columns: [String], row: (Item) -> [String]) throws {
    switch format {
    case .json:
        print(try jsonText(items))
    case .jsonl:
        for item in items { print(try jsonText(item)) }
    case .table:
        let rows = items.map { row($0).map(TerminalText.sanitized) }
        var widths = columns.map(TerminalText.width)
        for cells in rows {
            for (index, cell) in cells.enumerated() where index < widths.count { widths[index] = max(widths[index], TerminalText.width(cell)) }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : TerminalText.padded(cell, to: widths[index])
            }.joined(separator: "  ")
        }
        print(line(columns))
        for cells in rows { print(line(cells)) }
    }
}

func jsonText<Value: Encodable>(_ value: Value) throws -> String {
    let encoder = WireFormat.encoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Asks on a terminal; anything but y/yes is no. Without a terminal, `--yes` is needed.
func confirm(_ question: String, yes: Bool) throws {
    if yes { return }
    guard isatty(STDIN_FILENO) == 1 else {
        throw CommandFailure(.usage, "not a terminal to ask on: add --yes to make the change")
    }
    FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
    let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
    guard answer == "y" || answer == "yes" else { throw CommandFailure(.other, "not changed: the answer was not yes") }
}

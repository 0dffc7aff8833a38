import ArgumentParser
import Cache
import Foundation
import TUI

// Named contexts, as kubectl and k9s users know them: a TOML file at
// $XDG_CONFIG_HOME/opsdeck/config.toml (default ~/.config/opsdeck/config.toml) with
// `current-context = "NAME"` and `[[context]]` entries (name, api, one token source:
// token-file, token-env or token-command, and cacert, readonly, theme, production).
// Flags come first, then the environment (OPSDECK_API, OPSDECK_TOKEN), then the context
// chosen by --context, OPSDECK_CONTEXT or current-context. The token never appears in
// the process list or the log: it is read from a file only its owner may read, a
// variable, or a credential helper's stdout.

struct OpsDeckContext: Equatable {
    enum TokenSource: Equatable {
        case file(String)
        case environment(String)
        /// A command and its arguments, run without a shell.
        case command([String])
    }

    var name: String
    var api: String
    var token: TokenSource?
    var cacert: String?
    var readonly = false
    var theme: String?
    var production = false
    /// Where it is written, for messages.
    var line: Int
}

/// A mistake in the config, naming the file, the line and the key.
struct ConfigError: Error, CustomStringConvertible {
    var description: String
}

struct ContextConfig {
    var path: String
    var current: String?
    var contexts: [OpsDeckContext]

    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/opsdeck/config.toml" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.config/opsdeck/config.toml"
    }

    /// The config at `path`; an empty one when there is no file.
    static func load(_ path: String) throws -> ContextConfig {
        guard let data = FileManager.default.contents(atPath: path) else { return ContextConfig(path: path, current: nil, contexts: []) }
        guard let text = String(data: data, encoding: .utf8) else { throw ConfigError(description: "\(path): not UTF-8 text") }
        let file: SimpleTOML
        do {
            file = try SimpleTOML(parsing: text, arraysOfTables: ["context"])
        } catch let error as SimpleTOML.SyntaxError {
            throw ConfigError(description: "\(path):\(error.line): \(error.message)")
        }
        func fail(_ line: Int, _ key: String, _ message: String) -> ConfigError {
            ConfigError(description: "\(path):\(line): \(key): \(message)")
        }
        for entry in file.tables[""] ?? [] where entry.key != "current-context" {
            throw fail(entry.line, entry.key, "not a setting (the file holds current-context and [[context]] tables)")
        }
        if let extra = file.tables.keys.first(where: { !$0.isEmpty }) {
            throw ConfigError(description: "\(path): [\(extra)] is not a table of this file (contexts are [[context]])")
        }
        var current: String?
        if let entry = file.tables[""]?.first(where: { $0.key == "current-context" }) {
            guard let name = entry.value.asString else { throw fail(entry.line, "current-context", "must be a string, the name of a context") }
            current = name
        }
        var contexts: [OpsDeckContext] = []
        for table in file.arrays["context"] ?? [] {
            var name: String?, api: String?, token: OpsDeckContext.TokenSource?, cacert: String?, theme: String?
            var readonly = false, production = false
            for entry in table.entries {
                func string() throws -> String {
                    guard let text = entry.value.asString, !text.isEmpty else { throw fail(entry.line, entry.key, "must be a non-empty string") }
                    return text
                }
                func flag() throws -> Bool {
                    guard let value = entry.value.asBool else { throw fail(entry.line, entry.key, "must be true or false") }
                    return value
                }
                func setToken(_ source: OpsDeckContext.TokenSource) throws {
                    guard token == nil else { throw fail(entry.line, entry.key, "a context has one token source: token-file, token-env or token-command") }
                    token = source
                }
                switch entry.key {
                case "name": name = try string()
                case "api":
                    let text = try string()
                    guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                        throw fail(entry.line, "api", "must be an http:// or https:// address (got '\(text)')")
                    }
                    api = text
                case "token-file": try setToken(.file(try string()))
                case "token-env": try setToken(.environment(try string()))
                case "token-command":
                    let words = try string().split(separator: " ").map(String.init)
                    try setToken(.command(words))
                case "token": throw fail(entry.line, "token", "a token is not kept in the config: use token-file, token-env or token-command")
                case "cacert": cacert = try string()
                case "theme": theme = try string()
                case "readonly": readonly = try flag()
                case "production": production = try flag()
                default: throw fail(entry.line, entry.key, "not a context setting (name, api, token-file, token-env, token-command, cacert, readonly, theme, production)")
                }
            }
            guard let name else { throw fail(table.line, "[[context]]", "has no name") }
            guard let api else { throw fail(table.line, "[[context]] \(name)", "has no api") }
            guard !contexts.contains(where: { $0.name == name }) else { throw fail(table.line, "name", "context \(name) appears twice") }
            contexts.append(OpsDeckContext(name: name, api: api, token: token, cacert: cacert, readonly: readonly, theme: theme,
                                           production: production, line: table.line))
        }
        if let current, !contexts.contains(where: { $0.name == current }) {
            throw ConfigError(description: "\(path): current-context \(current) is not one of the contexts (\(contexts.map(\.name).joined(separator: ", ")))")
        }
        return ContextConfig(path: path, current: current, contexts: contexts)
    }

    func context(named name: String) throws -> OpsDeckContext {
        guard let context = contexts.first(where: { $0.name == name }) else {
            throw ConfigError(description: "no context \(name) in \(path)" + (contexts.isEmpty ? "" : " (there are: \(contexts.map(\.name).joined(separator: ", ")))"))
        }
        return context
    }

    /// Sets `current-context` in the file, keeping everything else as written.
    func use(_ name: String) throws {
        _ = try context(named: name)
        var lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").components(separatedBy: "\n")
        let setting = "current-context = \"\(name)\""
        if let index = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("current-context") }) {
            lines[index] = setting
        } else {
            lines.insert(setting, at: 0)
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

extension OpsDeckContext {
    /// The token, read now from its source.
    func readToken(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        switch token {
        case nil:
            return nil
        case .file(let file):
            let path = (file as NSString).expandingTildeInPath
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), let mode = attributes[.posixPermissions] as? Int else {
                throw ConfigError(description: "context \(name): cannot read token-file \(path)")
            }
            guard mode & 0o077 == 0 else {
                throw ConfigError(description: "context \(name): token-file \(path) is readable by others (mode \(String(mode, radix: 8))); run: chmod 600 \(path)")
            }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigError(description: "context \(name): cannot read token-file \(path)")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        case .environment(let variable):
            guard let value = environment[variable], !value.isEmpty else {
                throw ConfigError(description: "context \(name): token-env \(variable) is not set")
            }
            return value
        case .command(let words):
            return try runTokenCommand(words)
        }
    }

    /// Runs the credential helper without a shell; its stdout, trimmed, is the token.
    private func runTokenCommand(_ words: [String]) throws -> String {
        guard let program = words.first else { throw ConfigError(description: "context \(name): token-command is empty") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program.hasPrefix("/") ? program : "/usr/bin/env")
        process.arguments = program.hasPrefix("/") ? Array(words.dropFirst()) : words
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw ConfigError(description: "context \(name): cannot run token-command \(program): \(error.localizedDescription)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ConfigError(description: "context \(name): token-command \(program) exited \(process.terminationStatus)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw ConfigError(description: "context \(name): token-command \(program) printed no token") }
        return token
    }
}

/// Where a command's address and token come from, after precedence: flags, then the
/// environment, then the context.
struct ResolvedPlatform {
    var api: String
    var token: String?
    var cacert: String?
    var context: OpsDeckContext?
}

struct ContextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "context", abstract: "Named contexts (api, token source, flags) in the config file.",
        subcommands: [List.self, Use.self, Show.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The contexts; * marks the current one.")
        func run() throws {
            try scripted {
                let config = try ContextConfig.load(ContextConfig.defaultPath())
                guard !config.contexts.isEmpty else { return print("no contexts in \(config.path)") }
                let rows = config.contexts.map { [$0.name == config.current ? "*" : "", $0.name, $0.api, $0.production ? "production" : "", $0.readonly ? "read-only" : ""] }
                let widths = (0..<5).map { column in ([["", "NAME", "API", "", ""]] + rows).map { TerminalText.width($0[column]) }.max() ?? 0 }
                for row in [["", "NAME", "API", "", ""]] + rows {
                    print(row.enumerated().map { TerminalText.padded($0.element, to: widths[$0.offset]) }.joined(separator: "  ")
                        .trimmingCharacters(in: .whitespaces))
                }
            }
        }
    }

    struct Use: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a context the current one.")
        @Argument(completion: .custom { _, _, prefix in contextNames(prefix) }) var name: String
        func run() throws {
            try scripted {
                let config = try ContextConfig.load(ContextConfig.defaultPath())
                try config.use(name)
                print("current context: \(name)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A context's settings (the token's source, never the token).")
        @Argument(completion: .custom { _, _, prefix in contextNames(prefix) }) var name: String?
        func run() throws {
            try scripted {
                let config = try ContextConfig.load(ContextConfig.defaultPath())
                guard let chosen = name ?? ProcessInfo.processInfo.environment["OPSDECK_CONTEXT"] ?? config.current else {
                    throw CommandFailure(.usage, "no current context in \(config.path): name one, or `opsdeck context use NAME`")
                }
                let context = try config.context(named: chosen)
                let source: String = switch context.token {
                case nil: "none"
                case .file(let path): "token-file \(path)"
                case .environment(let variable): "token-env \(variable)"
                case .command(let words): "token-command \(words.joined(separator: " "))"
                }
                for (key, value) in [("name", context.name), ("api", context.api), ("token", source), ("cacert", context.cacert ?? "—"),
                                     ("readonly", String(context.readonly)), ("theme", context.theme ?? "—"), ("production", String(context.production)),
                                     ("defined", "\(config.path):\(context.line)")] {
                    print(TerminalText.padded(key, to: 11) + value)
                }
            }
        }
    }
}

/// Context names for shell completion, from the config file.
func contextNames(_ prefix: String) -> [String] {
    ((try? ContextConfig.load(ContextConfig.defaultPath()))?.contexts ?? []).map(\.name).filter { $0.hasPrefix(prefix) }
}

/// The cache file a completion reads: OPSDECK_CACHE, else the context's (OPSDECK_CONTEXT
/// or current-context), else the address's (OPSDECK_API). nil when there is none yet.
private func completionCache(environment: [String: String] = ProcessInfo.processInfo.environment) -> CacheStore? {
    var path = environment["OPSDECK_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
    if path == nil {
        let config = try? ContextConfig.load(ContextConfig.defaultPath(environment: environment))
        if let name = environment["OPSDECK_CONTEXT"].flatMap({ $0.isEmpty ? nil : $0 }) ?? config?.current {
            path = CacheLocation.path(context: "context-\(name)", environment: environment)
        } else if let api = environment["OPSDECK_API"], !api.isEmpty {
            path = CacheLocation.path(context: api, environment: environment)
        }
    }
    // Only a cache that is there: a completion creates nothing.
    guard let path, FileManager.default.fileExists(atPath: path) else { return nil }
    return try? CacheStore(path: path)
}

/// App ids for shell completion, from the cache.
func cachedApps(_ prefix: String) -> [String] {
    ((try? completionCache()?.apps()) ?? []).map(\.id).filter { $0.hasPrefix(prefix) }
}

/// An app's release versions for shell completion, from the cache; the app is the word
/// before the one being completed.
func cachedVersions(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
    guard index > 0, words.indices.contains(index - 1) else { return [] }
    return ((try? completionCache()?.releases(app: words[index - 1])) ?? []).map(\.version).filter { $0.hasPrefix(prefix) }
}

import ArgumentParser
import Cache
import Console
import Foundation
import Logging
import PlatformClient
import PlatformServer
import Simulator
import TUI

@main
enum Entry {
    static func main() {
        // A server answering devices: its request handling runs on the event loops. Must
        // happen before the first task, so before the command's async main.
        if CommandLine.arguments.dropFirst().first == "serve" { _ = PlatformServer.runConcurrencyOnEventLoops() }
        Task {
            await OpsDeck.main()
            exit(0)
        }
        dispatchMain()
    }
}

struct OpsDeck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "opsdeck",
        abstract: "A terminal operations console for a mobile app platform.",
        discussion: """
            Run `opsdeck demo` to try it against a local reference platform, or
            `opsdeck --api URL --token TOKEN` against a real one.
            """,
        version: PlatformServer.version,
        subcommands: [
            ConsoleCommand.self, DemoCommand.self, ServeCommand.self, SimulateCommand.self,
            ContextCommand.self, AppsCommand.self, ReleasesCommand.self, ReleaseCommand.self, SwitchesCommand.self, IssuesCommand.self, EventsCommand.self, FunnelCommand.self, AuditCommand.self,
            WhoAmICommand.self, VersionCommand.self,
            GrayCommand.self, ReleaseMoveCommand<HaltMove>.self, ReleaseMoveCommand<ResumeMove>.self, ReleaseMoveCommand<RollbackMove>.self,
            ReleaseMoveCommand<AdvanceMove>.self, SwitchCommand.self,
            ExitCodesCommand.self,
        ],
        defaultSubcommand: ConsoleCommand.self)
}

/// Options every command that draws the console shares.
struct DisplayOptions: ParsableArguments {
    @Option(name: .long, help: "Theme name (from Themes/) or path to a .toml theme file.")
    var theme: String?

    @Option(name: .long, help: "Log file (default: $XDG_STATE_HOME/opsdeck/opsdeck.log).")
    var log: String?

    @Flag(name: .long, help: "Read-only: refuse every change (for watching, or for a shared screen).")
    var readonly = false

    @Flag(name: .long, help: "No mouse: leave clicks to the terminal (e.g. to select text).")
    var noMouse = false

    @Option(name: .long, help: "Keep crash events and audit entries in the cache this many days.")
    var keepDays: Double = 7

    @Option(name: .long, help: "Keep at most this many crash events per app in the cache.")
    var keepEvents: Int = 100_000

    func validate() throws {
        guard keepDays > 0 else { throw ValidationError("--keep-days must be more than 0 (got \(keepDays))") }
        guard keepEvents >= 100 else { throw ValidationError("--keep-events must be at least 100 (got \(keepEvents))") }
    }

    var retention: Retention {
        Retention(maximumAge: keepDays * 86_400, crashEventsPerApp: keepEvents)
    }

    /// The theme to use, and a notice when the asked-for one could not be used.
    /// NO_COLOR (https://no-color.org) selects the monochrome theme.
    func resolveTheme() -> (Theme, String?) {
        let environment = ProcessInfo.processInfo.environment
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let wanted = noColor ? "mono" : (theme ?? "default")
        let searchPath = Theme.searchPath()
        do {
            return (try Theme.load(wanted, searchPath: searchPath), nil)
        } catch {
            return (Theme.fallback, "\(error); using the built-in fallback theme")
        }
    }

    func makeLogger(label: String) -> (Logger, LogFile) {
        let file = LogFile(path: log ?? LogFile.defaultPath())
        var logger = Logger(label: label) { label in FileLogHandler(label: label, file: file) }
        logger.logLevel = .info
        return (logger, file)
    }
}

/// Where the platform is and how to authenticate, for the commands that talk to one.
struct PlatformOptions: ParsableArguments {
    @Option(name: .long, help: "A context of the config file ($XDG_CONFIG_HOME/opsdeck/config.toml; env OPSDECK_CONTEXT).",
            completion: .custom { _, _, prefix in
                contextNames(prefix)
            })
    var context: String?

    @Option(name: .long, help: "Platform API address, e.g. http://127.0.0.1:8080 (env OPSDECK_API).")
    var api: String?

    @Option(name: .long, help: "Bearer token (env OPSDECK_TOKEN; better: a context's token-file, or the variable, not in the process list).")
    var token: String?

    @Option(name: .long, help: "PEM file of CA certificates to trust for https (a private CA). TLS is always verified.")
    var cacert: String?

    func validate() throws {
        if let cacert, !FileManager.default.isReadableFile(atPath: cacert) {
            throw ValidationError("--cacert \(cacert): no such readable file")
        }
    }

    /// The address (required), token and CA: flags first, then the environment, then the
    /// context (--context, OPSDECK_CONTEXT, or the config's current-context).
    func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ResolvedPlatform {
        let flagAPI = api ?? environment["OPSDECK_API"].flatMap { $0.isEmpty ? nil : $0 }
        let flagToken = token ?? environment["OPSDECK_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let named = context ?? environment["OPSDECK_CONTEXT"].flatMap { $0.isEmpty ? nil : $0 }
        var chosen: OpsDeckContext?
        // The config is read only when it can matter: an address and token given in
        // full need no file, and a broken file does not stop them.
        if named != nil || flagAPI == nil || flagToken == nil {
            do {
                let config = try ContextConfig.load(ContextConfig.defaultPath(environment: environment))
                if let named { chosen = try config.context(named: named) } else if flagAPI == nil, let current = config.current {
                    chosen = try config.context(named: current)
                }
            } catch let error as ConfigError {
                throw CommandFailure(.usage, error.description)
            }
        }
        guard let api = flagAPI ?? chosen?.api else {
            throw CommandFailure(.usage, "no platform address: pass --api URL, set OPSDECK_API, or add a context to \(ContextConfig.defaultPath(environment: environment)) (or try `opsdeck demo`)")
        }
        var token = flagToken
        if token == nil, let chosen {
            do { token = try chosen.readToken(environment: environment) } catch let error as ConfigError { throw CommandFailure(.usage, error.description) }
        }
        return ResolvedPlatform(api: api, token: token, cacert: cacert ?? chosen?.cacert, context: chosen)
    }
}

/// Asks the platform who the token is (`GET /v1/me`, 5 s at most) before the console
/// draws anything: a malformed address is a usage error (64), a refused token 77, an
/// unreachable server 69 unless a cache exists, in which case the console starts on it
/// and the returned notice says so. A slow or odd answer is left to the console, which
/// shows what it knows and how stale it is.
func preflight(api: String, token: String?, caFile: String?, cachePath: String) throws -> String? {
    do throws(PlatformError) {
        let client = try PlatformClient(baseURL: api, token: token, timeouts: .init(connect: 3, total: 5), caFile: caFile)
        _ = try client.me()
        return nil
    } catch {
        switch error {
        case .invalidURL:
            throw CommandFailure(.usage, error.description)
        case .tokenRefused:
            throw CommandFailure(.permission, error.description + " (check --token or OPSDECK_TOKEN)")
        case .unreachable:
            let cached = ((try? FileManager.default.attributesOfItem(atPath: cachePath)[.size] as? Int) ?? 0) > 0
            guard cached else {
                throw CommandFailure(.unavailable, error.description + "; nothing is cached for it yet, so there is nothing to show")
            }
            return "\(error.description): starting offline on the cache"
        default:
            return nil
        }
    }
}

/// Blocks the calling thread until the console quits.
/// Blocks the calling thread until the console quits; returns the context the person
/// asked to switch to (`:context`), if that is why it ended.
func runConsole(_ options: ConsoleOptions, logger: Logger) throws -> String? {
    let runtime = try ConsoleRuntime(options: options, logger: logger)
    // Ended by a signal: the terminal is restored by now; exit as a shell expects.
    if let signal = runtime.run() { exit(128 + signal) }
    return runtime.nextContext
}

struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "The full-screen console (the default command).")

    @OptionGroup var platform: PlatformOptions

    @Option(name: .long, help: "Cache file (env OPSDECK_CACHE; default under $XDG_CACHE_HOME/opsdeck/).")
    var cache: String?

    @OptionGroup var display: DisplayOptions

    func run() throws {
        var resolved = try scripted { try platform.resolve() }
        // `:context NAME` ends the console; it starts again on that context.
        while let next = try runOnce(resolved) {
            resolved = try scripted {
                let config = try ContextConfig.load(ContextConfig.defaultPath())
                let context = try config.context(named: next)
                return ResolvedPlatform(api: context.api, token: try context.readToken(), cacert: context.cacert, context: context)
            }
        }
    }

    private func runOnce(_ resolved: ResolvedPlatform) throws -> String? {
        let (api, token) = (resolved.api, resolved.token)
        // Each context has its own cache; an address given by hand, the address's.
        let cachePath = cache ?? CacheLocation.path(context: resolved.context.map { "context-\($0.name)" } ?? api)
        // Before the screen: a wrong address or a refused token is said here, with an exit
        // status a script can test, not discovered on a drawn screen.
        let offline = try scripted { try preflight(api: api, token: token, caFile: resolved.cacert, cachePath: cachePath) }
        var display = display
        if display.theme == nil { display.theme = resolved.context?.theme }
        if resolved.context?.readonly == true { display.readonly = true }
        var (theme, notice) = display.resolveTheme()
        if let offline { notice = [notice, offline].compactMap { $0 }.joined(separator: "; ") }
        let (logger, _) = display.makeLogger(label: "opsdeck.console")
        var options = ConsoleOptions(apiURL: api, token: token, cachePath: cachePath, theme: theme, startupNotice: notice,
                                     retention: display.retention, readOnly: display.readonly, mouse: !display.noMouse,
                                     caFile: resolved.cacert, context: resolved.context.map { ConsoleContext(name: $0.name, production: $0.production) })
        options.contextNames = ((try? ContextConfig.load(ContextConfig.defaultPath()))?.contexts ?? []).map(\.name)
        do {
            return try runConsole(options, logger: logger)
        } catch let error as ConsoleError {
            throw ValidationError(error.description)
        }
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the reference platform API server.",
        discussion: """
            Without --tokens, an admin token is generated and printed as the first line
            of output: `token: TOKEN`. The next line says where the server listens;
            with --gateway, the line after it where devices check for upgrades.
            """)

    @Option(name: .long, help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen: String = "127.0.0.1:8080"

    @Option(name: .long, help: ArgumentHelp(
        "The store: a SQLite file, or postgres://USER[:PASSWORD]@HOST:PORT/DATABASE (default: $OPSDECK_DB, else in memory).",
        discussion: "A new store is created, migrated and seeded. Several servers may share one PostgreSQL database."))
    var db: String?

    /// --db, else $OPSDECK_DB.
    var store: String? {
        db ?? ProcessInfo.processInfo.environment["OPSDECK_DB"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The store as messages may show it: a PostgreSQL URL without its password.
    var storeName: String {
        guard let store else { return "(memory)" }
        return ((try? PostgresLocation(store)) ?? nil)?.description ?? store
    }

    @Option(name: .long, help: "Seed of the demo catalogue put into a new store.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "TOML file of [[token]] tables with name, role and token.")
    var tokens: String?

    @Flag(name: .long, help: "Also run the simulated device fleet against this server.")
    var simulate = false

    @Option(name: .long, help: "With --simulate: events per second.")
    var rate: Double = 30

    @Option(name: .long, help: ArgumentHelp(
        "Also answer the upgrade check on a device gateway at HOST:PORT (port 0 picks a free one).",
        discussion: "Lean event loops, one per core, for GET /v1/sdk/check only: a fleet's launches do not queue behind operators' requests."))
    var gateway: String?

    @Option(name: .long, help: "With --gateway: event loops (threads) to run it on (default: one per core).")
    var gatewayLoops: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: "Sentry events and sessions one app may send a minute; past it, 429 with Retry-After.")
    var sentryRateLimit: Int = 60_000

    @Option(name: .long, help: "Days of sessions, crash events and funnel steps to keep (0: keep everything). Issues, releases and the audit log are kept.")
    var retentionDays: Int = 90

    @Flag(name: .long, help: "Create or migrate the --db store to this version's schema, say what was applied, and exit (for deploy pipelines).")
    var migrateOnly = false

    func validate() throws {
        if migrateOnly && store == nil { throw ValidationError("--migrate-only needs --db FILE or --db postgres://…: an in-memory store has nothing to keep") }
        guard (1...256).contains(gatewayLoops) else { throw ValidationError("--gateway-loops must be 1 to 256 (got \(gatewayLoops))") }
        guard (0...3650).contains(retentionDays) else { throw ValidationError("--retention-days must be 0 (keep everything) to 3650 (got \(retentionDays))") }
        guard sentryRateLimit >= 1 else { throw ValidationError("--sentry-rate-limit must be at least 1 (got \(sentryRateLimit))") }
    }

    func run() async throws {
        if migrateOnly, let store {
            let migration: StoreMigration
            do {
                migration = try await ServerStore.migrate(path: store)
            } catch {
                throw ValidationError("cannot migrate the store \(storeName): \(error)")
            }
            let version = migration.current.prefix { $0 != ":" }
            if migration.applied.isEmpty {
                emit("store \(storeName): already at \(version), nothing to apply")
            } else {
                emit("store \(storeName): applied \(migration.applied.count) migration\(migration.applied.count == 1 ? "" : "s"), now at \(version)")
                for name in migration.applied { emit("  \(name)") }
            }
            return
        }
        let (host, port) = try parseListen(listen)
        let accessTokens: [AccessToken]
        var printedToken: String?
        if let tokens {
            do {
                accessTokens = try TokenFile.load(path: tokens)
            } catch {
                throw ValidationError(String(describing: error))
            }
        } else {
            let admin = AccessToken.generatedAdmin()
            accessTokens = [admin]
            printedToken = admin.token
        }
        if let printedToken { emit("token: \(printedToken)") }
        var logger = Logger(label: "opsdeck.server") { label in FileLogHandler(label: label, file: nil) }
        logger.logLevel = .info
        let server: PlatformServer
        do {
            var configuration = ServerConfiguration(host: host, port: port, databasePath: store, seed: seed, tokens: accessTokens)
            configuration.storeLogger = logger
            configuration.retentionDays = retentionDays == 0 ? nil : retentionDays
            configuration.sentryEventsPerMinute = sentryRateLimit
            server = try await PlatformServer(configuration: configuration)
        } catch {
            throw ValidationError("cannot open the store \(storeName): \(error)")
        }
        var deviceGateway: DeviceGateway?
        var gatewayAddress: (host: String, port: Int)?
        if let gateway {
            let (gatewayHost, gatewayPort) = try parseListen(gateway, option: "--gateway")
            do {
                let started = try DeviceGateway(server: server, configuration: .init(host: gatewayHost, port: gatewayPort, loops: gatewayLoops),
                                            logger: logger)
                deviceGateway = started
                gatewayAddress = (gatewayHost, started.port)
            } catch {
                throw ValidationError(String(describing: error))
            }
        }
        defer { deviceGateway?.stop() }
        let simulate = simulate, rate = rate, seed = seed, fleetLogger = logger, devices = gatewayAddress
        try await server.run(logger: logger, stopOnSignals: true) { port in
            emit("listening on \(httpURL(host, port))")
            if let devices { emit("devices on \(httpURL(devices.host, devices.port))") }
            if simulate {
                startFleet(apiURL: httpURL(host, port, connecting: true), checkURL: devices.map { httpURL($0.host, $0.port, connecting: true) },
                           token: accessTokens[0].token, rate: rate, seed: seed, logger: fleetLogger)
            }
        }
    }
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start a reference platform on a free loopback port and the console against it.",
        discussion: "Quitting the console stops the server and removes its temporary store.")

    @Option(name: .long, help: "Seed of the demo catalogue.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Cache file (env OPSDECK_CACHE; default: a temporary one).")
    var cache: String?

    @Option(name: .long, help: ArgumentHelp(
        "TOML file of [[token]] tables with name, role and token; the console uses the first.",
        discussion: "Try the console as a viewer or a support engineer, or reach the demo's API with a token you know. Default: a fresh admin token."))
    var tokens: String?

    @Option(name: .long, help: "Events per second the simulated fleet sends.")
    var rate: Double = 25

    @OptionGroup var display: DisplayOptions

    func run() async throws {
        let (theme, notice) = display.resolveTheme()
        let (logger, logFile) = display.makeLogger(label: "opsdeck.demo")
        let workspace = FileManager.default.temporaryDirectory
            .appendingPathComponent("opsdeck-demo-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workspace) }

        var accessTokens = [AccessToken.generatedAdmin()]
        if let tokens {
            do {
                accessTokens = try TokenFile.load(path: tokens)
            } catch {
                throw ValidationError(String(describing: error))
            }
        }
        // The console uses the first token (devices may send with any role's).
        guard let admin = accessTokens.first else { throw ValidationError("\(tokens ?? "the tokens file") lists no [[token]]") }
        let server = try await PlatformServer(configuration: .init(
            host: "127.0.0.1", port: 0, databasePath: workspace.appendingPathComponent("platform.sqlite").path,
            seed: seed, tokens: accessTokens))
        var serverLogger = Logger(label: "opsdeck.server") { label in FileLogHandler(label: label, file: logFile) }
        serverLogger.logLevel = .warning

        let (ready, readyContinuation) = AsyncStream<Int>.makeStream()
        let serverTask = Task {
            do {
                try await server.run(logger: serverLogger) { port in readyContinuation.yield(port) }
            } catch {
                logger.error("demo server stopped: \(error)")
            }
            readyContinuation.finish()
        }
        defer { serverTask.cancel() }
        guard let port = await ready.first(where: { _ in true }) else {
            throw ValidationError("the demo server did not start; see \(logFile.path)")
        }
        let environment = ProcessInfo.processInfo.environment
        let cachePath = cache ?? environment["OPSDECK_CACHE"] ?? workspace.appendingPathComponent("cache.sqlite").path
        let options = ConsoleOptions(
            apiURL: "http://127.0.0.1:\(port)", token: admin.token, cachePath: cachePath, theme: theme,
            startupNotice: notice, retention: display.retention, readOnly: display.readonly, mouse: !display.noMouse)
        logger.info("demo platform on port \(port), store in \(workspace.path)")
        let fleet = startFleet(apiURL: "http://127.0.0.1:\(port)", token: admin.token, rate: max(0.1, rate), seed: seed, logger: serverLogger)
        defer { fleet.stop() }
        // The console blocks its thread in poll(); give it a thread of its own so that
        // the server's tasks keep the cooperative pool.
        let failure: String? = await withCheckedContinuation { continuation in
            let thread = Thread {
                do {
                    _ = try runConsole(options, logger: logger)  // the demo has no contexts to switch to
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(returning: String(describing: error))
                }
            }
            thread.name = "opsdeck.ui"
            thread.start()
        }
        if let failure { throw ValidationError(failure) }
    }
}

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the simulated device fleet against a platform server.",
        discussion: "Prints what it sent every 5 seconds; stops on Ctrl-C or after --events.")

    @OptionGroup var platform: PlatformOptions

    @Option(name: .long, help: "How many devices.")
    var devices: Int = 500

    @Option(name: .long, help: "Events (sessions, crashes, ANRs) per second.")
    var rate: Double = 50

    @Option(name: .long, help: "Seed: the same seed gives the same fleet and events.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Stop after this many events.")
    var events: Int?

    @Option(name: .long, help: "Device gateway URL for the upgrade checks (what `opsdeck serve --gateway` prints); default: the API.")
    var gateway: String?

    func run() throws {
        let resolved = try scripted { try platform.resolve() }
        guard let token = resolved.token else { throw ValidationError("the simulator needs a token: --token, OPSDECK_TOKEN or a context") }
        var configuration = Fleet.Configuration(apiURL: resolved.api, token: token, devices: devices, rate: rate, seed: seed)
        configuration.caFile = resolved.cacert
        configuration.checkURL = gateway
        let fleet = Fleet(configuration: configuration)
        let started = Date()
        let reporter = DispatchSource.makeTimerSource(queue: .global())
        reporter.schedule(deadline: .now() + 5, repeating: 5)
        reporter.setEventHandler { report(fleet.statistics, since: started) }
        reporter.resume()
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        interrupt.setEventHandler { fleet.stop() }
        interrupt.resume()
        do {
            try fleet.run(limit: events)
        } catch {
            throw ValidationError(error.description)
        }
        reporter.cancel()
        report(fleet.statistics, since: started)
    }
}

private func report(_ stats: Fleet.Statistics, since started: Date) {
    let seconds = max(0.001, Date().timeIntervalSince(started))
    var line = "sent \(stats.events) events (\(stats.sessions) sessions, \(stats.crashes) crashes, \(stats.anrs) ANRs, \(stats.funnelSteps) funnel steps) "
    line += "in \(Int(seconds)) s, \(String(format: "%.0f", Double(stats.events) / seconds))/s; "
    line += "\(stats.checks) checks, \(stats.upgrades) upgrades, \(stats.failures) failures"
    if let error = stats.lastError { line += "; last error: \(error)" }
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Runs a fleet on a thread of its own (it blocks on HTTP); logs how it ends.
@discardableResult
func startFleet(apiURL: String, checkURL: String? = nil, token: String, rate: Double, seed: UInt64, logger: Logger) -> Fleet {
    var configuration = Fleet.Configuration(apiURL: apiURL, token: token, devices: 400, rate: rate, seed: seed)
    configuration.checkURL = checkURL
    let fleet = Fleet(configuration: configuration)
    let thread = Thread {
        do {
            try fleet.run()
        } catch {
            logger.error("the simulated fleet stopped: \(error)")
        }
    }
    thread.name = "opsdeck.fleet"
    thread.start()
    return fleet
}

/// The URL of a server listening on host:port; `connecting`: the address a client on
/// this machine uses when the server listens on every interface.
func httpURL(_ host: String, _ port: Int, connecting: Bool = false) -> String {
    let address = connecting && (host == "0.0.0.0" || host == "::") ? "127.0.0.1" : host
    return "http://\(address.contains(":") ? "[\(address)]" : address):\(port)"
}

/// Splits "HOST:PORT" (or "[v6]:PORT", or ":PORT").
func parseListen(_ text: String, option: String = "--listen") throws -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
        throw ValidationError("\(option) wants HOST:PORT, e.g. 127.0.0.1:8080 (got '\(text)')")
    }
    var host = String(text[..<colon])
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    return (host.isEmpty ? "127.0.0.1" : host, port)
}

/// A line on stdout, flushed at once: scripts read the token line before the server ends.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

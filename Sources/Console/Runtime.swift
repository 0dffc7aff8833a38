import Cache
import CLinux
import Dispatch
import Foundation
import Logging
import PlatformClient
import PlatformModel
import Sync
import Synchronization
import TUI
#if canImport(Glibc)
import Glibc
#endif

/// What the console needs to start.
public struct ConsoleOptions: Sendable {
    public var apiURL: String
    public var token: String?
    public var cachePath: String
    public var theme: Theme
    /// A notice to show in the flash line on start (e.g. "theme not found, using ...").
    public var startupNotice: String?
    public var retention: Retention
    /// Refuse every change (also hides the keys that would make one).
    public var readOnly: Bool
    /// Clicks and the wheel (`--no-mouse` leaves the terminal's own selection alone).
    public var mouse: Bool
    /// PEM CA certificates to trust for https (`--cacert`).
    public var caFile: String?
    /// The named context the console runs in, if it came from one.
    public var context: ConsoleContext?
    /// The config's contexts, for `:context`.
    public var contextNames: [String] = []

    public init(apiURL: String, token: String?, cachePath: String, theme: Theme, startupNotice: String? = nil, retention: Retention = .init(), readOnly: Bool = false, mouse: Bool = true, caFile: String? = nil,
                context: ConsoleContext? = nil) {
        self.context = context
        self.apiURL = apiURL
        self.token = token
        self.cachePath = cachePath
        self.theme = theme
        self.startupNotice = startupNotice
        self.retention = retention
        self.readOnly = readOnly
        self.mouse = mouse
        self.caFile = caFile
    }
}

public struct ConsoleError: Error, CustomStringConvertible {
    public var description: String
}

/// Runs the full-screen console on the calling thread until the person quits or a
/// SIGINT/SIGTERM/SIGHUP arrives. The terminal is restored on every way out.
///
/// The loop knows nothing of panes: it gathers keys, resizes, the clock, Sync's changes
/// and the results of effects into messages; hands each to `update`; runs every effect
/// `update` returns (`EffectRunner`, off this thread); and draws when something changed.
/// This thread never reads the cache, the network or a file.
public final class ConsoleRuntime {
    private let options: ConsoleOptions
    private let logger: Logger
    private let cache: CacheStore
    private let sync: SyncEngine
    private let inbox = Inbox()
    private var state: ConsoleState
    private let quitRequested = QuitFlag()
    /// Set when the person asked for another context (`:context`): the caller starts a
    /// console again on it.
    public private(set) var nextContext: String?
    private var latency = PaintLatency()
    private let requests: RequestWorker
    private let reader: CacheReader
    private let effects: EffectRunner

    public init(options: ConsoleOptions, logger: Logger) throws {
        if let problem = Self.terminalProblem() { throw ConsoleError(description: problem) }
        self.options = options
        self.logger = logger
        do {
            cache = try CacheStore(path: options.cachePath)
        } catch {
            throw ConsoleError(description: "cannot open or create the cache at \(options.cachePath): \(error)")
        }
        let inbox = inbox
        sync = SyncEngine(
            settings: .init(apiURL: options.apiURL, token: options.token, retention: options.retention, caFile: options.caFile), cache: cache, logger: logger,
            onChange: { inbox.cacheChanged() }, onConfirmed: { inbox.post(.confirmed(at: $0)) })
        requests = RequestWorker(apiURL: options.apiURL, token: options.token, caFile: options.caFile, logger: logger, deliver: { inbox.post($0) })
        let sync = sync
        reader = CacheReader(cache: cache, status: { sync.status }, logger: logger, deliver: { inbox.post($0) })
        effects = EffectRunner(cache: cache, sync: sync, requests: requests, reader: reader, logger: logger, deliver: { inbox.post($0) })
        state = ConsoleState(server: options.apiURL, sync: sync.status, now: Date())
        state.readOnly = options.readOnly
        state.context = options.context
        state.contextNames = options.contextNames
        state.theme = options.theme
        state.themeNames = Theme.available(searchPath: Theme.searchPath())
    }

    /// Runs until the person quits or a signal arrives; returns the signal, if one ended
    /// it (the caller exits with 128 + it, as a shell expects), after the terminal is restored.
    @discardableResult
    public func run() -> Int32? {
        defer { logger.info("console stopped") }
        runLoop()
        return quitRequested.number
    }

    private func runLoop() {
        opsdeck_name_thread("opsdeck-ui")
        let signals = installSignalHandlers()
        defer { signals.forEach { $0.cancel() } }

        let terminal = CursesTerminal(colors: options.theme.name != "mono", mouse: options.mouse)
        defer {
            terminal.stop()
            sync.stop()
            requests.stop()
            reader.stop()
        }
        // The first messages: the screen's size, and what to say at once. `update`
        // answers them with the first cache read and Sync's focus.
        var messages: [Message] = [.resized(terminal.size)]
        if let note = cache.recoveryNote { messages.append(.notice(note, isError: true)) }
        if let note = options.startupNotice { messages.append(.notice(note, isError: true)) }
        sync.start()
        logger.info("console started against \(options.apiURL), cache \(options.cachePath), theme \(options.theme.name)")

        var running = true
        var needsDraw = true
        var onScreen: Frame?
        var seen: UInt64 = 0
        var clockFace = state.clockFace
        defer { latency.log(to: logger) }
        while running && !quitRequested.isSet {
            let now = Date()
            // The clock first: every other message of this turn sees the same time.
            messages.insert(.tick(now), at: 0)
            // The size as the kernel has it: a burst of resizes can end without a last
            // KEY_RESIZE from ncurses (SIGWINCH only interrupts the wait), and a screen
            // drawn for a size that is gone shows stale cells until Ctrl-L.
            let size = terminal.size
            if size != state.size { messages.append(.resized(size)) }
            messages += inbox.take(seen: &seen)
            if messages.count > 1 { needsDraw = true }
            for message in messages {
                for effect in update(&state, message) {
                    switch effects.run(effect) {
                    case .none: break
                    case .quit: running = false
                    case .switchContext(let name):
                        nextContext = name
                        running = false
                    case .redrawAll: terminal.invalidate()
                    }
                }
            }
            messages = []
            guard running else { break }
            // A turn with nothing but the clock draws only when what the clock shows moved.
            if state.clockFace != clockFace {
                clockFace = state.clockFace
                needsDraw = true
            }
            if needsDraw {
                let drawn = frame(state, theme: state.theme, size: size)
                terminal.draw(drawn.canvas)
                onScreen = drawn
                latency.painted(state)
                needsDraw = false
            }
            let timeout = Duration.milliseconds(max(1, Int(state.nextTick.timeIntervalSince(Date()) * 1000)))
            let wait = inbox.waker.wait(input: STDIN_FILENO, timeout: timeout)
            if wait.input {
                let keys = terminal.readKeys()
                if keys.isEmpty && isStdinGone() {
                    logger.info("terminal closed; quitting")
                    break
                }
                messages = keys.map { key in
                    switch key {
                    case .resize: .resized(terminal.size)
                    case .mouse(let x, let y, let button): .pointer(button, onScreen?.hits.target(atX: x, y: y), x: x)
                    default: .key(key)
                    }
                }
            }
        }
    }

    /// Why this terminal cannot show the console, or nil: a full-screen console needs a
    /// terminal on standard input and output that can address the cursor.
    static func terminalProblem(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            return "the console needs a terminal: standard input and output must be one (not a pipe or a file)"
        }
        let term = environment["TERM"] ?? ""
        if term.isEmpty || term == "dumb" || term == "unknown" {
            return "this terminal (TERM=\(term.isEmpty ? "unset" : term)) cannot move the cursor; run OpsDeck in xterm, tmux, "
                + "screen or a similar terminal, or set TERM to what yours is (e.g. TERM=xterm-256color)"
        }
        return nil
    }

    /// SIGINT, SIGTERM and SIGHUP (the SSH link dropped) end the loop cleanly, so that
    /// the terminal is always restored.
    private func installSignalHandlers() -> [any DispatchSourceSignal] {
        // A resize wakes the loop, which reads the size from the kernel each turn: ncurses'
        // own SIGWINCH handling reports a burst of resizes late or not at all.
        signal(SIGWINCH, SIG_IGN)
        let resize = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
        let waker = inbox.waker
        resize.setEventHandler { waker.wake() }
        resize.resume()
        return [resize] + [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            let flag = quitRequested, waker = inbox.waker
            source.setEventHandler {
                flag.set(number)
                waker.wake()
            }
            source.resume()
            return source
        }
    }

    private func isStdinGone() -> Bool {
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)]
        return poll(&fds, 1, 0) > 0 && fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }
}

/// How old the newest crash event was when it was painted (its device time to the
/// screen), for `make bench`: logged when the console ends. Meaningful when the devices
/// share this machine's clock, as the benchmark's do.
struct PaintLatency {
    private var newestPainted: Int64?
    private var milliseconds: [Double] = []

    /// Counts each paint that shows a newer event than the last; the first paint only
    /// sets the mark (it may show what was cached before).
    mutating func painted(_ state: ConsoleState) {
        guard state.pane == .crashes, !state.livePaused, let newest = state.crashEvents.first, newest.id > newestPainted ?? -1 else { return }
        if newestPainted != nil, milliseconds.count < 1_000_000 { milliseconds.append(Date().timeIntervalSince(newest.at) * 1000) }
        newestPainted = newest.id
    }

    func log(to logger: Logger) {
        guard !milliseconds.isEmpty else { return }
        let sorted = milliseconds.sorted()
        func at(_ p: Double) -> Int { Int(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) }
        logger.info("paint latency: newest crash event from device to screen p50 \(at(0.5)) ms, p99 \(at(0.99)) ms, max \(Int(sorted.last!)) ms over \(sorted.count) paints")
    }
}

/// Whether a signal asked the console to stop, and which.
private final class QuitFlag: Sendable {
    private let signal = Mutex<Int32>(0)
    func set(_ number: Int32) { signal.withLock { $0 = number } }
    var isSet: Bool { signal.withLock { $0 != 0 } }
    var number: Int32? { signal.withLock { $0 == 0 ? nil : $0 } }
}

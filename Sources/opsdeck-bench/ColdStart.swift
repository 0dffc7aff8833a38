import Cache
import CLinux
import Foundation
import PlatformClient
import PlatformModel

// Exec → first frame: the real binary on a pseudo-terminal of its own, timed from the
// fork until its output shows a marker (a release version: the first frame with release
// rows). htop's exec → first frame on the same terminal size, in the same run, is the
// peer. Three runs each: min, median and max.

/// A program on a pseudo-terminal.
struct TerminalRun {
    let pid: Int32
    let terminal: Int32
    let started = ContinuousClock.now

    init?(_ path: String, _ arguments: [String], environment: [String: String], columns: UInt16 = 120, rows: UInt16 = 40) {
        var argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var fd: Int32 = -1
        let pid = opsdeck_spawn_on_pty(&fd, path, &argv, &envp, columns, rows)
        guard pid > 0 else { return nil }
        self.pid = pid
        terminal = fd
    }

    /// Milliseconds from the fork until the output contains `marker`; nil if it did not
    /// within `timeout` seconds. Everything read is kept in `output`.
    func millisecondsUntil(_ marker: String, timeout: Double, output: inout [UInt8]) -> Double? {
        millisecondsUntil(marker, since: started, timeout: timeout, output: &output)
    }

    /// Milliseconds from `start` until what is read from now on contains `marker`; nil
    /// if it did not within `timeout` seconds of `start`, or the program ended.
    func millisecondsUntil(_ marker: String, since start: ContinuousClock.Instant, timeout: Double, output: inout [UInt8]) -> Double? {
        let needle = Array(marker.utf8)
        let deadline = start + .milliseconds(Int(timeout * 1000))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            var fds = [pollfd(fd: terminal, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 1, 20) >= 0 else { return nil }
            guard fds[0].revents != 0 else { continue }
            let count = read(terminal, &buffer, buffer.count)
            guard count > 0 else { return nil }
            let from = max(0, output.count - needle.count)
            output += buffer[0..<count]
            if output[from...].firstRange(of: needle) != nil {
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            }
        }
        return nil
    }

    /// Sends `keys`, drains the output and waits for the exit; kills after `grace` s.
    func finish(typing keys: String = "q", grace: Double = 5) {
        _ = keys.utf8CString.withUnsafeBufferPointer { write(terminal, $0.baseAddress, $0.count - 1) }
        let deadline = ContinuousClock.now + .milliseconds(Int(grace * 1000))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            var fds = [pollfd(fd: terminal, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, 10) > 0 { _ = read(terminal, &buffer, buffer.count) }
        }
        close(terminal)
    }
}

func minMedianMax(_ values: [Double]) -> String {
    let sorted = values.sorted()
    guard let first = sorted.first, let last = sorted.last else { return "no runs" }
    return String(format: "min %.0f ms, median %.0f ms, max %.0f ms", first, sorted[sorted.count / 2], last)
}

/// A cache as a console that has followed `events` crash events of one app would have it.
func makeCache(events: Int, at path: String) -> (app: String, version: String) {
    let cache = try! CacheStore(path: path)
    let app = App(id: "bench-android", name: "Bench", platform: .android, bundleId: "com.example.bench")
    let version = "7.7.7"
    let now = Date()
    try! cache.replaceApps([app], etag: nil, at: now)
    let releases = [version, "7.7.6", "7.7.5"].enumerated().map { index, version in
        Release(app: app.id, version: version, build: 700 - index, stage: index == 0 ? .gray : .full, grayPercent: index == 0 ? 10 : 100,
                notes: "bench", createdAt: now, updatedAt: now, revision: 1)
    }
    try! cache.replaceReleases(app: app.id, releases, etag: nil, at: now)
    // The overview the console opens on, as the server last sent it.
    func health(_ sessions: Int) -> MetricsPoint {
        MetricsPoint(at: now.addingTimeInterval(-3600), sessions: sessions, crashes: 0, anrs: 0, crashFreeSessions: 99.5, crashFreeUsers: 99.1,
                     adoption: nil)
    }
    try! cache.storeFleet(FleetOverview(windowMinutes: 60, apps: [FleetApp(
        app: app, full: FleetRelease(version: "7.7.6", stage: .full, grayPercent: 100, health: health(900)),
        gray: [FleetRelease(version: version, stage: .gray, grayPercent: 10, health: health(100))],
        eventsPerMinute: Array(repeating: 3, count: FleetOverview.trendMinutes), openAlerts: 0, worstAlert: nil)]), etag: nil, at: now)
    let device = DeviceInfo(id: "d", os: .android, osVersion: "14", model: "Pixel 8")
    let frames = (0..<12).map { StackFrame(symbol: "com.example.Frame\($0).call", file: "Frame.kt", line: $0, inApp: $0 < 4) }
    var id: Int64 = 0
    while id < Int64(events) {
        let batch = (0..<min(500, events - Int(id))).map { _ -> CrashEvent in
            id += 1
            return CrashEvent(id: id, app: app.id, release: version, kind: .crash, device: device, exceptionType: "E",
                              message: "a message of ordinary length for a crash", frames: frames, fingerprint: "f\(id % 40)", at: now)
        }
        try! cache.storeCrashEvents(app: app.id, batch, cursor: String(id), at: now)
    }
    return (app.id, version)
}

func consoleEnvironment(home: String) -> [String: String] {
    ["TERM": "xterm-256color", "LANG": "C.UTF-8", "HOME": home, "PATH": "/usr/bin:/bin",
     "XDG_CACHE_HOME": home + "/cache", "XDG_STATE_HOME": home + "/state", "XDG_CONFIG_HOME": home + "/config"]
}

/// Exec → first frame of htop, the peer.
func htopFirstFrame(home: String) -> Double? {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/htop"),
          let run = TerminalRun("/usr/bin/htop", [], environment: consoleEnvironment(home: home)) else { return nil }
    var output: [UInt8] = []
    defer { run.finish() }
    return run.millisecondsUntil("Load average", timeout: 10, output: &output)
}

func coldStartBench(binary: String, serverURL: String, token: String) {
    let home = folder.appendingPathComponent("cold").path
    try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    say("console cold start: exec to the first frame with release rows, 120x40 pseudo-terminal, 3 runs each")
    let htop = (0..<3).compactMap { _ in htopFirstFrame(home: home) }
    say("  htop (peer), exec to first frame: " + minMedianMax(htop))
    let peer = htop.sorted().dropFirst(htop.count / 2).first

    for events in [0, 100_000, 1_000_000] {
        let path = "\(home)/cache-\(events).sqlite"
        let (_, version) = makeCache(events: events, at: path)
        let size = ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / 1_000_000
        // The server is down (nothing listens on port 9): the frame comes from the cache alone.
        let times = (0..<3).compactMap { _ -> Double? in
            guard let run = TerminalRun(binary, ["--api", "http://127.0.0.1:9", "--cache", path, "--log", home + "/cold.log"],
                                        environment: consoleEnvironment(home: home)) else { return nil }
            var output: [UInt8] = []
            defer { run.finish() }
            return run.millisecondsUntil(version, timeout: 15, output: &output)
        }
        let ratio = peer.flatMap { peer in times.sorted().dropFirst(times.count / 2).first.map { String(format: " (median %.1fx htop's)", $0 / peer) } } ?? ""
        say("  \(grouped(events)) cached events (\(size) MB), server down: " + minMedianMax(times) + ratio)
    }

    // An empty cache and the server up: the first release rows come over the network.
    guard let first = try? firstRelease(serverURL: serverURL, token: token) else {
        say("  empty cache, server up: cannot read the server's first release")
        return
    }
    let times = (0..<3).compactMap { run -> Double? in
        let path = "\(home)/empty-\(run).sqlite"
        guard let process = TerminalRun(binary, ["--api", serverURL, "--cache", path, "--log", home + "/cold.log"],
                                        environment: consoleEnvironment(home: home).merging(["OPSDECK_TOKEN": token]) { $1 }) else { return nil }
        var output: [UInt8] = []
        defer { process.finish() }
        return process.millisecondsUntil(first, timeout: 15, output: &output)
    }
    say("  empty cache, server up: " + minMedianMax(times))
}

/// The newest full release of the server's first app: what the overview the console
/// opens on shows first.
func firstRelease(serverURL: String, token: String) throws -> String? {
    let client = try PlatformClient(baseURL: serverURL, token: token)
    return try client.fleet().value?.apps.first { $0.full != nil }?.full?.version
}

func grouped(_ number: Int) -> String {
    let formatter = NumberFormatter()
    formatter.numberStyle = .decimal
    formatter.groupingSeparator = ","
    return formatter.string(from: NSNumber(value: number)) ?? String(number)
}

// `make bench`: measures the reference platform as a separate process over loopback,
// with the real libcurl client: upgrade-check throughput and latency, and the event
// ingestion rate; then the console (the real binary in tmux) under a live crash stream:
// server-to-cache and server-to-screen latency and the console's CPU; and the cache's
// sustained write rate. Prints figures; asserts nothing (the machines are noisy).
import Cache
import CLinux
import Foundation
import PlatformClient
import PlatformModel
import Synchronization

/// Writes a line at once: `print` holds its output back when stdout is a pipe.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

struct Options {
    var seconds = 10.0
    var threads = 4
    /// nil: two runs, 16 and 64 connections.
    var connections: Int?
    var batch = 100
    var liveRate = 5000.0
    /// Event loops of the server's device gateway; nil: the server's default (one per core).
    var gatewayLoops: Int?
    /// Only these parts (`--only checks,ingest,storm,live,cache,cold,keys`); empty: all.
    var only: Set<String> = []
    var binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("opsdeck").path

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--seconds": seconds = Double(arguments.next() ?? "") ?? seconds
            case "--threads": threads = Int(arguments.next() ?? "") ?? threads
            case "--connections": connections = Int(arguments.next() ?? "")
            case "--batch": batch = Int(arguments.next() ?? "") ?? batch
            case "--binary": binary = arguments.next() ?? binary
            case "--live-rate": liveRate = Double(arguments.next() ?? "") ?? liveRate
            case "--gateway-loops": gatewayLoops = Int(arguments.next() ?? "") ?? gatewayLoops
            case "--only": only = Set((arguments.next() ?? "").split(separator: ",").map(String.init))
            default: fatalError("unknown option \(argument); use --seconds N --threads N --connections N --batch N --live-rate EPS --gateway-loops N --binary PATH --only PARTS")
            }
        }
    }

    func runs(_ part: String) -> Bool { only.isEmpty || only.contains(part) }
}

/// `opsdeck serve` on a free port with a temporary store, and its device gateway.
func startServer(_ binary: String, database: String, gatewayLoops: Int?) throws -> (Process, url: String, token: String, gateway: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["serve", "--listen", "127.0.0.1:0", "--gateway", "127.0.0.1:0", "--db", database]
        + (gatewayLoops.map { ["--gateway-loops", String($0)] } ?? [])
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    var text = ""
    while text.split(separator: "\n").count < 3 {
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { fatalError("opsdeck serve ended early") }
        text += String(decoding: chunk, as: UTF8.self)
    }
    let lines = text.split(separator: "\n")
    return (process, String(lines[1].dropFirst("listening on ".count)), String(lines[0].dropFirst("token: ".count)),
            String(lines[2].dropFirst("devices on ".count)))
}

/// Runs `work` on `threads` threads for `seconds`; each call returns how many units it
/// did. Returns units done and each call's latency in microseconds.
func hammer(threads: Int, seconds: Double, _ make: @escaping @Sendable (Int) -> (() -> Int)) -> (units: Int, latencies: [Double]) {
    let results = Mutex<(Int, [Double])>((0, []))
    let group = DispatchGroup()
    let deadline = Date().addingTimeInterval(seconds)
    for index in 0..<threads {
        group.enter()
        let thread = Thread {
            let work = make(index)
            var units = 0
            var latencies: [Double] = []
            latencies.reserveCapacity(200_000)
            let clock = ContinuousClock()
            while Date() < deadline {
                let start = clock.now
                units += work()
                let elapsed = clock.now - start
                latencies.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
            }
            let finished = (units, latencies)
            results.withLock { $0.0 += finished.0; $0.1 += finished.1 }
            group.leave()
        }
        thread.start()
    }
    group.wait()
    return results.withLock { $0 }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func report(_ name: String, units: Int, unitName: String, latencies: [Double], seconds: Double) {
    let sorted = latencies.sorted()
    say(String(format: "%@: %.0f %@/s over %.0f s; latency per request p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d requests)",
                 name, Double(units) / seconds, unitName, seconds, percentile(sorted, 0.5) / 1000, percentile(sorted, 0.99) / 1000,
                 (sorted.last ?? 0) / 1000, sorted.count))
}

let options = Options()
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("opsdeck-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let (server, url, token, gatewayURL) = try startServer(options.binary, database: folder.appendingPathComponent("platform.sqlite").path,
                                                       gatewayLoops: options.gatewayLoops)
defer { server.terminate() }
say("opsdeck bench: server \(url), \(options.threads) client threads, \(ProcessInfo.processInfo.activeProcessorCount) cores")

// Devices on keep-alive connections, one request each in flight; the device ids vary so
// that bucketing and switch scopes do real work. On the device gateway, two loads:
// moderate, and enough connections to queue; then the same check through the API's
// HTTP stack, for comparison.
func port(of url: String) -> Int { Int(url.split(separator: ":").last ?? "") ?? 0 }
let checkRequests = (0..<50_000).map { n in
    Array(("GET /v1/sdk/check?app=wallet-android&device=bench-\(n)&version=5.0.0&os=android&osVersion=14&model=Pixel%208"
        + "&city=Hangzhou&network=wifi HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n").utf8)
}
let checkRuns = (options.connections.map { [$0] } ?? [16, 64]).map { (gatewayURL, "device gateway", $0) } + [(url, "API", 16)]
// The client keeps to the last core and the server has the rest: left to the scheduler,
// the two took turns on one core in some runs and throughput halved.
let clientCore = ProcessInfo.processInfo.activeProcessorCount - 1
for (target, name, connections) in checkRuns where options.runs("checks") {
    _ = opsdeck_pin_thread(Int32(clientCore))
    let checks = closedLoopLoad(port: port(of: target), connections: connections, seconds: options.seconds, requests: checkRequests)
    _ = opsdeck_pin_thread(-1)
    report("upgrade check, \(name) (\(connections) connections)", units: checks.answers, unitName: "checks", latencies: checks.latencies, seconds: options.seconds)
    if checks.failures > 0 { say("  \(checks.failures) checks did not get 200") }
}

let batchSize = options.batch
if options.runs("ingest") {
let ingest = hammer(threads: options.threads, seconds: options.seconds) { index in
    let client = try! PlatformClient(baseURL: url, token: token)
    var n = 0
    return {
        n += 1
        let now = Date()
        let crashes = batchSize / 20
        let batch = SDKBatch(
            app: "wallet-ios", release: "5.3.0", device: DeviceInfo(id: "bench-\(index)-\(n)", os: .ios, osVersion: "17.2", model: "iPhone 15"),
            sessions: (0..<(batchSize - crashes)).map { _ in SDKSession(startedAt: now, durationSeconds: 30, crashed: false) },
            crashes: (0..<crashes).map { c in
                SDKCrash(kind: .crash, exceptionType: "E\(c % 7)", message: "bench", frames: [StackFrame(symbol: "f\(c % 11)", inApp: true)], at: now)
            })
        return (try! client.send(batch)).accepted
    }
}
report("event ingestion", units: ingest.units, unitName: "events", latencies: ingest.latencies, seconds: options.seconds)
}

// MARK: - The console under a live stream

/// Runs a command (tmux) and returns its standard output. posix_spawn and a file, not
/// Foundation's Process and a pipe: `tmux new-session` leaves a daemon behind, and
/// Process then never sees its command end.
@discardableResult
func run(_ arguments: [String]) -> String {
    let outputPath = folder.appendingPathComponent("run-\(UUID().uuidString).out").path
    defer { unlink(outputPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var environment = ProcessInfo.processInfo.environment
    environment["LANG"] = "C.UTF-8"
    let argv = arguments.map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        argv.forEach { free($0) }
        envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    guard posix_spawnp(&pid, arguments[0], &actions, nil, argv, envp) == 0 else { return "" }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
}

/// CPU seconds a process has used (user + system), from /proc.
func cpuSeconds(pid: Int32) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// CPU seconds of the process's living threads, from each one's schedstat (nanoseconds;
/// /proc/PID/stat counts 10 ms ticks, too coarse for an idle process). Threads that
/// ended are not counted: for processes whose threads live as long as they do.
func threadCPUSeconds(pid: Int32) -> Double? {
    guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return nil }
    let nanoseconds = tasks.compactMap { task -> Double? in
        (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8))?.split(separator: " ").first.flatMap { Double($0) }
    }
    return nanoseconds.reduce(0, +) / 1e9
}

/// The console's pid: the tmux pane's process is the shell-less `opsdeck` itself.
func consolePID(socket: String) -> Int32? {
    Int32(run(["tmux", "-L", socket, "display-message", "-p", "-t", "bench", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines))
}

func liveBench(rate liveRate: Double) {
    let socket = "opsdeck-bench-\(getpid())"
    let cachePath = folder.appendingPathComponent("console-cache.sqlite").path
    let app = "wallet-android"
    let command = "env OPSDECK_CACHE=\(cachePath) \(options.binary) --api \(url) --token \(token) --log \(folder.path)/console.log"
    run(["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "bench", "-x", "200", "-y", "60", command])
    defer { run(["tmux", "-L", socket, "kill-server"]) }
    func screen() -> String { run(["tmux", "-L", socket, "capture-pane", "-p", "-t", "bench"]) }
    var deadline = Date().addingTimeInterval(20)
    while !screen().contains("app \(app)") && Date() < deadline { usleep(100_000) }
    // To the Crashes pane (again, should the first key arrive before the console reads keys).
    deadline = Date().addingTimeInterval(20)
    while !screen().contains("● live") && Date() < deadline {
        if !screen().contains("Live events") { run(["tmux", "-L", socket, "send-keys", "-t", "bench", "2"]) }
        usleep(200_000)
    }
    guard screen().contains("● live"), let pid = consolePID(socket: socket) else {
        say("live feed: the console did not go live; screen:\n\(screen())")
        return
    }

    let started = Date()
    let senders = LiveSenders(rate: liveRate, app: app)
    let cpuBefore = cpuSeconds(pid: pid) ?? 0
    usleep(UInt32(options.seconds * 1_000_000))
    let elapsed = Date().timeIntervalSince(started)
    let cpu = (cpuSeconds(pid: pid) ?? 0) - cpuBefore
    senders.stop()
    // The console logs how old the newest event was at each paint when it ends.
    run(["tmux", "-L", socket, "send-keys", "-t", "bench", "q"])
    usleep(1_000_000)

    let rate = Double(senders.sent) / elapsed
    say(String(format: "live feed: %.0f crash/ANR events/s into the server (asked for %.0f) for %.0f s; console CPU %.0f%% of one core",
               rate, liveRate, elapsed, cpu / elapsed * 100))
    if let cache = try? CacheStore(path: cachePath), let delays = try? cache.arrivalDelays(app: app, since: started) {
        let sorted = delays.map(Double.init)
        say(String(format: "  server to cache: p50 %.0f ms, p99 %.0f ms, max %.0f ms over %d events",
                   percentile(sorted, 0.5), percentile(sorted, 0.99), sorted.last ?? 0, sorted.count))
    }
    let log = (try? String(contentsOfFile: folder.path + "/console.log", encoding: .utf8)) ?? ""
    if let line = log.split(separator: "\n").last(where: { $0.contains("paint latency:") }), let range = line.range(of: "newest crash event") {
        say("  server to screen: " + line[range.lowerBound...])
    } else {
        say("  server to screen: the console logged no paint latency")
    }
}

/// Rows per second the cache takes in batches of 500 crash events, as the live feed writes.
func cacheWriteBench() {
    let cache = try! CacheStore(path: folder.appendingPathComponent("write-bench.sqlite").path)
    let device = DeviceInfo(id: "d", os: .android, osVersion: "14", model: "Pixel 8")
    let frames = (0..<12).map { StackFrame(symbol: "com.example.Frame\($0).call", file: "Frame.kt", line: $0, inApp: $0 < 4) }
    var id: Int64 = 0
    let start = Date()
    while Date().timeIntervalSince(start) < min(5, options.seconds) {
        let batch = (0..<500).map { _ -> CrashEvent in
            id += 1
            return CrashEvent(id: id, app: "bench", release: "1.0.0", kind: .crash, device: device, exceptionType: "E",
                              message: "a message of ordinary length for a crash", frames: frames, fingerprint: "f", at: Date())
        }
        try! cache.storeCrashEvents(app: "bench", batch, cursor: String(id), at: Date())
    }
    let seconds = Date().timeIntervalSince(start)
    say(String(format: "cache writes: %.0f crash events/s sustained (batches of 500, 12 frames each, %.0f s)", Double(id) / seconds, seconds))
}

// MARK: - Server memory after a connection storm

/// Resident memory of a process, in MB, from /proc.
func residentMB(pid: Int32) -> Double {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
}

/// A thousand clients connect at once, three requests each, and go: the server's
/// resident memory before, at the peak, and once the memory-return service has run.
/// Three storms.
func stormBench() {
    let request = Array("GET /v1/apps HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8)
    let pid = server.processIdentifier
    sleep(11)
    let baseline = residentMB(pid: pid)
    for storm in 1...3 {
        let load = closedLoopLoad(port: port(of: url), connections: 1000, seconds: 1, requests: [request])
        let peak = residentMB(pid: pid)
        sleep(12)
        say(String(format: "connection storm %d (1000 connections, %d answers): server RSS %.1f MB before the first, %.1f MB at the peak, %.1f MB 12 s after",
                   storm, load.answers, baseline, peak, residentMB(pid: pid)))
    }
}

if options.runs("storm") { stormBench() }
if options.runs("live") {
    if options.liveRate > 0 { liveBench(rate: options.liveRate) }
    // The same at a rate these two shared cores carry with room to spare.
    if options.liveRate > 1000 { liveBench(rate: 1000) }
}
if options.runs("cache") { cacheWriteBench() }
if options.runs("cold") { coldStartBench(binary: options.binary, serverURL: url, token: token) }
if options.runs("keys") { interactiveBench() }
if options.runs("stores") { storesBench(binary: options.binary, seconds: options.seconds, threads: options.threads, folder: folder) }

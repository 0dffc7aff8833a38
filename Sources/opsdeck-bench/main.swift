// `make bench`: measures the reference platform as a separate process over loopback,
// with the real libcurl client: upgrade-check throughput and latency, and the event
// ingestion rate. Prints figures; asserts nothing (the machines are noisy).
import Foundation
import PlatformClient
import PlatformModel
import Synchronization

struct Options {
    var seconds = 10.0
    var threads = 4
    var batch = 100
    var binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("opsdeck").path

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--seconds": seconds = Double(arguments.next() ?? "") ?? seconds
            case "--threads": threads = Int(arguments.next() ?? "") ?? threads
            case "--batch": batch = Int(arguments.next() ?? "") ?? batch
            case "--binary": binary = arguments.next() ?? binary
            default: fatalError("unknown option \(argument); use --seconds N --threads N --batch N --binary PATH")
            }
        }
    }
}

/// `opsdeck serve` on a free port with a temporary store.
func startServer(_ binary: String, database: String) throws -> (Process, url: String, token: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["serve", "--listen", "127.0.0.1:0", "--db", database]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    var text = ""
    while text.split(separator: "\n").count < 2 {
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { fatalError("opsdeck serve ended early") }
        text += String(decoding: chunk, as: UTF8.self)
    }
    let lines = text.split(separator: "\n")
    return (process, String(lines[1].dropFirst("listening on ".count)), String(lines[0].dropFirst("token: ".count)))
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
    print(String(format: "%@: %.0f %@/s over %.0f s; latency per request p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d requests)",
                 name, Double(units) / seconds, unitName, seconds, percentile(sorted, 0.5) / 1000, percentile(sorted, 0.99) / 1000,
                 (sorted.last ?? 0) / 1000, sorted.count))
}

let options = Options()
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("opsdeck-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let (server, url, token) = try startServer(options.binary, database: folder.appendingPathComponent("platform.sqlite").path)
defer { server.terminate() }
print("opsdeck bench: server \(url), \(options.threads) client threads, \(ProcessInfo.processInfo.activeProcessorCount) cores")

let checks = hammer(threads: options.threads, seconds: options.seconds) { index in
    let client = try! PlatformClient(baseURL: url, token: token)
    var n = 0
    return {
        n += 1
        let device = DeviceInfo(id: "bench-\(index)-\(n % 5000)", os: .android, osVersion: "14", model: "Pixel 8")
        _ = try! client.check(app: "wallet-android", device: device, version: "5.0.0")
        return 1
    }
}
report("upgrade check", units: checks.units, unitName: "checks", latencies: checks.latencies, seconds: options.seconds)

let batchSize = options.batch
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

import Foundation
import PlatformClient
import PlatformModel
import Synchronization

/// `--only stores`: upgrade checks and event ingestion with the server on SQLite (one
/// server, the embedded default), on PostgreSQL with one server, and with two servers on
/// the same PostgreSQL database, the load split evenly between them. PostgreSQL runs in
/// a private cluster (Tests/pg/cluster.sh), on the same two cores as everything else.
/// Each figure is three runs: min / median / max.
func storesBench(binary: String, seconds: Double, threads: Int, folder: URL) {
    let token = "bench-admin-token-0123456789abcdef"
    let tokens = folder.appendingPathComponent("bench-tokens.toml").path
    try? "[[token]]\nname = \"bench\"\nrole = \"admin\"\ntoken = \"\(token)\"\n".write(toFile: tokens, atomically: true, encoding: .utf8)
    let cluster = folder.appendingPathComponent("pg").path
    let postgres = run(["bash", "Tests/pg/cluster.sh", "start", cluster]).trimmingCharacters(in: .whitespacesAndNewlines)
    defer { run(["bash", "Tests/pg/cluster.sh", "stop", cluster]) }
    guard postgres.hasPrefix("postgres://") else {
        say("stores: no PostgreSQL cluster (Tests/pg/cluster.sh printed '\(postgres)'); skipped")
        return
    }
    for database in ["bench_one", "bench_two"] {
        run(["psql", postgres + "/postgres", "-q", "-c", "CREATE DATABASE \(database)"])
    }
    let setups: [(name: String, stores: [String])] = [
        ("SQLite, 1 server", [folder.appendingPathComponent("stores.sqlite").path]),
        ("PostgreSQL, 1 server", [postgres + "/bench_one"]),
        ("PostgreSQL, 2 servers", [postgres + "/bench_two", postgres + "/bench_two"]),
    ]
    for setup in setups {
        var servers: [(process: Process, url: String, gateway: String)] = []
        for store in setup.stores {
            guard let server = startTokenServer(binary, database: store, tokens: tokens) else {
                say("stores: \(setup.name): a server did not start; skipped")
                break
            }
            servers.append(server)
        }
        defer { servers.forEach { $0.process.terminate(); $0.process.waitUntilExit() } }
        guard servers.count == setup.stores.count else { continue }
        let requests = (0..<50_000).map { n in
            Array(("GET /v1/sdk/check?app=wallet-android&device=bench-\(n)&version=5.0.0&os=android&osVersion=14&model=Pixel%208"
                + "&city=Hangzhou&network=wifi HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n").utf8)
        }
        let gateways = servers.map { port(of: $0.gateway) }
        var checks: [Double] = [], events: [Double] = []
        for _ in 0..<3 {
            // 64 connections in all, split over the servers' gateways.
            let answers = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: gateways.count) { index in
                let result = closedLoopLoad(port: gateways[index], connections: 64 / gateways.count, seconds: seconds, requests: requests)
                answers.add(result.answers, ordering: .relaxed)
            }
            checks.append(Double(answers.load(ordering: .relaxed)) / seconds)
            let urls = servers.map(\.url)
            let ingest = hammer(threads: threads, seconds: seconds) { index in
                guard let client = try? PlatformClient(baseURL: urls[index % urls.count], token: token) else { return { 0 } }
                var n = 0
                return {
                    n += 1
                    let now = Date()
                    let batch = SDKBatch(
                        app: "wallet-ios", release: "5.3.0", device: DeviceInfo(id: "stores-\(index)-\(n)", os: .ios, osVersion: "17.2", model: "iPhone 15"),
                        sessions: (0..<95).map { _ in SDKSession(startedAt: now, durationSeconds: 30, crashed: false) },
                        crashes: (0..<5).map { c in
                            SDKCrash(kind: .crash, exceptionType: "E\(c)", message: "bench", frames: [StackFrame(symbol: "f\(c)", inApp: true)], at: now)
                        })
                    return (try? client.send(batch))?.accepted ?? 0
                }
            }
            events.append(Double(ingest.units) / seconds)
        }
        func figures(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return String(format: "%.0f / %.0f / %.0f", sorted.first ?? 0, sorted[sorted.count / 2], sorted.last ?? 0)
        }
        say("stores, \(setup.name): upgrade checks/s (64 connections) \(figures(checks)); events ingested/s (\(threads) threads, batches of 100) \(figures(events)) — min / median / max of 3 runs of \(Int(seconds)) s")
    }
}

/// `opsdeck serve` with a tokens file (servers sharing a database share their tokens):
/// its API and gateway URLs once it listens, nil when it did not start.
func startTokenServer(_ binary: String, database: String, tokens: String) -> (process: Process, url: String, gateway: String)? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["serve", "--listen", "127.0.0.1:0", "--gateway", "127.0.0.1:0", "--db", database, "--tokens", tokens]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    var text = ""
    while text.split(separator: "\n").count < 2 {
        let chunk = output.fileHandleForReading.availableData
        if chunk.isEmpty { return nil }
        text += String(decoding: chunk, as: UTF8.self)
    }
    let lines = text.split(separator: "\n").map(String.init)
    guard let api = lines.first(where: { $0.hasPrefix("listening on ") }), let devices = lines.first(where: { $0.hasPrefix("devices on ") }) else {
        process.terminate()
        return nil
    }
    return (process, String(api.dropFirst("listening on ".count)), String(devices.dropFirst("devices on ".count)))
}

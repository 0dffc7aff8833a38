import CLinux
import Foundation
import PlatformClient
import PlatformModel
import Synchronization

// The console as a person feels it, on a pseudo-terminal of its own (120x40): what it
// costs at idle (CPU and bytes sent to the terminal), and how long a key takes to show
// its pane, at idle and under a live crash stream. htop on the same terminal size, in
// the same run, is the peer.

/// Crash/ANR batches into the server, paced to `rate` events/s, until `stop()`. Three
/// threads: while one waits for the server's answer, the others keep the rate. Bodies
/// are written by hand: JSONEncoder would spend the shared cores on the bench itself.
final class LiveSenders: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let count = Atomic<Int>(0)

    var sent: Int { count.load(ordering: .relaxed) }

    init(rate: Double, app: String, threads: Int = 3, batchSize: Int = 25) {
        let perThread = rate / Double(threads)
        for index in 0..<threads {
            Thread { [self] in
                let transport = CurlTransport()
                let headers = ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]
                let begin = ContinuousClock.now
                var batches = 0
                while !stopped.load(ordering: .relaxed) {
                    let at = WireFormat.formatDate(Date())
                    var body = #"{"app":"\#(app)","release":"5.3.0","device":{"id":"live-\#(index)-\#(batches % 500)","os":"android","#
                        + #""osVersion":"14","model":"Pixel 8"},"sessions":[],"funnelSteps":[],"crashes":["#
                    for c in 0..<batchSize {
                        body += (c > 0 ? "," : "") + #"{"kind":"\#(c % 5 == 0 ? "anr" : "crash")","exceptionType":"Bench\#(c % 7)Exception","#
                            + #""message":"load","frames":[{"symbol":"bench.f\#(c % 11)","inApp":true}],"at":"\#(at)"}"#
                    }
                    body += "]}"
                    if let answer = try? transport.perform(method: "POST", url: url + "/v1/sdk/events", headers: headers, body: Data(body.utf8)),
                       (200..<300).contains(answer.status) {
                        count.add(batchSize, ordering: .relaxed)
                    }
                    batches += 1
                    let due = begin + .milliseconds(Int(Double(batches * batchSize) / perThread * 1000))
                    let wait = due - ContinuousClock.now
                    if wait > .zero { usleep(UInt32(wait.components.attoseconds / 1_000_000_000_000 + wait.components.seconds * 1_000_000)) }
                }
            }.start()
        }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}

extension TerminalRun {
    /// Reads what the program writes for `seconds`; returns the byte count. With no time
    /// to wait it still reads what is ready, so that what follows starts from nothing old.
    func drain(seconds: Double) -> Int {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var total = 0
        while true {
            let left = deadline - ContinuousClock.now
            let wait = left > .zero ? min(50, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)) : 0
            var fds = [pollfd(fd: terminal, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 1, wait) > 0 {
                let count = read(terminal, &buffer, buffer.count)
                if count <= 0 { break }
                total += count
            } else if ContinuousClock.now >= deadline {
                break
            }
        }
        return total
    }

    /// Milliseconds from writing `key` until the output after it contains `marker`.
    func keyToScreen(_ key: String, marker: String, timeout: Double = 5) -> Double? {
        _ = drain(seconds: 0)
        let start = ContinuousClock.now
        _ = key.utf8CString.withUnsafeBufferPointer { write(terminal, $0.baseAddress, $0.count - 1) }
        var output: [UInt8] = []
        return millisecondsUntil(marker, since: start, timeout: timeout, output: &output)
    }
}

/// p50, p99 and max of `values` in ms, and how many presses showed nothing in time.
func latencySummary(_ values: [Double?]) -> String {
    let shown = values.compactMap { $0 }.sorted()
    let missed = values.count - shown.count
    return String(format: "p50 %.0f ms, p99 %.0f ms, max %.0f ms over %d presses", percentile(shown, 0.5), percentile(shown, 0.99),
                  shown.last ?? 0, shown.count) + (missed > 0 ? ", \(missed) never shown" : "")
}

/// `presses` keys alternating two panes of the console, `1` (Releases) and `2`
/// (Crashes), 100 ms apart as a quick person types.
func consoleKeys(_ run: TerminalRun, presses: Int) -> [Double?] {
    (0..<presses).map { press in
        _ = run.drain(seconds: 0.1)
        return press % 2 == 0 ? run.keyToScreen("2", marker: "Live events") : run.keyToScreen("1", marker: "CF SESS")
    }
}

/// htop's keys, at the same pace: `?` opens its help, any key closes it, alternately.
func htopKeys(_ run: TerminalRun, presses: Int) -> [Double?] {
    (0..<presses).map { press in
        _ = run.drain(seconds: 0.1)
        return press % 2 == 0 ? run.keyToScreen("?", marker: "Press any key") : run.keyToScreen(" ", marker: "Load average")
    }
}

func startConsole(home: String, cache: String) -> TerminalRun? {
    TerminalRun(options.binary, ["--api", url, "--cache", cache, "--log", home + "/interactive.log"],
                environment: consoleEnvironment(home: home).merging(["OPSDECK_TOKEN": token]) { $1 })
}

func startHtop(home: String) -> TerminalRun? {
    TerminalRun("/usr/bin/htop", [], environment: consoleEnvironment(home: home))
}

func interactiveBench(presses: Int = 120) {
    let home = folder.appendingPathComponent("interactive").path
    try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/htop") else {
        say("interactive: htop is not installed (make bench installs it)")
        return
    }
    let cache = home + "/cache.sqlite"

    // Idle: the server's data does not change; the console polls it, the clock ticks.
    say("console at idle, 120x40 pseudo-terminal, 3 runs of 30 s (after 5 s to settle), CPU from each thread's schedstat:")
    var consoleIdle: [Double] = [], htopIdle: [Double] = [], consoleBytes: [Double] = [], htopBytes: [Double] = []
    for _ in 0..<3 {
        guard let console = startConsole(home: home, cache: cache), let htop = startHtop(home: home) else { continue }
        _ = console.drain(seconds: 5)
        let before = (threadCPUSeconds(pid: console.pid) ?? 0, threadCPUSeconds(pid: htop.pid) ?? 0)
        // Both are drained for the same 30 s, so their output never backs up.
        let bytes = Mutex((0, 0))
        let group = DispatchGroup()
        for (index, run) in [console, htop].enumerated() {
            group.enter()
            Thread {
                let count = run.drain(seconds: 30)
                bytes.withLock { if index == 0 { $0.0 = count } else { $0.1 = count } }
                group.leave()
            }.start()
        }
        group.wait()
        consoleIdle.append(((threadCPUSeconds(pid: console.pid) ?? 0) - before.0) / 30 * 100)
        htopIdle.append(((threadCPUSeconds(pid: htop.pid) ?? 0) - before.1) / 30 * 100)
        let (c, h) = bytes.withLock { $0 }
        consoleBytes.append(Double(c) / 30)
        htopBytes.append(Double(h) / 30)
        console.finish()
        htop.finish()
    }
    func spread(_ values: [Double], _ format: String) -> String {
        let sorted = values.sorted()
        guard let low = sorted.first, let high = sorted.last else { return "no runs" }
        return String(format: "min \(format), median \(format), max \(format)", low, sorted[sorted.count / 2], high)
    }
    say("  console CPU: " + spread(consoleIdle, "%.2f%%") + " of a core; terminal output " + spread(consoleBytes, "%.0f") + " bytes/s")
    say("  htop CPU:    " + spread(htopIdle, "%.2f%%") + " of a core; terminal output " + spread(htopBytes, "%.0f") + " bytes/s")
    if let c = consoleIdle.sorted().dropFirst(consoleIdle.count / 2).first, let h = htopIdle.sorted().dropFirst(htopIdle.count / 2).first, h > 0 {
        say(String(format: "  console / htop (medians): %.2fx", c / h))
    }

    for rate in [0.0, 5000.0] {
        let label = rate == 0 ? "at idle" : String(format: "under %.0f crash events/s", rate)
        let senders = rate > 0 ? LiveSenders(rate: rate, app: "wallet-android") : nil
        defer { senders?.stop() }
        if let console = startConsole(home: home, cache: cache) {
            _ = console.drain(seconds: 3)
            let cpu = cpuSeconds(pid: console.pid) ?? 0
            let started = Date()
            let times = consoleKeys(console, presses: presses)
            let share = ((cpuSeconds(pid: console.pid) ?? 0) - cpu) / Date().timeIntervalSince(started) * 100
            console.finish()
            say("keypress to new pane on screen, console \(label): " + latencySummary(times) + String(format: "; console CPU %.0f%% of a core", share))
        }
        if let htop = startHtop(home: home) {
            _ = htop.drain(seconds: 2)
            say("  htop \(label), `?` and back: " + latencySummary(htopKeys(htop, presses: presses)))
            htop.finish()
        }
    }
}

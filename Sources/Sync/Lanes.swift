import CLinux
import Foundation

/// Threads that live as long as the poller and each run one job at a time: a wave of
/// jobs runs at once on them (their requests meet on the network thread) without
/// starting a thread per job.
final class Lanes: Sendable {
    private let lanes: [Lane]

    /// `count` lanes, named `name` for the kernel.
    init(count: Int, name: String) {
        lanes = (0..<count).map { _ in Lane(name: name) }
    }

    /// Runs `work` on lane `lane`; the lane must be idle (the caller waits for a wave to
    /// end before it sends the next).
    func run(on lane: Int, _ work: @escaping @Sendable () -> Void) {
        lanes[lane].give(work)
    }

    /// Ends every lane once its job in hand is done.
    func stop() {
        lanes.forEach { $0.stop() }
    }
}

/// One lane: a thread and its mailbox of one job, guarded by its condition's lock.
private final class Lane: @unchecked Sendable {
    private let condition = NSCondition()
    private var work: (@Sendable () -> Void)?
    private var stopped = false

    init(name: String) {
        let thread = Thread { [self] in
            opsdeck_name_thread(name)
            while let work = next() { work() }
        }
        thread.start()
    }

    func give(_ work: @escaping @Sendable () -> Void) {
        condition.withLock {
            self.work = work
            condition.signal()
        }
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    private func next() -> (@Sendable () -> Void)? {
        condition.withLock {
            while work == nil && !stopped { condition.wait() }
            defer { work = nil }
            return work
        }
    }
}

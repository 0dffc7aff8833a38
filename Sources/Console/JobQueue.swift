import Foundation

/// Jobs for one background thread, in order. `next` waits for one; once `stop` is
/// called it answers nil, whatever still waits.
final class JobQueue<Job: Sendable>: @unchecked Sendable {
    /// Guards `jobs` and `stopped`, and wakes `next`.
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var stopped = false

    /// Queues `job`, first dropping the waiting jobs it makes pointless.
    func submit(_ job: Job, replacing obsolete: (Job) -> Bool = { _ in false }) {
        condition.withLock {
            jobs.removeAll(where: obsolete)
            jobs.append(job)
            condition.signal()
        }
    }

    func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }

    /// The next job, waiting for one; nil once stopped.
    func next() -> Job? {
        condition.withLock {
            while jobs.isEmpty && !stopped { condition.wait() }
            return stopped ? nil : jobs.removeFirst()
        }
    }
}

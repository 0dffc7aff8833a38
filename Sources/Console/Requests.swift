import CLinux
import Foundation
import Logging
import PlatformClient
import Synchronization

/// Runs the console's own requests (who the token is, an issue's detail, funnels, the
/// person's changes) on one background thread, so that the UI never waits on the
/// network. Each finished request becomes a `Message`, handed to `deliver`.
final class RequestWorker: Sendable {
    typealias Work = @Sendable (PlatformClient) -> Message

    private struct Queue: Sendable {
        var pending: [Work] = []
        var stopped = false
    }

    private let queue = Mutex(Queue())
    private let condition = NSCondition()
    private let canceller: Mutex<Canceller?> = Mutex(nil)

    init(apiURL: String, token: String?, caFile: String?, logger: Logger, deliver: @escaping @Sendable (Message) -> Void) {
        let thread = Thread { [self] in
            opsdeck_name_thread("opsdeck-requests")
            let client: PlatformClient
            do {
                client = try PlatformClient(baseURL: apiURL, token: token, timeouts: .init(connect: 3, total: 15), caFile: caFile)
            } catch {
                logger.error("requests: \(error)")
                return
            }
            canceller.withLock { $0 = client.canceller }
            while let work = next() {
                deliver(work(client))
            }
        }
        thread.start()
    }

    func submit(_ work: @escaping Work) {
        queue.withLock { $0.pending.append(work) }
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    func stop() {
        queue.withLock { $0.stopped = true }
        canceller.withLock { $0 }?.cancel()
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    private func next() -> Work? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let (work, stopped): (Work?, Bool) = queue.withLock { queue in
                if queue.stopped { return (nil, true) }
                return (queue.pending.isEmpty ? nil : queue.pending.removeFirst(), false)
            }
            if stopped { return nil }
            if let work { return work }
            condition.wait()
        }
    }
}

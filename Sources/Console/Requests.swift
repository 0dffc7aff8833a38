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

    private let queue = JobQueue<Work>()
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
            while let work = queue.next() {
                deliver(work(client))
            }
        }
        thread.start()
    }

    func submit(_ work: @escaping Work) {
        queue.submit(work)
    }

    func stop() {
        queue.stop()
        canceller.withLock { $0 }?.cancel()
    }
}

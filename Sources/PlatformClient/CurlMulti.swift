import CCurl
import CLinux
import Foundation
import Synchronization

/// The one thread that moves bytes: every transfer of the process runs through a single
/// libcurl multi handle here, so requests run at once (a live stream, the poller's
/// fetches and a person's action never wait for each other) and share the multi's
/// connection pool. Callers stay simple and blocking: `CurlTransport.perform` hands its
/// easy handle over and waits for the outcome, or for stream chunks, on its own thread.
final class CurlMultiLoop: @unchecked Sendable {
    static let shared = CurlMultiLoop()

    /// Stream bytes waiting for a slow consumer before the transfer is paused.
    static let streamBacklogLimit = 4 << 20

    private let multi: UnsafeMutableRawPointer
    private let incoming = Mutex<[Transfer]>([])
    /// Transfers in the multi, by easy handle: touched by the loop thread only.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]

    private init() {
        CurlTransport.initializeLibrary()
        multi = curl_multi_init()
        let thread = Thread { [unowned self] in run() }
        thread.name = "opsdeck-network"
        thread.start()
    }

    /// Queues a configured transfer; its `finish` is called on the loop thread.
    func add(_ transfer: Transfer) {
        incoming.withLock { $0.append(transfer) }
        wake()
    }

    /// Interrupts the loop's wait: new work, a cancel, a stop or a resume.
    func wake() {
        curl_multi_wakeup(multi)
    }

    private func run() {
        opsdeck_name_thread("opsdeck-network")
        while true {
            for transfer in incoming.withLock({ list -> [Transfer] in defer { list.removeAll() }; return list }) {
                let code = curl_multi_add_handle(multi, transfer.handle)
                if code == CURLM_OK {
                    active[transfer.handle] = transfer
                } else {
                    transfer.finish(CURLE_FAILED_INIT)
                }
            }
            // Stops and cancels act at once, not at the next progress callback.
            for (handle, transfer) in active {
                if let code = transfer.abortCode {
                    curl_multi_remove_handle(multi, handle)
                    active[handle] = nil
                    transfer.finish(code)
                } else if transfer.takeResumeRequest() {
                    curl_easy_pause(handle, CURLPAUSE_CONT)
                }
            }
            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi, handle)
                active.removeValue(forKey: handle)?.finish(code)
            }
            // Sleeps until a socket is ready, libcurl's next timer (timeouts, retries: the
            // poll takes the sooner of it and ours) or a wake-up: new work, a cancel, a
            // stop, a resume. Nothing else needs the thread, so an idle console sleeps;
            // the long bound is only a safety net.
            curl_multi_poll(multi, nil, 0, 60_000, nil)
        }
    }
}

/// One request in flight: what libcurl's callbacks collect on the loop thread, and how
/// its owner waits for it. The owner reads `body` and `headers` only after `finish`.
final class Transfer: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    let cancelled: CancelFlag
    var body = Data()
    var headers: [String: String] = [:]
    var overflowed = false
    /// A stream's chunks go to the owner thread: the callback never waits on a consumer.
    let streams: Bool
    private(set) var streamStopped = false

    private let condition = NSCondition()
    private var result: CURLcode?
    private var chunks: [Data] = []
    private var backlog = 0
    private var paused = false
    private var resumeRequested = false
    private var stopRequested = false

    init(handle: UnsafeMutableRawPointer, cancelled: CancelFlag, streams: Bool) {
        self.handle = handle
        self.cancelled = cancelled
        self.streams = streams
    }

    /// Whether this response is a success whose body is a stream (decided at the first
    /// body byte, once the status is known).
    lazy var streaming: Bool = {
        guard streams else { return false }
        var status = 0
        opsdeck_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return (200..<300).contains(status)
    }()

    // MARK: Loop thread

    /// Why the loop should drop this transfer now, if it should.
    var abortCode: CURLcode? {
        if cancelled.isSet { return CURLE_ABORTED_BY_CALLBACK }
        return condition.withLock { stopRequested } ? CURLE_WRITE_ERROR : nil
    }

    func takeResumeRequest() -> Bool {
        condition.withLock {
            defer { resumeRequested = false }
            return resumeRequested
        }
    }

    /// A stream chunk for the owner; false: pause the transfer, the owner is behind.
    func offer(_ bytes: UnsafeRawBufferPointer) -> StreamOffer {
        condition.withLock {
            if stopRequested { return .stop }
            if backlog >= CurlMultiLoop.streamBacklogLimit {
                paused = true
                Self.pauses.add(1, ordering: .relaxed)
                return .pause
            }
            chunks.append(Data(bytes))
            backlog += bytes.count
            condition.signal()
            return .taken
        }
    }

    enum StreamOffer { case taken, pause, stop }

    /// How often a stream was paused for its consumer (process-wide; for tests).
    static let pauses = Atomic<Int>(0)

    func finish(_ code: CURLcode) {
        condition.withLock {
            if stopRequested && code == CURLE_WRITE_ERROR { streamStopped = true }
            result = code
            condition.signal()
        }
    }

    // MARK: Owner thread

    /// Waits for the outcome, handing stream bytes to `consume` as they come (in order,
    /// all before the outcome); `consume` returns false to stop the stream.
    func wait(loop: CurlMultiLoop, consume: ((UnsafeRawBufferPointer) -> Bool)?) -> CURLcode {
        var consuming = true
        while true {
            condition.lock()
            while chunks.isEmpty && result == nil { condition.wait() }
            let ready = chunks
            chunks.removeAll()
            backlog = 0
            let outcome = result
            let wasPaused = paused
            paused = false
            condition.unlock()
            // Whatever piled up while the consumer worked goes to it as one piece: under
            // load, fewer and larger batches (one cache transaction each).
            if consuming, !ready.isEmpty {
                let piece = ready.count == 1 ? ready[0] : ready.reduce(into: Data()) { $0.append($1) }
                consuming = piece.withUnsafeBytes { consume?($0) ?? true }
                if !consuming {
                    condition.withLock { stopRequested = true }
                    loop.wake()
                }
            }
            if let outcome { return outcome }
            if wasPaused && consuming {
                condition.withLock { resumeRequested = true }
                loop.wake()
            }
        }
    }
}

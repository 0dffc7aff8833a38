import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Lets any thread wake the UI thread, which sleeps in `poll()` on the terminal and on
/// this pipe (the self-pipe trick): no busy loop, no timer needed for new data.
public final class Waker: Sendable {
    let readFD: Int32
    let writeFD: Int32
    /// A wake not yet seen: later ones write nothing (a stream wakes hundreds of times a
    /// second; one byte in the pipe says it all).
    private let pending = Atomic<Bool>(false)

    public init() {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { fatalError("cannot create a pipe: \(String(cString: strerror(errno)))") }
        readFD = fds[0]
        writeFD = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Safe from any thread, any number of times; a full pipe already means "awake".
    public func wake() {
        guard !pending.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Empties the pipe, then clears `pending`: in that order, so that a wake can never
    /// leave `pending` set with the pipe empty (which would swallow every later wake).
    /// A wake that lands between the two writes nothing, and needs to: its news was
    /// published before it, and the caller reads what is new after `drain` returns.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 256)
        while read(readFD, &buffer, buffer.count) > 0 {}
        _ = pending.exchange(false, ordering: .acquiringAndReleasing)
    }

    /// What ended a wait.
    public struct Wait: Sendable, Equatable {
        public var input: Bool
        public var woken: Bool
        public var timedOut: Bool { !input && !woken }
    }

    /// Sleeps until `inputFD` is readable, someone calls `wake()`, a signal arrives or
    /// `timeout` passes (nil: forever). With `ignoringWakes`, only input or the timeout
    /// end it: the caller already knows there is news and waits to read it.
    public func wait(input inputFD: Int32, timeout: Duration?, ignoringWakes: Bool = false) -> Wait {
        var fds = [
            pollfd(fd: inputFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: ignoringWakes ? -1 : readFD, events: Int16(POLLIN), revents: 0),
        ]
        let milliseconds: Int32 = timeout.map { duration in
            let (seconds, attoseconds) = duration.components
            return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        } ?? -1
        let ready = poll(&fds, nfds_t(fds.count), milliseconds)
        guard ready > 0 else { return Wait(input: false, woken: ready < 0 && errno == EINTR) }
        let woken = fds[1].revents & Int16(POLLIN) != 0
        if woken { drain() }
        let input = fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0
        return Wait(input: input, woken: woken)
    }
}

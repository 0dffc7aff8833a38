import CLinux
import Foundation

/// A closed-loop HTTP/1.1 load generator for the upgrade check: `connections`
/// keep-alive sockets driven by one thread with epoll, each with one request in
/// flight; the next goes out as soon as the answer is complete. It costs the server's
/// cores far less than a client library per request would, so the figure is the
/// server's, as a fleet of devices (many connections, one request each at a time)
/// would see it.
struct LoadResult {
    var answers = 0
    var failures = 0
    /// Microseconds from a request's first byte out to its answer's last byte in.
    var latencies: [Double] = []
}

/// `requests` go out in turn, round and round: made beforehand, so that the client
/// spends its share of the cores on sockets, not on formatting.
func closedLoopLoad(port: Int, connections: Int, seconds: Double, requests: [[UInt8]]) -> LoadResult {
    struct Connection {
        var fd: Int32
        var buffer: [UInt8] = []
        var sentAt: UInt64 = 0
    }
    func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
    var result = LoadResult()
    result.latencies.reserveCapacity(1_000_000)
    var sent = 0
    var pool: [Connection] = (0..<connections).compactMap { _ in
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        return Connection(fd: fd)
    }
    defer { pool.forEach { close($0.fd) } }
    func send(_ index: Int) {
        let bytes = requests[sent % requests.count]
        sent += 1
        pool[index].sentAt = nanoseconds()
        _ = bytes.withUnsafeBytes { write(pool[index].fd, $0.baseAddress, $0.count) }
    }
    for index in pool.indices { send(index) }
    // epoll, not poll(2): poll looks at every socket on every wake, which at tens of
    // thousands of answers a second cost the client a third of a core in the kernel.
    let epoll = opsdeck_epoll_create()
    defer { close(epoll) }
    var slotOf = [Int](repeating: -1, count: Int(pool.map(\.fd).max() ?? 0) + 1)
    for (slot, connection) in pool.enumerated() {
        slotOf[Int(connection.fd)] = slot
        _ = opsdeck_epoll_watch(epoll, connection.fd, UInt32(OPSDECK_EV_IN), 0)
    }
    var readyFDs = [Int32](repeating: 0, count: 512), readyEvents = [UInt32](repeating: 0, count: 512)
    var chunk = [UInt8](repeating: 0, count: 65_536)
    let ok = Array("HTTP/1.1 200".utf8)
    let deadline = nanoseconds() + UInt64(seconds * 1e9)
    while nanoseconds() < deadline {
        let count = opsdeck_epoll_wait(epoll, &readyFDs, &readyEvents, 512, 100)
        for ready in 0..<max(0, Int(count)) {
            let index = slotOf[Int(readyFDs[ready])]
            let count = read(pool[index].fd, &chunk, chunk.count)
            guard count > 0 else {
                // The server closed this device's connection: it is out of the load.
                _ = opsdeck_epoll_forget(epoll, pool[index].fd)
                result.failures += 1
                continue
            }
            pool[index].buffer.append(contentsOf: chunk[0..<count])
            // One complete answer: headers, then Content-Length bytes of body.
            guard let end = headerEnd(pool[index].buffer), let length = contentLength(pool[index].buffer[..<end]),
                  pool[index].buffer.count >= end + length else { continue }
            result.latencies.append(Double(nanoseconds() - pool[index].sentAt) / 1000)
            if pool[index].buffer.starts(with: ok) { result.answers += 1 } else { result.failures += 1 }
            pool[index].buffer.removeFirst(end + length)
            send(index)
        }
    }
    return result
}

private func headerEnd(_ bytes: [UInt8]) -> Int? {
    guard bytes.count >= 4 else { return nil }
    for index in 3..<bytes.count where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
        return index + 1
    }
    return nil
}

private func contentLength(_ header: ArraySlice<UInt8>) -> Int? {
    let name = Array("content-length:".utf8)
    var index = header.startIndex
    while index + name.count <= header.endIndex {
        // At a line start: compare the name without regard to case (ASCII letters only).
        if index == header.startIndex || header[index - 1] == 10,
           zip(header[index..<index + name.count], name).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) {
            var cursor = index + name.count, value = 0, digits = 0
            while cursor < header.endIndex, header[cursor] == 32 { cursor += 1 }
            while cursor < header.endIndex, header[cursor] >= 48, header[cursor] <= 57 {
                value = value * 10 + Int(header[cursor] - 48)
                digits += 1
                cursor += 1
            }
            return digits > 0 ? value : nil
        }
        index += 1
    }
    return nil
}

import Foundation
import Synchronization
import XCTest
#if canImport(Glibc)
import Glibc
#endif

// What more than one test target needs: a failure with words, values shared with the
// threads a test starts, and waiting for something that happens elsewhere.

/// A test's own failure, thrown where going on would only add noise.
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A flag shared with a thread.
public final class Flag: Sendable {
    private let value = Mutex(false)
    public init() {}
    public func set() { value.withLock { $0 = true } }
    public var isSet: Bool { value.withLock { $0 } }
}

/// A value shared between a test and a thread it starts.
public final class Locked<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    public init(_ value: Value) { self.value = Mutex(value) }
    public func update(_ change: (inout Value) -> Void) { value.withLock { change(&$0) } }
    public var current: Value { value.withLock { $0 } }
}

extension XCTestCase {
    /// Polls `condition` every 50 ms; past `timeout` the test fails, naming `what`.
    public func waitUntil(_ what: String, timeout: TimeInterval = 30, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(50_000)
        }
        XCTFail("timed out waiting until \(what)")
        throw TestFailure("timed out waiting until \(what)")
    }
}

/// A misbehaving HTTP peer on loopback: accepts connections and answers each with what
/// `reply` returns (or nothing, to stall), to test the client against faults a real
/// server cannot be made to produce on demand.
public final class RawServer: @unchecked Sendable {
    public let port: Int
    private let listener: Int32
    private let stopped = Flag()

    public init(reply: @escaping @Sendable (_ request: String) -> [UInt8]?) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { throw TestFailure("cannot listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let stopped = stopped
        let thread = Thread {
            while !stopped.isSet {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 65_536)
                let count = read(client, &buffer, buffer.count)
                let request = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
                if let bytes = reply(request) {
                    _ = bytes.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                    close(client)
                } else {
                    // Stall: hold the connection open, say nothing, until stopped.
                    while !stopped.isSet { usleep(20_000) }
                    close(client)
                }
            }
        }
        thread.start()
    }

    public func stop() {
        stopped.set()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    public static func http(status: String, contentType: String = "application/json", body: String) -> [UInt8] {
        Array("HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8)
    }
}

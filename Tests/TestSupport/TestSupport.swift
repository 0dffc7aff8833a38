import Foundation
import Synchronization
import XCTest

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

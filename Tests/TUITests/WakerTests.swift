import Foundation
import Testing
@testable import TUI

@Suite struct WakerTests {
    @Test func wakeFromAnotherThreadEndsTheWait() {
        let waker = Waker()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(50)) { waker.wake() }
        let result = waker.wait(input: fds[0], timeout: .seconds(10))
        #expect(result.woken)
        #expect(!result.input)
    }

    @Test func inputEndsTheWait() {
        let waker = Waker()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var byte: UInt8 = 65
        #expect(write(fds[1], &byte, 1) == 1)
        let result = waker.wait(input: fds[0], timeout: .seconds(10))
        #expect(result.input)
    }

    @Test func nothingHappeningTimesOut() {
        let waker = Waker()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        #expect(waker.wait(input: fds[0], timeout: .milliseconds(20)).timedOut)
    }

    @Test func manyWakesCollapseIntoOne() {
        let waker = Waker()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        for _ in 0..<10_000 { waker.wake() }
        #expect(waker.wait(input: fds[0], timeout: .seconds(1)).woken)
        #expect(waker.wait(input: fds[0], timeout: .milliseconds(10)).timedOut, "the pipe was drained")
    }
}

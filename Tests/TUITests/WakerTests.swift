import Foundation
import Synchronization
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

/// The lost wake-up (issue 18): many threads wake while the UI thread drains. After a
/// wait returns, any wake that follows must end the next wait at once; a wait that times
/// out while a producer's count moved past what was seen before it means a wake was lost.
@Suite struct WakerRaceTests {
    @Test func noWakeIsLostUnderContention() async throws {
        let waker = Waker()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let produced = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let producers = 3
        let done = Atomic<Int>(0)
        for _ in 0..<producers {
            Thread {
                while !stop.load(ordering: .acquiring) {
                    produced.add(1, ordering: .sequentiallyConsistent)
                    waker.wake()
                }
                done.add(1, ordering: .releasing)
            }.start()
        }
        let clock = ContinuousClock()
        let until = clock.now + .seconds(2)
        var waits = 0
        var lost = 0
        while clock.now < until {
            let before = produced.load(ordering: .sequentiallyConsistent)
            let result = waker.wait(input: fds[0], timeout: .seconds(1))
            waits += 1
            if result.timedOut && produced.load(ordering: .sequentiallyConsistent) > before {
                lost += 1
                break
            }
        }
        stop.store(true, ordering: .releasing)
        while done.load(ordering: .acquiring) < producers { await Task.yield() }
        #expect(lost == 0, "a wait timed out after \(waits) waits though the producers kept waking")
        #expect(waits > 100, "the consumer was woken \(waits) times in 2 s")
    }
}

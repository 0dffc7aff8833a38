import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import TestSupport
import XCTest

/// The live crash stream (Server-Sent Events) with the real client.
final class CrashStreamTests: XCTestCase {
    static func batch(_ count: Int, device: String = "d") -> SDKBatch {
        SDKBatch(
            app: "wallet-ios", release: "5.3.0", device: DeviceInfo(id: device, os: .ios, osVersion: "17.2", model: "iPhone 15"),
            crashes: (0..<count).map { n in
                SDKCrash(kind: n % 4 == 0 ? .anr : .crash, exceptionType: "E\(n % 3)", message: "m\(n)",
                         frames: [StackFrame(symbol: "f\(n % 5)", inApp: true)], at: Date())
            })
    }

    func testEventsArriveLiveAndResumeExactlyAfterLastEventID() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let sender = try PlatformClient(baseURL: server.url, token: server.token)
        let before = try sender.send(Self.batch(3)).crashIds  // before the stream: not replayed without an id

        let follower = try PlatformClient(baseURL: server.url, token: server.token)
        var received: [Int64] = []
        let sentBox = Locked<[Int64]>([])
        let sentAll = Flag()
        let (url, token) = (server.url, server.token)
        // Sent while the stream is open (or before it connects: it resumes after `before`).
        DispatchQueue.global().async {
            defer { sentAll.set() }
            guard let sender = try? PlatformClient(baseURL: url, token: token) else { return }
            for round in 0..<3 {
                let ids = (try? sender.send(Self.batch(4, device: "r\(round)")).crashIds) ?? []
                sentBox.update { $0 += ids }
            }
        }
        let last = try follower.followCrashes(app: "wallet-ios", lastEventID: String(before.last!)) { event in
            received.append(event.id)
            return received.count < 12
        }
        // The stream can deliver the last batch before its sender has the server's answer.
        try waitUntil("the sender has the server's answers", timeout: 10) { sentAll.isSet }
        let sent = sentBox.current
        XCTAssertEqual(received, sent)
        XCTAssertEqual(last, String(sent.last!))
        XCTAssertTrue(Set(received).isDisjoint(with: before))

        // Without an id the stream starts at the newest event: old ones are not replayed.
        let done = Flag()
        DispatchQueue.global().async {
            guard let sender = try? PlatformClient(baseURL: url, token: token) else { return }
            for _ in 0..<50 where !done.isSet {
                _ = try? sender.send(Self.batch(1, device: "late"))
                usleep(100_000)
            }
        }
        var first: Int64?
        try follower.followCrashes(app: "wallet-ios", lastEventID: nil) { event in
            first = event.id
            return false
        }
        done.set()
        XCTAssertGreaterThan(try XCTUnwrap(first), sent.last!)

        // Resume from the middle: exactly the events after it, nothing twice.
        var resumed: [Int64] = []
        try follower.followCrashes(app: "wallet-ios", lastEventID: String(sent[5])) { event in
            resumed.append(event.id)
            return resumed.count < 6
        }
        XCTAssertEqual(resumed, Array(sent[6...]))
    }

    func testAServerThatStopsEndsTheStreamWithATransientError() throws {
        let server = try TestServer.start()
        let follower = try PlatformClient(baseURL: server.url, token: server.token)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { server.stop() }
        let started = Date()
        do {
            try follower.followCrashes(app: "wallet-ios", lastEventID: "0") { _ in true }
        } catch {
            XCTAssertTrue(error.isTransient || error == .cancelled, "got \(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "a graceful shutdown closes the stream")
    }

    func testBadLastEventIDIsRefused() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let follower = try PlatformClient(baseURL: server.url, token: server.token)
        XCTAssertThrowsError(try follower.followCrashes(app: "wallet-ios", lastEventID: "yesterday") { _ in true }) { error in
            guard case PlatformError.http(400, _) = error else { return XCTFail("got \(error)") }
        }
    }
}

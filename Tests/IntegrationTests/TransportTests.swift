import Foundation
@testable import PlatformClient
import PlatformModel
import TestSupport
import XCTest

/// The transport's multi interface over real sockets: one network thread for every
/// client, transfers that do not wait for each other, and streams that pause for a slow
/// consumer without losing or reordering a byte.
final class TransportTests: XCTestCase {
    func testAStalledRequestDoesNotHoldUpAnother() throws {
        let arrived = Flag()
        let stalled = try RawServer { _ in
            arrived.set()
            return nil
        }
        defer { stalled.stop() }
        let server = try TestServer.start()
        defer { server.stop() }
        let waiting = Flag(), finished = Flag()
        Thread {
            let transport = CurlTransport(timeouts: .init(connect: 2, total: 6))
            waiting.set()
            _ = try? transport.perform(method: "GET", url: "http://127.0.0.1:\(stalled.port)/", headers: [:])
            finished.set()
        }.start()
        // The stalled request has reached its server: its transfer is in the multi.
        try waitUntil("the stalled request reached its server", timeout: 5) { waiting.isSet && arrived.isSet }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        for _ in 0..<20 { XCTAssertFalse(try client.apps().value?.isEmpty ?? true) }
        XCTAssertFalse(finished.isSet, "twenty answers came while the other request still waited for its stalled server")
    }

    func testEveryClientSharesOneNetworkThread() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        let group = DispatchGroup()
        let url = server.url, token = server.token
        for _ in 0..<4 {
            group.enter()
            Thread {
                let client = try? PlatformClient(baseURL: url, token: token)
                for _ in 0..<5 { _ = try? client?.apps() }
                group.leave()
            }.start()
        }
        group.wait()
        let names = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { task in
            try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        XCTAssertEqual(names.filter { $0 == "opsdeck-network" }.count, 1, "threads: \(names.sorted())")
    }

    func testASlowStreamConsumerPausesTheTransferAndLosesNothing() throws {
        // 12 MiB of numbered lines, three times what the network thread holds for a
        // consumer before it pauses the transfer.
        let lines = (0..<1_200_000).map { String(format: "%09d\n", $0) }.joined()
        let raw = try RawServer { _ in RawServer.http(status: "200 OK", contentType: "text/plain", body: lines) }
        defer { raw.stop() }
        let transport = CurlTransport(timeouts: .init(connect: 2, total: 60))
        var received = Data()
        var chunks = 0
        let pausesBefore = Transfer.pauses.load(ordering: .relaxed)
        let exchange = try transport.perform(method: "GET", url: "http://127.0.0.1:\(raw.port)/", headers: [:], idleTimeout: 30) { bytes in
            chunks += 1
            if chunks == 1 { usleep(500_000) }  // behind: the backlog fills and the transfer pauses
            received.append(contentsOf: bytes)
            return true
        }
        XCTAssertEqual(exchange.status, 200)
        XCTAssertEqual(received.count, lines.utf8.count)
        XCTAssertTrue(received == Data(lines.utf8), "every byte, in order")
        XCTAssertGreaterThan(Transfer.pauses.load(ordering: .relaxed), pausesBefore, "the transfer was paused while its consumer slept")
    }

    func testAConsumerThatStopsEndsTheStreamCleanly() throws {
        let lines = (0..<200_000).map { String(format: "%09d\n", $0) }.joined()
        let raw = try RawServer { _ in RawServer.http(status: "200 OK", contentType: "text/plain", body: lines) }
        defer { raw.stop() }
        let transport = CurlTransport()
        var received = 0, callsAfterStop = 0
        let exchange = try transport.perform(method: "GET", url: "http://127.0.0.1:\(raw.port)/", headers: [:]) { bytes in
            if received >= 100_000 { callsAfterStop += 1 }
            received += bytes.count
            return received < 100_000
        }
        XCTAssertEqual(exchange.status, 200)
        // Not "fewer bytes than sent": on a loaded machine all 2 MB may have piled up
        // before the first hand-over, and arrive as one piece.
        XCTAssertGreaterThanOrEqual(received, 100_000)
        XCTAssertEqual(callsAfterStop, 0, "nothing is handed over after the consumer said stop")
        // The handle is free again: the next request on it works.
        let server = try TestServer.start()
        defer { server.stop() }
        let next = try transport.perform(method: "GET", url: server.url + "/healthz", headers: [:])
        XCTAssertEqual(next.status, 200)
    }

    func testTheProxyEnvironmentIsHonoured() throws {
        // A "proxy" on loopback: libcurl must send it the absolute URL of a host that
        // does not exist, and take its answer.
        let seen = Locked<String>("")
        let proxy = try RawServer { request in
            seen.update { $0 = request }
            return RawServer.http(status: "200 OK", body: #"{"via":"proxy"}"#)
        }
        defer { proxy.stop() }
        setenv("http_proxy", "http://127.0.0.1:\(proxy.port)", 1)
        defer { unsetenv("http_proxy") }
        let answer = try CurlTransport().perform(method: "GET", url: "http://platform.invalid:8080/v1/apps", headers: [:])
        XCTAssertEqual(String(decoding: answer.body, as: UTF8.self), #"{"via":"proxy"}"#)
        XCTAssertTrue(seen.current.hasPrefix("GET http://platform.invalid:8080/v1/apps HTTP/1.1"), seen.current)
    }
}

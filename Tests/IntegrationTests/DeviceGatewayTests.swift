import Foundation
import Logging
import PlatformClient
import PlatformModel
import PlatformServer
import TestSupport
import XCTest

/// The device gateway (`opsdeck serve --gateway`) over real sockets: the same answers as
/// the API's check, and HTTP/1.1 as a hostile or careless client would speak it.
final class DeviceGatewayTests: XCTestCase {
    private func start(_ configuration: DeviceGateway.Configuration = .init(loops: 2)) throws -> (TestServer, DeviceGateway) {
        let server = try TestServer.start()
        let gateway = try DeviceGateway(server: server.server, configuration: configuration,
                                        logger: Logger(label: "test.gateway") { _ in SwiftLogNoOpLogHandler() })
        return (server, gateway)
    }

    func testEveryAnswerIsTheAPIsAnswerAndChangesShowAtOnce() throws {
        let (server, gateway) = try start()
        defer { gateway.stop(); server.stop() }
        let api = try PlatformClient(baseURL: server.url, token: server.token)
        let devices = try PlatformClient(baseURL: "http://127.0.0.1:\(gateway.port)", token: server.token)
        let cities = ["Hangzhou", "Shanghai", "São Paulo", "a&b=c", "100% sure"]
        let cases = (0..<120).map { n in
            DeviceInfo(id: n % 7 == 0 ? "d+\(n)/ü" : "dev-\(n)", os: n % 3 == 0 ? .ios : .android, osVersion: ["12", "14", "17.2"][n % 3],
                       model: n % 2 == 0 ? "Pixel 8" : "iPhone 15", city: cities[n % cities.count], network: n % 4 == 0 ? "5g" : "wifi")
        }
        for (n, device) in cases.enumerated() {
            let app = device.os == .ios ? "wallet-ios" : "wallet-android", version = ["4.9.0", "5.0.0", "5.2.1"][n % 3]
            XCTAssertEqual(try devices.check(app: app, device: device, version: version), try api.check(app: app, device: device, version: version))
        }
        // A switch flipped through the API: the gateway's next answer has it.
        let pay = try XCTUnwrap(api.switches(app: "wallet-ios").value?.first { $0.key == "pay-api" })
        let phone = DeviceInfo(id: "p-1", os: .ios, osVersion: "17.2", model: "iPhone 15")
        XCTAssertEqual(try devices.check(app: "wallet-ios", device: phone, version: "5.0.0").switches["pay-api"], true)
        _ = try api.patchSwitch(app: "wallet-ios", key: "pay-api", SwitchPatch(enabled: false, reason: "incident"), ifMatch: pay.etag)
        XCTAssertEqual(try devices.check(app: "wallet-ios", device: phone, version: "5.0.0").switches["pay-api"], false)

        // The bytes too, not only what decodes from them.
        let query = "/v1/sdk/check?app=wallet-android&device=x%20y&version=5.0.0&os=android&city=Hangzhou"
        let viaGateway = try exchange(gateway.port, "GET \(query) HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer \(server.token)\r\nConnection: close\r\n\r\n")
        let viaAPI = try exchange(server.port, "GET \(query) HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer \(server.token)\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(viaGateway.first?.status, 200)
        XCTAssertEqual(viaGateway.first?.body, viaAPI.first?.body)
        XCTAssertEqual(viaGateway.first?.headers["content-type"], "application/json")
        XCTAssertNotNil(viaGateway.first?.headers["date"])
    }

    func testErrorsAreProblemsWithTheAPIsWords() throws {
        let (server, gateway) = try start()
        defer { gateway.stop(); server.stop() }
        let check = "/v1/sdk/check?app=wallet-android&device=d&version=1&os=android"
        func ask(_ head: String) throws -> Answer {
            try XCTUnwrap(exchange(gateway.port, head + "Connection: close\r\n\r\n").first)
        }
        let auth = "Authorization: Bearer \(server.token)\r\n"
        let cases: [(String, Int, String)] = [
            ("GET \(check) HTTP/1.1\r\n", 401, "needs an Authorization: Bearer token"),
            ("GET \(check) HTTP/1.1\r\nAuthorization: Basic abc\r\n", 401, "must be 'Bearer TOKEN'"),
            ("GET \(check) HTTP/1.1\r\nAuthorization: Bearer \(server.token)x\r\n", 401, "not known"),
            ("GET /v1/sdk/check?app=wallet-android&version=1&os=android HTTP/1.1\r\n\(auth)", 400, "'device' is required"),
            ("GET /v1/sdk/check?app=wallet-android&device=d&version=1&os=beos HTTP/1.1\r\n\(auth)", 400, "os must be one of"),
            ("GET /v1/sdk/check?app=nope&device=d&version=1&os=android HTTP/1.1\r\n\(auth)", 404, "no app with id 'nope'"),
            ("POST \(check) HTTP/1.1\r\n\(auth)Content-Length: 0\r\n", 405, "POST is not allowed"),
            ("GET /v1/apps HTTP/1.1\r\n\(auth)", 404, "the API everything else"),
            ("GET \(check) HTTP/2.0\r\n", 505, "HTTP/1.0 and HTTP/1.1"),
            ("GET  HTTP/1.1\r\n", 400, "origin-form"),
            ("GET \(check) HTTP/1.1\r\nX-Bad\u{1}: 1\r\n", 400, "'Name: value'"),
            ("GET \(check) HTTP/1.1\r\nX-Bad: a\u{7f}b\r\n", 400, "control character"),
            ("GET \(check) HTTP/1.1\r\n\(auth)Transfer-Encoding: chunked\r\n", 400, "Transfer-Encoding"),
            ("GET \(check) HTTP/1.1\r\n\(auth)Content-Length: 999999\r\n", 413, "takes no body"),
            ("GET \(check) HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n", 400, "two different Content-Length"),
            ("GET \(check) HTTP/1.1\r\nX-Pad: \(String(repeating: "a", count: 9000))\r\n", 431, "larger than 8192"),
        ]
        // The API's own words for the same mistakes (where it has the route).
        let api = try PlatformClient(baseURL: server.url, token: server.token)
        XCTAssertThrowsError(try api.check(app: "wallet-android", device: DeviceInfo(id: "", os: .android, osVersion: "", model: ""), version: "1")) { error in
            XCTAssertTrue("\(error)".contains("'device' is required"), "\(error)")
        }
        for (head, status, words) in cases {
            let answer = try ask(head)
            XCTAssertEqual(answer.status, status, head)
            XCTAssertEqual(answer.headers["content-type"], Problem.mediaType, head)
            let problem = try JSONDecoder().decode(Problem.self, from: Data(answer.body))
            XCTAssertEqual(problem.status, status)
            XCTAssertTrue(problem.detail?.contains(words) ?? false, "\(head): \(problem.detail ?? "")")
            if status == 401 { XCTAssertEqual(answer.headers["www-authenticate"], "Bearer realm=\"opsdeck\"") }
            if status == 405 { XCTAssertEqual(answer.headers["allow"], "GET") }
        }
    }

    func testKeepAlivePipeliningAndAnIgnoredBodyKeepTheirOrder() throws {
        let (server, gateway) = try start()
        defer { gateway.stop(); server.stop() }
        func check(_ device: String, _ extra: String = "") -> String {
            "GET /v1/sdk/check?app=wallet-android&device=\(device)&version=5.0.0&os=android HTTP/1.1\r\nHost: h\r\n"
                + "Authorization: Bearer \(server.token)\r\n\(extra)\r\n"
        }
        // Three requests in one write, the second with a small body, the last closing.
        let burst = "\r\n" + check("one") + check("two", "Content-Length: 5\r\n") + "hello" + check("three", "Connection: close\r\n")
        let answers = try exchange(gateway.port, burst)
        XCTAssertEqual(answers.map(\.status), [200, 200, 200])
        XCTAssertEqual(try answers.map { try JSONDecoder().decode(UpgradeAnswer.self, from: Data($0.body)).device }, ["one", "two", "three"])
        XCTAssertEqual(answers.last?.headers["connection"], "close")
        XCTAssertNil(answers.first?.headers["connection"])

        // HTTP/1.0 closes after one answer unless it asks to keep the connection.
        let old = try exchange(gateway.port, check("a").replacingOccurrences(of: "HTTP/1.1", with: "HTTP/1.0") + check("b"))
        XCTAssertEqual(old.count, 1)

        // Thousands in flight, the client not reading while it writes: the gateway stops
        // reading while its answers back up, and every answer arrives, in order.
        let many = (0..<3000).map { check("m\($0)") }.joined() + check("last", "Connection: close\r\n")
        let flood = try exchange(gateway.port, many, readAfterWriting: true)
        XCTAssertEqual(flood.count, 3001)
        XCTAssertTrue(flood.allSatisfy { $0.status == 200 })
        let devices = try flood.map { try JSONDecoder().decode(UpgradeAnswer.self, from: Data($0.body)).device }
        XCTAssertEqual(devices, (0..<3000).map { "m\($0)" } + ["last"])
    }

    func testSlowHeadsIdleConnectionsAndTheConnectionLimit() throws {
        let (server, gateway) = try start(.init(loops: 1, idleTimeout: 1, headTimeout: 1, maximumConnections: 2))
        defer { gateway.stop(); server.stop() }
        // A head that never completes gets 408, then the connection closes.
        let slow = try RawConnection(port: gateway.port)
        try slow.send("GET /v1/sdk/check?app=wallet-android HTTP/1.1\r\nHost: h\r\n")
        let timedOut = try slow.readUntilClosed(timeout: 5)
        XCTAssertEqual(parseAnswers(timedOut).first?.status, 408)

        // An idle keep-alive connection is closed without a word.
        let idle = try RawConnection(port: gateway.port)
        XCTAssertTrue(try idle.readUntilClosed(timeout: 5).isEmpty)

        // Two connections held: a third is told 503 with Retry-After and closed.
        let first = try RawConnection(port: gateway.port), second = try RawConnection(port: gateway.port)
        try first.send("GET /healthz HTTP/1.1\r\n\r\n")
        try second.send("GET /healthz HTTP/1.1\r\n\r\n")
        XCTAssertEqual(parseAnswers(try first.read(atLeast: 1, timeout: 5)).first?.status, 200)
        XCTAssertEqual(parseAnswers(try second.read(atLeast: 1, timeout: 5)).first?.status, 200)
        let refused = parseAnswers(try RawConnection(port: gateway.port).readUntilClosed(timeout: 5))
        XCTAssertEqual(refused.first?.status, 503)
        XCTAssertEqual(refused.first?.headers["retry-after"], "1")
    }

    func testItRunsOnNamedLoopsAndStopsListening() throws {
        let (server, gateway) = try start(.init(loops: 2))
        defer { server.stop() }
        func loopThreads() -> Set<String> {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task"))?.compactMap {
                try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return Set((names ?? []).filter { $0.hasPrefix("opsdeck-gw-") })
        }
        // The threads name themselves as they start.
        let deadline = Date().addingTimeInterval(5)
        while loopThreads().count < 2, Date() < deadline { usleep(10_000) }
        XCTAssertEqual(loopThreads(), ["opsdeck-gw-0", "opsdeck-gw-1"])
        let open = try RawConnection(port: gateway.port)
        XCTAssertTrue(canConnect(port: gateway.port))
        gateway.stop()
        XCTAssertFalse(canConnect(port: gateway.port))
        XCTAssertTrue(try open.readUntilClosed(timeout: 5).isEmpty, "open connections are closed too")
        XCTAssertThrowsError(try DeviceGateway(server: server.server, configuration: .init(host: "203.0.113.1", port: 1), logger: Logger(label: "t"))) {
            XCTAssertTrue("\($0)".contains("cannot listen on 203.0.113.1:1"), "\($0)")
        }
    }

    /// Stopping while connections are still being accepted and dealt out: each one is
    /// closed without a byte, whichever loop it was on its way to. (A loop that ended
    /// before the listening one used to be dealt a connection it never closed, and its
    /// closed wake-up descriptor, reused by that very socket, got the wake-up's 8 bytes.)
    func testStoppingWhileConnectionsArriveClosesEveryOne() throws {
        let server = try TestServer.start()
        defer { server.stop() }
        for round in 0..<60 {
            let gateway = try DeviceGateway(server: server.server, configuration: .init(loops: 3),
                                            logger: Logger(label: "test.gateway") { _ in SwiftLogNoOpLogHandler() })
            let arriving = try (0..<6).map { _ in try RawConnection(port: gateway.port) }
            gateway.stop()
            for (index, connection) in arriving.enumerated() {
                let bytes = try connection.readUntilClosed(timeout: 3)
                XCTAssertTrue(bytes.isEmpty, "round \(round), connection \(index) got \(bytes.count) bytes after stop")
            }
        }
    }
}

// MARK: a raw HTTP client: bytes in, answers out

struct Answer {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
}

/// Splits a byte stream into HTTP/1.1 answers (Content-Length framing).
func parseAnswers(_ bytes: [UInt8]) -> [Answer] {
    var answers: [Answer] = [], rest = bytes[...]
    let separator: [UInt8] = [13, 10, 13, 10]
    while let end = rest.firstRange(of: separator) {
        let head = String(decoding: rest[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard rest.distance(from: end.upperBound, to: rest.endIndex) >= length else { break }
        let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        answers.append(Answer(status: status, headers: headers, body: Array(rest[end.upperBound..<end.upperBound + length])))
        rest = rest[(end.upperBound + length)...]
    }
    return answers
}

/// Sends `request` on a new connection and reads until the server closes it. With
/// `readAfterWriting`, a second thread writes while this one reads (a large burst).
func exchange(_ port: Int, _ request: String, readAfterWriting: Bool = false) throws -> [Answer] {
    let connection = try RawConnection(port: port)
    if readAfterWriting {
        let writer = Thread { try? connection.send(request) }
        writer.start()
    } else {
        try connection.send(request)
    }
    return parseAnswers(try connection.readUntilClosed(timeout: 30))
}

final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        guard let fd = connectLoopback(port: port) else { throw TestFailure("cannot connect to port \(port)") }
        self.fd = fd
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw TestFailure("send failed: errno \(errno)") }
            offset += written
        }
    }

    /// Everything until the peer closes; throws when it does not within `timeout`.
    func readUntilClosed(timeout: Double) throws -> [UInt8] {
        try read(atLeast: Int.max, timeout: timeout)
    }

    /// Reads until `atLeast` bytes or the peer closes.
    func read(atLeast: Int, timeout: Double) throws -> [UInt8] {
        var received: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 65_536)
        let deadline = Date().addingTimeInterval(timeout)
        while received.count < atLeast {
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            guard remaining > 0 else { throw TestFailure("the peer neither answered nor closed within \(timeout) s") }
            guard poll(&ready, 1, remaining) > 0 else { continue }
            let count = Glibc.read(fd, &chunk, chunk.count)
            if count <= 0 { return received }
            received += chunk[0..<count]
        }
        return received
    }
}

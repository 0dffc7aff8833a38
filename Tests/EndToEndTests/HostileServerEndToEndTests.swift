import Foundation
import TestSupport
import XCTest

/// The real console against a server that answers every request with something no
/// platform would send: it says what is wrong, keeps running, and quits cleanly.
final class HostileServerEndToEndTests: XCTestCase {
    func testTheConsoleSaysWhatIsWrongAndKeepsRunning() throws {
        guard FileManager.default.isExecutableFile(atPath: Harness.binary) else {
            throw TestFailure("no opsdeck binary at \(Harness.binary): run `swift build` first (make test does)")
        }
        let answers: [(String, [UInt8], String)] = [
            ("an HTML page", RawServer.http(status: "200 OK", contentType: "text/html", body: "<!doctype html>\u{1B}]0;owned\u{07}<title>Sign in</title>"), "bad answer"),
            ("a 500", RawServer.http(status: "500 Internal Server Error", contentType: "text/html", body: "<h1>Oops</h1>"), "answered 500"),
            ("a 304 nobody asked for", Array("HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n".utf8), "bad answer"),
            ("an empty body", RawServer.http(status: "200 OK", body: ""), "bad answer"),
        ]
        for (name, bytes, expected) in answers {
            let raw = try RawServer { _ in bytes }
            defer { raw.stop() }
            let folder = Harness.temporaryFolder()
            let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/cache.sqlite \(Harness.binary) --api http://127.0.0.1:\(raw.port) --token t --log \(folder.path)/console.log")
            let screen = try terminal.waitFor(["offline", expected])
            XCTAssertFalse(screen.contains("owned"), "\(name): nothing of the body reaches the screen raw")
            // Still running: keys work, panes change.
            try terminal.send("2")
            try terminal.waitFor(["Live events"])
            try terminal.send("q")
            XCTAssertEqual(try terminal.waitForExit(), 0, "\(name): the console quits cleanly")
        }
    }
}

import PlatformClient
import XCTest

final class SSEParserTests: XCTestCase {
    func events(_ chunks: [String]) -> ([ServerSentEvent], ServerSentEventParser) {
        var parser = ServerSentEventParser()
        var all: [ServerSentEvent] = []
        for chunk in chunks { all += parser.feed(Array(chunk.utf8)) }
        return (all, parser)
    }

    func testFieldsMultiLineDataAndComments() {
        let (all, parser) = events([": hello\n", "retry: 1500\nid: 7\nevent: crash\ndata: a\ndata:b\n\n", "data: plain\n\n"])
        XCTAssertEqual(all, [ServerSentEvent(id: "7", event: "crash", data: "a\nb"), ServerSentEvent(id: "7", event: "message", data: "plain")])
        XCTAssertEqual(parser.lastEventID, "7")
        XCTAssertEqual(parser.retry, 1500)
    }

    func testEveryLineEndingAndSplitsAnywhere() {
        let text = "id: 1\r\ndata: x\r\n\r\nid: 2\rdata: y\r\rid: 3\ndata: z\n\n"
        let whole = events([text]).0
        XCTAssertEqual(whole.map(\.data), ["x", "y", "z"])
        // Byte by byte, including a CRLF split between chunks.
        let split = events(text.map { String($0) }).0
        XCTAssertEqual(split, whole)
    }

    func testIgnoredAndHostileInput() {
        let (all, parser) = events(["\u{FEFF}data: first\n\n", "id: a\u{0}b\ndata: kept\n\n", "unknown: field\n\n", "data\n\n"])
        XCTAssertEqual(all.map(\.data), ["first", "kept", ""])
        XCTAssertNil(parser.lastEventID, "an id with NUL is ignored")
        var bounded = ServerSentEventParser(maximumLine: 8)
        XCTAssertEqual(bounded.feed(Array("data: \(String(repeating: "x", count: 100))\n\n".utf8)).first?.data.count, 2)
    }
}

import Foundation
import PlatformClient
import PlatformModel
import TestSupport
import TUI
import XCTest

/// Text from millions of devices in every language, sent through the real API and read
/// back from a real terminal: every column starts where its title does, and what the
/// terminal shows after incremental updates is what a full repaint draws (no stale cell).
final class UnicodeLayoutEndToEndTests: XCTestCase {
    /// Clusters that terminals, ncurses and naive width counts disagree on.
    static let samples = [
        "👩\u{200D}💻Dev", "❤\u{FE0F}✔\u{FE0F}Heart", "🇯🇵🇰🇷Flags", "a\u{200B}b\u{2060}c\u{200C}d", "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}Tag",
        "👍🏽Tone", "e\u{301}\u{302}\u{303}\u{304}\u{305}Zalgo", "支付宝钱包Pay", "한국어Text", "\u{0915}\u{093F}Deva", "1\u{FE0F}\u{20E3}Key",
        "\u{1B}]52;c;aGk=\u{07}Osc", "\u{202E}Rtl", "Ｆｕｌｌ", "co\u{AD}op",
    ]

    func testEveryColumnLinesUpAndNothingStale() throws {
        guard FileManager.default.isExecutableFile(atPath: Harness.binary) else {
            throw TestFailure("no opsdeck binary at \(Harness.binary): run `swift build` first (make test does)")
        }
        let folder = Harness.temporaryFolder()
        let server = try ServerProcess(database: folder.appendingPathComponent("platform.sqlite").path)
        defer { server.stop() }
        let client = try PlatformClient(baseURL: server.url, token: server.token)
        let app = try XCTUnwrap(client.apps().value?.first)
        let release = try XCTUnwrap(client.releases(app: app.id).value?.first { $0.stage == .gray })
        for (index, sample) in Self.samples.enumerated() {
            _ = try client.send(SDKBatch(
                app: app.id, release: release.version,
                device: DeviceInfo(id: "unicode-\(index)", os: app.platform, osVersion: "14", model: "M\(index)-" + sample),
                crashes: [SDKCrash(kind: .crash, exceptionType: "E\(index)" + sample + "Exception", message: "msg\(index)-" + sample,
                                   frames: [StackFrame(symbol: "f" + sample, file: "F.kt", line: 1, inApp: true)], at: Date())]))
        }
        for (width, height) in [(120, 40), (80, 24), (200, 60)] {
            let terminal = try Terminal(command: "env OPSDECK_CACHE=\(folder.path)/cache-\(width).sqlite \(Harness.binary) --api \(server.url) --token \(server.token) --log \(folder.path)/console.log",
                                        width: width, height: height)
            try terminal.waitFor(["online"])
            try terminal.send("2")
            try terminal.waitFor(["Live events", "E0", "msg\(min(Self.samples.count - 1, height - 12))"])
            try checkLayout(terminal, width: width, columns: [("MESSAGE", "msg"), ("DEVICE", "M")], where: { $0.contains("msg") })
            // Walk the list: every move repaints rows incrementally.
            for _ in 0..<6 { try terminal.send("j") }
            try assertMatchesFullRepaint(terminal, "events list at \(width)x\(height)")
            // The issue list, grouped by exception.
            try terminal.send("v")
            try terminal.waitFor(["ISSUE", "E1"])
            // Below 100 columns the issue list leaves RELEASES to the detail.
            let issueColumns: [(String, String?)] = width >= 100 ? [("EVENTS", nil), ("DEVICES", nil), ("RELEASES", release.version)] : [("EVENTS", nil), ("DEVICES", nil)]
            try checkLayout(terminal, width: width, columns: issueColumns, where: { $0.contains("Exception") })
            for _ in 0..<4 { try terminal.send("j") }
            try assertMatchesFullRepaint(terminal, "issue list at \(width)x\(height)")
            try terminal.send("q")
            XCTAssertEqual(try terminal.waitForExit(), 0)
        }
    }

    /// Columns of a captured row, counted as the terminal counts them.
    private func columnOf(_ needle: Substring.Index?, in line: Substring) -> Int? {
        guard let needle else { return nil }
        return line[..<needle].unicodeScalars.reduce(0) { $0 + max(0, TerminalText.columns(of: $1)) }
    }

    /// Each hostile row is exactly the terminal's width at most, and the values of the
    /// given columns start in the same terminal column as their titles (`prefix` nil:
    /// right-aligned numbers, checked by where the title ends).
    private func checkLayout(_ terminal: Terminal, width: Int, columns: [(title: String, prefix: String?)], where isRow: (Substring) -> Bool,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let screen = try terminal.screen()
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        let header = try XCTUnwrap(lines.first { line in columns.allSatisfy { line.contains($0.title) } }, "no table header\n\(screen)", file: file, line: line)
        let rows = lines.filter(isRow)
        XCTAssertGreaterThan(rows.count, 3, "hostile rows on screen\n\(screen)", file: file, line: line)
        for row in rows {
            let total = columnOf(row.endIndex, in: row) ?? 0
            XCTAssertLessThanOrEqual(total, width, "a row wider than the terminal: \(row)", file: file, line: line)
            for column in columns {
                let titleStart = try XCTUnwrap(columnOf(header.range(of: column.title)?.lowerBound, in: header), file: file, line: line)
                if let prefix = column.prefix {
                    // The value starts where the title does.
                    let start = row.ranges(of: prefix).map(\.lowerBound).compactMap { columnOf($0, in: row) }
                    XCTAssertTrue(start.contains(titleStart), "\(column.title) at \(titleStart), row has \(prefix) at \(start):\n\(header)\n\(row)", file: file, line: line)
                } else {
                    // A right-aligned number ends where its title ends.
                    let titleEnd = titleStart + column.title.count
                    let cell = row.unicodeScalars.isEmpty ? "" : cellText(row, from: titleStart, to: titleEnd)
                    XCTAssertTrue(cell.last.map { $0 != " " } ?? false, "\(column.title) column ends at \(titleEnd); row there reads '\(cell)':\n\(header)\n\(row)", file: file, line: line)
                }
            }
        }
    }

    /// The text in terminal columns [from, to) of a captured row.
    private func cellText(_ row: Substring, from: Int, to: Int) -> String {
        var column = 0
        var out = ""
        for scalar in row.unicodeScalars {
            let width = max(0, TerminalText.columns(of: scalar))
            if column >= from && column < to { out.unicodeScalars.append(scalar) }
            column += width
        }
        return out
    }
}

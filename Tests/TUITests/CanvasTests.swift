import Testing
@testable import TUI

@Suite struct CanvasTests {
    @Test func putWritesSanitisedTextAndReportsColumns() {
        var canvas = Canvas(size: Size(width: 10, height: 2))
        let used = canvas.put("hi\u{1B}x", x: 1, y: 0, style: .plain)
        #expect(used == 4)
        #expect(canvas.lines[0] == " hi\u{FFFD}x")
    }

    @Test func wideGlyphTakesTwoCellsWithContinuation() {
        var canvas = Canvas(size: Size(width: 6, height: 1))
        canvas.put("支a", x: 0, y: 0, style: .plain)
        #expect(canvas[0, 0].symbol == "支")
        #expect(canvas[1, 0].isContinuation)
        #expect(canvas[2, 0].symbol == "a")
    }

    @Test func wideGlyphThatDoesNotFitLeavesABlank() {
        var canvas = Canvas(size: Size(width: 3, height: 1))
        let used = canvas.put("a支", x: 1, y: 0, maxWidth: 2, style: .plain)
        #expect(used == 2)
        #expect(canvas[2, 0].symbol == " ")
        #expect(!canvas.cells.contains { $0.symbol == "支" })
    }

    @Test func overwritingHalfAWideGlyphBlanksTheOtherHalf() {
        var canvas = Canvas(size: Size(width: 4, height: 1))
        canvas.put("支", x: 0, y: 0, style: .plain)
        canvas.put("x", x: 1, y: 0, style: .plain)
        #expect(canvas[0, 0].symbol == " ")
        #expect(canvas[1, 0].symbol == "x")
    }

    @Test func changesListOnlyDifferingCells() {
        var before = Canvas(size: Size(width: 5, height: 2))
        before.put("hello", x: 0, y: 0, style: .plain)
        var after = before
        after.put("J", x: 0, y: 0, style: .plain)
        after.put("!", x: 4, y: 1, style: Style(attributes: .bold))
        let changes = after.changes(since: before)
        #expect(changes.map { [$0.x, $0.y] } == [[0, 0], [4, 1]])
        #expect(after.changes(since: after).isEmpty)
    }

    @Test func aStyleChangeAloneIsAChange() {
        var before = Canvas(size: Size(width: 3, height: 1))
        before.put("abc", x: 0, y: 0, style: .plain)
        var after = before
        after.put("b", x: 1, y: 0, style: Style(fg: .indexed(1)))
        #expect(after.changes(since: before).count == 1)
    }

    @Test func aNewSizeRepaintsEverything() {
        let small = Canvas(size: Size(width: 2, height: 2))
        let large = Canvas(size: Size(width: 3, height: 2))
        #expect(large.changes(since: small).count == 6)
        #expect(large.changes(since: nil).count == 6)
    }

    @Test func alignedPutPadsAndTruncates() {
        var canvas = Canvas(size: Size(width: 10, height: 1))
        canvas.put("42", x: 0, y: 0, width: 5, style: .plain, alignment: .right)
        canvas.put("abcdefgh", x: 5, y: 0, width: 5, style: .plain)
        #expect(canvas.lines[0] == "   42abcd…")
    }

    @Test func drawingOutsideTheCanvasIsIgnored() {
        var canvas = Canvas(size: Size(width: 3, height: 1))
        #expect(canvas.put("x", x: 0, y: 5, style: .plain) == 0)
        #expect(canvas.put("x", x: 7, y: 0, style: .plain) == 0)
        canvas.fill(Rect(x: -2, y: -2, width: 10, height: 10), style: Style(attributes: .reverse))
        #expect(canvas.cells.allSatisfy { $0.style.attributes == .reverse })
    }
}

@Suite struct LayoutTests {
    @Test func fixedPartsThenFillsShareTheRest() {
        let rects = Rect(x: 0, y: 0, width: 10, height: 24).rows([.length(1), .length(1), .fill, .length(1)])
        #expect(rects.map(\.height) == [1, 1, 21, 1])
        #expect(rects.map(\.y) == [0, 1, 2, 23])
    }

    @Test func fillsSplitEvenlyWithOddCellsFirst() {
        let rects = Rect(x: 0, y: 0, width: 11, height: 1).columns([.fill, .fill, .length(2)])
        #expect(rects.map(\.width) == [5, 4, 2])
    }

    @Test func partsNeverExceedTheTotal() {
        let rects = Rect(x: 0, y: 0, width: 5, height: 1).columns([.length(4), .length(4), .fill])
        #expect(rects.map(\.width) == [4, 1, 0])
        #expect(rects.map(\.x) == [0, 4, 5])
    }
}

import Testing
@testable import TUI

@Suite struct WidgetTests {
    let styles = Table.Styles(
        header: Style(attributes: .underline), row: .plain, selected: Style(attributes: .reverse))

    func table(rows: Int, selected: Int?) -> Table {
        Table(
            columns: [Table.Column("NAME", width: .length(6)), Table.Column("N", width: .fill, alignment: .right)],
            rows: (0..<rows).map { [Span("row\($0)"), Span(String($0))] },
            selected: selected, styles: styles)
    }

    @Test func tableDrawsHeaderAndRowsWithAlignment() {
        var canvas = Canvas(size: Size(width: 12, height: 4))
        table(rows: 2, selected: nil).render(into: &canvas, area: canvas.bounds)
        #expect(canvas.lines == ["NAME       N", "row0       0", "row1       1", ""])
        #expect(canvas[0, 0].style.attributes.contains(.underline))
    }

    @Test func selectedRowIsHighlightedAcrossTheWidth() {
        var canvas = Canvas(size: Size(width: 12, height: 4))
        table(rows: 3, selected: 1).render(into: &canvas, area: canvas.bounds)
        for x in 0..<12 { #expect(canvas[x, 2].style.attributes.contains(.reverse)) }
        #expect(!canvas[0, 1].style.attributes.contains(.reverse))
    }

    @Test func tableScrollsToKeepTheSelectionVisible() {
        var canvas = Canvas(size: Size(width: 12, height: 4))  // header + 3 rows
        table(rows: 10, selected: 7).render(into: &canvas, area: canvas.bounds)
        #expect(canvas.lines[1].hasPrefix("row5"))
        #expect(canvas.lines[3].hasPrefix("row7"))
        #expect(canvas[0, 3].style.attributes.contains(.reverse))
    }

    @Test func scrollOffsetNeverShowsPastTheEnd() {
        #expect(Table.scrollOffset(selected: 9, rowCount: 10, visible: 3) == 7)
        #expect(Table.scrollOffset(selected: 0, rowCount: 10, visible: 3) == 0)
        #expect(Table.scrollOffset(selected: 5, rowCount: 2, visible: 3) == 0)
    }

    @Test func tabsMarkTheActiveOneAndReportWhereEachIs() {
        var canvas = Canvas(size: Size(width: 30, height: 1))
        let ranges = Tabs(titles: ["One", "Two"], active: 1, style: .plain, activeStyle: Style(attributes: .bold))
            .render(into: &canvas, area: canvas.bounds)
        #expect(canvas.lines[0] == " One   Two")
        #expect(ranges == [Rect(x: 0, y: 0, width: 5, height: 1), Rect(x: 6, y: 0, width: 5, height: 1)])
        #expect(canvas[7, 0].style.attributes.contains(.bold))
        #expect(!canvas[1, 0].style.attributes.contains(.bold))
    }

    @Test func keyHintsThatDoNotFitAreLeftOffWhole() {
        var canvas = Canvas(size: Size(width: 20, height: 1))
        KeyHints([("q", "quit"), ("?", "help"), ("x", "a long description")], style: .plain, keyStyle: .plain)
            .render(into: &canvas, area: canvas.bounds)
        #expect(canvas.lines[0] == " q quit  ? help")
    }
}

@Suite struct HitMapTests {
    @Test func theTopmostRegionAtACellAnswers() {
        var hits = HitMap<String>()
        hits.add(Rect(x: 0, y: 0, width: 10, height: 2), "row")
        hits.add(Rect(x: 0, y: 0, width: 3, height: 1), "toggle")
        hits.add(Rect(x: 5, y: 5, width: 0, height: 1), "empty")
        #expect(hits.target(atX: 1, y: 0) == "toggle")
        #expect(hits.target(atX: 4, y: 0) == "row")
        #expect(hits.target(atX: 9, y: 1) == "row")
        #expect(hits.target(atX: 10, y: 1) == nil)
        #expect(hits.target(atX: 5, y: 5) == nil, "an empty region is never hit")
    }

    @Test func aTableReportsTheRowsItShowed() {
        var canvas = Canvas(size: Size(width: 20, height: 4))
        let table = Table(columns: [Table.Column("N", width: .fill(min: 1))], rows: (0..<10).map { [Span("row \($0)")] }, selected: 7,
                          styles: .init(header: .plain, row: .plain, selected: .plain))
        let shown = table.render(into: &canvas, area: canvas.bounds)
        #expect(shown.map(\.row) == [5, 6, 7], "three rows fit under the header; the selection is among them")
        #expect(shown.map(\.rect.y) == [1, 2, 3])
        #expect(canvas.lines[1].hasPrefix("row 5"))
    }
}

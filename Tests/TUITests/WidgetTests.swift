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

    @Test func tabsMarkTheActiveOneAndReportRanges() {
        var canvas = Canvas(size: Size(width: 30, height: 1))
        let ranges = Tabs(titles: ["One", "Two"], active: 1, style: .plain, activeStyle: Style(attributes: .bold))
            .render(into: &canvas, area: canvas.bounds)
        #expect(canvas.lines[0] == " One   Two")
        #expect(ranges == [0..<5, 6..<11])
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

/// A piece of text with an optional style of its own, laid over the row's style.
public struct Span: Hashable, Sendable {
    public var text: String
    public var style: Style?

    public init(_ text: String, style: Style? = nil) {
        self.text = text
        self.style = style
    }
}

extension Canvas {
    /// Draws spans one after another from (x, y), within `maxWidth`; returns columns used.
    @discardableResult
    public mutating func put(spans: [Span], x: Int, y: Int, maxWidth: Int, base: Style) -> Int {
        var used = 0
        for span in spans where used < maxWidth {
            used += put(span.text, x: x + used, y: y, maxWidth: maxWidth - used, style: span.style?.over(base) ?? base)
        }
        return used
    }
}

/// A table: a header row and rows of cells, one row selectable, scrolled to keep the
/// selection in view. Column widths come from constraints over the width left after
/// one-cell gaps.
public struct Table: Sendable {
    public struct Column: Sendable {
        public var title: String
        public var width: Constraint
        public var alignment: Alignment

        public init(_ title: String, width: Constraint, alignment: Alignment = .left) {
            self.title = title
            self.width = width
            self.alignment = alignment
        }
    }

    public struct Styles: Sendable {
        public var header: Style
        public var row: Style
        public var selected: Style

        public init(header: Style, row: Style, selected: Style) {
            self.header = header
            self.row = row
            self.selected = selected
        }
    }

    public var columns: [Column]
    public var rows: [[Span]]
    public var selected: Int?
    public var styles: Styles

    public init(columns: [Column], rows: [[Span]], selected: Int?, styles: Styles) {
        self.columns = columns
        self.rows = rows
        self.selected = selected
        self.styles = styles
    }

    /// The first row shown when `visible` rows fit and `selected` must be among them.
    public static func scrollOffset(selected: Int?, rowCount: Int, visible: Int) -> Int {
        guard let selected, visible > 0, rowCount > visible else { return 0 }
        return min(max(0, selected - visible + 1), rowCount - visible)
    }

    /// Draws the table; returns the rows it showed, each with where it was drawn.
    @discardableResult
    public func render(into canvas: inout Canvas, area: Rect) -> [(row: Int, rect: Rect)] {
        guard area.height > 0, area.width > 0 else { return [] }
        let gap = 1
        let widths = Constraint.solve(columns.map(\.width), total: max(0, area.width - gap * (columns.count - 1)))
        func cellRect(_ column: Int, _ y: Int) -> Rect {
            Rect(x: area.x + widths[column].offset + gap * column, y: y, width: widths[column].length, height: 1)
        }
        canvas.fill(area.row(0), style: styles.header)
        for (index, column) in columns.enumerated() {
            let rect = cellRect(index, area.y)
            canvas.put(column.title, x: rect.x, y: rect.y, width: rect.width, style: styles.header, alignment: column.alignment)
        }
        let visible = area.height - 1
        let offset = Self.scrollOffset(selected: selected, rowCount: rows.count, visible: visible)
        var shown: [(row: Int, rect: Rect)] = []
        for line in 0..<max(0, min(visible, rows.count - offset)) {
            let rowIndex = offset + line
            let y = area.y + 1 + line
            let base = rowIndex == selected ? styles.selected : styles.row
            shown.append((rowIndex, Rect(x: area.x, y: y, width: area.width, height: 1)))
            canvas.fill(Rect(x: area.x, y: y, width: area.width, height: 1), style: base)
            for (index, column) in columns.enumerated() where index < rows[rowIndex].count {
                let span = rows[rowIndex][index]
                let rect = cellRect(index, y)
                // The selection's colours win over a cell's own, so the bar reads as one.
                let style = rowIndex == selected ? base.adding(span.style?.attributes ?? []) : (span.style?.over(base) ?? base)
                canvas.put(span.text, x: rect.x, y: y, width: rect.width, style: style, alignment: column.alignment)
            }
        }
        return shown
    }
}

/// A row of tab titles with the active one highlighted. Returns where each title was
/// drawn, so that a click can be mapped to a tab.
public struct Tabs: Sendable {
    public var titles: [String]
    public var active: Int
    public var style: Style
    public var activeStyle: Style

    public init(titles: [String], active: Int, style: Style, activeStyle: Style) {
        self.titles = titles
        self.active = active
        self.style = style
        self.activeStyle = activeStyle
    }

    @discardableResult
    public func render(into canvas: inout Canvas, area: Rect) -> [Rect] {
        canvas.fill(area.row(0), style: style)
        var x = area.x
        var ranges: [Rect] = []
        let labels = titles.map { " \($0) " }
        // A column between tabs when they all fit with it; none when that is what fits.
        let gap = labels.reduce(0) { $0 + TerminalText.width($1) } + labels.count - 1 <= area.width ? 1 : 0
        for (index, label) in labels.enumerated() {
            let used = canvas.put(label, x: x, y: area.y, maxWidth: area.maxX - x, style: index == active ? activeStyle : style)
            ranges.append(Rect(x: x, y: area.y, width: used, height: 1))
            x += used + gap
            if x >= area.maxX { break }
        }
        return ranges
    }
}

/// Key hints along the bottom: each key in `keyStyle`, its meaning in `style`. Hints
/// that do not fit are left off whole, never cut in half.
public struct KeyHints: Sendable {
    public var hints: [(key: String, label: String)]
    /// Drawn at the right end whatever the width (`? help`): the way to every other key.
    public var pinned: (key: String, label: String)?
    public var style: Style
    public var keyStyle: Style

    public init(_ hints: [(key: String, label: String)], pinned: (key: String, label: String)? = nil, style: Style, keyStyle: Style) {
        self.hints = hints
        self.pinned = pinned
        self.style = style
        self.keyStyle = keyStyle
    }

    private static func width(_ hint: (key: String, label: String)) -> Int {
        TerminalText.width(hint.key) + 1 + TerminalText.width(hint.label)
    }

    public func render(into canvas: inout Canvas, area: Rect) {
        canvas.fill(area.row(0), style: style)
        var end = area.maxX
        if let pinned {
            let start = max(area.x + 1, area.maxX - Self.width(pinned) - 1)
            let x = start + canvas.put(pinned.key, x: start, y: area.y, maxWidth: area.maxX - start, style: keyStyle)
            canvas.put(" " + pinned.label, x: x, y: area.y, maxWidth: max(0, area.maxX - x), style: style)
            end = start - 2
        }
        var x = area.x + 1
        for hint in hints {
            guard x + Self.width(hint) <= end else { break }
            x += canvas.put(hint.key, x: x, y: area.y, style: keyStyle)
            x += canvas.put(" " + hint.label, x: x, y: area.y, style: style) + 2
        }
    }
}

/// A size in terminal cells.
public struct Size: Hashable, Sendable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
    }
}

/// One terminal cell. A wide glyph occupies its cell and the next, which holds an empty
/// `symbol` (a continuation) so that the grid stays one cell per column. Only this
/// module makes cells, from text that went through `TerminalText`.
public struct Cell: Hashable, Sendable {
    public internal(set) var symbol: String
    public var style: Style

    init(symbol: String = " ", style: Style = .plain) {
        self.symbol = symbol
        self.style = style
    }

    public var isContinuation: Bool { symbol.isEmpty }
    public static let blank = Cell()
}

/// A grid of cells that widgets draw into. The backend shows it; tests read it.
public struct Canvas: Equatable, Sendable {
    public private(set) var size: Size
    public private(set) var cells: [Cell]

    /// A blank canvas, every cell a space in `style`.
    public init(size: Size, style: Style = .plain) {
        self.size = size
        cells = Array(repeating: Cell(symbol: " ", style: style), count: size.width * size.height)
    }

    public var width: Int { size.width }
    public var height: Int { size.height }
    public var bounds: Rect { Rect(x: 0, y: 0, width: size.width, height: size.height) }

    /// A cell, to read. Cells are written only through `put` and `fill`, the sanitising
    /// text path: nothing else can place a raw character on screen.
    public private(set) subscript(x: Int, y: Int) -> Cell {
        get { cells[y * size.width + x] }
        set { cells[y * size.width + x] = newValue }
    }

    /// Paints every cell of `rect` blank in `style`.
    public mutating func fill(_ rect: Rect, style: Style) {
        let area = rect.intersection(bounds)
        guard !area.isEmpty else { return }
        for y in area.y..<area.maxY {
            for x in area.x..<area.maxX { self[x, y] = Cell(symbol: " ", style: style) }
        }
    }

    /// Writes `text` from (x, y), at most `maxWidth` columns (to the canvas edge when nil),
    /// sanitised and measured by `TerminalText`. Returns the columns written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, maxWidth: Int? = nil, style: Style) -> Int {
        guard y >= 0, y < size.height, x < size.width else { return 0 }
        let limit = min(maxWidth ?? Int.max, size.width - max(x, 0))
        var column = x
        var used = 0
        for glyph in TerminalText.glyphs(text) {
            if used + glyph.width > limit {
                // A wide glyph that does not fit leaves a blank, never half a glyph.
                if used < limit, column >= 0 { self[column, y] = Cell(symbol: " ", style: style) }
                used = limit
                break
            }
            if column >= 0 {
                clearWideNeighbours(x: column, y: y, width: glyph.width)
                self[column, y] = Cell(symbol: glyph.symbol, style: style)
                if glyph.width == 2 { self[column + 1, y] = Cell(symbol: "", style: style) }
            }
            column += glyph.width
            used += glyph.width
        }
        return used
    }

    /// Like `put`, but cuts the text with "…" to fit and pads it to `width` columns.
    public mutating func put(_ text: String, x: Int, y: Int, width: Int, style: Style, alignment: Alignment = .left) {
        guard width > 0 else { return }
        let fitted = TerminalText.truncated(text, to: width)
        let textWidth = TerminalText.width(fitted)
        fill(Rect(x: x, y: y, width: width, height: 1), style: style)
        let offset: Int
        switch alignment {
        case .left: offset = 0
        case .right: offset = width - textWidth
        case .center: offset = (width - textWidth) / 2
        }
        put(fitted, x: x + offset, y: y, maxWidth: width - offset, style: style)
    }

    /// Overwriting half of a wide glyph would leave the other half dangling: blank it.
    private mutating func clearWideNeighbours(x: Int, y: Int, width: Int) {
        if self[x, y].isContinuation, x > 0 {
            self[x - 1, y] = Cell(symbol: " ", style: self[x - 1, y].style)
        }
        let after = x + width
        if after < size.width, self[after, y].isContinuation {
            self[after, y] = Cell(symbol: " ", style: self[after, y].style)
        }
    }

    /// The text of row `y` as a person reads it (continuations skipped).
    public func text(row y: Int) -> String {
        (0..<size.width).map { self[$0, y].symbol }.joined()
    }

    /// All rows as text, trailing spaces trimmed: what tests assert on.
    public var lines: [String] {
        (0..<size.height).map { row in
            var line = text(row: row)
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    /// Whether any row contains `needle`.
    public func contains(_ needle: String) -> Bool {
        lines.contains { $0.contains(needle) }
    }

    /// Where `needle` first appears, as (x, y) in cells.
    public func find(_ needle: String) -> (x: Int, y: Int)? {
        for (y, line) in lines.enumerated() {
            if let range = line.range(of: needle) {
                return (TerminalText.width(String(line[..<range.lowerBound])), y)
            }
        }
        return nil
    }

    /// The cells that differ from `previous`, in row-major order. A different size
    /// means everything changed.
    public func changes(since previous: Canvas?) -> [(x: Int, y: Int, cell: Cell)] {
        var result: [(x: Int, y: Int, cell: Cell)] = []
        let comparable = previous?.size == size
        for y in 0..<size.height {
            for x in 0..<size.width {
                let cell = self[x, y]
                if comparable, previous![x, y] == cell { continue }
                result.append((x, y, cell))
            }
        }
        return result
    }
}

public enum Alignment: Sendable {
    case left, right, center
}

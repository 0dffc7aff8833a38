/// A rectangle of cells.
public struct Rect: Hashable, Sendable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width == 0 || height == 0 }

    public func contains(x: Int, y: Int) -> Bool {
        x >= self.x && x < maxX && y >= self.y && y < maxY
    }

    public func intersection(_ other: Rect) -> Rect {
        let left = max(x, other.x), top = max(y, other.y)
        let right = min(maxX, other.maxX), bottom = min(maxY, other.maxY)
        return Rect(x: left, y: top, width: right - left, height: bottom - top)
    }

    public func inset(by amount: Int) -> Rect {
        Rect(x: x + amount, y: y + amount, width: width - 2 * amount, height: height - 2 * amount)
    }

    /// Row `index` of this rectangle as a one-line rectangle.
    public func row(_ index: Int) -> Rect {
        Rect(x: x, y: y + index, width: width, height: index < height ? 1 : 0)
    }

    /// Splits top to bottom by `constraints`.
    public func rows(_ constraints: [Constraint]) -> [Rect] {
        Constraint.solve(constraints, total: height).map { Rect(x: x, y: y + $0.offset, width: width, height: $0.length) }
    }

    /// Splits left to right by `constraints`.
    public func columns(_ constraints: [Constraint]) -> [Rect] {
        Constraint.solve(constraints, total: width).map { Rect(x: x + $0.offset, y: y, width: $0.length, height: height) }
    }
}

/// How much of a row or column split a part gets.
public enum Constraint: Hashable, Sendable {
    /// Exactly this many cells (less if there is not room).
    case length(Int)
    /// This share of the total.
    case percentage(Int)
    /// At least this many; shares what is left with the other `.fill`s.
    case fill(min: Int)

    public static let fill = Constraint.fill(min: 0)

    /// Fixed parts first, in order, then fills share the rest evenly (earlier ones get
    /// the odd cells). Parts never overlap and never exceed `total`.
    static func solve(_ constraints: [Constraint], total: Int) -> [(offset: Int, length: Int)] {
        var lengths = constraints.map { constraint -> Int in
            switch constraint {
            case .length(let n): max(0, n)
            case .percentage(let p): max(0, total * p / 100)
            case .fill(let minimum): max(0, minimum)
            }
        }
        let fills = constraints.indices.filter { if case .fill = constraints[$0] { true } else { false } }
        var remaining = total - lengths.reduce(0, +)
        if remaining > 0, !fills.isEmpty {
            let share = remaining / fills.count
            var extra = remaining % fills.count
            for index in fills {
                lengths[index] += share + (extra > 0 ? 1 : 0)
                extra -= 1
            }
            remaining = 0
        }
        var offset = 0
        return lengths.map { length in
            let clamped = max(0, min(length, total - offset))
            defer { offset += clamped }
            return (offset, clamped)
        }
    }
}

/// How many colours the terminal can show; themes are degraded to fit.
public enum ColorDepth: Int, Comparable, Sendable {
    case monochrome = 0
    case ansi8 = 8
    case ansi16 = 16
    case palette256 = 256
    /// ncurses "direct colour" terminals (e.g. TERM=xterm-direct): 24-bit values.
    case truecolor = 16_777_216

    /// The depth for a terminal reporting `colors` colours.
    public init(colors: Int) {
        switch colors {
        case 16_777_216...: self = .truecolor
        case 256...: self = .palette256
        case 16...: self = .ansi16
        case 8...: self = .ansi8
        default: self = .monochrome
        }
    }

    public static func < (lhs: ColorDepth, rhs: ColorDepth) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The ncurses colour number for `color` at this depth; -1 is the terminal default.
    public func number(for color: Color) -> Int32 {
        switch (color, self) {
        case (.default, _), (_, .monochrome):
            return -1
        case (.rgb(let r, let g, let b), .truecolor):
            return Int32(r) << 16 | Int32(g) << 8 | Int32(b)
        case (.rgb(let r, let g, let b), .palette256):
            return Int32(Self.nearest256(r, g, b))
        case (.rgb(let r, let g, let b), _):
            return Int32(Self.nearestANSI(r, g, b, count: rawValue))
        case (.indexed(let n), .truecolor), (.indexed(let n), .palette256):
            return Int32(n)
        case (.indexed(let n), _):
            if Int(n) < rawValue { return Int32(n) }
            let (r, g, b) = Self.rgb(ofIndex: n)
            return Int32(Self.nearestANSI(r, g, b, count: rawValue))
        }
    }

    /// xterm's default RGB for the 16 ANSI colours.
    static let ansi: [(UInt8, UInt8, UInt8)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    static func rgb(ofIndex index: UInt8) -> (UInt8, UInt8, UInt8) {
        switch index {
        case 0..<16: return ansi[Int(index)]
        case 16..<232:
            let i = Int(index) - 16
            return (UInt8(cubeLevels[i / 36]), UInt8(cubeLevels[(i / 6) % 6]), UInt8(cubeLevels[i % 6]))
        default:
            let level = UInt8(8 + 10 * (Int(index) - 232))
            return (level, level, level)
        }
    }

    static func distance(_ a: (UInt8, UInt8, UInt8), _ b: (UInt8, UInt8, UInt8)) -> Int {
        // Weighted for the eye's greater sensitivity to green ("redmean" lite).
        let dr = Int(a.0) - Int(b.0), dg = Int(a.1) - Int(b.1), db = Int(a.2) - Int(b.2)
        return 2 * dr * dr + 4 * dg * dg + 3 * db * db
    }

    static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        func level(_ v: UInt8) -> Int {
            cubeLevels.indices.min { abs(cubeLevels[$0] - Int(v)) < abs(cubeLevels[$1] - Int(v)) }!
        }
        let cube = UInt8(16 + 36 * level(r) + 6 * level(g) + level(b))
        let average = (Int(r) + Int(g) + Int(b)) / 3
        let greyIndex = UInt8(232 + min(23, max(0, (average - 3) / 10)))
        let target = (r, g, b)
        return distance(rgb(ofIndex: cube), target) <= distance(rgb(ofIndex: greyIndex), target) ? cube : greyIndex
    }

    static func nearestANSI(_ r: UInt8, _ g: UInt8, _ b: UInt8, count: Int) -> UInt8 {
        let candidates = 0..<min(count, 16)
        return UInt8(candidates.min { distance(ansi[$0], (r, g, b)) < distance(ansi[$1], (r, g, b)) }!)
    }
}

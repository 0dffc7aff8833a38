/// A terminal colour as a theme names it. The backend degrades it to what the terminal
/// can show: truecolor -> 256 -> 16 -> none (as btop does).
public enum Color: Hashable, Sendable {
    /// The terminal's own foreground or background.
    case `default`
    /// A palette index: 0-15 are the ANSI colours, 16-255 the xterm cube and greys.
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)
}

/// Text attributes; the only styling a monochrome terminal has.
public struct TextAttributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    // Bit values match OPSDECK_ATTR_* in the CCurses shim.
    public static let bold = TextAttributes(rawValue: 1 << 0)
    public static let dim = TextAttributes(rawValue: 1 << 1)
    public static let italic = TextAttributes(rawValue: 1 << 2)
    public static let underline = TextAttributes(rawValue: 1 << 3)
    public static let reverse = TextAttributes(rawValue: 1 << 4)
    public static let blink = TextAttributes(rawValue: 1 << 5)
}

/// How a cell looks.
public struct Style: Hashable, Sendable {
    public var fg: Color
    public var bg: Color
    public var attributes: TextAttributes

    public init(fg: Color = .default, bg: Color = .default, attributes: TextAttributes = []) {
        self.fg = fg
        self.bg = bg
        self.attributes = attributes
    }

    public static let plain = Style()

    /// This style drawn over `base`: default colours let the base show through, and
    /// attributes add up.
    public func over(_ base: Style) -> Style {
        Style(
            fg: fg == .default ? base.fg : fg,
            bg: bg == .default ? base.bg : bg,
            attributes: attributes.union(base.attributes))
    }

    public func adding(_ extra: TextAttributes) -> Style {
        var style = self
        style.attributes.formUnion(extra)
        return style
    }
}

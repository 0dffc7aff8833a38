import CCurses
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The single path by which text reaches a cell: sanitising and measuring.
///
/// Remote text is hostile. Nothing that could move the cursor, change modes or reorder
/// what a person reads may reach the terminal: C0 and C1 controls, ESC, DEL, bidi
/// embeddings/overrides/isolates become a visible replacement or vanish. Widths come
/// from the C library's `wcwidth` (so wide CJK and emoji take two cells, combining
/// marks none), never from guessing.
public enum TerminalText {
    /// Shown in place of a control character, so that a person sees something was there.
    public static let replacement: Character = "\u{FFFD}"

    /// One printable grapheme and the columns it takes (1 or 2).
    public struct Glyph: Equatable, Sendable {
        public var symbol: String
        public var width: Int
    }

    /// Splits `text` into printable glyphs, after sanitising.
    public static func glyphs(_ text: String) -> [Glyph] {
        _ = localeReady
        // Printable ASCII, most of what a console shows, is one safe column a byte.
        if isPrintableASCII(text) { return text.utf8.map { Glyph(symbol: String(Unicode.Scalar($0)), width: 1) } }
        var result: [Glyph] = []
        result.reserveCapacity(text.utf8.count)
        for character in text {
            if let glyph = glyph(character) { result.append(glyph) }
        }
        return result
    }

    /// Columns `text` takes on screen once sanitised.
    public static func width(_ text: String) -> Int {
        if isPrintableASCII(text) { return text.utf8.count }
        return glyphs(text).reduce(0) { $0 + $1.width }
    }

    private static func isPrintableASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// The sanitised text as a plain string (for logs and tests).
    public static func sanitized(_ text: String) -> String {
        glyphs(text).map(\.symbol).joined()
    }

    /// Cuts `text` to `columns`, ending in "…" when something was cut.
    public static func truncated(_ text: String, to columns: Int) -> String {
        guard columns > 0 else { return "" }
        if isPrintableASCII(text) {
            return text.utf8.count <= columns ? text : String(text.utf8.prefix(columns - 1))! + "…"
        }
        let all = glyphs(text)
        if all.reduce(0, { $0 + $1.width }) <= columns { return all.map(\.symbol).joined() }
        var used = 0
        var out = ""
        for glyph in all {
            if used + glyph.width > columns - 1 { break }
            out += glyph.symbol
            used += glyph.width
        }
        return out + "…"
    }

    /// `text` cut to `columns` (with "…") and padded with spaces to exactly that many
    /// terminal columns: labels line up for CJK, emoji and combining marks alike, where
    /// `padding(toLength:)` counts UTF-16 units.
    public static func padded(_ text: String, to columns: Int) -> String {
        let fitted = truncated(text, to: columns)
        return fitted + String(repeating: " ", count: max(0, columns - width(fitted)))
    }

    static func glyph(_ character: Character) -> Glyph? {
        let scalars = character.unicodeScalars
        let first = scalars.first!
        if first == "\t" { return Glyph(symbol: " ", width: 1) }
        if isControl(first) { return Glyph(symbol: String(replacement), width: 1) }
        if isBidiControl(first) || isInvisibleFormat(first) {
            // Drop the control; keep what else the cluster holds, if anything.
            let rest = String(String.UnicodeScalarView(scalars.dropFirst()))
            return rest.isEmpty ? nil : rest.first.flatMap(glyph)
        }
        // Keep only the scalars of the cluster that are safe (a cluster can carry
        // controls after its base, e.g. "e\u{202E}").
        var kept = String.UnicodeScalarView()
        for scalar in scalars where !isControl(scalar) && !isBidiControl(scalar) {
            kept.append(scalar)
        }
        let width = columns(of: first)
        if width < 0 { return Glyph(symbol: String(replacement), width: 1) }
        if width == 0 {
            // A lone combining mark or other zero-width base: show it on a space.
            return Glyph(symbol: " " + String(kept), width: 1)
        }
        let hasEmojiPresentation = scalars.contains("\u{FE0F}") && first.properties.isEmoji
        return Glyph(symbol: String(kept), width: hasEmojiPresentation ? 2 : width)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value)
    }

    static func isBidiControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }

    /// Characters with no glyph that terminals handle inconsistently.
    static func isInvisibleFormat(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0xFEFF, 0x2028, 0x2029, 0xFFF9...0xFFFB: true
        default: false
        }
    }

    static func columns(of scalar: Unicode.Scalar) -> Int {
        if scalar.value < 0x7F { return 1 }
        return Int(opsdeck_wcwidth(scalar.value))
    }

    /// `wcwidth` answers only under a UTF-8 locale. Use the user's if it is one; else
    /// C.UTF-8, which every glibc has.
    public static let localeReady: Bool = {
        setlocale(LC_ALL, "")
        let codeset = String(cString: nl_langinfo(nl_item(CODESET)))
        if codeset.uppercased().replacingOccurrences(of: "-", with: "") != "UTF8" {
            setlocale(LC_CTYPE, "C.UTF-8")
        }
        return true
    }()
}

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
/// embeddings/overrides/isolates become a visible replacement or vanish.
///
/// **One width truth.** The canvas, ncurses and the terminal must agree on where every
/// glyph ends, or the rest of a row slides under its titles. ncurses and tmux both ask
/// the C library's `wcwidth` for each code point, and a code point of width 0 joins the
/// cell before it. So a glyph here is exactly one code point of width 1 or 2 followed
/// by at most `maxMarks` code points of width 0, and its width is that `wcwidth`.
/// Whatever terminals draw in different ways is rewritten before it can disagree:
/// - format characters (zero-width space and joiners, word joiner, soft hyphen, BOM,
///   bidi controls, tag characters) and variation selectors (VS15/VS16) are dropped, so
///   "❤️" is drawn as "❤", one column, in every terminal;
/// - an emoji ZWJ sequence keeps its first emoji ("👩‍💻" → "👩"), an emoji keeps no
///   skin-tone modifier, a tag flag keeps its black flag;
/// - a flag of two regional indicators becomes its two letters ("🇨🇳" → "CN");
/// - a code point `wcwidth` cannot measure (unassigned, or newer than the C library's
///   tables) becomes U+FFFD, one column;
/// - a combining mark with no base is shown on a space; marks past `maxMarks` on one
///   base are dropped (ncurses keeps no more in a cell).
/// Ambiguous-width characters (East Asian Width "A", e.g. "…", "─") follow `wcwidth` in
/// the user's locale, as ncurses does.
public enum TerminalText {
    /// Shown in place of a control character, so that a person sees something was there.
    public static let replacement: Character = "\u{FFFD}"

    /// Combining code points kept on one base: an ncurses cell holds CCHARW_MAX (5)
    /// wide chars, the last of them the terminating zero when it is full.
    public static let maxMarks = 3

    /// One printable glyph and the columns it takes (1 or 2).
    public struct Glyph: Equatable, Sendable {
        public var symbol: String
        public var width: Int
    }

    /// Splits `text` into printable glyphs, after sanitising.
    public static func glyphs(_ text: String) -> [Glyph] {
        _ = localeReady
        // Printable ASCII, most of what a console shows, is one safe column a byte.
        if isPrintableASCII(text) { return text.utf8.map { Glyph(symbol: String(Unicode.Scalar($0)), width: 1) } }
        var builder = GlyphBuilder()
        builder.glyphs.reserveCapacity(text.utf8.count)
        for character in text { builder.add(character) }
        return builder.glyphs
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
            return text.utf8.count <= columns ? text : String(decoding: text.utf8.prefix(columns - 1), as: UTF8.self) + "…"
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

    /// `text` sanitised and broken into lines of at most `columns`: at spaces where it
    /// can, inside a word only when the word alone is wider; newlines are kept. Nothing
    /// is cut, so a person can read (and copy) all of it.
    public static func wrapped(_ text: String, to columns: Int) -> [String] {
        let columns = max(1, columns)
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = "", used = 0
            var word: [Glyph] = [], wordWidth = 0
            func flushWord() {
                guard !word.isEmpty else { return }
                if used > 0 && used + 1 + wordWidth > columns {
                    lines.append(line)
                    line = ""
                    used = 0
                }
                if used > 0 {
                    line += " "
                    used += 1
                }
                for glyph in word {
                    if used + glyph.width > columns {
                        lines.append(line)
                        line = ""
                        used = 0
                    }
                    line += glyph.symbol
                    used += glyph.width
                }
                word = []
                wordWidth = 0
            }
            for glyph in glyphs(String(paragraph)) {
                if glyph.symbol == " " {
                    flushWord()
                } else {
                    word.append(glyph)
                    wordWidth += glyph.width
                }
            }
            flushWord()
            lines.append(line)
        }
        return lines
    }

    /// Builds glyphs one grapheme cluster at a time, applying the rules above.
    struct GlyphBuilder {
        var glyphs: [Glyph] = []
        /// Marks already on the last glyph, while more may join it.
        private var marksOnLast: Int?

        mutating func add(_ character: Character) {
            // The scalar view as it is (no copy): this runs for every non-ASCII character
            // of every frame.
            let scalars = character.unicodeScalars
            guard let first = scalars.first else { return }
            guard scalars.index(after: scalars.startIndex) != scalars.endIndex else { return add(first) }
            // An emoji ZWJ sequence keeps its first emoji.
            let emojiBase = !first.isASCII && first.properties.isEmoji
            var kept = scalars[...]
            if emojiBase, let joiner = scalars.firstIndex(of: "\u{200D}") {
                kept = scalars[..<joiner]
            }
            for scalar in kept {
                if emojiBase, scalar != first, scalar.properties.isEmojiModifier { continue }
                add(scalar)
            }
        }

        private mutating func add(_ scalar: Unicode.Scalar) {
            switch scalar.value {
            case 0x09, 0x2028, 0x2029: return spacing(" ", width: 1)
            case 0x1F1E6...0x1F1FF:
                // A regional indicator: its letter, which every terminal draws alike.
                return spacing(Unicode.Scalar(scalar.value - 0x1F1E6 + 0x41).map(String.init) ?? " ", width: 1)
            default: break
            }
            if TerminalText.isControl(scalar) { return spacing(String(TerminalText.replacement), width: 1) }
            if TerminalText.isDropped(scalar) { return }
            let width = TerminalText.columns(of: scalar)
            switch width {
            case 1, 2: spacing(String(scalar), width: width)
            case 0: mark(scalar)
            default: spacing(String(TerminalText.replacement), width: 1)
            }
        }

        private mutating func spacing(_ symbol: String, width: Int) {
            glyphs.append(Glyph(symbol: symbol, width: width))
            marksOnLast = 0
        }

        private mutating func mark(_ scalar: Unicode.Scalar) {
            guard let marks = marksOnLast, !glyphs.isEmpty else {
                // A mark with nothing to sit on: show it on a space.
                spacing(" " + String(scalar), width: 1)
                marksOnLast = 1
                return
            }
            guard marks < TerminalText.maxMarks else { return }
            glyphs[glyphs.count - 1].symbol.unicodeScalars.append(scalar)
            marksOnLast = marks + 1
        }
    }

    /// Code points that carry no glyph and that terminals handle each their own way:
    /// format characters (General Category Cf: zero-width space and joiners, word
    /// joiner, soft hyphen, BOM, bidi controls, tags) and variation selectors.
    static func isDropped(_ scalar: Unicode.Scalar) -> Bool {
        // Below the soft hyphen there is no format character or selector to look up.
        if scalar.value < 0xAD { return false }
        if scalar.properties.generalCategory == .format { return true }
        switch scalar.value {
        case 0xFE00...0xFE0F, 0xE0100...0xE01EF, 0x180B...0x180D, 0x180F: return true
        default: return false
        }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value)
    }

    /// The columns ncurses and the terminal give one code point: its `wcwidth` (-1 for
    /// one it cannot print). Tests use it to read a captured screen as a terminal does.
    public static func columns(of scalar: Unicode.Scalar) -> Int {
        if scalar.value < 0x7F { return 1 }
        _ = localeReady
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

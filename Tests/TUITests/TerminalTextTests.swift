import Testing
@testable import TUI

@Suite struct TerminalTextTests {
    @Test func escapeSequencesNeverSurvive() {
        let hostile = "\u{1B}[2J\u{1B}]0;pwned\u{07}ok\u{9B}31m\r\n\u{7F}"
        let clean = TerminalText.sanitized(hostile)
        for scalar in clean.unicodeScalars {
            #expect(!TerminalText.isControl(scalar), "control U+\(String(scalar.value, radix: 16)) survived")
        }
        #expect(clean.contains("ok"))
        #expect(clean.contains("\u{FFFD}"), "a replaced control leaves a visible mark")
    }

    @Test func bidiOverridesAreDropped() {
        let text = "abc\u{202E}fed\u{2066}x\u{2069}"
        #expect(TerminalText.sanitized(text) == "abcfedx")
    }

    @Test func paddingCountsColumnsNotCharacters() {
        for label in ["Pixel 8", "小米 14 Ultra", "Café", "e\u{301}clair", "🚀 Rocket"] {
            let padded = TerminalText.padded(label, to: 18)
            #expect(TerminalText.width(padded) == 18, "\(label): \(TerminalText.width(padded)) columns")
        }
        #expect(TerminalText.padded("一二三四五六七八九十", to: 9) == "一二三四…", "cut to fit, never over")
        #expect(TerminalText.width(TerminalText.padded("一二三四五六七八九十", to: 9)) == 9)
    }

    @Test func tabBecomesSpace() {
        #expect(TerminalText.sanitized("a\tb") == "a b")
    }

    @Test func widthsComeFromWcwidth() {
        #expect(TerminalText.width("abc") == 3)
        #expect(TerminalText.width("支付宝") == 6)
        #expect(TerminalText.width("e\u{301}") == 1, "a combining accent takes no column")
        #expect(TerminalText.width("한국") == 4)
    }

    @Test func truncationRespectsWideGlyphs() {
        #expect(TerminalText.truncated("abcdef", to: 4) == "abc…")
        #expect(TerminalText.truncated("abc", to: 3) == "abc")
        let cut = TerminalText.truncated("支付宝钱包", to: 6)
        #expect(TerminalText.width(cut) <= 6)
        #expect(cut.hasSuffix("…"))
    }

    /// The width table: each cluster, what reaches the terminal and the columns it takes.
    /// The width is also `wcwidth` summed over what is sent, which is how ncurses and tmux
    /// place the next glyph, so the canvas can never disagree with them.
    @Test(arguments: [
        ("plain", "a", "a", 1),
        ("CJK", "支", "支", 2),
        ("Hangul syllable", "한", "한", 2),
        ("Hangul jamo L+V+T", "\u{1100}\u{1161}\u{11A8}", "\u{1100}\u{1161}\u{11A8}", 2),
        ("combining accent", "e\u{301}", "e\u{301}", 1),
        ("lone combining mark", "\u{301}", " \u{301}", 1),
        ("zalgo keeps three marks", "a\u{300}\u{301}\u{302}\u{303}\u{304}", "a\u{300}\u{301}\u{302}", 1),
        ("zero-width space", "a\u{200B}b", "ab", 2),
        ("word joiner", "a\u{2060}b", "ab", 2),
        ("zero-width non-joiner", "a\u{200C}b", "ab", 2),
        ("soft hyphen", "co\u{AD}op", "coop", 4),
        ("byte order mark", "\u{FEFF}x", "x", 1),
        ("emoji", "😀", "😀", 2),
        ("emoji ZWJ sequence keeps its first emoji", "👩\u{200D}💻", "👩", 2),
        ("family ZWJ sequence", "👨\u{200D}👩\u{200D}👧\u{200D}👦", "👨", 2),
        ("skin tone dropped", "👍🏽", "👍", 2),
        ("ZWJ with skin tone", "🧑🏿\u{200D}🚀", "🧑", 2),
        ("VS16 on a narrow symbol", "❤\u{FE0F}", "❤", 1),
        ("VS16 check mark", "✔\u{FE0F}", "✔", 1),
        ("VS15 on a wide emoji", "😀\u{FE0E}", "😀", 2),
        ("keycap", "1\u{FE0F}\u{20E3}", "1\u{20E3}", 1),
        ("flag of two regional indicators", "🇨🇳", "CN", 2),
        ("lone regional indicator", "🇺", "U", 1),
        ("tag flag keeps its black flag", "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}", "🏴", 2),
        ("standalone skin tone", "🏽", "🏽", 2),
        ("unassigned code point", "\u{0378}", "\u{FFFD}", 1),
        ("line separator", "a\u{2028}b", "a b", 3),
        ("right-to-left override", "\u{202E}abc", "abc", 3),
        ("escape", "\u{1B}", "\u{FFFD}", 1),
        ("C1 control", "\u{9B}", "\u{FFFD}", 1),
        ("Devanagari spacing mark is its own cell", "क\u{93F}", "क\u{93F}", 2),
    ] as [(String, String, String, Int)])
    func widthTable(name: String, input: String, shown: String, columns: Int) {
        #expect(TerminalText.sanitized(input) == shown, "\(name): shown as \(TerminalText.sanitized(input).unicodeScalars.map { String($0.value, radix: 16) })")
        #expect(TerminalText.width(input) == columns, "\(name)")
        #expect(wcwidthSum(shown) == columns, "\(name): ncurses and tmux would move \(wcwidthSum(shown)) columns")
        for glyph in TerminalText.glyphs(input) {
            let widths = glyph.symbol.unicodeScalars.map { TerminalText.columns(of: $0) }
            #expect(widths.first == glyph.width && widths.dropFirst().allSatisfy { $0 == 0 },
                    "\(name): a glyph is one spacing code point and its marks")
            #expect(glyph.symbol.unicodeScalars.count <= 1 + TerminalText.maxMarks, "\(name): fits one ncurses cell")
        }
    }

    /// Every row of hostile text lines up: a column written after it starts where the
    /// canvas says, for any mix of the clusters above.
    @Test func columnsAfterHostileTextLineUp() {
        let samples = ["👩\u{200D}💻 crash", "❤\u{FE0F}\u{FE0F} VS16", "🇯🇵🇰🇷 flags", "a\u{200B}\u{2060}b", "Ｆｕｌｌ ｗｉｄｔｈ",
                       "🏴\u{E0067}\u{E0062}\u{E007F}x", "e\u{301}\u{302}\u{303}\u{304}\u{305}", "\u{1B}]52;c;aGk=\u{07}", "한국어 텍스트"]
        for sample in samples {
            var canvas = Canvas(size: Size(width: 30, height: 1))
            canvas.put(sample, x: 0, y: 0, width: 20, style: .plain)
            canvas.put("|", x: 20, y: 0, style: .plain)
            let sent = (0..<30).map { canvas[$0, 0] }.filter { !$0.isContinuation }.map(\.symbol).joined()
            let bar = sent.firstIndex(of: "|").map { String(sent[..<$0]) } ?? sent
            #expect(wcwidthSum(bar) == 20, "\(sample): the column after it is at \(wcwidthSum(bar)), not 20")
        }
    }

    private func wcwidthSum(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + max(0, TerminalText.columns(of: $1)) }
    }
}

/// Wrapping for text a person must read whole (help, reasons, audit values).
@Suite struct WrappingTests {
    @Test func wrapsAtSpacesAndBreaksOnlyWordsWiderThanTheLine() {
        #expect(TerminalText.wrapped("payments timing out since 03:10, INC-42", to: 16) == ["payments timing", "out since 03:10,", "INC-42"])
        #expect(TerminalText.wrapped("abcdefghijkl xy", to: 5) == ["abcde", "fghij", "kl xy"])
        #expect(TerminalText.wrapped("one\n\ntwo", to: 10) == ["one", "", "two"], "newlines are kept, empty lines too")
        #expect(TerminalText.wrapped("", to: 10) == [""])
    }

    @Test func widthsAreColumnsAndControlsAreSanitised() {
        let lines = TerminalText.wrapped("支付超时 请检查 网关\u{1B}[2J", to: 8)
        #expect(lines.allSatisfy { TerminalText.width($0) <= 8 }, "\(lines)")
        #expect(!lines.joined().contains("\u{1B}"))
        #expect(lines.first == "支付超时")
    }
}

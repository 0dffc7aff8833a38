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
}

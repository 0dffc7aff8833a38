import Testing
@testable import PlatformModel

/// A log read with `cat` or `tail -f` must never replay what a server or a device sent.
@Suite struct LogTextTests {
    @Test func controlsAndBidiBecomeVisibleEscapes() {
        let hostile = "boom \u{1B}]52;c;cHduZWQ=\u{07}\u{1B}[2J\r\nnext\u{9B}31m\u{202E}dlrow\u{7F}"
        let plain = LogText.plain(hostile)
        #expect(!plain.unicodeScalars.contains { LogText.needsEscape($0) })
        #expect(plain == "boom \\u{1b}]52;c;cHduZWQ=\\u{7}\\u{1b}[2J\\u{d}\\u{a}next\\u{9b}31m\\u{202e}dlrow\\u{7f}")
    }

    @Test func ordinaryTextIsLeftAlone() {
        for text in ["alert 7 opened: java.lang.NullPointerException in 5.3.0", "小米 14 · 👩‍💻 · tab\there"] {
            #expect(LogText.plain(text) == text)
        }
    }
}

import Foundation
import Testing
@testable import TUI

@Suite struct ThemeTests {
    static let themesFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Themes").path

    static var shipped: [String] { Theme.available(searchPath: [themesFolder]) }

    @Test func atLeastDefaultAndMonoShip() {
        #expect(Self.shipped.contains("default"))
        #expect(Self.shipped.contains("mono"))
    }

    @Test(arguments: shipped)
    func everyShippedThemeDefinesEveryRole(name: String) throws {
        let theme = try Theme.load(name, searchPath: [Self.themesFolder])
        for role in Theme.knownRoles {
            #expect(theme.roles[role] != nil, "\(name) does not define \(role)")
        }
    }

    @Test func monoUsesNoColourAtAll() throws {
        let theme = try Theme.load("mono", searchPath: [Self.themesFolder])
        for (role, style) in theme.roles {
            #expect(style.fg == .default && style.bg == .default, "mono role \(role) has a colour")
        }
        #expect(theme.style(.tableSelected).attributes.contains(.reverse))
    }

    @Test func rolesFallBackAlongDotsThenBase() throws {
        let theme = try Theme.parse("""
            [roles]
            base = { fg = "white" }
            table = { bold = true }
            """, name: "t")
        #expect(theme.style(.tableSelected) == Style(fg: .indexed(7), attributes: .bold))
        #expect(theme.style(.accent) == Style(fg: .indexed(7)), "a role the theme leaves out is base")
    }

    @Test func aMisspeltRoleIsNamedNotIgnored() {
        #expect(throws: ThemeError.self) {
            try Theme.parse("[roles]\n\"tabel.header\" = { bold = true }\n", name: "t")
        }
        do {
            _ = try Theme.parse("[roles]\n\"tabel.header\" = { bold = true }\n", name: "t")
        } catch {
            #expect("\(error)".contains("roles.tabel.header is not a role"))
        }
    }

    @Test func colourSyntaxes() throws {
        let theme = try Theme.parse("""
            [palette]
            brand = "#102030"
            [roles]
            accent = { fg = "brand", bg = "bright-red" }
            muted = { fg = 208, bg = "default" }
            """, name: "t")
        #expect(theme.roles["accent"] == Style(fg: .rgb(0x10, 0x20, 0x30), bg: .indexed(9)))
        #expect(theme.roles["muted"] == Style(fg: .indexed(208), bg: .default))
    }

    @Test func badThemesSayWhatIsWrong() {
        #expect(throws: ThemeError.self) { try Theme.parse("[roles\nbase = {}", name: "t") }
        do {
            _ = try Theme.parse("[roles]\nbase = { fg = \"chartreuse-ish\" }", name: "t")
            Issue.record("an unknown colour was accepted")
        } catch let error as ThemeError {
            #expect(error.description.contains("roles.base.fg"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(throws: ThemeError.self) { try Theme.parse("[roles]\nbase = { sparkle = true }", name: "t") }
        #expect(throws: ThemeError.self) { try Theme.load("no-such-theme", searchPath: [Self.themesFolder]) }
    }

    /// toml++ aborted on a table header that does not start with a key (found by `make
    /// fuzz`); the theme's own parser refuses such a header with its line.
    @Test(arguments: [
        ("[# x]", 2), ("[[#]]", 2), ("[=]", 2), ("[.a]", 2), ("[ #]", 2), ("  [\t.a]", 2), ("[\u{FFFD}\u{FFFD}tte]", 2), ("[[[b]]]", 2),
        ("[palette]\n[#]", 3), ("[palette]\r\n[#]", 3), ("# a \'\'\' comment\n[#]", 3),
        ("\u{FEFF}[#]", 1),
    ] as [(String, Int)])
    func aHeaderWithoutANameIsRefusedNotACrash(header: String, line: Int) throws {
        do {
            // A byte order mark must come first.
            _ = try Theme.parse(header.hasPrefix("\u{FEFF}") ? header : "# a theme\n" + header + "\n", name: "bad")
            Issue.record("\(header) was accepted")
        } catch let error as ThemeError {
            #expect(error.description.contains("line \(line):"), "\(error.description)")
        }
    }

    /// What theme files use: a byte order mark, CRLF, comments after values, quoted and
    /// bare keys, escapes, integers, booleans, inline tables.
    @Test func theSubsetThemesUseIsRead() throws {
        let text = "\u{FEFF}# theme\r\nname = \"Sol \\u2600 \\\"x\\\"\" # a name\r\n[palette]\r\nsun = '#ffd700'\r\nink = \"#101010\"\r\n"
            + "[roles]\r\n\"status.ok\" = { fg = 46, bold = true }   # green\r\nmuted = {fg=\"ink\",bg = \"default\" , dim = false}\r\n"
        let theme = try Theme.parse(text, name: "file")
        #expect(theme.name == "Sol \u{2600} \"x\"")
        #expect(theme.style(.statusOK).fg == .indexed(46))
        #expect(theme.style(.statusOK).attributes.contains(.bold))
    }

    /// What a theme does not use is refused with its line, never guessed at.
    @Test(arguments: [
        ("x = \"\"\"\nmulti\n\"\"\"", "line 1"), ("a.b = 1", "dotted"), ("[[roles]]", "arrays of tables"),
        ("[roles]\nmuted = { fg = { x = 1 } }", "inside a table"), ("name = \"a\"\nname = \"b\"", "twice"),
        ("[roles]\n[roles]", "twice"), ("name = \"open", "ends on its own line"), ("x = 1 2", "after a value"), ("x = 99999999999", "expected a value"),
        ("x = \"\\q\"", "escape"), ("x = \"\\uD800\"", "Unicode scalar"), ("x = [1, 2]", "expected a value"),
    ] as [(String, String)])
    func whatIsNotInTheSubsetIsRefusedWithItsLine(text: String, expected: String) {
        do {
            _ = try Theme.parse(text + "\n[roles]\n", name: "bad")
            Issue.record("\(text) was accepted")
        } catch let error as ThemeError {
            #expect(error.description.contains(expected), "\(text): \(error.description)")
        } catch {
            Issue.record("\(text): \(error)")
        }
    }
}

@Suite struct ColorDepthTests {
    @Test func depthFromColourCount() {
        #expect(ColorDepth(colors: 0) == .monochrome)
        #expect(ColorDepth(colors: 8) == .ansi8)
        #expect(ColorDepth(colors: 256) == .palette256)
        #expect(ColorDepth(colors: 16_777_216) == .truecolor)
    }

    @Test func rgbDegradesToTheNearestColour() {
        #expect(ColorDepth.truecolor.number(for: .rgb(0x12, 0x34, 0x56)) == 0x123456)
        #expect(ColorDepth.palette256.number(for: .rgb(255, 0, 0)) == 196)
        #expect(ColorDepth.palette256.number(for: .rgb(128, 128, 128)) == 244)
        #expect(ColorDepth.ansi16.number(for: .rgb(250, 10, 10)) == 9)
        #expect(ColorDepth.ansi8.number(for: .rgb(250, 10, 10)) == 1)
        #expect(ColorDepth.ansi16.number(for: .indexed(196)) == 9)
        #expect(ColorDepth.monochrome.number(for: .rgb(1, 2, 3)) == -1)
        #expect(ColorDepth.palette256.number(for: .default) == -1)
    }
}

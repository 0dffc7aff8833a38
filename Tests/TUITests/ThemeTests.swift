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
        ("[roles]\nmuted = { fg = { x = 1 } }", "inside an inline table"), ("name = \"a\"\nname = \"b\"", "twice"),
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

/// What each shipped colour theme promises a reader, measured: WCAG contrast of every
/// role's text against the background it is drawn on, and for the colour-blind theme,
/// that good and bad stay apart under simulated colour-vision deficiencies.
@Suite struct ThemeReadabilityTests {
    static func load(_ name: String) throws -> Theme { try Theme.load(name, searchPath: [ThemeTests.themesFolder]) }

    /// Relative luminance (WCAG 2.x) of an sRGB colour.
    static func linear(_ value: UInt8) -> Double {
        let c = Double(value) / 255
        return c <= 0.040_45 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
    }

    static func luminance(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Double {
        let red: Double = 0.2126 * linear(r), green: Double = 0.7152 * linear(g), blue: Double = 0.0722 * linear(b)
        return red + green + blue
    }

    static func contrast(_ a: Color, _ b: Color) -> Double? {
        guard case .rgb(let r1, let g1, let b1) = a, case .rgb(let r2, let g2, let b2) = b else { return nil }
        let (l1, l2) = (luminance(r1, g1, b1), luminance(r2, g2, b2))
        return (max(l1, l2) + 0.05) / (min(l1, l2) + 0.05)
    }

    /// Every role's foreground against its own background, or the base's: the pairs a
    /// reader sees. Roles drawn with no colour of their own are skipped.
    static func pairs(_ theme: Theme) -> [(ThemeRole, Double)] {
        let paper = theme.style(.base).bg
        return ThemeRole.allCases.compactMap { role in
            let style = theme.style(role)
            let bg = style.bg == .default ? paper : style.bg
            return contrast(style.fg, bg).map { (role, $0) }
        }
    }

    @Test func lightSetsItsOwnPaperAndEveryRoleReadsOnIt() throws {
        let light = try Self.load("light")
        #expect(light.style(.base).bg != .default, "on a dark terminal the default background would be dark under dark text")
        let measured = Self.pairs(light)
        #expect(measured.count == ThemeRole.allCases.count, "every role is measured")
        for (role, ratio) in measured {
            #expect(ratio >= 4.5, "light \(role.rawValue): contrast \(String(format: "%.2f", ratio))")
        }
    }

    @Test func highContrastMeetsAAAEverywhere() throws {
        let theme = try Self.load("high-contrast")
        #expect(theme.style(.base).bg != .default)
        for (role, ratio) in Self.pairs(theme) {
            #expect(ratio >= 7, "high-contrast \(role.rawValue): contrast \(String(format: "%.2f", ratio))")
        }
        #expect(Self.pairs(theme).count == ThemeRole.allCases.count)
    }

    /// Viénot, Brettel & Mollon (1999) dichromat simulation in linear RGB.
    static func simulate(_ color: Color, _ matrix: [[Double]]) -> [Double] {
        guard case .rgb(let r, let g, let b) = color else { return [0, 0, 0] }
        let rgb: [Double] = [linear(r), linear(g), linear(b)]
        return matrix.map { row -> Double in row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2] }
    }

    /// How far apart two simulated colours are in hue (chromaticity: each divided by its
    /// own sum), so that a pair told apart only by lightness does not pass: that is what
    /// red and green become for a dichromat.
    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        let sa = max(1e-9, a[0] + a[1] + a[2]), sb = max(1e-9, b[0] + b[1] + b[2])
        let d0 = a[0] / sa - b[0] / sb, d1 = a[1] / sa - b[1] / sb, d2 = a[2] / sa - b[2] / sb
        return (d0 * d0 + d1 * d1 + d2 * d2).squareRoot()
    }

    static let deficiencies: [(String, [[Double]])] = [
        ("protanopia", [[0.112_38, 0.887_62, 0], [0.112_38, 0.887_62, 0], [0.004_01, -0.004_01, 1]]),
        ("deuteranopia", [[0.292_75, 0.707_25, 0], [0.292_75, 0.707_25, 0], [-0.022_34, 0.022_34, 1]]),
        ("tritanopia", [[1, 0.143_42, -0.143_42], [0, 0.857_36, 0.142_64], [0, 0.857_36, 0.142_64]]),
    ]

    @Test func colourBlindThemeKeepsGoodAndBadApartForEveryDeficiency() throws {
        let theme = try Self.load("colorblind")
        let pairs: [(ThemeRole, ThemeRole)] = [(.statusOK, .statusCrit), (.statusOK, .statusWarn), (.toggleOn, .toggleOff)]
        for (name, matrix) in Self.deficiencies {
            for (good, bad) in pairs {
                let distance = Self.distance(Self.simulate(theme.style(good).fg, matrix), Self.simulate(theme.style(bad).fg, matrix))
                #expect(distance > 0.3, "\(name): \(good.rawValue) and \(bad.rawValue) look alike (distance \(String(format: "%.3f", distance)))")
            }
        }
        // The default theme's green and red are what this theme exists for: they merge.
        let fallback = try Self.load("default")
        let (_, deuteranopia) = Self.deficiencies[1]
        let merged = Self.distance(Self.simulate(fallback.style(.statusOK).fg, deuteranopia), Self.simulate(fallback.style(.statusCrit).fg, deuteranopia))
        #expect(merged < 0.3, "the measure can fail: default's pair is close (\(merged))")
    }
}

import Foundation
import TOMLKit

/// A theme: semantic roles (`header`, `table.selected`, `status.crit`, ...) mapped to
/// styles. Widgets never pick colours; panes ask the theme for a role.
public struct Theme: Sendable {
    public var name: String
    public var roles: [String: Style]

    public init(name: String, roles: [String: Style]) {
        self.name = name
        self.roles = roles
    }

    /// The roles OpsDeck draws with, as theme files name them; every shipped theme
    /// defines them all (a test checks).
    public static var knownRoles: [String] { ThemeRole.allCases.map(\.rawValue) }

    /// The style of `role`, falling back along its dots (`table.selected` -> `table`)
    /// and finally to `base`.
    public func style(_ role: ThemeRole) -> Style {
        style(named: role.rawValue)
    }

    private func style(named role: String) -> Style {
        var key = role
        while true {
            if let style = roles[key] { return style.over(roles["base"] ?? .plain) }
            guard let dot = key.lastIndex(of: ".") else { break }
            key = String(key[..<dot])
        }
        return roles["base"] ?? .plain
    }

    /// Used when no theme file can be found: attributes only, readable anywhere.
    public static let fallback = Theme(name: "fallback", roles: [
        "header": Style(attributes: [.bold, .reverse]),
        "tab.active": Style(attributes: [.bold, .reverse]),
        "table.header": Style(attributes: [.bold, .underline]),
        "table.selected": Style(attributes: [.reverse]),
        "status": Style(attributes: [.reverse]),
        "status.key": Style(attributes: [.bold, .reverse]),
        "status.crit": Style(attributes: [.bold]),
        "muted": Style(attributes: [.dim]),
        "flash.error": Style(attributes: [.bold]),
    ])
}

public struct ThemeError: Error, CustomStringConvertible, Equatable {
    public var description: String
}

extension Theme {
    /// Parses a theme file: an optional `[palette]` of named colours and a `[roles]`
    /// table whose entries are inline tables with `fg`, `bg` and boolean attributes.
    /// Colours: a palette name, `#rrggbb`, an ANSI name (`red`, `bright-blue`), 0-255, or
    /// `default`.
    public static func parse(_ text: String, name: String) throws -> Theme {
        // toml++ (inside TOMLKit) fails an assertion, and aborts the process, on a table
        // header that does not start with a key (found by `make fuzz`): refused first.
        if let line = firstHeaderWithoutAKey(text) {
            throw ThemeError(description: "theme \(name), line \(line): a table header must start with a name, as in [roles]")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ThemeError(description: "theme \(name), line \(error.source.begin.line): \(error.description)")
        }
        var palette: [String: Color] = [:]
        if let entries = table["palette"]?.table {
            for key in entries.keys {
                guard let text = entries[key]?.string, let color = parseColor(text, palette: [:]) else {
                    throw ThemeError(description: "theme \(name): palette.\(key) is not a colour (use \"#rrggbb\", an ANSI name or 0-255)")
                }
                palette[key] = color
            }
        }
        guard let roleTable = table["roles"]?.table else {
            throw ThemeError(description: "theme \(name): no [roles] table")
        }
        var roles: [String: Style] = [:]
        // A role the console draws with, or a prefix several share (`table` for all of
        // `table.*`); anything else is a misspelling that would silently do nothing.
        let known = Set(ThemeRole.allCases.flatMap { role in
            role.rawValue.split(separator: ".").indices.map { role.rawValue.split(separator: ".")[...$0].joined(separator: ".") }
        })
        for role in roleTable.keys {
            guard known.contains(role) else {
                throw ThemeError(description: "theme \(name): roles.\(role) is not a role (\(ThemeRole.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let entry = roleTable[role]?.table else {
                throw ThemeError(description: "theme \(name): roles.\(role) must be a table like { fg = \"red\", bold = true }")
            }
            var style = Style()
            for key in entry.keys {
                let value = entry[key]!
                switch key {
                case "fg", "bg":
                    let color = value.string.flatMap { parseColor($0, palette: palette) }
                        ?? value.int.flatMap { (0...255).contains($0) ? Color.indexed(UInt8($0)) : nil }
                    guard let color else {
                        throw ThemeError(description: "theme \(name): roles.\(role).\(key) is not a colour or palette name")
                    }
                    if key == "fg" { style.fg = color } else { style.bg = color }
                default:
                    guard let attribute = attributeNames[key], let on = value.bool else {
                        throw ThemeError(description: "theme \(name): roles.\(role).\(key) is unknown (fg, bg, \(attributeNames.keys.sorted().joined(separator: ", ")))")
                    }
                    if on { style.attributes.insert(attribute) }
                }
            }
            roles[role] = style
        }
        return Theme(name: (table["name"]?.string).map { $0 } ?? name, roles: roles)
    }

    static let attributeNames: [String: TextAttributes] = [
        "bold": .bold, "dim": .dim, "italic": .italic, "underline": .underline, "reverse": .reverse, "blink": .blink,
    ]

    static let ansiNames = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    ]

    /// The 1-based line of the first table header that does not start with a key
    /// (`[#]`, `[=]`, `[.a]`, `[é]`, `[[[`), outside multi-line strings. Any line that
    /// starts with `[` is taken for a header: themes hold no arrays.
    static func firstHeaderWithoutAKey(_ text: String) -> Int? {
        enum Inside { case nothing, comment, basic, literal, multiLineBasic, multiLineLiteral }
        // By bytes: "\r\n" is one Character.
        let bytes = Array(text.utf8)
        func at(_ index: Int) -> UInt8 { index < bytes.count ? bytes[index] : 0 }
        func triple(_ index: Int, _ quote: UInt8) -> Bool { at(index) == quote && at(index + 1) == quote && at(index + 2) == quote }
        let newline = UInt8(ascii: "\n"), quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'"), backslash = UInt8(ascii: "\\")
        // toml++ skips a UTF-8 byte order mark before the first line.
        var inside = Inside.nothing, line = 1, lineStart = true, index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == newline {
                line += 1
                lineStart = true
                // A single-line string or a comment ends with its line.
                if inside != .multiLineBasic && inside != .multiLineLiteral { inside = .nothing }
                index += 1
                continue
            }
            switch inside {
            case .nothing:
                if lineStart, byte != 0x20, byte != 0x09 {
                    lineStart = false
                    if byte == UInt8(ascii: "["), !Self.headerStartsWithAKey(bytes, after: index) { return line }
                }
                if byte == UInt8(ascii: "#") { inside = .comment }
                else if triple(index, quote) { inside = .multiLineBasic; index += 2 }
                else if triple(index, apostrophe) { inside = .multiLineLiteral; index += 2 }
                else if byte == quote { inside = .basic }
                else if byte == apostrophe { inside = .literal }
            case .comment:
                break
            case .basic, .multiLineBasic:
                if byte == backslash { index += 1 }
                else if inside == .basic, byte == quote { inside = .nothing }
                else if inside == .multiLineBasic, triple(index, quote) { inside = .nothing; index += 2 }
            case .literal:
                if byte == apostrophe { inside = .nothing }
            case .multiLineLiteral:
                if triple(index, apostrophe) { inside = .nothing; index += 2 }
            }
            index += 1
        }
        return nil
    }

    /// Whether the header opening at `index` (`[` or `[[`, then blanks) goes on with a
    /// key, a quote or its closing `]`, as toml++ assumes.
    private static func headerStartsWithAKey(_ bytes: [UInt8], after index: Int) -> Bool {
        var position = index + (index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "[") ? 2 : 1)
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 }
        guard position < bytes.count else { return false }
        let first = bytes[position]
        return first == UInt8(ascii: "]") || first == UInt8(ascii: "\"") || first == UInt8(ascii: "'")
            || first == UInt8(ascii: "_") || first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first | 0x20)
    }

    static func parseColor(_ text: String, palette: [String: Color]) -> Color? {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if value == "default" || value == "none" { return .default }
        if let color = palette[value] ?? palette[text] { return color }
        if value.hasPrefix("#"), value.count == 7, let rgb = UInt32(value.dropFirst(), radix: 16) {
            return .rgb(UInt8(rgb >> 16 & 0xFF), UInt8(rgb >> 8 & 0xFF), UInt8(rgb & 0xFF))
        }
        if let index = ansiNames.firstIndex(of: value) { return .indexed(UInt8(index)) }
        if value.hasPrefix("bright-"), let index = ansiNames.firstIndex(of: String(value.dropFirst(7))) {
            return .indexed(UInt8(index + 8))
        }
        if let number = Int(value), (0...255).contains(number) { return .indexed(UInt8(number)) }
        return nil
    }

    /// Loads `nameOrPath`: a path to a `.toml` file, or a name looked up as
    /// `NAME.toml` in `searchPath` (first match wins).
    public static func load(_ nameOrPath: String, searchPath: [String]) throws -> Theme {
        let isPath = nameOrPath.contains("/") || nameOrPath.hasSuffix(".toml")
        let candidates = isPath ? [nameOrPath] : searchPath.map { "\($0)/\(nameOrPath).toml" }
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate) {
            guard let text = try? String(contentsOfFile: candidate, encoding: .utf8) else {
                throw ThemeError(description: "cannot read theme file \(candidate)")
            }
            let name = URL(fileURLWithPath: candidate).deletingPathExtension().lastPathComponent
            return try parse(text, name: name)
        }
        if isPath { throw ThemeError(description: "no theme file at \(nameOrPath)") }
        let names = available(searchPath: searchPath)
        throw ThemeError(description: "no theme named '\(nameOrPath)'"
            + (names.isEmpty ? " (no theme folder found)" : "; available: \(names.joined(separator: ", "))"))
    }

    /// Theme names found in `searchPath`.
    public static func available(searchPath: [String]) -> [String] {
        var names: Set<String> = []
        for folder in searchPath {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            for file in files where file.hasSuffix(".toml") { names.insert(String(file.dropLast(5))) }
        }
        return names.sorted()
    }

    /// Where themes are looked for: `$OPSDECK_THEMES`, `$XDG_CONFIG_HOME/opsdeck/themes`
    /// (or `~/.config/...`), then a `Themes` folder beside or above the executable (a
    /// checkout's build) and `../share/opsdeck/themes` (an install).
    public static func searchPath(environment: [String: String] = ProcessInfo.processInfo.environment, executable: String = CommandLine.arguments[0]) -> [String] {
        var path: [String] = []
        if let explicit = environment["OPSDECK_THEMES"], !explicit.isEmpty { path.append(explicit) }
        let config = environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        path.append(config + "/opsdeck/themes")
        var folder = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        path.append(folder.appendingPathComponent("../share/opsdeck/themes").standardized.path)
        for _ in 0..<4 {
            path.append(folder.appendingPathComponent("Themes").path)
            folder = folder.deletingLastPathComponent()
        }
        return path
    }
}

/// A semantic role a theme gives a style to (`table.selected`, `status.crit`, ...):
/// widgets and panes ask for a role, never a colour, and a misspelt role does not compile.
public enum ThemeRole: String, CaseIterable, Sendable {
    case base
    case header
    case headerTitle = "header.title"
    case tab
    case tabActive = "tab.active"
    case tableHeader = "table.header"
    case tableRow = "table.row"
    case tableSelected = "table.selected"
    case status
    case statusKey = "status.key"
    case statusOK = "status.ok"
    case statusWarn = "status.warn"
    case statusCrit = "status.crit"
    case muted
    case accent
    case flashInfo = "flash.info"
    case flashError = "flash.error"
    case spark
    case sliderFill = "slider.fill"
    case toggleOn = "toggle.on"
    case toggleOff = "toggle.off"
    case funnelBar = "funnel.bar"
}

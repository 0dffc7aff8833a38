import Foundation

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
        let file: SimpleTOML
        do {
            file = try SimpleTOML(parsing: text)
        } catch let error as SimpleTOML.SyntaxError {
            throw ThemeError(description: "theme \(name), line \(error.line): \(error.message)")
        }
        var palette: [String: Color] = [:]
        if let entries = file.tables["palette"] {
            for (key, value) in entries.map({ ($0.key, $0.value) }) {
                guard let text = value.asString, let color = parseColor(text, palette: [:]) else {
                    throw ThemeError(description: "theme \(name): palette.\(key) is not a colour (use \"#rrggbb\", an ANSI name or 0-255)")
                }
                palette[key] = color
            }
        }
        guard let roleTable = file.tables["roles"] else {
            throw ThemeError(description: "theme \(name): no [roles] table")
        }
        var roles: [String: Style] = [:]
        // A role the console draws with, or a prefix several share (`table` for all of
        // `table.*`); anything else is a misspelling that would silently do nothing.
        let known = Set(ThemeRole.allCases.flatMap { role in
            role.rawValue.split(separator: ".").indices.map { role.rawValue.split(separator: ".")[...$0].joined(separator: ".") }
        })
        for (role, value) in roleTable.map({ ($0.key, $0.value) }) {
            guard known.contains(role) else {
                throw ThemeError(description: "theme \(name): roles.\(role) is not a role (\(ThemeRole.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let entry = value.asTable else {
                throw ThemeError(description: "theme \(name): roles.\(role) must be a table like { fg = \"red\", bold = true }")
            }
            var style = Style()
            for (key, value) in entry.map({ ($0.key, $0.value) }) {
                switch key {
                case "fg", "bg":
                    let color = value.asString.flatMap { parseColor($0, palette: palette) }
                        ?? value.asInteger.flatMap { (0...255).contains($0) ? Color.indexed(UInt8($0)) : nil }
                    guard let color else {
                        throw ThemeError(description: "theme \(name): roles.\(role).\(key) is not a colour or palette name")
                    }
                    if key == "fg" { style.fg = color } else { style.bg = color }
                default:
                    guard let attribute = attributeNames[key], let on = value.asBool else {
                        throw ThemeError(description: "theme \(name): roles.\(role).\(key) is unknown (fg, bg, \(attributeNames.keys.sorted().joined(separator: ", ")))")
                    }
                    if on { style.attributes.insert(attribute) }
                }
            }
            roles[role] = style
        }
        return Theme(name: file.value("name")?.asString ?? name, roles: roles)
    }

    static let attributeNames: [String: TextAttributes] = [
        "bold": .bold, "dim": .dim, "italic": .italic, "underline": .underline, "reverse": .reverse, "blink": .blink,
    ]

    static let ansiNames = [
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    ]

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

/// The part of TOML OpsDeck's own files use (themes, the contexts config), read by a
/// parser of our own: top-level keys, `[tables]`, `[[arrays of tables]]` where the
/// caller allows them, and values that are strings, integers, booleans or inline tables
/// of those. toml++ (behind TOMLKit) fails assertions and aborts the process on some
/// malformed documents in debug builds, and assumes them away (undefined behaviour) in
/// release builds, which `make fuzz` found six different ways; these are files anyone may
/// hand to OpsDeck, so they are read by this instead. Anything outside the subset is an
/// error with its line, never a crash.
public struct SimpleTOML {
    /// One `key = value` of a table, with the line it is on.
    public struct Entry {
        public var key: String
        public var value: Item
        public var line: Int
    }

    public enum Item {
        case string(String)
        case integer(Int)
        case bool(Bool)
        case table([Entry])

        public var asString: String? { if case .string(let text) = self { text } else { nil } }
        public var asInteger: Int? { if case .integer(let number) = self { number } else { nil } }
        public var asBool: Bool? { if case .bool(let flag) = self { flag } else { nil } }
        public var asTable: [Entry]? { if case .table(let entries) = self { entries } else { nil } }
    }

    public struct SyntaxError: Error {
        public var line: Int
        public var message: String
    }

    /// Top-level keys under "", each table's keys under its name, in file order.
    public private(set) var tables: [String: [Entry]] = ["": []]
    /// Each `[[name]]`'s tables, in file order, with the line of its header.
    public private(set) var arrays: [String: [(line: Int, entries: [Entry])]] = [:]

    public func value(_ key: String, in table: String = "") -> Item? {
        tables[table]?.first { $0.key == key }?.value
    }

    /// - Parameter arraysOfTables: the `[[name]]`s the file may hold (none in a theme).
    public init(parsing text: String, arraysOfTables: Set<String> = []) throws {
        var reader = Reader(bytes: Array(text.utf8))
        if reader.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { reader.index = 3 }
        var current = ""
        var inArray = false
        while !reader.atEnd {
            reader.skipBlanks()
            if reader.takeEndOfLine() { continue }
            if reader.peek == UInt8(ascii: "[") {
                reader.index += 1
                inArray = reader.take(UInt8(ascii: "["))
                reader.skipBlanks()
                current = try reader.key()
                reader.skipBlanks()
                if inArray {
                    guard arraysOfTables.contains(current) else { throw reader.error("[[\(current)]] is not one of this file's arrays of tables") }
                    guard reader.take(UInt8(ascii: "]")), reader.take(UInt8(ascii: "]")) else { throw reader.error("an array-of-tables header ends with ]]") }
                    guard tables[current] == nil else { throw reader.error("[\(current)] is a table, not an array of tables") }
                    arrays[current, default: []].append((reader.line, []))
                } else {
                    guard reader.take(UInt8(ascii: "]")) else { throw reader.error("a table header ends with ]") }
                    guard tables[current] == nil, arrays[current] == nil else { throw reader.error("table [\(current)] appears twice") }
                    tables[current] = []
                }
            } else {
                let line = reader.line
                let key = try reader.key()
                reader.skipBlanks()
                guard reader.take(UInt8(ascii: "=")) else { throw reader.error("expected = after \(key)") }
                reader.skipBlanks()
                let value = try reader.value(depth: 0)
                if inArray, var tables = arrays[current], var last = tables.popLast() {
                    guard !last.entries.contains(where: { $0.key == key }) else { throw reader.error("\(key) is set twice") }
                    last.entries.append(Entry(key: key, value: value, line: line))
                    tables.append(last)
                    arrays[current] = tables
                } else {
                    guard !(tables[current] ?? []).contains(where: { $0.key == key }) else { throw reader.error("\(key) is set twice") }
                    tables[current, default: []].append(Entry(key: key, value: value, line: line))
                }
            }
            reader.skipBlanks()
            guard reader.takeEndOfLine() else { throw reader.error("unexpected text after a value") }
        }
    }

    /// A cursor over the file's bytes that knows its line.
    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var line = 1

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }

        func error(_ message: String) -> SyntaxError { SyntaxError(line: line, message: message) }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        mutating func skipBlanks() {
            while let byte = peek, byte == 0x20 || byte == 0x09 { index += 1 }
        }

        /// A comment, then the end of the line or of the file.
        mutating func takeEndOfLine() -> Bool {
            if peek == UInt8(ascii: "#") {
                while let byte = peek, byte != 0x0A { index += 1 }
            }
            if atEnd { return true }
            if take(0x0D) {
                guard peek == 0x0A else { index -= 1; return false }
            }
            guard take(0x0A) else { return false }
            line += 1
            return true
        }

        mutating func key() throws -> String {
            if peek == UInt8(ascii: "\"") || peek == UInt8(ascii: "'") { return try string() }
            let start = index
            while let byte = peek, byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) {
                index += 1
            }
            guard index > start else { throw error("expected a name (letters, digits, _ or -, or a quoted string)") }
            if peek == UInt8(ascii: ".") { throw error("dotted names are not supported: quote it, as in \"status.ok\"") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func value(depth: Int) throws -> Item {
            switch peek {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): return .string(try string())
            case UInt8(ascii: "{"):
                guard depth == 0 else { throw error("a table inside an inline table is not supported") }
                return .table(try inlineTable())
            case UInt8(ascii: "t"), UInt8(ascii: "f"):
                for (word, flag) in [("true", true), ("false", false)] where bytes[index...].starts(with: word.utf8) {
                    index += word.utf8.count
                    return .bool(flag)
                }
                throw error("expected true or false")
            default:
                let start = index
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
                let digits = index
                while let byte = peek, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
                guard index > digits, index - digits <= 9, let number = Int(String(decoding: bytes[start..<index], as: UTF8.self)) else {
                    throw error("expected a value: a string, a number, true, false or { … }")
                }
                return .integer(number)
            }
        }

        mutating func inlineTable() throws -> [Entry] {
            index += 1  // {
            var entries: [Entry] = []
            skipBlanks()
            if take(UInt8(ascii: "}")) { return entries }
            repeat {
                skipBlanks()
                let key = try key()
                skipBlanks()
                guard take(UInt8(ascii: "=")) else { throw error("expected = after \(key)") }
                skipBlanks()
                let value = try value(depth: 1)
                guard !entries.contains(where: { $0.key == key }) else { throw error("\(key) is set twice") }
                entries.append(Entry(key: key, value: value, line: line))
                skipBlanks()
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { throw error("an inline table ends with }, on the same line") }
            return entries
        }

        /// A basic ("…", with escapes) or literal ('…') string on one line.
        mutating func string() throws -> String {
            let quote = bytes[index]
            index += 1
            var out: [UInt8] = []
            while let byte = peek {
                index += 1
                switch byte {
                case quote:
                    guard let text = String(validating: out, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
                    return text
                case 0x0A, 0x0D: throw error("a string ends on its own line")
                case 0x00..<0x20 where byte != 0x09, 0x7F: throw error("a string holds a control character (escape it)")
                case UInt8(ascii: "\\") where quote == UInt8(ascii: "\""):
                    guard let escape = peek else { throw error("a string ends in \\") }
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(escape)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"), UInt8(ascii: "U"):
                        let count = escape == UInt8(ascii: "u") ? 4 : 8
                        guard index + count <= bytes.count,
                              let code = UInt32(String(decoding: bytes[index..<index + count], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(code) else { throw error("a \\u escape is not a Unicode scalar") }
                        index += count
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: throw error("unknown escape in a string")
                    }
                default: out.append(byte)
                }
            }
            throw error("a string is not closed")
        }
    }
}

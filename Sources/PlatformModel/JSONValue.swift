/// Any JSON value, for payloads whose shape varies (an audit entry's before and after).
public enum JSONValue: Codable, Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}

extension JSONValue {
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// A finite number.
    public var number: Double? {
        if case .number(let value) = self, value.isFinite { return value }
        return nil
    }

    /// A whole number that fits an Int exactly.
    public var integer: Int? {
        guard let value = number, value == value.rounded(), abs(value) < 1e15 else { return nil }
        return Int(value)
    }

    public var bool: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// A scalar as text, the way Unleash reads parameters and context fields: text as
    /// is, whole numbers without a fraction, booleans as true/false; nil otherwise.
    public var text: String? {
        switch self {
        case .string(let text): text
        case .number(let number): integer.map(String.init) ?? (number.isFinite ? String(number) : nil)
        case .bool(let flag): String(flag)
        default: nil
        }
    }
}

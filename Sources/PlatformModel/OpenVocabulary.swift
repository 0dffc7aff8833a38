/// A set of names the wire uses (audit actions, alert kinds) that a newer server may
/// extend: a name this build does not know is kept as it came (`other`), never a
/// decoding error, and sent back unchanged.
public protocol OpenVocabulary: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Every value this build knows, with its name on the wire.
    static var names: [(Self, String)] { get }
    /// A name this build does not know.
    static func other(_ name: String) -> Self
    /// The name kept by `other`, nil for a known value.
    var otherName: String? { get }
}

extension OpenVocabulary {
    /// Every name this build knows, as sent on the wire.
    public static var knownNames: [String] { names.map(\.1) }

    public init(rawValue: String) {
        self = Self.names.first { $0.1 == rawValue }?.0 ?? .other(rawValue)
    }

    public var rawValue: String {
        otherName ?? Self.names.first { $0.0 == self }?.1 ?? ""
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

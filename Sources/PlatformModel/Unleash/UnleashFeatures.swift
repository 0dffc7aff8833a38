import Foundation

// The Unleash Client API's features document (format version 2), as Unleash's SDKs
// read it and as `POST /v1/apps/{app}/switches/import` takes it. Field names are
// Unleash's. Decoding is lenient where Unleash servers are (parameters may be numbers,
// lists may be missing), strict where a wrong shape would change an answer.

/// `GET /api/client/features`: every switch of the token's app, with the segments
/// its strategies refer to.
public struct UnleashFeatures: Codable, Sendable, Equatable {
    public var version: Int
    public var features: [UnleashFeature]
    public var segments: [UnleashSegment]?

    public init(version: Int = 2, features: [UnleashFeature], segments: [UnleashSegment]? = nil) {
        self.version = version
        self.features = features
        self.segments = segments
    }
}

public struct UnleashFeature: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    /// Unleash's flag type: release, experiment, operational, kill-switch, permission.
    public var type: String?
    public var enabled: Bool
    public var strategies: [UnleashStrategy]
    public var variants: [UnleashVariant]?
    public var impressionData: Bool?
    public var project: String?
    public var stale: Bool?

    public init(name: String, description: String? = nil, type: String? = nil, enabled: Bool,
                strategies: [UnleashStrategy], variants: [UnleashVariant]? = nil) {
        self.name = name
        self.description = description
        self.type = type
        self.enabled = enabled
        self.strategies = strategies
        self.variants = variants
        impressionData = false
        project = "default"
        stale = false
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        type = try container.decodeIfPresent(String.self, forKey: .type)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? false
        strategies = try container.decodeIfPresent([UnleashStrategy].self, forKey: .strategies) ?? []
        variants = try container.decodeIfPresent([UnleashVariant].self, forKey: .variants)
        impressionData = try container.decodeIfPresent(Bool.self, forKey: .impressionData)
        project = try container.decodeIfPresent(String.self, forKey: .project)
        stale = try container.decodeIfPresent(Bool.self, forKey: .stale)
    }
}

public struct UnleashStrategy: Codable, Sendable, Equatable {
    public var name: String
    public var parameters: [String: String]
    public var constraints: [UnleashConstraint]
    public var segments: [Int]
    public var variants: [UnleashVariant]

    enum CodingKeys: String, CodingKey { case name, parameters, constraints, segments, variants }

    public init(name: String, parameters: [String: String] = [:], constraints: [UnleashConstraint] = [],
                segments: [Int] = [], variants: [UnleashVariant] = []) {
        self.name = name
        self.parameters = parameters
        self.constraints = constraints
        self.segments = segments
        self.variants = variants
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        // Unleash stores parameters as text, but documents written by hand (and the
        // specification's) carry numbers too: "rollout": 50.
        let raw = try container.decodeIfPresent([String: JSONValue].self, forKey: .parameters) ?? [:]
        parameters = raw.compactMapValues(\.text)
        constraints = try container.decodeIfPresent([UnleashConstraint].self, forKey: .constraints) ?? []
        segments = try container.decodeIfPresent([Int].self, forKey: .segments) ?? []
        variants = try container.decodeIfPresent([UnleashVariant].self, forKey: .variants) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(constraints, forKey: .constraints)
        if !segments.isEmpty { try container.encode(segments, forKey: .segments) }
        if !variants.isEmpty { try container.encode(variants, forKey: .variants) }
    }
}

public struct UnleashConstraint: Codable, Sendable, Equatable {
    public var contextName: String
    /// Kept as sent: an operator this server does not know makes the constraint false,
    /// as in Unleash's SDKs, rather than the document unreadable.
    public var `operator`: String
    public var values: [String]
    public var value: String?
    public var inverted: Bool
    public var caseInsensitive: Bool

    enum CodingKeys: String, CodingKey { case contextName, `operator`, values, value, inverted, caseInsensitive }

    public init(contextName: String, operator: String, values: [String] = [], value: String? = nil,
                inverted: Bool = false, caseInsensitive: Bool = false) {
        self.contextName = contextName
        self.operator = `operator`
        self.values = values
        self.value = value
        self.inverted = inverted
        self.caseInsensitive = caseInsensitive
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        contextName = try container.decode(String.self, forKey: .contextName)
        `operator` = try container.decode(String.self, forKey: .operator)
        values = try container.decodeIfPresent([String].self, forKey: .values) ?? []
        // A single value is text in Unleash; a number is accepted as its text.
        if let text = try? container.decodeIfPresent(String.self, forKey: .value) {
            value = text
        } else if let number = try? container.decodeIfPresent(Double.self, forKey: .value) {
            value = String(number)
        } else {
            value = nil
        }
        inverted = try container.decodeIfPresent(Bool.self, forKey: .inverted) ?? false
        caseInsensitive = try container.decodeIfPresent(Bool.self, forKey: .caseInsensitive) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(contextName, forKey: .contextName)
        try container.encode(`operator`, forKey: .operator)
        try container.encode(values, forKey: .values)
        try container.encodeIfPresent(value, forKey: .value)
        try container.encode(inverted, forKey: .inverted)
        try container.encode(caseInsensitive, forKey: .caseInsensitive)
    }
}

public struct UnleashSegment: Codable, Sendable, Equatable {
    public var id: Int
    public var name: String?
    public var constraints: [UnleashConstraint]

    public init(id: Int, name: String? = nil, constraints: [UnleashConstraint]) {
        self.id = id
        self.name = name
        self.constraints = constraints
    }
}

public struct UnleashVariant: Codable, Sendable, Equatable {
    public struct Payload: Codable, Sendable, Equatable {
        public var type: String
        public var value: String
    }

    public struct Override: Codable, Sendable, Equatable {
        public var contextName: String
        public var values: [String]
    }

    public var name: String
    public var weight: Int
    public var weightType: String?
    public var stickiness: String?
    public var payload: Payload?
    public var overrides: [Override]?
}

/// What a feature evaluates for: Unleash's context fields, and `properties` for any
/// other (OpsDeck's device fields among them: deviceId, os, appVersion, osVersion,
/// model, city, network).
public struct UnleashContext: Sendable, Equatable {
    public var userId: String?
    public var sessionId: String?
    public var remoteAddress: String?
    public var environment: String?
    public var appName: String?
    /// Text as sent (ISO 8601); nil means now.
    public var currentTime: String?
    public var properties: [String: String]

    public init(userId: String? = nil, sessionId: String? = nil, remoteAddress: String? = nil, environment: String? = nil,
                appName: String? = nil, currentTime: String? = nil, properties: [String: String] = [:]) {
        self.userId = userId
        self.sessionId = sessionId
        self.remoteAddress = remoteAddress
        self.environment = environment
        self.appName = appName
        self.currentTime = currentTime
        self.properties = properties
    }

    /// Unleash's own context fields; any other name is a property.
    private static let fields: [String: WritableKeyPath<UnleashContext, String?> & Sendable] = [
        "userId": \.userId, "sessionId": \.sessionId, "remoteAddress": \.remoteAddress,
        "environment": \.environment, "appName": \.appName, "currentTime": \.currentTime,
    ]

    /// The value a constraint or stickiness names: the top-level field of that name,
    /// else the property (as Unleash's SDKs resolve it: `properties.appName` stands in
    /// for a missing `appName`).
    public func value(of field: String) -> String? {
        Self.fields[field].flatMap { self[keyPath: $0] } ?? properties[field]
    }

    /// Sets a field by its Unleash name; `properties[NAME]` (the Frontend API's query
    /// form) and any name Unleash does not define go to `properties`.
    public mutating func set(_ name: String, _ value: String) {
        if let field = Self.fields[name] {
            self[keyPath: field] = value
        } else if name.hasPrefix("properties["), name.hasSuffix("]") {
            properties[String(name.dropFirst(11).dropLast())] = value
        } else {
            properties[name] = value
        }
    }

    /// The context of a device as the upgrade check sees it, in the fields OpsDeck's
    /// switch rules are written in.
    public static func device(_ device: DeviceInfo, appVersion: String, app: String) -> UnleashContext {
        var properties = ["deviceId": device.id, "os": device.os.rawValue, "appVersion": appVersion, "model": device.model]
        if !device.osVersion.isEmpty { properties["osVersion"] = device.osVersion }
        if let city = device.city { properties["city"] = city }
        if let network = device.network { properties["network"] = network }
        return UnleashContext(appName: app, properties: properties)
    }
}

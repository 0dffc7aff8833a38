import Foundation

/// Which of Unleash's APIs an SDK token opens: the Client API (server-side SDKs and
/// Edge: the whole features document) or the Frontend API (mobile and web SDKs: answers
/// evaluated for one context).
public enum SDKTokenKind: String, Codable, Sendable, CaseIterable {
    case client
    case frontend
}

/// An app's Unleash SDK token. The secret is in `token` only in the answer that made
/// it; lists show its first characters (`preview`).
public struct SDKToken: Codable, Sendable, Equatable {
    public var app: String
    public var name: String
    public var kind: SDKTokenKind
    public var preview: String
    public var token: String?
    public var createdBy: String
    public var createdAt: Date

    public init(app: String, name: String, kind: SDKTokenKind, preview: String, token: String?, createdBy: String, createdAt: Date) {
        self.app = app
        self.name = name
        self.kind = kind
        self.preview = preview
        self.token = token
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// The body of `POST /v1/apps/{app}/sdk-tokens`.
public struct SDKTokenDraft: Codable, Sendable, Equatable {
    public var name: String
    public var kind: SDKTokenKind
    public var reason: String

    public init(name: String, kind: SDKTokenKind, reason: String) {
        self.name = name
        self.kind = kind
        self.reason = reason
    }

    public var problem: String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
        guard !name.isEmpty, name.count <= 64, name.allSatisfy(allowed.contains) else {
            return "name must be 1 to 64 lower-case letters, digits, '-', '_' or '.' (got '\(name)')"
        }
        return nil
    }
}

/// What `POST /v1/apps/{app}/switches/import` did.
public struct SwitchImportReport: Codable, Sendable, Equatable {
    public var created: [String]
    public var updated: [String]
    public var segments: Int
    /// What the document holds that this platform evaluates as false (a strategy or
    /// operator it does not know), so that nobody learns it from a device.
    public var warnings: [String]

    public init(created: [String], updated: [String], segments: Int, warnings: [String]) {
        self.created = created
        self.updated = updated
        self.segments = segments
        self.warnings = warnings
    }
}

/// How Unleash SDKs evaluated a switch, from the metrics they report.
public struct SwitchSDKUse: Codable, Sendable, Equatable, Hashable {
    /// Evaluations in the last hour and day: on, off.
    public var hourYes: Int
    public var hourNo: Int
    public var dayYes: Int
    public var dayNo: Int
    /// SDK instances that registered or reported in the last day.
    public var clients: Int

    public init(hourYes: Int, hourNo: Int, dayYes: Int, dayNo: Int, clients: Int) {
        self.hourYes = hourYes
        self.hourNo = hourNo
        self.dayYes = dayYes
        self.dayNo = dayNo
        self.clients = clients
    }
}

extension UnleashFeatures {
    /// What in this document OpsDeck evaluates as false: unknown strategies and
    /// operators, and segments that are not defined.
    public var unsupported: [String] {
        let operators: Set = ["IN", "NOT_IN", "STR_STARTS_WITH", "STR_ENDS_WITH", "STR_CONTAINS", "NUM_EQ", "NUM_GT", "NUM_GTE",
                              "NUM_LT", "NUM_LTE", "DATE_AFTER", "DATE_BEFORE", "SEMVER_EQ", "SEMVER_GT", "SEMVER_GTE",
                              "SEMVER_LT", "SEMVER_LTE", "REGEX"]
        let known = Set((segments ?? []).map(\.id))
        var warnings: [String] = []
        for feature in features {
            for strategy in feature.strategies {
                if !UnleashEvaluator.strategies.contains(strategy.name) {
                    warnings.append("\(feature.name): strategy '\(strategy.name)' is not evaluated here (counts as false)")
                }
                for constraint in strategy.constraints where !operators.contains(constraint.operator) {
                    warnings.append("\(feature.name): operator '\(constraint.operator)' is not evaluated here (counts as false)")
                }
                for id in strategy.segments where !known.contains(id) {
                    warnings.append("\(feature.name): segment \(id) is not in the document (the strategy counts as false)")
                }
            }
        }
        return warnings
    }
}

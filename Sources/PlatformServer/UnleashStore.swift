import Foundation
import PlatformModel

/// What an Unleash SDK token opens: one app, through one of the two APIs.
struct SDKAccess: Sendable {
    var app: String
    var kind: SDKTokenKind
}

extension ServerStore {
    // MARK: Tokens

    /// The app and API a presented token opens; nil for any token this store did not make.
    func sdkAccess(token: String) async throws -> SDKAccess? {
        guard !token.isEmpty, token.utf8.count <= 300 else { return nil }
        return try await db.read { db in
            try db.row("SELECT app, kind FROM sdk_tokens WHERE token = ?", [token]).flatMap { row in
                SDKTokenKind(rawValue: row["kind"]).map { SDKAccess(app: row["app"], kind: $0) }
            }
        }
    }

    func sdkTokens(app: String) async throws -> [SDKToken] {
        try await db.read { db in
            try db.rows("SELECT * FROM sdk_tokens WHERE app = ? ORDER BY name", [app]).map { Self.sdkToken(from: $0, secret: false) }
        }
    }

    private static func sdkToken(from row: SQLRow, secret: Bool) -> SDKToken {
        let token: String = row["token"]
        return SDKToken(app: row["app"], name: row["name"], kind: SDKTokenKind(rawValue: row["kind"]) ?? .client,
                        preview: Self.preview(of: token), token: secret ? token : nil,
                        createdBy: row["createdBy"], createdAt: Date(unixMilliseconds: row["createdAt"]))
    }

    /// Enough of a token to tell it from another, not enough to use: the app, and the
    /// first 8 of its 48 secret hex digits.
    static func preview(of token: String) -> String {
        guard let dot = token.lastIndex(of: ".") else { return "…" }
        return String(token[...dot]) + String(token[token.index(after: dot)...].prefix(8)) + "…"
    }

    /// Makes a token: "APP:production.<48 hex digits>", in the shape of Unleash's own.
    func createSDKToken(app: String, _ draft: SDKTokenDraft, context: MutationContext) async throws -> StoredResponse {
        let reason = try Self.validReason(draft.reason)
        if let problem = draft.problem { throw ProblemError(.unprocessableContent, problem) }
        let token = "\(app):production.\(randomHex(bytes: 24))"
        return try await db.write { db in
            if let replay = try Self.replay(db, context) { return replay }
            guard try Self.appExists(db, app) else { throw ProblemError(.notFound, "no app with id '\(app)'") }
            guard try db.row("SELECT 1 FROM sdk_tokens WHERE app = ? AND name = ?", [app, draft.name]) == nil else {
                throw ProblemError(.conflict, "name: \(app) already has an SDK token \(draft.name)")
            }
            try db.execute("INSERT INTO sdk_tokens (token, app, kind, name, createdBy, createdAt) VALUES (?, ?, ?, ?, ?, ?)",
                           [token, app, draft.kind.rawValue, draft.name, context.caller.name, context.now.unixMilliseconds])
            let made = SDKToken(app: app, name: draft.name, kind: draft.kind, preview: Self.preview(of: token),
                                token: token, createdBy: context.caller.name, createdAt: context.now)
            var audited = made
            audited.token = nil
            try Self.audit(db, at: context.now, actor: context.caller.name, role: context.caller.role.rawValue, action: .sdkTokenCreate,
                           target: "\(app)/sdk-tokens/\(draft.name)", before: nil as SDKToken?, after: audited, reason: reason,
                           idempotencyKey: context.idempotencyKey)
            let stored = StoredResponse(status: 201, body: try WireFormat.encoder().encode(made), etag: nil)
            try Self.remember(db, context, stored)
            return stored
        }
    }

    func revokeSDKToken(app: String, name: String, reason: String, context: MutationContext) async throws {
        let reason = try Self.validReason(reason)
        try await db.write { db in
            guard let row = try db.row("SELECT * FROM sdk_tokens WHERE app = ? AND name = ?", [app, name]) else {
                throw ProblemError(.notFound, "no SDK token '\(name)' in app '\(app)'")
            }
            try db.execute("DELETE FROM sdk_tokens WHERE app = ? AND name = ?", [app, name])
            try Self.audit(db, at: context.now, actor: context.caller.name, role: context.caller.role.rawValue, action: .sdkTokenRevoke,
                           target: "\(app)/sdk-tokens/\(name)", before: Self.sdkToken(from: row, secret: false), after: nil, reason: reason)
        }
    }

    // MARK: Import

    /// Brings an Unleash features document into `app`: each feature becomes (or
    /// replaces the rules of) the switch of that name, with its strategies and variants;
    /// segments are stored by id. One transaction, one audit entry per switch.
    func importSwitches(app: String, _ document: UnleashFeatures, reason: String, context: MutationContext) async throws -> StoredResponse {
        let reason = try Self.validReason(reason)
        if let problem = Self.importProblem(document) { throw ProblemError(.unprocessableContent, problem) }
        defer { snapshotsChanged() }
        return try await db.write { db in
            if let replay = try Self.replay(db, context) { return replay }
            guard try Self.appExists(db, app) else { throw ProblemError(.notFound, "no app with id '\(app)'") }
            for segment in document.segments ?? [] {
                try db.execute("""
                    INSERT INTO unleash_segments (app, id, name, constraints) VALUES (?, ?, ?, ?)
                    ON CONFLICT (app, id) DO UPDATE SET name = excluded.name, constraints = excluded.constraints
                    """,
                               [app, segment.id, segment.name,
                                           String(decoding: try JSONEncoder().encode(segment.constraints), as: UTF8.self)])
            }
            var created: [String] = [], updated: [String] = []
            for feature in document.features {
                let before = try db.row("SELECT * FROM switches WHERE app = ? AND key = ?", [app, feature.name])
                    .map(Self.switchItem(from:))
                let description = feature.description.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
                var after = Switch(
                    app: app, key: feature.name, description: FreeText.limited(description ?? before?.description ?? "imported from Unleash"),
                    kind: feature.type == "operational" ? .circuitBreaker : before?.kind ?? .killSwitch, enabled: feature.enabled,
                    scope: before?.scope ?? SwitchScope(), updatedBy: context.caller.name, updatedAt: context.now,
                    revision: (before?.revision ?? 0) + 1, rules: SwitchRules(strategies: feature.strategies, variants: feature.variants))
                after.sdk = nil
                try Self.save(db, after)
                if before == nil { created.append(feature.name) } else { updated.append(feature.name) }
                try Self.audit(db, at: context.now, actor: context.caller.name, role: context.caller.role.rawValue, action: .switchImport,
                               target: "\(app)/switches/\(feature.name)", before: before, after: after, reason: reason,
                               idempotencyKey: context.idempotencyKey)
            }
            let report = SwitchImportReport(created: created, updated: updated, segments: document.segments?.count ?? 0,
                                            warnings: document.unsupported)
            let stored = StoredResponse(status: 200, body: try WireFormat.encoder().encode(report), etag: nil)
            try Self.remember(db, context, stored)
            return stored
        }
    }

    /// Names a switch may have when it comes from Unleash: Unleash's URL-friendly names.
    static func importProblem(_ document: UnleashFeatures) -> String? {
        guard document.features.count <= 1000 else { return "features: at most 1000 in one import (got \(document.features.count))" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")
        var seen = Set<String>()
        for (index, feature) in document.features.enumerated() {
            guard !feature.name.isEmpty, feature.name.count <= 100, feature.name.allSatisfy(allowed.contains) else {
                return "features[\(index)].name must be 1 to 100 letters, digits, '-', '_', '.' or '~' (got '\(feature.name)')"
            }
            guard seen.insert(feature.name).inserted else { return "features[\(index)].name '\(feature.name)' appears twice" }
            guard feature.strategies.count <= 50 else { return "features[\(index)].strategies: at most 50" }
        }
        return nil
    }

    // MARK: SDK clients and metrics

    func registerSDKClient(app: String, _ registration: UnleashRegistration, now: Date) async throws {
        try await db.write { db in
            try db.execute("""
                INSERT INTO sdk_clients (app, appName, instanceId, sdkVersion, strategies, interval, started, lastSeen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (app, appName, instanceId) DO UPDATE SET sdkVersion = excluded.sdkVersion,
                    strategies = excluded.strategies, interval = excluded.interval, started = excluded.started, lastSeen = excluded.lastSeen
                """, [app, registration.appName, registration.instanceId, registration.sdkVersion,
                                 registration.strategies.joined(separator: ","), registration.interval, registration.started,
                                 now.unixMilliseconds])
        }
    }

    /// Adds an SDK's counts to its switches' hours; counts for names the app has no
    /// switch of are dropped.
    func recordSDKMetrics(app: String, _ metrics: UnleashMetrics, now: Date) async throws {
        let hour = (now.unixMilliseconds / 3_600_000) * 3_600_000
        try await db.write { db in
            let keys = Set(try db.values("SELECT key FROM switches WHERE app = ?", [app], as: String.self))
            for (name, counts) in metrics.bucket?.toggles ?? [:] where keys.contains(name) {
                try db.execute("""
                    INSERT INTO switch_metrics (app, key, hour, yes, no) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (app, key, hour) DO UPDATE SET yes = switch_metrics.yes + excluded.yes, no = switch_metrics.no + excluded.no
                    """, [app, name, hour, max(0, counts.yes), max(0, counts.no)])
            }
            try db.execute("""
                INSERT INTO sdk_clients (app, appName, instanceId, lastSeen) VALUES (?, ?, ?, ?)
                ON CONFLICT (app, appName, instanceId) DO UPDATE SET lastSeen = excluded.lastSeen
                """, [app, metrics.appName, metrics.instanceId, now.unixMilliseconds])
        }
    }

    /// Each switch's SDK evaluations over the last hour and day, and the clients seen.
    static func sdkUse(_ db: SQLSession, app: String, now: Date) throws -> [String: SwitchSDKUse] {
        let hour = (now.unixMilliseconds / 3_600_000) * 3_600_000
        let clients = try db.value("SELECT COUNT(*) FROM sdk_clients WHERE app = ? AND lastSeen >= ?",
                                   [app, now.unixMilliseconds - 86_400_000], as: Int.self) ?? 0
        var use: [String: SwitchSDKUse] = [:]
        for row in try db.rows("""
            SELECT key, SUM(CASE WHEN hour >= ? THEN yes ELSE 0 END) AS hourYes, SUM(CASE WHEN hour >= ? THEN no ELSE 0 END) AS hourNo,
                   SUM(yes) AS dayYes, SUM(no) AS dayNo
            FROM switch_metrics WHERE app = ? AND hour >= ? GROUP BY key
            """, [hour, hour, app, hour - 23 * 3_600_000]) {
            use[row["key"]] = SwitchSDKUse(hourYes: row["hourYes"], hourNo: row["hourNo"], dayYes: row["dayYes"], dayNo: row["dayNo"], clients: clients)
        }
        return use
    }
}

/// `POST /api/client/register` (and the Frontend API's): who the SDK is.
struct UnleashRegistration: Decodable {
    var appName: String
    var instanceId: String
    var sdkVersion: String?
    var strategies: [String]
    var interval: Int?
    var started: String?

    enum CodingKeys: String, CodingKey { case appName, instanceId, sdkVersion, strategies, interval, started }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        appName = try container.decode(String.self, forKey: .appName)
        instanceId = try container.decodeIfPresent(String.self, forKey: .instanceId) ?? "unknown"
        sdkVersion = try container.decodeIfPresent(String.self, forKey: .sdkVersion)
        strategies = try container.decodeIfPresent([String].self, forKey: .strategies) ?? []
        interval = try? container.decodeIfPresent(Int.self, forKey: .interval)
        started = try? container.decodeIfPresent(String.self, forKey: .started)
    }
}

/// `POST /api/client/metrics`: evaluations counted by an SDK since its last report.
struct UnleashMetrics: Decodable {
    struct Counts: Decodable {
        var yes: Int
        var no: Int
    }

    struct Bucket: Decodable {
        var toggles: [String: Counts]
    }

    var appName: String
    var instanceId: String
    var bucket: Bucket?

    enum CodingKeys: String, CodingKey { case appName, instanceId, bucket }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        appName = try container.decode(String.self, forKey: .appName)
        instanceId = try container.decodeIfPresent(String.self, forKey: .instanceId) ?? "unknown"
        bucket = try container.decodeIfPresent(Bucket.self, forKey: .bucket)
    }
}

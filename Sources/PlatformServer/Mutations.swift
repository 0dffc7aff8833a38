import Foundation
import Hummingbird
import PlatformModel

/// A response worth replaying: what a mutation answered the first time.
struct StoredResponse: Sendable {
    var status: Int
    var body: Data
    var etag: String?

    func response() -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let etag { headers[.eTag] = etag }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// What every mutation carries besides its body.
struct MutationContext: Sendable {
    var caller: AccessToken
    var ifMatch: String?
    var idempotencyKey: String?
    /// Method, path and body hash: a key reused for another request is refused.
    var fingerprint: String
    var now: Date
}

/// A 412 body: the problem plus the resource as it is now, so the client can show the
/// person what changed and ask again (RFC 9457 extension member `current`).
private struct ConflictProblem<Current: Encodable>: Encodable {
    var type = "about:blank"
    var title = "Precondition Failed"
    var status = 412
    var detail: String
    var instance: String
    var current: Current
}

extension ServerStore {
    /// How one kind of resource is read and written inside a mutation's transaction.
    struct MutableResource<Resource: Encodable & Sendable>: Sendable {
        /// e.g. "wallet-ios/5.2.0": the audit log's target.
        var target: String
        /// The resource's URL path, for problem instances.
        var instance: String
        var notFound: String
        var load: @Sendable (SQLSession) throws -> Resource?
        var etag: @Sendable (Resource) -> String
        /// Stamps the new revision, time and actor on the changed resource.
        var stamp: @Sendable (_ changed: Resource, _ before: Resource, _ now: Date, _ actor: String) -> Resource
        var save: @Sendable (SQLSession, Resource) throws -> Void
    }

    /// Applies `change` in a single transaction: idempotency replay, If-Match check, the
    /// change, the audit entry and the idempotency record commit together or not at all.
    func mutate<Resource: Encodable & Sendable>(
        _ resource: MutableResource<Resource>, context: MutationContext, reason: String,
        change: @escaping @Sendable (Resource) throws -> (Resource, action: AuditAction)
    ) async throws -> StoredResponse {
        let reason = try Self.validReason(reason)
        defer { snapshotsChanged() }
        return try await db.write { db in
            if let replay = try Self.replay(db, context) { return replay }
            guard let before = try resource.load(db) else { throw ProblemError(.notFound, resource.notFound) }
            try Self.checkPrecondition(context.ifMatch, etag: resource.etag(before), current: before, instance: resource.instance)
            let (changed, action) = try change(before)
            let after = resource.stamp(changed, before, context.now, context.caller.name)
            try resource.save(db, after)
            try Self.audit(db, at: context.now, actor: context.caller.name, role: context.caller.role.rawValue, action: action,
                           target: resource.target, before: before, after: after, reason: reason, idempotencyKey: context.idempotencyKey)
            let stored = StoredResponse(status: 200, body: try WireFormat.encoder().encode(after), etag: resource.etag(after))
            try Self.remember(db, context, stored)
            return stored
        }
    }

    /// Creates a resource in a single transaction, as `mutate` changes one: idempotency
    /// replay, the insert, the audit entry (before: none) and the idempotency record
    /// commit together; one that exists already (`resource.load` finds it) is a 409 with
    /// `conflict`. `problem` is the body's own validation, checked after the reason.
    func create<Resource: Encodable & Sendable>(
        _ resource: MutableResource<Resource>, app: String, made: Resource, action: AuditAction, context: MutationContext, reason: String,
        problem: String?, conflict: String, insert: @escaping @Sendable (SQLSession, Resource) throws -> Void
    ) async throws -> StoredResponse {
        let reason = try Self.validReason(reason)
        if let problem { throw ProblemError(.unprocessableContent, problem) }
        defer { snapshotsChanged() }
        return try await db.write { db in
            if let replay = try Self.replay(db, context) { return replay }
            guard try Self.appExists(db, app) else { throw ProblemError(.notFound, "no app with id '\(app)'") }
            guard try resource.load(db) == nil else { throw ProblemError(.conflict, conflict) }
            try insert(db, made)
            try Self.audit(db, at: context.now, actor: context.caller.name, role: context.caller.role.rawValue, action: action,
                           target: resource.target, before: nil as Resource?, after: made, reason: reason, idempotencyKey: context.idempotencyKey)
            let stored = StoredResponse(status: 201, body: try WireFormat.encoder().encode(made), etag: resource.etag(made))
            try Self.remember(db, context, stored)
            return stored
        }
    }

    /// Creates a draft release (version, build, notes, package size and checksum).
    func createRelease(app: String, _ draft: ReleaseDraft, context: MutationContext) async throws -> StoredResponse {
        let release = Release(
            app: app, version: draft.version, build: draft.build, stage: .draft, grayPercent: 0, notes: draft.notes,
            createdAt: context.now, updatedAt: context.now, revision: 1, targeting: draft.targeting,
            packageSize: draft.packageSize, checksum: draft.checksum.lowercased())
        return try await create(
            Self.releaseResource(app: app, version: draft.version), app: app, made: release, action: .releaseCreate, context: context,
            reason: draft.reason, problem: draft.problem, conflict: "version: \(app) already has a release \(draft.version)"
        ) { db, release in
            try db.execute("""
                INSERT INTO releases (app, version, build, stage, grayBasisPoints, notes, createdAt, updatedAt, revision, targeting, packageSize, checksum)
                VALUES (?, ?, ?, ?, 0, ?, ?, ?, 1, ?, ?, ?)
                """, [app, release.version, release.build, release.stage.rawValue, release.notes, release.createdAt,
                                 release.updatedAt, Self.targetingJSON(release.targeting), release.packageSize, release.checksum])
        }
    }

    static func releaseResource(app: String, version: String) -> MutableResource<Release> {
        MutableResource(
            target: "\(app)/\(version)", instance: "/v1/apps/\(app)/releases/\(version)",
            notFound: "no release '\(version)' in app '\(app)'",
            load: { db in
                try db.row("SELECT * FROM releases WHERE app = ? AND version = ?", [app, version])
                    .map(Self.release(from:))
            },
            etag: \.etag,
            stamp: { changed, before, now, _ in
                var after = changed
                after.revision = before.revision + 1
                after.updatedAt = now
                return after
            },
            save: { db, after in
                try db.execute(
                    "UPDATE releases SET stage = ?, grayBasisPoints = ?, targeting = ?, updatedAt = ?, revision = ? WHERE app = ? AND version = ?",
                    [after.stage.rawValue, Bucketing.basisPoints(after.grayPercent), Self.targetingJSON(after.targeting),
                                after.updatedAt, after.revision, app, version])
            })
    }

    public func release(app: String, version: String) async throws -> Release? {
        try await db.read { db in
            try db.row("SELECT * FROM releases WHERE app = ? AND version = ?", [app, version])
                .map(Self.release(from:))
        }
    }

    /// Audit entries after `cursor`, oldest first.
    public func audit(after cursor: Int64, limit: Int) async throws -> [AuditEntry] {
        try await db.read { db in
            try db.rows("SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?", [cursor, limit]).map { row in
                let decoder = WireFormat.decoder()
                func json(_ column: String) -> JSONValue? {
                    (row[column] as String?).flatMap { try? decoder.decode(JSONValue.self, from: Data($0.utf8)) }
                }
                return AuditEntry(
                    id: row["id"], at: Date(timeIntervalSince1970: Double(row["at"] as Int64) / 1000),
                    actor: row["actor"], role: row["role"], action: AuditAction(rawValue: row["action"]), target: row["target"],
                    before: json("before"), after: json("after"), reason: row["reason"],
                    guardrail: (row["guardrail"] as String?).flatMap { try? decoder.decode(GuardrailBreach.self, from: Data($0.utf8)) },
                    idempotencyKey: row["idempotencyKey"])
            }
        }
    }

    // MARK: Pieces of a mutation

    static func validReason(_ reason: String) throws -> String {
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw ProblemError(.badRequest, "a reason is required: say why, for the audit log") }
        guard trimmed.count <= 500 else { throw ProblemError(.badRequest, "the reason is longer than 500 characters") }
        return trimmed
    }

    /// `If-Match` must name the current ETag: a stale one means someone else changed
    /// the resource since the caller looked, and nothing is overwritten.
    static func checkPrecondition(_ ifMatch: String?, etag: String, current: some Encodable, instance: String) throws {
        guard let ifMatch, !ifMatch.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ProblemError(.init(code: 428), "this change needs an If-Match header with the current ETag (\(etag)); GET the resource first")
        }
        let tags = ifMatch.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard tags.contains(etag) || tags.contains("*") else {
            let body = ConflictProblem(
                detail: "the resource changed since you read it (now \(etag), you sent \(ifMatch)); nothing was changed",
                instance: instance, current: current)
            throw PreconditionFailed(body: (try? WireFormat.encoder().encode(body)) ?? Data(), etag: etag)
        }
    }

    static func replay(_ db: SQLSession, _ context: MutationContext) throws -> StoredResponse? {
        guard let key = context.idempotencyKey else { return nil }
        guard let row = try db.row("SELECT * FROM idempotency WHERE actor = ? AND key = ?", [context.caller.name, key]) else {
            return nil
        }
        guard row["fingerprint"] as String == context.fingerprint else {
            throw ProblemError(.unprocessableContent, "Idempotency-Key '\(key)' was already used for a different request")
        }
        return StoredResponse(status: row["status"], body: row["body"], etag: row["etag"])
    }

    static func remember(_ db: SQLSession, _ context: MutationContext, _ response: StoredResponse) throws {
        guard let key = context.idempotencyKey else { return }
        try db.execute(
            "INSERT INTO idempotency (actor, key, fingerprint, status, body, etag, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [context.caller.name, key, context.fingerprint, response.status, response.body, response.etag,
                        Int64(context.now.timeIntervalSince1970 * 1000)])
    }

    static func audit<T: Encodable>(_ db: SQLSession, at: Date, actor: String, role: String, action: AuditAction, target: String, before: T?, after: T?,
                                    reason: String, guardrail: GuardrailBreach? = nil, idempotencyKey: String? = nil) throws {
        let encoder = WireFormat.encoder()
        func json(_ value: T?) throws -> String? {
            try value.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        }
        try db.execute(
            "INSERT INTO audit (at, actor, role, action, target, before, after, reason, guardrail, idempotencyKey) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [Int64((at.timeIntervalSince1970 * 1000).rounded()), actor, role, action.rawValue, target, try json(before), try json(after), FreeText.limited(reason),
                        try guardrail.map { String(decoding: try encoder.encode($0), as: UTF8.self) }, idempotencyKey])
    }
}

/// 412 with the current state in the body; thrown out of the write transaction.
struct PreconditionFailed: HTTPResponseError {
    var body: Data
    var etag: String
    var status: HTTPResponse.Status { .preconditionFailed }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: status, headers: [.contentType: Problem.mediaType, .eTag: etag],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

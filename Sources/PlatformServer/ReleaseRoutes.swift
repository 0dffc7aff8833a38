import Foundation
import Hummingbird
import PlatformModel

/// The rules of release changes, apart from HTTP and storage so that they read as rules.
enum ReleaseRules {
    /// Applies a PATCH: a new gray percentage (only in gray, or together with moving to
    /// gray) and/or a new stage along `ReleaseStage.nextStages`.
    static func patch(_ release: Release, _ patch: ReleasePatch) throws -> (Release, action: AuditAction) {
        guard patch.grayPercent != nil || patch.stage != nil || patch.targeting != nil else {
            throw ProblemError(.badRequest, "nothing to change: give grayPercent, stage, targeting, or a mix")
        }
        var changed = release
        var action = AuditAction.releaseGray
        if let targeting = patch.targeting {
            if let problem = targeting.problem { throw ProblemError(.unprocessableContent, problem) }
            changed.targeting = targeting
            if patch.grayPercent == nil && patch.stage == nil { return (changed, .releaseTargeting) }
        }
        if let stage = patch.stage, stage != release.stage {
            guard release.stage.nextStages.contains(stage) else {
                let allowed = release.stage.nextStages.map(\.rawValue).sorted().joined(separator: ", ")
                throw ProblemError(.conflict, "a release cannot go from \(release.stage.rawValue) to \(stage.rawValue)"
                    + (allowed.isEmpty ? "; \(release.stage.rawValue) is final" : " (allowed: \(allowed))"))
            }
            changed.stage = stage
            action = .releaseStage
            switch stage {
            case .full: changed.grayPercent = 100
            case .draft, .whitelist, .rolledBack: changed.grayPercent = 0
            case .gray, .halted: break
            }
        }
        if let percent = patch.grayPercent {
            try validate(percent)
            guard changed.stage == .gray else {
                throw ProblemError(.conflict, "the gray percentage can change only in the gray stage (this release is \(changed.stage.rawValue))")
            }
            changed.grayPercent = Double(Bucketing.basisPoints(percent)) / 100
        } else if changed.stage == .gray, release.stage != .gray, release.stage != .halted {
            changed.grayPercent = 1  // entering gray without a percentage starts small
        }
        return (changed, action)
    }

    static func validate(_ percent: Double) throws {
        // In hundredths, as it is stored: 5e-324 is above 0 but would store as 0.
        guard percent.isFinite, (percent * 100).rounded() >= 1, percent <= 100 else {
            throw ProblemError(.unprocessableContent, "grayPercent must be more than 0 and at most 100 (got \(percent))")
        }
        let basisPoints = percent * 100
        guard abs(basisPoints - basisPoints.rounded()) < 1e-6 else {
            throw ProblemError(.unprocessableContent, "grayPercent has a resolution of 0.01 (got \(percent))")
        }
    }

    static func halt(_ release: Release) throws -> (Release, action: AuditAction) {
        guard release.stage.canHalt else {
            throw ProblemError(.conflict, "only a whitelist or gray release can be halted (this one is \(release.stage.rawValue))")
        }
        var changed = release
        changed.stage = .halted
        return (changed, .releaseHalt)
    }

    static func resume(_ release: Release) throws -> (Release, action: AuditAction) {
        guard release.stage.canResume else {
            throw ProblemError(.conflict, "only a halted release can be resumed (this one is \(release.stage.rawValue))")
        }
        var changed = release
        changed.stage = .gray
        if changed.grayPercent == 0 { changed.grayPercent = 1 }
        return (changed, .releaseResume)
    }

    static func rollBack(_ release: Release) throws -> (Release, action: AuditAction) {
        guard release.stage.canRollBack else {
            throw ProblemError(.conflict, "only a gray, full or halted release can be rolled back (this one is \(release.stage.rawValue))")
        }
        var changed = release
        changed.stage = .rolledBack
        changed.grayPercent = 0
        return (changed, .releaseRollback)
    }
}

extension PlatformServer {
    func addReleaseRoutes(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        v1.get("apps/:app/releases/:release") { request, context in
            let (app, version) = try (context.parameters.require("app"), context.parameters.require("release"))
            guard let release = try await store.release(app: app, version: version) else {
                throw ProblemError(.notFound, "no release '\(version)' in app '\(app)'")
            }
            var response = try jsonResponse(release, for: request)
            response.headers[.eTag] = release.etag
            return response
        }
        // A new release, as a draft: version, build, notes, package size and checksum.
        v1.post("apps/:app/releases") { request, context in
            let (draft, mutation) = try await mutationInput(ReleaseDraft.self, request: request, context: context, allowed: \.mayChangeReleases)
            return try await store.createRelease(app: try context.parameters.require("app"), draft, context: mutation).response()
        }
        v1.patch("apps/:app/releases/:release") { request, context in
            let (patch, mutation) = try await mutationInput(ReleasePatch.self, request: request, context: context, allowed: \.mayChangeReleases)
            let resource = ServerStore.releaseResource(app: try context.parameters.require("app"), version: try context.parameters.require("release"))
            return try await store.mutate(resource, context: mutation, reason: patch.reason) { try ReleaseRules.patch($0, patch) }.response()
        }
        let actions: [(String, @Sendable (Release) throws -> (Release, action: AuditAction))] = [
            ("halt", ReleaseRules.halt), ("resume", ReleaseRules.resume), ("rollback", ReleaseRules.rollBack),
        ]
        for (name, rule) in actions {
            v1.post("apps/:app/releases/:release/\(name)") { request, context in
                let (body, mutation) = try await mutationInput(ReasonBody.self, request: request, context: context, allowed: \.mayChangeReleases)
                let resource = ServerStore.releaseResource(app: try context.parameters.require("app"), version: try context.parameters.require("release"))
                return try await store.mutate(resource, context: mutation, reason: body.reason, change: rule).response()
            }
        }
        v1.get("audit") { request, _ in
            let since = try cursor(request, "since") ?? 0
            let limit = try boundedInt(request, "limit", range: 1...1000) ?? 100
            let items = try await store.audit(after: since, limit: limit)
            return try jsonResponse(FeedPage(items: items, nextCursor: String(items.last?.id ?? since)), for: request)
        }
    }
}

/// Reads and checks what every mutation needs: the caller's role, the JSON body, and
/// the If-Match and Idempotency-Key headers.
func mutationInput<Body: Decodable>(
    _ type: Body.Type, request: Request, context: PlatformRequestContext, allowed: KeyPath<Role, Bool>, upTo limit: Int = 64 * 1024,
    emptyBody: Body? = nil
) async throws -> (Body, MutationContext) {
    try requireRole(context, allowed)
    guard let caller = context.caller else { throw ProblemError(.unauthorized, "no caller") }
    var request = request
    let buffer = try await request.collectBody(upTo: limit)
    let data = Data(buffer.readableBytesView)
    let body: Body
    if data.isEmpty, let emptyBody {
        body = emptyBody
    } else {
        do {
            body = try WireFormat.decoder().decode(Body.self, from: data)
        } catch {
            throw ProblemError(.badRequest, WireFormat.explain(error))
        }
    }
    let key = request.headers.first { $0.name.canonicalName == "idempotency-key" }?.value
    if let key, key.isEmpty || key.count > 200 {
        throw ProblemError(.badRequest, "Idempotency-Key must be 1 to 200 characters")
    }
    let fingerprint = "\(request.method) \(request.uri.path) \(fnv1a64(data))"
    return (body, MutationContext(caller: caller, ifMatch: request.headers[.ifMatch], idempotencyKey: key, fingerprint: fingerprint, now: Date()))
}

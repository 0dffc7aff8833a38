import Foundation
import Hummingbird
import PlatformModel

extension ServerStore {
    public func funnels(app: String) async throws -> [FunnelDefinition] {
        try await db.read { db in
            try db.rows("SELECT * FROM funnels WHERE app = ? ORDER BY id", [app]).map(Self.funnel(from:))
        }
    }

    static func funnel(from row: SQLRow) -> FunnelDefinition {
        FunnelDefinition(
            app: row["app"], id: row["id"], name: row["name"],
            steps: (try? JSONDecoder().decode([String].self, from: Data((row["steps"] as String).utf8))) ?? [],
            windowMinutes: row["windowMinutes"], countedBy: FunnelCount(rawValue: row["countedBy"]) ?? .device, revision: row["revision"])
    }

    static func saveFunnel(_ db: SQLSession, _ funnel: FunnelDefinition) throws {
        try db.execute("""
            INSERT INTO funnels (app, id, name, steps, windowMinutes, countedBy, revision) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (app, id) DO UPDATE SET name = excluded.name, steps = excluded.steps, windowMinutes = excluded.windowMinutes,
                countedBy = excluded.countedBy, revision = excluded.revision
            """, [funnel.app, funnel.id, funnel.name, String(decoding: try JSONEncoder().encode(funnel.steps), as: UTF8.self),
                             funnel.windowMinutes, funnel.countedBy.rawValue, funnel.revision ?? 1])
    }

    static func funnelResource(app: String, id: String) -> MutableResource<FunnelDefinition> {
        MutableResource(
            target: "\(app)/funnels/\(id)", instance: "/v1/apps/\(app)/funnels/\(id)", notFound: "no funnel '\(id)' in app '\(app)'",
            load: { db in
                try db.row("SELECT * FROM funnels WHERE app = ? AND id = ?", [app, id]).map(Self.funnel(from:))
            },
            etag: \.etag,
            stamp: { changed, before, _, _ in
                var after = changed
                after.revision = (before.revision ?? 1) + 1
                return after
            },
            save: { db, after in try Self.saveFunnel(db, after) })
    }

    /// Creates a funnel definition; an id the app already has is a 409.
    func createFunnel(app: String, _ draft: FunnelDraft, context: MutationContext) async throws -> StoredResponse {
        let id = draft.id ?? ""
        let funnel = FunnelDefinition(app: app, id: id, name: draft.name, steps: draft.steps, windowMinutes: draft.windowMinutes,
                                      countedBy: draft.countedBy, revision: 1)
        return try await create(Self.funnelResource(app: app, id: id), app: app, made: funnel, action: .funnelCreate, context: context,
                                reason: draft.reason, problem: draft.id == nil ? "id is required to create a funnel" : draft.problem,
                                conflict: "id: \(app) already has a funnel \(id)", insert: Self.saveFunnel)
    }

    /// The funnel over [from, to): journeys start in the range and may finish within the
    /// window after it.
    func funnelReport(app: String, id: String, from: Date, to: Date, byRelease: Bool) async throws -> FunnelReport? {
        try await db.read { db in
            guard let funnel = try db.row("SELECT * FROM funnels WHERE app = ? AND id = ?", [app, id])
                .map(Self.funnel(from:)) else { return nil }
            let end = to.addingTimeInterval(Double(funnel.windowMinutes) * 60).unixMilliseconds
            // Whose journeys: a device's, or a signed-in user's across their devices (steps
            // sent without a user are then not counted). The column is one of two names.
            let who = funnel.countedBy == .user ? "\"user\"" : "device"  // quoted: USER is a keyword in PostgreSQL
            // Those whose first step falls in the range, with all their funnel events.
            let steps = funnel.steps.isEmpty ? [""] : funnel.steps
            let marks = steps.map { _ in "?" }.joined(separator: ", ")
            let rows = try db.rows("""
                SELECT \(who) AS who, release, name, at FROM funnel_events
                WHERE app = ? AND name IN (\(marks)) AND at >= ? AND at < ? AND \(who) IS NOT NULL
                  AND \(who) IN (SELECT \(who) FROM funnel_events WHERE app = ? AND name = ? AND at >= ? AND at < ?)
                ORDER BY \(who), at
                """, [app] + steps.map { $0 } + [from.unixMilliseconds, end, app, steps[0], from.unixMilliseconds, to.unixMilliseconds] as SQLArguments)
            var journeys: [FunnelAnalysis.Journey] = []
            var currentDevice: String?
            for row in rows {
                let device: String = row["who"]
                if device != currentDevice {
                    journeys.append(FunnelAnalysis.Journey(release: row["release"], steps: []))
                    currentDevice = device
                }
                journeys[journeys.count - 1].steps.append((row["name"], Date(unixMilliseconds: row["at"])))
            }
            let releases = byRelease
                ? Dictionary(grouping: journeys, by: \.release).mapValues { FunnelAnalysis.results(funnel, journeys: $0) }
                : nil
            return FunnelReport(funnel: funnel, from: from, to: to, steps: FunnelAnalysis.results(funnel, journeys: journeys), byRelease: releases)
        }
    }
}

extension PlatformServer {
    func addFunnelRoutes(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        v1.get("apps/:app/funnels") { request, context in
            try jsonResponse(try await store.funnels(app: try await requireApp(context, store)), for: request)
        }
        v1.post("apps/:app/funnels") { request, context in
            let (draft, mutation) = try await mutationInput(FunnelDraft.self, request: request, context: context, allowed: \.mayEditFunnels)
            return try await store.createFunnel(app: try context.parameters.require("app"), draft, context: mutation).response()
        }
        v1.put("apps/:app/funnels/:funnel") { request, context in
            let (draft, mutation) = try await mutationInput(FunnelDraft.self, request: request, context: context, allowed: \.mayEditFunnels)
            let (app, id) = (try context.parameters.require("app"), try context.parameters.require("funnel"))
            if let other = draft.id, other != id { throw ProblemError(.unprocessableContent, "id: a funnel's id cannot change (\(id), got \(other))") }
            if let problem = draft.problem { throw ProblemError(.unprocessableContent, problem) }
            return try await store.mutate(ServerStore.funnelResource(app: app, id: id), context: mutation, reason: draft.reason) { current in
                var changed = current
                changed.name = draft.name
                changed.steps = draft.steps
                changed.windowMinutes = draft.windowMinutes
                changed.countedBy = draft.countedBy
                return (changed, .funnelEdit)
            }.response()
        }
        v1.get("apps/:app/funnels/:funnel/report") { request, context in
            let app = try await requireApp(context, store)
            let id = try context.parameters.require("funnel")
            let query = request.uri.queryParameters
            let to = try timeQuery(request, "to") ?? Date()
            // A report covers at most the 31 days up to `to`; the answer's `from` says so.
            let from = max(try timeQuery(request, "from") ?? to.addingTimeInterval(-86_400), to.addingTimeInterval(-31 * 86_400))
            guard from <= to else { throw ProblemError(.badRequest, "from must not be after to") }
            let breakdown = query.get("breakdown")
            guard breakdown == nil || breakdown == "version" else {
                throw ProblemError(.badRequest, "breakdown can only be 'version' (got '\(breakdown!)')")
            }
            guard let report = try await store.funnelReport(app: app, id: id, from: from, to: to, byRelease: breakdown != nil) else {
                throw ProblemError(.notFound, "no funnel '\(id)' in app '\(app)'")
            }
            return try jsonResponse(report, for: request)
        }
    }
}

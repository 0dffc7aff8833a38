import Foundation
import GRDB
import Hummingbird
import PlatformModel

extension ServerStore {
    public func funnels(app: String) async throws -> [FunnelDefinition] {
        try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM funnels WHERE app = ? ORDER BY id", arguments: [app]).map(Self.funnel(from:))
        }
    }

    static func funnel(from row: Row) -> FunnelDefinition {
        FunnelDefinition(
            app: row["app"], id: row["id"], name: row["name"],
            steps: (try? JSONDecoder().decode([String].self, from: Data((row["steps"] as String).utf8))) ?? [],
            windowMinutes: row["windowMinutes"])
    }

    /// The funnel over [from, to): journeys start in the range and may finish within the
    /// window after it.
    func funnelReport(app: String, id: String, from: Date, to: Date, byRelease: Bool) async throws -> FunnelReport? {
        try await db.read { db in
            guard let funnel = try Row.fetchOne(db, sql: "SELECT * FROM funnels WHERE app = ? AND id = ?", arguments: [app, id])
                .map(Self.funnel(from:)) else { return nil }
            let names = String(decoding: try JSONEncoder().encode(funnel.steps), as: UTF8.self)
            let end = to.addingTimeInterval(Double(funnel.windowMinutes) * 60).unixMilliseconds
            // Devices whose first step falls in the range, with all their funnel events.
            let rows = try Row.fetchAll(db, sql: """
                SELECT device, release, name, at FROM funnel_events
                WHERE app = :app AND name IN (SELECT value FROM json_each(:names)) AND at >= :from AND at < :end
                  AND device IN (SELECT device FROM funnel_events WHERE app = :app AND name = :first AND at >= :from AND at < :to)
                ORDER BY device, at
                """, arguments: ["app": app, "names": names, "from": from.unixMilliseconds, "to": to.unixMilliseconds,
                                 "end": end, "first": funnel.steps.first ?? ""])
            var journeys: [FunnelAnalysis.Journey] = []
            var currentDevice: String?
            for row in rows {
                let device: String = row["device"]
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

import Foundation
import Hummingbird
import PlatformModel

extension ServerStore {
    /// Per-step health of one release (or the whole app) over [from, to).
    func metrics(app: String, release: String?, from: Date, to: Date, step: Int) async throws -> MetricsSeries {
        let start = from.unixMilliseconds, end = to.unixMilliseconds, stepMs = Int64(step) * 1000
        return try await db.read { db in
            let count = Int((end - start + stepMs - 1) / stepMs)
            struct Bucket { var sessions = 0, crashed = 0, devices = 0, crashedDevices = 0, allDevices = 0, crashes = 0, anrs = 0 }
            var buckets = Array(repeating: Bucket(), count: count)
            var total = Bucket()
            // (column - start) / step: the bucket; then app, [start, end), and the release if any.
            let releaseFilter = release == nil ? "" : " AND release = ?"
            var arguments: SQLArguments = [start, stepMs, app, start, end]
            if let release { arguments.append(release) }
            let overall = Array(arguments.dropFirst(2))
            // Sessions, crashed sessions, devices and crashed devices per step.
            let sessionRows = try db.rows("""
                SELECT (startedAt - ?) / ? AS bucket, COUNT(*) AS sessions, SUM(CASE WHEN crashed THEN 1 ELSE 0 END) AS crashed,
                       COUNT(DISTINCT device) AS devices, COUNT(DISTINCT CASE WHEN crashed THEN device END) AS crashedDevices
                FROM sessions WHERE app = ? AND startedAt >= ? AND startedAt < ?\(releaseFilter)
                GROUP BY bucket
                """, arguments)
            for row in sessionRows {
                let index: Int = row["bucket"]
                guard buckets.indices.contains(index) else { continue }
                buckets[index].sessions = row["sessions"]
                buckets[index].crashed = row["crashed"] ?? 0
                buckets[index].devices = row["devices"]
                buckets[index].crashedDevices = row["crashedDevices"]
            }
            if let totalRow = try db.row("""
                SELECT COUNT(*) AS sessions, SUM(CASE WHEN crashed THEN 1 ELSE 0 END) AS crashed, COUNT(DISTINCT device) AS devices,
                       COUNT(DISTINCT CASE WHEN crashed THEN device END) AS crashedDevices
                FROM sessions WHERE app = ? AND startedAt >= ? AND startedAt < ?\(releaseFilter)
                """, overall) {
                total.sessions = totalRow["sessions"]
                total.crashed = totalRow["crashed"] ?? 0
                total.devices = totalRow["devices"]
                total.crashedDevices = totalRow["crashedDevices"]
            }
            if release != nil {
                // Adoption: this release's devices among all the app's active devices.
                let appWide = Array(arguments.prefix(5))
                for row in try db.rows("""
                    SELECT (startedAt - ?) / ? AS bucket, COUNT(DISTINCT device) AS devices
                    FROM sessions WHERE app = ? AND startedAt >= ? AND startedAt < ? GROUP BY bucket
                    """, appWide) {
                    let index: Int = row["bucket"]
                    if buckets.indices.contains(index) { buckets[index].allDevices = row["devices"] }
                }
                total.allDevices = try db.value("""
                    SELECT COUNT(DISTINCT device) FROM sessions WHERE app = ? AND startedAt >= ? AND startedAt < ?
                    """, Array(appWide.dropFirst(2)), as: Int.self) ?? 0
            }
            for row in try db.rows("""
                SELECT (at - ?) / ? AS bucket, SUM(CASE WHEN kind = 'crash' THEN 1 ELSE 0 END) AS crashes,
                       SUM(CASE WHEN kind = 'anr' THEN 1 ELSE 0 END) AS anrs
                FROM crash_events WHERE app = ? AND at >= ? AND at < ?\(releaseFilter) GROUP BY bucket
                """, arguments) {
                let index: Int = row["bucket"]
                guard buckets.indices.contains(index) else { continue }
                buckets[index].crashes = row["crashes"]
                buckets[index].anrs = row["anrs"]
                total.crashes += buckets[index].crashes
                total.anrs += buckets[index].anrs
            }
            func point(_ bucket: Bucket, at: Date) -> MetricsPoint {
                return MetricsPoint(
                    at: at, sessions: bucket.sessions, crashes: bucket.crashes, anrs: bucket.anrs,
                    crashFreeSessions: MetricsPoint.percent(bucket.sessions - bucket.crashed, of: bucket.sessions),
                    crashFreeUsers: MetricsPoint.percent(bucket.devices - bucket.crashedDevices, of: bucket.devices),
                    adoption: release == nil ? nil : MetricsPoint.percent(bucket.devices, of: bucket.allDevices),
                    devices: bucket.devices, appDevices: release == nil ? nil : bucket.allDevices)
            }
            let points = buckets.enumerated().map { index, bucket in
                point(bucket, at: Date(unixMilliseconds: start + Int64(index) * stepMs))
            }
            return MetricsSeries(app: app, release: release, from: from, to: to, stepSeconds: step, points: points,
                                 total: point(total, at: from))
        }
    }
}

extension PlatformServer {
    func addMetricsRoute(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        v1.get("apps/:app/metrics") { request, context in
            let app = try await requireApp(context, store)
            let query = request.uri.queryParameters
            var step = try boundedInt(request, "step", range: 60...86_400) ?? 60
            let to = try timeQuery(request, "to") ?? Date()
            let from = try timeQuery(request, "from") ?? to.addingTimeInterval(-3600)
            guard from <= to else { throw ProblemError(.badRequest, "from must not be after to") }
            // At most 1440 points: a wider range gets a coarser step (the answer says
            // which), as dashboards do, rather than a refusal.
            let span = to.timeIntervalSince(from)
            if span / Double(step) > 1440 { step = Int((span / 1440).rounded(.up)) }
            let release = query.get("release").flatMap { $0.isEmpty ? nil : $0 }
            if let release, try await store.release(app: app, version: release) == nil {
                throw ProblemError(.notFound, "no release '\(release)' in app '\(app)'")
            }
            return try jsonResponse(try await store.metrics(app: app, release: release, from: from, to: to, step: step), for: request)
        }
    }
}

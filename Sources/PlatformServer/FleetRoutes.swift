import Foundation
import Hummingbird
import PlatformModel
import Synchronization

extension ServerStore {
    /// Every app on one page: its newest full release and the gray ones after it, each
    /// with the last `windowMinutes` of health; crash and ANR events per minute; open alerts.
    public func fleet(now: Date = Date(), windowMinutes: Int = 60) async throws -> FleetOverview {
        let from = now.addingTimeInterval(-Double(windowMinutes) * 60).unixMilliseconds
        let minute: Int64 = 60_000
        let nowMinute = now.unixMilliseconds / minute
        let trendFrom = (nowMinute - Int64(FleetOverview.trendMinutes) + 1) * minute
        return try await db.read { db in
            let alerts = try db.rows("""
                SELECT app, COUNT(*) AS open, MIN(CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END) AS worst
                FROM alerts WHERE resolvedAt IS NULL GROUP BY app
                """)
            let apps = try db.rows("SELECT * FROM apps ORDER BY position, id").map(Self.app(from:))
            return FleetOverview(windowMinutes: windowMinutes, apps: try apps.map { app in
                let releases = try Self.releases(db, app: app.id)
                let full = releases.filter { $0.stage == .full }.max { $0.createdAt < $1.createdAt }
                let gray = releases.filter { ($0.stage == .gray || $0.stage == .halted) && $0.createdAt > (full?.createdAt ?? .distantPast) }
                    .sorted { $0.createdAt > $1.createdAt }
                let live = ([full].compactMap { $0 } + gray).map(\.version)
                var health: [String: MetricsPoint] = [:]
                if !live.isEmpty {
                    let marks = live.map { _ in "?" }.joined(separator: ", ")
                    let sessions = try db.rows("""
                        SELECT release, COUNT(*) AS sessions, COALESCE(SUM(CASE WHEN crashed THEN 1 ELSE 0 END), 0) AS crashed, COUNT(DISTINCT device) AS devices,
                               COUNT(DISTINCT CASE WHEN crashed THEN device END) AS crashedDevices
                        FROM sessions WHERE app = ? AND startedAt >= ? AND release IN (\(marks)) GROUP BY release
                        """, [app.id, from] + live.map { $0 } as SQLArguments)
                    let events = try db.rows("""
                        SELECT release, SUM(CASE WHEN kind = 'crash' THEN 1 ELSE 0 END) AS crashes,
                               SUM(CASE WHEN kind = 'anr' THEN 1 ELSE 0 END) AS anrs
                        FROM crash_events WHERE app = ? AND at >= ? AND release IN (\(marks)) GROUP BY release
                        """, [app.id, from] + live.map { $0 } as SQLArguments)
                    for version in live {
                        let s = sessions.first { ($0["release"] as String) == version }
                        let e = events.first { ($0["release"] as String) == version }
                        let count: Int = s?["sessions"] ?? 0, crashed: Int = s?["crashed"] ?? 0
                        let devices: Int = s?["devices"] ?? 0, crashedDevices: Int = s?["crashedDevices"] ?? 0
                        health[version] = MetricsPoint(
                            at: Date(unixMilliseconds: from), sessions: count, crashes: e?["crashes"] ?? 0, anrs: e?["anrs"] ?? 0,
                            crashFreeSessions: MetricsPoint.percent(count - crashed, of: count), crashFreeUsers: MetricsPoint.percent(devices - crashedDevices, of: devices),
                            adoption: nil, devices: devices, appDevices: nil)
                    }
                }
                func item(_ release: Release) -> FleetRelease {
                    FleetRelease(version: release.version, stage: release.stage, grayPercent: release.grayPercent,
                                 health: health[release.version] ?? MetricsPoint(at: Date(unixMilliseconds: from), sessions: 0, crashes: 0, anrs: 0,
                                                                                 crashFreeSessions: nil, crashFreeUsers: nil, adoption: nil))
                }
                var perMinute = Array(repeating: 0, count: FleetOverview.trendMinutes)
                for row in try db.rows("""
                    SELECT at / ? AS minute, COUNT(*) AS events FROM crash_events WHERE app = ? AND at >= ? AND kind != 'error' GROUP BY minute
                    """, [minute, app.id, trendFrom]) {
                    let index = Int((row["minute"] as Int64) - trendFrom / minute)
                    if perMinute.indices.contains(index) { perMinute[index] = row["events"] }
                }
                let open = alerts.first { ($0["app"] as String) == app.id }
                let worst: Int? = open?["worst"]
                return FleetApp(app: app, full: full.map(item), gray: gray.map(item), eventsPerMinute: perMinute,
                                openAlerts: open?["open"] ?? 0, worstAlert: worst.map { AlertSeverity.allCases[min(2, max(0, $0))] })
            })
        }
    }
}

/// The last fleet answer for a few seconds: every console polls it, and each answer
/// scans the hour's sessions of every app.
final class FleetCache: Sendable {
    private let last = Mutex<(at: ContinuousClock.Instant, value: FleetOverview)?>(nil)
    let lifetime: Duration

    init(lifetime: Duration = .seconds(2)) { self.lifetime = lifetime }

    func value(_ compute: () async throws -> FleetOverview) async throws -> FleetOverview {
        let now = ContinuousClock.now
        if let cached = last.withLock({ $0 }), now - cached.at < lifetime { return cached.value }
        let value = try await compute()
        last.withLock { $0 = (now, value) }
        return value
    }
}

extension PlatformServer {
    func addFleetRoutes(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store, cache = FleetCache()
        v1.get("fleet") { request, _ in
            try jsonResponse(try await cache.value { try await store.fleet() }, for: request)
        }
    }
}

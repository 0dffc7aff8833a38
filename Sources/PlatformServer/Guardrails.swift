import Foundation
import Logging
import PlatformModel
import ServiceLifecycle

extension ServerStore {
    /// Halts every gray release whose guardrail is breached, as the `system` actor, with
    /// the figures in the audit entry (as data, and in words in the reason). Returns what
    /// it halted ("app/version").
    @discardableResult
    public func enforceGuardrails(now: Date = Date()) async throws -> [String] {
        defer { snapshotsChanged() }
        return try await db.write { db in
            var halted: [String] = []
            let rows = try db.rows("SELECT * FROM releases WHERE stage = 'gray' AND guardrailMaxCrashRate IS NOT NULL")
            for row in rows {
                let release = Self.release(from: row)
                guard let guardrail = release.guardrail else { continue }
                let since = now.addingTimeInterval(-Double(guardrail.windowMinutes) * 60).unixMilliseconds
                let counts = try db.row("""
                    SELECT COUNT(*) AS sessions, COALESCE(SUM(CASE WHEN crashed THEN 1 ELSE 0 END), 0) AS crashed FROM sessions
                    WHERE app = ? AND release = ? AND startedAt >= ?
                    """, [release.app, release.version, since])
                let sessions: Int = counts?["sessions"] ?? 0, crashed: Int = counts?["crashed"] ?? 0
                guard sessions >= guardrail.minSessions else { continue }
                let rate = Double(crashed) * 100 / Double(sessions)
                guard rate > guardrail.maxCrashRate else { continue }
                var after = release
                after.stage = .halted
                after.revision += 1
                after.updatedAt = now
                try db.execute("UPDATE releases SET stage = 'halted', revision = ?, updatedAt = ? WHERE app = ? AND version = ?",
                               [after.revision, after.updatedAt, release.app, release.version])
                let reason = String(format: "guardrail: crash rate %.2f%% over the last %d min (%d of %d sessions) is above %.2f%%",
                                    rate, guardrail.windowMinutes, crashed, sessions, guardrail.maxCrashRate)
                let breach = GuardrailBreach(crashRate: rate, crashedSessions: crashed, sessions: sessions, windowMinutes: guardrail.windowMinutes,
                                             maxCrashRate: guardrail.maxCrashRate)
                try Self.audit(db, at: now, actor: "system", role: "system", action: .releaseGuardrailHalt,
                               target: "\(release.app)/\(release.version)", before: release, after: after, reason: reason, guardrail: breach)
                halted.append("\(release.app)/\(release.version)")
            }
            return halted
        }
    }
}

/// Checks guardrails, then evaluates alerts, every few seconds while the server runs.
struct WatchService: Service {
    let store: ServerStore
    let interval: Duration
    let rules: AlertRules
    /// How long sessions, crash events and funnel steps are kept (nil: for ever).
    var retention: TimeInterval?
    let logger: Logger

    func run() async throws {
        // A graceful shutdown cancels the loop; that is its normal end, not a failure.
        try? await cancelWhenGracefulShutdown {
            var lastMaintained = Date.distantPast
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                // With several servers on one database, one of them does this at a time.
                guard await store.leadsPeriodicWork() else { continue }
                // The volume tables' days and retention: hourly is often enough.
                if Date().timeIntervalSince(lastMaintained) >= 3600 {
                    lastMaintained = Date()
                    do {
                        for line in try await store.maintainVolume(retention: retention, logger: logger) { logger.info("storage: \(line)") }
                    } catch {
                        logger.error("storage maintenance failed: \(error)")
                    }
                }
                do {
                    for release in try await store.enforceGuardrails() {
                        logger.warning("guardrail halted \(release)")
                    }
                } catch {
                    logger.error("guardrail check failed: \(error)")
                }
                do {
                    let (opened, resolved) = try await store.evaluateAlerts(rules: rules)
                    for alert in opened { logger.warning("alert \(alert.id) opened: \(alert.app) \(alert.summary)") }
                    for alert in resolved { logger.info("alert \(alert.id) resolved: \(alert.app) \(alert.summary)") }
                } catch {
                    logger.error("alert evaluation failed: \(error)")
                }
            }
        }
    }
}

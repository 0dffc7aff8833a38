import Foundation
import PlatformModel

extension ServerStore {
    /// The app a Sentry project id names, with the key its DSN carries.
    struct SentryProject: Sendable {
        var id: String
        var key: String
        var platform: Platform
    }

    func sentryProject(_ project: Int) async throws -> SentryProject? {
        try await db.read { db in
            try db.row("SELECT id, sentryKey, platform FROM apps WHERE sentryProject = ?", [project]).flatMap { row in
                guard let key = row["sentryKey"] as String? else { return nil }
                return SentryProject(id: row["id"], key: key, platform: Platform(rawValue: row["platform"]) ?? .android)
            }
        }
    }

    /// One session's latest state: a row per session id, updated as the SDK reports it
    /// (init, then ok, exited, crashed or abnormal). False when it names no usable
    /// release (Sentry's release health needs one).
    func recordSentrySession(app: String, _ session: SentrySession) async throws -> Bool {
        guard let release = session.release.flatMap(SentryEvent.version(ofRelease:)), !release.isEmpty else { return false }
        let sid = session.sid ?? UUID().uuidString
        let started = (session.started ?? Date()).unixMilliseconds
        let device = String((session.did ?? sid).prefix(200))
        try await db.write { db in
            try db.execute("""
                INSERT INTO sessions (app, release, device, startedAt, durationSeconds, crashed, sid, "user", errored)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT \(db.dialect == .postgres ? "(app, sid, startedAt)" : "(app, sid)") WHERE sid IS NOT NULL DO UPDATE SET
                    durationSeconds = CASE WHEN excluded.durationSeconds > sessions.durationSeconds
                        THEN excluded.durationSeconds ELSE sessions.durationSeconds END,
                    crashed = sessions.crashed OR excluded.crashed, errored = sessions.errored OR excluded.errored
                """, [app, String(release.prefix(100)), device, started, max(0, session.duration ?? 0),
                                 session.status == "crashed", String(sid.prefix(100)), session.did,
                                 session.errors > 0 || session.status == "crashed" || session.status == "abnormal"])
        }
        return true
    }

    /// Aggregated sessions (Sentry's server-mode SDKs): a row per counted session, at
    /// most `limit`.
    func recordSentrySessions(app: String, _ aggregates: SentrySessionAggregates, limit: Int) async throws -> Int {
        guard limit > 0, let release = aggregates.release.flatMap(SentryEvent.version(ofRelease:)), !release.isEmpty else { return 0 }
        return try await db.write { db in
            var written = 0
            for group in aggregates.groups {
                let device = String((group.did ?? "aggregate").prefix(200))
                for (count, crashed, errored) in [(group.exited, false, false), (group.errored, false, true),
                                                  (group.abnormal, false, true), (group.crashed, true, true)] {
                    for _ in 0..<count where written < limit {
                        try db.execute("""
                            INSERT INTO sessions (app, release, device, startedAt, durationSeconds, crashed, errored) VALUES (?, ?, ?, ?, 0, ?, ?)
                            """, [app, String(release.prefix(100)), device, group.started.unixMilliseconds, crashed, errored])
                        written += 1
                    }
                }
            }
            return written
        }
    }
}

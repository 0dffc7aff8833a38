import Foundation
import PlatformModel

// Alerts, evaluated by the server every few seconds (`WatchService`): each evaluation
// works out which conditions hold now, opens an alert for a new one, refreshes the
// figures of one still open, and resolves those whose condition cleared. One open alert
// per kind, app, release and issue; after it resolves, the same condition opens a new one.

/// The thresholds alerts are evaluated with.
public struct AlertRules: Sendable {
    /// Velocity: events of one issue in one release over `windowMinutes`, against what the
    /// hour before predicts for that span.
    public var windowMinutes = 5
    public var velocityFactor = 3.0
    public var velocityMinimumEvents = 20
    /// Regression: a gray release against the previous full release over the last hour,
    /// once each has `minimumSessions` sessions.
    public var regressionMinutes = 60
    public var minimumSessions = 100
    /// Points of crash-free sessions the gray release may be below the baseline.
    public var crashFreeThreshold = 1.0
    /// Points of ANR rate (ANRs per 100 sessions) it may be above.
    public var anrThreshold = 0.5
    /// How long an issue first seen in a gray release stays news.
    public var newIssueHours = 24.0

    public init() {}
}

/// A condition that holds now, as an alert would show it.
private struct Condition {
    var kind: AlertKind
    var app: String
    var release: String
    var fingerprint: String?
    var severity: AlertSeverity
    var summary: String
    var figures: AlertFigures

    var key: String { alertKey(kind, app, release, fingerprint) }
}

/// What makes an alert the same one: one open alert per kind, app, release and issue.
private func alertKey(_ kind: AlertKind, _ app: String, _ release: String, _ fingerprint: String?) -> String {
    "\(kind.rawValue)|\(app)|\(release)|\(fingerprint ?? "")"
}

extension ServerStore {
    /// Evaluates every alert condition at `now`; returns the alerts opened and resolved.
    @discardableResult
    public func evaluateAlerts(now: Date = Date(), rules: AlertRules = AlertRules()) async throws -> (opened: [Alert], resolved: [Alert]) {
        let result = try await db.write { db -> (opened: [Alert], resolved: [Alert]) in
            let apps = try db.values("SELECT id FROM apps ORDER BY position", as: String.self)
            var conditions: [Condition] = []
            let open = try db.rows("SELECT * FROM alerts WHERE resolvedAt IS NULL").map(Self.alert(from:))
            let openKeys = Set(open.map { Self.key(of: $0) })
            for app in apps {
                let releases = try db.rows("SELECT * FROM releases WHERE app = ?", [app]).map(Self.release(from:))
                conditions += try Self.velocity(db, app: app, releases: releases, openKeys: openKeys, now: now, rules: rules)
                conditions += try Self.grayRegressions(db, app: app, releases: releases, now: now, rules: rules)
                conditions += try Self.newIssuesInGray(db, app: app, releases: releases, now: now, rules: rules)
                conditions += try Self.regressedIssues(db, app: app)
                conditions += Self.guardrailHalts(db, app: app, releases: releases)
            }
            var opened: [Alert] = [], resolved: [Alert] = []
            let current = Dictionary(conditions.map { ($0.key, $0) }) { first, _ in first }
            for alert in open {
                if let condition = current[Self.key(of: alert)] {
                    // Still holds: new figures, shown when the words change (not on every
                    // count, so an unchanged alert keeps its ETag).
                    if condition.summary != alert.summary || condition.severity != alert.severity {
                        try db.execute("UPDATE alerts SET summary = ?, severity = ?, figures = ?, revision = revision + 1 WHERE id = ?",
                                       [condition.summary, condition.severity.rawValue, try Self.json(condition.figures), alert.id])
                    }
                } else {
                    try db.execute("UPDATE alerts SET resolvedAt = ?, revision = revision + 1 WHERE id = ?", [now.unixMilliseconds, alert.id])
                    var done = alert
                    done.resolvedAt = now
                    done.revision += 1
                    resolved.append(done)
                }
            }
            for condition in conditions.sorted(by: { $0.key < $1.key }) where !openKeys.contains(condition.key) {
                let id = try db.value(
                    """
                        INSERT INTO alerts (app, release, fingerprint, kind, severity, summary, figures, openedAt, revision)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id
                        """,
                    [condition.app, condition.release, condition.fingerprint, condition.kind.rawValue, condition.severity.rawValue,
                                condition.summary, try Self.json(condition.figures), now.unixMilliseconds], as: Int64.self)
                guard let id else { throw StoreError.noRowReturned("alerts") }
                opened.append(Alert(id: id, app: condition.app, release: condition.release, fingerprint: condition.fingerprint,
                                    kind: condition.kind, severity: condition.severity, summary: condition.summary, figures: condition.figures,
                                    openedAt: now))
            }
            return (opened, resolved)
        }
        if !result.opened.isEmpty || !result.resolved.isEmpty { snapshotsChanged() }
        return result
    }

    private static func key(of alert: Alert) -> String {
        alertKey(alert.kind, alert.app, alert.release, alert.fingerprint)
    }

    // MARK: - Conditions

    /// One issue in one release spiking: more than `factor` times what the hour before
    /// predicts, and at least the minimum count. An open alert stays open down to half
    /// of both, so that a spike near the line does not open and close every evaluation.
    private static func velocity(_ db: SQLSession, app: String, releases: [Release], openKeys: Set<String>, now: Date,
                                 rules: AlertRules) throws -> [Condition] {
        let window = Double(rules.windowMinutes) * 60
        let recentFrom = now.addingTimeInterval(-window).unixMilliseconds
        let baselineFrom = now.addingTimeInterval(-window - 3600).unixMilliseconds
        let rows = try db.rows("""
            SELECT release, fingerprint, MAX(exceptionType) AS exceptionType,
                   SUM(CASE WHEN at >= ? THEN 1 ELSE 0 END) AS recent, SUM(CASE WHEN at < ? THEN 1 ELSE 0 END) AS before
            FROM crash_events WHERE app = ? AND at >= ? AND kind != 'error'
            GROUP BY release, fingerprint HAVING SUM(CASE WHEN at >= ? THEN 1 ELSE 0 END) >= ?
            """, [recentFrom, recentFrom, app, baselineFrom, recentFrom, max(1, rules.velocityMinimumEvents / 2)])
        return rows.compactMap { row in
            let release: String = row["release"], fingerprint: String = row["fingerprint"]
            let recent: Int = row["recent"], before: Int = row["before"]
            let expected = Double(before) / 60 * Double(rules.windowMinutes)
            let key = alertKey(.velocity, app, release, fingerprint)
            let scale = openKeys.contains(key) ? 0.5 : 1
            guard Double(recent) >= Double(rules.velocityMinimumEvents) * scale,
                  Double(recent) > expected * rules.velocityFactor * scale else { return nil }
            let exception: String = row["exceptionType"] ?? "an issue"
            let ratio = expected > 0 ? String(format: " (%.0f× the hour before)", Double(recent) / expected) : " (none the hour before)"
            return Condition(
                kind: .velocity, app: app, release: release, fingerprint: fingerprint, severity: .critical,
                summary: "\(exception) spiking in \(release): \(Self.roughly(recent)) events in \(rules.windowMinutes) min\(ratio)",
                figures: AlertFigures(recentEvents: recent, expectedEvents: (expected * 10).rounded() / 10, factor: rules.velocityFactor,
                                      minimumEvents: rules.velocityMinimumEvents, windowMinutes: rules.windowMinutes))
        }
    }

    /// Each gray release against the newest full release older than it, over the last
    /// hour, once both have enough sessions: crash-free sessions first, then ANR rate.
    private static func grayRegressions(_ db: SQLSession, app: String, releases: [Release], now: Date, rules: AlertRules) throws -> [Condition] {
        let from = now.addingTimeInterval(-Double(rules.regressionMinutes) * 60).unixMilliseconds
        var conditions: [Condition] = []
        for gray in releases where gray.stage == .gray {
            guard let baseline = previousFull(before: gray, in: releases) else { continue }
            let counts = try db.rows("""
                SELECT release, COUNT(*) AS sessions, COALESCE(SUM(CASE WHEN crashed THEN 1 ELSE 0 END), 0) AS crashed FROM sessions
                WHERE app = ? AND startedAt >= ? AND release IN (?, ?) GROUP BY release
                """, [app, from, gray.version, baseline.version])
            let anrs = try db.rows("""
                SELECT release, COUNT(*) AS anrs FROM crash_events
                WHERE app = ? AND at >= ? AND kind = 'anr' AND release IN (?, ?) GROUP BY release
                """, [app, from, gray.version, baseline.version])
            func sessions(_ version: String) -> (sessions: Int, crashed: Int) {
                guard let row = counts.first(where: { ($0["release"] as String) == version }) else { return (0, 0) }
                return (row["sessions"], row["crashed"])
            }
            func anrCount(_ version: String) -> Int { anrs.first { ($0["release"] as String) == version }?["anrs"] ?? 0 }
            let (graySessions, grayCrashed) = sessions(gray.version)
            let (baseSessions, baseCrashed) = sessions(baseline.version)
            // The sample size is part of the alert: below it, nothing is said.
            guard graySessions >= rules.minimumSessions, baseSessions >= rules.minimumSessions else { continue }
            let grayFree = 100 - Double(grayCrashed) * 100 / Double(graySessions)
            let baseFree = 100 - Double(baseCrashed) * 100 / Double(baseSessions)
            let grayANR = Double(anrCount(gray.version)) * 100 / Double(graySessions)
            let baseANR = Double(anrCount(baseline.version)) * 100 / Double(baseSessions)
            func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }
            if baseFree - grayFree > rules.crashFreeThreshold {
                conditions.append(Condition(
                    kind: .grayRegression, app: app, release: gray.version, fingerprint: nil, severity: .critical,
                    summary: String(format: "%@ crash-free sessions %.1f%% against %.1f%% in %@ (%@ and %@ sessions)", gray.version, grayFree, baseFree,
                                    baseline.version, Self.roughly(graySessions), Self.roughly(baseSessions)),
                    figures: AlertFigures(windowMinutes: rules.regressionMinutes, metric: "crash_free_sessions", value: round2(grayFree),
                                          sessions: graySessions, baselineRelease: baseline.version, baselineValue: round2(baseFree),
                                          baselineSessions: baseSessions, threshold: rules.crashFreeThreshold, minimumSessions: rules.minimumSessions)))
            } else if grayANR - baseANR > rules.anrThreshold {
                conditions.append(Condition(
                    kind: .grayRegression, app: app, release: gray.version, fingerprint: nil, severity: .warning,
                    summary: String(format: "%@ ANR rate %.1f%% against %.1f%% in %@ (%@ and %@ sessions)", gray.version, grayANR, baseANR,
                                    baseline.version, Self.roughly(graySessions), Self.roughly(baseSessions)),
                    figures: AlertFigures(windowMinutes: rules.regressionMinutes, metric: "anr_rate", value: round2(grayANR), sessions: graySessions,
                                          baselineRelease: baseline.version, baselineValue: round2(baseANR), baselineSessions: baseSessions,
                                          threshold: rules.anrThreshold, minimumSessions: rules.minimumSessions)))
            }
        }
        return conditions
    }

    /// The newest full release created before `release`.
    static func previousFull(before release: Release, in releases: [Release]) -> Release? {
        releases.filter { $0.stage == .full && $0.createdAt < release.createdAt }.max { $0.createdAt < $1.createdAt }
    }

    /// Unresolved issues first seen lately whose first event came from a release that
    /// is in gray now.
    private static func newIssuesInGray(_ db: SQLSession, app: String, releases: [Release], now: Date, rules: AlertRules) throws -> [Condition] {
        let gray = Set(releases.filter { $0.stage == .gray }.map(\.version))
        guard !gray.isEmpty else { return [] }
        let rows = try db.rows("""
            SELECT i.fingerprint, i.exceptionType, i.count,
                   (SELECT release FROM crash_events e WHERE e.app = i.app AND e.fingerprint = i.fingerprint ORDER BY e.id LIMIT 1) AS firstRelease
            FROM crash_issues i WHERE i.app = ? AND i.firstSeen >= ? AND NOT i.resolved AND i.kind != 'error'
            """, [app, now.addingTimeInterval(-rules.newIssueHours * 3600).unixMilliseconds])
        return rows.compactMap { row in
            guard let release: String = row["firstRelease"], gray.contains(release) else { return nil }
            let exception: String = row["exceptionType"], count: Int = row["count"]
            return Condition(kind: .newIssueInGray, app: app, release: release, fingerprint: row["fingerprint"], severity: .warning,
                             summary: "new issue in gray \(release): \(exception) (\(Self.roughly(count)) \(count == 1 ? "event" : "events"))",
                             figures: AlertFigures(recentEvents: count))
        }
    }

    /// Issues seen again after they were resolved, on the release of their newest event.
    private static func regressedIssues(_ db: SQLSession, app: String) throws -> [Condition] {
        let rows = try db.rows("""
            SELECT i.fingerprint, i.exceptionType,
                   (SELECT release FROM crash_events e WHERE e.app = i.app AND e.fingerprint = i.fingerprint ORDER BY e.id DESC LIMIT 1) AS lastRelease
            FROM crash_issues i WHERE i.app = ? AND i.regressed AND NOT i.resolved
            """, [app])
        return rows.compactMap { row in
            guard let release: String = row["lastRelease"] else { return nil }
            let exception: String = row["exceptionType"]
            return Condition(kind: .regressed, app: app, release: release, fingerprint: row["fingerprint"], severity: .warning,
                             summary: "regressed in \(release): \(exception), resolved before, seen again", figures: AlertFigures())
        }
    }

    /// Releases a guardrail halted that are still halted, with the breach as recorded.
    private static func guardrailHalts(_ db: SQLSession, app: String, releases: [Release]) -> [Condition] {
        releases.filter { $0.stage == .halted }.compactMap { release in
            // Only while the halt is the guardrail's own (a person may have halted it again since).
            guard let row = try? db.row("""
                SELECT action, guardrail FROM audit WHERE target = ? AND action IN (?, ?) ORDER BY id DESC LIMIT 1
                """, ["\(app)/\(release.version)", AuditAction.releaseGuardrailHalt.rawValue, AuditAction.releaseHalt.rawValue]),
                  (row["action"] as String) == AuditAction.releaseGuardrailHalt.rawValue else { return nil }
            let breach = (row["guardrail"] as String?).flatMap { try? WireFormat.decoder().decode(GuardrailBreach.self, from: Data($0.utf8)) }
            let words = breach.map { String(format: ": crash rate %.2f%% over %d min, limit %.2f%%", $0.crashRate, $0.windowMinutes, $0.maxCrashRate) } ?? ""
            return Condition(kind: .guardrailHalt, app: app, release: release.version, fingerprint: nil, severity: .critical,
                             summary: "guardrail halted \(release.version)\(words)", figures: AlertFigures(guardrail: breach))
        }
    }

    /// "1,240": counts in words people read at a glance.
    private static func roughly(_ count: Int) -> String {
        count.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
    }

    static func json(_ figures: AlertFigures) throws -> String {
        String(decoding: try WireFormat.encoder().encode(figures), as: UTF8.self)
    }

    static func alert(from row: SQLRow) -> Alert {
        let figures = (row["figures"] as String?).flatMap { try? WireFormat.decoder().decode(AlertFigures.self, from: Data($0.utf8)) }
        return Alert(
            id: row["id"], app: row["app"], release: row["release"], fingerprint: row["fingerprint"],
            kind: AlertKind(rawValue: row["kind"]), severity: AlertSeverity(rawValue: row["severity"]) ?? .warning,
            summary: row["summary"], figures: figures ?? AlertFigures(),
            openedAt: Date(unixMilliseconds: row["openedAt"]),
            acknowledgedAt: (row["acknowledgedAt"] as Int64?).map(Date.init(unixMilliseconds:)), acknowledgedBy: row["acknowledgedBy"],
            resolvedAt: (row["resolvedAt"] as Int64?).map(Date.init(unixMilliseconds:)), revision: row["revision"])
    }

    // MARK: - Reading and acknowledging

    /// Open alerts and those resolved in the last `hours`, newest first.
    public func alerts(now: Date = Date(), resolvedWithinHours hours: Double = 24) async throws -> [Alert] {
        try await db.read { db in
            try db.rows("""
                SELECT * FROM alerts WHERE resolvedAt IS NULL OR resolvedAt >= ? ORDER BY id DESC LIMIT 1000
                """, [now.addingTimeInterval(-hours * 3600).unixMilliseconds]).map(Self.alert(from:))
        }
    }

    static func alertResource(id: Int64) -> MutableResource<Alert> {
        MutableResource(
            target: "alerts/\(id)", instance: "/v1/alerts/\(id)", notFound: "no alert \(id)",
            load: { db in try db.row("SELECT * FROM alerts WHERE id = ?", [id]).map(Self.alert(from:)) },
            etag: \.etag,
            stamp: { changed, before, now, actor in
                var after = changed
                after.revision = before.revision + 1
                after.acknowledgedAt = now
                after.acknowledgedBy = actor
                return after
            },
            save: { db, after in
                try db.execute("UPDATE alerts SET acknowledgedAt = ?, acknowledgedBy = ?, revision = ? WHERE id = ?",
                               [after.acknowledgedAt?.unixMilliseconds, after.acknowledgedBy, after.revision, after.id])
            })
    }

    /// Marks an issue resolved (as a person would once its fix shipped): seen again, it
    /// has regressed.
    public func resolveIssue(app: String, fingerprint: String) async throws {
        try await db.write { db in
            try db.execute("UPDATE crash_issues SET resolved = TRUE, regressed = FALSE WHERE app = ? AND fingerprint = ?", [app, fingerprint])
        }
        snapshotsChanged()
    }
}

import Foundation
import PlatformModel

/// Limits that keep one device from filling the store.
enum IngestLimits {
    static let eventsPerBatch = 1000
    static let framesPerCrash = 100
}

extension ServerStore {
    /// Stores a device's batch in one transaction; crashes are grouped into issues as
    /// they arrive. Returns the ids given to the crashes.
    /// Free text is cut to `FreeText.maxBytes` (with a marker) and stored otherwise as
    /// sent, NUL and controls included.
    func ingest(_ sent: SDKBatch) async throws -> IngestReceipt {
        let batch = sent.limitingFreeText()
        let receipt = try await db.appendingWrite { db in
            guard try Self.appExists(db, batch.app) else {
                throw ProblemError(.unprocessableContent, "no app with id '\(batch.app)'")
            }
            if db.dialect == .postgres {
                // Live streams read an app's events by id. With several servers writing,
                // an id taken earlier could commit later than one a stream has already
                // passed; one writer per app at a time makes ids commit in order.
                try db.execute("SELECT pg_advisory_xact_lock(hashtext('crash_events:' || ?))", [batch.app])
            }
            try Self.insertRows(db, "sessions (app, release, device, startedAt, durationSeconds, crashed)", batch.sessions.map { item in
                [batch.app, batch.release, batch.device.id, item.startedAt.unixMilliseconds, max(0, item.durationSeconds), item.crashed]
            })
            try Self.insertRows(db, "funnel_events (app, release, device, \"user\", name, at)", batch.funnelSteps.map { item in
                [batch.app, batch.release, batch.device.id, batch.user, item.name, item.at.unixMilliseconds]
            })
            let crashes = batch.crashes.map(GroupedCrash.init)
            let ids = try Self.insertCrashEvents(crashes, of: batch, in: db)
            for crash in crashes { try Self.count(crash, of: batch, in: db) }
            return IngestReceipt(accepted: batch.eventCount, crashIds: ids)
        }
        if !receipt.crashIds.isEmpty { db.announce(.crashes) }
        return receipt
    }

    /// Inserts rows of one table, up to 100 in one statement: a batch's sessions and
    /// funnel steps cost a few statements, not one each.
    static func insertRows(_ db: SQLSession, _ into: String, _ rows: [SQLArguments]) throws {
        guard let width = rows.first?.count else { return }
        let row = "(" + Array(repeating: "?", count: width).joined(separator: ", ") + ")"
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + 100)]
            try db.execute("INSERT INTO \(into) VALUES " + Array(repeating: row, count: chunk.count).joined(separator: ", "),
                           chunk.flatMap { $0 })
            start += chunk.count
        }
    }

    /// A crash with what grouping makes of it.
    struct GroupedCrash {
        var crash: SDKCrash
        var frames: [StackFrame]
        var fingerprint: String

        init(_ crash: SDKCrash) {
            self.crash = crash
            frames = Array(crash.frames.prefix(IngestLimits.framesPerCrash))
            fingerprint = CrashGrouping.fingerprint(kind: crash.kind, exceptionType: crash.exceptionType, frames: frames)
        }
    }

    /// The batch's crash events, up to 100 to a statement; their ids in the batch's
    /// order. Ids are taken in row order within a statement, and no other batch of the
    /// app inserts meanwhile (SQLite has one writer; PostgreSQL ingest holds the app's
    /// lock), so the returned ids in ascending order are the rows' in order.
    private static func insertCrashEvents(_ crashes: [GroupedCrash], of batch: SDKBatch, in db: SQLSession) throws -> [Int64] {
        let device = batch.device
        let row = "(" + Array(repeating: "?", count: 16).joined(separator: ", ") + ")"
        var ids: [Int64] = []
        ids.reserveCapacity(crashes.count)
        var start = 0
        while start < crashes.count {
            let chunk = crashes[start..<min(crashes.count, start + 100)]
            let values: SQLArguments = chunk.flatMap { item -> SQLArguments in
                let crash = item.crash
                return [batch.app, batch.release, crash.kind.rawValue, item.fingerprint, device.id, device.os.rawValue, device.osVersion,
                        device.model, device.city, device.network, crash.exceptionType, crash.message,
                        StackFrame.jsonArray(item.frames), crash.at.unixMilliseconds, crash.environment, crash.level]
            }
            let inserted = try db.values("""
                INSERT INTO crash_events (app, release, kind, fingerprint, deviceId, os, osVersion, model, city, network,
                    exceptionType, message, frames, at, environment, level) VALUES \(Array(repeating: row, count: chunk.count).joined(separator: ", "))
                RETURNING id
                """, values, as: Int64.self)
            guard inserted.count == chunk.count else { throw StoreError.noRowReturned("crash_events") }
            ids += inserted.sorted()
            start += chunk.count
        }
        return ids
    }

    /// Counts one crash into its issue, the issue's devices and releases; reopens it
    /// when it was resolved (or ignored until this event).
    private static func count(_ item: GroupedCrash, of batch: SDKBatch, in db: SQLSession) throws {
        let crash = item.crash, frames = item.frames, fingerprint = item.fingerprint
        let at = crash.at.unixMilliseconds
        let message = crash.message
        let device = batch.device
        // Counted, and what triage needs to know of the issue now, in one statement: the
        // ingest path pays for a resolved or ignored issue only when there is one.
        let counted = try db.row("""
            INSERT INTO crash_issues (app, fingerprint, kind, exceptionType, culprit, message, firstSeen, lastSeen, count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
            ON CONFLICT (app, fingerprint) DO UPDATE SET
                count = crash_issues.count + 1,
                lastSeen = CASE WHEN excluded.lastSeen > crash_issues.lastSeen THEN excluded.lastSeen ELSE crash_issues.lastSeen END,
                firstSeen = CASE WHEN excluded.firstSeen < crash_issues.firstSeen THEN excluded.firstSeen ELSE crash_issues.firstSeen END,
                message = excluded.message
            RETURNING resolved, ignored, ignoredUntilCount, count, revision
            """, [
                batch.app, fingerprint, crash.kind.rawValue, crash.exceptionType, CrashGrouping.culprit(frames), message, at, at,
            ])
        if let counted { try reopenIfRegressed(db, app: batch.app, fingerprint: fingerprint, counted: counted, at: crash.at) }
        try db.execute("INSERT INTO issue_devices (app, fingerprint, device) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                       [batch.app, fingerprint, device.id])
        try db.execute("""
            INSERT INTO issue_releases (app, fingerprint, release, count) VALUES (?, ?, ?, 1)
            ON CONFLICT (app, fingerprint, release) DO UPDATE SET count = issue_releases.count + 1
            """, [batch.app, fingerprint, batch.release])
    }

    /// Crash and ANR events of `app` after `cursor`, oldest first.
    func crashEvents(app: String, after cursor: Int64, limit: Int) async throws -> [CrashEvent] {
        try await db.read { db in
            try db.rows("SELECT * FROM crash_events WHERE app = ? AND id > ? ORDER BY id LIMIT ?",
                        [app, cursor, limit]).map(Self.crashEvent(from:))
        }
    }

    /// The app's issues, most recently seen first.
    func crashIssues(app: String, now: Date) async throws -> [CrashIssue] {
        try await db.read { db in
            let issues = try db.rows(Self.issueColumns(db) + " WHERE i.app = ? ORDER BY i.lastSeen DESC, i.fingerprint", [app]).map { Self.crashIssue(from: $0, now: now) }
            let trends = try Self.trends(db, app: app, fingerprint: nil, now: now)
            return issues.map { issue in
                var issue = issue
                issue.trend = trends[issue.fingerprint] ?? Array(repeating: 0, count: CrashIssue.trendBuckets)
                return issue
            }
        }
    }

    /// Events per five minutes over the hour before `now`, by fingerprint, oldest first.
    private static func trends(_ db: SQLSession, app: String, fingerprint: String?, now: Date) throws -> [String: [Int]] {
        let step = Int64(CrashIssue.trendBucketSeconds) * 1000, count = CrashIssue.trendBuckets
        let end = now.unixMilliseconds, start = end - step * Int64(count)
        var arguments: SQLArguments = [start, step, app, start, end]
        if let fingerprint { arguments.append(fingerprint) }
        var trends: [String: [Int]] = [:]
        for row in try db.rows("""
            SELECT fingerprint, (at - ?) / ? AS bucket, COUNT(*) AS count FROM crash_events
            WHERE app = ? AND at >= ? AND at < ?\(fingerprint == nil ? "" : " AND fingerprint = ?")
            GROUP BY fingerprint, bucket
            """, arguments) {
            let bucket: Int = row["bucket"]
            guard (0..<count).contains(bucket) else { continue }
            trends[row["fingerprint"], default: Array(repeating: 0, count: count)][bucket] = row["count"]
        }
        return trends
    }

    func crashIssueDetail(app: String, fingerprint: String, now: Date) async throws -> CrashIssueDetail? {
        try await db.read { db in
            guard let row = try db.row(Self.issueColumns(db) + " WHERE i.app = ? AND i.fingerprint = ?", [app, fingerprint]) else { return nil }
            let latest = try db.row("SELECT * FROM crash_events WHERE app = ? AND fingerprint = ? ORDER BY id DESC LIMIT 1",
                                    [app, fingerprint]).map(Self.crashEvent(from:))
            func shares(_ column: String) throws -> [CrashIssueDetail.Share] {
                try db.rows("""
                    SELECT \(column) AS key, COUNT(*) AS count FROM crash_events WHERE app = ? AND fingerprint = ?
                    GROUP BY \(column) ORDER BY count DESC, key LIMIT 10
                    """, [app, fingerprint]).map { CrashIssueDetail.Share(key: $0["key"], count: $0["count"]) }
            }
            var issue = Self.crashIssue(from: row, now: now)
            issue.trend = try Self.trends(db, app: app, fingerprint: fingerprint, now: now)[fingerprint]
                ?? Array(repeating: 0, count: CrashIssue.trendBuckets)
            return CrashIssueDetail(
                issue: issue, latest: latest,
                byOSVersion: try shares("os || ' ' || osVersion"), byModel: try shares("model"), byRelease: try shares("release"))
        }
    }

    static func crashEvent(from row: SQLRow) -> CrashEvent {
        let text: String = row["frames"]
        let frames = StackFrame.fromJSONArray(text) ?? (try? JSONDecoder().decode([StackFrame].self, from: Data(text.utf8))) ?? []
        return CrashEvent(
            id: row["id"], app: row["app"], release: row["release"], kind: CrashKind(rawValue: row["kind"]) ?? .crash,
            device: DeviceInfo(id: row["deviceId"], os: Platform(rawValue: row["os"]) ?? .android, osVersion: row["osVersion"],
                               model: row["model"], city: row["city"], network: row["network"]),
            exceptionType: row["exceptionType"], message: row["message"], frames: frames, fingerprint: row["fingerprint"],
            at: Date(unixMilliseconds: row["at"]), environment: row["environment"], level: row["level"])
    }

    static func crashIssue(from row: SQLRow, now: Date) -> CrashIssue {
        let firstSeen = Date(unixMilliseconds: row["firstSeen"])
        let status: IssueStatus
        if row["resolved"] as Bool {
            status = .resolved
        } else if row["regressed"] as Bool {
            status = .regressed
        } else {
            status = now.timeIntervalSince(firstSeen) < 86_400 ? .new : .ongoing
        }
        let releases = (try? JSONDecoder().decode([String].self, from: Data((row["releases"] as String? ?? "[]").utf8))) ?? []
        let count: Int = row["count"]
        let ignoredUntil = (row["ignoredUntil"] as Int64?).map(Date.init(unixMilliseconds:))
        let ignoredUntilCount: Int? = row["ignoredUntilCount"]
        // An ignore for a time lapses by itself; one until more events, when they come (at ingest).
        let ignored = row["ignored"] as Bool && status != .resolved && ignoredUntil.map { now < $0 } ?? true
        return CrashIssue(
            app: row["app"], fingerprint: row["fingerprint"], kind: CrashKind(rawValue: row["kind"]) ?? .crash,
            exceptionType: row["exceptionType"], culprit: row["culprit"], message: row["message"], firstSeen: firstSeen,
            lastSeen: Date(unixMilliseconds: row["lastSeen"]), count: count, affectedDevices: row["devices"],
            releases: releases, status: ignored ? .ignored : status, revision: row["revision"],
            ignoredUntil: ignored ? ignoredUntil : nil, ignoredUntilCount: ignored ? ignoredUntilCount : nil)
    }
}

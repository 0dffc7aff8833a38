import Foundation
import Hummingbird
import PlatformModel

/// The rules of triage, apart from HTTP and storage: resolve, ignore, unresolve.
/// A resolved issue seen again, or an ignored one that got the events it was ignored
/// until, is reopened as regressed by the platform (`reopenIfRegressed`, at ingest).
enum IssueRules {
    static func resolve(_ issue: CrashIssue) throws -> (CrashIssue, action: AuditAction) {
        guard issue.status != .resolved else { throw ProblemError(.conflict, "the issue is already resolved") }
        var changed = cleared(issue)
        changed.status = .resolved
        return (changed, .issueResolve)
    }

    static func ignore(_ issue: CrashIssue, _ body: IssueIgnore, now: Date) throws -> (CrashIssue, action: AuditAction) {
        if let minutes = body.minutes, !IssueIgnore.minutesRange.contains(minutes) {
            throw ProblemError(.unprocessableContent, "minutes must be \(IssueIgnore.minutesRange.lowerBound) to \(IssueIgnore.minutesRange.upperBound) (got \(minutes))")
        }
        if let more = body.moreEvents, !IssueIgnore.moreEventsRange.contains(more) {
            throw ProblemError(.unprocessableContent, "moreEvents must be \(IssueIgnore.moreEventsRange.lowerBound) to \(IssueIgnore.moreEventsRange.upperBound) (got \(more))")
        }
        guard issue.status != .resolved else {
            throw ProblemError(.conflict, "a resolved issue cannot be ignored; unresolve it first")
        }
        var changed = cleared(issue)
        changed.status = .ignored
        changed.ignoredUntil = body.minutes.map { now.addingTimeInterval(Double($0) * 60) }
        changed.ignoredUntilCount = body.moreEvents.map { issue.count + $0 }
        return (changed, .issueIgnore)
    }

    static func unresolve(_ issue: CrashIssue, now: Date) throws -> (CrashIssue, action: AuditAction) {
        guard issue.status == .resolved || issue.status == .ignored else {
            throw ProblemError(.conflict, "only a resolved or ignored issue can be unresolved (this one is \(issue.status.rawValue))")
        }
        var changed = cleared(issue)
        changed.status = now.timeIntervalSince(issue.firstSeen) < 86_400 ? .new : .ongoing
        return (changed, .issueUnresolve)
    }

    private static func cleared(_ issue: CrashIssue) -> CrashIssue {
        var changed = issue
        changed.ignoredUntil = nil
        changed.ignoredUntilCount = nil
        changed.trend = nil
        return changed
    }
}

/// What the audit log keeps of a regression the platform made.
private struct IssueReopening: Encodable {
    var status: IssueStatus
    var count: Int
    var revision: Int
    var ignoredUntilCount: Int?
}

extension ServerStore {
    /// An issue with its device count and its releases (a JSON array, in order).
    static func issueColumns(_ db: SQLSession) -> String {
        let releases = switch db.dialect {
        case .sqlite: "SELECT json_group_array(release) FROM (SELECT release FROM issue_releases r WHERE r.app = i.app AND r.fingerprint = i.fingerprint ORDER BY release)"
        case .postgres: "SELECT COALESCE(json_agg(release ORDER BY release), '[]')::text FROM issue_releases r WHERE r.app = i.app AND r.fingerprint = i.fingerprint"
        }
        return """
            SELECT i.*, (SELECT COUNT(*) FROM issue_devices d WHERE d.app = i.app AND d.fingerprint = i.fingerprint) AS devices,
                   (\(releases)) AS releases
            FROM crash_issues i
            """
    }

    static func issueResource(app: String, fingerprint: String, now: Date) -> MutableResource<CrashIssue> {
        MutableResource(
            target: "\(app)/issues/\(fingerprint)", instance: "/v1/apps/\(app)/crashes/issues/\(fingerprint)",
            notFound: "no issue '\(fingerprint)' in app '\(app)'",
            load: { db in
                try db.row(issueColumns(db) + " WHERE i.app = ? AND i.fingerprint = ?", [app, fingerprint])
                    .map { Self.crashIssue(from: $0, now: now) }
            },
            etag: \.etag,
            stamp: { changed, before, _, _ in
                var after = changed
                after.revision = (before.revision ?? 0) + 1
                return after
            },
            save: { db, after in
                try db.execute("""
                    UPDATE crash_issues SET resolved = ?, regressed = ?, ignored = ?, ignoredUntil = ?, ignoredUntilCount = ?, revision = ?
                    WHERE app = ? AND fingerprint = ?
                    """, [
                        after.status == .resolved, after.status == .regressed, after.status == .ignored,
                        after.ignoredUntil?.unixMilliseconds, after.ignoredUntilCount, after.revision, app, fingerprint,
                    ])
            })
    }

    /// Called for each crash with its issue as counted (`counted`: resolved, ignored,
    /// ignoredUntilCount, count and revision after this event): a resolved issue, or one
    /// ignored until this event, becomes regressed, and the audit log says so (actor
    /// `system`).
    static func reopenIfRegressed(_ db: SQLSession, app: String, fingerprint: String, counted row: SQLRow, at: Date) throws {
        let wasResolved: Bool = row["resolved"], ignored: Bool = row["ignored"], until: Int? = row["ignoredUntilCount"]
        let count: Int = row["count"] - 1, revision: Int = row["revision"]
        guard wasResolved || (ignored && until.map { $0 <= count + 1 } ?? false) else { return }
        try db.execute("""
            UPDATE crash_issues SET resolved = FALSE, ignored = FALSE, ignoredUntil = NULL, ignoredUntilCount = NULL, regressed = TRUE,
                revision = revision + 1 WHERE app = ? AND fingerprint = ?
            """, [app, fingerprint])
        let reason = wasResolved
            ? "seen again after it was resolved"
            : "ignored until \(GroupedNumber.of(until ?? count + 1)) events; event \(GroupedNumber.of(count + 1)) arrived"
        try audit(db, at: at, actor: "system", role: "system", action: .issueRegress, target: "\(app)/issues/\(fingerprint)",
                  before: IssueReopening(status: wasResolved ? .resolved : .ignored, count: count, revision: revision, ignoredUntilCount: until),
                  after: IssueReopening(status: .regressed, count: count + 1, revision: revision + 1), reason: reason)
    }
}


extension PlatformServer {
    func addIssueTriageRoutes(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        @Sendable func issue(_ context: PlatformRequestContext, _ now: Date) throws -> ServerStore.MutableResource<CrashIssue> {
            ServerStore.issueResource(app: try context.parameters.require("app"), fingerprint: try context.parameters.require("issue"), now: now)
        }
        v1.post("apps/:app/crashes/issues/:issue/resolve") { request, context in
            let (body, mutation) = try await mutationInput(ReasonBody.self, request: request, context: context, allowed: \.mayTriageIssues)
            return try await store.mutate(try issue(context, mutation.now), context: mutation, reason: body.reason, change: IssueRules.resolve).response()
        }
        v1.post("apps/:app/crashes/issues/:issue/ignore") { request, context in
            let (body, mutation) = try await mutationInput(IssueIgnore.self, request: request, context: context, allowed: \.mayTriageIssues)
            return try await store.mutate(try issue(context, mutation.now), context: mutation, reason: body.reason) {
                try IssueRules.ignore($0, body, now: mutation.now)
            }.response()
        }
        v1.post("apps/:app/crashes/issues/:issue/unresolve") { request, context in
            let (body, mutation) = try await mutationInput(ReasonBody.self, request: request, context: context, allowed: \.mayTriageIssues)
            return try await store.mutate(try issue(context, mutation.now), context: mutation, reason: body.reason) {
                try IssueRules.unresolve($0, now: mutation.now)
            }.response()
        }
    }
}

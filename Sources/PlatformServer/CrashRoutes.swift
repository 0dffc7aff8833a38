import Foundation
import Hummingbird
import PlatformModel

extension PlatformServer {
    func addCrashRoutes(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        let signal = crashSignal
        // Device-facing: the SDK (and the simulator) send batches of sessions and crashes.
        v1.post("sdk/events") { request, context in
            var request = request
            let buffer = try await request.collectBody(upTo: context.maxUploadSize)
            let batch: SDKBatch
            do {
                batch = try WireFormat.decoder().decode(SDKBatch.self, from: Data(buffer.readableBytesView))
            } catch {
                throw ProblemError(.badRequest, WireFormat.explain(error))
            }
            try validate(batch)
            let receipt = try await store.ingest(batch)
            if !receipt.crashIds.isEmpty { signal.signal() }
            return try jsonResponse(receipt, for: request)
        }
        v1.get("apps/:app/crashes/events") { request, context in
            let app = try await requireApp(context, store)
            let since = try cursor(request, "since") ?? 0
            let limit = try boundedInt(request, "limit", range: 1...5000) ?? 500
            let items = try await store.crashEvents(app: app, after: since, limit: limit)
            return try jsonResponse(FeedPage(items: items, nextCursor: String(items.last?.id ?? since)), for: request)
        }
        v1.get("apps/:app/crashes/issues") { request, context in
            let app = try await requireApp(context, store)
            return try jsonResponse(try await store.crashIssues(app: app, now: Date()), for: request)
        }
        v1.get("apps/:app/crashes/issues/:issue") { request, context in
            let app = try await requireApp(context, store)
            let fingerprint = try context.parameters.require("issue")
            guard let detail = try await store.crashIssueDetail(app: app, fingerprint: fingerprint, now: Date()) else {
                throw ProblemError(.notFound, "no issue '\(fingerprint)' in app '\(app)'")
            }
            var response = try jsonResponse(detail, for: request)
            response.headers[.eTag] = detail.issue.etag
            return response
        }
    }
}

private func validate(_ batch: SDKBatch) throws {
    guard batch.eventCount <= IngestLimits.eventsPerBatch else {
        throw ProblemError(.contentTooLarge, "a batch holds at most \(IngestLimits.eventsPerBatch) events (got \(batch.eventCount))")
    }
    guard !batch.device.id.isEmpty, batch.device.id.count <= 200 else {
        throw ProblemError(.unprocessableContent, "device.id must be 1 to 200 characters")
    }
    if let user = batch.user, user.isEmpty || user.count > 200 {
        throw ProblemError(.unprocessableContent, "user must be 1 to 200 characters, or absent")
    }
    guard !batch.release.isEmpty, batch.release.count <= 100 else {
        throw ProblemError(.unprocessableContent, "release must be 1 to 100 characters")
    }
    for (name, value) in [("app", batch.app), ("release", batch.release)] where FreeText.holdsControls(value) {
        throw ProblemError(.unprocessableContent, "\(name) must not hold control characters")
    }
    for crash in batch.crashes where crash.exceptionType.isEmpty {
        throw ProblemError(.unprocessableContent, "a crash's exceptionType must not be empty")
    }
    for frame in batch.crashes.lazy.flatMap(\.frames) {
        if let line = frame.line, !(0...Int(Int32.max)).contains(line) {
            throw ProblemError(.unprocessableContent, "a frame's line must be 0 to \(Int32.max) (got \(line))")
        }
    }
}

/// The `:app` parameter, checked to name an app.
func requireApp(_ context: PlatformRequestContext, _ store: ServerStore) async throws -> String {
    let app = try context.parameters.require("app")
    guard try await store.app(id: app) != nil else { throw ProblemError(.notFound, "no app with id '\(app)'") }
    return app
}

/// A feed cursor from the query: a non-negative integer.
func cursor(_ request: Request, _ name: String) throws -> Int64? {
    try request.uri.queryParameters.get(name).map { text in
        guard let value = Int64(text), value >= 0 else {
            throw ProblemError(.badRequest, "\(name) must be a cursor from nextCursor (got '\(text)')")
        }
        return value
    }
}

/// A time from the query, ISO 8601.
func timeQuery(_ request: Request, _ name: String) throws -> Date? {
    try request.uri.queryParameters.get(name).map { text in
        guard let date = WireFormat.parseDate(text) else {
            throw ProblemError(.badRequest, "\(name) must be an ISO 8601 time like 2026-11-22T03:00:00Z (got '\(text)')")
        }
        return date
    }
}

func boundedInt(_ request: Request, _ name: String, range: ClosedRange<Int>) throws -> Int? {
    try request.uri.queryParameters.get(name).map { text in
        guard let value = Int(text), range.contains(value) else {
            throw ProblemError(.badRequest, "\(name) must be \(range.lowerBound) to \(range.upperBound) (got '\(text)')")
        }
        return value
    }
}

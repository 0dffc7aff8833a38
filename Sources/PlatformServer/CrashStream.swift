import Foundation
import Hummingbird
import PlatformModel
import ServiceLifecycle
import Synchronization

/// Wakes every live-stream subscriber when new crash events are stored.
final class CrashSignal: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<Void>.Continuation]>([:])

    func subscribe() -> (UUID, AsyncStream<Void>) {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        subscribers.withLock { $0[id] = continuation }
        return (id, stream)
    }

    func unsubscribe(_ id: UUID) {
        subscribers.withLock { $0.removeValue(forKey: id) }?.finish()
    }

    func signal() {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.yield() }
    }

    /// Ends every stream (graceful shutdown).
    func finishAll() {
        for continuation in subscribers.withLock({ Array($0.values) }) { continuation.finish() }
    }
}

extension PlatformServer {
    /// `GET /v1/apps/{app}/crashes/stream`: Server-Sent Events, one per crash or ANR,
    /// each with `id:` (the server's event id) so that a reconnect with
    /// `Last-Event-ID` resumes exactly after it. Without one the stream starts at the
    /// newest event. A comment line every 15 s keeps proxies from closing it.
    func addCrashStreamRoute(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        let signal = crashSignal
        v1.get("apps/:app/crashes/stream") { request, context in
            let app = try await requireApp(context, store)
            let resumeFrom: Int64
            if let header = request.headers.first(where: { $0.name.canonicalName == "last-event-id" })?.value {
                guard let id = Int64(header.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                    throw ProblemError(.badRequest, "Last-Event-ID must be an event id (got '\(header)')")
                }
                resumeFrom = id
            } else {
                resumeFrom = try await store.latestCrashEventID(app: app)
            }
            let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
            return Response(status: .ok, headers: headers, body: ResponseBody { writer in
                let (subscription, wakes) = signal.subscribe()
                let heartbeat = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(15))
                        signal.signalOne(subscription)
                    }
                }
                defer {
                    heartbeat.cancel()
                    signal.unsubscribe(subscription)
                }
                var cursor = resumeFrom
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                try await withGracefulShutdownHandler {
                    // Catch up first, then wait for news.
                    var wokeWithNothing = false
                    var wake = wakes.makeAsyncIterator()
                    repeat {
                        while true {
                            let events = try await store.crashEvents(app: app, after: cursor, limit: 500)
                            if events.isEmpty { break }
                            var text = ""
                            for event in events {
                                text += "id: \(event.id)\nevent: \(event.kind.rawValue)\ndata: "
                                text += event.json() + "\n\n"
                            }
                            try await writer.write(ByteBuffer(string: text))
                            cursor = events.last!.id
                            wokeWithNothing = false
                        }
                        if wokeWithNothing { try await writer.write(ByteBuffer(string: ": keep-alive\n\n")) }
                        wokeWithNothing = true
                    } while await wake.next() != nil
                } onGracefulShutdown: {
                    signal.unsubscribe(subscription)
                }
                try await writer.finish(nil)
            })
        }
    }
}

extension CrashSignal {
    /// Wakes one subscriber (its heartbeat).
    func signalOne(_ id: UUID) {
        subscribers.withLock { $0[id] }?.yield()
    }
}

extension ServerStore {
    func latestCrashEventID(app: String) async throws -> Int64 {
        try await db.read { db in
            try db.value("SELECT MAX(id) FROM crash_events WHERE app = ?", [app], as: Int64.self) ?? 0
        }
    }
}

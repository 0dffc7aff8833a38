import Foundation
import HTTPTypes
import Hummingbird
import PlatformModel
import Synchronization

/// Sentry's ingestion endpoints, so that apps with Sentry's SDKs report to the platform
/// with only a DSN: `POST /api/{project}/envelope/` and the older `/api/{project}/store/`.
/// Events with an exception become crash events (grouped into issues like native ones),
/// sessions feed release health, every other item type is accepted and skipped.
enum SentryLimits {
    /// Sentry's documented limits, scaled to one reference server: the compressed
    /// envelope, the envelope inflated, and one event item.
    static let envelopeBytes = 20 << 20
    static let inflatedBytes = 50 << 20
    static let eventBytes = 1 << 20
    /// JSON nested deeper than this is refused before it is decoded.
    static let depth = 64
    static let sessionsPerEnvelope = 10_000
}

/// Events and sessions a project may send per minute; past it, 429 with Sentry's
/// `Retry-After` and `X-Sentry-Rate-Limits`, as its SDKs expect.
final class SentryRateLimiter: Sendable {
    private struct Window {
        var minute: Int64
        var count: Int
    }

    let perMinute: Int
    private let windows = Mutex([Int: Window]())

    init(perMinute: Int) {
        self.perMinute = perMinute
    }

    /// Nil when `count` more items fit this minute (and counts them); else the seconds
    /// until the next minute.
    func admit(project: Int, count: Int, now: Date) -> Int? {
        let seconds = Int64(now.timeIntervalSince1970)
        let minute = seconds / 60
        return windows.withLock { windows in
            var window = windows[project].flatMap { $0.minute == minute ? $0 : nil } ?? Window(minute: minute, count: 0)
            guard window.count + count <= perMinute else {
                return Int(60 - seconds % 60)
            }
            window.count += count
            windows[project] = window
            return nil
        }
    }
}

/// What an envelope did, in the answer's body (Sentry's SDKs read only `id`).
struct SentryReceipt: Encodable {
    var id: String?
    var events = 0
    var sessions = 0
    var skipped: [String] = []
    var dropped: [String] = []
}

extension PlatformServer {
    func addSentryRoutes(to router: Router<PlatformRequestContext>) {
        let store = store
        let signal = crashSignal
        let limiter = SentryRateLimiter(perMinute: configuration.sentryEventsPerMinute)
        router.post("api/:project/envelope") { request, context in
            let (project, app, bytes) = try await sentryRequest(request, context, store, envelope: true)
            let envelope: SentryEnvelope
            do {
                envelope = try SentryEnvelope(parsing: bytes)
            } catch let malformed as SentryEnvelope.Malformed {
                throw ProblemError(.badRequest, "not a Sentry envelope: \(malformed.reason)")
            }
            if let dsn = envelope.header["dsn"]?.string, let key = sentryKey(fromDSN: dsn), key != app.key {
                throw ProblemError(.unauthorized, "the envelope's dsn names another key than this project's")
            }
            let counted = envelope.items.filter { ["event", "session", "sessions"].contains($0.type) }.count
            try admit(limiter, project: project, count: counted)
            var receipt = SentryReceipt(id: envelope.header["event_id"]?.string)
            var crashes: [(SDKCrash, SentryEvent)] = []
            for item in envelope.items {
                switch item.type {
                case "event":
                    switch decodeItem(SentryEvent.self, item.payload, limit: SentryLimits.eventBytes) {
                    case .success(let event) where event.hasUsableRelease:
                        crashes.append((event.crash(receivedAt: Date()), event))
                        receipt.id = receipt.id ?? event.eventId
                    case .success:
                        receipt.dropped.append("event: its release holds control characters")
                    case .failure(let reason):
                        receipt.dropped.append("event: \(reason)")
                    }
                case "session":
                    switch decodeItem(SentrySession.self, item.payload, limit: SentryLimits.eventBytes) {
                    case .success(let session):
                        if try await store.recordSentrySession(app: app.id, session) { receipt.sessions += 1 } else {
                            receipt.dropped.append("session: no release, or one holding control characters")
                        }
                    case .failure(let reason):
                        receipt.dropped.append("session: \(reason)")
                    }
                case "sessions":
                    switch decodeItem(SentrySessionAggregates.self, item.payload, limit: SentryLimits.eventBytes) {
                    case .success(let aggregates):
                        // One envelope adds at most `sessionsPerEnvelope` rows, however many items it has.
                        let room = SentryLimits.sessionsPerEnvelope - receipt.sessions
                        receipt.sessions += try await store.recordSentrySessions(app: app.id, aggregates, limit: room)
                    case .failure(let reason):
                        receipt.dropped.append("sessions: \(reason)")
                    }
                default:
                    receipt.skipped.append(item.type)
                }
            }
            receipt.events = try await ingest(crashes, app: app, store: store, signal: signal)
            return try jsonResponse(receipt, for: request)
        }
        router.post("api/:project/store") { request, context in
            let (project, app, bytes) = try await sentryRequest(request, context, store, envelope: false)
            try admit(limiter, project: project, count: 1)
            switch decodeItem(SentryEvent.self, bytes[...], limit: SentryLimits.eventBytes) {
            case .success(let event):
                guard event.hasUsableRelease else { throw ProblemError(.unprocessableContent, "the event's release holds control characters") }
                let stored = try await ingest([(event.crash(receivedAt: Date()), event)], app: app, store: store, signal: signal)
                return try jsonResponse(SentryReceipt(id: event.eventId, events: stored), for: request)
            case .failure(let reason):
                throw ProblemError(reason == .tooLarge ? .contentTooLarge : .badRequest, "not a Sentry event: \(reason)")
            }
        }
    }
}

/// The project's app, once the request proved it holds the project's key, and the body
/// inflated.
private func sentryRequest(
    _ request: Request, _ context: PlatformRequestContext, _ store: ServerStore, envelope: Bool
) async throws -> (Int, ServerStore.SentryProject, [UInt8]) {
    let text = try context.parameters.require("project")
    guard let project = Int(text), project > 0, let app = try await store.sentryProject(project) else {
        throw ProblemError(.notFound, "no Sentry project '\(text)' on this server; the app's DSN names its project")
    }
    let key = sentryKey(fromAuth: request.headers.first { $0.name.canonicalName == "x-sentry-auth" }?.value)
        ?? request.uri.queryParameters.get("sentry_key").map { String($0) }
    if let key, key != app.key {
        throw ProblemError(.unauthorized, "sentry_key is not this project's public key")
    }
    var request = request
    let body: ByteBuffer
    do {
        body = try await request.collectBody(upTo: SentryLimits.envelopeBytes)
    } catch {
        throw ProblemError(.contentTooLarge, "a Sentry request body is at most \(SentryLimits.envelopeBytes >> 20) MiB")
    }
    let bytes: [UInt8]
    do {
        bytes = try Decompression.decode(Array(body.readableBytesView), encoding: request.headers[.contentEncoding],
                                         limit: SentryLimits.inflatedBytes)
    } catch .unsupported(let coding) {
        throw ProblemError(.unsupportedMediaType, "Content-Encoding '\(coding)' is not supported (gzip, deflate, br)")
    } catch .tooLarge(let limit) {
        throw ProblemError(.contentTooLarge, "the body inflates past \(limit >> 20) MiB")
    } catch .corrupt(let reason) {
        throw ProblemError(.badRequest, reason)
    }
    // Without a key in the headers or query, an envelope may carry the DSN itself.
    if key == nil {
        let firstLine = bytes.prefix { $0 != 10 }
        let dsn = envelope ? (try? JSONDecoder().decode(JSONValue.self, from: Data(firstLine)))?["dsn"]?.string : nil
        guard dsn.flatMap(sentryKey(fromDSN:)) == app.key else {
            throw ProblemError(.unauthorized, "Sentry requests need the project's key: X-Sentry-Auth: Sentry sentry_key=KEY, "
                               + "the sentry_key query parameter, or the envelope's dsn")
        }
    }
    return (project, app, bytes)
}

private let sentryRateLimitsHeader = HTTPField.Name("X-Sentry-Rate-Limits") ?? .retryAfter

private func admit(_ limiter: SentryRateLimiter, project: Int, count: Int) throws {
    guard count > 0, let retry = limiter.admit(project: project, count: count, now: Date()) else { return }
    throw ProblemError(.tooManyRequests, "this project sends more than \(limiter.perMinute) events and sessions a minute; retry in \(retry) s",
                       headers: [.retryAfter: String(retry), sentryRateLimitsHeader: "\(retry):error;default;session:project"])
}

/// An item's payload as `T`, or why it was dropped (too large, nested too deep, not JSON).
private func decodeItem<T: Decodable>(_ type: T.Type, _ payload: ArraySlice<UInt8>, limit: Int) -> Result<T, DropReason> {
    guard payload.count <= limit else { return .failure(.tooLarge) }
    guard nestingDepth(payload) <= SentryLimits.depth else { return .failure(.tooDeep) }
    guard let value = try? JSONDecoder().decode(T.self, from: Data(payload)) else { return .failure(.notJSON) }
    return .success(value)
}

/// Why an item was left out (the envelope's other items are kept).
enum DropReason: Error, CustomStringConvertible {
    case tooLarge, tooDeep, notJSON

    var description: String {
        switch self {
        case .tooLarge: "larger than \(SentryLimits.eventBytes >> 20) MiB"
        case .tooDeep: "JSON nested deeper than \(SentryLimits.depth)"
        case .notJSON: "not a JSON object"
        }
    }
}

/// How deep arrays and objects nest, strings skipped: checked before decoding so that a
/// payload of a million "[" costs a scan, not the stack.
func nestingDepth(_ bytes: ArraySlice<UInt8>) -> Int {
    var depth = 0, deepest = 0, inString = false, escaped = false
    for byte in bytes {
        if inString {
            if escaped { escaped = false } else if byte == 92 { escaped = true } else if byte == 34 { inString = false }
            continue
        }
        switch byte {
        case 34: inString = true
        case 91, 123:
            depth += 1
            deepest = max(deepest, depth)
        case 93, 125: depth -= 1
        default: break
        }
    }
    return deepest
}

func sentryKey(fromAuth header: String?) -> String? {
    guard var header else { return nil }
    if header.lowercased().hasPrefix("sentry ") { header = String(header.dropFirst(7)) }
    for part in header.split(separator: ",") {
        let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        if pair.count == 2, pair[0] == "sentry_key" { return pair[1] }
    }
    return nil
}

func sentryKey(fromDSN dsn: String) -> String? {
    guard let url = URLComponents(string: dsn), let user = url.user, !user.isEmpty else { return nil }
    return user
}

/// Stores the events' crashes as device batches of the app, one transaction each, and
/// wakes the live streams. Returns how many were stored.
private func ingest(_ crashes: [(SDKCrash, SentryEvent)], app: ServerStore.SentryProject, store: ServerStore, signal: CrashSignal) async throws -> Int {
    var stored = 0
    for (crash, event) in crashes {
        let os: Platform = switch event.osName?.lowercased() {
        case "android": .android
        case "ios", "ipados", "iphone os": .ios
        default: app.platform
        }
        let id = [event.deviceId, event.userId, event.eventId].compactMap { $0 }.first { !$0.isEmpty } ?? "unknown"
        let device = DeviceInfo(id: String(id.prefix(200)), os: os,
                                osVersion: String((event.osVersion ?? "").prefix(100)), model: String((event.deviceModel ?? "").prefix(100)),
                                city: nil, network: nil)
        let release = String((event.release.flatMap(SentryEvent.version(ofRelease:)) ?? "unknown").prefix(100))
        let batch = SDKBatch(app: app.id, release: release.isEmpty ? "unknown" : release, device: device, user: event.userId, crashes: [crash])
        stored += try await store.ingest(batch).crashIds.count
    }
    if stored > 0 { signal.signal() }
    return stored
}

/// The Sentry ingestion's parsing, for the fuzz target: the envelope, each item as the
/// route decodes it, and the same bytes as a gzip and a brotli body.
@_spi(Fuzzing) public enum SentryParsing {
    /// Items parsed, or nil for a refused envelope; traps if a payload lies outside the input.
    public static func read(_ bytes: [UInt8]) -> Int? {
        _ = try? Decompression.decode(bytes, encoding: "gzip", limit: 1 << 20)
        _ = try? Decompression.decode(bytes, encoding: "br", limit: 1 << 20)
        guard let envelope = try? SentryEnvelope(parsing: bytes) else { return nil }
        for item in envelope.items {
            precondition(item.payload.startIndex >= 0 && item.payload.endIndex <= bytes.count, "a payload outside the envelope")
            if case .success(let event) = decodeItem(SentryEvent.self, item.payload, limit: SentryLimits.eventBytes) {
                _ = event.crash(receivedAt: Date())
            }
            _ = decodeItem(SentrySession.self, item.payload, limit: SentryLimits.eventBytes)
            _ = decodeItem(SentrySessionAggregates.self, item.payload, limit: SentryLimits.eventBytes)
        }
        return envelope.items.count
    }
}

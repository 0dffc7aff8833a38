import Foundation
import PlatformModel

/// The result of a conditional GET: either new content with its ETag, or "unchanged".
public enum Fetched<Value: Sendable>: Sendable {
    case modified(Value, etag: String?)
    case notModified

    public var value: Value? {
        if case .modified(let value, _) = self { return value }
        return nil
    }
}

/// Typed client of the platform API over libcurl. Blocking; owned by one thread (the
/// sync thread, a CLI command, a test). `cancel()` may be called from any thread.
public final class PlatformClient {
    /// Cancels this client's requests from any thread.
    public var canceller: Canceller { Canceller(flag: transport.cancelFlag) }

    public let baseURL: String
    private let token: String?
    private let transport: CurlTransport

    /// - Parameter baseURL: e.g. `http://127.0.0.1:8080`; a trailing slash is ignored.
    /// - Parameter caFile: PEM CA certificates to trust for https (a private CA).
    public init(baseURL: String, token: String?, timeouts: CurlTransport.Timeouts = .init(), caFile: String? = nil) throws(PlatformError) {
        var base = baseURL.trimmingCharacters(in: .whitespaces)
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil
        else { throw .invalidURL(baseURL) }
        self.baseURL = base
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw .unreachable(url: base, reason: "cannot read the CA file \(caFile) (--cacert)")
        }
        transport = CurlTransport(timeouts: timeouts, caFile: caFile)
    }

    /// Aborts the request in flight and all later ones (used when quitting).
    public func cancel() { transport.cancel() }

    public func health() throws(PlatformError) -> Health {
        try fetch("/healthz", as: Health.self)
    }

    /// Who this client's token is, and its role.
    public func me() throws(PlatformError) -> Caller {
        try fetch("/v1/me", as: Caller.self)
    }

    public func apps(etag: String? = nil) throws(PlatformError) -> Fetched<[App]> {
        try get("/v1/apps", as: [App].self, etag: etag)
    }

    public func releases(app: String, etag: String? = nil) throws(PlatformError) -> Fetched<[Release]> {
        try get("/v1/apps/\(Self.segment(app))/releases", as: [Release].self, etag: etag)
    }

    public func release(app: String, version: String) throws(PlatformError) -> Release {
        try fetch("/v1/apps/\(Self.segment(app))/releases/\(Self.segment(version))", as: Release.self)
    }

    /// Changes a release's gray percentage and/or stage. `ifMatch` is the ETag of the
    /// release as the person saw it; a retry must reuse `idempotencyKey`.
    public func patchRelease(app: String, version: String, _ patch: ReleasePatch, ifMatch: String, idempotencyKey: String = UUID().uuidString) throws(PlatformError) -> Release {
        try mutate("PATCH", "/v1/apps/\(Self.segment(app))/releases/\(Self.segment(version))", body: patch, ifMatch: ifMatch, idempotencyKey: idempotencyKey)
    }

    /// Creates a draft release; a retry must reuse `idempotencyKey`.
    public func createRelease(app: String, _ draft: ReleaseDraft, idempotencyKey: String = UUID().uuidString) throws(PlatformError) -> Release {
        try mutate("POST", "/v1/apps/\(Self.segment(app))/releases", body: draft, ifMatch: nil, idempotencyKey: idempotencyKey)
    }

    /// How many of the app's active devices `targeting` would reach, before it is saved.
    public func previewTargeting(app: String, _ targeting: Targeting) throws(PlatformError) -> TargetingReach {
        try mutate("POST", "/v1/apps/\(Self.segment(app))/targeting/preview", body: targeting, ifMatch: nil, idempotencyKey: nil)
    }

    public enum ReleaseAction: String, Sendable {
        case halt, resume, rollback
    }

    public func perform(_ action: ReleaseAction, app: String, version: String, reason: String, ifMatch: String, idempotencyKey: String = UUID().uuidString) throws(PlatformError) -> Release {
        try mutate("POST", "/v1/apps/\(Self.segment(app))/releases/\(Self.segment(version))/\(action.rawValue)",
                   body: ReasonBody(reason: reason), ifMatch: ifMatch, idempotencyKey: idempotencyKey)
    }

    public func switches(app: String, etag: String? = nil) throws(PlatformError) -> Fetched<[Switch]> {
        try get("/v1/apps/\(Self.segment(app))/switches", as: [Switch].self, etag: etag)
    }

    /// Turns a kill switch or circuit breaker on or off.
    public func patchSwitch(app: String, key: String, _ patch: SwitchPatch, ifMatch: String, idempotencyKey: String = UUID().uuidString) throws(PlatformError) -> Switch {
        try mutate("PATCH", "/v1/apps/\(Self.segment(app))/switches/\(Self.segment(key))", body: patch, ifMatch: ifMatch, idempotencyKey: idempotencyKey)
    }

    /// Creates a kill switch or circuit breaker; a retry must reuse `idempotencyKey`.
    public func createSwitch(app: String, _ draft: SwitchDraft, idempotencyKey: String = UUID().uuidString) throws(PlatformError) -> Switch {
        try mutate("POST", "/v1/apps/\(Self.segment(app))/switches", body: draft, ifMatch: nil, idempotencyKey: idempotencyKey)
    }

    /// Every app at a glance: live releases with their last hour, events per minute, alerts.
    public func fleet(etag: String? = nil) throws(PlatformError) -> Fetched<FleetOverview> {
        try get("/v1/fleet", as: FleetOverview.self, etag: etag)
    }

    /// How far changes have got: devices that checked lately, by switch value and release.
    public func reach(app: String, etag: String? = nil) throws(PlatformError) -> Fetched<AppReach> {
        try get("/v1/apps/\(Self.segment(app))/reach", as: AppReach.self, etag: etag)
    }

    /// Open alerts and those resolved in the last day, every app, newest first.
    public func alerts(etag: String? = nil) throws(PlatformError) -> Fetched<[Alert]> {
        try get("/v1/alerts", as: [Alert].self, etag: etag)
    }

    /// Says "I am on it" for an alert, with why (kept in the audit log).
    public func acknowledgeAlert(id: Int64, reason: String, ifMatch: String, idempotencyKey: String = UUID().uuidString) throws(PlatformError) -> Alert {
        try mutate("POST", "/v1/alerts/\(id)/acknowledge", body: AlertAcknowledgement(reason: reason), ifMatch: ifMatch, idempotencyKey: idempotencyKey)
    }

    /// Sends a device's batch of sessions and crashes (the SDK's and the simulator's call).
    public func send(_ batch: SDKBatch) throws(PlatformError) -> IngestReceipt {
        let data: Data
        do {
            data = try WireFormat.encoder().encode(batch)
        } catch {
            throw .badResponse(url: baseURL + "/v1/sdk/events", reason: "cannot encode the batch: \(error)")
        }
        let exchange = try send("POST", "/v1/sdk/events", headers: ["Accept": "application/json", "Content-Type": "application/json"], body: data)
        return try decode(IngestReceipt.self, from: exchange, path: "/v1/sdk/events")
    }

    /// Crash and ANR events after `since` (nil: from the first), oldest first.
    public func crashEvents(app: String, since: String? = nil, limit: Int = 500) throws(PlatformError) -> FeedPage<CrashEvent> {
        var query = "?limit=\(limit)"
        if let since { query += "&since=\(Self.segment(since))" }
        return try fetch("/v1/apps/\(Self.segment(app))/crashes/events" + query, as: FeedPage<CrashEvent>.self)
    }

    public func crashIssues(app: String, etag: String? = nil) throws(PlatformError) -> Fetched<[CrashIssue]> {
        try get("/v1/apps/\(Self.segment(app))/crashes/issues", as: [CrashIssue].self, etag: etag)
    }

    public func crashIssue(app: String, fingerprint: String) throws(PlatformError) -> CrashIssueDetail {
        try fetch("/v1/apps/\(Self.segment(app))/crashes/issues/\(Self.segment(fingerprint))", as: CrashIssueDetail.self)
    }

    /// Resolves, ignores or reopens an issue, with why (kept in the audit log).
    public func triage(_ triage: IssueTriage, app: String, fingerprint: String, reason: String, ifMatch: String,
                       idempotencyKey: String = UUID().uuidString) throws(PlatformError) -> CrashIssue {
        let path = "/v1/apps/\(Self.segment(app))/crashes/issues/\(Self.segment(fingerprint))"
        switch triage {
        case .resolve:
            return try mutate("POST", path + "/resolve", body: ReasonBody(reason: reason), ifMatch: ifMatch, idempotencyKey: idempotencyKey)
        case .unresolve:
            return try mutate("POST", path + "/unresolve", body: ReasonBody(reason: reason), ifMatch: ifMatch, idempotencyKey: idempotencyKey)
        case .ignore(let minutes, let moreEvents):
            return try mutate("POST", path + "/ignore", body: IssueIgnore(reason: reason, minutes: minutes, moreEvents: moreEvents),
                              ifMatch: ifMatch, idempotencyKey: idempotencyKey)
        }
    }

    /// Follows the live crash/ANR stream of `app` until `onEvent` returns false, the
    /// connection ends, or `cancel()`. Resumes after `lastEventID` when given. Returns
    /// the id of the last event seen, for the next reconnect.
    @discardableResult
    public func followCrashes(app: String, lastEventID: String?, idleTimeout: Double = 45, onEvent: (CrashEvent) -> Bool) throws(PlatformError) -> String? {
        try followCrashes(app: app, lastEventID: lastEventID, idleTimeout: idleTimeout) { events, _ in
            events.allSatisfy(onEvent)
        }
    }

    /// The same, a batch at a time: `onEvents` gets the events that arrived together
    /// (one network read) and the id after the last of them, so that a consumer can
    /// store each batch in one transaction.
    @discardableResult
    public func followCrashes(app: String, lastEventID: String?, idleTimeout: Double = 45, onEvents: ([CrashEvent], String?) -> Bool) throws(PlatformError) -> String? {
        let path = "/v1/apps/\(Self.segment(app))/crashes/stream"
        var headers = ["Accept": "text/event-stream"]
        if let lastEventID { headers["Last-Event-ID"] = lastEventID }
        var parser = ServerSentEventParser()
        var lastSeen = lastEventID
        var decodeFailure: PlatformError?
        let decoder = WireFormat.decoder()
        // The transport holds the chunk handler only for the duration of this call.
        let result: Result<Void, PlatformError> = withoutActuallyEscaping(onEvents) { onEvents in
            Result { () throws(PlatformError) in
                _ = try send("GET", path, headers: headers, idleTimeout: idleTimeout) { chunk in
                    var batch: [CrashEvent] = []
                    for message in parser.feed(chunk) {
                        do {
                            let data = Data(message.data.utf8)
                            batch.append(try CrashEvent.fastDecode(data) ?? decoder.decode(CrashEvent.self, from: data))
                            lastSeen = message.id ?? lastSeen
                        } catch {
                            decodeFailure = .badResponse(
                                url: self.baseURL + path,
                                reason: "stream event \(message.id ?? "?"): \(WireFormat.explain(error))")
                            // Keep what was good before the bad event.
                            _ = batch.isEmpty || onEvents(batch, lastSeen)
                            return false
                        }
                    }
                    return batch.isEmpty || onEvents(batch, lastSeen)
                }
            }
        }
        try result.get()
        if let decodeFailure { throw decodeFailure }
        return lastSeen
    }

    /// The device-facing check: which release to move to, and the switch values.
    public func check(app: String, device: DeviceInfo, version: String) throws(PlatformError) -> UpgradeAnswer {
        var fields = [("app", app), ("device", device.id), ("version", version), ("os", device.os.rawValue),
                      ("osVersion", device.osVersion), ("model", device.model)]
        if let city = device.city { fields.append(("city", city)) }
        if let network = device.network { fields.append(("network", network)) }
        let query = fields.map { "\($0.0)=\(Self.queryValue($0.1))" }.joined(separator: "&")
        return try fetch("/v1/sdk/check?" + query, as: UpgradeAnswer.self)
    }

    /// A release's (or, with nil, the app's) health per step over [from, to).
    public func metrics(app: String, release: String?, from: Date, to: Date, stepSeconds: Int = 60) throws(PlatformError) -> MetricsSeries {
        var fields = [("from", WireFormat.formatDate(from)), ("to", WireFormat.formatDate(to)), ("step", String(stepSeconds))]
        if let release { fields.append(("release", release)) }
        let query = fields.map { "\($0.0)=\(Self.queryValue($0.1))" }.joined(separator: "&")
        return try fetch("/v1/apps/\(Self.segment(app))/metrics?" + query, as: MetricsSeries.self)
    }

    public func funnels(app: String, etag: String? = nil) throws(PlatformError) -> Fetched<[FunnelDefinition]> {
        try get("/v1/apps/\(Self.segment(app))/funnels", as: [FunnelDefinition].self, etag: etag)
    }

    /// An app's funnel definitions, unconditionally (the Funnels pane fetches on demand).
    public func funnelDefinitions(app: String) throws(PlatformError) -> [FunnelDefinition] {
        try fetch("/v1/apps/\(Self.segment(app))/funnels", as: [FunnelDefinition].self)
    }

    /// Creates a funnel definition (`draft.id` names it).
    public func createFunnel(app: String, _ draft: FunnelDraft, idempotencyKey: String = UUID().uuidString) throws(PlatformError) -> FunnelDefinition {
        try mutate("POST", "/v1/apps/\(Self.segment(app))/funnels", body: draft, ifMatch: nil, idempotencyKey: idempotencyKey)
    }

    /// Replaces a funnel's name, steps, window and what it counts.
    public func updateFunnel(app: String, id: String, _ draft: FunnelDraft, ifMatch: String, idempotencyKey: String = UUID().uuidString) throws(PlatformError) -> FunnelDefinition {
        try mutate("PUT", "/v1/apps/\(Self.segment(app))/funnels/\(Self.segment(id))", body: draft, ifMatch: ifMatch, idempotencyKey: idempotencyKey)
    }

    public func funnelReport(app: String, funnel: String, from: Date, to: Date, byRelease: Bool = false) throws(PlatformError) -> FunnelReport {
        var fields = [("from", WireFormat.formatDate(from)), ("to", WireFormat.formatDate(to))]
        if byRelease { fields.append(("breakdown", "version")) }
        let query = fields.map { "\($0.0)=\(Self.queryValue($0.1))" }.joined(separator: "&")
        return try fetch("/v1/apps/\(Self.segment(app))/funnels/\(Self.segment(funnel))/report?" + query, as: FunnelReport.self)
    }

    /// The audit log after `since` (nil: from the start).
    public func audit(since: String? = nil, limit: Int = 100) throws(PlatformError) -> FeedPage<AuditEntry> {
        var query = "?limit=\(limit)"
        if let since { query += "&since=\(Self.segment(since))" }
        return try fetch("/v1/audit" + query, as: FeedPage<AuditEntry>.self)
    }

    private func mutate<Body: Encodable, Answer: Decodable>(_ method: String, _ path: String, body: Body, ifMatch: String?, idempotencyKey: String?) throws(PlatformError) -> Answer {
        let data: Data
        do {
            data = try WireFormat.encoder().encode(body)
        } catch {
            throw .badResponse(url: baseURL + path, reason: "cannot encode the request: \(error)")
        }
        var headers = ["Accept": "application/json", "Content-Type": "application/json"]
        if let ifMatch { headers["If-Match"] = ifMatch }
        if let idempotencyKey { headers["Idempotency-Key"] = idempotencyKey }
        let exchange = try send(method, path, headers: headers, body: data)
        return try decode(Answer.self, from: exchange, path: path)
    }

    /// GET `path` unconditionally and decode the JSON answer.
    public func fetch<T: Decodable & Sendable>(_ path: String, as type: T.Type) throws(PlatformError) -> T {
        switch try get(path, as: type, etag: nil) {
        case .modified(let value, _):
            return value
        case .notModified:  // `get` lets no 304 through without an ETag; kept for the compiler
            throw .badResponse(url: baseURL + path, reason: "304 Not Modified to a request that was not conditional")
        }
    }

    /// GET `path` and decode the JSON answer; with `etag`, a 304 gives `.notModified`.
    /// A 304 to a request without one was not asked for: a bad answer, never "unchanged"
    /// (on a first fetch that would pass off nothing as fresh data).
    public func get<T: Decodable & Sendable>(_ path: String, as type: T.Type, etag: String?) throws(PlatformError) -> Fetched<T> {
        var headers = ["Accept": "application/json"]
        if let etag { headers["If-None-Match"] = etag }
        let exchange = try send("GET", path, headers: headers)
        if exchange.status == 304 {
            guard etag != nil else { throw .badResponse(url: baseURL + path, reason: "304 Not Modified to a request that was not conditional") }
            return .notModified
        }
        return .modified(try decode(T.self, from: exchange, path: path), etag: exchange.headers["etag"])
    }

    /// Sends one request and maps HTTP error statuses to `PlatformError`.
    func send(
        _ method: String, _ path: String, headers: [String: String], body: Data? = nil,
        idleTimeout: Double = 45, stream: ((UnsafeRawBufferPointer) -> Bool)? = nil
    ) throws(PlatformError) -> HTTPExchange {
        let url = baseURL + path
        var headers = headers
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let exchange = try transport.perform(method: method, url: url, headers: headers, body: body, idleTimeout: idleTimeout, stream: stream)
        switch exchange.status {
        case 200..<300, 304:
            return exchange
        case 401:
            throw .tokenRefused(url: url, detail: problem(in: exchange)?.detail)
        case 403:
            throw .forbidden(detail: problem(in: exchange)?.detail)
        case 404:
            throw .notFound(detail: problem(in: exchange)?.detail)
        case 412:
            throw .changedMeanwhile(detail: problem(in: exchange)?.detail, current: currentMember(of: exchange))
        case 429, 503:
            throw .busy(status: exchange.status, retryAfter: Self.retryAfter(exchange.headers["retry-after"]), problem: problem(in: exchange))
        default:
            throw .http(status: exchange.status, problem: problem(in: exchange))
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, from exchange: HTTPExchange, path: String) throws(PlatformError) -> T {
        do {
            return try WireFormat.decoder().decode(T.self, from: exchange.body)
        } catch {
            throw .badResponse(url: baseURL + path, reason: WireFormat.explain(error))
        }
    }

    /// The `current` member of a 412 problem: the resource as it is now.
    private func currentMember(of exchange: HTTPExchange) -> Data? {
        guard let object = try? JSONSerialization.jsonObject(with: exchange.body) as? [String: Any],
              let current = object["current"] else { return nil }
        return try? JSONSerialization.data(withJSONObject: current)
    }

    private func problem(in exchange: HTTPExchange) -> Problem? {
        try? WireFormat.decoder().decode(Problem.self, from: exchange.body)
    }

    /// `Retry-After` in seconds: either a number of seconds or an HTTP date. Capped at an
    /// hour so that a confused server cannot silence the console for a day.
    static func retryAfter(_ header: String?) -> Double? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return nil }
        if let seconds = Double(header), seconds >= 0 { return min(seconds, 3600) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: header) else { return nil }
        return min(max(0, date.timeIntervalSinceNow), 3600)
    }

    /// Percent-encodes one query value.
    static func queryValue(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Percent-encodes one path segment (app ids and versions are user data).
    static func segment(_ text: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

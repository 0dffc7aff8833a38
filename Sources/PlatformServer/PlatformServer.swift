import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import Logging
import PlatformModel
import ServiceLifecycle

/// How to run the reference platform server.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; `onReady` is told which.
    public var port: Int
    /// SQLite file of the store; nil keeps it in memory.
    public var databasePath: String?
    /// Seed of the demo catalogue put into a new, empty store.
    public var seed: UInt64
    public var tokens: [AccessToken]
    /// The thresholds the server's alerts are evaluated with.
    public var alertRules = AlertRules()
    /// How often guardrails and alerts are evaluated; nil: never by themselves (tests
    /// that evaluate at moments of their choosing).
    public var watchInterval: Duration? = .seconds(5)
    /// How long sessions, crash events and funnel steps are kept (nil: for ever). On
    /// PostgreSQL whole days are dropped; on SQLite older rows are deleted.
    public var retentionDays: Int?
    /// Where the store says what it could not do (a lost PostgreSQL connection); nil: nowhere.
    public var storeLogger: Logger?
    /// Sentry events and sessions one project may send a minute (429 past it).
    public var sentryEventsPerMinute = 60_000

    public init(host: String = "127.0.0.1", port: Int = 8080, databasePath: String? = nil, seed: UInt64 = 1, tokens: [AccessToken]) {
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.seed = seed
        self.tokens = tokens
    }
}

/// The reference platform API server (see ../shared/DESIGN.md, "The platform API").
public struct PlatformServer: Sendable {
    public static let version = "0.1.0"

    public let configuration: ServerConfiguration
    public let store: ServerStore
    /// Wakes live crash streams when events arrive.
    let crashSignal = CrashSignal()

    /// Opens the store and seeds it with the demo catalogue when it is new.
    public init(configuration: ServerConfiguration) async throws {
        self.configuration = configuration
        store = try await ServerStore.open(path: configuration.databasePath,
                                           logger: configuration.storeLogger ?? Logger(label: "opsdeck.store") { _ in SwiftLogNoOpLogHandler() })
        store.onCrashesElsewhere { [crashSignal] in crashSignal.signal() }
        if try await store.isEmpty() {
            try await store.insert(catalogue: .demo(seed: configuration.seed))
        }
    }

    /// Serves until the task is cancelled or, when `stopOnSignals`, SIGINT/SIGTERM
    /// arrives; either way the server shuts down gracefully (requests in flight finish,
    /// idle keep-alive connections close). `onReady` gets the bound port once listening.
    public func run(
        logger: Logger, stopOnSignals: Bool = false, onReady: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let app = Application(
            router: makeRouter(),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "opsdeck-platform/\(Self.version)"),
            onServerRunning: { channel in
                await onReady(channel.localAddress?.port ?? configuration.port)
            },
            logger: logger)
        // A service that ends must not cancel the others (that would cut connections
        // mid-write): the group only ever shuts down gracefully.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: app, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            .init(service: MemoryReturnService(), successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let interval = configuration.watchInterval {
            let watch = WatchService(store: store, interval: interval, rules: configuration.alertRules,
                                     retention: configuration.retentionDays.map { Double($0) * 86_400 }, logger: logger)
            services.append(.init(service: watch, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfiguration.gracefulShutdownSignals = stopOnSignals ? [.sigterm, .sigint] : []
        let group = ServiceGroup(configuration: groupConfiguration)
        // Cancelling the caller must mean a graceful shutdown, not a cancellation of the
        // server's connections mid-write: run the group outside this task's cancellation.
        let runner = Task { try await group.run() }
        try await withTaskCancellationHandler {
            try await runner.value
        } onCancel: {
            Task { await group.triggerGracefulShutdown() }
        }
    }

    /// The host and port a DSN names: the one the caller reached this server at.
    func dsnHost(_ request: Request) -> String {
        request.head.authority ?? "\(configuration.host):\(configuration.port)"
    }

    /// The OpenAPI 3.1 description of this API (Sources/PlatformServer/openapi.json).
    public static let openAPIDocument: Data? = Bundle.module.url(forResource: "openapi", withExtension: "json")
        .flatMap { try? Data(contentsOf: $0) }

    func makeRouter() -> Router<PlatformRequestContext> {
        let router = Router(context: PlatformRequestContext.self)
        let routes = RouteTable()
        router.add(middleware: ProblemMiddleware(routes: routes))
        router.get("/healthz") { request, _ in
            try jsonResponse(Health(status: "ok", version: Self.version), for: request)
        }
        router.get("/openapi.json") { _, _ in
            guard let document = Self.openAPIDocument else {
                throw ProblemError(.internalServerError, "the OpenAPI document is missing from this build")
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }
        let v1 = router.group("v1").add(middleware: BearerAuthMiddleware(registry: TokenRegistry(tokens: configuration.tokens)))
        let store = store
        v1.get("apps") { request, _ in
            try jsonResponse(try await store.apps(dsnHost: dsnHost(request)), for: request)
        }
        v1.get("apps/:app") { request, context in
            let app = try await requireApp(context, store)
            guard let found = try await store.apps(dsnHost: dsnHost(request)).first(where: { $0.id == app }) else {
                throw ProblemError(.notFound, "no app with id '\(app)'")
            }
            return try jsonResponse(found, for: request)
        }
        // Who the token is: the console shows the role and hides what it may not do.
        v1.get("me") { request, context in
            guard let caller = context.caller else { throw ProblemError(.unauthorized, "no token") }
            return try jsonResponse(Caller(name: caller.name, role: caller.role), for: request)
        }
        v1.get("apps/:app/releases") { request, context in
            try jsonResponse(try await store.releases(app: try await requireApp(context, store)), for: request)
        }
        addReleaseRoutes(to: v1)
        addSwitchRoutes(to: v1)
        addCrashRoutes(to: v1)
        addIssueTriageRoutes(to: v1)
        addCrashStreamRoute(to: v1)
        addSDKCheckRoute(to: v1)
        addMetricsRoute(to: v1)
        addFunnelRoutes(to: v1)
        addAlertRoutes(to: v1)
        addFleetRoutes(to: v1)
        addReachRoute(to: v1)
        addSDKAdminRoutes(to: v1)
        addUnleashRoutes(to: router)
        addSentryRoutes(to: router)
        routes.record(router.routes.map { (path: $0.path.description, method: $0.method.rawValue) })
        return router
    }
}

/// A JSON response with a strong ETag over its bytes; answers 304 to a matching
/// `If-None-Match`, so that polling an unchanged list costs almost nothing.
func jsonResponse<T: Encodable>(_ value: T, for request: Request) throws -> Response {
    let data = try WireFormat.encoder().encode(value)
    let etag = "\"\(fnv1a64(data))\""
    var headers: HTTPFields = [.eTag: etag, .cacheControl: "no-cache"]
    if let candidates = request.headers[.ifNoneMatch] {
        let tags = candidates.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if tags.contains(etag) || tags.contains("*") {
            return Response(status: .notModified, headers: headers)
        }
    }
    headers[.contentType] = "application/json"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// FNV-1a, 64 bits, as 16 hex digits: a fast, stable content hash for ETags.
func fnv1a64(_ data: Data) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in data {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

extension PlatformServer {
    /// Makes Swift concurrency run its jobs on the server's event loops (NIO's singleton
    /// group, which Hummingbird uses), so that a request no longer hops between an I/O
    /// thread and the concurrency pool on its way through. Only from the main thread,
    /// before any task runs; false when another executor was installed first.
    public static func runConcurrencyOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}

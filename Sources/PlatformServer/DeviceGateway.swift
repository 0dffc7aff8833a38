import CLinux
import Foundation
import Logging
import PlatformModel
import Synchronization

/// The device gateway: the upgrade check (`GET /v1/sdk/check`, the request every
/// device makes at every launch) on a listener of its own, served by lean epoll event
/// loops instead of the API's HTTP stack.
///
/// Why apart from the API: a fleet's launches outnumber operators' requests by orders
/// of magnitude, and the check needs nothing of a general HTTP server (no body, no
/// streaming, no routing beyond one path). Here a check costs two system calls and
/// the policy itself; through Hummingbird it costs a channel pipeline and a task. The
/// API keeps answering the same check (same code, `UpgradeCheck`), so a device may use
/// either; a storm of devices on the gateway cannot starve the console's API.
///
/// One loop per core. The first accepts and deals connections out in turn, so that
/// the loops carry equal shares (kernel hashing of `SO_REUSEPORT` listeners left a
/// loop with twice the other's on a small fleet); past that the loops share nothing
/// but the store's cached snapshots. Keep-alive and pipelining are served in order;
/// heads over 8 KiB, bodies over 64 KiB (smaller ones are read and ignored) and
/// malformed requests get a problem+json answer and the connection closes.
public final class DeviceGateway: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port; `DeviceGateway.port` says which.
        public var port: Int
        public var loops: Int
        /// A keep-alive connection idle this long is closed.
        public var idleTimeout: Double
        /// A request head not complete this long after it began gets 408 (slow senders).
        public var headTimeout: Double
        /// Per loop; one more is answered 503 and closed.
        public var maximumConnections: Int

        public init(host: String = "127.0.0.1", port: Int = 0, loops: Int = ProcessInfo.processInfo.activeProcessorCount,
                    idleTimeout: Double = 60, headTimeout: Double = 10, maximumConnections: Int = 10_000) {
            self.host = host
            self.port = port
            self.loops = max(1, loops)
            self.idleTimeout = idleTimeout
            self.headTimeout = headTimeout
            self.maximumConnections = maximumConnections
        }
    }

    public enum StartError: Error, CustomStringConvertible {
        case cannotListen(host: String, port: Int, reason: String)

        public var description: String {
            switch self {
            case .cannotListen(let host, let port, let reason): "the device gateway cannot listen on \(host):\(port): \(reason)"
            }
        }
    }

    /// The port the gateway listens on.
    public let port: Int
    private let loops: [GatewayLoop]
    private let finished: [DispatchSemaphore]
    private let stopped = Mutex(false)

    /// Binds and starts answering at once, on threads of its own.
    public init(server: PlatformServer, configuration: Configuration = .init(), logger: Logger) throws {
        let listener = opsdeck_listen(configuration.host, Int32(configuration.port), 1024)
        guard listener >= 0 else {
            throw StartError.cannotListen(host: configuration.host, port: configuration.port, reason: String(cString: strerror(-listener)))
        }
        port = Int(opsdeck_local_port(listener))
        let responder = GatewayResponder(store: server.store, registry: TokenRegistry(tokens: server.configuration.tokens), logger: logger)
        let loops = (0..<configuration.loops).map { index in
            GatewayLoop(listener: index == 0 ? listener : nil, responder: responder, configuration: configuration, logger: logger)
        }
        loops[0].dealTo(loops)
        self.loops = loops
        finished = loops.map { _ in DispatchSemaphore(value: 0) }
        for (index, loop) in loops.enumerated() {
            let done = finished[index]
            let thread = Thread {
                opsdeck_name_thread("opsdeck-gw-\(index)")
                loop.run()
                done.signal()
            }
            thread.start()
        }
    }

    /// Stops listening, closes every connection and waits for the loops to end.
    public func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        // The listening loop first: once it has ended it deals nothing more, so each
        // other loop, as it ends, finds every connection dealt to it and closes it.
        // Stopped together, a loop could end before a connection reached it, and the
        // wake-up meant for its closed eventfd could land on whatever reused that number.
        loops[0].requestStop()
        finished[0].wait()
        loops.dropFirst().forEach { $0.requestStop() }
        finished.dropFirst().forEach { $0.wait() }
    }

    deinit { stop() }
}

/// Turns one parsed request into its answer: routing, authentication, the check.
struct GatewayResponder: Sendable {
    let store: ServerStore
    let registry: TokenRegistry
    let logger: Logger

    /// `body` is scratch space, kept between calls so that its storage is reused.
    func respond(to request: GatewayHTTP.Request, in bytes: UnsafeBufferPointer<UInt8>, date: String, keepAlive: Bool,
                 body: inout [UInt8], into out: inout [UInt8]) {
        let path = String(decoding: UnsafeBufferPointer(rebasing: bytes[request.path]), as: UTF8.self)
        let method = UnsafeBufferPointer(rebasing: bytes[request.method])
        func problem(_ status: Int, _ detail: String, headers: String = "") {
            GatewayResponder.appendProblem(status: status, detail: detail, instance: path, headers: headers, keepAlive: keepAlive, date: date, to: &out)
        }
        let isCheck = path == "/v1/sdk/check"
        guard isCheck || path == "/healthz" else {
            return problem(404, "no such resource here: \(String(decoding: method, as: UTF8.self)) \(path); "
                + "the device gateway answers GET /v1/sdk/check, the API everything else")
        }
        guard method.elementsEqual("GET".utf8) else {
            return problem(405, "\(String(decoding: method, as: UTF8.self)) is not allowed on \(path) (allowed: GET)", headers: "Allow: GET\r\n")
        }
        guard isCheck else {
            let health = (try? WireFormat.encoder().encode(Health(status: "ok", version: PlatformServer.version))) ?? Data()
            return GatewayHTTP.appendResponse(status: 200, contentType: "application/json", body: Array(health),
                                              keepAlive: keepAlive, date: date, to: &out)
        }
        // The API's rule (BearerAuthMiddleware): any known token may check.
        if case .failure(let refusal) = registry.caller(authorization: request.authorization.map { bytes[$0] }) {
            return problem(401, refusal.rawValue, headers: "WWW-Authenticate: \(TokenRegistry.challenge)\r\n")
        }
        do {
            let check = try UpgradeCheck { GatewayHTTP.parameter($0, in: bytes, query: request.query) }
            guard let snapshot = try store.snapshotNow(app: check.app) else { throw UpgradeCheck.unknownApp(check.app) }
            body.removeAll(keepingCapacity: true)
            check.appendAnswer(from: snapshot, to: &body, reach: store.reach)
            GatewayHTTP.appendResponse(status: 200, contentType: "application/json", body: body, keepAlive: keepAlive, date: date, to: &out)
        } catch let error as ProblemError {
            problem(error.problem.status, error.problem.detail ?? error.problem.title)
        } catch {
            logger.error("device gateway: the upgrade check failed: \(error)")
            problem(500, "the server failed to answer; see its log")
        }
    }

    static func appendProblem(status: Int, detail: String, instance: String?, headers: String = "", keepAlive: Bool, date: String, to out: inout [UInt8]) {
        let problem = Problem(title: GatewayHTTP.reasonPhrase(status), status: status, detail: detail, instance: instance)
        let body = (try? WireFormat.encoder().encode(problem)).map { Array($0) } ?? Array("{}".utf8)
        GatewayHTTP.appendResponse(status: status, contentType: Problem.mediaType, extraHeaders: headers, body: body,
                                   keepAlive: keepAlive, date: date, to: &out)
    }
}

/// One event loop: its connections, one thread, and on the first loop the listener.
/// Only `requestStop` and `adopt` are called from other threads.
private final class GatewayLoop: @unchecked Sendable {
    private final class Connection {
        let fd: Int32
        var inbound: [UInt8] = []
        var outbound: [UInt8] = []
        var lastActivity: Double
        /// When the unanswered bytes in `inbound` began arriving.
        var headStarted: Double?
        /// Waiting for the socket to take more (EPOLLOUT); reading is paused meanwhile.
        var writeBlocked = false
        var closeAfterFlush = false
        var peerClosed = false

        init(fd: Int32, now: Double) {
            self.fd = fd
            lastActivity = now
            inbound.reserveCapacity(1024)
            outbound.reserveCapacity(1024)
        }
    }

    /// Past this much unwritten output a connection's further requests wait.
    private static let outputHighWater = 256 * 1024

    /// Only the first loop listens; it deals what it accepts to `peers` in turn.
    private let listener: Int32?
    private var peers: [GatewayLoop] = []
    private var nextPeer = 0
    /// Connections dealt to this loop by the listening one, not yet watched.
    private let inbox = Mutex<[Int32]>([])
    private let epoll: Int32
    private let wake: Int32
    private let responder: GatewayResponder
    private let configuration: DeviceGateway.Configuration
    private let logger: Logger
    private let stopping = Atomic(false)
    /// By descriptor: a lookup per event without hashing.
    private var connections: [Connection?] = []
    private var connectionCount = 0
    private var scratch = [UInt8](repeating: 0, count: 65_536)
    /// An answer's body is written here first, for its Content-Length.
    private var body: [UInt8] = []
    private var now = 0.0
    private var date = ""
    private var dateSecond = -1
    private var lastSweep = 0.0
    private var listenerPaused = false

    init(listener: Int32?, responder: GatewayResponder, configuration: DeviceGateway.Configuration, logger: Logger) {
        self.listener = listener
        self.responder = responder
        self.configuration = configuration
        self.logger = logger
        epoll = opsdeck_epoll_create()
        wake = opsdeck_eventfd()
        if let listener { _ = opsdeck_epoll_watch(epoll, listener, UInt32(OPSDECK_EV_IN), 0) }
        _ = opsdeck_epoll_watch(epoll, wake, UInt32(OPSDECK_EV_IN), 0)
    }

    /// Before the threads start.
    func dealTo(_ loops: [GatewayLoop]) {
        peers = loops
    }

    /// A connection accepted by the listening loop, for this one to serve.
    func adopt(_ fd: Int32) {
        inbox.withLock { $0.append(fd) }
        opsdeck_eventfd_signal(wake)
    }

    func requestStop() {
        stopping.store(true, ordering: .releasing)
        opsdeck_eventfd_signal(wake)
    }

    func run() {
        var fds = [Int32](repeating: 0, count: 512)
        var events = [UInt32](repeating: 0, count: 512)
        while !stopping.load(ordering: .acquiring) {
            let count = opsdeck_epoll_wait(epoll, &fds, &events, 512, 1000)
            tick()
            for index in 0..<max(0, Int(count)) {
                let fd = fds[index], ready = events[index]
                if fd == listener {
                    acceptAll()
                } else if fd == wake {
                    takeAdopted()
                } else if let connection = connection(fd) {
                    if ready & UInt32(OPSDECK_EV_ERR) != 0 {
                        drop(connection)
                        continue
                    }
                    if ready & UInt32(OPSDECK_EV_OUT) != 0 {
                        // The socket takes more: finish the answer, then the requests behind it.
                        if flush(connection) { connection.closeAfterFlush ? drop(connection) : serve(connection) }
                    } else if ready & UInt32(OPSDECK_EV_IN | OPSDECK_EV_HUP | OPSDECK_EV_RDHUP) != 0 {
                        receive(connection)
                    }
                }
            }
            if now - lastSweep >= 1 { sweep() }
        }
        if let listener { close(listener) }
        takeAdopted()
        for case let connection? in connections { drop(connection) }
        close(wake)
        close(epoll)
    }

    private func tick() {
        var monotonic = timespec()
        clock_gettime(CLOCK_MONOTONIC, &monotonic)
        now = Double(monotonic.tv_sec) + Double(monotonic.tv_nsec) / 1e9
        let second = time(nil)
        if second != dateSecond {
            dateSecond = second
            date = GatewayHTTP.httpDate(second)
        }
    }

    private func acceptAll() {
        guard let listener else { return }
        while true {
            let fd = opsdeck_accept(listener)
            if fd < 0 {
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    // Out of descriptors: stop asking until the next sweep, or the level-
                    // triggered listener would spin this loop.
                    logger.warning("device gateway: cannot accept connections: \(String(cString: strerror(errno))); pausing for a second")
                    _ = opsdeck_epoll_watch(epoll, listener, 0, 1)
                    listenerPaused = true
                }
                return
            }
            let peer = peers[nextPeer % peers.count]
            nextPeer &+= 1
            if peer === self { watch(fd) } else { peer.adopt(fd) }
        }
    }

    private func takeAdopted() {
        var signalled: UInt64 = 0
        _ = read(wake, &signalled, 8)
        for fd in inbox.withLock({ inbox in defer { inbox.removeAll() }; return inbox }) { watch(fd) }
    }

    private func watch(_ fd: Int32) {
        guard connectionCount < configuration.maximumConnections else {
            var out: [UInt8] = []
            GatewayResponder.appendProblem(status: 503, detail: "the device gateway is at its connection limit; retry later",
                                           instance: nil, headers: "Retry-After: 1\r\n", keepAlive: false, date: date, to: &out)
            _ = out.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(fd)
            return
        }
        if Int(fd) >= connections.count { connections += Array(repeating: nil, count: Int(fd) + 1 - connections.count) }
        connections[Int(fd)] = Connection(fd: fd, now: now)
        connectionCount += 1
        _ = opsdeck_epoll_watch(epoll, fd, UInt32(OPSDECK_EV_IN | OPSDECK_EV_RDHUP), 0)
    }

    private func connection(_ fd: Int32) -> Connection? {
        Int(fd) < connections.count ? connections[Int(fd)] : nil
    }

    private func receive(_ connection: Connection) {
        let count = scratch.withUnsafeMutableBytes { read(connection.fd, $0.baseAddress, $0.count) }
        if count > 0 {
            connection.inbound.append(contentsOf: scratch[0..<count])
            connection.lastActivity = now
        } else if count == 0 {
            connection.peerClosed = true
        } else if errno != EAGAIN && errno != EINTR {
            return drop(connection)
        }
        serve(connection)
    }

    /// Answers what is complete in `inbound`, writes, and repeats while the socket
    /// takes it all and requests remain. A peer that closed its side gets what it asked
    /// for, then the connection closes (an incomplete request can no longer complete).
    private func serve(_ connection: Connection) {
        while true {
            let more = answerPending(connection)
            guard flush(connection) else { return }
            if connection.closeAfterFlush { return drop(connection) }
            if !more { break }
        }
        if connection.peerClosed { drop(connection) }
    }

    /// True when it stopped at the output high-water mark with requests left.
    private func answerPending(_ connection: Connection) -> Bool {
        guard !connection.writeBlocked, !connection.closeAfterFlush, !connection.inbound.isEmpty else { return false }
        var consumed = 0, moreWaiting = false
        connection.inbound.withUnsafeBufferPointer { buffer in
            while consumed < buffer.count, !connection.closeAfterFlush {
                if connection.outbound.count >= Self.outputHighWater {
                    moreWaiting = true
                    return
                }
                let rest = UnsafeBufferPointer(rebasing: buffer[consumed...])
                switch GatewayHTTP.parse(rest) {
                case .incomplete:
                    return
                case .request(let request):
                    let keepAlive = request.keepAlive && !connection.peerClosed
                    responder.respond(to: request, in: rest, date: date, keepAlive: keepAlive, body: &body, into: &connection.outbound)
                    consumed += request.length
                    if !keepAlive { connection.closeAfterFlush = true }
                case .malformed(let status, let detail):
                    GatewayResponder.appendProblem(status: status, detail: detail, instance: nil, keepAlive: false, date: date, to: &connection.outbound)
                    connection.closeAfterFlush = true
                    consumed = buffer.count
                }
            }
        }
        if consumed == connection.inbound.count {
            connection.inbound.removeAll(keepingCapacity: true)
        } else if consumed > 0 {
            connection.inbound.removeFirst(consumed)
        }
        connection.headStarted = connection.inbound.isEmpty ? nil : (consumed > 0 ? now : connection.headStarted ?? now)
        return moreWaiting
    }

    /// Writes what is queued; true when all of it went out. Otherwise the connection
    /// waits for EPOLLOUT (reading paused), or it failed and is closed.
    private func flush(_ connection: Connection) -> Bool {
        while !connection.outbound.isEmpty {
            let written = connection.outbound.withUnsafeBytes { send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written > 0 {
                if written == connection.outbound.count {
                    connection.outbound.removeAll(keepingCapacity: true)
                } else {
                    connection.outbound.removeFirst(written)
                }
                connection.lastActivity = now
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && errno == EAGAIN {
                if !connection.writeBlocked {
                    connection.writeBlocked = true
                    _ = opsdeck_epoll_watch(epoll, connection.fd, UInt32(OPSDECK_EV_OUT), 1)
                }
                return false
            } else {
                drop(connection)
                return false
            }
        }
        if connection.writeBlocked {
            connection.writeBlocked = false
            _ = opsdeck_epoll_watch(epoll, connection.fd, UInt32(OPSDECK_EV_IN | OPSDECK_EV_RDHUP), 1)
        }
        return true
    }

    private func drop(_ connection: Connection) {
        guard connections[Int(connection.fd)] === connection else { return }
        connections[Int(connection.fd)] = nil
        connectionCount -= 1
        close(connection.fd)
    }

    /// Once a second: close idle connections, answer 408 to heads that stalled, and
    /// listen again after running out of descriptors.
    private func sweep() {
        lastSweep = now
        if listenerPaused, let listener {
            listenerPaused = false
            _ = opsdeck_epoll_watch(epoll, listener, UInt32(OPSDECK_EV_IN), 1)
        }
        for case let connection? in connections {
            if let started = connection.headStarted, now - started > configuration.headTimeout, !connection.writeBlocked {
                GatewayResponder.appendProblem(status: 408, detail: "the request did not arrive within \(Int(configuration.headTimeout)) s",
                                               instance: nil, keepAlive: false, date: date, to: &connection.outbound)
                connection.closeAfterFlush = true
                if flush(connection) { drop(connection) }
            } else if now - connection.lastActivity > configuration.idleTimeout {
                drop(connection)
            }
        }
    }
}

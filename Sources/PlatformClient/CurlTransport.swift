import CCurl
import Foundation
import Synchronization

/// One HTTP exchange as libcurl saw it.
public struct HTTPExchange: Sendable {
    public var status: Int
    /// Header names lower-cased; the last value wins.
    public var headers: [String: String]
    public var body: Data
}

/// A blocking HTTP transport: one libcurl easy handle, reused between requests, that
/// `perform` hands to the process's network thread (`CurlMultiLoop`, libcurl's multi
/// interface) and then waits for. Connections are kept alive in the multi's pool. Not
/// thread-safe: one owner thread calls `perform`; any thread may call `cancel`.
public final class CurlTransport {
    public struct Timeouts: Sendable {
        public var connect: Double
        public var total: Double

        public init(connect: Double = 5, total: Double = 20) {
            self.connect = connect
            self.total = total
        }
    }

    /// Responses larger than this are cut off as bad: no endpoint legitimately sends more.
    public static let maximumBodySize = 64 << 20

    private static let globalInit: Void = {
        curl_global_init(Int(CURL_GLOBAL_ALL))
    }()

    static func initializeLibrary() { _ = globalInit }

    private let handle: UnsafeMutableRawPointer
    private let timeouts: Timeouts
    /// A PEM file of CA certificates to trust instead of the system's (private CAs).
    /// Verification itself is never turned off.
    private let caFile: String?
    private let loop: CurlMultiLoop
    private let cancelled: CancelFlag
    var cancelFlag: CancelFlag { cancelled }

    public init(timeouts: Timeouts = Timeouts(), caFile: String? = nil) {
        _ = Self.globalInit
        loop = CurlMultiLoop.shared
        cancelled = CancelFlag(loop: loop)
        handle = curl_easy_init()
        self.timeouts = timeouts
        self.caFile = caFile
    }

    deinit {
        curl_easy_cleanup(handle)
    }

    /// Aborts the request in flight (if any) and every later one.
    public func cancel() {
        cancelled.set()
    }

    /// Performs one request. Throws `PlatformError` for transport failures only; any
    /// HTTP status comes back as an exchange for the caller to interpret.
    ///
    /// With `stream`, a 2xx body is not collected but handed over chunk by chunk as it
    /// arrives (Server-Sent Events); `stream` returns false to stop. There is then no
    /// total timeout, only `idleTimeout`: the connection fails when less than one byte
    /// arrives in that many seconds.
    public func perform(
        method: String, url: String, headers: [String: String], body: Data? = nil,
        idleTimeout: Double = 45, stream: ((UnsafeRawBufferPointer) -> Bool)? = nil
    ) throws(PlatformError) -> HTTPExchange {
        if cancelled.isSet { throw .cancelled }
        curl_easy_reset(handle)

        let sink = Transfer(handle: handle, cancelled: cancelled, streams: stream != nil)
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            headerList = curl_slist_append(headerList, "\(name): \(value)")
        }
        // libcurl adds "Expect: 100-continue" to larger bodies; the API never wants it.
        headerList = curl_slist_append(headerList, "Expect:")

        let code: CURLcode = url.withCString { urlPointer in
            errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
                withBody(body) { bodyPointer, bodyCount in
                    opsdeck_curl_setopt_str(handle, CURLOPT_URL, urlPointer)
                    opsdeck_curl_setopt_ptr(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
                    opsdeck_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                    opsdeck_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(timeouts.connect * 1000))
                    if stream == nil {
                        opsdeck_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeouts.total * 1000))
                    } else {
                        opsdeck_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
                        opsdeck_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Int(idleTimeout.rounded(.up))))
                    }
                    opsdeck_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
                    opsdeck_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
                    opsdeck_curl_setopt_str(handle, CURLOPT_PROTOCOLS_STR, "http,https")
                    // HTTP/2 where the server offers it over TLS; HTTP/1.1 otherwise.
                    opsdeck_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
                    if let caFile { opsdeck_curl_setopt_str(handle, CURLOPT_CAINFO, caFile) }
                    // "" accepts every encoding this libcurl can decode (gzip, deflate, ...).
                    opsdeck_curl_setopt_str(handle, CURLOPT_ACCEPT_ENCODING, "")
                    opsdeck_curl_setopt_str(handle, CURLOPT_USERAGENT, "opsdeck/0.1")
                    opsdeck_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(headerList))
                    opsdeck_curl_setopt_str(handle, CURLOPT_CUSTOMREQUEST, method)
                    if method == "HEAD" { opsdeck_curl_setopt_long(handle, CURLOPT_NOBODY, 1) }
                    if let bodyPointer {
                        opsdeck_curl_setopt_ptr(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bodyPointer))
                        opsdeck_curl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyCount))
                    }
                    opsdeck_curl_setopt_data_cb(handle, CURLOPT_WRITEFUNCTION, responseBodyCallback)
                    opsdeck_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, sinkPointer)
                    opsdeck_curl_setopt_data_cb(handle, CURLOPT_HEADERFUNCTION, responseHeaderCallback)
                    opsdeck_curl_setopt_ptr(handle, CURLOPT_HEADERDATA, sinkPointer)
                    opsdeck_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
                    opsdeck_curl_setopt_xferinfo_cb(handle, progressCallback)
                    opsdeck_curl_setopt_ptr(handle, CURLOPT_XFERINFODATA, sinkPointer)
                    loop.add(sink)
                    return sink.wait(loop: loop, consume: stream)
                }
            }
        }
        withExtendedLifetime(sink) {}

        if code == CURLE_WRITE_ERROR && sink.streamStopped {
            // The stream's consumer said stop: a normal end, not an error.
            var status = 0
            opsdeck_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            return HTTPExchange(status: status, headers: sink.headers, body: sink.body)
        }
        guard code == CURLE_OK else {
            let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw transportError(code, url: url, detail: detail, sink: sink)
        }
        var status = 0
        opsdeck_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPExchange(status: status, headers: sink.headers, body: sink.body)
    }

    private func transportError(_ code: CURLcode, url: String, detail: String, sink: Transfer) -> PlatformError {
        var osErrno = 0
        opsdeck_curl_getinfo_long(handle, CURLINFO_OS_ERRNO, &osErrno)
        let osReason = osErrno != 0 ? String(cString: strerror(Int32(osErrno))).lowercased() : nil
        switch code {
        case CURLE_ABORTED_BY_CALLBACK where sink.overflowed, CURLE_WRITE_ERROR where sink.overflowed:
            return .badResponse(url: url, reason: "the answer is larger than \(Self.maximumBodySize >> 20) MiB")
        case CURLE_WRITE_ERROR where sink.streamStopped:
            return .cancelled
        case CURLE_ABORTED_BY_CALLBACK:
            return .cancelled
        case CURLE_UNSUPPORTED_PROTOCOL where detail.contains("HTTP/0.9"), CURLE_WEIRD_SERVER_REPLY:
            return .badResponse(url: url, reason: "the server's reply is not HTTP")
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .invalidURL(url)
        case CURLE_COULDNT_RESOLVE_HOST:
            return .unreachable(url: url, reason: "the host name does not resolve")
        case CURLE_COULDNT_RESOLVE_PROXY:
            return .unreachable(url: url, reason: "the proxy's host name does not resolve")
        case CURLE_COULDNT_CONNECT:
            return .unreachable(url: url, reason: osReason ?? "connection failed")
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(url: url, seconds: timeouts.total)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CONNECT_ERROR:
            return .unreachable(url: url, reason: "TLS failed: \(detail.isEmpty ? "certificate not trusted" : detail)")
        case CURLE_GOT_NOTHING:
            return .badResponse(url: url, reason: "the server closed the connection without answering")
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            return .badResponse(url: url, reason: "the connection broke mid-answer" + (osReason.map { " (\($0))" } ?? ""))
        case CURLE_BAD_CONTENT_ENCODING:
            return .badResponse(url: url, reason: "the answer's compression is corrupt")
        default:
            let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
            return .unreachable(url: url, reason: text)
        }
    }
}

/// A handle that cancels a client's requests from another thread.
public struct Canceller: Sendable {
    let flag: CancelFlag

    /// Aborts the request in flight and every later one (quitting).
    public func cancel() { flag.set() }

    /// Aborts the request in flight (or the next one) only: its owner sees `.cancelled`,
    /// calls `resume()`, and goes on (e.g. a stream that must follow another app).
    public func interrupt() { flag.interrupt() }

    /// Lets requests run again after an `interrupt()`; a `cancel()` stays.
    public func resume() { flag.clearInterrupt() }

    /// Whether `cancel()` was called (as opposed to only `interrupt()`).
    public var isCancelled: Bool { flag.isCancelled }
}

/// A flag one thread sets and libcurl's progress callback reads on another: bit 0 is
/// a permanent cancel, bit 1 a one-off interrupt.
final class CancelFlag: Sendable {
    private let bits = Atomic<Int>(0)
    /// Woken so that the network thread drops the transfer at once.
    private let loop: CurlMultiLoop?

    init(loop: CurlMultiLoop? = nil) {
        self.loop = loop
    }

    func set() {
        bits.bitwiseOr(1, ordering: .relaxed)
        loop?.wake()
    }

    func interrupt() {
        bits.bitwiseOr(2, ordering: .relaxed)
        loop?.wake()
    }

    func clearInterrupt() { bits.bitwiseAnd(~2, ordering: .relaxed) }
    var isSet: Bool { bits.load(ordering: .relaxed) != 0 }
    var isCancelled: Bool { bits.load(ordering: .relaxed) & 1 != 0 }
}

private func responseSink(_ userdata: UnsafeMutableRawPointer?) -> Transfer {
    Unmanaged<Transfer>.fromOpaque(userdata!).takeUnretainedValue()
}

private let responseBodyCallback: opsdeck_curl_data_cb = { data, size, count, userdata in
    let sink = responseSink(userdata)
    let length = size * count
    if sink.streaming {
        guard let data, length > 0 else { return length }
        switch sink.offer(UnsafeRawBufferPointer(start: data, count: length)) {
        case .taken: return length
        case .pause: return Int(CURL_WRITEFUNC_PAUSE)  // libcurl hands the same bytes again on resume
        case .stop: return 0
        }
    }
    guard sink.body.count + length <= CurlTransport.maximumBodySize else {
        sink.overflowed = true
        return 0  // makes libcurl fail the transfer with CURLE_WRITE_ERROR
    }
    if let data, length > 0 {
        sink.body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length)
    }
    return length
}

private let responseHeaderCallback: opsdeck_curl_data_cb = { data, size, count, userdata in
    let sink = responseSink(userdata)
    let length = size * count
    guard let data, length > 0 else { return length }
    let bytes = UnsafeRawBufferPointer(start: data, count: length)
    let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    if line.hasPrefix("HTTP/") {
        sink.headers = [:]  // a new response (after 100 Continue or a redirect) starts
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        sink.headers[name] = value
    }
    return length
}

private let progressCallback: opsdeck_curl_xferinfo_cb = { userdata, _, _, _, _ in
    responseSink(userdata).cancelled.isSet ? 1 : 0
}

/// Calls `body` with a pointer to the request body that stays valid during the call.
private func withBody<R>(_ body: Data?, _ work: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let body else { return work(nil, 0) }
    if body.isEmpty {
        return "".withCString { work(UnsafeRawPointer($0), 0) }
    }
    return body.withUnsafeBytes { work($0.baseAddress, $0.count) }
}

import Foundation
import PlatformModel
import TOMLKit

/// A bearer token the server accepts, with whom it belongs to and what it may do.
public struct AccessToken: Sendable, Equatable, Codable {
    public var name: String
    public var role: Role
    public var token: String

    public init(name: String, role: Role, token: String) {
        self.name = name
        self.role = role
        self.token = token
    }

    /// A fresh admin token for a server started without `--tokens`.
    public static func generatedAdmin() -> AccessToken {
        AccessToken(name: "admin", role: .admin, token: "odk_" + randomHex(bytes: 24))
    }
}

/// `bytes` random bytes from the system's generator as lower-case hex: the secret in
/// every token and key the server makes (admin tokens, SDK tokens, Sentry keys).
func randomHex(bytes: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
}

public enum TokenFileError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read token file \(path): \(reason)"
        case .invalid(let path, let reason): "token file \(path) is not valid: \(reason)"
        }
    }
}

/// The tokens file: TOML, a list of `[[token]]` tables with `name`, `role`, `token`.
public enum TokenFile {
    private struct Document: Decodable {
        var token: [AccessToken]
    }

    public static func load(path: String) throws -> [AccessToken] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TokenFileError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String = "<tokens>") throws -> [AccessToken] {
        let document: Document
        do {
            document = try TOMLDecoder().decode(Document.self, from: text)
        } catch let error as TOMLParseError {
            throw TokenFileError.invalid(
                path: path, reason: "line \(error.source.begin.line): \(error.description)")
        } catch {
            let roles = Role.allCases.map(\.rawValue).joined(separator: ", ")
            throw TokenFileError.invalid(
                path: path, reason: "each [[token]] needs name, role (\(roles)) and token")
        }
        for entry in document.token where entry.token.count < 16 {
            throw TokenFileError.invalid(path: path, reason: "token of \(entry.name) is shorter than 16 characters")
        }
        if Set(document.token.map(\.token)).count != document.token.count {
            throw TokenFileError.invalid(path: path, reason: "the same token appears twice")
        }
        return document.token
    }
}

/// Looks tokens up without leaking, through timing, how much of a guess was right.
struct TokenRegistry: Sendable {
    let tokens: [AccessToken]
    private let secrets: [[UInt8]]

    init(tokens: [AccessToken]) {
        self.tokens = tokens
        secrets = tokens.map { Array($0.token.utf8) }
    }

    func identify(bytes presented: some Collection<UInt8>) -> AccessToken? {
        var found: AccessToken?
        for (candidate, secret) in zip(tokens, secrets) where Self.constantTimeEqual(secret, presented) {
            found = candidate
        }
        return found
    }

    /// Why a request's `Authorization` header names no caller, in the words both the
    /// API and the device gateway answer with (401, with `challenge`).
    enum Refusal: String, Error {
        case missing = "this endpoint needs an Authorization: Bearer token"
        case malformed = "the Authorization header must be 'Bearer TOKEN'"
        case unknown = "the token is not known to this server"
    }

    static let challenge = "Bearer realm=\"opsdeck\""

    /// The caller an `Authorization` header value names: "Bearer" in any case, a space,
    /// then the token (spaces and tabs around it are not part of it). One rule for
    /// both doors, read from the bytes so that the gateway copies nothing.
    func caller<Header: BidirectionalCollection<UInt8>>(authorization header: Header?) -> Result<AccessToken, Refusal> {
        guard let header else { return .failure(.missing) }
        guard let space = header.firstIndex(of: 32) else { return .failure(.malformed) }
        let scheme = header[..<space]
        guard scheme.count == 6, zip(scheme, "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 }) else { return .failure(.malformed) }
        var token = header[header.index(after: space)...]
        while let first = token.first, first == 32 || first == 9 { token = token.dropFirst() }
        while let last = token.last, last == 32 || last == 9 { token = token.dropLast() }
        return identify(bytes: token).map { .success($0) } ?? .failure(.unknown)
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}

import Foundation

/// A mobile platform an app bundle is built for.
public enum Platform: String, Codable, Sendable, CaseIterable {
    case android
    case ios
    case harmony
}

/// One app bundle on one platform, e.g. `wallet-android`. The platform API's unit of
/// release, crash grouping and configuration.
public struct App: Codable, Hashable, Sendable, Identifiable {
    /// Stable identifier used in URLs (`/v1/apps/{id}`).
    public var id: String
    /// Human name, e.g. "Wallet".
    public var name: String
    public var platform: Platform
    /// Android application id or iOS bundle identifier.
    public var bundleId: String
    /// Where Sentry SDKs in the app send crashes and sessions:
    /// `http://PUBLIC_KEY@HOST:PORT/PROJECT_ID`, this server's address as the caller
    /// reached it. Set by the API's app answers.
    public var sentryDSN: String?

    public init(id: String, name: String, platform: Platform, bundleId: String) {
        self.id = id
        self.name = name
        self.platform = platform
        self.bundleId = bundleId
    }
}

/// Where a release is in its life: draft -> whitelist -> gray -> full, or stopped.
public enum ReleaseStage: String, Codable, Sendable, CaseIterable {
    case draft
    case whitelist
    case gray
    case full
    case halted
    case rolledBack = "rolled_back"

    /// Whether devices outside a whitelist can receive this release right now.
    public var isLive: Bool { self == .gray || self == .full }
}

/// A release of one app. Its id within the app is its version string.
public struct Release: Codable, Hashable, Sendable, Identifiable {
    public var app: String
    /// Version string, unique within the app; the release's id in URLs.
    public var version: String
    public var build: Int
    public var stage: ReleaseStage
    /// Share of eligible devices offered this release, 0...100 with 0.01 resolution.
    public var grayPercent: Double
    public var notes: String
    public var createdAt: Date
    public var updatedAt: Date
    /// Incremented on every change; the release's ETag. (Named `revision` because
    /// `version` is already the release's version string.)
    public var revision: Int
    /// Halts the release by itself when its crash rate goes over the limit.
    public var guardrail: Guardrail?
    /// Whitelist, rules and time window; nil: none.
    public var targeting: Targeting?
    /// The package as mPaaS records it: size in bytes and SHA-256 (64 hex digits);
    /// nil for releases made before the platform kept them.
    public var packageSize: Int?
    public var checksum: String?

    public var id: String { version }

    public init(
        app: String, version: String, build: Int, stage: ReleaseStage, grayPercent: Double,
        notes: String, createdAt: Date, updatedAt: Date, revision: Int, guardrail: Guardrail? = nil,
        targeting: Targeting? = nil, packageSize: Int? = nil, checksum: String? = nil
    ) {
        self.packageSize = packageSize
        self.checksum = checksum
        self.guardrail = guardrail
        self.targeting = targeting
        self.app = app
        self.version = version
        self.build = build
        self.stage = stage
        self.grayPercent = grayPercent
        self.notes = notes
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.revision = revision
    }

    /// The strong ETag the server sends for this release.
    public var etag: String { "\"r\(revision)\"" }

    /// Where advancing takes it: a draft to its whitelist when it has one, else to gray;
    /// a whitelist release to gray; a gray one to full; nil from any other stage.
    public var advancedStage: ReleaseStage? {
        switch stage {
        case .draft: (targeting?.whitelist.isEmpty ?? true) ? .gray : .whitelist
        case .whitelist: .gray
        case .gray: .full
        default: nil
        }
    }
}

/// A crash-rate limit on a live release: when, over the last `windowMinutes`, at least
/// `minSessions` sessions ran it and more than `maxCrashRate` % of them crashed, the
/// platform halts the release itself and says so in the audit log (actor `system`).
public struct Guardrail: Codable, Hashable, Sendable {
    public var maxCrashRate: Double
    public var minSessions: Int
    public var windowMinutes: Int

    public init(maxCrashRate: Double, minSessions: Int, windowMinutes: Int = 10) {
        self.maxCrashRate = maxCrashRate
        self.minSessions = minSessions
        self.windowMinutes = windowMinutes
    }
}

/// The answer of `GET /healthz`.
public struct Health: Codable, Sendable, Equatable {
    public var status: String
    public var version: String

    public init(status: String, version: String) {
        self.status = status
        self.version = version
    }
}

/// The one way a gray (or scope) percentage is written, by the console and the command
/// line alike: whole numbers bare ("5%"), otherwise to the platform's resolution of 0.01
/// with no trailing zeros ("7.5%", "0.25%").
public enum PercentText {
    public static func of(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        if hundredths % 100 == 0 { return "\(hundredths / 100)%" }
        var text = String(format: "%.2f", Double(hundredths) / 100)
        while text.hasSuffix("0") { text.removeLast() }
        return text + "%"
    }
}

/// A count as people read it, the same in the console, the server's words and the
/// command line: "12,345".
public enum GroupedNumber {
    public static func of(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }
}

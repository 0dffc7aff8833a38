import Foundation

// `GET /v1/apps/{app}/reach`: how far a change has got. The server records, from each
// device's upgrade check, which release it runs, which it was offered and the switch
// values it was given; this sums the devices that checked lately.

/// Devices on each value of one switch.
public struct SwitchReach: Codable, Sendable, Equatable {
    public var key: String
    /// Devices whose last check gave them `true`, and `false`.
    public var on: Int
    public var off: Int

    public init(key: String, on: Int, off: Int) {
        self.key = key
        self.on = on
        self.off = off
    }
}

/// Devices running one release, and devices it was offered to at their last check.
public struct ReleaseReach: Codable, Sendable, Equatable {
    public var version: String
    public var running: Int
    public var offered: Int

    public init(version: String, running: Int, offered: Int) {
        self.version = version
        self.running = running
        self.offered = offered
    }
}

public struct AppReach: Codable, Sendable, Equatable {
    public var app: String
    /// Devices are counted when their last check is at most this old.
    public var windowMinutes: Int
    /// Devices of the app that checked in the window.
    public var devices: Int
    public var switches: [SwitchReach]
    /// Releases some device runs or was offered, newest version first.
    public var releases: [ReleaseReach]

    public init(app: String, windowMinutes: Int, devices: Int, switches: [SwitchReach], releases: [ReleaseReach]) {
        self.app = app
        self.windowMinutes = windowMinutes
        self.devices = devices
        self.switches = switches
        self.releases = releases
    }

    public func switchReach(_ key: String) -> SwitchReach? { switches.first { $0.key == key } }
    public func releaseReach(_ version: String) -> ReleaseReach? { releases.first { $0.version == version } }
}

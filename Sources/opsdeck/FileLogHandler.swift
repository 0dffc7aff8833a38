import Foundation
import Logging
import PlatformModel
import Synchronization

/// A log file shared by every logger of the process. While the TUI owns the screen,
/// nothing may go to stdout or stderr: everything goes here.
final class LogFile: Sendable {
    let path: String
    /// Past this size the file is renamed to `PATH.1` (the one before it dropped) and a
    /// new one begun: a long session or a noisy server cannot fill the disk.
    let limit: UInt64
    private let state: Mutex<(handle: FileHandle?, size: UInt64)>

    init(path: String, limit: UInt64 = 10 * 1024 * 1024) {
        self.path = path
        self.limit = limit
        state = Mutex(Self.open(path))
    }

    private static func open(_ path: String) -> (handle: FileHandle?, size: UInt64) {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let handle = FileHandle(forWritingAtPath: path)
        let size = (try? handle?.seekToEnd()) ?? 0
        return (handle, size)
    }

    func write(_ line: String) {
        let data = Data((line + "\n").utf8)
        state.withLock { state in
            if state.size + UInt64(data.count) > limit {
                try? state.handle?.close()
                try? FileManager.default.removeItem(atPath: path + ".1")
                try? FileManager.default.moveItem(atPath: path, toPath: path + ".1")
                state = Self.open(path)
            }
            try? state.handle?.write(contentsOf: data)
            state.size += UInt64(data.count)
        }
    }

    /// `$XDG_STATE_HOME/opsdeck/opsdeck.log`, else `~/.local/state/opsdeck/opsdeck.log`.
    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        return base + "/opsdeck/opsdeck.log"
    }
}

/// One line per event, as plain text: to the log file, or (`file` nil, for `opsdeck
/// serve`, which owns no screen) to standard error.
struct FileLogHandler: LogHandler {
    let label: String
    let file: LogFile?
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let extra = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let stamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        // Remote text reaches messages (server errors, crash messages): escaped, so that
        // reading the log never replays an escape sequence.
        let line = LogText.plain("\(stamp) \(event.level) \(label): \(event.message)\(extra)")
        if let file {
            file.write(line)
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}

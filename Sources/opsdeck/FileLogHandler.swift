import Foundation
import Logging
import Synchronization

/// A log file shared by every logger of the process. While the TUI owns the screen,
/// nothing may go to stdout or stderr: everything goes here.
final class LogFile: Sendable {
    let path: String
    private let handle: Mutex<FileHandle?>

    init(path: String) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let handle = FileHandle(forWritingAtPath: path)
        _ = try? handle?.seekToEnd()
        self.handle = Mutex(handle)
    }

    func write(_ line: String) {
        handle.withLock { handle in
            try? handle?.write(contentsOf: Data((line + "\n").utf8))
        }
    }

    /// `$XDG_STATE_HOME/opsdeck/opsdeck.log`, else `~/.local/state/opsdeck/opsdeck.log`.
    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        return base + "/opsdeck/opsdeck.log"
    }
}

struct FileLogHandler: LogHandler {
    let label: String
    let file: LogFile
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
        file.write("\(stamp) \(event.level) \(label): \(event.message)\(extra)")
    }
}

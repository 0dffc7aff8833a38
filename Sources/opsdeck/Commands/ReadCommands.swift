import ArgumentParser
import Foundation
import PlatformClient
import PlatformModel
import PlatformServer
import TUI

// Commands that read: the same API and client as the console, printed for people or
// for scripts (`-o json`, `-o jsonl`: the API's own field names).

/// One app's items, or every app's in the platform's order.
func eachApp<Item>(_ app: String?, _ options: ScriptOptions, _ fetch: (PlatformClient, String) throws -> [Item]) throws -> [Item] {
    let client = try options.client()
    let apps = try app.map { [$0] } ?? (client.apps().value ?? []).map(\.id)
    return try apps.flatMap { try fetch(client, $0) }
}

struct AppsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apps", abstract: "The platform's apps.")
    @OptionGroup var options: ScriptOptions

    func run() throws {
        try scripted {
            let apps = try options.client().apps().value ?? []
            try emit(apps, as: options.output, columns: ["APP", "NAME", "PLATFORM", "BUNDLE"]) { [$0.id, $0.name, $0.platform.rawValue, $0.bundleId] }
        }
    }
}

struct ReleasesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "releases", abstract: "Releases, newest first: stage, gray percentage, revision.")
    @OptionGroup var options: ScriptOptions
    @Option(name: .long, help: "Only this app's (default: every app's).", completion: .custom { _, _, prefix in cachedApps(prefix) }) var app: String?

    func run() throws {
        try scripted {
            let releases = try eachApp(app, options) { try $0.releases(app: $1).value ?? [] }
            try emit(releases, as: options.output, columns: ["APP", "VERSION", "STAGE", "GRAY", "BUILD", "REVISION", "UPDATED"]) { release in
                [release.app, release.version, release.stage.rawValue, release.stage == .gray || release.stage == .halted ? PercentText.of(release.grayPercent) : "—",
                 String(release.build), String(release.revision), WireFormat.formatDate(release.updatedAt)]
            }
        }
    }
}

struct ReleaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "One release in full, with its targeting.")
    @OptionGroup var options: ScriptOptions
    @Argument(help: "The app.", completion: .custom { _, _, prefix in cachedApps(prefix) }) var app: String
    @Argument(help: "The release's version.", completion: .custom { words, index, prefix in cachedVersions(words, index, prefix) }) var version: String

    func run() throws {
        try scripted {
            let release = try options.client().release(app: app, version: version)
            if options.output != .table { return print(try jsonText(release)) }
            let targeting = release.targeting
            let lines: [(String, String)] = [
                ("release", "\(release.app) \(release.version) (build \(release.build))"),
                ("stage", release.stage.rawValue + (release.stage == .gray ? " at \(PercentText.of(release.grayPercent))" : "")),
                ("revision", "\(release.revision) (ETag \(release.etag))"),
                ("updated", WireFormat.formatDate(release.updatedAt)),
                ("whitelist", targeting.map { $0.whitelist.isEmpty ? "—" : $0.whitelist.joined(separator: ", ") } ?? "—"),
                ("rules", targeting.map { $0.rules.isEmpty ? "—" : $0.rules.map { "\($0.attribute.rawValue) \($0.op.rawValue) \($0.values.joined(separator: ", "))" }.joined(separator: "; ") } ?? "—"),
                ("package", release.packageSize.map { "\($0) bytes" + (release.checksum.map { ", sha256 \($0)" } ?? "") } ?? "—"),
                ("notes", release.notes),
            ]
            for (name, value) in lines { print(TerminalText.padded(name, to: 10) + TerminalText.sanitized(value)) }
        }
    }
}

struct SwitchesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "switches", abstract: "Kill switches and circuit breakers.")
    @OptionGroup var options: ScriptOptions
    @Option(name: .long, help: "Only this app's (default: every app's).", completion: .custom { _, _, prefix in cachedApps(prefix) }) var app: String?

    func run() throws {
        try scripted {
            let switches = try eachApp(app, options) { try $0.switches(app: $1).value ?? [] }
            try emit(switches, as: options.output, columns: ["APP", "KEY", "KIND", "STATE", "REVISION", "CHANGED BY", "DESCRIPTION"]) { item in
                let state = item.kind == .circuitBreaker ? (item.enabled ? "closed" : "open") : (item.enabled ? "on" : "off")
                return [item.app, item.key, item.kind.rawValue, state, String(item.revision), item.updatedBy, item.description]
            }
        }
    }
}

struct IssuesCommand: ParsableCommand {
    enum Sort: String, ExpressibleByArgument, CaseIterable { case lastSeen = "last-seen", events, devices }

    static let configuration = CommandConfiguration(commandName: "issues", abstract: "Crash and ANR issues.")
    @OptionGroup var options: ScriptOptions
    @Option(name: .long, help: "Only this app's (default: every app's).", completion: .custom { _, _, prefix in cachedApps(prefix) }) var app: String?
    @Option(name: .long, help: "Only issues seen in this release.") var release: String?
    @Option(name: .long, help: "last-seen, events or devices.") var sort: Sort = .lastSeen

    func run() throws {
        try scripted {
            var issues = try eachApp(app, options) { try $0.crashIssues(app: $1).value ?? [] }
            if let release { issues = issues.filter { $0.releases.contains(release) } }
            switch sort {
            case .lastSeen: issues.sort { ($0.lastSeen, $0.fingerprint) > ($1.lastSeen, $1.fingerprint) }
            case .events: issues.sort { ($0.count, $0.fingerprint) > ($1.count, $1.fingerprint) }
            case .devices: issues.sort { ($0.affectedDevices, $0.fingerprint) > ($1.affectedDevices, $1.fingerprint) }
            }
            try emit(issues, as: options.output, columns: ["APP", "ISSUE", "STATUS", "KIND", "EVENTS", "DEVICES", "LAST SEEN", "EXCEPTION"]) { issue in
                [issue.app, issue.fingerprint, issue.status.rawValue, issue.kind.rawValue, String(issue.count), String(issue.affectedDevices),
                 WireFormat.formatDate(issue.lastSeen), "\(issue.shortExceptionType) at \(issue.culprit)"]
            }
        }
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit log, oldest first; --follow keeps printing new entries (every 2 s).")
    @OptionGroup var options: ScriptOptions
    @Option(name: .long, help: "Only entries after this time (ISO 8601, e.g. 2026-12-03T09:00:00Z).") var since: String?
    @Flag(name: .long, help: "Keep printing new entries as they are made.") var follow = false
    @Option(name: .long, help: "Stop after this many entries (with --follow too).") var max: Int?

    func run() throws {
        try scripted {
            let client = try options.client()
            let after = try since.map { text -> Date in
                guard let date = WireFormat.parseDate(text) else { throw CommandFailure(.usage, "--since must be an ISO 8601 time like 2026-12-03T09:00:00Z (got '\(text)')") }
                return date
            }
            var cursor: String?
            var entries: [AuditEntry] = []
            while true {
                let page = try client.audit(since: cursor, limit: 1000)
                entries += page.items.filter { entry in after.map { entry.at > $0 } ?? true }
                guard !page.items.isEmpty, page.nextCursor != cursor else { break }
                cursor = page.nextCursor
            }
            if let max { entries = Array(entries.prefix(max)) }
            let columns = ["ID", "AT", "ACTOR", "ROLE", "ACTION", "TARGET", "REASON"]
            func row(_ entry: AuditEntry) -> [String] {
                [String(entry.id), WireFormat.formatDate(entry.at), entry.actor, entry.role, entry.action.rawValue, entry.target, entry.reason]
            }
            guard follow else { return try emit(entries, as: options.output, columns: columns, row: row) }
            // Following: one line an entry, written at once, in the order they were made.
            var printed = 0
            func show(_ entry: AuditEntry) throws -> Bool {
                let line = options.output == .table ? row(entry).map(TerminalText.sanitized).joined(separator: "  ") : try jsonText(entry)
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
                printed += 1
                return max.map { printed < $0 } ?? true
            }
            for entry in entries { guard try show(entry) else { return } }
            var wait = 2.0
            while true {
                Thread.sleep(forTimeInterval: wait)
                let page: FeedPage<AuditEntry>
                do throws(PlatformError) {
                    page = try client.audit(since: cursor, limit: 1000)
                    wait = 2
                } catch {
                    switch error {
                    case .unreachable, .timedOut, .busy, .badResponse, .http:
                        FileHandle.standardError.write(Data("opsdeck: \(error.description); trying again in \(Int(wait)) s\n".utf8))
                        wait = Swift.min(10, wait * 2)
                    default:
                        throw CommandFailure(error)
                    }
                    continue
                }
                for entry in page.items { guard try show(entry) else { return } }
                cursor = page.nextCursor
            }
        }
    }
}

struct WhoAmICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "The token's name and role, as the server sees it.")
    @OptionGroup var options: ScriptOptions

    func run() throws {
        try scripted {
            let caller = try options.client().me()
            if options.output != .table { return print(try jsonText(caller)) }
            print("\(TerminalText.sanitized(caller.name)) (\(caller.role.rawValue))")
        }
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "This client's version and, when reachable, the server's.")
    @OptionGroup var options: ScriptOptions

    func run() throws {
        try scripted {
            var server: String?
            if (try? options.platform.resolve()) != nil { server = try? options.client().health().version }
            if options.output != .table {
                return print(try jsonText(["client": PlatformServer.version, "server": server ?? ""].filter { !$0.value.isEmpty }))
            }
            print("client \(PlatformServer.version)")
            print("server " + (server ?? "unknown (not reachable, or no --api / OPSDECK_API)"))
        }
    }
}

struct ExitCodesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exit-codes", abstract: "What opsdeck's exit statuses mean (also: opsdeck help exit-codes).",
        discussion: ExitStatus.allCases.map { TerminalText.padded(String($0.rawValue), to: 4) + $0.meaning }.joined(separator: "\n"))

    func run() {
        for status in ExitStatus.allCases { print(TerminalText.padded(String(status.rawValue), to: 4) + status.meaning) }
    }
}

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "An app's crash and ANR events, oldest first; --follow keeps printing them as they come.",
        discussion: """
            With --follow the live stream is followed after the events so far, and resumed after \
            the last event printed when the connection drops or the server restarts: none is \
            lost or printed twice. Ctrl-C ends it.
            """)
    @OptionGroup var options: ScriptOptions
    @Option(name: .long, help: "The app.", completion: .custom { _, _, prefix in cachedApps(prefix) }) var app: String
    @Flag(name: .long, help: "Keep following the live stream.") var follow = false
    @Option(name: .long, help: "Stop after this many events (with --follow too).") var max: Int?

    func run() throws {
        try scripted {
            let client = try options.client()
            var printed = 0, last: Int64 = 0
            // One line at a time, written at once: a pipe reader sees each event as it comes.
            func show(_ event: CrashEvent) throws -> Bool {
                let line: String
                switch options.output {
                case .json, .jsonl: line = try jsonText(event)
                case .table:
                    line = [WireFormat.formatDate(event.at), String(event.id), event.kind.rawValue, event.release,
                            CrashIssue.shortName(event.exceptionType), event.message].map(TerminalText.sanitized).joined(separator: "  ")
                }
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
                last = Swift.max(last, event.id)
                printed += 1
                return max.map { printed < $0 } ?? true
            }
            var cursor: String?
            var sofar: [CrashEvent] = []
            while true {
                let page: FeedPage<CrashEvent>
                do throws(PlatformError) { page = try client.crashEvents(app: app, since: cursor, limit: 1000) } catch { throw CommandFailure(error) }
                sofar += page.items
                guard !page.items.isEmpty, page.nextCursor != cursor else { break }
                cursor = page.nextCursor
            }
            if let max { sofar = Array(sofar.prefix(max)) }
            guard follow else {
                // Not a stream: a table aligned as a whole, or one JSON array.
                return try emit(sofar, as: options.output, columns: ["AT", "ID", "KIND", "RELEASE", "EXCEPTION", "MESSAGE"]) { event in
                    [WireFormat.formatDate(event.at), String(event.id), event.kind.rawValue, event.release, CrashIssue.shortName(event.exceptionType), event.message]
                }
            }
            for event in sofar { guard try show(event) else { return } }
            var wait = 1.0
            while true {
                var stop = false
                do throws(PlatformError) {
                    _ = try client.followCrashes(app: app, lastEventID: last > 0 ? String(last) : nil) { events, _ in
                        wait = 1
                        for event in events where event.id > last {
                            guard (try? show(event)) ?? false else {
                                stop = true
                                return false
                            }
                        }
                        return true
                    }
                } catch {
                    switch error {
                    case .unreachable, .timedOut, .busy, .badResponse, .http:
                        FileHandle.standardError.write(Data("opsdeck: \(error.description); resuming after event \(last) in \(Int(wait)) s\n".utf8))
                    default:
                        throw CommandFailure(error)
                    }
                }
                if stop { return }
                Thread.sleep(forTimeInterval: wait)
                wait = Swift.min(10, wait * 2)
            }
        }
    }
}

struct FunnelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "funnel", abstract: "A funnel's report: devices (or users) at each step, conversion, drop-off.")
    @OptionGroup var options: ScriptOptions
    @Argument(help: "The app.", completion: .custom { _, _, prefix in cachedApps(prefix) }) var app: String
    @Argument(help: "The funnel's id, e.g. checkout.") var funnel: String
    @Option(name: .long, help: "From (ISO 8601; default: a day before --to).") var from: String?
    @Option(name: .long, help: "To (ISO 8601; default: now).") var to: String?
    @Flag(name: .long, help: "Also each release's figures.") var byRelease = false

    func run() throws {
        try scripted {
            func date(_ text: String?, _ name: String) throws -> Date? {
                try text.map { text in
                    guard let date = WireFormat.parseDate(text) else { throw CommandFailure(.usage, "--\(name) must be an ISO 8601 time like 2026-12-03T09:00:00Z (got '\(text)')") }
                    return date
                }
            }
            let end = try date(to, "to") ?? Date()
            let start = try date(from, "from") ?? end.addingTimeInterval(-86_400)
            let client = try options.client()
            let report: FunnelReport
            do throws(PlatformError) {
                report = try client.funnelReport(app: app, funnel: funnel, from: start, to: end, byRelease: byRelease)
            } catch {
                throw CommandFailure(error)
            }
            if options.output != .table { return print(try jsonText(report)) }
            print("\(report.funnel.name) (\(report.funnel.id)), counted by \(report.funnel.countedBy.rawValue), window \(report.funnel.windowMinutes) min, "
                  + "\(WireFormat.formatDate(report.from)) to \(WireFormat.formatDate(report.to))")
            var parts: [(String, [FunnelStepResult])] = [("all releases", report.steps)]
            parts += (report.byRelease ?? [:]).sorted { $0.key > $1.key }.map { ($0.key, $0.value) }
            for (title, steps) in parts {
                print("")
                print(title)
                try emit(steps, as: .table, columns: ["STEP", "REACHED", "OVERALL", "STEP %", "LOST"]) { step in
                    [step.name, String(step.devices), String(format: "%.1f%%", step.overallConversion), String(format: "%.1f%%", step.stepConversion), String(step.dropOff)]
                }
            }
        }
    }
}

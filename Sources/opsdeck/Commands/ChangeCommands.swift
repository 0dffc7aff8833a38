import ArgumentParser
import Foundation
import PlatformClient
import PlatformModel
import TUI

// Commands that change: each reads the thing first and sends its revision as If-Match
// (or the one given with --if-revision), so that a change made in between is refused
// (exit 75), never overwritten; says what will change and to how many devices; asks
// on a terminal unless --yes; --dry-run stops there. The Idempotency-Key is made once
// and reused by the retries after a timeout, so a change is applied at most once.

struct ChangeOptions: ParsableArguments {
    @Option(name: .long, help: "Why, for the audit log (required).") var reason: String
    @Option(name: .long, help: "Change only if the thing is still at this revision (default: the one just read).") var ifRevision: Int?
    @Flag(name: .long, help: "Print what would change and for how many devices; change nothing.") var dryRun = false
    @Flag(name: [.short, .long], help: "Do not ask on the terminal.") var yes = false

    func validate() throws {
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--reason must say why (it goes in the audit log)") }
    }
}

/// Sends with one Idempotency-Key, retrying twice after a timeout or an unreachable or
/// busy server: a retry the server already applied answers the first result.
func withRetries<Answer>(_ send: (_ key: String) throws(PlatformError) -> Answer) throws -> Answer {
    let key = UUID().uuidString
    var attempt = 0
    while true {
        do {
            return try send(key)
        } catch {
            attempt += 1
            switch error {
            case .timedOut, .unreachable, .busy:
                guard attempt < 3 else { throw CommandFailure(error) }
                Thread.sleep(forTimeInterval: Double(attempt))
            default:
                throw CommandFailure(error)
            }
        }
    }
}

/// "about 1,240 of the 24,800 devices active in the last hour", from the reach.
private func activeDevices(_ client: PlatformClient, app: String) -> Int? {
    (try? client.reach(app: app).value).flatMap { $0?.devices }
}


/// Reads the release, works out the change, says it, asks, sends, prints the answer.
private func changeRelease(_ options: ScriptOptions, _ change: ChangeOptions, app: String, version: String,
                           plan: (Release) throws -> (summary: String, reach: (Int?) -> String?, send: (PlatformClient, String, String) throws(PlatformError) -> Release)) throws {
    let client = try options.client()
    let current: Release
    do throws(PlatformError) {
        current = try client.release(app: app, version: version)
    } catch {
        throw CommandFailure(error)
    }
    let (summary, reach, send) = try plan(current)
    let ifMatch = change.ifRevision.map { "\"r\($0)\"" } ?? current.etag
    var lines = ["\(app) \(version): \(summary) (revision \(current.revision)\(change.ifRevision.map { $0 == current.revision ? "" : "; you said \($0)" } ?? ""))"]
    if let radius = reach(activeDevices(client, app: app)) { lines.append(radius) }
    if change.dryRun {
        lines.append("dry run: nothing was changed")
        if options.output == .table { lines.forEach { print($0) } } else { print(try jsonText(["dryRun": "true", "change": lines[0]] )) }
        return
    }
    lines.forEach { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    try confirm("Make this change?", yes: change.yes)
    let changed = try withRetries { (key: String) throws(PlatformError) -> Release in try send(client, ifMatch, key) }
    if options.output != .table { return print(try jsonText(changed)) }
    print("\(app) \(version) is now \(changed.stage.rawValue)" + (changed.stage == .gray ? " at \(PercentText.of(changed.grayPercent))" : "")
          + " (revision \(changed.revision))")
}

struct GrayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gray", abstract: "Set a gray release's percentage.")
    @OptionGroup var options: ScriptOptions
    @Argument(help: "The app.", completion: .custom { _, _, prefix in cachedApps(prefix) }) var app: String
    @Argument(help: "The release's version.", completion: .custom { words, index, prefix in cachedVersions(words, index, prefix) }) var version: String
    @Argument(help: "The new percentage, 0.01 to 100 (e.g. 5 or 7.5).") var percent: Double
    @OptionGroup var change: ChangeOptions

    func validate() throws {
        guard percent.isFinite, percent >= 0.01, percent <= 100 else { throw ValidationError("PERCENT must be 0.01 to 100 (got \(percent))") }
    }

    func run() throws {
        try scripted {
            try changeRelease(options, change, app: app, version: version) { release in
                guard release.stage == .gray else {
                    throw CommandFailure(.changedMeanwhile, "\(app) \(version) is \(release.stage.rawValue): only a gray release has a percentage to set")
                }
                let delta = percent - release.grayPercent
                let verb = delta > 0 ? "raise" : delta < 0 ? "lower" : "keep"
                return ("\(verb) the gray from \(PercentText.of(release.grayPercent)) to \(PercentText.of(percent))",
                        { active in
                            guard let active else { return nil }
                            guard active > 0 else { return "no device of \(app) checked in the last hour: none is reached now" }
                            return "about \(GroupedNumber.of(Int((Double(active) * abs(delta) / 100).rounded()))) of the \(GroupedNumber.of(active)) devices active in the last hour "
                                + (delta > 0 ? "will be offered it" : "will no longer be offered it")
                        },
                        { client, ifMatch, key throws(PlatformError) in
                            try client.patchRelease(app: app, version: version, ReleasePatch(grayPercent: percent, reason: change.reason), ifMatch: ifMatch, idempotencyKey: key)
                        })
            }
        }
    }
}

/// halt, resume, rollback and advance: a release move by name.
enum ReleaseMove: String {
    case halt, resume, rollback, advance
}

func perform(_ move: ReleaseMove, options: ScriptOptions, change: ChangeOptions, app: String, version: String) throws {
    try changeRelease(options, change, app: app, version: version) { release in
        switch move {
        case .advance:
            guard let next = release.advancedStage else {
                throw CommandFailure(.changedMeanwhile, "\(app) \(version) is \(release.stage.rawValue): it cannot be advanced")
            }
            return ("advance from \(release.stage.rawValue) to \(next.rawValue)",
                    { active in next == .full ? active.map { "every one of the \(GroupedNumber.of($0)) devices active in the last hour will be offered it" } : nil },
                    { client, ifMatch, key throws(PlatformError) in
                        try client.patchRelease(app: app, version: version, ReleasePatch(stage: next, reason: change.reason), ifMatch: ifMatch, idempotencyKey: key)
                    })
        case .halt, .resume, .rollback:
            let allowed = move == .halt ? release.stage.canHalt : move == .resume ? release.stage.canResume : release.stage.canRollBack
            guard allowed else { throw CommandFailure(.changedMeanwhile, "\(app) \(version) is \(release.stage.rawValue): it cannot be \(move == .rollback ? "rolled back" : move.rawValue + "ed")") }
            let action: PlatformClient.ReleaseAction = move == .halt ? .halt : move == .resume ? .resume : .rollback
            return ("\(move == .rollback ? "roll back" : move.rawValue) (now \(release.stage.rawValue))", { _ in nil },
                    { client, ifMatch, key throws(PlatformError) in
                        try client.perform(action, app: app, version: version, reason: change.reason, ifMatch: ifMatch, idempotencyKey: key)
                    })
        }
    }
}

/// What names a release move on the command line.
protocol ReleaseMoveName {
    static var move: ReleaseMove { get }
    static var abstract: String { get }
}

enum HaltMove: ReleaseMoveName {
    static let move = ReleaseMove.halt
    static let abstract = "Halt a whitelist or gray release: no more offers."
}

enum ResumeMove: ReleaseMoveName {
    static let move = ReleaseMove.resume
    static let abstract = "Resume a halted release."
}

enum RollbackMove: ReleaseMoveName {
    static let move = ReleaseMove.rollback
    static let abstract = "Roll back a release: its devices are offered the previous full one."
}

enum AdvanceMove: ReleaseMoveName {
    static let move = ReleaseMove.advance
    static let abstract = "Advance a release: draft → whitelist or gray, whitelist → gray, gray → full."
}

/// `opsdeck halt|resume|rollback|advance APP VERSION --reason WHY`.
struct ReleaseMoveCommand<Name: ReleaseMoveName>: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: Name.move.rawValue, abstract: Name.abstract) }
    @OptionGroup var options: ScriptOptions
    @Argument(help: "The app.", completion: .custom { _, _, prefix in cachedApps(prefix) }) var app: String
    @Argument(help: "The release's version.", completion: .custom { words, index, prefix in cachedVersions(words, index, prefix) }) var version: String
    @OptionGroup var change: ChangeOptions

    func run() throws { try scripted { try perform(Name.move, options: options, change: change, app: app, version: version) } }
}

struct SwitchCommand: ParsableCommand {
    enum Value: String, ExpressibleByArgument, CaseIterable { case on, off, open, close }

    static let configuration = CommandConfiguration(
        commandName: "switch", abstract: "Turn a kill switch on or off, or open or close a circuit breaker.",
        discussion: "on/close let the feature or the calls through; off/open stop them (a breaker OPEN fails fast).")
    @OptionGroup var options: ScriptOptions
    @Argument(help: "The app.", completion: .custom { _, _, prefix in cachedApps(prefix) }) var app: String
    @Argument(help: "The switch's key.") var key: String
    @Argument(help: "on, off (kill switches); open, close (circuit breakers).") var value: Value
    @OptionGroup var change: ChangeOptions

    func run() throws {
        try scripted {
            let client = try options.client()
            let switches: [Switch]
            do throws(PlatformError) { switches = try client.switches(app: app).value ?? [] } catch { throw CommandFailure(error) }
            guard let item = switches.first(where: { $0.key == key }) else { throw CommandFailure(.notFound, "no switch '\(key)' in app '\(app)'") }
            let enabled = value == .on || value == .close
            let word = { (on: Bool) in item.kind == .circuitBreaker ? (on ? "CLOSED" : "OPEN") : (on ? "ON" : "OFF") }
            let ifMatch = change.ifRevision.map { "\"s\($0)\"" } ?? item.etag
            let summary = "\(app) \(key): \(word(item.enabled)) → \(word(enabled)) (revision \(item.revision)); applies to "
                + (item.scope.platforms.isEmpty ? "every platform" : item.scope.platforms.map(\.rawValue).joined(separator: ", "))
                + ", \(PercentText.of(item.scope.percent)) of devices"
            if change.dryRun {
                if options.output == .table { print(summary); print("dry run: nothing was changed") } else { print(try jsonText(["dryRun": "true", "change": summary])) }
                return
            }
            FileHandle.standardError.write(Data((summary + "\n").utf8))
            try confirm("Make this change?", yes: change.yes)
            let changed = try withRetries { (key: String) throws(PlatformError) -> Switch in
                try client.patchSwitch(app: app, key: item.key, SwitchPatch(enabled: enabled, reason: change.reason), ifMatch: ifMatch, idempotencyKey: key)
            }
            if options.output != .table { return print(try jsonText(changed)) }
            print("\(app) \(key) is now \(word(changed.enabled)) (revision \(changed.revision))")
        }
    }
}

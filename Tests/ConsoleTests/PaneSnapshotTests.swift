import Cache
import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// Every pane at 40x12 (narrow mode), 80x24 and 200x60, as text and the theme role of every cell, against the
/// files in `Snapshots/` (a colour regression shows in the diff as well as a text one); and
/// every pane with every shipped theme at both sizes, each row exactly the screen's width.
/// `OPSDECK_RECORD=1 swift test --filter PaneSnapshotTests` writes the files anew
/// (review the diff before committing).
@Suite(.serialized) struct PaneSnapshotTests {
    static let now = ConsoleTests.now
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    static let themes = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Themes").path

    /// A console with something in every pane.
    static func everything() -> ConsoleState {
        setenv("TZ", "UTC", 1)
        tzset()
        var state = ConsoleTests.loaded()
        var events: [CrashEventSummary] = []
        for id in stride(from: Int64(40), through: 1, by: -1) {
            let kind: CrashKind = id % 4 == 0 ? .anr : .crash
            let exception = id % 3 == 0 ? "java.lang.IllegalStateException" : "java.lang.NullPointerException"
            events.append(CrashesPaneTests.event(id, kind: kind, exception: exception, message: "event \(id)"))
        }
        let issues = [CrashesPaneTests.issue("a1", .regressed, count: 1234), CrashesPaneTests.issue("b2", .new), CrashesPaneTests.issue("c3", .ongoing)]
        let switches = [ControlsPaneTests.breaker("pay-api"), ControlsPaneTests.breaker("new-checkout", enabled: false)]
        let audit = [AuditEntry(id: 1, at: now.addingTimeInterval(-90), actor: "system", role: "system", action: .releaseGuardrailHalt,
                                target: "wallet-android/5.1.1", before: nil, after: nil, reason: "guardrail: crash rate 7.1% over the last 10 min is above 5.00%",
                                guardrail: GuardrailBreach(crashRate: 7.1, crashedSessions: 71, sessions: 1000, windowMinutes: 10, maxCrashRate: 5))]
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android", lastFetched: now.addingTimeInterval(-4),
                          crashEvents: events, crashEventCount: events.count, crashIssues: issues, switches: switches, audit: audit,
                          health: ["5.3.0": ReleaseHealthTests.series("5.3.0", crashFree: 97.0, users: 99.5, crashes: [0, 0, 1, 8], anrs: 9),
                                   "5.2.0": ReleaseHealthTests.series("5.2.0", crashFree: 99.4, users: 99.5, crashes: [1, 1, 1, 1], anrs: 1)]),
            SyncStatus(connection: .online, since: now, live: .live(app: "wallet-android"))))
        let definition = FunnelDefinition(app: "wallet-android", id: "checkout", name: "Checkout", steps: ["view_cart", "pay", "paid"], windowMinutes: 30)
        func steps(_ counts: [Int]) -> [FunnelStepResult] {
            counts.enumerated().map { index, count in
                FunnelStepResult(name: definition.steps[index], devices: count,
                                 stepConversion: index == 0 ? 100 : Double(count) / Double(counts[index - 1]) * 100,
                                 overallConversion: Double(count) / Double(counts[0]) * 100,
                                 dropOff: index == 0 ? 0 : counts[index - 1] - count, medianSecondsFromPrevious: index == 0 ? nil : 42)
            }
        }
        state.funnels.definitions = [definition]
        state.funnels.report = FunnelReport(funnel: definition, from: now.addingTimeInterval(-86_400), to: now, steps: steps([1000, 600, 90]),
                                            byRelease: ["5.2.0": steps([700, 450, 80]), "5.3.0": steps([300, 150, 10])])
        state.funnels.fetchedAt = now
        // The overview: eight apps as an incident brings them, and the alerts.
        var overview = CacheSnapshot(apps: ConsoleTests.apps, releases: ConsoleTests.releases, releasesApp: "wallet-android",
                                     lastFetched: now.addingTimeInterval(-4), crashEvents: events, crashEventCount: events.count, crashIssues: issues,
                                     switches: switches, audit: audit)
        overview.fleet = OverviewPaneTests.fleet
        overview.alerts = OverviewPaneTests.alerts
        _ = update(&state, .dataChanged(overview, SyncStatus(connection: .online, since: now, live: .live(app: "wallet-android"))))
        return state
    }

    static func text(_ canvas: Canvas) -> String {
        canvas.lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n") + "\n"
    }

    /// A theme that gives every role its own foreground colour and nothing else, so
    /// that the role a cell was drawn in can be read back from the cell.
    static let probe = Theme(name: "probe", roles: Dictionary(uniqueKeysWithValues: ThemeRole.allCases.enumerated().map { index, role in
        (role.rawValue, Style(fg: .indexed(UInt8(16 + index))))
    }))

    /// One letter per role, in `ThemeRole` order; `.`: a cell drawn in no role.
    static let roleLetters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

    /// The screen as a person reads it: its text, then under it the role of every cell
    /// (drawn with `probe`), and a legend of the roles used.
    static func snapshot(_ canvas: Canvas) -> String {
        var used = Set<Int>()
        var grid: [String] = []
        for y in 0..<canvas.height {
            var row = ""
            for x in 0..<canvas.width {
                guard case .indexed(let colour) = canvas[x, y].style.fg, colour >= 16, Int(colour) - 16 < ThemeRole.allCases.count else {
                    row.append(".")
                    continue
                }
                used.insert(Int(colour) - 16)
                row.append(roleLetters[Int(colour) - 16])
            }
            grid.append(row)
        }
        let legend = ThemeRole.allCases.enumerated().filter { used.contains($0.offset) }.map { "\(roleLetters[$0.offset]) \($0.element.rawValue)" }
        return text(canvas) + "--- theme roles: " + legend.joined(separator: ", ") + "\n" + grid.joined(separator: "\n") + "\n"
    }

    @Test(arguments: PaneUnit.registry.map(\.pane))
    func paneMatchesItsSnapshots(_ pane: Pane) throws {
        var state = Self.everything()
        state.pane = pane
        let title = state.unit.title
        for size in [Size(width: 40, height: 12), Size(width: 80, height: 24), Size(width: 200, height: 60)] {
            let text = Self.snapshot(view(state, theme: Self.probe, size: size))
            let file = Self.snapshots.appendingPathComponent("\(title.lowercased())-\(size.width)x\(size.height).txt")
            if ProcessInfo.processInfo.environment["OPSDECK_RECORD"] == "1" {
                try FileManager.default.createDirectory(at: Self.snapshots, withIntermediateDirectories: true)
                try text.write(to: file, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOf: file, encoding: .utf8)
            if text != expected {
                let got = file.deletingPathExtension().appendingPathExtension("actual.txt")
                try? text.write(to: got, atomically: true, encoding: .utf8)
                Issue.record("\(title) at \(size.width)x\(size.height) differs from \(file.lastPathComponent); see \(got.lastPathComponent)")
            }
        }
    }

    @Test(arguments: PaneUnit.registry.map(\.pane))
    func everyThemeDrawsThePaneWithinTheScreen(_ pane: Pane) throws {
        var state = Self.everything()
        state.pane = pane
        let unit = state.unit
        for name in Theme.available(searchPath: [Self.themes]) {
            let theme = try Theme.load(name, searchPath: [Self.themes])
            for size in [Size(width: 40, height: 12), Size(width: 80, height: 24), Size(width: 200, height: 60)] {
                let canvas = view(state, theme: theme, size: size)
                #expect(canvas.lines.count == size.height)
                #expect((0..<size.height).allSatisfy { TerminalText.width(canvas.text(row: $0)) == size.width },
                        "\(name) \(unit.title) \(size.width)x\(size.height): a row is not exactly the screen's width")
                // Every width keeps the way to every key; from 80 columns, quitting too.
                #expect(canvas.lines.last?.trimmingCharacters(in: .whitespaces).hasSuffix("? help") == true, "\(name) \(unit.title) \(size.width)x\(size.height)")
                if size.width >= 80 { #expect(canvas.lines.last?.contains("q quit") == true, "\(name) \(unit.title) \(size.width)x\(size.height)") }
                #expect(canvas.contains("\(unit.key) \(unit.title)"))
            }
        }
    }
}

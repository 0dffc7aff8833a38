import Cache
import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// The Audit pane's detail (Enter) and what the list keeps at 80 columns.
@Suite struct AuditDetailTests {
    static let now = ConsoleTests.now

    static let reason = "payments timing out at the gateway since 03:10, see INC-42; turning the breaker off until the vendor confirms the fix"

    static func entries() -> [AuditEntry] {
        func object(_ members: [String: JSONValue]) -> JSONValue { .object(members) }
        return [
            AuditEntry(id: 2, at: now.addingTimeInterval(-60), actor: "sam", role: "support", action: .switchDisable,
                       target: "wallet-android/switches/pay-api",
                       before: object(["enabled": .bool(true), "revision": .number(3), "key": .string("pay-api")]),
                       after: object(["enabled": .bool(false), "revision": .number(4), "key": .string("pay-api")]),
                       reason: reason, idempotencyKey: "5C1D-KEY"),
            AuditEntry(id: 1, at: now.addingTimeInterval(-600), actor: "rita", role: "release-manager", action: .releaseTargeting,
                       target: "wallet-android/5.3.0",
                       before: object(["targeting": object(["rules": .array([])])]),
                       after: object(["targeting": object(["rules": .array([object(["field": .string("city"), "values": .array([.string("Hangzhou"), .string("Shanghai")])])])])]),
                       reason: "pilot cities"),
        ]
    }

    static func auditPane(size: Size = ConsoleTests.size) -> ConsoleState {
        var state = ConsoleTests.loaded()
        _ = update(&state, .key(.character("6")))
        OtherOperatorsTests.read(&state, releases: ConsoleTests.releases, audit: entries())
        return state
    }

    /// The detail's row for `key` (label then value), trailing spaces trimmed.
    static func row(_ lines: [String], _ key: String) -> String? {
        lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(key + " ") }.map {
            String($0.reversed().drop { $0 == " " }.reversed())
        }
    }

    @Test func theListKeepsTheReasonAt80Columns() {
        let canvas = ConsoleTests.screen(Self.auditPane(), size: Size(width: 80, height: 24))
        let header = canvas.lines.first { $0.contains("ACTION") } ?? ""
        #expect(header.contains("REASON"))
        #expect(canvas.contains("payments timing"))
        #expect(canvas.contains("Enter details"))
    }

    @Test func enterShowsBeforeAfterTheWholeReasonActorRoleAndKey() {
        var state = Self.auditPane()
        _ = update(&state, .key(.enter))
        #expect(state.overlay == .auditEntry(id: 2))
        let lines = ConsoleTests.screen(state, size: Size(width: 80, height: 24)).lines
        let text = lines.joined(separator: "\n")
        #expect(text.contains("switch.disable  wallet-android/switches/pay-api"))
        #expect(text.contains("sam, role support"))
        #expect(text.contains("Idempotency key 5C1D-KEY"))
        #expect(Self.row(lines, "enabled")?.hasSuffix("true → false") == true)
        #expect(Self.row(lines, "revision")?.hasSuffix("3 → 4") == true)
        // The reason is wrapped, never cut: every word of it is on screen.
        let shown = lines.map { $0.replacingOccurrences(of: "│", with: " ") }.joined(separator: " ")
        for word in Self.reason.split(separator: " ") { #expect(shown.contains(word), "\(word)") }
        #expect(!text.contains("…"), "nothing of the detail is cut")
    }

    @Test func nestedValuesAreShownByPath() {
        var state = Self.auditPane()
        _ = update(&state, .key(.down))
        _ = update(&state, .key(.enter))
        let lines = ConsoleTests.screen(state, size: Size(width: 120, height: 40)).lines
        let text = lines.joined(separator: "\n")
        #expect(Self.row(lines, "targeting.rules[0].field")?.hasSuffix("— → city") == true)
        #expect(Self.row(lines, "targeting.rules[0].values[1]")?.hasSuffix("— → Shanghai") == true)
        #expect(Self.row(lines, "targeting.rules")?.hasSuffix("[] → —") == true, "an emptied or filled list says so")
        #expect(text.contains("Idempotency key — (sent without one)"))
    }
}

/// `f` in Audit: app, actor, action and time, applied as they are chosen.
@Suite struct AuditFilterTests {
    static func entries() -> [AuditEntry] {
        let now = ConsoleTests.now
        return [
            AuditEntry(id: 4, at: now.addingTimeInterval(-60), actor: "sam", role: "support", action: .switchDisable,
                       target: "wallet-ios/switches/pay-api", before: nil, after: nil, reason: "ios payments"),
            AuditEntry(id: 3, at: now.addingTimeInterval(-120), actor: "rita", role: "release-manager", action: .releaseGray,
                       target: "wallet-android/5.3.0", before: nil, after: nil, reason: "ladder"),
            AuditEntry(id: 2, at: now.addingTimeInterval(-7200), actor: "sam", role: "support", action: .switchEnable,
                       target: "wallet-android/switches/pay-api", before: nil, after: nil, reason: "recovered"),
            AuditEntry(id: 1, at: now.addingTimeInterval(-3 * 86_400), actor: "rita", role: "release-manager", action: .releaseHalt,
                       target: "wallet-android/5.2.0", before: nil, after: nil, reason: "old halt"),
        ]
    }

    @Test func thePickerNarrowsByAppActorActionAndTimeAtOnce() {
        var state = ConsoleTests.loaded()
        _ = update(&state, .key(.character("6")))
        OtherOperatorsTests.read(&state, releases: ConsoleTests.releases, audit: Self.entries())
        #expect(state.audit.map(\.id) == [4, 3, 2, 1])
        _ = update(&state, .key(.character("f")))
        #expect(ConsoleTests.screen(state).contains("Filter the audit log"))
        _ = update(&state, .key(.right))  // app: the first, wallet-android
        #expect(state.audit.map(\.id) == [3, 2, 1])
        _ = update(&state, .key(.down))
        _ = update(&state, .key(.right))  // actor: rita
        #expect(state.audit.map(\.id) == [3, 1])
        _ = update(&state, .key(.down))
        _ = update(&state, .key(.down))
        _ = update(&state, .key(.right))  // when: last hour
        #expect(state.audit.map(\.id) == [3])
        _ = update(&state, .key(.enter))
        #expect(state.auditFilterPicker == nil)
        #expect(ConsoleTests.screen(state).contains("only wallet-android · rita · last hour"))
        // A new read keeps the filter.
        OtherOperatorsTests.read(&state, releases: ConsoleTests.releases, audit: Self.entries())
        #expect(state.audit.map(\.id) == [3])
        _ = update(&state, .key(.character("f")))
        _ = update(&state, .key(.escape))  // undo only what this opening changed: nothing
        #expect(state.audit.map(\.id) == [3])
        _ = update(&state, .key(.character("f")))
        _ = update(&state, .key(.character("x")))
        #expect(state.audit.map(\.id) == [4, 3, 2, 1], "x clears every facet")
    }
}

import Foundation
import PlatformModel
import TUI

// The Audit pane's filter by app, actor, action and time: `f` opens a picker whose
// changes apply at once (as the crash filter's do); `/` words apply on top of it.

/// How far back the Audit list goes.
public enum AuditPeriod: Int, CaseIterable, Sendable {
    case any, hour, day, week

    var title: String {
        switch self {
        case .any: "any time"
        case .hour: "last hour"
        case .day: "last 24 hours"
        case .week: "last 7 days"
        }
    }

    var seconds: TimeInterval? {
        switch self {
        case .any: nil
        case .hour: 3600
        case .day: 86_400
        case .week: 7 * 86_400
        }
    }
}

public struct AuditFilter: Sendable, Equatable {
    public var app: String?
    public var actor: String?
    public var action: String?
    public var period: AuditPeriod = .any

    public init() {}

    func matches(_ entry: AuditEntry, now: Date) -> Bool {
        (app.map { auditApp(of: entry) == $0 } ?? true)
            && (actor.map { entry.actor == $0 } ?? true)
            && (action.map { entry.action.rawValue == $0 } ?? true)
            && (period.seconds.map { now.timeIntervalSince(entry.at) <= $0 } ?? true)
    }

    /// "wallet-ios · sam · switch.disable · last hour", or nil without a filter.
    var text: String? {
        let parts = [app, actor, action, period == .any ? nil : period.title].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: " · ")
    }
}

/// The app an entry is about: its target's first part ("wallet-ios/5.3.0").
func auditApp(of entry: AuditEntry) -> String {
    String(entry.target.prefix { $0 != "/" })
}

public struct AuditFilterPicker: Sendable, Equatable {
    public enum Row: Int, CaseIterable, Sendable {
        case app, actor, action, period

        var title: String {
            switch self {
            case .app: "App"
            case .actor: "Actor"
            case .action: "Action"
            case .period: "When"
            }
        }
    }

    public var row: Row = .app
    public var before: AuditFilter
}

/// What a row offers, "all" (nil) first, from the entries the console holds.
private func choices(for row: AuditFilterPicker.Row, _ state: ConsoleState) -> [String?] {
    let entries = state.lastSnapshot?.audit ?? state.audit
    switch row {
    case .app: return [nil] + Set(entries.map(auditApp)).sorted()
    case .actor: return [nil] + Set(entries.map(\.actor)).sorted()
    case .action: return [nil] + Set(entries.map(\.action.rawValue)).sorted()
    case .period: return AuditPeriod.allCases.map { $0 == .any ? nil : String($0.rawValue) }
    }
}

private func value(of row: AuditFilterPicker.Row, in filter: AuditFilter) -> String? {
    switch row {
    case .app: filter.app
    case .actor: filter.actor
    case .action: filter.action
    case .period: filter.period == .any ? nil : String(filter.period.rawValue)
    }
}

private func set(_ row: AuditFilterPicker.Row, to value: String?, in filter: inout AuditFilter) {
    switch row {
    case .app: filter.app = value
    case .actor: filter.actor = value
    case .action: filter.action = value
    case .period: filter.period = value.flatMap { Int($0) }.flatMap(AuditPeriod.init(rawValue:)) ?? .any
    }
}

func handleAuditFilterPicker(_ key: Key, _ state: inout ConsoleState) -> [Effect] {
    guard var picker = state.auditFilterPicker else { return [] }
    let snapshot = state
    let (filter, open, effects) = handleFacetPicker(
        key, row: &picker.row, rows: AuditFilterPicker.Row.allCases, filter: state.auditFilter, before: picker.before, empty: AuditFilter(),
        choices: { choices(for: $0, snapshot) }, value: value(of:in:), set: set)
    state.auditFilterPicker = open ? picker : nil
    if filter != state.auditFilter {
        state.auditFilter = filter
        refilter(&state)
    }
    return effects
}

func drawAuditFilterPicker(_ picker: AuditFilterPicker, state: ConsoleState, theme: Theme, into canvas: inout Canvas, area: Rect) {
    let rows = AuditFilterPicker.Row.allCases.map { row in
        (row.title, row == .period ? state.auditFilter.period.title : value(of: row, in: state.auditFilter) ?? "all", row == picker.row)
    }
    drawFacetPicker("Filter the audit log", rows: rows, note: "\(grouped(state.audit.count)) of the cached entries match", theme: theme,
                    into: &canvas, area: area)
}

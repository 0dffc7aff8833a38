import Foundation
import PlatformModel
import TUI

// A switch in full (Enter in Breakers): what it guards, where it applies, its state in
// words, how far the current value has reached, and every change to it from the audit
// log, newest first, with who, in what role, and why.

func switchOverlay(_ key: String, state: ConsoleState, theme: Theme, width: Int) -> (String, [[Span]]) {
    guard let item = state.switches.first(where: { $0.key == key }) else {
        return ("Switch \(key)", [[Span("No longer listed for \(state.appID ?? "this app").", style: theme.style(.muted))]])
    }
    let label = theme.style(.muted)
    var lines: [[Span]] = []
    func field(_ name: String, _ value: String, _ style: Style? = nil) {
        for (index, line) in TerminalText.wrapped(value, to: max(10, width - 14)).enumerated() {
            lines.append([Span(TerminalText.padded(index == 0 ? name : "", to: 14), style: label), Span(line, style: style)])
        }
    }
    let kind = item.kind == .circuitBreaker ? "circuit breaker" : "kill switch"
    lines.append([Span(item.key, style: Style(attributes: .bold)), Span("  \(kind) of \(item.app)", style: label)])
    field("State", switchWord(item.kind, enabled: item.enabled), theme.style(item.enabled ? .toggleOn : .toggleOff).adding(.bold))
    field("Guards", item.description)
    if let rules = item.rules {
        let strategies = rules.strategies.isEmpty ? ["everyone (no strategy)"] : rules.strategies.map(strategyText)
        for (index, strategy) in strategies.enumerated() {
            field(index == 0 ? "Rules" : "  or", index == 0 ? "Unleash: " + strategy : strategy)
        }
        if let variants = rules.variants, !variants.isEmpty {
            field("Variants", variants.map { "\($0.name) \($0.weight)" }.joined(separator: ", "))
        }
    } else {
        field("Applies to", scopeText(item.scope))
    }
    if let counts = state.reach?.switchReach(item.key), counts.on + counts.off > 0 {
        let told = item.enabled ? counts.on : counts.off
        field("Reached", "\(grouped(told)) of \(count(counts.on + counts.off, "device")) that checked in the last hour have it")
    }
    if let use = item.sdk {
        field("Unleash SDKs", "last hour \(grouped(use.hourYes)) on, \(grouped(use.hourNo)) off; last day \(grouped(use.dayYes)) on, "
              + "\(grouped(use.dayNo)) off; \(count(use.clients, "client")) seen today")
    } else {
        field("Unleash SDKs", "no Unleash SDK has reported evaluating it", label)
    }
    field("Changed", "by \(item.updatedBy), \(timestamp(item.updatedAt, now: state.shownNow)), revision \(item.revision)")
    lines.append([])
    let target = "\(item.app)/switches/\(item.key)"
    let history = (state.lastSnapshot?.audit ?? state.audit).filter { $0.target == target }
    lines.append([Span("History", style: Style(attributes: .bold)),
                  Span(history.isEmpty ? "  no change in the cached audit log" : "  newest first, from the audit log", style: label)])
    for entry in history {
        let value = entry.after?["enabled"].flatMap { value -> Bool? in
            if case .bool(let flag) = value { return flag }
            return nil
        }
        let what = value.map { switchState(item.kind, enabled: $0) } ?? entry.action.rawValue
        let when = LocalTime(entry.at).format(date: true, year: false, seconds: true)
        let head = "\(when)  \(TerminalText.padded(what, to: 6))  \(entry.actor) (\(entry.role)): "
        let wrapped = TerminalText.wrapped(entry.reason, to: max(10, width - 2 - TerminalText.width(head)))
        for (index, line) in wrapped.enumerated() {
            lines.append([Span("  "), Span(index == 0 ? head : String(repeating: " ", count: TerminalText.width(head)), style: index == 0 ? nil : label),
                          Span(line)])
        }
    }
    return ("Switch \(item.key)", lines)
}

/// One Unleash strategy in words: "flexibleRollout 60 % by deviceId, if appVersion
/// SEMVER_GT 5.2.0 and model STR_STARTS_WITH pixel, in segment 1".
func strategyText(_ strategy: UnleashStrategy) -> String {
    var text = strategy.name
    switch strategy.name {
    case "flexibleRollout":
        text += " \(strategy.parameters["rollout"] ?? "0") % by \(strategy.parameters["stickiness"] ?? "default")"
    case "userWithId":
        text += " \(strategy.parameters["userIds"] ?? "")"
    case "remoteAddress":
        text += " \(strategy.parameters["IPs"] ?? "")"
    default:
        break
    }
    let conditions = strategy.constraints.map { constraint in
        let values = constraint.value.map { [$0] } ?? constraint.values
        return "\(constraint.contextName) \(constraint.inverted ? "NOT " : "")\(constraint.operator) \(values.joined(separator: ", "))"
    }
    if !conditions.isEmpty { text += ", if " + conditions.joined(separator: " and ") }
    if !strategy.segments.isEmpty { text += ", in segment " + strategy.segments.map(String.init).joined(separator: ", ") }
    return text
}

import Foundation
import PlatformModel
import TUI

// The Breakers pane's forms: `n` a new kill switch or circuit breaker, `e` the selected
// one's description and scope (platforms, versions, city, model, network, OS version,
// percentage). The key and kind of a
// switch never change: a different one is a new switch.

/// `n`: a new switch of the app.
func openNewSwitchForm(_ state: inout ConsoleState) -> [Effect] {
    guard let app = state.appID else { return [] }
    state.form = Form(purpose: .newSwitch(app: app), title: "New kill switch or circuit breaker of \(app)", fields: [
        .init(label: "Key", wire: "key", value: "", help: "lower-case, e.g. risk-api or new-checkout"),
        .init(label: "Kind", wire: "kind", value: "breaker", help: "breaker (guards calls to a dependency) or kill switch (turns a feature off)"),
        .init(label: "Guards", wire: "description", value: "", help: "what it guards, as people on call will read it"),
    ] + scopeFields(SwitchScope()) + [
        .init(label: "Reason", wire: "reason", value: "", help: "why, for the audit log; Enter sends"),
    ])
    return []
}

/// `e`: the selected switch's description and scope.
func openEditSwitchForm(_ item: Switch, _ state: inout ConsoleState) -> [Effect] {
    var form = Form(purpose: .editSwitch(app: item.app, key: item.key),
                    title: "Edit \(item.kind == .circuitBreaker ? "circuit breaker" : "kill switch") \(item.key) of \(item.app)", fields: [
        .init(label: "Guards", wire: "description", value: item.description, help: "what it guards, as people on call will read it"),
    ] + scopeFields(item.scope) + [
        .init(label: "Reason", wire: "reason", value: "", help: "why, for the audit log; Enter sends"),
    ])
    form.ifMatch = item.etag
    state.form = form
    return []
}

private func scopeFields(_ scope: SwitchScope) -> [Form.Field] {
    let versions = scope.minVersion == nil && scope.maxVersion == nil ? "" : "\(scope.minVersion ?? "")..\(scope.maxVersion ?? "")"
    func rule(_ attribute: TargetingRule.Attribute) -> String {
        scope.rules.first { $0.attribute == attribute }.map(ruleFieldText) ?? ""
    }
    return [
        .init(label: "Platforms", wire: "scope.platforms", value: scope.platforms.map(\.rawValue).joined(separator: ", "),
              help: "android, ios, harmony, comma-separated · empty: every platform"),
        .init(label: "App versions", wire: "scope.minVersion", value: versions, help: "5.2.0..5.4.0 (both included), 5.2.0.., ..5.4.0 · empty: every version"),
        .init(label: "City", wire: "city", value: rule(.city), help: "in Hangzhou, Shanghai · not in Beijing · empty: any"),
        .init(label: "Model", wire: "model", value: rule(.model), help: "in Pixel 8, iPhone 15 · not in … · empty: any"),
        .init(label: "Network", wire: "network", value: rule(.network), help: "in wifi, 5g · not in 3g · empty: any"),
        .init(label: "OS version", wire: "osVersion", value: rule(.osVersion), help: "in 17.2, 17.3 · not in 15 · empty: any"),
        .init(label: "Devices", wire: "scope.percent", value: percentText(scope.percent), help: "the whole-percent share of devices it applies to: 100%, 25%, 5%"),
    ]
}

/// A rule as the forms write it: "in a, b", "not in a", "low..high".
func ruleFieldText(_ rule: TargetingRule) -> String {
    switch rule.op {
    case .in: "in " + rule.values.joined(separator: ", ")
    case .notIn: "not in " + rule.values.joined(separator: ", ")
    case .inRange: rule.values.joined(separator: "..")
    }
}

func switchDraft(_ form: Form, reason: String) throws(FieldError) -> SwitchDraft {
    let kindText = form.value("kind").lowercased()
    let kind: SwitchKind
    switch kindText {
    case "breaker", "circuit breaker", "circuit_breaker": kind = .circuitBreaker
    case "kill switch", "kill", "kill_switch", "switch": kind = .killSwitch
    default: throw FieldError(wire: "kind", message: "Kind: breaker or kill switch (got '\(form.value("kind"))')")
    }
    let draft = SwitchDraft(key: form.value("key"), kind: kind, description: form.value("description"), scope: try formScope(form), reason: reason)
    if let problem = draft.problem { throw FieldError(wire: String(problem.prefix { $0 != " " }), message: problem) }
    return draft
}

func switchPatch(_ form: Form, reason: String) throws(FieldError) -> SwitchPatch {
    let patch = SwitchPatch(description: form.value("description"), scope: try formScope(form), reason: reason)
    if let problem = patch.problem { throw FieldError(wire: String(problem.prefix { $0 != " " }), message: problem) }
    return patch
}

/// The scope the form's Platforms, App versions and Devices fields describe.
func formScope(_ form: Form) throws(FieldError) -> SwitchScope {
    var platforms: [Platform] = []
    for name in form.value("scope.platforms").lowercased().split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
        guard let platform = Platform(rawValue: name) else {
            throw FieldError(wire: "scope.platforms", message: "Platforms: '\(name)' is not one of \(Platform.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        platforms.append(platform)
    }
    var minVersion: String?, maxVersion: String?
    let versions = form.value("scope.minVersion")
    if !versions.isEmpty {
        let bounds = versions.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
        guard bounds.count == 2 else {
            throw FieldError(wire: "scope.minVersion", message: "App versions: low..high, low.. or ..high (got '\(versions)')")
        }
        minVersion = bounds[0].isEmpty ? nil : bounds[0]
        maxVersion = bounds[1].isEmpty ? nil : bounds[1]
    }
    let percentText = form.value("scope.percent").replacingOccurrences(of: "%", with: "").trimmingCharacters(in: .whitespaces)
    guard let percent = Double(percentText.isEmpty ? "100" : percentText) else {
        throw FieldError(wire: "scope.percent", message: "Devices: a percentage like 100% or 25% (got '\(form.value("scope.percent"))')")
    }
    var rules: [TargetingRule] = []
    for attribute in TargetingRule.Attribute.allCases {
        if let rule = try parseRule(form.value(attribute.rawValue), attribute) { rules.append(rule) }
    }
    let scope = SwitchScope(platforms: platforms, minVersion: minVersion, maxVersion: maxVersion, rules: rules, percent: percent)
    if let problem = scope.problem {
        let wire = problem.hasPrefix("scope.maxVersion") ? "scope.minVersion"
            : problem.hasPrefix("scope.rules") ? TargetingRule.Attribute.allCases.first { problem.contains($0.rawValue) }?.rawValue ?? "city"
            : String(problem.prefix { $0 != " " })
        throw FieldError(wire: wire, message: problem)
    }
    return scope
}

import Foundation
import PlatformModel
import TUI

// The Funnels pane's forms: `n` a new funnel definition, `e` the selected one's name,
// steps, window and what it counts.

func openNewFunnelForm(_ state: inout ConsoleState) -> [Effect] {
    guard let app = state.appID else { return [] }
    state.form = Form(purpose: .newFunnel(app: app), title: "New funnel of \(app)", fields: [
        .init(label: "Id", wire: "id", value: "", help: "lower-case, e.g. onboarding; it names the funnel in the API"),
    ] + funnelFields(nil))
    return []
}

func openEditFunnelForm(_ funnel: FunnelDefinition, _ state: inout ConsoleState) -> [Effect] {
    var form = Form(purpose: .editFunnel(app: funnel.app, id: funnel.id), title: "Edit funnel \(funnel.id) of \(funnel.app)", fields: funnelFields(funnel))
    form.ifMatch = funnel.etag
    state.form = form
    return []
}

private func funnelFields(_ funnel: FunnelDefinition?) -> [Form.Field] {
    [
        .init(label: "Name", wire: "name", value: funnel?.name ?? "", help: "as people will read it, e.g. Checkout"),
        .init(label: "Steps", wire: "steps", value: funnel?.steps.joined(separator: " > ") ?? "",
              help: "event names in order, 2 to 20: open_cart > checkout > pay"),
        .init(label: "Window", wire: "windowMinutes", value: funnel.map { "\($0.windowMinutes)" } ?? "30",
              help: "minutes from the first step to reach each next one (1 to 10080)"),
        .init(label: "Counted by", wire: "countedBy", value: funnel?.countedBy.rawValue ?? "device",
              help: "device, or user (the signed-in user across their devices)"),
        .init(label: "Reason", wire: "reason", value: "", help: "why, for the audit log; Enter sends"),
    ]
}

func funnelDraft(_ form: Form, reason: String) throws(FieldError) -> FunnelDraft {
    let steps = form.value("steps").components(separatedBy: ">").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard let window = Int(form.value("windowMinutes").replacingOccurrences(of: "min", with: "").trimmingCharacters(in: .whitespaces)) else {
        throw FieldError(wire: "windowMinutes", message: "Window: a whole number of minutes (got '\(form.value("windowMinutes"))')")
    }
    guard let counted = FunnelCount(rawValue: form.value("countedBy").lowercased()) else {
        throw FieldError(wire: "countedBy", message: "Counted by: device or user (got '\(form.value("countedBy"))')")
    }
    var id: String?
    if case .newFunnel = form.purpose { id = form.value("id") }
    let draft = FunnelDraft(id: id, name: form.value("name"), steps: steps, windowMinutes: window, countedBy: counted, reason: reason)
    if let problem = draft.problem {
        let wire = String(problem.prefix { $0 != " " && $0 != ":" })
        throw FieldError(wire: wire, message: problem)
    }
    return draft
}

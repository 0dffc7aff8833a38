import Foundation
import PlatformModel
import TUI

// A form over the pane: labelled one-line fields the person fills in (a new draft
// release, a release's targeting), a line that says what it will do (for targeting,
// the devices it reaches, asked of the server as the person moves between fields), and
// the server's answer. Tab or ↑↓ move between fields, Enter on the last one (the
// reason) sends, Esc cancels. An error names its field and puts the cursor there.

/// One form being filled in.
public struct Form: Sendable, Equatable {
    public enum Purpose: Sendable, Equatable {
        case newRelease(app: String)
        case targeting(app: String, version: String)
        case newSwitch(app: String)
        case editSwitch(app: String, key: String)
        case newFunnel(app: String)
        case editFunnel(app: String, id: String)
    }

    public struct Field: Sendable, Equatable {
        public var label: String
        /// The name the API gives it: a server error naming it puts the cursor here.
        public var wire: String
        public var value: String
        /// How to write it, shown under the field while it has the cursor.
        public var help: String
    }

    public var purpose: Purpose
    public var title: String
    public var fields: [Field]
    public var focus = 0
    public var ifMatch: String?
    public var idempotencyKey = UUID().uuidString
    public var phase: ActionDialog.Phase = .editing
    /// The field the last error was about.
    public var errorField: Int?
    /// What the form will do, in words (for targeting: the reach the server counted).
    public var preview: String?
    /// The targeting `preview` was counted for.
    public var previewed: Targeting?

    public static let maximumValueLength = 500

    public func value(_ wire: String) -> String {
        fields.first { $0.wire == wire }?.value.trimmingCharacters(in: .whitespaces) ?? ""
    }
}

/// A field the person got wrong, and why.
struct FieldError: Error, Equatable {
    var wire: String
    var message: String
}

/// Keys while a form is open.
func handleForm(_ key: Key, _ state: inout ConsoleState) -> [Effect] {
    guard var form = state.form else { return [] }
    if form.phase == .sending {
        if key == .control("c") { return [.quit] }
        state.flash = Flash(text: "waiting for the server's answer…", isError: false, shownAt: state.now)
        return []
    }
    let last = form.fields.count - 1
    switch key {
    case .escape:
        state.form = nil
        state.flash = Flash(text: "cancelled: nothing was sent", isError: false, shownAt: state.now)
        return []
    case .control("c"):
        return [.quit]
    case .tab, .down:
        form.focus = min(last, form.focus + 1)
    case .backTab, .up:
        form.focus = max(0, form.focus - 1)
    case .enter where form.focus < last:
        form.focus += 1
    case .enter:
        switch formRequest(form) {
        case .failure(let error):
            form.phase = .failed(error.message)
            form.errorField = form.fields.firstIndex { $0.wire == error.wire }
            form.focus = form.errorField ?? form.focus
            state.form = form
            return []
        case .success:
            form.phase = .sending
            form.errorField = nil
            state.form = form
            return [.submitForm(form)]
        }
    default:
        guard editLine(&form.fields[form.focus].value, key, limit: Form.maximumValueLength) else { break }
        if case .failed = form.phase { form.phase = .editing }
        form.errorField = nil
        state.form = form
        return []
    }
    state.form = form
    return previewIfChanged(&state)
}

/// What the form sends, once every field reads.
enum FormRequest: Sendable, Equatable {
    case createRelease(app: String, ReleaseDraft)
    case setTargeting(app: String, version: String, Targeting, reason: String)
    case createSwitch(app: String, SwitchDraft)
    case editSwitch(app: String, key: String, SwitchPatch)
    case createFunnel(app: String, FunnelDraft)
    case editFunnel(app: String, id: String, FunnelDraft)
}

/// What the server answered a form with.
public enum FormAnswer: Sendable, Equatable {
    case release(Release)
    case switchItem(Switch)
    case funnel(FunnelDefinition)
}

func formRequest(_ form: Form) -> Result<FormRequest, FieldError> {
    do throws(FieldError) {
        let reason = form.value("reason")
        guard !reason.isEmpty else { throw FieldError(wire: "reason", message: "Reason: say why, for the audit log") }
        switch form.purpose {
        case .newRelease(let app):
            return .success(.createRelease(app: app, try releaseDraft(form, reason: reason)))
        case .targeting(let app, let version):
            return .success(.setTargeting(app: app, version: version, try formTargeting(form), reason: reason))
        case .newSwitch(let app):
            return .success(.createSwitch(app: app, try switchDraft(form, reason: reason)))
        case .editSwitch(let app, let key):
            return .success(.editSwitch(app: app, key: key, try switchPatch(form, reason: reason)))
        case .newFunnel(let app):
            return .success(.createFunnel(app: app, try funnelDraft(form, reason: reason)))
        case .editFunnel(let app, let id):
            return .success(.editFunnel(app: app, id: id, try funnelDraft(form, reason: reason)))
        }
    } catch {
        return .failure(error)
    }
}

/// A targeting form that reads asks the server how far it reaches, once per change,
/// as the person moves between fields.
private func previewIfChanged(_ state: inout ConsoleState) -> [Effect] {
    guard var form = state.form, case .targeting(let app, _) = form.purpose else { return [] }
    guard let targeting = try? formTargeting(form) else {
        return []
    }
    guard targeting != form.previewed else { return [] }
    form.previewed = targeting
    form.preview = "counting the devices it reaches…"
    state.form = form
    return [.previewTargeting(app: app, targeting)]
}

/// The server's count for a targeting: shown if it is still the one in the form.
func targetingPreviewed(_ targeting: Targeting, _ result: Result<TargetingReach, PlatformFailure>, _ state: inout ConsoleState) {
    guard var form = state.form, form.previewed == targeting else { return }
    switch result {
    case .success(let reach):
        form.preview = reachText(reach, targeting)
    case .failure(let failure):
        form.preview = "reach unknown: \(failure.description)"
    }
    state.form = form
}

/// "Reaches 1,229 of 8,000 devices active in the last hour: 5 whitelisted, 1,224 match every rule (city 2,100 · OS 6,050)."
func reachText(_ reach: TargetingReach, _ targeting: Targeting) -> String {
    var text = "Reaches \(grouped(reach.reached)) of \(count(reach.activeDevices, "device")) active in the last \(reach.windowMinutes) min: "
        + "\(grouped(reach.whitelisted)) whitelisted"
    if !targeting.rules.isEmpty {
        let each = zip(targeting.rules, reach.byRule).map { "\(attributeName($0.attribute)) \(grouped($1))" }.joined(separator: " · ")
        text += ", \(grouped(reach.matchingRules)) match every rule (\(each))"
    } else {
        text += ", every device matches (no rules)"
    }
    if !reach.windowOpen { text += "; the window is closed now, so only the whitelist is offered" }
    return text + "."
}

func attributeName(_ attribute: TargetingRule.Attribute) -> String {
    switch attribute {
    case .city: "city"
    case .model: "model"
    case .network: "network"
    case .osVersion: "OS"
    }
}

/// The server answered a form.
func formFinished(_ key: String, _ result: Result<FormAnswer, PlatformFailure>, _ state: inout ConsoleState) -> [Effect] {
    guard var form = state.form, form.idempotencyKey == key else { return [] }
    switch result {
    case .success(.release(let release)):
        state.form = nil
        switch form.purpose {
        case .newRelease:
            state.flash = Flash(text: "\(release.version) created as a draft (build \(release.build), revision \(release.revision)); "
                                + "t sets its targeting, A advances it", isError: false, shownAt: state.now)
            state.pane = .releases
            state.filters[.releases] = nil
            state.pendingFocus = PendingFocus(list: .releases, id: release.version)
        default:
            if let index = state.releases.firstIndex(where: { $0.version == release.version }) { state.releases[index] = release }
            state.flash = Flash(text: "\(release.version)'s targeting saved (confirmed by the server, revision \(release.revision))",
                                isError: false, shownAt: state.now)
        }
        return [.refresh]
    case .success(.switchItem(let item)):
        state.form = nil
        if let index = state.switches.firstIndex(where: { $0.key == item.key }) { state.switches[index] = item }
        let what = item.kind == .circuitBreaker ? "circuit breaker" : "kill switch"
        if case .newSwitch = form.purpose {
            state.flash = Flash(text: "\(what) \(item.key) created, \(switchWord(item.kind, enabled: item.enabled)) (revision 1); space flips it",
                                isError: false, shownAt: state.now)
            state.filters[.switches] = nil
            state.pendingFocus = PendingFocus(list: .switches, id: item.key)
        } else {
            state.flash = Flash(text: "\(item.key) now applies to \(scopeText(item.scope)) (confirmed by the server, revision \(item.revision))",
                                isError: false, shownAt: state.now)
        }
        return [.refresh]
    case .success(.funnel(let funnel)):
        state.form = nil
        var view = state.funnels
        if let index = view.definitions.firstIndex(where: { $0.id == funnel.id }) {
            view.definitions[index] = funnel
        } else {
            view.definitions.append(funnel)
            view.definitions.sort { $0.id < $1.id }
        }
        state.funnels = view
        state.selection[.funnels] = view.definitions.firstIndex { $0.id == funnel.id }
        state.flash = Flash(text: "funnel \(funnel.id) saved: \(funnel.steps.count) steps, \(funnel.windowMinutes) min, by \(funnel.countedBy.rawValue) "
                            + "(revision \(funnel.revision ?? 1))", isError: false, shownAt: state.now)
        return loadReport(&state)
    case .failure(let failure):
        // A 422 or 409 names the field: the cursor goes there.
        let named = form.fields.indices.first { index in
            let wire = form.fields[index].wire
            return failure.description.contains(": \(wire) ") || failure.description.contains(": \(wire):") || failure.description.contains(": \(wire).")
        }
        form.errorField = named
        form.focus = named ?? form.focus
        if failure.description.contains("(412)") {
            // Someone changed it since the form opened: a new request, with a new key.
            form.idempotencyKey = UUID().uuidString
        }
        form.phase = .failed(failure.description + " — Enter retries, Esc gives up")
        state.form = form
        return []
    }
}

/// A box in the middle of the pane: the fields, the one with the cursor highlighted and
/// its syntax under it, what the form will do, and what happened to the last attempt.
func drawForm(_ form: Form, context: ConsoleContext?, theme: Theme, into canvas: inout Canvas, area: Rect) {
    let width = min(area.width - 2, 96)
    let labelWidth = min(16, max(8, width / 5))
    let previewLines = form.preview.map { TerminalText.wrapped($0, to: width - 4) } ?? []
    let height = min(area.height, form.fields.count + 6 + previewLines.count)
    let box = Rect(x: area.x + (area.width - width) / 2, y: area.y + max(0, (area.height - height) / 2), width: width, height: height)
    let style = theme.style(.header)
    let rule = theme.style(.muted).over(style)
    canvas.fill(box, style: style)
    canvas.put(String(repeating: "─", count: box.width), x: box.x, y: box.y, style: rule)
    canvas.put(spans: changeTitle(form.title, context: context, theme: theme, on: style), x: box.x + 2, y: box.y, maxWidth: box.width - 4, base: style)
    var y = box.y + 1
    let bottom = box.maxY - 1
    for (index, field) in form.fields.enumerated() where y < bottom - 2 {
        let focused = index == form.focus
        let labelStyle = index == form.errorField ? theme.style(.statusCrit).over(style).adding(.bold) : style.adding(focused ? .bold : [])
        canvas.put(TerminalText.padded(field.label, to: labelWidth), x: box.x + 2, y: y, style: labelStyle)
        let cell = Rect(x: box.x + 3 + labelWidth, y: y, width: box.width - 5 - labelWidth, height: 1)
        let valueStyle = focused ? theme.style(.tableSelected) : style
        canvas.fill(cell, style: valueStyle)
        if focused {
            let room = cell.width - 1
            let shown = TerminalText.width(field.value) > room ? "…" + String(field.value.suffix(room - 1)) : field.value
            canvas.put(shown + (form.phase == .sending ? "" : "▏"), x: cell.x, y: y, maxWidth: cell.width, style: valueStyle)
        } else if field.value.isEmpty {
            canvas.put(field.help, x: cell.x, y: y, maxWidth: cell.width, style: rule)
        } else {
            canvas.put(field.value, x: cell.x, y: y, maxWidth: cell.width, style: valueStyle)
        }
        y += 1
    }
    if form.fields.indices.contains(form.focus), y < bottom {
        canvas.put("  " + form.fields[form.focus].help, x: box.x + 2 + labelWidth, y: y, maxWidth: box.width - 4 - labelWidth, style: rule)
        y += 1
    }
    for line in previewLines where y < bottom - 1 {
        canvas.put(line, x: box.x + 2, y: y, maxWidth: box.width - 4, style: theme.style(.accent).over(style))
        y += 1
    }
    let status: Span
    switch form.phase {
    case .editing: status = Span("Tab/↑↓ move · Enter on Reason sends" + (form.ifMatch.map { " with If-Match \($0)" } ?? "") + " · Esc cancels", style: rule)
    case .sending: status = Span("sending… waiting for the server's answer", style: theme.style(.statusWarn).over(style))
    case .failed(let message): status = Span(message, style: theme.style(.flashError).over(style))
    }
    canvas.put(status.text, x: box.x + 2, y: bottom - 1, maxWidth: box.width - 4, style: status.style ?? style)
    canvas.put(String(repeating: "─", count: box.width), x: box.x, y: bottom, style: rule)
}

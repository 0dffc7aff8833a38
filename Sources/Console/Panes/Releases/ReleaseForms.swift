import Foundation
import PlatformModel
import TUI

// The Releases pane's forms: `n` a new draft release, `t` the selected release's
// targeting (whitelist, rules, window) with the devices it reaches counted as it is
// edited. What the person types is read here; the server checks it again.

/// `n`: a draft release of the app, as mPaaS records one.
func openNewReleaseForm(_ state: inout ConsoleState) -> [Effect] {
    guard let app = state.appID else { return [] }
    let newest = state.releases.max { VersionOrder.compare($0.version, $1.version) == .orderedAscending }
    state.form = Form(purpose: .newRelease(app: app), title: "New draft release of \(app)", fields: [
        .init(label: "Version", wire: "version", value: "", help: "e.g. " + (newest.map { "newer than \($0.version)" } ?? "5.4.0")),
        .init(label: "Build", wire: "build", value: newest.map { String($0.build + 1) } ?? "", help: "a whole number, e.g. 540"),
        .init(label: "Notes", wire: "notes", value: "", help: "what is new, as users will read it"),
        .init(label: "Package size", wire: "packageSize", value: "", help: "bytes, or with a unit: 48213004, 46 MB, 1.2 GB"),
        .init(label: "SHA-256", wire: "checksum", value: "", help: "the package's checksum: 64 hex digits"),
        .init(label: "Reason", wire: "reason", value: "", help: "why, for the audit log; Enter sends"),
    ])
    return []
}

/// `t`: the selected release's targeting, filled in with what it has.
func openTargetingForm(_ release: Release, _ state: inout ConsoleState) -> [Effect] {
    let targeting = release.targeting ?? Targeting()
    func rule(_ attribute: TargetingRule.Attribute) -> String {
        targeting.rules.first { $0.attribute == attribute }.map(ruleFieldText) ?? ""
    }
    var window = ""
    if targeting.startsAt != nil || targeting.endsAt != nil {
        window = (targeting.startsAt.map(formTime) ?? "") + " .. " + (targeting.endsAt.map(formTime) ?? "")
    }
    var form = Form(purpose: .targeting(app: release.app, version: release.version),
                    title: "Targeting of \(release.app) \(release.version) (\(release.stage.rawValue))", fields: [
        .init(label: "Whitelist", wire: "whitelist", value: targeting.whitelist.joined(separator: ", "),
              help: "device ids or patterns, comma-separated: qa-01, qa-*"),
        .init(label: "City", wire: "city", value: rule(.city), help: "in Hangzhou, Shanghai · not in Beijing · empty: any"),
        .init(label: "Model", wire: "model", value: rule(.model), help: "in Pixel 8, iPhone 15 · not in … · empty: any"),
        .init(label: "Network", wire: "network", value: rule(.network), help: "in wifi, 5g · not in 3g · empty: any"),
        .init(label: "OS version", wire: "osVersion", value: rule(.osVersion), help: "16.0..17.9 (both included) · in 17.2 · not in 15"),
        .init(label: "Window", wire: "window", value: window, help: "local time: 2026-12-04 09:00 .. 2026-12-05 18:00 (either side may be empty)"),
        .init(label: "Reason", wire: "reason", value: "", help: "why, for the audit log; Enter sends"),
    ])
    form.ifMatch = release.etag
    state.form = form
    form.previewed = nil
    // The reach of the targeting as it is now, before any edit.
    if let current = try? formTargeting(form) {
        state.form?.previewed = current
        state.form?.preview = "counting the devices it reaches…"
        return [.previewTargeting(app: release.app, current)]
    }
    return []
}

func releaseDraft(_ form: Form, reason: String) throws(FieldError) -> ReleaseDraft {
    let version = form.value("version")
    guard !version.isEmpty else { throw FieldError(wire: "version", message: "Version: give one, e.g. 5.4.0") }
    guard let build = Int(form.value("build")), build > 0 else {
        throw FieldError(wire: "build", message: "Build: a whole number above 0 (got '\(form.value("build"))')")
    }
    guard let size = byteCount(form.value("packageSize")) else {
        throw FieldError(wire: "packageSize", message: "Package size: bytes, or a number with KB, MB or GB (got '\(form.value("packageSize"))')")
    }
    let checksum = form.value("checksum")
    guard checksum.count == 64, checksum.allSatisfy(\.isHexDigit) else {
        throw FieldError(wire: "checksum", message: "SHA-256: 64 hex digits (got \(checksum.count) characters)")
    }
    let draft = ReleaseDraft(version: version, build: build, notes: form.value("notes"), packageSize: size, checksum: checksum, reason: reason)
    if let problem = draft.problem {
        throw FieldError(wire: String(problem.prefix { $0 != " " }), message: problem)
    }
    return draft
}

/// "48213004", "46 MB", "1.2 GB" → bytes (KB = 1024).
func byteCount(_ text: String) -> Int? {
    let trimmed = text.replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces).uppercased()
    let units: [(String, Double)] = [("GB", 1_073_741_824), ("MB", 1_048_576), ("KB", 1024), ("B", 1)]
    for (suffix, factor) in units where trimmed.hasSuffix(suffix) {
        guard let number = Double(trimmed.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number > 0 else { return nil }
        return Int((number * factor).rounded())
    }
    guard let bytes = Int(trimmed), bytes > 0 else { return nil }
    return bytes
}

/// The targeting the form describes.
func formTargeting(_ form: Form) throws(FieldError) -> Targeting {
    let whitelist = form.value("whitelist").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    var rules: [TargetingRule] = []
    for attribute in TargetingRule.Attribute.allCases {
        if let rule = try parseRule(form.value(attribute.rawValue), attribute) { rules.append(rule) }
    }
    let (start, end) = try parseWindow(form.value("window"))
    let targeting = Targeting(whitelist: whitelist, rules: rules, startsAt: start, endsAt: end)
    if let problem = targeting.problem {
        let wire = problem.contains("whitelist") ? "whitelist" : problem.contains("window") ? "window"
            : TargetingRule.Attribute.allCases.first { problem.contains($0.rawValue) }?.rawValue ?? "whitelist"
        throw FieldError(wire: wire, message: problem)
    }
    return targeting
}

/// "in a, b", "not in a", "a, b" (in), and for the OS version "16.0..17.9"; empty: no rule.
func parseRule(_ text: String, _ attribute: TargetingRule.Attribute) throws(FieldError) -> TargetingRule? {
    guard !text.isEmpty else { return nil }
    let label = attributeName(attribute)
    func values(_ rest: Substring) throws(FieldError) -> [String] {
        let list = rest.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !list.isEmpty else { throw FieldError(wire: attribute.rawValue, message: "\(label): give values after 'in' or 'not in'") }
        return list
    }
    if text.contains("..") {
        guard attribute == .osVersion else {
            throw FieldError(wire: attribute.rawValue, message: "\(label): a range (low..high) is for the OS version only")
        }
        let bounds = text.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
        guard bounds.count == 2, !bounds[0].isEmpty, !bounds[1].isEmpty else {
            throw FieldError(wire: attribute.rawValue, message: "OS version: a range is low..high, e.g. 16.0..17.9")
        }
        guard VersionOrder.compare(bounds[0], bounds[1]) != .orderedDescending else {
            throw FieldError(wire: attribute.rawValue, message: "OS version: the range's low end \(bounds[0]) is above its high end \(bounds[1])")
        }
        return TargetingRule(attribute, .inRange, bounds)
    }
    let lower = text.lowercased()
    if lower.hasPrefix("not in ") { return TargetingRule(attribute, .notIn, try values(text.dropFirst(7))) }
    if lower.hasPrefix("in ") { return TargetingRule(attribute, .in, try values(text.dropFirst(3))) }
    return TargetingRule(attribute, .in, try values(Substring(text)))
}

/// "2026-12-04 09:00 .. 2026-12-05 18:00" in local time; either side may be empty.
func parseWindow(_ text: String) throws(FieldError) -> (Date?, Date?) {
    guard !text.isEmpty else { return (nil, nil) }
    let sides = text.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
    guard sides.count == 2 else {
        throw FieldError(wire: "window", message: "Window: start .. end, e.g. 2026-12-04 09:00 .. 2026-12-05 18:00")
    }
    func date(_ side: String) throws(FieldError) -> Date? {
        guard !side.isEmpty else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        guard let date = formatter.date(from: side) else {
            throw FieldError(wire: "window", message: "Window: '\(side)' is not a local time like 2026-12-04 09:00")
        }
        return date
    }
    let (start, end) = (try date(sides[0]), try date(sides[1]))
    if let start, let end, end <= start { throw FieldError(wire: "window", message: "Window: it must end after it starts") }
    return (start, end)
}

/// A time as the window field writes it: "2026-12-04 09:00", local.
func formTime(_ date: Date) -> String {
    LocalTime(date).format(date: true, year: true, seconds: false)
}

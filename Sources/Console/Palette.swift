import Foundation
import PlatformModel
import TUI

// The `:` command palette, k9s style: `:app wallet-ios`, `:release 5.2.0`,
// `:breaker pay-api`, `:gray 7.5`, `:theme mono`, `:pane audit`, `:context prod`, `:quit`;
// Tab completes.

/// The palette line being typed, and what went wrong with the last command.
public struct Palette: Sendable, Equatable {
    public var text = ""
    public var error: String?

    public init() {}
}

/// A selection to make once the list it is in has been read (e.g. `:breaker` switches
/// to a pane whose list is read after the key).
public struct PendingFocus: Sendable, Equatable {
    public var list: ListID
    public var id: String
}

enum PaletteCommand: String, CaseIterable {
    case app, release, breaker, gray, theme, pane, context, refresh, quit
}

/// What can follow `text`: command names, or the arguments of the command typed.
func completions(for text: String, in state: ConsoleState) -> [String] {
    let parts = text.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 2, let command = PaletteCommand(rawValue: parts[0]) else {
        return PaletteCommand.allCases.map(\.rawValue).filter { $0.hasPrefix(parts.first ?? "") }
    }
    let candidates: [String]
    switch command {
    case .app: candidates = state.apps.map(\.id)
    case .release: candidates = (state.lastSnapshot?.releases ?? state.releases).map(\.version)
    case .breaker: candidates = (state.lastSnapshot?.switches.isEmpty == false ? state.lastSnapshot!.switches : state.switches).map(\.key)
    case .theme: candidates = state.themeNames
    case .context: candidates = state.contextNames
    case .pane: candidates = state.panes.map { $0.title.lowercased() }
    case .gray: candidates = grayLadder.map { percentArgument($0) }
    case .refresh, .quit: candidates = []
    }
    return candidates.filter { $0.hasPrefix(parts[1]) }.map { "\(command.rawValue) \($0)" }
}

func handlePalette(_ key: Key, _ state: inout ConsoleState) -> [Effect] {
    guard var palette = state.palette else { return [] }
    palette.error = nil
    switch key {
    case .escape:
        state.palette = nil
        return []
    case .control("c"):
        return [.quit]
    case .backspace where palette.text.isEmpty:
        // Backspace past the start closes the palette, as in vi and k9s.
        state.palette = nil
        return []
    case .tab:
        let options = completions(for: palette.text, in: state)
        if options.count == 1 {
            palette.text = options[0] + (PaletteCommand(rawValue: options[0]) != nil && !["quit", "refresh"].contains(options[0]) ? " " : "")
        } else if let common = commonPrefix(options), common.count > palette.text.count {
            palette.text = common
        }
    case .enter:
        state.palette = palette
        return run(palette.text, &state)
    default:
        _ = editLine(&palette.text, key, limit: 80)
    }
    state.palette = palette
    return []
}

private func commonPrefix(_ words: [String]) -> String? {
    guard var prefix = words.first else { return nil }
    for word in words.dropFirst() {
        while !word.hasPrefix(prefix) { prefix.removeLast() }
    }
    return prefix
}

/// Runs a palette command; on a mistake the palette stays open and says why.
private func run(_ text: String, _ state: inout ConsoleState) -> [Effect] {
    let parts = text.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1).map(String.init)
    func fail(_ message: String) -> [Effect] {
        state.palette?.error = message
        return []
    }
    guard let name = parts.first else {
        state.palette = nil
        return []
    }
    guard let command = PaletteCommand(rawValue: name) else {
        return fail("unknown command '\(name)'; one of: \(PaletteCommand.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    let argument = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
    let needsArgument: Set<PaletteCommand> = [.app, .release, .breaker, .gray, .theme, .pane]
    if needsArgument.contains(command) && argument.isEmpty { return fail(":\(command.rawValue) needs a name (Tab lists them)") }
    switch command {
    case .quit:
        return [.quit]
    case .refresh:
        state.palette = nil
        return [.refresh]
    case .app:
        guard let app = state.apps.first(where: { $0.id == argument }) else { return fail("no app '\(argument)'") }
        state.palette = nil
        focus(app: app.id, &state)
        return []
    case .release:
        let releases = state.lastSnapshot?.releases ?? state.releases
        guard releases.contains(where: { $0.version == argument }) else { return fail("no release '\(argument)' of \(state.appID ?? "this app")") }
        state.palette = nil
        state.filters[.releases] = nil
        state.pane = .releases
        state.pendingFocus = PendingFocus(list: .releases, id: argument)
        if let snapshot = state.lastSnapshot { showLists(of: snapshot, &state) }
        return []
    case .breaker:
        state.palette = nil
        state.filters[.switches] = nil
        state.pane = .breakers
        state.pendingFocus = PendingFocus(list: .switches, id: argument)
        if let snapshot = state.lastSnapshot { showLists(of: snapshot, &state) }
        return []
    case .gray:
        // The gray release selected in Rollouts, to exactly this percentage, through the
        // same Raise/Lower dialog as Enter there.
        let text = argument.hasSuffix("%") ? String(argument.dropLast()) : argument
        guard let percent = Double(text), percent.isFinite, (0.01...100).contains(percent) else {
            return fail(":gray takes a percentage from 0.01 to 100, as in :gray 7.5")
        }
        let rollouts = state.rollouts
        let index = state.selection[.rollouts] ?? 0
        guard rollouts.indices.contains(index), rollouts[index].stage == .gray, let app = state.appID else {
            return fail(":gray moves the gray release selected in Rollouts (3): select one there first")
        }
        let release = rollouts[index]
        let rounded = (percent * 100).rounded() / 100
        guard rounded != release.grayPercent else { return fail("\(release.version) is already at \(percentArgument(rounded))%") }
        state.palette = nil
        state.pane = .rollouts
        state.pendingGray[release.version] = rounded
        return ask(.setGray(app: app, version: release.version, percent: rounded), for: release, &state)
    case .theme:
        guard state.themeNames.isEmpty || state.themeNames.contains(argument) || argument.hasSuffix(".toml") else {
            return fail("no theme '\(argument)'; one of: \(state.themeNames.joined(separator: ", "))")
        }
        state.palette = nil
        return [.theme(argument)]
    case .context:
        guard state.contextNames.contains(argument) else {
            return fail(state.contextNames.isEmpty ? "no contexts in the config file (see `opsdeck context list`)"
                                                   : "no context '\(argument)'; one of: \(state.contextNames.joined(separator: ", "))")
        }
        guard argument != state.context?.name else { return fail("already in context \(argument)") }
        state.palette = nil
        // The console starts again on that context: its address, token and own cache.
        return [.switchContext(argument)]
    case .pane:
        guard let unit = state.panes.first(where: { $0.title.lowercased() == argument.lowercased() }) else { return fail("no pane '\(argument)'") }
        state.palette = nil
        state.pane = unit.pane  // what the pane needs on opening follows the key (see `update`)
        return []
    }
}

/// Makes a `PendingFocus` selection once its list holds the item.
func applyPendingFocus(_ state: inout ConsoleState) {
    guard let focus = state.pendingFocus else { return }
    let ids: [String]
    switch focus.list {
    case .releases: ids = state.releases.map(\.version)
    case .switches: ids = state.switches.map(\.key)
    case .crashIssues: ids = state.crashIssues.map(\.fingerprint)
    default: ids = []
    }
    if let index = ids.firstIndex(of: focus.id) {
        state.selection[focus.list] = index
        state.pendingFocus = nil
    } else if !ids.isEmpty {
        // The list is read and it is not there.
        state.pendingFocus = nil
        let what = focus.list == .switches ? "breaker or switch" : focus.list == .crashIssues ? "issue" : "release"
        state.flash = Flash(text: "no \(what) '\(focus.id)' in \(state.appID ?? "this app")",
                            isError: true, shownAt: state.now)
    }
}

/// A percentage as `:gray` takes it: "7.5", "10".
func percentArgument(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(value)
}

import Foundation
import PlatformModel
import Sync
import TUI

/// The console's logic: a pure function from a state and a message to the next state
/// and the effects to run. No I/O here, so every key can be tested headless.
public func update(_ state: inout ConsoleState, _ message: Message) -> [Effect] {
    let effects = reduce(&state, message)
    return effects + follow(&state)
}

/// What one message does to the state, before `follow` adds what follows from it.
private func reduce(_ state: inout ConsoleState, _ message: Message) -> [Effect] {
    switch message {
    case .tick(let now):
        state.now = now
        if let flash = state.flash, now.timeIntervalSince(flash.shownAt) > Flash.lifetime {
            state.flash = nil
            if !state.notices.isEmpty {
                var next = state.notices.removeFirst()
                next.shownAt = now
                state.flash = next
            }
        }
        if let outcome = state.outcome, now.timeIntervalSince(outcome.since) > ChangeOutcome.lifetime { state.outcome = nil }
        return []
    case .resized(let size):
        state.size = size
        state.pageSize = max(1, size.height - 6)
        return []
    case .notice(let text, let isError):
        // Notices wait their turn: one must not hide another (a theme's and the cache's).
        let notice = Flash(text: text, isError: isError, shownAt: state.now)
        if state.flash == nil { state.flash = notice } else { state.notices.append(notice) }
        return []
    case .cacheChanged(let at):
        state.reads.dataChanged = true
        state.cacheChangedAt = max(at, state.cacheChangedAt ?? at)
        if state.unshownSince == nil { state.unshownSince = at }
        return []
    case .confirmed(let at):
        // Only after something was read: "no data yet" stays until there is data.
        if let fetched = state.lastFetched, at > fetched { state.lastFetched = at }
        return []
    case .dataChanged(let snapshot, let status):
        if snapshot.read != nil { state.reads.inFlight = nil }
        return apply(snapshot, status, to: &state)
    case .readFailed(let reason):
        state.reads.inFlight = nil
        state.flash = Flash(text: "cannot read the cache: \(reason)", isError: true, shownAt: state.now)
        return []
    case .cacheChecked(nil):
        return []
    case .cacheChecked(let problem?):
        state.flash = Flash(text: "the cache is damaged (\(problem)); it is rebuilt at the next start, and shown as it is until then",
                            isError: true, shownAt: state.now)
        return []
    case .themeLoaded(.success(let theme)):
        state.theme = theme
        state.flash = Flash(text: "theme \(theme.name)", isError: false, shownAt: state.now)
        return [.redrawAll]
    case .themeLoaded(.failure(let failure)):
        state.flash = Flash(text: failure.description, isError: true, shownAt: state.now)
        return []
    case .key, .pointer:
        let before = state
        var effects: [Effect]
        switch message {
        case .key(let key): effects = handle(key, &state)
        case .pointer(let button, let hit, let x): effects = handlePointer(button, on: hit, x: x, &state)
        default: effects = []
        }
        // What the pane now on screen needs after this (a pane that fetches on demand).
        return effects + state.unit.afterInput(before, &state, effects)
    case .crashEventLoaded(let event):
        guard let event else {
            state.flash = Flash(text: "that event is no longer in the cache", isError: true, shownAt: state.now)
            return []
        }
        state.overlay = .crashEvent(event)
        state.overlayScroll = 0
        return []
    case .identified(let caller):
        state.caller = caller
        return []
    case .funnelsLoaded(let app, let result):
        return funnelsLoaded(app, result, &state)
    case .funnelReportLoaded(let app, let funnel, let result):
        return funnelReportLoaded(app, funnel, result, &state)
    case .actionFinished(let key, let result):
        return finishAction(key, result, &state)
    case .formFinished(let key, let result):
        return formFinished(key, result, &state)
    case .targetingPreviewed(let targeting, let result):
        targetingPreviewed(targeting, result, &state)
        return []
    case .issueLoaded(let fingerprint, let result):
        // Only if the person is still waiting for this one.
        guard state.overlay == .issueLoading(fingerprint: fingerprint) else { return [] }
        switch result {
        case .success(let detail):
            state.overlay = .issue(detail)
            state.overlayScroll = 0
        case .failure(let failure):
            state.overlay = nil
            state.flash = Flash(text: "cannot load the issue: \(failure.description)", isError: true, shownAt: state.now)
        }
        return []
    }
}

private func apply(_ snapshot: CacheSnapshot, _ status: SyncStatus, to state: inout ConsoleState) -> [Effect] {
    let wasOnline = state.sync.connection == .online
    state.sync = status
    state.lastFetched = snapshot.lastFetched
    state.apps = snapshot.apps
    state.alerts = snapshot.alerts
    if !wasOnline, status.connection == .online, state.flash?.isError == true { state.flash = nil }
    // No app chosen yet: a read made for no app in particular was made for the first,
    // and its lists are that app's.
    if state.appID == nil, let first = snapshot.apps.first, snapshot.releasesApp == first.id, snapshot.read?.app == nil {
        state.appID = first.id
    }
    // A read made for another app, pane or filter only tells the status; `follow`
    // reads again for what the screen shows now.
    if snapshot.releasesApp == state.appID && (snapshot.read == nil || snapshot.read.map { $0.answers(state.cacheRead) } == true) {
        if snapshot.read != nil {
            state.reads.requested = state.cacheRead  // answered: nothing more to read for it
            // What changed after this read began is still to be shown.
            if let started = state.reads.startedAt, let changed = state.cacheChangedAt {
                state.unshownSince = changed > started ? changed : nil
            }
        }
        state.lastSnapshot = snapshot
        showLists(of: snapshot, &state)
    }
    // No app chosen yet, or the chosen one is gone: take the first the server lists.
    if let first = snapshot.apps.first, state.app == nil {
        state.appID = first.id
        clearAppData(&state)
    }
    return []
}

/// Where the Releases list starts for an app: the release most likely to need the
/// person (a gray one, else a halted one, else the newest full), never a draft.
func attentionRelease(in releases: [Release]) -> Int? {
    for stage in [ReleaseStage.gray, .halted] {
        if let index = releases.firstIndex(where: { $0.stage == stage }) { return index }
    }
    let full = releases.indices.filter { releases[$0].stage == .full }
    return full.max { releases[$0].createdAt < releases[$1].createdAt } ?? (releases.isEmpty ? nil : 0)
}

/// Puts the snapshot's lists on screen, each through its `/` filter, keeping selections.
func showLists(of snapshot: CacheSnapshot, _ state: inout ConsoleState) {
    let rolloutsBefore = state.rollouts
    // A pending gray percentage keeps its direction when someone else moves the release:
    // it moves by as much, so that a raise being prepared never turns into a lower.
    for (version, pending) in state.pendingGray {
        guard let before = state.releases.first(where: { $0.version == version }),
              let after = snapshot.releases.first(where: { $0.version == version }), after.grayPercent != before.grayPercent else { continue }
        let moved = min(100, max(0.01, ((pending - before.grayPercent + after.grayPercent) * 100).rounded() / 100))
        state.pendingGray[version] = after.stage == .gray && moved != after.grayPercent ? moved : nil
    }
    let firstReleases = state.selection[.releases] == nil
    state.releases = keepingSelection(of: .releases, in: state.releases, state.filtered(snapshot.releases, .releases), &state, id: \.version)
    if firstReleases { state.selection[.releases] = attentionRelease(in: state.releases) }
    _ = keepingSelection(of: .rollouts, in: rolloutsBefore, state.rollouts, &state, id: \.version)
    let facets = state.crashFilter
    let issues = sortedIssues(state.filtered(snapshot.crashIssues.filter(facets.matches), .crashIssues), by: state.issueSort, trends: state.issueTrends)
    state.crashIssues = keepingSelection(of: .crashIssues, in: state.crashIssues, issues, &state, id: \.fingerprint)
    let events = state.filtered(snapshot.crashEvents.filter(facets.matches), .crashEvents)
    let newest = state.crashEvents.first?.id ?? 0
    if state.livePaused {
        state.newWhilePaused = events.prefix { $0.id > newest }.count
    } else {
        state.crashEvents = keepingSelection(of: .crashEvents, in: state.crashEvents, events, &state, id: \.id)
    }
    state.crashEventCount = snapshot.crashEventCount
    if !snapshot.health.isEmpty { state.health = snapshot.health }
    if !snapshot.issueTrends.isEmpty { state.issueTrends = snapshot.issueTrends }
    if let reach = snapshot.reach { state.reach = reach }
    state.switches = keepingSelection(of: .switches, in: state.switches, state.filtered(snapshot.switches, .switches), &state, id: \.key)
    let auditFilter = state.auditFilter, now = state.now
    state.audit = keepingSelection(of: .audit, in: state.audit, state.filtered(snapshot.audit.filter { auditFilter.matches($0, now: now) }, .audit),
                                   &state, id: \.id)
    for unit in state.panes { unit.show(snapshot, &state) }
    applyPendingFocus(&state)
    followDialogTarget(&state)
}

/// Shows the last snapshot's lists through the filters as they are now; a paused live
/// list is refiltered too (a new filter applies to the list as it is).
func refilter(_ state: inout ConsoleState) {
    let paused = state.livePaused
    state.livePaused = false
    if let snapshot = state.lastSnapshot { showLists(of: snapshot, &state) }
    state.livePaused = paused
}

/// Keys while a `/` filter is being typed: it applies as it is typed.
private func handleFilter(_ key: Key, _ list: ListID, _ state: inout ConsoleState) -> [Effect] {
    var text = state.filters[list] ?? ""
    switch key {
    case .enter:
        state.filterEditing = nil
    case .escape:
        text = ""
        state.filterEditing = nil
    case .control("c"):
        return [.quit]
    default:
        guard editLine(&text, key, limit: 60) else { return [] }
    }
    state.filters[list] = text.isEmpty ? nil : text
    refilter(&state)
    return []
}

/// The line editing every text field shares (reason, filter, palette): a character is
/// added up to `limit`, Backspace removes the last, Ctrl-U clears. False: not an edit key.
func editLine(_ text: inout String, _ key: Key, limit: Int) -> Bool {
    switch key {
    case .backspace:
        if !text.isEmpty { text.removeLast() }
    case .control("u"):
        text = ""
    case .character(let character):
        if text.count < limit { text.append(character) }
    default:
        return false
    }
    return true
}

/// Replaces a list, keeping the same item selected where it still exists.
func keepingSelection<Item, ID: Equatable>(of list: ListID, in old: [Item], _ new: [Item], _ state: inout ConsoleState, id: KeyPath<Item, ID>) -> [Item] {
    let index = state.selection[list] ?? 0
    if old.indices.contains(index), let moved = new.firstIndex(where: { $0[keyPath: id] == old[index][keyPath: id] }) {
        state.selection[list] = moved
    } else {
        state.selection[list] = max(0, min(index, new.count - 1))
    }
    return new
}

func handle(_ key: Key, _ state: inout ConsoleState) -> [Effect] {
    // A click means something only against the frame it was made on: the runtime
    // looks it up and sends `.pointer`.
    if case .mouse = key { return [] }
    if state.dialog != nil { return handleDialog(key, &state) }
    if state.form != nil { return handleForm(key, &state) }
    if let list = state.filterEditing { return handleFilter(key, list, &state) }
    if state.crashFilterPicker != nil { return handleCrashFilterPicker(key, &state) }
    if state.auditFilterPicker != nil { return handleAuditFilterPicker(key, &state) }
    if state.palette != nil { return handlePalette(key, &state) }
    if case .switchDetail = state.overlay, key == .character(" ") {
        state.overlay = nil
        return dispatch(key, &state) ?? []
    }
    if case .issue = state.overlay, [.character("r"), .character("i"), .character("u")].contains(key) {
        return dispatch(key, &state) ?? []
    }
    if case .issue(let detail) = state.overlay, let release = release(of: detail, in: state) {
        // From an issue: to its release (Enter), or move that release (H/R/B).
        switch key {
        case .enter:
            state.overlay = nil
            state.pane = .releases
            state.filters[.releases] = nil
            state.pendingFocus = PendingFocus(list: .releases, id: release.version)
            refilter(&state)
            return []
        case .character("H"), .character("R"), .character("B"):
            return moveRelease(key, release, &state)
        default:
            break
        }
    }
    if state.overlay != nil {
        switch key {
        case .escape, .backspace, .character("h"), .left: state.overlay = nil
        case .character("q"), .control("c"): return [.quit]
        case .down, .character("j"): state.overlayScroll += 1
        case .up, .character("k"): state.overlayScroll = max(0, state.overlayScroll - 1)
        case .pageDown: state.overlayScroll += state.pageSize
        case .pageUp: state.overlayScroll = max(0, state.overlayScroll - state.pageSize)
        case .home, .character("g"): state.overlayScroll = 0
        default: break
        }
        return []
    }
    if state.showHelp {
        // Help is modal: ↑↓ scroll it when it is taller than the screen; any other key
        // closes it (and does nothing else); q still quits.
        let (box, lines, scroll) = helpLayout(state, size: state.size)
        let room = lines.count - (box.height - 2)
        let step: Int? = switch key {
        case .down, .character("j"): 1
        case .up, .character("k"): -1
        case .pageDown: box.height - 2
        case .pageUp: -(box.height - 2)
        default: nil
        }
        if let step, room > 0 {
            state.helpScroll = max(0, min(room, scroll + step))
            return []
        }
        state.showHelp = false
        state.helpScroll = 0
        return key == .character("q") || key == .control("c") ? [.quit] : []
    }
    return dispatch(key, &state) ?? []
}

/// The release an issue is about, among the app's: the one the Crashes pane is filtered
/// to if the issue is in it (the person came from it, or from an alert on it), else the
/// one at the live edge (gray, halted, whitelist) with the most of its events, else the
/// one with the most.
func release(of detail: CrashIssueDetail, in state: ConsoleState) -> Release? {
    let byCount = detail.byRelease.sorted { $0.count > $1.count }.map(\.key)
    let versions = byCount + detail.issue.releases.filter { !byCount.contains($0) }
    if let chosen = state.crashFilter.release, versions.contains(chosen), let release = state.releases.first(where: { $0.version == chosen }) {
        return release
    }
    let known = versions.compactMap { version in state.releases.first { $0.version == version } }
    return known.first { [.gray, .halted, .whitelist].contains($0.stage) } ?? known.first
}

/// Moves the active list's selection by a movement key.
func moveSelection(_ key: Key, _ state: inout ConsoleState) {
    let now = state.activeList.map { state.selection[$0] ?? 0 } ?? 0
    switch key {
    case .down, .character("j"): moveSelection(to: now + 1, &state)
    case .up, .character("k"): moveSelection(to: now - 1, &state)
    case .pageDown: moveSelection(to: now + state.pageSize, &state)
    case .pageUp: moveSelection(to: now - state.pageSize, &state)
    case .home, .character("g"): moveSelection(to: 0, &state)
    case .end, .character("G"): moveSelection(to: Int.max, &state)
    default: break
    }
}

private func moveSelection(to index: Int, _ state: inout ConsoleState) {
    guard let list = state.activeList else { return }
    let count = state.unit.list(state)?.count ?? 0
    guard count > 0 else { return }
    state.selection[list] = max(0, min(index, count - 1))
}

func switchApp(by step: Int, _ state: inout ConsoleState) -> [Effect] {
    guard !state.apps.isEmpty else { return [] }
    let current = state.apps.firstIndex { $0.id == state.appID } ?? 0
    focus(app: state.apps[(current + step + state.apps.count) % state.apps.count].id, &state)
    return []
}

/// Puts `app` in focus; another app starts from nothing of the last one.
func focus(app: String, _ state: inout ConsoleState) {
    guard state.appID != app else { return }
    state.appID = app
    clearAppData(&state)
}

/// Another app: nothing of the last one may stay on screen.
func clearAppData(_ state: inout ConsoleState) {
    state.appData = AppData()
    state.crashFilter.release = nil  // releases belong to one app; kind and OS carry over
}

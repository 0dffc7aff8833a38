import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// The console's update and view, headless: what a person would see after each key.
@Suite struct ConsoleTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let theme = Theme.fallback
    static let size = Size(width: 120, height: 40)

    static let apps = [
        App(id: "wallet-android", name: "Wallet", platform: .android, bundleId: "w"),
        App(id: "wallet-ios", name: "Wallet", platform: .ios, bundleId: "w"),
    ]

    static func release(_ version: String, _ stage: ReleaseStage, gray: Double = 0, notes: String = "notes", app: String = "wallet-android") -> Release {
        Release(
            app: app, version: version, build: 100, stage: stage, grayPercent: gray, notes: notes,
            createdAt: now.addingTimeInterval(-86_400), updatedAt: now.addingTimeInterval(-3_600), revision: 1)
    }

    static let releases = [
        release("5.3.0", .gray, gray: 12.5), release("5.2.0", .full, gray: 100), release("5.1.1", .halted, gray: 5),
        release("5.1.0", .rolledBack), release("5.0.0", .draft),
    ]

    /// A console on the Releases pane that has received the cache's first snapshot while
    /// online (it opens on the overview; most tests are about one app's panes).
    static func loaded(releases: [Release] = releases, connection: Connection = .online) -> ConsoleState {
        var state = ConsoleState(server: "http://127.0.0.1:9", sync: SyncStatus(connection: .connecting, since: now), now: now)
        state.pane = .releases
        let snapshot = CacheSnapshot(apps: apps, releases: [], releasesApp: nil, lastFetched: now.addingTimeInterval(-4))
        let effects = update(&state, .dataChanged(snapshot, SyncStatus(connection: connection, since: now)))
        #expect(focusedApp(effects) == "wallet-android", "Sync follows the first app")
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: apps, releases: releases, releasesApp: "wallet-android", lastFetched: now.addingTimeInterval(-4)),
            SyncStatus(connection: connection, since: now)))
        return state
    }

    /// The app a list of effects tells Sync to follow, if it tells it anything.
    static func focusedApp(_ effects: [Effect]) -> String? {
        effects.lazy.compactMap { effect -> String? in
            if case .focus(let interest) = effect { interest.app } else { nil }
        }.first
    }

    static func screen(_ state: ConsoleState, size: Size = size) -> Canvas {
        view(state, theme: theme, size: size)
    }

    @Test func releasesPaneShowsEveryReleaseWithStageSymbolAndPercent() {
        let canvas = Self.screen(Self.loaded())
        for release in Self.releases { #expect(canvas.contains(release.version)) }
        #expect(canvas.contains("◐ gray"))
        #expect(canvas.contains("12.5%"))
        #expect(canvas.contains("■ halted"))
        #expect(canvas.contains("↺ rolled back"))
        #expect(canvas.contains("● online"))
        #expect(canvas.contains("data 4s old"))
        #expect(canvas.contains("app wallet-android"))
        #expect(canvas.contains("CF SESS"))
        #expect(canvas.contains("CRASH%") && canvas.contains("HOUR"))
        for unit in PaneUnit.registry { #expect(canvas.contains("\(unit.key) \(unit.title)")) }
    }

    @Test func theSelectionMovesAndIsDrawnReversed() {
        var state = Self.loaded()
        _ = update(&state, .key(.down))
        _ = update(&state, .key(.character("j")))
        #expect(state.selected == 2)
        let canvas = Self.screen(state)
        let row = canvas.find("5.1.1")!
        #expect(canvas[row.x, row.y].style.attributes.contains(.reverse))
        _ = update(&state, .key(.character("G")))
        #expect(state.selected == Self.releases.count - 1)
        _ = update(&state, .key(.down))
        #expect(state.selected == Self.releases.count - 1, "the selection stops at the end")
        _ = update(&state, .key(.character("g")))
        #expect(state.selected == 0)
    }

    @Test func selectionFollowsTheSameReleaseWhenTheListChanges() {
        var state = Self.loaded()
        _ = update(&state, .key(.down))  // 5.2.0
        let newer = [Self.release("5.4.0", .draft)] + Self.releases
        _ = update(&state, .dataChanged(
            CacheSnapshot(apps: Self.apps, releases: newer, releasesApp: "wallet-android", lastFetched: Self.now),
            SyncStatus(connection: .online, since: Self.now)))
        #expect(state.releases[state.selected].version == "5.2.0")
    }

    @Test func numberKeysAndTabSwitchPanes() {
        var state = Self.loaded()
        _ = update(&state, .key(.character("3")))
        #expect(state.pane == .rollouts)
        _ = update(&state, .key(.tab))
        #expect(state.pane == .breakers)
        _ = update(&state, .key(.backTab))
        _ = update(&state, .key(.backTab))
        #expect(state.pane == .crashes)
        _ = update(&state, .key(.character("6")))
        _ = update(&state, .key(.tab))
        #expect(state.pane == .overview, "Tab wraps around")
        _ = update(&state, .key(.character("1")))
        #expect(state.pane == .releases)
    }

    @Test func theSelectedReleaseIsShownInFullBelowTheTable() {
        var state = Self.loaded()
        _ = update(&state, .key(.down))
        _ = update(&state, .key(.down))
        let canvas = Self.screen(state)
        #expect(canvas.contains("5.1.1 (build 100)"))
        #expect(canvas.contains("■ halted at 5%"))
        #expect(canvas.contains("(1h ago)"))
    }

    @Test func framesOnTheHeadlessBackendFollowTheState() {
        let backend = HeadlessBackend(size: Size(width: 100, height: 30))
        var state = Self.loaded()
        backend.draw(view(state, theme: Self.theme, size: backend.size))
        let first = backend.frame!
        _ = update(&state, .key(.character("2")))
        backend.draw(view(state, theme: Self.theme, size: backend.size))
        #expect(backend.frames == 2)
        #expect(backend.frame!.contains("Live events"))
        #expect(!first.contains("Live events"))
        #expect(!backend.frame!.changes(since: first).isEmpty)
        let again = view(state, theme: Self.theme, size: backend.size)
        #expect(again.changes(since: backend.frame).isEmpty, "the same state draws the same frame: nothing to write")
    }

    @Test func quitKeys() {
        var state = Self.loaded()
        #expect(update(&state, .key(.character("q"))) == [.quit])
        #expect(update(&state, .key(.control("c"))) == [.quit])
    }

    @Test func switchingAppAsksSyncToFocusIt() {
        var state = Self.loaded()
        #expect(ConsoleTests.focusedApp(update(&state, .key(.character("a")))) == "wallet-ios")
        #expect(state.releases.isEmpty, "another app's releases are not shown as this one's")
        #expect(ConsoleTests.focusedApp(update(&state, .key(.character("a")))) == "wallet-android")
        // Releases and Rollouts take A (advance); elsewhere it is the previous app.
        _ = update(&state, .key(.character("2")))
        #expect(ConsoleTests.focusedApp(update(&state, .key(.character("A")))) == "wallet-ios")
    }

    @Test func refreshAndRedraw() {
        var state = Self.loaded()
        #expect(update(&state, .key(.control("r"))) == [.refresh])
        #expect(Self.screen(state).contains("refreshing"))
        #expect(update(&state, .key(.control("l"))) == [.redrawAll])
    }

    @Test func offlineSaysSoAndShowsTheCachedData() {
        var state = Self.loaded(connection: .offline(reason: "cannot reach http://127.0.0.1:9/v1/apps: connection refused"))
        state.sync.nextAttempt = Self.now.addingTimeInterval(8)
        let canvas = Self.screen(state)
        #expect(canvas.contains("offline since"))
        #expect(canvas.contains("(stale)"))
        #expect(canvas.contains("connection refused"))
        #expect(canvas.contains("retrying in 8s"))
        #expect(canvas.contains("5.3.0"), "the cached releases stay on screen")
    }

    @Test func refusedTokenIsExplained() {
        let state = Self.loaded(connection: .refused(reason: "the server refused the token; check --token or OPSDECK_TOKEN"))
        let canvas = Self.screen(state)
        #expect(canvas.contains("refused"))
        #expect(canvas.contains("check --token"))
    }

    @Test func flashesExpire() {
        var state = Self.loaded()
        _ = update(&state, .notice("the cache was rebuilt", isError: true))
        #expect(Self.screen(state).contains("the cache was rebuilt"))
        _ = update(&state, .tick(Self.now.addingTimeInterval(Flash.lifetime + 1)))
        #expect(!Self.screen(state).contains("the cache was rebuilt"))
    }

    @Test func helpOpensAndAnyKeyClosesIt() {
        var state = Self.loaded()
        _ = update(&state, .key(.character("?")))
        #expect(Self.screen(state).contains("redraw the screen"))
        #expect(update(&state, .key(.character("x"))).isEmpty)
        #expect(!Self.screen(state).contains("redraw the screen"))
    }

    @Test func tooSmallTerminalSaysSoInsteadOfDrawingGarbage() {
        let canvas = Self.screen(Self.loaded(), size: Size(width: 39, height: 12))
        #expect(canvas.contains("Terminal too small: 39×12"))
        #expect(canvas.contains("OpsDeck needs at least 40×12."))
        #expect(!canvas.contains("5.3.0"))
        // Between 40x12 and 80x24: narrow mode, the pane's list and the way to the rest.
        let narrow = Self.screen(Self.loaded(), size: Size(width: 60, height: 20))
        #expect(narrow.contains("5.3.0"))
        #expect(narrow.contains("1 Releases"))
        #expect(narrow.contains("Tab next"))
        #expect(narrow.lines.last?.trimmingCharacters(in: .whitespaces).hasSuffix("? help") == true)
        let tiny = Self.screen(Self.loaded(), size: Size(width: 5, height: 1))
        #expect(tiny.size == Size(width: 5, height: 1))
    }

    @Test func hostileRemoteTextNeverReachesTheCanvasRaw() {
        let evil = Self.release("6.6.6\u{1B}[2J", .gray, notes: "\u{1B}]0;owned\u{07}\u{202E}txet\u{9B}1m")
        let canvas = Self.screen(Self.loaded(releases: [evil]))
        for cell in canvas.cells {
            for scalar in cell.symbol.unicodeScalars {
                #expect(scalar.value >= 0x20 && !(0x7F...0x9F).contains(scalar.value), "control in a cell")
                #expect(scalar != "\u{202E}")
            }
        }
        #expect(canvas.contains("6.6.6"))
    }

    @Test func emptyStatesSayWhy() {
        let waiting = Self.screen(Self.loaded(releases: []))
        #expect(waiting.contains("No releases for wallet-android yet"))
        let offline = Self.screen(Self.loaded(releases: [], connection: .offline(reason: "x")))
        #expect(offline.contains("cannot be reached"))
    }

    @Test func everyShippedThemeDrawsAt80x24And200x60() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Themes").path
        for name in Theme.available(searchPath: [folder]) {
            let theme = try Theme.load(name, searchPath: [folder])
            for size in [Size(width: 80, height: 24), Size(width: 200, height: 60)] {
                let canvas = view(Self.loaded(), theme: theme, size: size)
                #expect(canvas.contains("5.3.0"), "\(name) at \(size)")
                #expect(canvas.lines.last?.contains("q quit") == true, "\(name) at \(size)")
            }
        }
    }
}

/// The header names the server by host and port, so that at 80 columns what tells two
/// environments apart is not cut after "http://".
@Suite struct HeaderServerTests {
    @Test(arguments: [
        ("http://127.0.0.1:8080/", "127.0.0.1:8080"), ("https://platform.example.com", "platform.example.com"),
        ("http://[::1]:9/api", "[::1]:9"), ("not a url", "not a url"),
    ])
    func hostAndPort(url: String, shown: String) {
        #expect(hostLabel(url) == shown)
    }

    @Test func atEightyColumnsTheHeaderKeepsStateAgeAndHost() {
        var state = ConsoleTests.loaded()
        state.server = "https://gray.prod.example.com:8443/platform"
        let header = ConsoleTests.screen(state, size: Size(width: 80, height: 24)).lines[0]
        #expect(header.contains("● online") && header.contains("data ") && header.contains("gray.prod.example"), "\(header)")
        #expect(!header.contains("https://"))
    }
}

/// However narrow, the hint bar ends in `? help`: the way to every key a pane has.
@Suite struct HintBarTests {
    @Test(arguments: [Size(width: 80, height: 24), Size(width: 200, height: 60)])
    func everyPaneKeepsHelpOnItsHintBar(size: Size) {
        var state = ConsoleTests.loaded()
        for unit in state.panes {
            state.pane = unit.pane
            let lines = ConsoleTests.screen(state, size: size).lines
            #expect(lines[size.height - 1].hasSuffix("? help"), "\(unit.title): \(lines[size.height - 1])")
        }
    }
}

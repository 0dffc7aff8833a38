import Cache
import Foundation
import PlatformModel
import Sync
import Testing
import TUI
@testable import Console

/// The console's policy, headless: what it reads from the cache and when, what Sync
/// follows, when it asks who the token is. Messages and the clock are scripted; the
/// effects are what the runtime would run.
@Suite struct ProgramTests {
    static let t0 = ConsoleTests.now
    static let online = SyncStatus(connection: .online, since: t0)

    static func at(_ seconds: Double) -> Message { .tick(t0.addingTimeInterval(seconds)) }

    static func reads(_ effects: [Effect]) -> [CacheRead] {
        effects.compactMap { if case .read(let read) = $0 { read } else { nil } }
    }

    /// The answer the cache reader would send to `read`.
    static func answer(_ read: CacheRead, releases: [Release] = ConsoleTests.releases, status: SyncStatus = online) -> Message {
        var snapshot = CacheSnapshot(apps: ConsoleTests.apps, releases: releases, releasesApp: read.app ?? ConsoleTests.apps[0].id,
                                     lastFetched: t0)
        snapshot.read = read
        return .dataChanged(snapshot, status)
    }

    @Test func theFirstMessageReadsTheCacheAndTellsSyncWhatIsOnScreen() {
        var state = ConsoleState(server: "http://127.0.0.1:9", sync: SyncStatus(connection: .connecting, since: Self.t0), now: Self.t0)
        #expect(state.pane == .overview, "the console opens on every app at a glance")
        let effects = update(&state, Self.at(0))
        #expect(effects == [.focus(Interest(app: nil, visible: [.fleet, .alerts])), .read(CacheRead(app: nil, fleet: true))])
        #expect(update(&state, Self.at(0.01)).isEmpty, "one read at a time")
    }

    @Test func anAnswerForTheFirstAppFocusesItAndReadsItsLists() {
        var state = ConsoleState(server: "http://127.0.0.1:9", sync: SyncStatus(connection: .connecting, since: Self.t0), now: Self.t0)
        let first = Self.reads(update(&state, Self.at(0)))
        #expect(first.count == 1)
        let effects = update(&state, Self.answer(first[0]))
        #expect(state.appID == "wallet-android")
        #expect(ConsoleTests.focusedApp(effects) == "wallet-android")
        #expect(Self.reads(effects).isEmpty, "that read already answers what the screen needs")
        #expect(effects.contains(.identify), "online: ask who the token is")
        #expect(state.releases.map(\.version) == ConsoleTests.releases.map(\.version), "a read for no app in particular is the first app's")
    }

    @Test func newDataIsReadAtMostEveryTwoHundredMilliseconds() throws {
        var state = ConsoleTests.loaded()
        // Past the start-up window; `loaded()` left its read unanswered: answer it.
        _ = update(&state, Self.at(10))
        _ = update(&state, Self.answer(try #require(state.reads.inFlight)))
        _ = update(&state, .cacheChanged(at: state.now))
        let read = try #require(state.reads.inFlight, "the first change after a while is read at once")
        _ = update(&state, Self.answer(read))
        #expect(update(&state, .cacheChanged(at: state.now)).isEmpty, "a read began less than 200 ms ago")
        #expect(Self.reads(update(&state, Self.at(10.1))).isEmpty)
        #expect(state.nextTick == state.reads.startedAt!.addingTimeInterval(ReadSchedule.minimumInterval), "the runtime wakes when the read is due")
        #expect(Self.reads(update(&state, Self.at(10.2))).count == 1)
        #expect(update(&state, .cacheChanged(at: state.now)).isEmpty, "and never two at a time")
    }

    @Test func inTheFirstSecondsEveryChangeIsReadAsSoonAsTheReadBeforeEnds() throws {
        var state = ConsoleState(server: "http://127.0.0.1:9", sync: SyncStatus(connection: .connecting, since: Self.t0), now: Self.t0)
        let first = Self.reads(update(&state, Self.at(0)))
        _ = update(&state, Self.answer(first[0]))  // the first app's: shown, no second read needed
        #expect(state.releases.count == ConsoleTests.releases.count, "a read for no app in particular is the first app's")
        #expect(state.reads.inFlight == nil)
        #expect(Self.reads(update(&state, .cacheChanged(at: state.now))).count == 1, "10 ms in: read at once")
        _ = update(&state, Self.answer(try #require(state.reads.inFlight)))
        _ = update(&state, Self.at(ReadSchedule.eagerSeconds + 0.01))
        #expect(Self.reads(update(&state, .cacheChanged(at: state.now))).count == 1, "the interval counts from the read before")
        _ = update(&state, Self.answer(try #require(state.reads.inFlight)))
        #expect(Self.reads(update(&state, .cacheChanged(at: state.now))).isEmpty, "after the window, the interval holds")
    }

    @Test func withNothingNewTheScreenIsDrawnOncePerClockStep() {
        var state = ConsoleTests.loaded()
        _ = update(&state, Self.answer(state.reads.inFlight!))
        _ = update(&state, Self.at(3.25))
        #expect(state.nextTick == Self.t0.addingTimeInterval(5), "the next step of the ages on screen")
        let face = state.clockFace
        _ = update(&state, Self.at(4.9))
        #expect(state.clockFace == face, "nothing the clock shows moved: no draw")
        #expect(ConsoleTests.screen(state).contains("data 0s old"), "ages are as of the last step (t0, when the data came)")
        _ = update(&state, Self.at(5))
        #expect(state.clockFace != face)
        #expect(ConsoleTests.screen(state).contains("data 5s old"))
    }

    @Test func aPollThatFoundNothingNewMakesTheDataYoungerWithoutARead() {
        var state = ConsoleTests.loaded()
        _ = update(&state, Self.answer(state.reads.inFlight!))
        _ = update(&state, Self.at(20))
        #expect(ConsoleTests.screen(state).contains("data 20s old"))
        let effects = update(&state, .confirmed(at: Self.t0.addingTimeInterval(19)))
        #expect(Self.reads(effects).isEmpty, "nothing changed in the cache: nothing to read")
        #expect(ConsoleTests.screen(state).contains("data 1s old"), "current as of the poll")
        _ = update(&state, .confirmed(at: Self.t0.addingTimeInterval(2)))
        #expect(state.lastFetched == Self.t0.addingTimeInterval(19), "an older confirmation never ages the data")

        var empty = ConsoleState(server: "http://127.0.0.1:9", sync: Self.online, now: Self.t0)
        _ = update(&empty, .confirmed(at: Self.t0))
        #expect(empty.lastFetched == nil, "no data yet stays so until something is read")
    }

    @Test func noticesWaitTheirTurnInsteadOfHidingOneAnother() {
        var state = ConsoleTests.loaded()
        _ = update(&state, .notice("theme 'neon' not found; using the default", isError: true))
        _ = update(&state, .notice("the cache was damaged and rebuilt", isError: true))
        #expect(state.flash?.text.contains("neon") == true)
        _ = update(&state, Self.at(Flash.lifetime + 1))
        #expect(state.flash?.text == "the cache was damaged and rebuilt", "the second follows the first")
        #expect(state.nextTick <= Self.t0.addingTimeInterval(Flash.lifetime * 2 + 1.01), "and is taken down in its turn")
        _ = update(&state, Self.at(Flash.lifetime * 2 + 2))
        #expect(state.flash == nil)
    }

    @Test func aFlashIsTakenDownWhenItExpiresNotAtTheNextStep() {
        var state = ConsoleTests.loaded()
        _ = update(&state, Self.answer(state.reads.inFlight!))
        _ = update(&state, Self.at(1))
        _ = update(&state, .notice("switched", isError: false))
        #expect(state.nextTick.timeIntervalSince(Self.t0) == 5, "the step comes first")
        _ = update(&state, Self.at(5))
        #expect(abs(state.nextTick.timeIntervalSince(Self.t0) - (1 + Flash.lifetime)) < 0.01, "then the flash's expiry")
        let face = state.clockFace
        _ = update(&state, .tick(state.nextTick))
        #expect(state.flash == nil)
        #expect(state.clockFace != face, "so the runtime draws it away")
    }

    @Test func aPaneSwitchReadsItsDataWithoutWaitingForTheInterval() throws {
        var state = ConsoleTests.loaded()
        let first = try #require(state.reads.inFlight)
        _ = update(&state, Self.at(0))
        _ = update(&state, Self.answer(first))
        let effects = update(&state, .key(.character("2")))
        #expect(effects.contains(.focus(Interest(app: "wallet-android", visible: [.crashEvents, .crashIssues]))))
        let crashes = Self.reads(effects)
        #expect(crashes == [CacheRead(app: "wallet-android", crashEvents: state.crashFilter, crashIssues: true)])
    }

    @Test func aReadForAnotherPaneDoesNotOverwriteTheScreenAndIsMadeAgain() throws {
        var state = ConsoleTests.loaded()
        let stale = try #require(state.reads.inFlight)  // made for Releases
        _ = update(&state, .key(.character("4")))      // Breakers: a read is still in flight
        var snapshot = CacheSnapshot(apps: ConsoleTests.apps, releases: [], releasesApp: "wallet-android", lastFetched: Self.t0)
        snapshot.read = stale
        let effects = update(&state, .dataChanged(snapshot, Self.online))
        #expect(state.releases.count == ConsoleTests.releases.count, "the stale answer left the lists alone")
        var breakers = CacheRead(app: "wallet-android", switches: true)
        breakers.reach = true
        #expect(Self.reads(effects) == [breakers])
    }

    @Test func aChangedCrashFilterReadsAgain() throws {
        var state = ConsoleTests.loaded()
        _ = update(&state, .key(.character("2")))
        _ = update(&state, Self.answer(try #require(state.reads.inFlight)))  // the Releases read `loaded()` left
        let crashes = try #require(state.reads.inFlight)
        #expect(crashes.crashEvents == CrashEventFilter())
        _ = update(&state, Self.answer(crashes))
        state.crashFilter.kind = .anr
        let effects = update(&state, Self.at(0.05))
        #expect(Self.reads(effects).first?.crashEvents?.kind == .anr, "the cache holds more of the matching events than the screen")
    }

    @Test func theTokenIsIdentifiedOnceAndOnlyWhenOnline() {
        var state = ConsoleState(server: "http://127.0.0.1:9", sync: SyncStatus(connection: .connecting, since: Self.t0), now: Self.t0)
        #expect(!update(&state, Self.at(0)).contains(.identify))
        let offline = SyncStatus(connection: .offline(reason: "refused"), since: Self.t0)
        #expect(!update(&state, .dataChanged(CacheSnapshot(apps: [], releases: [], releasesApp: nil, lastFetched: nil), offline)).contains(.identify))
        #expect(update(&state, .dataChanged(CacheSnapshot(apps: [], releases: [], releasesApp: nil, lastFetched: nil), Self.online)).contains(.identify))
        #expect(!update(&state, .cacheChanged(at: state.now)).contains(.identify))
        _ = update(&state, .notice("cannot tell the token's role", isError: true))
        #expect(!update(&state, Self.at(1)).contains(.identify), "asked once per run")
    }

    @Test func theCacheIsCheckedOnceAfterTheFirstReadIsShown() throws {
        var state = ConsoleState(server: "http://127.0.0.1:9", sync: SyncStatus(connection: .connecting, since: Self.t0), now: Self.t0)
        let first = Self.reads(update(&state, Self.at(0)))
        #expect(!update(&state, Self.at(0.01)).contains(.checkCache), "not before the first read is on screen")
        let effects = update(&state, Self.answer(first[0]))
        #expect(effects.contains(.checkCache))
        #expect(!update(&state, .cacheChanged(at: state.now)).contains(.checkCache), "once per run")
        _ = update(&state, .cacheChecked(problem: "*** in database main *** Page 12: btreeInitPage() returns error code 11"))
        #expect(state.flash?.isError == true)
        #expect(state.flash?.text.contains("rebuilt at the next start") == true)
    }

    /// A stale "live" is worse than "offline": when Sync keeps changing the cache and no
    /// read shows it (a stuck or failing read), the header says how far behind it is.
    @Test func aScreenThatStopsFollowingTheCacheSaysSo() throws {
        var state = ConsoleTests.loaded()
        _ = update(&state, Self.at(10))
        _ = update(&state, Self.answer(try #require(state.reads.inFlight)))
        #expect(state.screenBehind == nil)
        _ = update(&state, .cacheChanged(at: Self.t0.addingTimeInterval(10)))
        let stuck = try #require(state.reads.inFlight, "a read starts, and never answers")
        #expect(state.screenBehind == nil, "a change just made is not 'behind'")
        _ = update(&state, .cacheChanged(at: Self.t0.addingTimeInterval(12)))
        _ = update(&state, Self.at(14))
        #expect(state.screenBehind == 4, "the oldest change not on screen is 4 s old")
        #expect(ConsoleTests.screen(state).contains("⚠ screen 4s behind the cache"))
        _ = update(&state, Self.answer(stuck))
        #expect(state.unshownSince == Self.t0.addingTimeInterval(12), "what changed after the read began is still to be shown")
        #expect(state.screenBehind == nil, "2 s: within the limit")
        #expect(!ConsoleTests.screen(state).contains("behind"))
        let next = try #require(state.reads.inFlight, "and it is read at once")
        _ = update(&state, Self.answer(next))
        #expect(state.unshownSince == nil)
    }

    @Test func aFailedReadIsSaidAndTheNextOneCanStart() throws {
        var state = ConsoleTests.loaded()
        _ = update(&state, .readFailed("disk I/O error"))
        #expect(state.flash?.text.contains("disk I/O error") == true)
        #expect(state.reads.inFlight == nil)
        let effects = update(&state, .cacheChanged(at: state.now)) + update(&state, Self.at(1))
        #expect(Self.reads(effects).count == 1)
    }

    @Test func aLoadedThemeIsDrawnAtOnceAndAMissingOneIsSaid() {
        var state = ConsoleTests.loaded()
        let mono = Theme(name: "mono", roles: [:])
        #expect(update(&state, .themeLoaded(.success(mono))) == [.redrawAll])
        #expect(state.theme.name == "mono")
        _ = update(&state, .themeLoaded(.failure(PlatformFailure("no theme 'neon'"))))
        #expect(state.flash?.isError == true)
        #expect(state.theme.name == "mono")
    }
}

extension ProgramTests {
    @Test func anotherAppStartsFromNothingOfTheLast() {
        var state = ConsoleTests.loaded()
        state.pendingGray["5.3.0"] = 20
        state.livePaused = true
        state.newWhilePaused = 12
        state.overlay = .release(version: "5.3.0")
        state.selection[.releases] = 3
        state.crashFilter = CrashEventFilter(release: "5.3.0", kind: .anr, os: .android)
        _ = update(&state, .key(.escape))  // close the overlay: `a` is a pane key
        _ = update(&state, .key(.character("a")))
        #expect(state.appID == "wallet-ios")
        #expect(state.releases.isEmpty && state.pendingGray.isEmpty && !state.livePaused && state.newWhilePaused == 0)
        #expect(state.appData.selection.isEmpty && state.lastSnapshot == nil)
        #expect(state.crashFilter == CrashEventFilter(release: nil, kind: .anr, os: .android), "the release is the app's; kind and OS carry over")
    }
}

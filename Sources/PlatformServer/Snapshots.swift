import Foundation
import PlatformModel
import Synchronization

/// What the device-facing check needs of one app, kept in memory: the check is the
/// hottest endpoint (every device, every launch) and the data changes only on mutations.
struct AppSnapshot: Sendable {
    let releases: [Release]
    /// In key order, the order the upgrade answer lists them.
    let switches: [Switch]
    /// `switches`' keys, made once: every check records them for `DeviceReach`, and one
    /// shared array costs nothing per check where a new one would be an allocation.
    let switchKeys: [String]
    /// `switches` as Unleash features (`Switch.unleashFeature`), made once, in the same
    /// order: what the check, the Client API and the Frontend API evaluate.
    let features: [UnleashFeature]
    /// Evaluates `features`, with the app's segments.
    let evaluator: UnleashEvaluator

    init(releases: [Release], switches: [Switch], segments: [UnleashSegment] = []) {
        self.releases = releases
        self.switches = switches
        switchKeys = switches.map(\.key)
        features = switches.map(\.unleashFeature)
        evaluator = UnleashEvaluator(segments: segments)
    }

    var segments: [UnleashSegment] { evaluator.segments.values.sorted { $0.id < $1.id } }
}

/// A cache of `AppSnapshot`s that mutations invalidate. A generation counter keeps a
/// read that started before a change from storing what it read after the change.
final class SnapshotCache: Sendable {
    private struct State {
        var snapshots: [String: AppSnapshot] = [:]
        var generation = 0
        /// False while changes made elsewhere cannot be heard (several servers on one
        /// database, the LISTEN connection down): then nothing is kept.
        var trusted = true
    }

    private let state = Mutex(State())

    func cached(_ app: String) -> (AppSnapshot?, generation: Int) {
        state.withLock { ($0.snapshots[app], $0.generation) }
    }

    func store(_ snapshot: AppSnapshot, for app: String, readAt generation: Int) {
        state.withLock { state in
            if state.trusted && state.generation == generation { state.snapshots[app] = snapshot }
        }
    }

    /// Trusted again: starts empty (what changed meanwhile is unknown). Not trusted:
    /// drops everything and keeps nothing until trusted.
    func setTrusted(_ trusted: Bool) {
        state.withLock { state in
            state.trusted = trusted
            state.snapshots.removeAll()
            state.generation += 1
        }
    }

    func invalidateAll() {
        state.withLock { state in
            state.snapshots.removeAll()
            state.generation += 1
        }
    }
}

extension ServerStore {
    /// The app's releases and switches, from memory when nothing changed since; nil
    /// when there is no such app.
    func snapshot(app: String) async throws -> AppSnapshot? {
        let (cached, generation) = snapshots.cached(app)
        if let cached { return cached }
        let fresh = try await db.read { try Self.readSnapshot($0, app: app) }
        if let fresh { snapshots.store(fresh, for: app, readAt: generation) }
        return fresh
    }

    /// The same, for a caller that is not async (the device gateway's event loops): a
    /// read blocks only after a change, once per app.
    func snapshotNow(app: String) throws -> AppSnapshot? {
        let (cached, generation) = snapshots.cached(app)
        if let cached { return cached }
        let fresh = try db.readNow { try Self.readSnapshot($0, app: app) }
        if let fresh { snapshots.store(fresh, for: app, readAt: generation) }
        return fresh
    }

    private static func readSnapshot(_ db: SQLSession, app: String) throws -> AppSnapshot? {
        guard try appExists(db, app) else { return nil }
        // Switches in the order the check's answer lists them (Swift's `<`, as JSONEncoder's
        // sorted keys; SQLite's ORDER BY may differ past ASCII).
        return AppSnapshot(releases: try releases(db, app: app), switches: try switches(db, app: app).sorted { $0.key < $1.key },
                           segments: try segments(db, app: app))
    }
}

extension ServerStore {
    static func segments(_ db: SQLSession, app: String) throws -> [UnleashSegment] {
        try db.rows("SELECT * FROM unleash_segments WHERE app = ? ORDER BY id", [app]).map { row in
            let constraints = (try? JSONDecoder().decode([UnleashConstraint].self, from: Data((row["constraints"] as String).utf8))) ?? []
            return UnleashSegment(id: row["id"], name: row["name"], constraints: constraints)
        }
    }
}

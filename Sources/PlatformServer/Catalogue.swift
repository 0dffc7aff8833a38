import Foundation
import PlatformModel

/// The demo catalogue a new store is seeded with: a few app bundles and, for each, a
/// history of releases at every stage, so that each pane has something real to show.
/// The same seed always gives the same catalogue (dates are relative to `now`).
public struct Catalogue: Sendable {
    public var apps: [App]
    public var releases: [Release]
    public var switches: [Switch] = []
    public var funnels: [FunnelDefinition] = []

    public static func demo(seed: UInt64, now: Date = Date()) -> Catalogue {
        var rng = SeededRandom(seed: seed)
        let products: [(key: String, name: String, bundle: String, major: Int)] = [
            ("wallet", "Wallet", "com.opsdeck.wallet", 5),
            ("merchant", "Merchant", "com.opsdeck.merchant", 3),
            ("rides", "Rides", "com.opsdeck.rides", 8),
        ]
        let platforms: [Platform] = [.android, .ios]
        var apps: [App] = []
        var releases: [Release] = []
        for product in products {
            for platform in platforms {
                let app = App(
                    id: "\(product.key)-\(platform.rawValue)", name: product.name,
                    platform: platform, bundleId: product.bundle)
                apps.append(app)
                releases += history(of: app, major: product.major, rng: &rng, now: now)
            }
        }
        // One bundle on a third platform, with a short history.
        let harmony = App(id: "wallet-harmony", name: "Wallet", platform: .harmony, bundleId: "com.opsdeck.wallet")
        apps.append(harmony)
        releases += history(of: harmony, major: 1, rng: &rng, now: now, length: 3)
        let switches = apps.flatMap { app in
            Self.switches(of: app, newest: releases.first { $0.app == app.id }?.version, rng: &rng, now: now)
        }
        let funnels = apps.flatMap { app in
            DemoFunnels.all.map { FunnelDefinition(app: app.id, id: $0.id, name: $0.name, steps: $0.steps, windowMinutes: $0.windowMinutes) }
        }
        return Catalogue(apps: apps, releases: releases, switches: switches, funnels: funnels)
    }

    /// Oldest first: settled full releases with one rolled back, then the live edge:
    /// a gray release (sometimes halted), a whitelist build and a draft.
    private static func history(
        of app: App, major: Int, rng: inout SeededRandom, now: Date, length: Int = 7
    ) -> [Release] {
        let grayChoices: [Double] = [1, 2.5, 5, 10, 12.5, 20, 35, 50]
        var stages: [ReleaseStage] = [.full, .full, .rolledBack, .full, .gray, .whitelist, .draft]
        if Bool.random(using: &rng) { stages[4] = .halted }
        stages = Array(stages.suffix(length))
        var build = Int.random(in: 400...900, using: &rng)
        // Ages from the newest back: the live edge is hours to days old, history weeks.
        var ages: [Double] = []
        var age = Double.random(in: 0.1...1.5, using: &rng)
        for _ in stages {
            ages.insert(age, at: 0)
            age += Double.random(in: 3...9, using: &rng)
        }
        var minor = 0
        var patch = 0
        return zip(stages, ages).map { stage, ageDays in
            build += Int.random(in: 3...40, using: &rng)
            let created = now.addingTimeInterval(-ageDays * 86_400)
            let updated = min(now, created.addingTimeInterval(Double.random(in: 0.05...0.9, using: &rng) * ageDays * 86_400))
            let version = "\(major).\(minor).\(patch)"
            if stage == .rolledBack { patch += 1 } else { minor += 1; patch = 0 }
            let gray: Double
            switch stage {
            case .gray, .halted: gray = grayChoices.randomElement(using: &rng)!
            case .full: gray = 100
            default: gray = 0
            }
            // Live releases carry a guardrail; Wallet's is strict enough that the demo's
            // checkout spike trips it, the others leave the spike for a person to act on.
            let guardrail = stage == .gray || stage == .full
                ? Guardrail(maxCrashRate: app.id.hasPrefix("wallet") ? 5 : 40, minSessions: 150) : nil
            return Release(
                app: app.id, version: version, build: build, stage: stage, grayPercent: gray,
                notes: notes(for: stage), createdAt: created, updatedAt: updated,
                revision: Int.random(in: 1...12, using: &rng), guardrail: guardrail,
                targeting: stage == .whitelist ? Targeting(whitelist: (1...5).map { "qa-device-0\($0)" }) : nil)
        }
    }

    /// The switches support staff flip during incidents.
    private static func switches(of app: App, newest: String?, rng: inout SeededRandom, now: Date) -> [Switch] {
        let people = ["mei.lin", "omar.haddad", "sara.k", "system"]
        let templates: [(String, String, SwitchKind, Bool, SwitchScope)] = [
            ("new-checkout", "New checkout flow", .killSwitch, true, SwitchScope(minVersion: newest)),
            ("pay-api", "Calls to the payments API", .circuitBreaker, true, SwitchScope()),
            ("recommendations", "Home-feed recommendations service", .circuitBreaker, true, SwitchScope(percent: 100)),
            ("live-chat", "In-app support chat", .killSwitch, Bool.random(using: &rng), SwitchScope()),
            ("hd-images", "HD images on cellular networks", .killSwitch, true, SwitchScope(platforms: [app.platform], percent: 50)),
        ]
        return templates.map { key, description, kind, enabled, scope in
            Switch(
                app: app.id, key: key, description: description, kind: kind, enabled: enabled, scope: scope,
                updatedBy: people.randomElement(using: &rng)!,
                updatedAt: now.addingTimeInterval(-Double.random(in: 0.1...20, using: &rng) * 86_400),
                revision: Int.random(in: 1...6, using: &rng))
        }
    }

    private static func notes(for stage: ReleaseStage) -> String {
        switch stage {
        case .full: "Stability fixes and performance improvements."
        case .rolledBack: "Rolled back: startup crash on older devices."
        case .gray: "New checkout flow behind a gray rollout."
        case .halted: "Halted: crash rate above guardrail."
        case .whitelist: "Internal testers only."
        case .draft: "Next release, not yet shipped."
        }
    }
}


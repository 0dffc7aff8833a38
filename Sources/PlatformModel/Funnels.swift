import Foundation

/// An ordered series of steps (SDK event names) that devices go through, e.g. checkout.
public struct FunnelDefinition: Codable, Hashable, Sendable, Identifiable {
    public var app: String
    public var id: String
    public var name: String
    public var steps: [String]
    /// A device must reach each step within this long of its first step.
    public var windowMinutes: Int
    /// Whom a journey belongs to: a device, or the signed-in user across their devices.
    public var countedBy: FunnelCount
    /// Counts changes; the ETag for If-Match. nil from servers without funnel editing.
    public var revision: Int?

    public var etag: String { "\"f\(revision ?? 0)\"" }

    public init(app: String, id: String, name: String, steps: [String], windowMinutes: Int, countedBy: FunnelCount = .device, revision: Int? = nil) {
        self.app = app
        self.id = id
        self.name = name
        self.steps = steps
        self.windowMinutes = windowMinutes
        self.countedBy = countedBy
        self.revision = revision
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        app = try container.decode(String.self, forKey: .app)
        id = try container.decode(String.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        steps = try container.decode([String].self, forKey: .steps)
        windowMinutes = try container.decode(Int.self, forKey: .windowMinutes)
        countedBy = try container.decodeIfPresent(FunnelCount.self, forKey: .countedBy) ?? .device
        revision = try container.decodeIfPresent(Int.self, forKey: .revision)
    }
}

/// What a funnel counts.
public enum FunnelCount: String, Codable, Sendable, CaseIterable {
    case device
    /// The user the SDK reported as signed in; steps without one are not counted.
    case user
}

/// The body of `POST /v1/apps/{app}/funnels` (with `id`) and `PUT …/funnels/{funnel}`.
public struct FunnelDraft: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String
    public var steps: [String]
    public var windowMinutes: Int
    public var countedBy: FunnelCount
    public var reason: String

    public init(id: String? = nil, name: String, steps: [String], windowMinutes: Int, countedBy: FunnelCount = .device, reason: String) {
        self.id = id
        self.name = name
        self.steps = steps
        self.windowMinutes = windowMinutes
        self.countedBy = countedBy
        self.reason = reason
    }

    public static let windowRange = 1...10_080  // up to 7 days

    /// The field that is wrong and why; nil when it can be stored.
    public var problem: String? {
        if let id {
            let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-_")
            if id.isEmpty || id.count > 64 || !id.allSatisfy(allowed.contains) {
                return "id must be 1 to 64 lower-case letters, digits, '-' or '_' (got '\(id)')"
            }
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty || name.utf8.count > 200 { return "name must be 1 to 200 bytes" }
        if steps.count < 2 || steps.count > 20 { return "steps must list 2 to 20 event names, in order (got \(steps.count))" }
        if let bad = steps.first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty || $0.utf8.count > 100 }) {
            return "steps: each is an event name of 1 to 100 bytes (got '\(bad)')"
        }
        if Set(steps).count != steps.count { return "steps: an event name appears twice" }
        if !Self.windowRange.contains(windowMinutes) { return "windowMinutes must be \(Self.windowRange.lowerBound) to \(Self.windowRange.upperBound) (got \(windowMinutes))" }
        return nil
    }
}

/// A device reaching a funnel step, as the SDK reports it.
public struct SDKFunnelStep: Codable, Sendable, Equatable {
    public var name: String
    public var at: Date

    public init(name: String, at: Date) {
        self.name = name
        self.at = at
    }
}

/// How many devices reached one step, and how they got there.
public struct FunnelStepResult: Codable, Sendable, Equatable {
    public var name: String
    public var devices: Int
    /// Percent of the previous step's devices that reached this one (100 for the first).
    public var stepConversion: Double
    /// Percent of the first step's devices that reached this one.
    public var overallConversion: Double
    /// Devices of the previous step that did not reach this one.
    public var dropOff: Int
    /// Median seconds from the previous step; nil for the first step or no devices.
    public var medianSecondsFromPrevious: Double?

    public init(name: String, devices: Int, stepConversion: Double, overallConversion: Double, dropOff: Int, medianSecondsFromPrevious: Double?) {
        self.name = name
        self.devices = devices
        self.stepConversion = stepConversion
        self.overallConversion = overallConversion
        self.dropOff = dropOff
        self.medianSecondsFromPrevious = medianSecondsFromPrevious
    }
}

/// The answer of `GET /v1/apps/{app}/funnels/{funnel}/report`.
public struct FunnelReport: Codable, Sendable, Equatable {
    public var funnel: FunnelDefinition
    public var from: Date
    public var to: Date
    public var steps: [FunnelStepResult]
    /// With `breakdown=version`: the same per release the devices ran at their first step.
    public var byRelease: [String: [FunnelStepResult]]?

    public init(funnel: FunnelDefinition, from: Date, to: Date, steps: [FunnelStepResult], byRelease: [String: [FunnelStepResult]]?) {
        self.funnel = funnel
        self.from = from
        self.to = to
        self.steps = steps
        self.byRelease = byRelease
    }
}

public enum FunnelAnalysis {
    /// One device's step events, oldest first.
    public struct Journey: Sendable {
        public var release: String
        public var steps: [(name: String, at: Date)]

        public init(release: String, steps: [(name: String, at: Date)]) {
            self.release = release
            self.steps = steps
        }
    }

    /// Each device counts at step k when it did the funnel's steps 1...k in order, each
    /// after the one before and all within the window of its first step.
    public static func results(_ funnel: FunnelDefinition, journeys: [Journey]) -> [FunnelStepResult] {
        var reached = Array(repeating: 0, count: funnel.steps.count)
        var gaps = Array(repeating: [Double](), count: funnel.steps.count)
        let window = Double(funnel.windowMinutes) * 60
        for journey in journeys {
            var stepIndex = 0
            var start: Date?
            var previous: Date?
            for event in journey.steps where stepIndex < funnel.steps.count {
                guard event.name == funnel.steps[stepIndex] else { continue }
                if let previous, event.at < previous { continue }
                if let start, event.at.timeIntervalSince(start) > window { break }
                if start == nil { start = event.at }
                if let previous { gaps[stepIndex].append(event.at.timeIntervalSince(previous)) }
                reached[stepIndex] += 1
                previous = event.at
                stepIndex += 1
            }
        }
        return funnel.steps.indices.map { index in
            let devices = reached[index]
            let before = index == 0 ? devices : reached[index - 1]
            func percent(_ part: Int, _ whole: Int) -> Double {
                whole == 0 ? 0 : (Double(part) / Double(whole) * 10_000).rounded() / 100
            }
            return FunnelStepResult(
                name: funnel.steps[index], devices: devices,
                stepConversion: index == 0 ? (devices > 0 ? 100 : 0) : percent(devices, before),
                overallConversion: percent(devices, reached[0]), dropOff: max(0, before - devices),
                medianSecondsFromPrevious: median(gaps[index]))
        }
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// The funnels of the demo catalogue: the reference server defines them for every app
/// and the simulated fleet walks devices through their steps.
public enum DemoFunnels {
    public typealias Funnel = (id: String, name: String, steps: [String], windowMinutes: Int)
    public static let checkout: Funnel = ("checkout", "Checkout", ["view_cart", "open_checkout", "enter_payment", "confirm_pay", "paid"], 30)
    public static let signup: Funnel = ("signup", "Sign-up", ["open_app", "view_signup", "submit_phone", "verify_code", "profile_done"], 60)
    public static let all = [checkout, signup]
}

/// Where things were drawn, so that a click can be mapped back to what is there: the
/// view records each region with what it stands for while it draws, and a click looks
/// it up. Regions added later lie on top. Nothing mirrors the layout by hand.
public struct HitMap<Target: Sendable>: Sendable {
    private var regions: [(rect: Rect, target: Target)] = []

    public init() {}

    public mutating func add(_ rect: Rect, _ target: Target) {
        guard rect.width > 0, rect.height > 0 else { return }
        regions.append((rect, target))
    }

    /// What is drawn at a cell, topmost first.
    public func target(atX x: Int, y: Int) -> Target? {
        regions.last { $0.rect.contains(x: x, y: y) }?.target
    }
}

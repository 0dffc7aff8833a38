/// The one limit the platform puts on free text that devices and operators send: crash
/// messages, exception types, stack symbols and files, device model, OS version, city,
/// network, funnel step names, reasons. A longer value is kept up to `maxBytes` of UTF-8
/// (cut at a character boundary) and ends with a marker that says how much was cut, so
/// nothing is refused and nothing is cut without saying so. Identifiers (app, release,
/// device id) are not free text: they are refused with a 422 when too long.
///
/// Text is otherwise stored exactly as sent, controls and NUL included; it is sanitised
/// only on its way to a screen or a log.
public enum FreeText {
    public static let maxBytes = 4096

    /// Whether an identifier holds a control character (C0 or DEL). Identifiers are
    /// keys: SQLite keeps them only up to a NUL, and one cut there could name another.
    public static func holdsControls(_ identifier: String) -> Bool {
        identifier.utf8.contains { $0 < 0x20 || $0 == 0x7f }
    }

    /// `text`, or its first whole characters up to `maxBytes` bytes followed by
    /// "…[cut N bytes]".
    public static func limited(_ text: String) -> String {
        let total = text.utf8.count
        guard total > maxBytes else { return text }
        // Leave room for the marker, whose own length barely changes with N.
        let room = maxBytes - marker(cut: total).utf8.count
        var kept = 0
        var end = text.startIndex
        for index in text.indices {
            let next = text.index(after: index)
            let size = text.utf8.distance(from: index, to: next)
            if kept + size > room { break }
            kept += size
            end = next
        }
        return String(text[..<end]) + marker(cut: total - kept)
    }

    static func marker(cut bytes: Int) -> String { "…[cut \(bytes) bytes]" }
}

extension SDKBatch {
    /// The batch with every free-text field under the platform's limit.
    public func limitingFreeText() -> SDKBatch {
        var batch = self
        batch.device.model = FreeText.limited(device.model)
        batch.device.osVersion = FreeText.limited(device.osVersion)
        batch.device.city = device.city.map(FreeText.limited)
        batch.device.network = device.network.map(FreeText.limited)
        batch.crashes = crashes.map { crash in
            var crash = crash
            crash.exceptionType = FreeText.limited(crash.exceptionType)
            crash.message = FreeText.limited(crash.message)
            crash.environment = crash.environment.map(FreeText.limited)
            crash.level = crash.level.map(FreeText.limited)
            crash.frames = crash.frames.map { frame in
                var frame = frame
                frame.symbol = FreeText.limited(frame.symbol)
                frame.file = frame.file.map(FreeText.limited)
                return frame
            }
            return crash
        }
        batch.funnelSteps = funnelSteps.map { step in
            var step = step
            step.name = FreeText.limited(step.name)
            return step
        }
        return batch
    }
}

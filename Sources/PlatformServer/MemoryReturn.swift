import CLinux
import ServiceLifecycle

/// Gives freed heap back to the system every few seconds.
///
/// A storm of connections (a thousand consoles reconnecting at once) makes each event
/// loop thread's malloc arena grow; glibc keeps what is freed inside the arenas, so the
/// server stayed 15–20 MB above its baseline for ever after one. `malloc_trim` returns
/// the free pages of every arena; it costs well under a millisecond when little is free.
struct MemoryReturnService: Service {
    var interval: Duration = .seconds(10)

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                malloc_trim(0)
            }
        }
    }
}

import Foundation
import Hummingbird
import PlatformModel

extension PlatformServer {
    func addAlertRoutes(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        // Open alerts and those resolved in the last 24 hours, newest first, every app.
        v1.get("alerts") { request, _ in
            try jsonResponse(try await store.alerts(), for: request)
        }
        // "I am on it": who (the token) and why go into the alert and the audit log.
        v1.post("alerts/:id/acknowledge") { request, context in
            let (body, mutation) = try await mutationInput(AlertAcknowledgement.self, request: request, context: context,
                                                           allowed: \.mayAcknowledgeAlerts)
            // Alert ids are positive whole numbers: anything else names no alert.
            let text = try context.parameters.require("id")
            guard let id = Int64(text), id > 0 else { throw ProblemError(.notFound, "no alert '\(text)'") }
            return try await store.mutate(ServerStore.alertResource(id: id), context: mutation, reason: body.reason) { current in
                guard current.isOpen else {
                    throw ProblemError(.conflict, "alert \(id) is resolved already; there is nothing to acknowledge")
                }
                return (current, .alertAcknowledge)
            }.response()
        }
    }
}

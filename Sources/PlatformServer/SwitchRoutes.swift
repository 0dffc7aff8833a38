import Foundation
import Hummingbird
import PlatformModel

extension ServerStore {
    static func switchResource(app: String, key: String) -> MutableResource<Switch> {
        MutableResource(
            target: "\(app)/switches/\(key)", instance: "/v1/apps/\(app)/switches/\(key)",
            notFound: "no switch '\(key)' in app '\(app)'",
            load: { db in
                try db.row("SELECT * FROM switches WHERE app = ? AND key = ?", [app, key])
                    .map(Self.switchItem(from:))
            },
            etag: \.etag,
            stamp: { changed, before, now, actor in
                var after = changed
                after.revision = before.revision + 1
                after.updatedAt = now
                after.updatedBy = actor
                return after
            },
            save: { db, after in try Self.save(db, after) })
    }
}

extension ServerStore {
    /// Creates a kill switch or circuit breaker; a key the app already has is a 409.
    func createSwitch(app: String, _ draft: SwitchDraft, context: MutationContext) async throws -> StoredResponse {
        let item = Switch(app: app, key: draft.key, description: draft.description, kind: draft.kind, enabled: draft.enabled ?? true,
                          scope: draft.scope, updatedBy: context.caller.name, updatedAt: context.now, revision: 1)
        return try await create(Self.switchResource(app: app, key: draft.key), app: app, made: item, action: .switchCreate, context: context,
                                reason: draft.reason, problem: draft.problem, conflict: "key: \(app) already has a switch \(draft.key)",
                                insert: Self.save)
    }
}

extension PlatformServer {
    func addSwitchRoutes(to v1: RouterGroup<PlatformRequestContext>) {
        let store = store
        v1.get("apps/:app/switches") { request, context in
            let app = try await requireApp(context, store)
            return try jsonResponse(try await store.switches(app: app), for: request)
        }
        v1.patch("apps/:app/switches/:key") { request, context in
            let (patch, mutation) = try await mutationInput(SwitchPatch.self, request: request, context: context, allowed: \.mayChangeSwitches)
            let resource = ServerStore.switchResource(app: try context.parameters.require("app"), key: try context.parameters.require("key"))
            if let problem = patch.problem { throw ProblemError(.unprocessableContent, problem) }
            return try await store.mutate(resource, context: mutation, reason: patch.reason) { current in
                var changed = current
                if let description = patch.description { changed.description = description }
                if let scope = patch.scope { changed.scope = scope }
                guard let enabled = patch.enabled else { return (changed, .switchEdit) }
                changed.enabled = enabled
                // A flip that also edits is an edit; a flip alone says which way.
                return (changed, patch.description != nil || patch.scope != nil ? .switchEdit : enabled ? .switchEnable : .switchDisable)
            }.response()
        }
        v1.post("apps/:app/switches") { request, context in
            let (draft, mutation) = try await mutationInput(SwitchDraft.self, request: request, context: context, allowed: \.mayChangeSwitches)
            return try await store.createSwitch(app: try context.parameters.require("app"), draft, context: mutation).response()
        }
    }
}

import Foundation
import GRDB
import Hummingbird
import PlatformModel

extension ServerStore {
    static func switchResource(app: String, key: String) -> MutableResource<Switch> {
        MutableResource(
            target: "\(app)/switches/\(key)", instance: "/v1/apps/\(app)/switches/\(key)",
            notFound: "no switch '\(key)' in app '\(app)'",
            load: { db in
                try Row.fetchOne(db, sql: "SELECT * FROM switches WHERE app = ? AND key = ?", arguments: [app, key])
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
            return try await store.mutate(resource, context: mutation, reason: patch.reason) { current in
                var changed = current
                changed.enabled = patch.enabled
                return (changed, patch.enabled ? .switchEnable : .switchDisable)
            }.response()
        }
    }
}

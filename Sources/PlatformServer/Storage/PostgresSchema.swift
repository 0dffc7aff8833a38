import Foundation

/// The platform's schema on PostgreSQL: the tables SQLite's migrations v1–v14 make (see
/// `ServerStore.migrator`), in PostgreSQL's types: booleans, bigint Unix milliseconds,
/// timestamptz for release and switch times, identity ids. Migrations are forward only
/// and run once, by whichever server takes the advisory lock first; the others wait for
/// it and then find nothing to do.
enum PostgresSchema {
    /// Any fixed number: the advisory lock every opsdeck server on a database agrees on.
    static let migrationLock: Int64 = 0x0905_DECC

    static let migrations: [(name: String, sql: [String])] = [
        ("v1: the platform's tables (SQLite's v1 to v14)", [
            """
            CREATE TABLE apps (
                id text PRIMARY KEY, name text NOT NULL, platform text NOT NULL, bundleId text NOT NULL,
                position integer NOT NULL, sentryProject integer UNIQUE, sentryKey text)
            """,
            """
            CREATE TABLE releases (
                app text NOT NULL REFERENCES apps ON DELETE CASCADE, version text NOT NULL, build bigint NOT NULL,
                stage text NOT NULL, grayBasisPoints integer NOT NULL CHECK (grayBasisPoints BETWEEN 0 AND 10000),
                notes text NOT NULL, createdAt timestamptz NOT NULL, updatedAt timestamptz NOT NULL, revision integer NOT NULL,
                guardrailMaxCrashRate double precision, guardrailMinSessions integer, guardrailWindowMinutes integer,
                targeting text, packageSize bigint, checksum text,
                PRIMARY KEY (app, version))
            """,
            """
            CREATE TABLE audit (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at bigint NOT NULL, actor text NOT NULL, role text NOT NULL,
                action text NOT NULL, target text NOT NULL, before text, after text, reason text NOT NULL, guardrail text,
                idempotencyKey text)
            """,
            "CREATE INDEX audit_by_target ON audit (target, id)",
            """
            CREATE TABLE idempotency (
                actor text NOT NULL, key text NOT NULL, fingerprint text NOT NULL, status integer NOT NULL, body bytea NOT NULL,
                etag text, createdAt bigint NOT NULL, PRIMARY KEY (actor, key))
            """,
            """
            CREATE TABLE switches (
                app text NOT NULL REFERENCES apps ON DELETE CASCADE, key text NOT NULL, description text NOT NULL,
                kind text NOT NULL, enabled boolean NOT NULL, platforms text NOT NULL, minVersion text, maxVersion text,
                percentBasisPoints integer NOT NULL, updatedBy text NOT NULL, updatedAt timestamptz NOT NULL,
                revision integer NOT NULL, rules text, scopeRules text, PRIMARY KEY (app, key))
            """,
            // Sessions, crash events and funnel steps are the volume: each is partitioned
            // by day of its time (Unix ms), so that retention drops whole days and the
            // console's range queries read only the days they ask for. Ids come from
            // sequences (PostgreSQL 15 has no identity column on a partitioned table).
            "CREATE SEQUENCE sessions_id_seq AS bigint",
            """
            CREATE TABLE sessions (
                id bigint NOT NULL DEFAULT nextval('sessions_id_seq'), app text NOT NULL, release text NOT NULL,
                device text NOT NULL, startedAt bigint NOT NULL, durationSeconds double precision NOT NULL,
                crashed boolean NOT NULL, sid text, "user" text, errored boolean NOT NULL DEFAULT false,
                PRIMARY KEY (id, startedAt))
                PARTITION BY RANGE (startedAt)
            """,
            "CREATE INDEX sessions_by_app_time ON sessions (app, startedAt)",
            // A Sentry session keeps its start in every update: (app, sid, start) is the session.
            "CREATE UNIQUE INDEX sessions_by_sid ON sessions (app, sid, startedAt) WHERE sid IS NOT NULL",
            """
            CREATE TABLE crash_issues (
                app text NOT NULL, fingerprint text NOT NULL, kind text NOT NULL, exceptionType text NOT NULL,
                culprit text NOT NULL, message text NOT NULL, firstSeen bigint NOT NULL, lastSeen bigint NOT NULL,
                count integer NOT NULL, resolved boolean NOT NULL DEFAULT false, regressed boolean NOT NULL DEFAULT false,
                revision integer NOT NULL DEFAULT 1, ignored boolean NOT NULL DEFAULT false, ignoredUntil bigint,
                ignoredUntilCount integer, PRIMARY KEY (app, fingerprint))
            """,
            "CREATE SEQUENCE crash_events_id_seq AS bigint",
            """
            CREATE TABLE crash_events (
                id bigint NOT NULL DEFAULT nextval('crash_events_id_seq'), app text NOT NULL, release text NOT NULL,
                kind text NOT NULL, fingerprint text NOT NULL, deviceId text NOT NULL, os text NOT NULL,
                osVersion text NOT NULL, model text NOT NULL, city text, network text, exceptionType text NOT NULL,
                message text NOT NULL, frames text NOT NULL, at bigint NOT NULL, environment text, level text,
                PRIMARY KEY (id, at))
                PARTITION BY RANGE (at)
            """,
            "CREATE INDEX crash_events_by_app ON crash_events (app, id)",
            "CREATE INDEX crash_events_by_issue ON crash_events (app, fingerprint, id)",
            "CREATE INDEX crash_events_by_app_time ON crash_events (app, at)",
            """
            CREATE TABLE issue_devices (
                app text NOT NULL, fingerprint text NOT NULL, device text NOT NULL, PRIMARY KEY (app, fingerprint, device))
            """,
            """
            CREATE TABLE issue_releases (
                app text NOT NULL, fingerprint text NOT NULL, release text NOT NULL, count integer NOT NULL,
                PRIMARY KEY (app, fingerprint, release))
            """,
            """
            CREATE TABLE alerts (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, app text NOT NULL, release text NOT NULL, fingerprint text,
                kind text NOT NULL, severity text NOT NULL, summary text NOT NULL, figures text NOT NULL, openedAt bigint NOT NULL,
                acknowledgedAt bigint, acknowledgedBy text, resolvedAt bigint, revision integer NOT NULL)
            """,
            "CREATE INDEX alerts_open ON alerts (resolvedAt)",
            """
            CREATE TABLE funnels (
                app text NOT NULL REFERENCES apps ON DELETE CASCADE, id text NOT NULL, name text NOT NULL, steps text NOT NULL,
                windowMinutes integer NOT NULL, countedBy text NOT NULL DEFAULT 'device', revision integer NOT NULL DEFAULT 1,
                PRIMARY KEY (app, id))
            """,
            """
            CREATE TABLE funnel_events (
                app text NOT NULL, release text NOT NULL, device text NOT NULL, name text NOT NULL, at bigint NOT NULL, "user" text)
                PARTITION BY RANGE (at)
            """,
            "CREATE INDEX funnel_events_by_name ON funnel_events (app, name, at)",
            // Times outside every day made so far (a device's clock years off) land here.
            "CREATE TABLE sessions_default PARTITION OF sessions DEFAULT",
            "CREATE TABLE crash_events_default PARTITION OF crash_events DEFAULT",
            "CREATE TABLE funnel_events_default PARTITION OF funnel_events DEFAULT",
            """
            CREATE TABLE unleash_segments (
                app text NOT NULL REFERENCES apps ON DELETE CASCADE, id integer NOT NULL, name text, constraints text NOT NULL,
                PRIMARY KEY (app, id))
            """,
            """
            CREATE TABLE sdk_tokens (
                token text PRIMARY KEY, app text NOT NULL REFERENCES apps ON DELETE CASCADE, kind text NOT NULL,
                name text NOT NULL, createdBy text NOT NULL, createdAt bigint NOT NULL)
            """,
            """
            CREATE TABLE sdk_clients (
                app text NOT NULL REFERENCES apps ON DELETE CASCADE, appName text NOT NULL, instanceId text NOT NULL,
                sdkVersion text, strategies text, interval integer, started text, lastSeen bigint NOT NULL,
                PRIMARY KEY (app, appName, instanceId))
            """,
            """
            CREATE TABLE switch_metrics (
                app text NOT NULL REFERENCES apps ON DELETE CASCADE, key text NOT NULL, hour bigint NOT NULL,
                yes bigint NOT NULL, no bigint NOT NULL, PRIMARY KEY (app, key, hour))
            """,
        ]),
    ]

    /// Applies the migrations this database lacks, under the advisory lock, each in its
    /// own transaction with its record.
    static func migrate(_ database: PostgresDatabase) throws -> StoreMigration {
        try database.session { db in
            try db.execute("SELECT pg_advisory_lock(?)", [migrationLock])
            defer { try? db.execute("SELECT pg_advisory_unlock(?)", [migrationLock]) }
            try db.execute("""
                CREATE TABLE IF NOT EXISTS opsdeck_migrations (name text PRIMARY KEY, appliedAt timestamptz NOT NULL DEFAULT now())
                """)
            let done = Set(try db.values("SELECT name FROM opsdeck_migrations", as: String.self))
            var applied: [String] = []
            for migration in migrations where !done.contains(migration.name) {
                try db.execute("BEGIN")
                do {
                    for statement in migration.sql { try db.execute(statement) }
                    try db.execute("INSERT INTO opsdeck_migrations (name) VALUES (?)", [migration.name])
                    try db.execute("COMMIT")
                } catch {
                    try? db.execute("ROLLBACK")
                    throw error
                }
                applied.append(migration.name)
            }
            let known = Set(migrations.map(\.name))
            if let unknown = done.subtracting(known).sorted().first {
                throw StoreOpenError("the database was migrated by a newer opsdeck ('\(unknown)'); run that version or a newer one")
            }
            return StoreMigration(applied: applied, current: migrations.last?.name ?? "none")
        }
    }
}

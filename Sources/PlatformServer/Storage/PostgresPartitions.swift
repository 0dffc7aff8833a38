import Foundation
import Logging

/// The daily partitions of PostgreSQL's volume tables (sessions, crash events, funnel
/// steps): made ahead of time, and dropped whole once older than the retention.
enum PostgresPartitions {
    /// Each partitioned table and the Unix-ms column it is partitioned by.
    static let tables: [(name: String, column: String)] = [("sessions", "startedAt"), ("crash_events", "at"), ("funnel_events", "at")]
    static let dayMilliseconds: Int64 = 86_400_000
    /// Days made ahead of today: a device whose clock runs a little fast still lands in a day.
    static let daysAhead = 3

    /// "20261203" for the day that holds `day` (days since 1970, UTC).
    static func suffix(day: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(day) * 86_400))
        return String(format: "%04d%02d%02d", parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
    }

    /// The daily partitions each table has, by name.
    static func existing(_ db: SQLSession) throws -> Set<String> {
        Set(try db.values("""
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
            WHERE p.relname IN ('sessions', 'crash_events', 'funnel_events') AND c.relname NOT LIKE '%_default'
            """, as: String.self))
    }

    /// Makes the partitions from yesterday to `daysAhead` days on that are missing, each
    /// in its own statement outside a transaction: one that cannot be made (the default
    /// partition already holds rows of that day) is logged and left to the default.
    @discardableResult
    static func ensure(_ database: PostgresDatabase, now: Date, logger: Logger) throws -> [String] {
        try database.session { db in
            let have = try existing(db)
            let today = now.unixMilliseconds / dayMilliseconds
            var made: [String] = []
            for table in tables {
                for day in (today - 1)...(today + Int64(daysAhead)) {
                    let name = "\(table.name)_\(suffix(day: day))"
                    guard !have.contains(name) else { continue }
                    do {
                        try db.execute("""
                            CREATE TABLE IF NOT EXISTS \(name) PARTITION OF \(table.name)
                            FOR VALUES FROM (\(day * dayMilliseconds)) TO (\((day + 1) * dayMilliseconds))
                            """)
                        made.append(name)
                    } catch {
                        logger.warning("partition \(name) not made: \(error)")
                    }
                }
            }
            return made
        }
    }

    /// Drops the daily partitions whose day ended before `cutoff`, and deletes what the
    /// default partitions hold from before it. Returns the partitions dropped.
    @discardableResult
    static func dropOlder(than cutoff: Date, _ database: PostgresDatabase) throws -> [String] {
        try database.session { db in
            let cutoffDay = cutoff.unixMilliseconds / dayMilliseconds
            var dropped: [String] = []
            for name in try existing(db).sorted() {
                guard let day = name.split(separator: "_").last.map(String.init), day.count == 8,
                      day < suffix(day: cutoffDay) else { continue }
                try db.execute("DROP TABLE IF EXISTS \(name)")
                dropped.append(name)
            }
            for table in tables {
                try db.execute("DELETE FROM \(table.name)_default WHERE \(table.column) < ?", [cutoff.unixMilliseconds])
            }
            return dropped
        }
    }
}

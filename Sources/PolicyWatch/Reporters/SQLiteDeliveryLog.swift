import Foundation
import GRDB

/// The outbox in the SQLite state (`--state PATH`): table `deliveries` (alert_id, reporter,
/// status, attempts, last_error, updated) and `outbox_alerts` (the alert JSON, so a later
/// run can resend an alert without its inputs). WAL mode; each call is one transaction.
///
/// The migration creates its tables only if missing, so it can run beside the state's own
/// migrations on the same file: `SQLiteDeliveryLog.registerMigrations(in: &migrator)`.
public final class SQLiteDeliveryLog: DeliveryLog, @unchecked Sendable {
    // @unchecked: the only stored state is GRDB's writer, which serialises access itself.
    private let db: any DatabaseWriter
    private let clock: @Sendable () -> Date

    /// Opens (or creates) the state file and migrates it.
    public convenience init(path: String, clock: @escaping @Sendable () -> Date = Date.init) throws {
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .timeout(10)
        try self.init(writer: DatabasePool(path: path, configuration: config), clock: clock)
    }

    /// Uses an open database (the state's); runs this log's migration on it.
    public init(writer: any DatabaseWriter, clock: @escaping @Sendable () -> Date = Date.init) throws {
        db = writer
        self.clock = clock
        var migrator = DatabaseMigrator()
        Self.registerMigrations(in: &migrator)
        try migrator.migrate(writer)
    }

    public static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("outbox-v1") { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS deliveries (
                    alert_id TEXT NOT NULL,
                    reporter TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'failed', 'delivered')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    updated TEXT NOT NULL,
                    PRIMARY KEY (alert_id, reporter)
                );
                CREATE INDEX IF NOT EXISTS deliveries_owed ON deliveries (reporter, status);
                CREATE TABLE IF NOT EXISTS outbox_alerts (
                    id TEXT PRIMARY KEY NOT NULL,
                    json TEXT NOT NULL
                );
                """)
        }
    }

    public func enqueue(_ alerts: [Alert], reporter: String) throws {
        guard !alerts.isEmpty else { return }
        let encoder = Report.encoder(pretty: false)
        let rows = try alerts.map { ($0.id, String(decoding: try encoder.encode($0), as: UTF8.self)) }
        let now = Timestamp.string(clock())
        try db.write { db in
            for (id, json) in rows {
                try db.execute(sql: "INSERT OR IGNORE INTO outbox_alerts (id, json) VALUES (?, ?)", arguments: [id, json])
                // OR IGNORE: an alert already recorded keeps its status; delivered stays delivered.
                try db.execute(sql: """
                    INSERT OR IGNORE INTO deliveries (alert_id, reporter, status, attempts, updated)
                    VALUES (?, ?, 'pending', 0, ?)
                    """, arguments: [id, reporter, now])
            }
        }
    }

    public func pending(for reporter: String) throws -> [Alert] {
        let rows = try db.read { db in
            try String.fetchAll(db, sql: """
                SELECT a.json FROM deliveries d JOIN outbox_alerts a ON a.id = d.alert_id
                WHERE d.reporter = ? AND d.status != 'delivered' ORDER BY d.rowid
                """, arguments: [reporter])
        }
        let decoder = JSONDecoder()
        return try rows.map { try decoder.decode(Alert.self, from: Data($0.utf8)) }
    }

    public func record(alertIDs: [String], reporter: String, result: DeliveryResult) throws {
        let now = Timestamp.string(clock())
        let (status, error): (String, String?) = switch result {
        case .delivered: ("delivered", nil)
        case .failed(let m): ("failed", m)
        }
        try db.write { db in
            for id in alertIDs {
                try db.execute(sql: """
                    UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?, updated = ?
                    WHERE alert_id = ? AND reporter = ? AND status != 'delivered'
                    """, arguments: [status, error, now, id, reporter])
            }
        }
    }

    public func deliveries(for reporter: String?) throws -> [DeliveryRecord] {
        try db.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT alert_id, reporter, status, attempts, last_error, updated FROM deliveries
                WHERE ? IS NULL OR reporter = ? ORDER BY rowid
                """, arguments: [reporter, reporter])
            return rows.map { r in
                DeliveryRecord(alertID: r["alert_id"], reporter: r["reporter"],
                               status: DeliveryStatus(rawValue: r["status"]) ?? .pending,
                               attempts: r["attempts"], lastError: r["last_error"], updated: r["updated"])
            }
        }
    }
}

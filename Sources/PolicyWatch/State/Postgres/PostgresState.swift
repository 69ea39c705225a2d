import Foundation
import PostgresNIO

/// The state on PostgreSQL, shared by several scanners (`state: postgres://...`): the same
/// story index, outbox and alert history as the SQLite `StateStore`, with the decisions two
/// scanners could race on made by the database's constraints:
///
/// - an article is a story's first copy or a copy by `articles.key` and
///   `story_contents.content_hash` (primary keys, `INSERT ... ON CONFLICT DO NOTHING`, then
///   read back: the row of whichever transaction committed first);
/// - an alert is raised once by `alerts.id` (`ON CONFLICT DO NOTHING RETURNING`): only the
///   scanner whose insert returned a row sends it to its sinks;
/// - outbox rows are claimed (`FOR UPDATE SKIP LOCKED`, `claimed_by`, `claimed_until`) by the
///   scanner that raised them or that read them as owed, so each reporter gets each alert
///   once whichever scanner delivers it. A claim ends with the claimer's connection (a killed
///   scanner's at once), or after the lease (a host cut off), and is renewed on each commit;
/// - sources are leased the same way (`SourceLeaser`), see `claimSources`.
///
/// Not the place for a run lock: scanners run at once by design.
public final class PostgresState: StateBackend, SourceLeaser, @unchecked Sendable {
    let db: BlockingPostgres
    /// This process, as it appears in leases and claims: host, pid and a random suffix.
    public let owner: String
    let host: String
    /// How long a claim on a source or an outbox row lasts.
    public let lease: TimeInterval
    /// Five minutes: longer than any one source takes to fetch and scan, short enough that a
    /// dead scanner's sources are taken over within the same cron round.
    public static let defaultLease: TimeInterval = 300
    private let roundLock = NSLock()
    /// The round this scanner takes part in: its number, and its sources by name.
    private var round: (number: Int, specs: [String: SourceSpec], names: [String])?

    func setRound(_ number: Int, specs: [String: SourceSpec], names: [String]) {
        roundLock.withLock { round = (number, specs, names) }
    }

    func currentRound() -> (number: Int, specs: [String: SourceSpec], names: [String])? {
        roundLock.withLock { round }
    }

    public var location: String { db.url.description }
    public var isShared: Bool { true }

    /// Connects to the database named by `url` (with `${VAR}` from the context's
    /// environment) and migrates it. `lease`: seconds a claim lasts; claims name the
    /// context's host.
    public static func open(url: String, context: RunContext, lease: TimeInterval) throws -> PostgresState {
        let parsed = try PostgresURL(url, environment: context.environment)
        let db = try BlockingPostgres(url: parsed)
        try PostgresSchema.migrate(db)
        return PostgresState(db: db, lease: lease, hostName: context.hostName)
    }

    init(db: BlockingPostgres, lease: TimeInterval, hostName: String) {
        self.db = db
        self.lease = lease
        host = hostName
        owner = "\(host):\(getpid()):\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }

    // MARK: - StoryIndex

    public func holdsNoArticles() throws -> Bool {
        try db.query("SELECT NOT EXISTS (SELECT 1 FROM articles)").first.map { try $0.decode(Bool.self) } ?? false
    }

    public func knownContentHashes(keys: [String]) throws -> [String: String] {
        guard !keys.isEmpty else { return [:] }
        var out: [String: String] = [:]
        for row in try db.query("SELECT key, content_hash FROM articles WHERE key = ANY($1::text[])", [.textArray(keys)]) {
            let (k, h) = try row.decode((String, String).self)
            out[k] = h
        }
        return out
    }

    public func fileMark(_ path: String) throws -> FileMark? {
        try db.query("SELECT path, size, mtime, hash, scanned, error FROM files WHERE path = $1", [.text(path)]).first.map {
            let (p, size, mtime, hash, scanned, error) = try $0.decode((String, Int, Double, String, String, String?).self)
            return FileMark(path: p, size: size, mtime: mtime, hash: hash, scanned: scanned, error: error)
        }
    }

    public func feedMark(_ url: String) throws -> FeedMark? {
        try db.query("SELECT url, etag, last_modified, fetched, status FROM feeds WHERE url = $1", [.text(url)]).first.map {
            let (u, etag, lastModified, fetched, status) = try $0.decode((String, String?, String?, String, Int).self)
            return FeedMark(url: u, etag: etag, lastModified: lastModified, fetched: fetched, status: status)
        }
    }

    public var storesAlertJSON: Bool { true }
    /// Its schema keeps the first story hash: every scanner sharing it must hash alike, and
    /// no PostgreSQL state has recorded a version yet.
    public var storyHashVersion: ContentHash.StoryHashVersion { .v1 }

    public func recordFeedNotModified(url: String, at time: String) throws {
        try db.query("UPDATE feeds SET fetched = $1, status = 304 WHERE url = $2", [.text(time), .text(url)])
    }

    public func commit(_ batch: StoryBatch) throws -> StoryCommit {
        let known = ruleParts.snapshot()
        let (result, newRules) = try db.transaction { try commitInTransaction(batch, knownRules: known) }
        ruleParts.add(newRules)
        return result
    }

    /// Ids of committed rule objects (`alert_rules`), so an alert's rule is a dictionary look-up.
    private let ruleParts = StateStore.RulePartCache()

    private func commitInTransaction(_ batch: StoryBatch, knownRules: RuleRows) throws -> (StoryCommit, RuleRows) {
        var parts = AlertPartWriter(store: PostgresParts(db: db), knownRules: knownRules)
        var result = StoryCommit()
        var raised: [(alert: Alert, story: String)] = []
        for item in batch.articles {
            let a = item.article
            let (story, unchanged) = try place(item, now: batch.now, rescan: batch.rescan)
            try db.query("""
                INSERT INTO sightings (story, origin, url, key, source, seen) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT DO NOTHING
                """, [.text(story), .text(a.path ?? ""), .text(a.url ?? ""), .text(a.key), .text(a.source), .text(batch.now)])
            result.sightings.append((story, Alert.Sighting(key: a.key, url: a.url, source: a.source, path: a.path, seen: batch.now)))
            guard !unchanged, let alerts = item.alerts else { continue }
            result.evaluated += 1
            for i in alerts.indices {
                let (alert, encoded) = item.storyAlert(i, story: story)
                let stored = try parts.store(alert, encoded: encoded)
                let inserted = try db.query("""
                    INSERT INTO alerts (id, rule, story, article_key, severity, raised, json, article_part, rule_part)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    ON CONFLICT (id) DO NOTHING RETURNING id
                    """, [.text(alert.id), .text(alert.rule.id), .text(story), .text(a.key), .text(alert.rule.severity.rawValue),
                          .text(batch.now), .text(stored.json.string), .int(stored.articlePart.map(Int.init)), .int(stored.rulePart.map(Int.init))])
                guard !inserted.isEmpty else { continue }
                parts.used()
                for tag in alert.rule.tags {
                    try db.query("INSERT INTO alert_tags (alert_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING", [.text(alert.id), .text(tag)])
                }
                for reporter in batch.reporters where reporter.accepts(alert) {
                    // Claimed by this scanner, which sends it to its sinks right after the commit.
                    try db.query("""
                        INSERT INTO deliveries (alert_id, reporter, status, attempts, updated, claimed_by, claimed_pid, claimed_until)
                        VALUES ($1, $2, 'pending', 0, $3, $4, pg_backend_pid(), now() + make_interval(secs => $5))
                        ON CONFLICT DO NOTHING
                        """, [.text(alert.id), .text(reporter.key), .text(batch.now), .text(owner), .real(lease)])
                }
                raised.append((alert, story))
            }
            try parts.endOfArticle()
        }
        for f in batch.files {
            try db.query("""
                INSERT INTO files (path, size, mtime, hash, scanned, error) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, hash = excluded.hash,
                    scanned = excluded.scanned, error = excluded.error
                """, [.text(f.path), .int(f.size), .real(f.mtime), .text(f.hash), .text(f.scanned), .text(f.error)])
        }
        for f in batch.feeds {
            try db.query("""
                INSERT INTO feeds (url, etag, last_modified, fetched, status) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
                    fetched = excluded.fetched, status = excluded.status
                """, [.text(f.url), .text(f.etag), .text(f.lastModified), .text(f.fetched), .int(f.status)])
        }
        // This scanner is alive: its claims on outbox rows (alerts it holds until they go to
        // its sinks) and on the sources it reads last another lease.
        try db.query("UPDATE deliveries SET claimed_until = now() + make_interval(secs => $2) WHERE claimed_by = $1 AND status <> 'delivered'",
                     [.text(owner), .real(lease)])
        try db.query("UPDATE sources SET lease_until = now() + make_interval(secs => $2) WHERE leased_by = $1", [.text(owner), .real(lease)])
        result.stories = raised.map(\.story)
        var sightingsOf: [String: [StoredSighting]] = [:]
        result.raised = try raised.map { r in
            var alert = r.alert
            if sightingsOf[r.story] == nil { sightingsOf[r.story] = try sightings(story: r.story) }
            alert.alsoSeen = StoredSighting.alsoSeen(sightingsOf[r.story]!, of: alert.article)
            return alert
        }
        return (result, parts.newRules)
    }

    /// PostgreSQL's tables of alert parts.
    private struct PostgresParts: AlertPartStore {
        let db: BlockingPostgres

        func insertArticle(_ json: String) throws -> Int64? {
            try db.query("INSERT INTO alert_articles (json) VALUES ($1) RETURNING id", [.text(json)]).first.map { try Int64($0.decode(Int.self)) }
        }

        func deleteArticle(_ row: Int64) throws {
            try db.query("DELETE FROM alert_articles WHERE id = $1", [.int(Int(row))])
        }

        func ruleRow(_ json: String) throws -> Int64? {
            // Another scanner may insert the same rule at the same moment: the unique index decides.
            try db.query("INSERT INTO alert_rules (json) VALUES ($1) ON CONFLICT ((md5(json))) DO NOTHING", [.text(json)])
            // Nil on an md5 collision with another rule object: the alert keeps its JSON whole.
            return try db.query("SELECT id FROM alert_rules WHERE md5(json) = md5($1) AND json = $1", [.text(json)])
                .first.map { try Int64($0.decode(Int.self)) }
        }
    }

    /// The story of an article and whether it is unchanged since last seen; records it.
    private func place(_ item: ScannedArticle, now: String, rescan: Bool) throws -> (story: String, unchanged: Bool) {
        let key = item.article.key
        func known() throws -> (story: String, unchanged: Bool)? {
            guard let row = try db.query("SELECT story, content_hash FROM articles WHERE key = $1 FOR UPDATE", [.text(key)]).first else { return nil }
            let (story, hash) = try row.decode((String, String).self)
            if hash != item.contentHash {
                try db.query("UPDATE articles SET content_hash = $1, letters = $2, last_seen = $3 WHERE key = $4",
                             [.text(item.contentHash), .int(item.letters), .text(now), .text(key)])
            }
            return (story, hash == item.contentHash && !rescan)
        }
        if let k = try known() { return k }
        var story = key
        if item.letters >= minimumLettersForContentMatch {
            // The first transaction to commit this content decides its story; a concurrent one
            // waits on the key, then reads the winner's row.
            try db.query("INSERT INTO story_contents (content_hash, story) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                         [.text(item.contentHash), .text(key)])
            story = try db.query("SELECT story FROM story_contents WHERE content_hash = $1", [.text(item.contentHash)])
                .first.map { try $0.decode(String.self) } ?? key
        }
        let inserted = try db.query("""
            INSERT INTO articles (key, story, content_hash, letters, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $5)
            ON CONFLICT (key) DO NOTHING RETURNING key
            """, [.text(key), .text(story), .text(item.contentHash), .int(item.letters), .text(now)])
        if inserted.isEmpty, let k = try known() { return k }  // another scanner inserted it first
        return (story, false)
    }

    struct StoredSighting {
        var origin: String, url: String, key: String, source: String?, seen: String

        static func alsoSeen(_ rows: [StoredSighting], of article: Alert.ArticleRef) -> [Alert.Sighting]? {
            let others = rows
                .filter { ($0.origin, $0.url, $0.key) != (article.path ?? "", article.url ?? "", article.key) }
                .map { Alert.Sighting(key: $0.key, url: $0.url.isEmpty ? nil : $0.url, source: $0.source,
                                      path: $0.origin.isEmpty ? nil : $0.origin, seen: $0.seen) }
            return others.isEmpty ? nil : others
        }
    }

    private func sightings(story: String) throws -> [StoredSighting] {
        try db.query("SELECT origin, url, key, source, seen FROM sightings WHERE story = $1 ORDER BY seq", [.text(story)]).map {
            let (origin, url, key, source, seen) = try $0.decode((String, String, String, String?, String).self)
            return StoredSighting(origin: origin, url: url, key: key, source: source, seen: seen)
        }
    }

    /// An alert's stored JSON and story, and its parts (`StoredAlert`), for `decodeAlerts`.
    static let selectAlert = """
        SELECT a.json, a.story, p.json, q.json FROM alerts a
        LEFT JOIN alert_articles p ON p.id = a.article_part LEFT JOIN alert_rules q ON q.id = a.rule_part
        """

    /// Alerts from their stored JSON (the form the SQLite state stores, so fields added to
    /// the alert record pass through), with `also_seen` as the database knows it now.
    private func decodeAlerts(_ rows: [PostgresRow]) throws -> [Alert] {
        try rows.map { row in
            let (json, story, article, rule) = try row.decode((String, String, String?, String?).self)
            var alert = try StoredAlert.decode(json: json, article: article, rule: rule)
            alert.alsoSeen = StoredSighting.alsoSeen(try sightings(story: story), of: alert.article)
            return alert
        }
    }

    // MARK: - Outbox

    public func undelivered(reporter: String) throws -> [Alert] {
        try db.transaction {
            let claimed = try db.query("""
                WITH owed AS (
                    SELECT alert_id FROM deliveries
                    WHERE reporter = $1 AND status <> 'delivered'
                      AND (claimed_by IS NULL OR claimed_by = $2 OR claimed_until < now()
                           OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = deliveries.claimed_pid))
                    FOR UPDATE SKIP LOCKED)
                UPDATE deliveries d SET claimed_by = $2, claimed_pid = pg_backend_pid(), claimed_until = now() + make_interval(secs => $3)
                FROM owed WHERE d.reporter = $1 AND d.alert_id = owed.alert_id
                RETURNING d.alert_id
                """, [.text(reporter), .text(owner), .real(lease)]).map { try $0.decode(String.self) }
            guard !claimed.isEmpty else { return [] }
            return try decodeAlerts(db.query(Self.selectAlert + " WHERE a.id = ANY($1::text[]) ORDER BY a.seq", [.textArray(claimed)]))
        }
    }

    public func deliveries(alertID: String?, reporter: String?) throws -> [DeliveryRecord] {
        var sql = "SELECT alert_id, reporter, status, attempts, last_error, updated FROM deliveries WHERE true"
        var binds: [PostgresBindable] = []
        if let alertID { binds.append(.text(alertID)); sql += " AND alert_id = $\(binds.count)" }
        if let reporter { binds.append(.text(reporter)); sql += " AND reporter = $\(binds.count)" }
        return try db.query(sql + " ORDER BY seq", binds).map {
            let (id, rep, status, attempts, error, updated) = try $0.decode((String, String, String, Int, String?, String).self)
            return DeliveryRecord(alertID: id, reporter: rep, status: DeliveryStatus(rawValue: status) ?? .pending, attempts: attempts,
                                  lastError: error, updated: updated)
        }
    }

    public func markDelivered(alertIDs: [String], reporter: String, at time: String) throws {
        try mark(alertIDs, reporter: reporter, status: .delivered, error: nil, at: time)
    }

    public func markFailed(alertIDs: [String], reporter: String, error: String, at time: String) throws {
        try mark(alertIDs, reporter: reporter, status: .failed, error: error, at: time)
    }

    private func mark(_ ids: [String], reporter: String, status: DeliveryStatus, error: String?, at time: String) throws {
        guard !ids.isEmpty else { return }
        // A delivered row is never reopened; either way the claim ends here.
        try db.query("""
            UPDATE deliveries SET status = $1, attempts = attempts + 1, last_error = $2, updated = $3, claimed_by = NULL, claimed_until = NULL
            WHERE alert_id = ANY($4::text[]) AND reporter = $5 AND status <> 'delivered'
            """, [.text(status.rawValue), .text(error), .text(time), .textArray(ids), .text(reporter)])
    }

    public func markAllOpen(reporter: String, delivered: Bool, error: String?, at time: String) throws {
        // Only what this scanner holds: another scanner's rows are in its own report.
        try db.query("""
            UPDATE deliveries SET status = $1, attempts = attempts + 1, last_error = $2, updated = $3, claimed_by = NULL, claimed_until = NULL
            WHERE reporter = $4 AND status <> 'delivered' AND claimed_by = $5
            """, [.text(delivered ? "delivered" : "failed"), .text(error), .text(time), .text(reporter), .text(owner)])
    }

    public func beginAppend(reporter: String, path: String, length: Int64) throws {
        try db.query("""
            INSERT INTO file_appends (reporter, host, path, length) VALUES ($1, $2, $3, $4)
            ON CONFLICT (reporter, host) DO UPDATE SET path = excluded.path, length = excluded.length
            """, [.text(reporter), .text(host), .text(path), .int(Int(length))])
    }

    public func finishAppend(reporter: String, alertIDs: [String], at time: String) throws {
        try db.transaction {
            try markDelivered(alertIDs: alertIDs, reporter: reporter, at: time)
            try clearAppend(reporter: reporter)
        }
    }

    public func unfinishedAppend(reporter: String) throws -> (path: String, length: Int64)? {
        try db.query("SELECT path, length FROM file_appends WHERE reporter = $1 AND host = $2", [.text(reporter), .text(host)]).first.map {
            let (path, length) = try $0.decode((String, Int).self)
            return (path, Int64(length))
        }
    }

    public func clearAppend(reporter: String) throws {
        try db.query("DELETE FROM file_appends WHERE reporter = $1 AND host = $2", [.text(reporter), .text(host)])
    }

    /// Gives up this process's claims on outbox rows and sources (at the end of a run, so
    /// another scanner or `policywatch deliver` need not wait for the lease to run out).
    public func releaseClaims() throws {
        try db.query("UPDATE deliveries SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by = $1", [.text(owner)])
        try db.query("UPDATE sources SET leased_by = NULL, lease_until = NULL WHERE leased_by = $1", [.text(owner)])
    }

    // MARK: - History

    public func alerts(since: String?, tags: [String], rule: String?) throws -> [Alert] {
        var sql = Self.selectAlert + " WHERE true"
        var binds: [PostgresBindable] = []
        if let since { binds.append(.text(since)); sql += " AND a.raised >= $\(binds.count)" }
        if let rule { binds.append(.text(rule)); sql += " AND a.rule = $\(binds.count)" }
        for tag in tags {
            binds.append(.text(tag))
            sql += " AND EXISTS (SELECT 1 FROM alert_tags t WHERE t.alert_id = a.id AND t.tag = $\(binds.count))"
        }
        return try decodeAlerts(db.query(sql + " ORDER BY a.seq", binds))
    }

    /// Rows in a table (tests, and `policywatch deliver --status`).
    public func count(_ table: String) throws -> Int {
        precondition(["files", "feeds", "articles", "sightings", "alerts", "alert_tags", "deliveries", "sources", "alert_articles",
                      "alert_rules"].contains(table))
        return try db.query("SELECT COUNT(*) FROM \(table)").first.map { try $0.decode(Int.self) } ?? 0
    }
}

import Foundation

/// The PostgreSQL schema, as numbered migrations. `policywatch_schema` holds the version
/// reached; migrations run on first use, under an advisory lock, so scanners that start at
/// the same moment on a new database migrate it once. A database at a version this binary
/// does not know (written by a newer policywatch) is refused.
///
/// The tables are those of the SQLite state (files, feeds, articles, sightings, alerts,
/// alert_tags, deliveries, file_appends) with what sharing needs:
/// - `seq` columns give the order SQLite's rowid gives;
/// - `story_contents`: the story of each content hash, decided by its primary key, so two
///   scanners reading one story under two keys at the same moment make one story;
/// - `deliveries.claimed_by/claimed_pid/claimed_until`: the process delivering a row, its
///   server backend (the claim ends with that connection), and until when;
/// - `file_appends` is per (reporter, host): each host appends to its own files;
/// - `scan_round` and `sources`: the round of scanning in progress and each source's lease.
enum PostgresSchema {
    /// Arbitrary: the advisory lock taken while migrating.
    static let migrationLock = 7_305_012_001

    static let migrations: [[String]] = [
        // 1
        [
            """
            CREATE TABLE files (
                path TEXT PRIMARY KEY, size BIGINT NOT NULL, mtime DOUBLE PRECISION NOT NULL,
                hash TEXT NOT NULL, scanned TEXT NOT NULL, error TEXT)
            """,
            """
            CREATE TABLE feeds (
                url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT, fetched TEXT NOT NULL, status BIGINT NOT NULL)
            """,
            """
            CREATE TABLE articles (
                key TEXT PRIMARY KEY, story TEXT NOT NULL, content_hash TEXT NOT NULL, letters BIGINT NOT NULL,
                first_seen TEXT NOT NULL, last_seen TEXT NOT NULL)
            """,
            "CREATE TABLE story_contents (content_hash TEXT PRIMARY KEY, story TEXT NOT NULL)",
            """
            CREATE TABLE sightings (
                seq BIGSERIAL, story TEXT NOT NULL, origin TEXT NOT NULL, url TEXT NOT NULL, key TEXT NOT NULL,
                source TEXT, seen TEXT NOT NULL, PRIMARY KEY (story, origin, url, key))
            """,
            """
            CREATE TABLE alerts (
                seq BIGSERIAL UNIQUE, id TEXT PRIMARY KEY, rule TEXT NOT NULL, story TEXT NOT NULL,
                article_key TEXT NOT NULL, severity TEXT NOT NULL, raised TEXT NOT NULL, json TEXT NOT NULL)
            """,
            "CREATE INDEX alerts_raised ON alerts(raised)",
            "CREATE INDEX alerts_story ON alerts(story)",
            """
            CREATE TABLE alert_tags (
                alert_id TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE, tag TEXT NOT NULL, PRIMARY KEY (alert_id, tag))
            """,
            "CREATE INDEX alert_tags_tag ON alert_tags(tag)",
            """
            CREATE TABLE deliveries (
                seq BIGSERIAL, alert_id TEXT NOT NULL, reporter TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                attempts BIGINT NOT NULL DEFAULT 0, last_error TEXT, updated TEXT NOT NULL,
                claimed_by TEXT, claimed_pid INT, claimed_until TIMESTAMPTZ, PRIMARY KEY (alert_id, reporter))
            """,
            "CREATE INDEX deliveries_open ON deliveries(reporter, status)",
            "CREATE INDEX deliveries_claimed ON deliveries(claimed_by)",
            """
            CREATE TABLE file_appends (
                reporter TEXT NOT NULL, host TEXT NOT NULL, path TEXT NOT NULL, length BIGINT NOT NULL, PRIMARY KEY (reporter, host))
            """,
            "CREATE TABLE scan_round (id INT PRIMARY KEY CHECK (id = 1), round BIGINT NOT NULL)",
            "INSERT INTO scan_round (id, round) VALUES (1, 1)",
            """
            CREATE TABLE sources (
                name TEXT PRIMARY KEY, done_round BIGINT NOT NULL DEFAULT 0, leased_by TEXT, lease_until TIMESTAMPTZ,
                finished TIMESTAMPTZ)
            """,
        ],
        // 2: an alert's article object and rule object stored once (`StoredAlert`): the
        // alert row keeps the rest of its JSON, `article_part`/`rule_part` point to them
        // (NULL: whole JSON, as in rows of version 1 and trend alerts). A rule object is
        // unique by its md5 (an index on the text itself would limit its length).
        [
            "CREATE TABLE alert_articles (id BIGSERIAL PRIMARY KEY, json TEXT NOT NULL)",
            "CREATE TABLE alert_rules (id BIGSERIAL PRIMARY KEY, json TEXT NOT NULL)",
            "CREATE UNIQUE INDEX alert_rules_json ON alert_rules (md5(json))",
            "ALTER TABLE alerts ADD COLUMN article_part BIGINT",
            "ALTER TABLE alerts ADD COLUMN rule_part BIGINT",
        ],
    ]

    static var latest: Int { migrations.count }

    /// Brings the database to the latest version; refuses a newer one.
    static func migrate(_ db: BlockingPostgres) throws {
        try db.transaction {
            try db.query("SELECT pg_advisory_xact_lock(\(migrationLock))")
            try db.query("CREATE TABLE IF NOT EXISTS policywatch_schema (version BIGINT NOT NULL)")
            let current = try db.query("SELECT COALESCE(MAX(version), 0) FROM policywatch_schema").first.map { try $0.decode(Int.self) } ?? 0
            if current > latest {
                throw StateError(path: db.url.description,
                                 message: "the state's schema is version \(current), written by a newer policywatch; this one knows up to version \(latest)",
                                 hint: "upgrade policywatch on this host (every scanner sharing a database must run the same version or newer)")
            }
            for version in (current + 1)..<(latest + 1) where version > current {
                try db.execute(migrations[version - 1])
                try db.query("INSERT INTO policywatch_schema (version) VALUES ($1)", [.int(version)])
            }
        }
    }
}

import Foundation
import GRDB

/// The state's SQLite schema, one migration per version: an older file is brought up to date
/// on first open, and a newer one is refused (`StateStore.open`). The comments of each
/// migration say why it changed what it did; docs/cron.md describes the tables.
extension StateStore {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE files (
                    path TEXT PRIMARY KEY NOT NULL,
                    size INTEGER NOT NULL,
                    mtime REAL NOT NULL,
                    hash TEXT NOT NULL,
                    scanned TEXT NOT NULL,
                    error TEXT
                );
                CREATE TABLE feeds (
                    url TEXT PRIMARY KEY NOT NULL,
                    etag TEXT,
                    last_modified TEXT,
                    fetched TEXT NOT NULL,
                    status INTEGER NOT NULL
                );
                CREATE TABLE articles (
                    key TEXT PRIMARY KEY NOT NULL,
                    story TEXT NOT NULL,
                    content_hash TEXT NOT NULL,
                    letters INTEGER NOT NULL,
                    first_seen TEXT NOT NULL,
                    last_seen TEXT NOT NULL
                );
                CREATE INDEX articles_content ON articles(content_hash);
                CREATE TABLE sightings (
                    story TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    url TEXT NOT NULL,
                    key TEXT NOT NULL,
                    source TEXT,
                    seen TEXT NOT NULL,
                    PRIMARY KEY (story, origin, url)
                );
                CREATE TABLE alerts (
                    id TEXT PRIMARY KEY NOT NULL,
                    rule TEXT NOT NULL,
                    story TEXT NOT NULL,
                    article_key TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    raised TEXT NOT NULL,
                    json TEXT NOT NULL
                );
                CREATE INDEX alerts_raised ON alerts(raised);
                CREATE INDEX alerts_story ON alerts(story);
                CREATE TABLE alert_tags (
                    alert_id TEXT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
                    tag TEXT NOT NULL,
                    PRIMARY KEY (alert_id, tag)
                );
                CREATE INDEX alert_tags_tag ON alert_tags(tag);
                -- No foreign key to alerts: the outbox stands alone, so reporters may queue
                -- alerts that another component stored.
                CREATE TABLE deliveries (
                    alert_id TEXT NOT NULL,
                    reporter TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    updated TEXT NOT NULL,
                    PRIMARY KEY (alert_id, reporter)
                );
                CREATE INDEX deliveries_open ON deliveries(reporter, status);
                """)
        }
        m.registerMigration("v2") { db in
            // Every copy of a story is a sighting, even two copies in one file without a URL
            // (told apart by their keys); and the outbox remembers a file append in flight,
            // so a run killed during it can cut the file back (exactly-once JSON Lines).
            try db.execute(sql: """
                CREATE TABLE sightings_v2 (
                    story TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    url TEXT NOT NULL,
                    key TEXT NOT NULL,
                    source TEXT,
                    seen TEXT NOT NULL,
                    PRIMARY KEY (story, origin, url, key)
                );
                INSERT INTO sightings_v2 SELECT story, origin, url, key, source, seen FROM sightings ORDER BY rowid;
                DROP TABLE sightings;
                ALTER TABLE sightings_v2 RENAME TO sightings;
                CREATE TABLE file_appends (
                    reporter TEXT PRIMARY KEY NOT NULL,
                    path TEXT NOT NULL,
                    length INTEGER NOT NULL
                );
                """)
        }
        m.registerMigration("v3") { db in
            // Nothing looks alerts up by story (also_seen reads `sightings`), and every alert
            // paid a random insert into this index.
            try db.execute(sql: "DROP INDEX IF EXISTS alerts_story")
        }
        m.registerMigration("v4") { db in
            // Less per alert (docs/performance.md, "The state at the speed of the scan"):
            // - an alert's article object and rule object are stored once (`StoredAlert`):
            //   `alerts.json` then holds the rest, and `article_part`/`rule_part` point to them
            //   (NULL: the JSON is whole, as in rows written before v4 and trend alerts);
            // - a whole report (the JSON report of a scan) is owed alerts by ranges of
            //   `alerts.rowid`, one row per transaction, instead of one `deliveries` row per
            //   alert (`report_deliveries`).
            try db.execute(sql: """
                CREATE TABLE alert_articles (
                    id INTEGER PRIMARY KEY,
                    json TEXT NOT NULL
                );
                CREATE TABLE alert_rules (
                    id INTEGER PRIMARY KEY,
                    json TEXT NOT NULL UNIQUE
                );
                ALTER TABLE alerts ADD COLUMN article_part INTEGER;
                ALTER TABLE alerts ADD COLUMN rule_part INTEGER;
                CREATE TABLE report_deliveries (
                    id INTEGER PRIMARY KEY,
                    reporter TEXT NOT NULL,
                    first_alert INTEGER NOT NULL,
                    last_alert INTEGER NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    updated TEXT NOT NULL
                );
                CREATE INDEX report_deliveries_open ON report_deliveries(reporter, status);
                """)
        }
        m.registerMigration("v5") { db in
            // The story hash's version (`ContentHash.StoryHashVersion`): a state that has
            // articles keeps v1, the hashes it stored; a new one uses the faster v2.
            let hasArticles = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM articles)") ?? false
            try db.execute(sql: """
                CREATE TABLE settings (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                """)
            try db.execute(sql: "INSERT INTO settings (key, value) VALUES ('story_hash', ?)", arguments: [hasArticles ? "1" : "2"])
        }
        m.registerMigration("v6") { db in
            // Keys that grow with the run (docs/performance.md, "The state's keys"). A
            // transaction rewrites every index page it touches; keyed by hashes (the alert id,
            // the story key), an alert or a sighting landed on a random page of a large index,
            // so each transaction rewrote most of them. Now:
            // - an article knows its story's row (`story_row`, NULL when it is its story's
            //   first article: its own rowid), and a new story's row is the newest;
            // - alerts are unique on (story row, rule), which is what the id (a hash of rule
            //   and story) names; the id stays, a plain column. The story's key, the article's
            //   key and the severity, copies of what `articles` and the JSON hold, go;
            // - sightings are keyed by the story's row; tags and outbox rows point to the
            //   alert's rowid (`alert`), so the outbox's joins need no index on the id;
            // - when alerts were raised is found by transaction (`alert_times`: the time and
            //   the rowids of the alerts it raised), not by an index entry per alert.
            try db.execute(sql: """
                ALTER TABLE articles ADD COLUMN story_row INTEGER;
                UPDATE articles SET story_row = (SELECT s.rowid FROM articles s WHERE s.key = articles.story)
                    WHERE story != key;

                CREATE TABLE sightings_v6 (
                    story_row INTEGER NOT NULL,
                    origin TEXT NOT NULL,
                    url TEXT NOT NULL,
                    key TEXT NOT NULL,
                    source TEXT,
                    seen TEXT NOT NULL,
                    PRIMARY KEY (story_row, origin, url, key)
                );
                INSERT OR IGNORE INTO sightings_v6
                    SELECT COALESCE((SELECT a.rowid FROM articles a WHERE a.key = s.story), -s.rowid), origin, url, key, source, seen
                    FROM sightings s ORDER BY s.rowid;
                DROP TABLE sightings;
                ALTER TABLE sightings_v6 RENAME TO sightings;

                CREATE TABLE alerts_v6 (
                    id TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    story_row INTEGER NOT NULL,
                    raised TEXT NOT NULL,
                    json TEXT NOT NULL,
                    article_part INTEGER,
                    rule_part INTEGER
                );
                INSERT INTO alerts_v6 (rowid, id, rule, story_row, raised, json, article_part, rule_part)
                    SELECT l.rowid, l.id, l.rule, COALESCE((SELECT a.rowid FROM articles a WHERE a.key = l.story), -l.rowid),
                           l.raised, l.json, l.article_part, l.rule_part
                    FROM alerts l ORDER BY l.rowid;

                CREATE TABLE alert_tags_v6 (
                    alert INTEGER NOT NULL,
                    tag TEXT NOT NULL,
                    PRIMARY KEY (alert, tag)
                ) WITHOUT ROWID;
                INSERT OR IGNORE INTO alert_tags_v6 SELECT l.rowid, t.tag FROM alert_tags t JOIN alerts l ON l.id = t.alert_id;

                ALTER TABLE deliveries ADD COLUMN alert INTEGER;
                UPDATE deliveries SET alert = (SELECT l.rowid FROM alerts l WHERE l.id = deliveries.alert_id);

                DROP TABLE alert_tags;
                DROP TABLE alerts;
                ALTER TABLE alerts_v6 RENAME TO alerts;
                ALTER TABLE alert_tags_v6 RENAME TO alert_tags;
                CREATE UNIQUE INDEX alerts_story_rule ON alerts(story_row, rule);
                CREATE INDEX alert_tags_tag ON alert_tags(tag);

                CREATE TABLE alert_times (
                    raised TEXT NOT NULL,
                    first_alert INTEGER NOT NULL,
                    last_alert INTEGER NOT NULL
                );
                INSERT INTO alert_times SELECT raised, MIN(rowid), MAX(rowid) FROM alerts GROUP BY raised ORDER BY MIN(rowid);
                CREATE INDEX alert_times_raised ON alert_times(raised);
                """)
        }
        m.registerMigration("v7") { db in
            // Alerts by the article (`AlertGroup`): one row per article and transaction
            // instead of one per alert. Alerts keep their numbers (the rowids of v6), so the
            // outbox, its ranges and `alert_times` stay as they are; a group is a run of
            // consecutive rows of one story, one time and one article object.
            //
            // Articles are found by 64-bit hashes of their key and content (`ArticleKeys`):
            // an index entry of 8 bytes, not the key (a URL, 50 bytes or more) or 16 hex
            // digits. These indexes take random inserts; the smaller they are, the fewer pages
            // a transaction rewrites.
            try Self.rebuildArticlesV7(db)
            // Sightings: a story's first is kept in the row of its first article (`origin`,
            // `url`, `source`; NULL in rows migrated, whose sightings stay in `sightings`),
            // which saves a row per story; the others have a plain index on the story's row
            // instead of a unique key of four columns (two of them URLs), and the commit looks
            // for a repeat before it adds one (`insertSighting`).
            try db.execute(sql: """
                CREATE TABLE sightings_v7 (
                    story_row INTEGER NOT NULL,
                    origin TEXT NOT NULL,
                    url TEXT NOT NULL,
                    key TEXT NOT NULL,
                    source TEXT,
                    seen TEXT NOT NULL
                );
                INSERT INTO sightings_v7 SELECT story_row, origin, url, key, source, seen FROM sightings ORDER BY rowid;
                DROP TABLE sightings;
                ALTER TABLE sightings_v7 RENAME TO sightings;
                CREATE INDEX sightings_story ON sightings(story_row);
                """)
            try db.execute(sql: AlertGroup.schema)
            try Self.groupV6Alerts(db)
            try db.execute(sql: """
                INSERT OR IGNORE INTO alert_group_tags (tag, alert_group)
                    SELECT t.tag, (SELECT g.first_alert FROM alert_groups g WHERE g.first_alert <= t.alert ORDER BY g.first_alert DESC LIMIT 1)
                    FROM alert_tags t;
                DROP TABLE alert_tags;
                DROP TABLE alerts;
                DROP TABLE alert_articles;
                """)
        }
        m.registerMigration("v8") { _ in
            // A group's lines may be compressed (`AlertGroupText`): a BLOB in `alerts`, which
            // a program of v7 would misread. Rows stored before stay TEXT and are read as
            // such: nothing to rewrite, but a v8 state refuses older programs (`migrate`).
        }
        return m
    }

    /// Migration v7: the articles with their key and content hashes, under the same rowids.
    private static func rebuildArticlesV7(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE articles_v7 (
                key TEXT NOT NULL,
                key_hash INTEGER NOT NULL,
                story TEXT NOT NULL,
                story_row INTEGER,
                content_hash TEXT NOT NULL,
                content_key INTEGER NOT NULL,
                letters INTEGER NOT NULL,
                first_seen TEXT NOT NULL,
                last_seen TEXT NOT NULL,
                origin TEXT,
                url TEXT,
                source TEXT
            );
            """)
        let insert = try db.makeStatement(sql: """
            INSERT INTO articles_v7 (rowid, key, key_hash, story, story_row, content_hash, content_key, letters, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let rows = try Row.fetchCursor(db, sql: "SELECT rowid, key, story, story_row, content_hash, letters, first_seen, last_seen FROM articles ORDER BY rowid")
        while let r = try rows.next() {
            let key: String = r[1], content: String = r[4]
            try insert.execute(arguments: [r[0] as Int64, key, ArticleKeys.key(key), r[2] as String, r[3] as Int64?, content, ArticleKeys.content(content),
                                           r[5] as Int, r[6] as String, r[7] as String])
        }
        try db.execute(sql: """
            DROP TABLE articles;
            ALTER TABLE articles_v7 RENAME TO articles;
            CREATE INDEX articles_key ON articles(key_hash);
            CREATE INDEX articles_content ON articles(content_key);
            """)
    }

    /// Migration v7: v6's alert rows as groups (`AlertGroup`).
    private static func groupV6Alerts(_ db: Database) throws {
        let insert = try db.makeStatement(sql: """
            INSERT INTO alert_groups (first_alert, count, story_row, raised, article, alerts) VALUES (?, ?, ?, ?, ?, ?)
            """)
        var group: (first: Int64, next: Int64, storyRow: Int64, raised: String, articlePart: Int64?, article: String?, count: Int)?
        var text = JSONBytes(pretty: false)
        func flush() throws {
            guard let g = group else { return }
            try insert.execute(arguments: [g.first, g.count, g.storyRow, g.raised, g.article, String(decoding: text.bytes, as: UTF8.self)])
            text.reset()
            group = nil
        }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT a.rowid, a.id, a.rule, a.story_row, a.raised, a.json, a.article_part, a.rule_part, p.json FROM alerts a
            LEFT JOIN alert_articles p ON p.id = a.article_part ORDER BY a.rowid
            """)
        while let row = try rows.next() {
            let n: Int64 = row[0], storyRow: Int64 = row[3], raised: String = row[4], articlePart: Int64? = row[6]
            // A row in parts needs its article object: without it (never written so), it cannot be read back.
            let rulePart: Int64? = row[8] == nil ? nil : row[7]
            if let g = group, g.next != n || g.storyRow != storyRow || g.raised != raised
                || (articlePart != nil && g.articlePart != nil && g.articlePart != articlePart) {
                try flush()
            }
            if group == nil { group = (n, n, storyRow, raised, nil, nil, 0) }
            if rulePart != nil, group!.articlePart == nil { (group!.articlePart, group!.article) = (articlePart, row[8]) }
            group!.next = n + 1
            group!.count += 1
            AlertGroup.append(id: row[1], rulePart: rulePart, rule: row[2], json: .string(row[5]), to: &text)
        }
        try flush()
    }
}

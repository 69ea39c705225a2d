import Foundation
import GRDB

/// A problem with the state database, shown as `PATH: error: message` with a hint.
public struct StateError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var message: String
    public var hint: String?
    /// A conflict between two writers (a PostgreSQL deadlock) that a retry resolves.
    public var retryable = false

    public init(path: String, message: String, hint: String? = nil) {
        self.path = path
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var s = "\(path): error: \(message)"
        if let hint { s += "\n  hint: \(hint)" }
        return s
    }
}

/// What earlier runs saw and raised, in one SQLite file (WAL mode, versioned
/// migrations): the `StoryIndex` of cron runs, and the outbox of their reporters. A scan
/// without a state file uses `InMemoryStoryIndex`, which decides copies the same way.
///
/// Tables (migration v1):
/// - `files`: path, size, mtime, content hash, when scanned, and the content error if any;
/// - `feeds`: URL, ETag, Last-Modified, last fetch and status;
/// - `articles`: key, story (the key of the first copy of the story), content hash, first/last seen;
/// - `sightings`: every copy of a story (place, URL and key), for `also_seen`;
/// - `alerts`: id (rule + story), rule, story, severity, when raised, the alert JSON; `alert_tags`
///   (since v6: id, rule, the story's row, when raised, the JSON);
/// - `deliveries`: the outbox, one row per (alert, reporter): pending / delivered / failed,
///   attempts, last error. The scan's sinks (`ReporterSink`) and `policywatch deliver`
///   (`Dispatcher`) send each reporter what it has not yet delivered;
/// - `file_appends` (v2): a JSON Lines append in flight, to undo it after a kill;
/// - `alert_articles`, `alert_rules` (v4): an alert's article and rule objects, stored once
///   and spliced back when it is read (`StoredAlert`); `report_deliveries` (v4): what a whole
///   report (the JSON report, without filters) is owed, one range of `alerts.rowid` per
///   transaction instead of one `deliveries` row per alert;
/// - v6: keys that grow with the run (see the migration): `articles.story_row`, sightings
///   keyed by it, alerts unique on (story row, rule), tags and outbox rows on the alert's row;
///   `alert_times`: the time of each transaction that raised alerts, and their rowids;
/// - v7: alerts by the article (`AlertGroup`): `alert_groups`, one row per article and
///   transaction holding its new alerts (numbered as the rowids of v6 were), and
///   `alert_group_tags`, replace `alerts`, `alert_tags` and `alert_articles`;
/// - v8: a group's lines may be compressed, a BLOB (`AlertGroupText`).
public final class StateStore: StoryIndex, Sendable {
    /// The file, or nil in memory.
    public let path: String?
    let writer: any DatabaseWriter
    /// The version of the content hashes it stores (`settings.story_hash`, migration v5).
    public let storyHashVersion: ContentHash.StoryHashVersion

    /// The writer's page cache, in KiB (`open`); a bulk load needs less (`DeferredIndexes.swift`).
    static let cacheKiB = 16384
    /// The page size of a state file this program creates.
    static let newPageSize = 16384
    public static let minimumLettersForContentMatch = PolicyWatch.minimumLettersForContentMatch
    public typealias FileRecord = FileMark
    public typealias FeedRecord = FeedMark
    public typealias Batch = StoryBatch
    public typealias ScannedArticle = PolicyWatch.ScannedArticle

    /// Migrates the database and opens the state on it.
    private init(path: String?, writer: any DatabaseWriter) throws {
        self.path = path
        self.writer = writer
        storyHashVersion = try Self.migrate(writer, path: path)
    }

    /// Opens (creating it and its directory if needed) the state at `path` and migrates it.
    public static func open(path: String, create: Bool = true) throws -> StateStore {
        let fm = FileManager.default
        let isNew = !fm.fileExists(atPath: path)
        if isNew {
            guard create else {
                throw StateError(path: path, message: "no state file here", hint: "run 'policywatch scan --state \(path) ...' first, or give the right --state/--config")
            }
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty {
                do {
                    try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
                } catch {
                    throw StateError(path: path, message: "cannot create the state directory: \(error.localizedDescription)")
                }
            }
        }
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in
            // WAL + NORMAL: a commit survives the process being killed at any moment (the
            // kernel has the WAL pages); only a power cut may drop the last commits, and
            // then whole transactions, never half of one.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Article keys and content hashes are hashes: every batch inserts into random
            // pages of their indexes (the other keys grow with the run since v6). With
            // SQLite's default 2 MB page cache those pages were evicted (written
            // mid-transaction) and read back batch after batch; 16 MB holds most of them (the
            // cache grows only as used; docs/performance.md).
            try db.execute(sql: "PRAGMA cache_size = -\(Self.cacheKiB)")
            // A new file gets 16 KB pages (set before its first write; an existing file keeps
            // its own). Each page costs SQLite four system calls in WAL mode (a frame's header
            // and body, then the checkpoint's read and write): with 4 KB pages, the kernel's
            // part of them was a third of the committing thread's time on a first run.
            // 16 KB pages made a fourth as many calls, and a smaller file (rows of about a
            // kilobyte waste less of a larger page): docs/performance.md, "Tenth round".
            if isNew { try db.execute(sql: "PRAGMA page_size = \(Self.newPageSize)") }
        }
        do {
            // A new file switching to WAL mode while another process does the same answers
            // "locked" at once, whatever the busy timeout: tried again shortly.
            var attempts = 0
            while true {
                do {
                    let pool = try DatabasePool(path: path, configuration: config)
                    return try StateStore(path: path, writer: pool)
                } catch let e as DatabaseError where e.resultCode == .SQLITE_BUSY && attempts < 20 {
                    attempts += 1
                    usleep(20_000)
                }
            }
        } catch let e as StateError {
            throw e
        } catch let e as DatabaseError {
            throw StateError(path: path, message: "cannot open the state: \(e.message ?? "\(e.resultCode)")",
                             hint: "if the file is damaged, move it away (and its -wal and -shm files): the next run starts afresh and re-reads every input")
        }
    }

    /// A state that lives for one run (no --state): every alert is new, duplicates still merge.
    public static func inMemory() throws -> StateStore {
        try StateStore(path: nil, writer: try DatabaseQueue())
    }

    /// Brings the database to the current schema; the story hash version it uses.
    private static func migrate(_ writer: any DatabaseWriter, path: String?) throws -> ContentHash.StoryHashVersion {
        let migrator = Self.migrator
        let superseded = try writer.read { db in try migrator.hasBeenSuperseded(db) }
        if superseded {
            throw StateError(path: path ?? ":memory:", message: "the state was written by a newer policywatch",
                             hint: "use that version, or start a new state file")
        }
        // Another process opening a new (or older) state at the same moment migrates it too
        // (a first scan, and `policywatch alerts` or a second scan waiting for the lock).
        // GRDB decides which migrations to run before it runs each in a transaction of its
        // own, so one of the two fails on what the other did, and that migration is rolled
        // back: it then finds them applied, or applies the rest.
        var attempts = 0
        while true {
            do {
                try migrator.migrate(writer)
                break
            } catch {
                attempts += 1
                if (try? writer.read({ db in try migrator.hasCompletedMigrations(db) })) == true { break }
                guard attempts < 8 else { throw error }
                usleep(useconds_t(10_000 * attempts))
            }
        }
        let stored = try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'story_hash'") }
        return stored.flatMap(Int.init).flatMap(ContentHash.StoryHashVersion.init(rawValue:)) ?? .v1
    }

    // MARK: - Files

    public func file(_ path: String) throws -> FileRecord? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM files WHERE path = ?", arguments: [path]).map {
                FileRecord(path: $0["path"], size: $0["size"], mtime: $0["mtime"], hash: $0["hash"], scanned: $0["scanned"], error: $0["error"])
            }
        }
    }

    /// Records a file whose content did not change (same hash, new mtime): nothing to commit but the mark.
    public func recordFile(_ f: FileRecord) throws {
        try writer.write { db in try Self.upsert(f, db) }
    }

    static func upsert(_ f: FileRecord, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO files (path, size, mtime, hash, scanned, error) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, hash = excluded.hash,
                scanned = excluded.scanned, error = excluded.error
            """, arguments: [f.path, f.size, f.mtime, f.hash, f.scanned, f.error])
    }

    // MARK: - Feeds

    public func feed(_ url: String) throws -> FeedRecord? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM feeds WHERE url = ?", arguments: [url]).map {
                FeedRecord(url: $0["url"], etag: $0["etag"], lastModified: $0["last_modified"], fetched: $0["fetched"], status: $0["status"])
            }
        }
    }

    /// Records a fetch that brought nothing new (304): the validators stay as they were.
    public var storesAlertJSON: Bool { true }

    public func recordFeedNotModified(url: String, at time: String) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE feeds SET fetched = ?, status = 304 WHERE url = ?", arguments: [time, url])
        }
    }

    static func upsert(_ f: FeedRecord, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO feeds (url, etag, last_modified, fetched, status) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
                fetched = excluded.fetched, status = excluded.status
            """, arguments: [f.url, f.etag, f.lastModified, f.fetched, f.status])
    }

    // MARK: - Articles and alerts

    /// Content hashes of the articles already seen, by key.
    public func seenContentHashes(keys: [String]) throws -> [String: String] {
        guard !keys.isEmpty else { return [:] }
        return try writer.read { db in
            var out: [String: String] = [:]
            let stmt = try db.cachedStatement(sql: "SELECT content_hash FROM articles WHERE key_hash = ? AND key = ?")
            for key in Set(keys) {
                let find = SQLiteCall(stmt)
                find.bind(1, ArticleKeys.key(key))
                find.bind(2, key)
                if try find.step(db) {
                    out[key] = find.text(0)
                    find.finish()
                }
            }
            return out
        }
    }

    // MARK: - StoryIndex

    public func holdsNoArticles() throws -> Bool {
        try writer.read { db in try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM articles)") ?? false }
    }

    /// A run over an empty state is a bulk load: its hash indexes are built at its end
    /// (`DeferredIndexes.swift`).
    public func beginRun() throws -> Bool { try beginBulkLoadIfEmpty() }

    public func endRun() throws {
        try endBulkLoad()
        // Copies the WAL into the file now, beside the sinks' end (`ScanPipeline.run`), rather
        // than when the last connection closes, after it. Passive: a reader still at work
        // keeps its pages, and closing copies those. Only sooner than SQLite would: another
        // process checkpointing at the same moment (busy) is no failure of the run.
        if path != nil { _ = try? writer.writeWithoutTransaction { try $0.checkpoint(.passive) } }
    }

    public func knownContentHashes(keys: [String]) throws -> [String: String] {
        try seenContentHashes(keys: keys)
    }

    public func fileMark(_ path: String) throws -> FileMark? { try file(path) }
    public func feedMark(_ url: String) throws -> FeedMark? { try feed(url) }

    /// Stores a batch; returns the alerts raised for the first time (ids rewritten to the
    /// story's first key, so a copy of a story raises nothing new), with `also_seen`.
    @discardableResult
    public func commit(_ batch: StoryBatch) throws -> StoryCommit {
        // The snapshot is let go before the cache grows (held, the cache would be copied).
        let bulk = bulkRows.isActive ? bulkRows : nil
        let (result, newRules, added) = try { [writer, ruleParts, addedKeys] in
            let known = ruleParts.snapshot()
            return try writer.write { db in try Self.commit(batch, knownRules: known, addedKeys: addedKeys, bulk: bulk, db) }
        }()
        ruleParts.add(newRules)
        if let bulk { bulk.add(added.rows) } else { addedKeys.add(added.keys) }
        return result
    }

    /// The key hashes of the articles this store has added (committed): a key the
    /// scanning thread did not find in the state and that is not here is new, and is
    /// inserted without a look-up. (Keys are not unique in the index, a hash: an article
    /// is looked up by hash and key before it is added otherwise.) One writer at a time
    /// (the state's lock), so nothing else adds articles meanwhile.
    private let addedKeys = KeyHashCache()

    /// The articles a bulk load has added, while the hash indexes wait (`DeferredIndexes.swift`).
    let bulkRows = BulkRows()

    final class KeyHashCache: @unchecked Sendable {
        private let lock = NSLock()
        private var hashes: Set<Int64> = []
        func contains(_ hash: Int64) -> Bool { lock.withLock { hashes.contains(hash) } }
        func add(_ new: Set<Int64>) {
            guard !new.isEmpty else { return }
            lock.withLock { hashes.formUnion(new) }
        }
    }

    /// The ids of rule objects in `alert_rules`, kept across transactions (only ids of
    /// committed rows are added) so that an alert's rule costs a dictionary look-up.
    private let ruleParts = RulePartCache()

    final class RulePartCache: @unchecked Sendable {
        private let lock = NSLock()
        private var rows = RuleRows()
        func snapshot() -> RuleRows { lock.withLock { rows } }
        func add(_ new: RuleRows) {
            guard !new.isEmpty else { return }
            lock.withLock { rows.add(new) }
        }
    }

    private static func commit(_ batch: StoryBatch, knownRules: RuleRows, addedKeys: KeyHashCache, bulk: BulkRows?,
                               _ db: Database) throws -> (StoryCommit, RuleRows, AddedArticles) {
        var result = StoryCommit()
        // The raised alerts go straight into the result (one copy each), with their stories' rows.
        var raisedRows: [Int64] = []
        var articles = try ArticleRows(bulk: bulk, addedKeys: addedKeys, now: batch.now, db)
        var groups = try GroupWriter(batch, knownRules: knownRules, db)
        let insertSighting = try db.cachedStatement(sql: """
            INSERT INTO sightings (story_row, origin, url, key, source, seen) VALUES (?, ?, ?, ?, ?, ?)
            """)
        let findSighting = try db.cachedStatement(sql: """
            SELECT 1 FROM sightings WHERE story_row = ?1 AND origin = ?2 AND url = ?3 AND key = ?4
            UNION ALL SELECT 1 FROM articles WHERE rowid = ?1 AND origin = ?2 AND url = ?3 AND key = ?4
            """)
        // What each story touched in this batch has raised (an alert is raised once per story
        // and rule).
        var fired: [Int64: FiredRules] = [:]
        // Stories this batch started and no other article joined: their only sighting is
        // their own, so their alerts need no look-up for `also_seen`.
        var startedAlone: Set<Int64> = []
        // Stories this batch has recorded a sighting of.
        var sighted: Set<Int64> = []
        for (itemIndex, item) in batch.articles.enumerated() {
            let a = item.article
            let (story, storyRow, placed) = try articles.place(item, rescan: batch.rescan)
            if placed == .newStory {
                startedAlone.insert(storyRow)
                fired[storyRow] = .nothing
            } else {
                startedAlone.remove(storyRow)
            }
            // A story's first sighting is in its first article's row; any other may repeat one.
            let storysFirst = sighted.insert(storyRow).inserted && startedAlone.contains(storyRow)
            if !storysFirst {
                try Self.insertSighting(a, storyRow: storyRow, now: batch.now, insert: insertSighting, find: findSighting, db)
            }
            result.sightings.append((story, Alert.Sighting(key: a.key, url: a.url, source: a.source, path: a.path, seen: batch.now)))
            guard placed != .unchanged, let alerts = item.alerts else { continue }
            result.evaluated += 1
            guard !alerts.isEmpty else { continue }
            // A new story's first article raises all its alerts (one per rule) unchecked.
            var firedRules: Set<String>?
            switch fired[storyRow] {
            case .nothing?: firedRules = nil
            case .allOf(let i)?: firedRules = Set(batch.articles[i].alerts!.map(\.rule.id))
            case .rules(let set)?: firedRules = set
            case nil: firedRules = try Self.firedRules(storyRow: storyRow, db)
            }
            let firstRaised = result.raised.count
            try groups.add(item, story: story, storyRow: storyRow, skipping: &firedRules, to: &result)
            raisedRows += repeatElement(storyRow, count: result.raised.count - firstRaised)
            fired[storyRow] = firedRules.map(FiredRules.rules) ?? .allOf(itemIndex)
        }
        try groups.finish()
        for f in batch.files { try Self.upsert(f, db) }
        for f in batch.feeds { try Self.upsert(f, db) }
        // An article's alerts share their story: its sightings are read once.
        var sightingsOf: [Int64: [Row]] = [:]
        for (i, row) in raisedRows.enumerated() where !startedAlone.contains(row) {
            if sightingsOf[row] == nil { sightingsOf[row] = try Self.sightings(storyRow: row, db) }
            result.raised[i].alsoSeen = Self.alsoSeen(sightingsOf[row]!, of: result.raised[i].article)
        }
        return (result, groups.newRules, articles.added)
    }

    /// Stores a commit's new alerts by the article (`AlertGroup`): numbers them, writes each
    /// article's as one group with its tags, queues their outbox rows, and at the end what
    /// whole-run reporters are owed (one range) and when the transaction raised them.
    private struct GroupWriter {
        private let db: Database
        private let now: String
        private let insertGroup: Statement, insertGroupTag: Statement, insertDelivery: Statement
        private var rules: RulePartRows
        var newRules: RuleRows { rules.new }
        /// The number of the next alert: one past the last group's.
        private var next: Int64
        private var group = JSONBytes(pretty: false)
        private let compressor = AlertGroupText.Compressor()
        /// What a middle's `first_seen` and `id` members are when they can be cut (`AlertGroup`).
        private let cutPrefix: [UInt8]
        private var cut: [UInt8]
        /// Reporters owed the alerts as one range of numbers (`report_deliveries`), and the others.
        private let perRun: [ReporterConfig], perAlert: [ReporterConfig]
        /// The numbers of the alerts this transaction adds (`alert_times`).
        private var inserted: (first: Int64, last: Int64)?

        init(_ batch: StoryBatch, knownRules: RuleRows, _ db: Database) throws {
            self.db = db
            now = batch.now
            insertGroup = try db.cachedStatement(sql: """
                INSERT INTO alert_groups (first_alert, count, story_row, raised, article, alerts) VALUES (?, ?, ?, ?, ?, ?)
                """)
            insertGroupTag = try db.cachedStatement(sql: "INSERT OR IGNORE INTO alert_group_tags (tag, alert_group) VALUES (?, ?)")
            insertDelivery = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO deliveries (alert_id, alert, reporter, status, attempts, updated) VALUES (?, ?, ?, 'pending', 0, ?)
                """)
            rules = RulePartRows(known: knownRules, db: db)
            next = try Int64.fetchOne(db, sql: "SELECT first_alert + count FROM alert_groups ORDER BY first_alert DESC LIMIT 1") ?? 1
            cutPrefix = AlertGroup.Line.cutPrefix(raised: batch.now)
            cut = cutPrefix
            perRun = batch.reporters.filter(batch.recordsPerRun)
            perAlert = batch.reporters.filter { !batch.recordsPerRun($0) }
        }

        /// Stores the article's alerts whose rule is not in `fired` (nil: none has fired on
        /// the story) as one group, adds those rules to `fired`, and the alerts to `result`.
        mutating func add(_ item: ScannedArticle, story: String, storyRow: Int64, skipping fired: inout Set<String>?,
                          to result: inout StoryCommit) throws {
            let first = next
            var article: String?
            var tags: [String] = []
            group.reset()
            for i in item.alerts!.indices {
                let (alert, encoded) = item.storyAlert(i, story: story)
                if fired != nil, !fired!.insert(alert.rule.id).inserted { continue }
                switch encoded ?? StoredAlert.encode([alert])[0] {
                case .whole(let json):
                    AlertGroup.append(id: alert.id, rulePart: nil, rule: alert.rule.id, quotedRule: alert.rule.quotedID,
                                      json: .string(json), to: &group)
                case .parts(let e):
                    // The group keeps one article object: an alert with another is stored whole.
                    if let part = try rules.row(alert.rule, e), article == nil || article == e.article {
                        article = e.article
                        cut.removeLast(cut.count - cutPrefix.count)
                        AlertGroup.Line.appendCutID(alert.id, to: &cut)
                        AlertGroup.append(id: alert.id, rulePart: part, rule: alert.rule.id, quotedRule: alert.rule.quotedID,
                                          json: .bytes(e.middle), cut: cut, to: &group)
                    } else {
                        AlertGroup.append(id: alert.id, rulePart: nil, rule: alert.rule.id, quotedRule: alert.rule.quotedID,
                                          json: .string(e.whole), to: &group)
                    }
                }
                let number = next
                next += 1
                inserted = (inserted?.first ?? number, number)
                for tag in alert.rule.tags where !tags.contains(tag) { tags.append(tag) }
                for reporter in perAlert where reporter.accepts(alert) {
                    let d = SQLiteCall(insertDelivery)
                    d.bind(1, alert.id)
                    d.bind(2, number)
                    d.bind(3, reporter.key)
                    d.bind(4, now)
                    try d.run(db)
                }
                result.raised.append(alert)
                result.stories.append(story)
            }
            guard next > first else { return }
            let insert = SQLiteCall(insertGroup)
            insert.bind(1, first)
            insert.bind(2, next - first)
            insert.bind(3, storyRow)
            let lines: SQLiteCall.Bytes = compressor.compress(group.bytes[...]).map { .blob($0) } ?? .utf8(group.bytes[...])
            if let article {
                try insert.run(db, texts: [(4, now), (5, article)], bytes: (6, lines))
            } else {
                insert.bind(5, nil as String?)
                try insert.run(db, texts: [(4, now)], bytes: (6, lines))
            }
            for tag in tags {
                let t = SQLiteCall(insertGroupTag)
                t.bind(1, tag)
                t.bind(2, first)
                try t.run(db)
            }
        }

        /// What whole-run reporters are owed, and when this transaction raised its alerts.
        func finish() throws {
            guard let inserted else { return }
            if !perRun.isEmpty {
                let insertRange = try db.cachedStatement(sql: """
                    INSERT INTO report_deliveries (reporter, first_alert, last_alert, status, attempts, updated) VALUES (?, ?, ?, 'pending', 0, ?)
                    """)
                for reporter in perRun { try insertRange.execute(arguments: [reporter.key, inserted.first, inserted.last, now]) }
            }
            try db.execute(sql: "INSERT INTO alert_times (raised, first_alert, last_alert) VALUES (?, ?, ?)",
                           arguments: [now, inserted.first, inserted.last])
        }
    }

    /// What a story has raised, as a commit knows it.
    private enum FiredRules {
        /// Nothing: the batch started the story.
        case nothing
        /// The alerts of the batch's article `i`, all raised: the story's first article.
        case allOf(Int)
        case rules(Set<String>)
    }

    /// The rules that have raised alerts on the story in row `storyRow` (`AlertGroup`).
    private static func firedRules(storyRow: Int64, _ db: Database) throws -> Set<String> {
        var out: Set<String> = []
        for stored in try DatabaseValue.fetchAll(db.cachedStatement(sql: "SELECT alerts FROM alert_groups WHERE story_row = ?"), arguments: [storyRow]) {
            for line in try AlertGroup.lines(stored: stored) { out.insert(line.rule) }
        }
        return out
    }

    /// Records a sighting of the story in row `storyRow`, unless it has one from the same
    /// place, URL and key.
    private static func insertSighting(_ a: Article, storyRow: Int64, now: String, insert: Statement, find: Statement, _ db: Database) throws {
        let origin = a.path ?? "", url = a.url ?? ""
        let same = SQLiteCall(find)
        same.bind(1, storyRow)
        same.bind(2, origin)
        same.bind(3, url)
        same.bind(4, a.key)
        if try same.step(db) {
            same.finish()
            return
        }
        let sighting = SQLiteCall(insert)
        sighting.bind(1, storyRow)
        sighting.bind(5, a.source)
        try sighting.run(db, texts: [(2, origin), (3, url), (4, a.key), (6, now)])
    }

    /// The rows of rule objects in `alert_rules` (`StoredAlert`): those committed earlier,
    /// and those this transaction inserts (`new`, cached once it is committed).
    private struct RulePartRows {
        let known: RuleRows
        var new = RuleRows()
        let db: Database

        init(known: RuleRows, db: Database) {
            self.known = known
            self.db = db
        }

        /// The row of the alert's rule object, inserted when absent. (`known` is the cache's
        /// snapshot, shared with it: adding to it would copy it whole.)
        mutating func row(_ rule: Alert.RuleRef, _ encoded: StoredAlert.Encoded) throws -> Int64? {
            if let row = known.row(rule) ?? new.row(rule) { return row }
            let json = encoded.ruleJSON
            // Asked only for a rule this state's writer has not met: most often a new row.
            let insert = SQLiteCall(try db.cachedStatement(sql: "INSERT OR IGNORE INTO alert_rules (json) VALUES (?)"))
            try insert.run(db, text: json, at: 1)
            var row: Int64?
            if insert.changes(db) == 1 {
                row = insert.lastRowID(db)
            } else {
                let find = SQLiteCall(try db.cachedStatement(sql: "SELECT id FROM alert_rules WHERE json = ?"))
                find.bind(1, json)
                if try find.step(db) {
                    row = find.int64(0)
                    find.finish()
                }
            }
            if let row { new.add(rule, row: row) }
            return row
        }
    }

    // MARK: - Outbox (deliveries)

    /// Queues alerts for a reporter (a reporter added later, or a re-send). Already queued ones stay as they are.
    public func enqueue(alertIDs: [String], reporter: String, at time: String) throws {
        try writer.write { db in
            // The id is not a key: one pass over the groups finds them all.
            guard !alertIDs.isEmpty else { return }
            let wanted = Set(alertIDs)
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO deliveries (alert_id, alert, reporter, status, attempts, updated) VALUES (?, ?, ?, 'pending', 0, ?)
                """)
            let groups = try Row.fetchCursor(db, sql: "SELECT g.first_alert, g.alerts FROM alert_groups g ORDER BY g.first_alert")
            while let g = try groups.next() {
                let first: Int64 = g[0]
                for (i, line) in try AlertGroup.lines(stored: g[1]).enumerated() where wanted.contains(String(line.id)) {
                    try insert.execute(arguments: [String(line.id), first + Int64(i), reporter, time])
                }
            }
        }
    }

    /// Alerts not yet delivered to `reporter` (pending, or failed last time), oldest first,
    /// with `also_seen` filled in.
    public func undelivered(reporter: String) throws -> [Alert] {
        try writer.read { db in
            // Owed one by one (`deliveries`) or by ranges (`report_deliveries`).
            var ranges = try Row.fetchAll(db, sql: """
                SELECT first_alert, last_alert FROM report_deliveries WHERE reporter = ? AND status != 'delivered'
                """, arguments: [reporter]).map { ($0[0] as Int64)...($0[1] as Int64) }
            let single = try Int64.fetchAll(db, sql: """
                SELECT alert FROM deliveries WHERE reporter = ? AND status != 'delivered' AND alert IS NOT NULL
                """, arguments: [reporter])
            ranges += AlertGroup.ranges(single)
            return try Self.alerts(inRanges: ranges, db).map(\.alert)
        }
    }

    /// The alerts whose numbers are in `ranges` (they may overlap), in number order, each once.
    static func alerts(inRanges ranges: [ClosedRange<Int64>], _ db: Database) throws -> [(number: Int64, alert: Alert)] {
        var reader = AlertGroup.Reader(db)
        var out: [Int64: Alert] = [:]
        for range in ranges {
            for group in try AlertGroup.groups(covering: range, db) {
                for (i, line) in try AlertGroup.lines(group.text).enumerated() {
                    let n = group.first + Int64(i)
                    guard range.contains(n), out[n] == nil else { continue }
                    out[n] = try reader.alert(line, of: group)
                }
            }
        }
        return out.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Recorded deliveries (of one alert, of one reporter, or all), oldest first.
    public func deliveries(alertID: String? = nil, reporter: String? = nil) throws -> [DeliveryRecord] {
        try writer.read { db in
            // The rows of `deliveries`, then each alert of an open or closed range, as one row.
            var one = "SELECT d.alert_id, d.reporter, d.status, d.attempts, d.last_error, d.updated FROM deliveries d WHERE 1"
            var ranged = "SELECT r.first_alert, r.last_alert, r.reporter, r.status, r.attempts, r.last_error, r.updated FROM report_deliveries r WHERE 1"
            var args: [any DatabaseValueConvertible] = []
            if let alertID { one += " AND d.alert_id = ?"; args.append(alertID) }
            if let reporter { one += " AND d.reporter = ?"; args.append(reporter) }
            var out = try Row.fetchAll(db, sql: one + " ORDER BY d.rowid", arguments: StatementArguments(args)).map {
                DeliveryRecord(alertID: $0["alert_id"], reporter: $0["reporter"], status: DeliveryStatus(rawValue: $0["status"]) ?? .pending,
                               attempts: $0["attempts"], lastError: $0["last_error"], updated: $0["updated"])
            }
            if reporter != nil { ranged += " AND r.reporter = ?" }
            var fromRanges: [(number: Int64, record: DeliveryRecord)] = []
            for r in try Row.fetchAll(db, sql: ranged + " ORDER BY r.id", arguments: StatementArguments(reporter.map { [$0] } ?? [])) {
                for (number, id) in try Self.alertIDs(in: (r[0] as Int64)...(r[1] as Int64), db) where alertID == nil || id == alertID {
                    fromRanges.append((number, DeliveryRecord(alertID: id, reporter: r[2], status: DeliveryStatus(rawValue: r[3]) ?? .pending,
                                                              attempts: r[4], lastError: r[5], updated: r[6])))
                }
            }
            out += fromRanges.enumerated().sorted { ($0.element.number, $0.offset) < ($1.element.number, $1.offset) }.map(\.element.record)
            return out
        }
    }

    /// The numbers and ids of the alerts in `range`.
    static func alertIDs(in range: ClosedRange<Int64>, _ db: Database) throws -> [(number: Int64, id: String)] {
        var out: [(number: Int64, id: String)] = []
        for group in try AlertGroup.groups(covering: range, db) {
            for (i, line) in try AlertGroup.lines(group.text).enumerated() where range.contains(group.first + Int64(i)) {
                out.append((group.first + Int64(i), String(line.id)))
            }
        }
        return out
    }

    /// Final: that reporter never receives these alerts again.
    public func markDelivered(alertIDs: [String], reporter: String, at time: String) throws {
        try mark(alertIDs, reporter: reporter, status: .delivered, error: nil, at: time)
    }

    public func markFailed(alertIDs: [String], reporter: String, error: String, at time: String) throws {
        try mark(alertIDs, reporter: reporter, status: .failed, error: error, at: time)
    }

    private func mark(_ ids: [String], reporter: String, status: DeliveryStatus, error: String?, at time: String) throws {
        try writer.write { db in
            try Self.expandRanges(reporter: reporter, db)
            // A delivered row is never reopened: a late failure report must not resend it.
            let stmt = try db.cachedStatement(sql: """
                UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?, updated = ?
                WHERE alert_id = ? AND reporter = ? AND status != 'delivered'
                """)
            for id in ids { try stmt.execute(arguments: [status.rawValue, error, time, id, reporter]) }
        }
    }

    /// Marks everything still owed to `reporter` (a report written whole at the end of a run,
    /// holding all of it) as delivered or failed: its rows, and its ranges as a whole.
    public func markAllOpen(reporter: String, delivered: Bool, error: String? = nil, at time: String) throws {
        try writer.write { db in
            for table in ["deliveries", "report_deliveries"] {
                try db.execute(sql: """
                    UPDATE \(table) SET status = ?, attempts = attempts + 1, last_error = ?, updated = ?
                    WHERE reporter = ? AND status != 'delivered'
                    """, arguments: [delivered ? "delivered" : "failed", error, time, reporter])
            }
        }
    }

    /// Turns the open ranges owed to `reporter` into one `deliveries` row per alert, before
    /// alerts are marked one by one (`policywatch deliver` retrying a report that failed: the
    /// ranges are few and rarely open, so this is rare, and every path then reads one form).
    static func expandRanges(reporter: String, _ db: Database) throws {
        let open = try Row.fetchAll(db, sql: """
            SELECT first_alert, last_alert, status, attempts, last_error, updated FROM report_deliveries
            WHERE reporter = ? AND status != 'delivered' ORDER BY id
            """, arguments: [reporter])
        guard !open.isEmpty else { return }
        let insert = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO deliveries (alert_id, alert, reporter, status, attempts, last_error, updated) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for r in open {
            for (number, id) in try alertIDs(in: (r[0] as Int64)...(r[1] as Int64), db) {
                try insert.execute(arguments: [id, number, reporter, r[2] as String, r[3] as Int, r[4] as String?, r[5] as String])
            }
        }
        try db.execute(sql: "DELETE FROM report_deliveries WHERE reporter = ? AND status != 'delivered'", arguments: [reporter])
    }

    // MARK: - File appends (exactly-once JSON Lines)

    /// Records that `reporter` is about to append to `path`, now `length` bytes long.
    public func beginAppend(reporter: String, path: String, length: Int64) throws {
        try writer.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO file_appends (reporter, path, length) VALUES (?, ?, ?)",
                           arguments: [reporter, path, length])
        }
    }

    /// The append has reached the disk: its alerts are delivered, in the same transaction.
    public func finishAppend(reporter: String, alertIDs: [String], at time: String) throws {
        try writer.write { db in
            let stmt = try db.cachedStatement(sql: """
                UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, last_error = NULL, updated = ?
                WHERE alert_id = ? AND reporter = ? AND status != 'delivered'
                """)
            for id in alertIDs { try stmt.execute(arguments: [time, id, reporter]) }
            try db.execute(sql: "DELETE FROM file_appends WHERE reporter = ?", arguments: [reporter])
        }
    }

    /// An append a killed run started and did not finish: the file and its length before it.
    public func unfinishedAppend(reporter: String) throws -> (path: String, length: Int64)? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT path, length FROM file_appends WHERE reporter = ?", arguments: [reporter])
                .map { ($0["path"], $0["length"]) }
        }
    }

    public func clearAppend(reporter: String) throws {
        try writer.write { db in try db.execute(sql: "DELETE FROM file_appends WHERE reporter = ?", arguments: [reporter]) }
    }

    // MARK: - History

    /// Raised alerts, oldest first: raised at or after `since` (ISO 8601 UTC), carrying every
    /// tag in `tags`, of rule `rule`.
    public func alerts(since: String? = nil, tags: [String] = [], rule: String? = nil) throws -> [Alert] {
        try writer.read { db in
            var sql = "SELECT \(AlertGroup.Stored.columns) FROM alert_groups g WHERE 1"
            var args: [any DatabaseValueConvertible] = []
            if let since {
                // From the first alert of the first transaction at or after `since` (no
                // index on the time), then exactly.
                sql += " AND g.first_alert >= COALESCE((SELECT MIN(first_alert) FROM alert_times WHERE raised >= ?), 9223372036854775807) AND g.raised >= ?"
                args += [since, since]
            }
            // Groups with every tag, then the alerts that have them all.
            for tag in tags {
                sql += " AND EXISTS (SELECT 1 FROM alert_group_tags t WHERE t.tag = ? AND t.alert_group = g.first_alert)"
                args.append(tag)
            }
            var reader = AlertGroup.Reader(db)
            var out: [Alert] = []
            for group in try Row.fetchAll(db, sql: sql + " ORDER BY g.first_alert", arguments: StatementArguments(args)).map(AlertGroup.Stored.init) {
                for line in try AlertGroup.lines(group.text) where rule == nil || line.rule == rule {
                    let alert = try reader.alert(line, of: group)
                    if tags.allSatisfy(alert.rule.tags.contains) { out.append(alert) }
                }
            }
            return out
        }
    }

    /// Counts for tests and `policywatch alerts`: rows per table, alerts one by one.
    public func count(_ table: String) throws -> Int {
        precondition(["files", "feeds", "articles", "sightings", "alerts", "alert_groups", "alert_group_tags", "deliveries",
                      "report_deliveries", "alert_rules"].contains(table))
        let sql = switch table {
        case "alerts": "SELECT COALESCE(SUM(count), 0) FROM alert_groups"
        case "sightings": "SELECT (SELECT COUNT(*) FROM sightings) + (SELECT COUNT(*) FROM articles WHERE origin IS NOT NULL)"
        default: "SELECT COUNT(*) FROM \(table)"
        }
        return try writer.read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
    }

    /// Every sighting of the story in row `storyRow` of `articles`, in the order they were seen.
    static func sightings(storyRow: Int64, _ db: Database) throws -> [Row] {
        // The first in its first article's row (since v7), then the others as they came.
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT origin, url, key, source, first_seen AS seen, 0 AS part, 0 AS n FROM articles WHERE rowid = ?1 AND origin IS NOT NULL
            UNION ALL SELECT origin, url, key, source, seen, 1, rowid FROM sightings WHERE story_row = ?1
            ORDER BY part, n
            """), arguments: [storyRow])
    }

    static func alsoSeen(_ rows: [Row], of article: Alert.ArticleRef) -> [Alert.Sighting]? {
        let own = (article.path ?? "", article.url ?? "", article.key)
        let others = rows
            .filter { ($0["origin"] as String, $0["url"] as String, $0["key"] as String) != own }
            .map { r -> Alert.Sighting in
                let url: String = r["url"], origin: String = r["origin"]
                return Alert.Sighting(key: r["key"], url: url.isEmpty ? nil : url, source: r["source"], path: origin.isEmpty ? nil : origin, seen: r["seen"])
            }
        return others.isEmpty ? nil : others
    }
}

/// The state of one (alert, reporter) delivery.
public enum DeliveryStatus: String, Sendable, Codable {
    /// Owed, not tried yet (or the run stopped before trying).
    case pending
    /// Tried and failed; retried on the next run or by `policywatch deliver`.
    case failed
    /// Acknowledged by the reporter's target: final.
    case delivered
}

/// One row of the outbox (`deliveries`).
public struct DeliveryRecord: Sendable, Hashable, Codable {
    public var alertID: String
    /// The reporter's key (`ReporterConfig.key`).
    public var reporter: String
    public var status: DeliveryStatus
    public var attempts: Int
    public var lastError: String?
    /// UTC ISO 8601.
    public var updated: String

    public init(alertID: String, reporter: String, status: DeliveryStatus, attempts: Int, lastError: String?, updated: String) {
        self.alertID = alertID
        self.reporter = reporter
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
        self.updated = updated
    }
}

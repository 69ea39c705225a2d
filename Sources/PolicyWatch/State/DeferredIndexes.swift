import Foundation
import GRDB

/// A first run fills an empty state without its two hash indexes, `articles_key` and
/// `articles_content`, and builds them once at its end.
///
/// Why: their keys are 64-bit hashes, so every transaction inserts into random pages of them,
/// and in WAL mode each transaction writes every page it touched again (then the checkpoint
/// writes it once more). On a first run over a large archive, thousands of transactions
/// rewrote most of both indexes each time (docs/performance.md, seventh round). Built at the
/// end, each index page is written once, from sorted keys.
///
/// Meanwhile the articles the run adds are found by `BulkRows`, in memory (two maps of 64-bit
/// hashes to rows, `HashMap64`), then read by rowid. Nothing else needs those indexes during a
/// run: the scanning threads of a first run do not look keys up (`StoryIndex.beginRun`), and
/// history, outbox and report readers do not use them. A run killed before its end leaves
/// the indexes unbuilt; the next run (`beginRun`) builds them before anything else.
extension StateStore {
    static let bulkCacheKiB = 2048
    static let hashIndexesSQL = """
        CREATE INDEX IF NOT EXISTS articles_key ON articles(key_hash);
        CREATE INDEX IF NOT EXISTS articles_content ON articles(content_key);
        """

    /// The rows of the articles a first run adds, by key hash and by content key, while the
    /// hash indexes wait for the run's end. Used by the commit thread only; the lock keeps it
    /// `Sendable`.
    final class BulkRows: @unchecked Sendable {
        private let lock = NSLock()
        private var rows: Added?

        /// What one transaction adds (kept by `add` once it is committed), or everything a
        /// run has added.
        struct Added {
            var keys = HashRows()
            var contents = HashRows()
        }

        var isActive: Bool { lock.withLock { rows != nil } }

        func start() { lock.withLock { rows = Added() } }

        /// Ends the bulk load; returns whether one was under way.
        func stop() -> Bool {
            lock.withLock {
                defer { rows = nil }
                return rows != nil
            }
        }

        func contains(key hash: Int64) -> Bool { lock.withLock { rows?.keys.contains(hash) ?? false } }

        /// The rows committed so far whose key hash is `hash` (empty when inactive).
        func rows(key hash: Int64) -> [Int64] { lock.withLock { rows?.keys.rows(hash) ?? [] } }
        func rows(content hash: Int64) -> [Int64] { lock.withLock { rows?.contents.rows(hash) ?? [] } }

        func add(_ new: Added) {
            lock.withLock {
                rows?.keys.add(new.keys)
                rows?.contents.add(new.contents)
            }
        }
    }

    /// Rows by a 64-bit hash. Distinct keys rarely share one (a collision), and a content key
    /// gains a row when an article is updated to that content: the others of a hash go to `more`.
    struct HashRows {
        private var first = HashMap64()
        private var more: [Int64: [Int64]] = [:]

        /// Every row of `hash`, in the order added.
        func rows(_ hash: Int64) -> [Int64] {
            guard let row = first[hash] else { return [] }
            guard let others = more[hash] else { return [row] }
            return [row] + others
        }

        func contains(_ hash: Int64) -> Bool { first[hash] != nil }

        mutating func add(_ hash: Int64, _ row: Int64) {
            if !first.insertIfAbsent(hash, row) { more[hash, default: []].append(row) }
        }

        /// Adds `other`'s rows after this one's (a hash's rows keep their order).
        mutating func add(_ other: HashRows) {
            // A transaction's first row of a hash comes before its others.
            other.first.forEach { hash, row in add(hash, row) }
            for (hash, rows) in other.more { for row in rows { add(hash, row) } }
        }
    }

    /// Builds the hash indexes a killed bulk load left unbuilt and, when the state holds no
    /// article yet, drops them for this run (`BulkRows`). Returns whether it holds none.
    func beginBulkLoadIfEmpty() throws -> Bool {
        // A store reused after a run that failed before its end.
        _ = bulkRows.stop()
        let empty = try writer.write { db -> Bool in
            try db.execute(sql: Self.hashIndexesSQL)
            let empty = try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM articles)") ?? false
            if empty {
                try db.execute(sql: "DROP INDEX articles_key; DROP INDEX articles_content")
                // Without random index pages to keep, 2 MB is enough (16 MB held 20 MB more of
                // RSS on a large first run).
                try db.execute(sql: "PRAGMA cache_size = -\(Self.bulkCacheKiB)")
            }
            return empty
        }
        if empty { bulkRows.start() }
        return empty
    }

    /// Builds the hash indexes after a bulk load, in one transaction.
    func endBulkLoad() throws {
        guard bulkRows.stop() else { return }
        try writer.write { db in
            try db.execute(sql: Self.hashIndexesSQL)
            try db.execute(sql: "PRAGMA cache_size = -\(Self.cacheKiB)")
        }
    }
}

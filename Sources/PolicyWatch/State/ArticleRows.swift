import Foundation
import GRDB

extension StateStore {
    /// The key hashes of the articles a transaction adds, and during a bulk load their rows.
    struct AddedArticles {
        var keys: Set<Int64> = []
        var rows = BulkRows.Added()
    }

    /// Where a commit put an article.
    enum Placement: Equatable {
        /// The first article of a new story.
        case newStory
        /// A new article with the content of a story already stored: a copy, in that story.
        case copy
        /// Stored before, and to be evaluated again: its content changed (or a rescan).
        case seenAgain
        /// Stored before with the same content: not evaluated again.
        case unchanged
    }

    /// The articles of a commit: finds each in the state, adds it to its story or starts one,
    /// or records its new content. Articles are found through the hash indexes, or during a
    /// bulk load through `BulkRows` and this transaction's own additions, then by rowid; either
    /// way the key or the content hash is compared too, as hashes may collide.
    struct ArticleRows {
        private let db: Database
        private let now: String
        private let bulk: BulkRows?
        /// The key hashes this store added in earlier transactions (outside a bulk load).
        private let addedKeys: KeyHashCache
        /// What this transaction adds.
        private(set) var added = AddedArticles()
        private let byKey: Statement, byContent: Statement, keyAtRow: Statement, contentAtRow: Statement
        private let insert: Statement, update: Statement

        init(bulk: BulkRows?, addedKeys: KeyHashCache, now: String, _ db: Database) throws {
            self.db = db
            self.now = now
            self.bulk = bulk
            self.addedKeys = addedKeys
            insert = try db.cachedStatement(sql: """
                INSERT INTO articles (key, key_hash, story, story_row, content_hash, content_key, letters, first_seen, last_seen, origin, url, source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            update = try db.cachedStatement(sql: """
                UPDATE articles SET content_hash = ?, content_key = ?, letters = ?, last_seen = ? WHERE rowid = ?
                """)
            byKey = try db.cachedStatement(sql: """
                SELECT story, COALESCE(story_row, rowid), content_hash, rowid FROM articles WHERE key_hash = ? AND key = ?
                """)
            byContent = try db.cachedStatement(sql: """
                SELECT story, COALESCE(story_row, rowid) FROM articles WHERE content_key = ? AND content_hash = ? AND letters >= ? ORDER BY rowid LIMIT 1
                """)
            keyAtRow = try db.cachedStatement(sql: """
                SELECT story, COALESCE(story_row, rowid), content_hash, rowid FROM articles WHERE rowid = ? AND key = ?
                """)
            contentAtRow = try db.cachedStatement(sql: """
                SELECT story, COALESCE(story_row, rowid) FROM articles WHERE rowid = ? AND content_hash = ? AND letters >= ?
                """)
        }

        /// Finds the article's story, and stores the article: new (in a new story, or in the
        /// story of an earlier article with the same content), or with its new content.
        mutating func place(_ item: ScannedArticle, rescan: Bool) throws -> (story: String, storyRow: Int64, placement: Placement) {
            let key = item.article.key
            // A key the scanning thread did not find, and that this store has not added since,
            // is new: most articles of a large scan are inserted without a look-up.
            let keyHash = ArticleKeys.key(key)
            if item.keySeen != false || isAdded(keyHash), let known = try article(key, keyHash: keyHash) {
                if known.contentHash != item.contentHash {
                    let contentKey = ArticleKeys.content(item.contentHash)
                    try update.execute(arguments: [item.contentHash, contentKey, item.letters, now, known.row])
                    rememberContent(contentKey, row: known.row, letters: item.letters)
                }
                let unchanged = known.contentHash == item.contentHash && !rescan
                return (known.story, known.storyRow, unchanged ? .unchanged : .seenAgain)
            }
            return try insertNew(item, keyHash: keyHash)
        }

        /// Inserts an article not in the state: its story is that of an earlier article with
        /// the same content (a copy), else its own key (and its row is the story's).
        private mutating func insertNew(_ item: ScannedArticle, keyHash: Int64) throws -> (story: String, storyRow: Int64, placement: Placement) {
            let contentKey = ArticleKeys.content(item.contentHash)
            let twin = item.letters >= StateStore.minimumLettersForContentMatch ? try story(content: item.contentHash, contentKey: contentKey) : nil
            let call = SQLiteCall(insert)
            call.bind(2, keyHash)
            call.bind(4, twin?.row)
            call.bind(6, contentKey)
            call.bind(7, item.letters)
            // A new story's first sighting (a copy's goes to `sightings`).
            let a = item.article
            call.bind(10, twin == nil ? a.path ?? "" : nil)
            call.bind(11, twin == nil ? a.url ?? "" : nil)
            call.bind(12, twin == nil ? a.source : nil)
            try call.run(db, texts: [(1, a.key), (3, twin?.story ?? a.key), (5, item.contentHash), (8, now), (9, now)])
            let row = call.lastRowID(db)
            if bulk != nil {
                added.rows.keys.add(keyHash, row)
                rememberContent(contentKey, row: row, letters: item.letters)
            } else {
                added.keys.insert(keyHash)
            }
            if let twin { return (twin.story, twin.row, .copy) }
            return (a.key, row, .newStory)
        }

        /// During a bulk load, the row now holding this content (only content long enough to
        /// be matched on is looked up).
        private mutating func rememberContent(_ contentKey: Int64, row: Int64, letters: Int) {
            if bulk != nil, letters >= StateStore.minimumLettersForContentMatch { added.rows.contents.add(contentKey, row) }
        }

        /// Whether this store has added an article with this key hash (this transaction, or
        /// an earlier one since the scanning threads looked).
        private func isAdded(_ keyHash: Int64) -> Bool {
            if let bulk { return added.rows.keys.contains(keyHash) || bulk.contains(key: keyHash) }
            return added.keys.contains(keyHash) || addedKeys.contains(keyHash)
        }

        /// The story (its key and row), the row and the content hash of the article stored
        /// under `key`, if any.
        private func article(_ key: String, keyHash: Int64) throws -> (story: String, storyRow: Int64, row: Int64, contentHash: String)? {
            func first(_ call: SQLiteCall) throws -> (String, Int64, Int64, String)? {
                guard try call.step(db) else { return nil }
                defer { call.finish() }
                return (call.text(0), call.int64(1), call.int64(3), call.text(2))
            }
            guard let bulk else {
                let find = SQLiteCall(byKey)
                find.bind(1, keyHash)
                find.bind(2, key)
                return try first(find)
            }
            for row in bulk.rows(key: keyHash) + added.rows.keys.rows(keyHash) {
                let find = SQLiteCall(keyAtRow)
                find.bind(1, row)
                find.bind(2, key)
                if let hit = try first(find) { return hit }
            }
            return nil
        }

        /// The story (its key and row) of the first article stored with this content and
        /// enough letters to be matched by content (`minimumLettersForContentMatch`), if any.
        private func story(content: String, contentKey: Int64) throws -> (story: String, row: Int64)? {
            func first(_ call: SQLiteCall) throws -> (String, Int64)? {
                guard try call.step(db) else { return nil }
                defer { call.finish() }
                return (call.text(0), call.int64(1))
            }
            guard let bulk else {
                let find = SQLiteCall(byContent)
                find.bind(1, contentKey)
                find.bind(2, content)
                find.bind(3, StateStore.minimumLettersForContentMatch)
                return try first(find)
            }
            // In ascending order: the first hit is the lowest rowid, as with the index. (An
            // update adds an older row after newer ones.)
            for row in (bulk.rows(content: contentKey) + added.rows.contents.rows(contentKey)).sorted() {
                let find = SQLiteCall(contentAtRow)
                find.bind(1, row)
                find.bind(2, content)
                find.bind(3, StateStore.minimumLettersForContentMatch)
                if let hit = try first(find) { return hit }
            }
            return nil
        }
    }
}

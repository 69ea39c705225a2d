import Foundation

/// Decides, batch by batch, what each article is: a new story, a changed version of one
/// already seen (same key, other content), or a copy of a story already seen (another key,
/// the same content, or the same key again). Copies raise nothing new: an alert's id is the
/// hash of its rule and its *story's* key, and every copy is listed in the alert's
/// `also_seen` by its own key.
///
/// Two implementations: `InMemoryStoryIndex` for a scan without a state (one run), and
/// `StateStore` (SQLite) for cron runs, which also remembers file and feed marks and queues
/// each new alert in the outbox in the transaction that raises it. The protocol is narrow
/// and batch-oriented so that another database can plug in.
public protocol StoryIndex: AnyObject, Sendable {
    /// Content hashes of the articles already seen, by key. Called from scanning threads,
    /// before a batch is committed, to skip evaluating what did not change.
    func knownContentHashes(keys: [String]) throws -> [String: String]

    /// Whether it holds no article yet (a first run, a backfill into a new state): the
    /// scanning threads then need not ask `knownContentHashes` during the run. Asked once, when
    /// a run starts; a key a run adds itself is still recognised when it is committed.
    func holdsNoArticles() throws -> Bool

    /// A run starts, before its first batch: returns `holdsNoArticles()`. An index may prepare
    /// for the run here (a SQLite state that holds no article yet builds its hash indexes at
    /// the run's end, `endRun`).
    func beginRun() throws -> Bool

    /// The run's last batch is committed. A run that fails may not get here; the next
    /// `beginRun` repairs what it left.
    func endRun() throws

    /// Stores a batch (its articles, their alerts, and the source's mark with its last
    /// batch); nothing of it is stored unless all of it is. Returns the alerts raised for the
    /// first time, in input order, with `also_seen` as known once the batch is in.
    func commit(_ batch: StoryBatch) throws -> StoryCommit

    /// What was recorded when a file was last read, if anything.
    func fileMark(_ path: String) throws -> FileMark?
    /// The validators of a feed's last fetch, if any.
    func feedMark(_ url: String) throws -> FeedMark?
    /// A feed answered 304 Not Modified.
    func recordFeedNotModified(url: String, at time: String) throws

    /// Whether it stores alerts as JSON (`StoredAlert`): the scanning threads then encode
    /// each article's alerts (`ScannedArticle.encoded`), so the commit only binds them.
    var storesAlertJSON: Bool { get }

    /// How the articles' content hashes it compares are made: a state keeps the version it
    /// was created with.
    var storyHashVersion: ContentHash.StoryHashVersion { get }
}

extension StoryIndex {
    public func holdsNoArticles() throws -> Bool { false }
    public func beginRun() throws -> Bool { try holdsNoArticles() }
    public func endRun() throws {}
    public var storesAlertJSON: Bool { false }
    public var storyHashVersion: ContentHash.StoryHashVersion { .v2 }
}

/// One article of a batch. `alerts` is nil when it was not evaluated (seen before, unchanged):
/// it still counts as a sighting.
public struct ScannedArticle: Sendable {
    public var article: Article
    public var contentHash: String
    public var letters: Int
    public var alerts: [Alert]?
    /// The alerts' rows for a state that stores them (`StoryIndex.storesAlertJSON`), one per
    /// alert, encoded by the scanning thread.
    var encoded: [StoredAlert.Row]?
    /// Whether the scanning thread found its key in the index (nil: it did not look, as
    /// with `--rescan`; false too when the index held no article as the run began): a key
    /// not found is most likely new at commit time too.
    var keySeen: Bool?

    /// Its alert `i` as its story raises it, and the row encoded ahead for it when that row is
    /// still right: a copy's alerts take the story's id, so their rows are made again.
    func storyAlert(_ i: Int, story: String) -> (alert: Alert, encoded: StoredAlert.Row?) {
        var alert = alerts![i]
        guard story == article.key else {
            alert.id = Alert.id(rule: alert.rule.id, articleKey: story)
            return (alert, nil)
        }
        return (alert, encoded?.count == alerts!.count ? encoded![i] : nil)
    }

    public init(article: Article, contentHash: String, letters: Int, alerts: [Alert]?) {
        self.article = article
        self.contentHash = contentHash
        self.letters = letters
        self.alerts = alerts
    }
}

/// What one transaction stores: articles and their alerts, and the marks of the sources
/// whose last articles are in it (a file's size/mtime/hash, a feed's validators), which say
/// the source is done.
public struct StoryBatch: Sendable {
    public var articles: [ScannedArticle] = []
    public var files: [FileMark] = []
    public var feeds: [FeedMark] = []
    /// Reporters each new alert is queued for (under `key`, when its filters accept it).
    public var reporters: [ReporterConfig] = []
    /// Reporters that take the whole run at once (the JSON report): a state may record what
    /// they are owed as one row per transaction (a range of alerts) instead of one row per
    /// alert, when they have no filters (they take every alert). See `ReporterSink`.
    public var wholeRunReporters: Set<String> = []
    /// Re-evaluate articles seen before (`--rescan`); alerts already raised stay silent.
    public var rescan = false
    /// When the alerts were raised.
    public var now: String

    public init(articles: [ScannedArticle] = [], file: FileMark? = nil, feed: FeedMark? = nil, reporters: [ReporterConfig] = [],
                rescan: Bool = false, now: String) {
        self.articles = articles
        self.files = file.map { [$0] } ?? []
        self.feeds = feed.map { [$0] } ?? []
        self.reporters = reporters
        self.rescan = rescan
        self.now = now
    }
}

extension StoryBatch {
    /// Whether `reporter` is owed this batch's alerts as a range (see `wholeRunReporters`).
    func recordsPerRun(_ reporter: ReporterConfig) -> Bool {
        wholeRunReporters.contains(reporter.key) && reporter.acceptsEveryAlert
    }
}

/// The outcome of a batch.
public struct StoryCommit: Sendable {
    /// Alerts raised for the first time, in input order.
    public var raised: [Alert] = []
    /// The story key of each raised alert (parallel to `raised`).
    public var stories: [String] = []
    /// Every article of the batch as a sighting of its story, so that alerts raised earlier
    /// in the run and not yet delivered can list copies seen after them.
    public var sightings: [(story: String, sighting: Alert.Sighting)] = []
    /// Articles evaluated (new, changed, or re-read with `--rescan`); the others were unchanged.
    public var evaluated = 0

    public init(raised: [Alert] = [], stories: [String] = [], sightings: [(story: String, sighting: Alert.Sighting)] = [], evaluated: Int = 0) {
        self.raised = raised
        self.stories = stories
        self.sightings = sightings
        self.evaluated = evaluated
    }
}

/// A file as last read.
public struct FileMark: Sendable, Equatable {
    public var path: String
    public var size: Int
    public var mtime: Double
    public var hash: String
    public var scanned: String
    /// The problem with its content (invalid UTF-8, empty...), reported once until it changes.
    public var error: String?

    public init(path: String, size: Int, mtime: Double, hash: String, scanned: String, error: String? = nil) {
        self.path = path
        self.size = size
        self.mtime = mtime
        self.hash = hash
        self.scanned = scanned
        self.error = error
    }
}

/// A feed as last fetched: its validators for the next conditional GET.
public struct FeedMark: Sendable, Equatable {
    public var url: String
    public var etag: String?
    public var lastModified: String?
    public var fetched: String
    public var status: Int

    public init(url: String, etag: String?, lastModified: String?, fetched: String, status: Int) {
        self.url = url
        self.etag = etag
        self.lastModified = lastModified
        self.fetched = fetched
        self.status = status
    }
}

/// Articles whose normalised text has fewer letters are never merged by content alone:
/// "Read more" must not make unrelated stories one.
public let minimumLettersForContentMatch = 100

/// The story index of a scan without a state: plain dictionaries, for one run. It keeps per
/// article only its key, story and content hash (no text, no alerts), so memory grows by
/// about a hundred bytes per distinct article. `also_seen` lists the copies seen up to the
/// end of the batch; the pipeline adds those seen while the alert waits in its window.
public final class InMemoryStoryIndex: StoryIndex, @unchecked Sendable {
    private struct Known {
        /// The story's key, or nil when it is the article's own.
        var story: String?
        var contentHash: UInt64
    }

    /// Guards every field: scanning threads read while the pipeline commits.
    private let lock = NSLock()
    private var articles: [String: Known] = [:]
    /// Content hash -> story, for articles with enough letters.
    private var storyByContent: [UInt64: String] = [:]
    /// Alerts raised, by their 64-bit id (the hex of `Alert.id` read back).
    private var raisedIDs = HashSet64()

    public init() {}

    public func holdsNoArticles() throws -> Bool {
        lock.withLock { articles.isEmpty }
    }

    public func knownContentHashes(keys: [String]) throws -> [String: String] {
        lock.withLock {
            var out: [String: String] = [:]
            for k in keys { if let a = articles[k] { out[k] = ContentHash.hex(a.contentHash) } }
            return out
        }
    }

    public func commit(_ batch: StoryBatch) throws -> StoryCommit {
        lock.withLock {
            var result = StoryCommit()
            var sightings: [String: [Alert.Sighting]] = [:]  // story -> copies seen in this batch
            // The alerts raised, their stories, and the index of their article's own sighting.
            var raised: [Alert] = []
            var stories: [String] = []
            var owners: [Int] = []
            var own: [Alert.Sighting] = []
            for item in batch.articles {
                let a = item.article
                let story: String
                var unchanged = false
                let hash = StableHash.value(ofHex: item.contentHash) ?? StableHash.fnv1a64(item.contentHash.utf8)
                if let known = articles[a.key] {
                    story = known.story ?? a.key
                    unchanged = known.contentHash == hash && !batch.rescan
                    articles[a.key]?.contentHash = hash
                } else {
                    let twin = item.letters >= minimumLettersForContentMatch ? storyByContent[hash] : nil
                    story = twin ?? a.key
                    articles[a.key] = Known(story: twin, contentHash: hash)
                    if twin == nil && item.letters >= minimumLettersForContentMatch { storyByContent[hash] = a.key }
                }
                let seen = Alert.Sighting(key: a.key, url: a.url, source: a.source, path: a.path, seen: batch.now)
                if !sightings[story, default: []].contains(seen) { sightings[story, default: []].append(seen) }
                result.sightings.append((story, seen))
                guard !unchanged, let alerts = item.alerts else { continue }
                result.evaluated += 1
                own.append(seen)
                for alert in alerts {
                    // The scanner made the id from the article's key: the story's when it is its own.
                    let id = story == a.key ? alert.id : Alert.id(rule: alert.rule.id, articleKey: story)
                    guard raisedIDs.insert(StableHash.value(ofHex: id) ?? StableHash.fnv1a64(id.utf8)) else { continue }
                    raised.append(alert)
                    if id != alert.id { raised[raised.count - 1].id = id }
                    stories.append(story)
                    owners.append(own.count - 1)
                }
            }
            // `also_seen`: the story's other sightings in the batch, worked out once per
            // article (its alerts share them), set in place.
            var last: (owner: Int, others: [Alert.Sighting]?) = (-1, nil)
            for i in raised.indices {
                if owners[i] != last.owner {
                    let list = sightings[stories[i]] ?? []
                    let mine = own[owners[i]]
                    let others = list.count == 1 && list[0] == mine ? [] : list.filter { $0 != mine }
                    last = (owners[i], others.isEmpty ? nil : others)
                }
                if let others = last.others { raised[i].alsoSeen = others }
            }
            result.raised = raised
            result.stories = stories
            return result
        }
    }

    public func fileMark(_ path: String) throws -> FileMark? { nil }
    public func feedMark(_ url: String) throws -> FeedMark? { nil }
    public func recordFeedNotModified(url: String, at time: String) throws {}
}

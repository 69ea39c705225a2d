import Foundation
import PolicyMatcher

/// The one way articles are scanned: Sources -> Decode -> Story index -> Scan -> Sinks.
///
/// - **Sources** (`ArticleSources`, one thread) read files, directories, JSON Lines in
///   blocks, stdin and URLs (fetched concurrently) into pieces, each source ending with its
///   mark (file size/mtime/hash, feed validators).
/// - **Decode and scan** run on `workers` threads: a piece becomes articles, the story index
///   says which of them it has already seen unchanged, and the others are scanned by the
///   `RuleScanner`.
/// - **Story index** (`StoryIndex`), on the calling thread and in input order: each batch is
///   committed in one transaction (articles, copies, alerts, the outbox rows and the
///   source's mark), which decides the alerts raised for the first time.
/// - **Sinks** (`AlertSink`) receive those alerts batch by batch.
///
/// At most `window` pieces are in flight, and no stage keeps the alerts of the whole run, so
/// memory stays flat whatever the input size. The alerts come out in input order whatever
/// the number of workers.
public struct ScanPipeline: Sendable {
    public struct Options: Sendable {
        /// Re-read and re-evaluate everything, ignoring file marks, feed validators and seen
        /// articles. Alerts already raised are still not raised again.
        public var rescan = false
        /// Reporters each new alert is queued for in the outbox (with a state).
        public var reporters: [ReporterConfig] = []
        /// Scanning threads (1: everything on the calling thread). Nil: one per processor of
        /// the run's context.
        public var workers: Int?
        /// Bytes of JSON Lines per piece.
        public var chunkBytes = 256 << 10
        /// URLs fetched at once, in all and per host.
        public var fetchConcurrency = FetchConcurrency()
        /// Alerts held back before going to the sinks, so that copies of their story seen
        /// later in the run are listed in `also_seen` (see `AlertWindow`).
        public var alertWindow = 2_000
        /// Articles committed to the story index in one transaction, about (pieces are
        /// grouped up to this; a kill loses at most one group's work, which the next run redoes).
        public var articlesPerTransaction = 5_000
        /// Shares the sources with other scanners (a PostgreSQL state): the run reads the
        /// sources it claims, a few at a time, until none is left. Nil: it reads them all.
        public var leaser: (any SourceLeaser)?

        public init(rescan: Bool = false, reporters: [ReporterConfig] = [], workers: Int? = nil, leaser: (any SourceLeaser)? = nil) {
            self.rescan = rescan
            self.leaser = leaser
            self.reporters = reporters
            self.workers = workers.map { max(1, $0) }
        }
    }

    /// What a run did.
    public struct Outcome: Sendable {
        /// Alerts raised for the first time.
        public var raised = 0
        public var errors: [InputError] = []
        /// Articles evaluated (new or changed).
        public var articles = 0
        /// Articles read but not evaluated: seen before, unchanged.
        public var unchangedArticles = 0
        /// Files not read again (same size and mtime, or same hash).
        public var unchangedFiles = 0
        /// Feeds answered 304 Not Modified.
        public var notModified = 0
        /// What each sink delivered.
        public var summaries: [Dispatcher.Summary] = []
        /// The run as the report states it.
        public var run: Report.RunInfo
    }

    public let scanner: RuleScanner
    public let reader: ArticleReader
    public let index: any StoryIndex
    public let fetcher: any HTTPFetching
    /// The clock, standard input and processor count of the run (`RunContext`).
    public let context: RunContext
    public var options: Options

    public init(scanner: RuleScanner, reader: ArticleReader = ArticleReader(), index: any StoryIndex = InMemoryStoryIndex(),
                fetcher: any HTTPFetching = URLSessionFetcher(policy: FetchPolicy()), context: RunContext = .process,
                options: Options = Options()) {
        self.scanner = scanner
        self.reader = reader
        self.index = index
        self.fetcher = fetcher
        self.context = context
        self.options = options
    }

    /// Scans `sources` into `sinks`. Input problems go to the outcome's `errors` and the run
    /// goes on; a failing story index (disk full, damaged state) throws, and what was
    /// committed so far stays committed (its alerts wait in the outbox).
    public func run(_ sources: [SourceSpec], sinks: [any AlertSink], progress: ((ScanProgress) -> Void)? = nil) throws -> Outcome {
        let started = context.clock()
        let now = Timestamp.string(started)
        let plan = ArticleSources.plan(sources, reader: reader, directory: context.workingDirectory)
        let stage = ArticleSources(reader: reader, index: index, fetcher: fetcher, fetchConcurrency: options.fetchConcurrency,
                                   standardInput: context.standardInput, workingDirectory: context.workingDirectory, rescan: options.rescan, now: now, chunkBytes: options.chunkBytes)
        var meter = ScanProgress(started: started)
        // A rate is measured on the monotonic clock, not the run's (which a test may fix).
        let startedMonotonic = ContinuousClock.now
        meter.sourcesTotal = plan.count
        meter.bytesTotal = plan.reduce(Int64(0)) { sum, source in
            guard case .file(let path, _) = source,
                  let size = (try? FileManager.default.attributesOfItem(atPath: ArticleReader.onDisk(path, in: context.workingDirectory)))?[.size] as? Int
            else { return sum }
            return sum + Int64(size)
        }
        let committer = BatchCommitter(index: index, sinks: sinks, reporters: options.reporters, rescan: options.rescan, now: now,
                                       window: AlertWindow(capacity: options.alertWindow), groupArticles: options.articlesPerTransaction,
                                       clock: context.clock)
        if !scanner.ruleSet.trends.isEmpty { committer.trendStage = TrendStage(trends: scanner.ruleSet.trends) }
        committer.wholeRunReporters = Set(sinks.compactMap { ($0 as? ReporterSink)?.takesWholeRun == true ? ($0 as! ReporterSink).key : nil })
        for sink in sinks { sink.begin() }
        // A run that throws leaves its committed alerts in the outbox, unsent.
        var flushed = false
        defer { if !flushed { committer.abandon() } }
        // The report and JSON Lines sinks have their bytes encoded on the scanning threads.
        var scanner = self.scanner
        scanner.encodeAhead = sinks.reduce(into: []) { $0.formUnion(($1 as? ReporterSink)?.encodedAhead ?? []) }
        // A state that holds no article yet (a first run) has nothing for the scanning threads
        // to look up: each lookup, on a reader whose page cache every commit invalidates, cost
        // a third of the state's time on a first run (docs/performance.md).
        let holdsNone = try index.beginRun()
        let lookUpKnown = !options.rescan && !holdsNone
        let decode = Decoder(reader: reader, scanner: scanner, index: index, rescan: options.rescan, lookUpKnown: lookUpKnown, now: now)
        let leaser = options.leaser
        let claimFailure = FailureBox()
        if let leaser { try leaser.beginRound(sources) }
        let workers = options.workers ?? context.processorCount
        try OrderedWindow.run(
            workers: workers, window: workers * 4,
            produce: { put in
                guard let leaser else { return stage.read(plan) { put($0) } }
                Self.readLeased(leaser, stage: stage, reader: reader, failure: claimFailure, put)
            },
            makeState: { TextNormalizer() },
            work: { piece, normalizer in decode.scan(piece, normalizer: &normalizer) },
            consume: { scanned in
                try committer.commit(scanned)
                if let done = scanned.piece.finishedLease {
                    // A source is given up only once its articles are committed: a scanner
                    // killed after this loses nothing the others would not redo.
                    try committer.commitPending(wait: true)
                    try leaser?.finishedSource(done)
                }
                meter.bytes += scanned.piece.bytes
                meter.articles += scanned.articles.count
                if scanned.piece.endsSource { meter.sourcesDone += 1 }
                if let progress {
                    let elapsed = (ContinuousClock.now - startedMonotonic).components
                    meter.elapsed = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
                    progress(meter)
                }
            })
        try committer.commitPending(wait: true)
        committer.collectCommits()
        try committer.commitTrends(history: index as? any AlertHistory, at: started)
        // The index's end (a first run's hash indexes, the WAL's checkpoint: docs/performance.md,
        // "Tenth round") overlaps the sinks' end; neither needs the other. The run fails if it
        // fails, once the sinks are done: what they delivered stays delivered.
        let ending = Overlapped { try index.endRun() }
        committer.flush()
        flushed = true
        if let error = claimFailure.error {
            try? ending.wait()
            throw error
        }
        var outcome = committer.outcome
        outcome.run = Report.RunInfo(started: now, finished: Timestamp.string(context.clock()), rules: scanner.ruleSet.rules.count,
                                     articles: outcome.articles, skipped: outcome.errors.count)
        outcome.summaries = sinks.map { $0.finish(run: outcome.run, errors: outcome.errors) }
        try ending.wait()
        return outcome
    }

    /// Work on a thread of its own, waited for (and its error thrown) by `wait`.
    final class Overlapped: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var failure: Error?

        init(_ body: @escaping @Sendable () throws -> Void) {
            let thread = Thread { [self] in
                do { try body() } catch { failure = error }
                done.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }

        /// Waits for the work to end; throws what it threw. Call once.
        func wait() throws {
            done.wait()
            if let failure { throw failure }
        }
    }

    /// The source stage with a leaser: claims sources a few at a time and reads them; after
    /// each source's pieces comes a marker, so the source is marked finished only once all of
    /// it is committed. A failing claim (the database gone) ends the stage; the run throws it.
    private static func readLeased(_ leaser: any SourceLeaser, stage: ArticleSources, reader: ArticleReader, failure: FailureBox,
                                   _ put: (SourcePiece) -> Bool) {
        while true {
            let claimed: [SourceSpec]
            do { claimed = try leaser.claimSources() } catch {
                failure.set(error)
                return
            }
            guard !claimed.isEmpty else { return }
            for spec in claimed {
                var going = true
                stage.read(ArticleSources.plan([spec], reader: reader, directory: stage.workingDirectory)) { piece in
                    going = put(piece)
                    return going
                }
                guard going, put(SourcePiece(finishedLease: spec)) else { return }
            }
        }
    }

    /// The first error of another thread, for the calling thread to throw.
    final class FailureBox: @unchecked Sendable {
        private let lock = NSLock()
        private var first: Error?
        var error: Error? { lock.withLock { first } }
        func set(_ e: Error) { lock.withLock { if first == nil { first = e } } }
    }

    /// The decode-and-scan stage (on the workers).
    struct Decoder: Sendable {
        let reader: ArticleReader
        let scanner: RuleScanner
        let index: any StoryIndex
        let rescan: Bool
        /// Whether to ask the index which articles it knows (no: it held none when the run began).
        let lookUpKnown: Bool
        let now: String

        func scan(_ piece: SourcePiece, normalizer: inout TextNormalizer) -> ScannedPiece {
            var out = ScannedPiece(piece: piece)
            let articles: [Article]
            switch piece.content {
            case .none:
                return out
            case .lines(let path, let firstLine, let data):
                (articles, out.errors) = reader.read(.jsonLines(path: path, firstLine: firstLine, data: data))
            case .document(let path, let data, let format, let sourceName, let charset):
                (articles, out.errors) = reader.parse(data: data, path: path, format: format, sourceName: sourceName, charset: charset)
            }
            out.piece.content = .none  // the bytes are not needed any more
            let known = lookUpKnown ? ((try? index.knownContentHashes(keys: articles.map(\.key))) ?? [:]) : [:]
            let encodeAlerts = index.storesAlertJSON
            let hashVersion = index.storyHashVersion
            out.articles = articles.map { a in
                let (hash, letters) = ContentHash.story(title: a.title, body: a.body, version: hashVersion)
                let scanned = known[a.key] == hash ? nil : scanner.scan(a, normalizer: &normalizer, now: now, storing: encodeAlerts)
                let alerts = scanned?.alerts
                // The story index needs the article's names, not its text: memory stays small
                // while batches wait to be committed.
                var named = a
                named.body = ""
                var item = ScannedArticle(article: named, contentHash: hash, letters: letters, alerts: alerts)
                // Made with the alerts (`storing`): the state's rows.
                if encodeAlerts, let alerts, !alerts.isEmpty { item.encoded = scanned?.stored }
                if !rescan { item.keySeen = known[a.key] != nil }
                return item
            }
            return out
        }
    }

    /// A piece after decoding and scanning.
    struct ScannedPiece: Sendable {
        var piece: SourcePiece
        var articles: [ScannedArticle] = []
        var errors: [InputError] = []
    }

    /// The story-index stage (on the calling thread, in input order), which hands each
    /// committed batch to the window-and-sinks stage (`SinkStage`, on its own thread).
    final class BatchCommitter {
        let index: any StoryIndex
        let sinkStage: SinkStage
        let reporters: [ReporterConfig]
        let rescan: Bool
        let now: String
        var outcome = Outcome(run: Report.RunInfo(started: "", finished: "", rules: 0, articles: 0, skipped: 0))
        /// Errors of the source being read, for its mark.
        var sourceErrors: [InputError] = []
        /// Pieces scanned, not yet committed.
        var pending: StoryBatch
        var pendingPieces = 0
        /// Alerts in `pending`: a group is also bounded by them (their evidence is the bulk).
        var pendingAlerts = 0
        /// Articles per transaction, about.
        let groupArticles: Int
        let clock: @Sendable () -> Date
        private var lastCommit: Date
        /// Reporters that mark what they were owed all at once at the end (the JSON report):
        /// the state may record their due as ranges (`StoryBatch.wholeRunReporters`).
        var wholeRunReporters: Set<String> = [] {
            didSet { pending.wholeRunReporters = wholeRunReporters }
        }
        /// Correlation rules, when the rules declare any, and the alerts of this run they count.
        var trendStage: TrendStage?
        var trendInputs: [Alert] = []
        /// The commit thread, started with the first group (the trend stage is set by then).
        lazy var storyStage = StoryStage(index: index, sinkStage: sinkStage, trends: trendStage)

        init(index: any StoryIndex, sinks: [any AlertSink], reporters: [ReporterConfig], rescan: Bool, now: String, window: AlertWindow,
             groupArticles: Int, clock: @escaping @Sendable () -> Date) {
            self.clock = clock
            lastCommit = clock()
            self.index = index
            sinkStage = SinkStage(window: window, sinks: sinks)
            self.reporters = reporters
            self.rescan = rescan
            self.now = now
            self.groupArticles = groupArticles
            pending = StoryBatch(reporters: reporters, rescan: rescan, now: now)
        }

        /// Sends what the window still holds, once the sinks have every batch before it.
        func flush() {
            storyStage.close()
            sinkStage.finish()
        }

        /// Stops both threads without sending what waits (the run failed: its committed alerts
        /// wait in the state's outbox).
        func abandon() {
            storyStage.close()
            sinkStage.abandon()
        }

        func commit(_ scanned: ScannedPiece) throws {
            let piece = scanned.piece
            let errors = piece.errors + scanned.errors
            outcome.errors += errors
            sourceErrors += errors
            if piece.unchangedFile { outcome.unchangedFiles += 1 }
            if let url = piece.notModifiedFeed {
                try index.recordFeedNotModified(url: url, at: now)
                outcome.notModified += 1
            }
            var file = piece.file, feed = piece.feed
            if piece.endsSource {
                if !sourceErrors.isEmpty && !piece.unchangedFile {
                    // A content problem is reported once; the file is read again when it
                    // changes. A feed that failed keeps no validators: fetched whole next time.
                    let first = sourceErrors[0]
                    file?.error = "\(first.source): \(first.message)" + (sourceErrors.count > 1 ? " (and \(sourceErrors.count - 1) more)" : "")
                    feed = nil
                }
                sourceErrors = []
            }
            pending.articles += scanned.articles
            if let file { pending.files.append(file) }
            if let feed { pending.feeds.append(feed) }
            pendingPieces += 1
            // Pieces are committed a group at a time: with random keys, every transaction
            // rewrites the index pages it touches, so fewer, larger transactions write less.
            // A tenth of a second at most, so a run killed early has committed its progress
            // and alerts reach the sinks without waiting for a large group; 1,000 alerts at
            // most, as two groups are in memory (2,000 took the 1 GB run to 156 MB of RSS).
            pendingAlerts += scanned.articles.reduce(0) { $0 + ($1.alerts?.count ?? 0) }
            if pending.articles.count >= groupArticles || pendingAlerts >= 1_000 || pendingPieces >= 64
                || clock().timeIntervalSince(lastCommit) >= 0.1 {
                try commitPending()
            }
        }

        /// Hands the pieces gathered so far to the commit thread (`storyStage`), which stores
        /// them and passes them on to the sinks; with `wait`, returns once they are stored (at
        /// the end of the run, and before a leased source is given up). A commit that failed
        /// is thrown here.
        func commitPending(wait: Bool = false) throws {
            lastCommit = clock()
            defer {
                pending = StoryBatch(reporters: reporters, rescan: rescan, now: now)
                pending.wholeRunReporters = wholeRunReporters
                pendingPieces = 0
                pendingAlerts = 0
            }
            if !pending.articles.isEmpty || !pending.files.isEmpty || !pending.feeds.isEmpty {
                var batch = StoryBatch(now: now)
                swap(&batch, &pending)
                try storyStage.put(batch)
            }
            if wait { try storyStage.drain() }
        }

        /// What the commit thread did, added to the run's outcome once it is idle.
        func collectCommits() {
            let done = storyStage.takeTotals()
            outcome.articles += done.evaluated
            outcome.unchangedArticles += done.unchanged
            outcome.raised += done.raised
            trendInputs += done.trendInputs
        }

        /// The story-index stage's thread: commits each group handed over, in order, while the
        /// calling thread gathers the next one from the scanning threads (a commit is a burst
        /// of work: done on the calling thread, the scanning threads stood still once their
        /// window was full). A group is handed over once the last one is stored: with the one
        /// being gathered, two groups are in memory at most (three, waiting in a queue, took the
        /// 1 GB run's peak RSS from 143 to 166 MB).
        final class StoryStage: @unchecked Sendable {
            struct Totals {
                var evaluated = 0
                var unchanged = 0
                var raised = 0
                var trendInputs: [Alert] = []
            }

            private let cond = NSCondition()
            // Guarded by `cond`: the group handed over, not yet taken, and whether one is being stored.
            private var waiting: StoryBatch?
            private var busy = false
            private var failure: Error?
            private var totals = Totals()
            private var closed = false
            private var running = true
            private let index: any StoryIndex
            private let sinkStage: SinkStage
            private let trends: TrendStage?

            init(index: any StoryIndex, sinkStage: SinkStage, trends: TrendStage?) {
                self.index = index
                self.sinkStage = sinkStage
                self.trends = trends
                let thread = Thread { [self] in run() }
                thread.stackSize = 8 << 20
                thread.start()
            }

            /// Hands a group over once the last one is stored. Throws an earlier failure.
            func put(_ batch: StoryBatch) throws {
                cond.lock()
                defer { cond.unlock() }
                while (waiting != nil || busy) && failure == nil { cond.wait() }
                if let failure { throw failure }
                waiting = batch
                cond.broadcast()
            }

            /// Waits until every group handed over is stored; throws the first failure.
            func drain() throws {
                cond.lock()
                defer { cond.unlock() }
                while (waiting != nil || busy) && failure == nil { cond.wait() }
                if let failure { throw failure }
            }

            /// The totals so far (call once drained), reset.
            func takeTotals() -> Totals {
                cond.lock()
                defer { cond.unlock() }
                let t = totals
                totals = Totals()
                return t
            }

            /// Ends the thread (after `drain`, or when the run failed: what waits is dropped, a
            /// commit under way ends first), and returns once it has.
            func close() {
                cond.lock()
                defer { cond.unlock() }
                closed = true
                waiting = nil
                cond.broadcast()
                while running { cond.wait() }
            }

            private func next() -> StoryBatch? {
                cond.lock()
                defer { cond.unlock() }
                while waiting == nil && !closed { cond.wait() }
                guard !closed, failure == nil, let batch = waiting.take() else { return nil }
                busy = true
                cond.broadcast()
                return batch
            }

            private func run() {
                while let batch = next() {
                    do {
                        let result = try index.commit(batch)
                        var counted: [Alert] = []
                        // Trends need an alert's article, tags and facets, not its evidence: keeping
                        // the evidence of every counted alert would make memory grow with the run.
                        if let trends {
                            counted = result.raised.filter(trends.counts).map { alert in
                                var slim = alert
                                slim.matches = []
                                return slim
                            }
                        }
                        cond.lock()
                        totals.evaluated += result.evaluated
                        totals.unchanged += batch.articles.count - result.evaluated
                        totals.raised += result.raised.count
                        totals.trendInputs += counted
                        cond.unlock()
                        // The batch goes along to be freed on the sink stage's thread: releasing its
                        // alerts and their encoded rows is a sizeable part of a commit's time.
                        sinkStage.put(SinkStage.Batch(sightings: result.sightings, raised: result.raised, stories: result.stories, committed: batch))
                        cond.lock()
                        busy = false
                        cond.broadcast()
                        cond.unlock()
                    } catch {
                        cond.lock()
                        failure = error
                        busy = false
                        cond.broadcast()
                        cond.unlock()
                    }
                }
                cond.lock()
                running = false
                cond.broadcast()
                cond.unlock()
            }
        }

        /// Trend alerts over this run's alerts and the history's (`TrendStage`), committed
        /// like an article's alerts, so each is raised once per window and group.
        func commitTrends(history: (any AlertHistory)?, at started: Date) throws {
            guard let trendStage else { return }
            var pool = trendInputs
            if let history {
                let since = Timestamp.string(started.addingTimeInterval(-trendStage.lookback))
                for tag in trendStage.tags.sorted() { pool += try history.alerts(since: since, tags: [tag], rule: nil) }
            }
            let trends = trendStage.evaluate(pool, now: now)
            guard !trends.isEmpty else { return }
            var batch = StoryBatch(articles: trends.map(TrendStage.syntheticArticle), reporters: reporters, rescan: false, now: now)
            batch.wholeRunReporters = wholeRunReporters
            let result = try index.commit(batch)
            outcome.raised += result.raised.count
            sinkStage.put(SinkStage.Batch(raised: result.raised, stories: result.stories))
        }
    }

    /// Alerts waiting to go to the sinks, oldest first, at most `capacity` of them. While an
    /// alert waits, every copy of its story seen in a later batch is added to its
    /// `also_seen`; so in any run that raises fewer alerts than the capacity (every cron run
    /// over feeds and folders) each alert lists every copy of its story in the run, and memory
    /// stays bounded on a corpus of any size (a copy seen after its alert has gone is still
    /// recorded in the state, and `policywatch alerts` lists it).
    struct AlertWindow {
        let capacity: Int
        /// Held alerts from `head` on; released slots before `head` are nil until compacted.
        private var held: [(alert: Alert, story: String)?] = []
        private var head = 0
        /// Absolute position of `held[0]` (positions in `byStory` stay valid as alerts leave).
        private var first = 0
        private var byStory: [String: [Int]] = [:]
        /// Sightings listed, per held story, to skip repeats: a hash of key, url and path.
        private var listed: [String: Set<UInt64>] = [:]

        init(capacity: Int) {
            self.capacity = max(0, capacity)
        }

        private var count: Int { held.count - head }

        /// Holds `alerts` (`stories[i]` is the story of `alerts[i]`). An article's alerts come
        /// together, so the dictionaries are looked up once per run of one story's alerts, not
        /// once per alert (at 10,000 rules an article raises 25 alerts).
        mutating func add(_ alerts: [Alert], stories: [String]) {
            var i = alerts.startIndex
            while i < alerts.endIndex {
                let story = stories[i]
                var end = i + 1
                while end < alerts.endIndex && stories[end] == story { end += 1 }
                let position = first + held.count
                byStory[story, default: []].append(contentsOf: position ..< position + (end - i))
                var places = listed.removeValue(forKey: story) ?? []
                for j in i..<end {
                    // Its place is listed with an article's first alert.
                    if j == i || alerts[j - 1].article != alerts[j].article {
                        places.insert(Self.place(alerts[j].article.key, alerts[j].article.url, alerts[j].article.path))
                    }
                    for s in alerts[j].alsoSeen ?? [] { places.insert(Self.place(s.key, s.url, s.path)) }
                    held.append((alerts[j], story))
                }
                listed[story] = places
                i = end
            }
        }

        /// Copies seen in a batch after the held alerts' own.
        mutating func see(_ sightings: [(story: String, sighting: Alert.Sighting)]) {
            for (story, s) in sightings {
                guard let positions = byStory[story], listed[story]?.insert(Self.place(s.key, s.url, s.path)).inserted == true else { continue }
                for p in positions {
                    held[p - first]!.alert.alsoSeen = (held[p - first]!.alert.alsoSeen ?? []) + [s]
                }
            }
        }

        mutating func releaseOverflow() -> [Alert] {
            release(max(0, count - capacity))
        }

        mutating func releaseAll() -> [Alert] {
            release(count)
        }

        private mutating func release(_ n: Int) -> [Alert] {
            guard n > 0 else { return [] }
            var out: [Alert] = []
            out.reserveCapacity(n)
            let end = head + n
            var i = head
            while i < end {
                // Taken out of their slots, not copied; a run of one story's alerts at once.
                let (alert, story) = held[i].take()!
                out.append(alert)
                var run = 1
                while i + run < end, held[i + run]!.story == story {
                    out.append(held[i + run].take()!.alert)
                    run += 1
                }
                // A story's positions leave in the order they came: these are its first.
                if let k = byStory.index(forKey: story) {
                    byStory.values[k].removeFirst(min(run, byStory.values[k].count))
                    if byStory.values[k].isEmpty {
                        byStory.remove(at: k)
                        listed[story] = nil
                    }
                }
                i += run
            }
            head = end
            // Compact once half is released slots: amortised constant per alert.
            if head > 1024 && head * 2 > held.count {
                held.removeFirst(head)
                first += head
                head = 0
            }
            return out
        }

        private static func place(_ key: String, _ url: String?, _ path: String?) -> UInt64 {
            // Key, 0, url, 0, path, hashed in place (no joined copy).
            var h = StableHash.fnv1a64(key.utf8)
            h = StableHash.fnv1a64((url ?? "").utf8, continuing: StableHash.fnv1a64(CollectionOfOne(0), continuing: h))
            return StableHash.fnv1a64((path ?? "").utf8, continuing: StableHash.fnv1a64(CollectionOfOne(0), continuing: h))
        }
    }
}

/// How far a scan is, for a progress line on a terminal.
public struct ScanProgress: Sendable {
    public var started: Date
    public var elapsed: TimeInterval = 0
    public var articles = 0
    public var bytes: Int64 = 0
    /// Bytes of all inputs as far as known (files by size).
    public var bytesTotal: Int64 = 0
    public var sourcesDone = 0
    public var sourcesTotal = 0

    public init(started: Date) {
        self.started = started
    }

    public var megabytesPerSecond: Double {
        elapsed > 0 ? Double(bytes) / 1_048_576 / elapsed : 0
    }

    /// Seconds left at the current rate, when it can be told.
    public var eta: TimeInterval? {
        guard elapsed > 0.5, bytes > 0, bytesTotal > bytes else { return nil }
        return Double(bytesTotal - bytes) / (Double(bytes) / elapsed)
    }

    /// "1,234 articles · 12.3 MB · 4.5 MB/s · 17/40 sources · ETA 0:42"
    public var line: String {
        var parts = ["\(articles) article\(articles == 1 ? "" : "s")",
                     String(format: "%.1f MB", Double(bytes) / 1_048_576),
                     String(format: "%.1f MB/s", megabytesPerSecond)]
        if sourcesTotal > 1 { parts.append("\(sourcesDone)/\(sourcesTotal) sources") }
        if let eta { parts.append("ETA " + Self.clock(eta)) }
        return parts.joined(separator: " · ")
    }

    static func clock(_ t: TimeInterval) -> String {
        let s = Int(t.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

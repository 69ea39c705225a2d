import Foundation
import PolicyMatcher

/// One scan over sources, with state: reads only what is new or changed, raises each alert
/// once, and stores what it saw in transactions that a kill cannot tear (BRIEF §7).
///
/// Order of work per source: decide from the state whether to read it at all (file size and
/// mtime, then content hash; feed ETag / Last-Modified); parse it into articles; evaluate
/// the articles not seen before (key and content hash) in batches; commit each batch's
/// articles, alerts and outbox rows in one transaction, and the source's own mark (file
/// hash, feed validators) with its last batch. A run killed anywhere re-reads at most the
/// sources it had not finished, and the alerts it had committed wait in the outbox.
public struct ScanRun {
    public struct Options: Sendable {
        /// Re-read and re-evaluate everything, ignoring file marks, feed validators and seen
        /// articles. Alerts already raised are still not raised again.
        public var rescan = false
        /// Reporters each new alert is queued for, in the transaction that raises it.
        public var reporters: [ReporterConfig] = []
        /// Articles per transaction.
        public var batchSize = 100
        /// When this run started: stamps `first_seen`, sightings and marks.
        public var now: String

        public init(rescan: Bool = false, reporters: [ReporterConfig] = [], batchSize: Int = 100, now: String = Timestamp.string()) {
            self.rescan = rescan
            self.reporters = reporters
            self.batchSize = batchSize
            self.now = now
        }
    }

    public struct Outcome: Sendable {
        /// Alerts raised for the first time by this run, in input order.
        public var raised: [Alert] = []
        public var errors: [InputError] = []
        /// Articles evaluated (new or changed).
        public var articles = 0
        /// Articles read but not evaluated: seen before, unchanged.
        public var unchangedArticles = 0
        /// Files not read again (same size and mtime, or same hash).
        public var unchangedFiles = 0
        /// Feeds answered 304 Not Modified.
        public var notModified = 0
        public var bytes: Int64 = 0
    }

    public let scanner: Scanner
    public let reader: ArticleReader
    public let state: StateStore
    public let fetcher: any HTTPFetching
    public var options: Options

    public init(scanner: Scanner, reader: ArticleReader, state: StateStore, fetcher: any HTTPFetching, options: Options) {
        self.scanner = scanner
        self.reader = reader
        self.state = state
        self.fetcher = fetcher
        self.options = options
    }

    /// Scans `sources`. Input problems go to `errors` and the run goes on; a failing state
    /// (disk full, damaged file) throws, and what was committed so far stays committed.
    public func run(_ sources: [SourceSpec], progress: ((ScanProgress) -> Void)? = nil) throws -> Outcome {
        var work = Work(run: self, progress: progress)
        try work.scan(sources)
        return work.outcome
    }

    /// The mutable side of a run.
    struct Work {
        let run: ScanRun
        let progress: ((ScanProgress) -> Void)?
        var outcome = Outcome()
        var normalizer = TextNormalizer()
        var meter: ScanProgress

        init(run: ScanRun, progress: ((ScanProgress) -> Void)?) {
            self.run = run
            self.progress = progress
            meter = ScanProgress(started: Date())
        }

        var state: StateStore { run.state }
        var options: Options { run.options }

        mutating func scan(_ sources: [SourceSpec]) throws {
            // Expand directories first, so progress knows the bytes ahead.
            var plan: [(SourceSpec, String?)] = []  // (source, file path for files)
            for spec in sources {
                if spec.isURL || spec.location == "-" {
                    plan.append((spec, nil))
                    continue
                }
                let (files, errors) = run.reader.files(for: [spec.location])
                outcome.errors += errors
                plan += files.map { (spec, $0) }
            }
            meter.sourcesTotal = plan.count
            meter.bytesTotal = plan.reduce(Int64(0)) { sum, item in
                guard let path = item.1, let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int else { return sum }
                return sum + Int64(size)
            }
            for (spec, file) in plan {
                if let file {
                    try scanFile(file, spec: spec)
                } else if spec.isURL {
                    try scanURL(spec)
                } else {
                    try scanStdin(spec)
                }
                meter.sourcesDone += 1
                report()
            }
            outcome.bytes = meter.bytes
        }

        // MARK: Files

        mutating func scanFile(_ path: String, spec: SourceSpec) throws {
            let attrs: [FileAttributeKey: Any]
            do {
                attrs = try FileManager.default.attributesOfItem(atPath: path)
            } catch {
                outcome.errors.append(InputError(source: path, message: "cannot read: \(ArticleReader.describe(error))"))
                return
            }
            let size = (attrs[.size] as? Int) ?? 0
            let mtime = (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            let known = try state.file(path)
            if !options.rescan, let known, known.size == size, known.mtime == mtime {
                outcome.unchangedFiles += 1
                meter.bytesTotal -= Int64(size)
                return
            }
            if size > run.reader.maxBytes {
                // Not recorded: raising --max-bytes must make the next run read it.
                outcome.errors.append(InputError(source: path, message: "file is \(size) bytes, over the limit of \(run.reader.maxBytes) (raise it with --max-bytes)"))
                meter.bytesTotal -= Int64(size)
                return
            }
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                outcome.errors.append(InputError(source: path, message: "cannot read: \(ArticleReader.describe(error))"))
                meter.bytesTotal -= Int64(size)
                return
            }
            meter.bytes += Int64(data.count)
            let hash = ContentHash.bytes(data)
            var mark = StateStore.FileRecord(path: path, size: size, mtime: mtime, hash: hash, scanned: options.now)
            if !options.rescan, let known, known.hash == hash {
                // Touched, not changed.
                mark.error = known.error
                try state.recordFile(mark)
                outcome.unchangedFiles += 1
                return
            }
            let (articles, errors) = run.reader.parse(data: data, path: path, sourceName: spec.name)
            outcome.errors += errors
            // A content problem is reported once; the file is read again when it changes.
            mark.error = errors.first.map { "\($0.source): \($0.message)" + (errors.count > 1 ? " (and \(errors.count - 1) more)" : "") }
            try process(articles, file: mark, feed: nil)
        }

        // MARK: URLs

        mutating func scanURL(_ spec: SourceSpec) throws {
            guard let url = URL(string: spec.location) else {
                outcome.errors.append(InputError(source: spec.location, message: "not a valid URL"))
                return
            }
            let known = options.rescan ? nil : try state.feed(spec.location)
            let result = run.fetcher.fetch(FetchRequest(url: url, etag: known?.etag, lastModified: known?.lastModified))
            switch result {
            case .notModified:
                try state.recordFeedNotModified(url: spec.location, at: options.now)
                outcome.notModified += 1
            case .failed(let message):
                outcome.errors.append(InputError(source: spec.location, message: message))
            case .fetched(let body, let etag, let lastModified, let contentType, let status):
                meter.bytes += Int64(body.count)
                meter.bytesTotal += Int64(body.count)
                let (mime, charset) = Self.parseContentType(contentType)
                let format: InputFormat? = mime.contains("html") && InputFormat.sniff(body) != .feed ? .html : nil
                let (articles, errors) = run.reader.parse(data: body, path: spec.location, format: format, sourceName: spec.name, charset: charset)
                outcome.errors += errors
                // Validators only when the body was read cleanly: a broken feed is fetched in full next time.
                let mark = errors.isEmpty
                    ? StateStore.FeedRecord(url: spec.location, etag: etag, lastModified: lastModified, fetched: options.now, status: status)
                    : nil
                try process(articles, file: nil, feed: mark)
            }
        }

        static func parseContentType(_ header: String?) -> (mime: String, charset: String?) {
            guard let header else { return ("", nil) }
            let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let charset = parts.dropFirst().first { $0.lowercased().hasPrefix("charset=") }
                .map { String($0.dropFirst(8)).trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
            return (parts.first?.lowercased() ?? "", charset)
        }

        // MARK: stdin

        mutating func scanStdin(_ spec: SourceSpec) throws {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            meter.bytes += Int64(data.count)
            let (articles, errors) = run.reader.parse(data: data, path: "-", sourceName: spec.name)
            outcome.errors += errors
            try process(articles, file: nil, feed: nil)
        }

        // MARK: Articles

        /// Evaluates and commits `articles` in batches; the source's mark goes with the last.
        mutating func process(_ articles: [Article], file: StateStore.FileRecord?, feed: StateStore.FeedRecord?) throws {
            let size = max(1, options.batchSize)
            var start = 0
            repeat {
                let chunk = Array(articles[start..<min(start + size, articles.count)])
                start += size
                let last = start >= articles.count
                let seen = options.rescan ? [:] : try state.seenContentHashes(keys: chunk.map(\.key))
                let scanned = evaluate(chunk, seen: seen)
                let batch = StateStore.Batch(articles: scanned, file: last ? file : nil, feed: last ? feed : nil,
                                             reporters: options.reporters, now: options.now)
                outcome.raised += try state.commit(batch)
                meter.articles += chunk.count
                report()
            } while start < articles.count
        }

        /// The pure part: which articles need evaluating, and their alerts. (The seam for
        /// running the scanner in parallel: no state is touched here.)
        mutating func evaluate(_ articles: [Article], seen: [String: String]) -> [StateStore.ScannedArticle] {
            let hashes = articles.map { ContentHash.story(title: $0.title, body: $0.body) }
            let fresh = articles.indices.filter { i in seen[articles[i].key].map { $0 != hashes[i].0 } ?? true }
            outcome.articles += fresh.count
            outcome.unchangedArticles += articles.count - fresh.count
            // The new and changed ones are scanned on all cores, results in order.
            let alerts = ParallelScan.scan(fresh.map { articles[$0] }, with: run.scanner, now: options.now)
            var alertsByIndex = [[Alert]?](repeating: nil, count: articles.count)
            for (k, i) in fresh.enumerated() { alertsByIndex[i] = alerts[k] }
            return articles.indices.map { i in
                StateStore.ScannedArticle(article: articles[i], contentHash: hashes[i].0, letters: hashes[i].1, alerts: alertsByIndex[i])
            }
        }

        mutating func report() {
            guard let progress else { return }
            meter.elapsed = Date().timeIntervalSince(meter.started)
            progress(meter)
        }
    }
}

/// How far a scan is, for a progress line on a terminal.
public struct ScanProgress: Sendable {
    public var started: Date
    public var elapsed: TimeInterval = 0
    public var articles = 0
    public var bytes: Int64 = 0
    /// Bytes of all inputs as far as known (files by size; feeds once fetched).
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

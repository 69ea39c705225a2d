import Foundation
import class GRDB.DatabaseQueue
import PolicyWatch
import PolicyWatchTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Scans with state: nothing twice, changed inputs again, feeds by validators, one alert per
/// story, bad inputs reported while the run goes on (issue 5).
final class StatefulScanTests: XCTestCase {
    var dir: TempDir!
    var server: LoopbackHTTPServer!

    override func setUpWithError() throws {
        dir = TempDir()
        server = try LoopbackHTTPServer()
        dir.write("rules/pack.yaml", Samples.rules)
    }

    override func tearDown() {
        server.stop()
    }

    func ruleSet(extra: Bool = false) throws -> RuleSet {
        if extra { dir.write("rules/extra.yaml", Samples.extraRule) }
        let (set, diagnostics) = RuleLoader.compile(paths: [dir.url("rules")], includeBuiltin: false)
        return try XCTUnwrap(set, "\(diagnostics)")
    }

    /// A run's outcome, the alerts it raised (collected by a sink) and the bytes it read.
    @dynamicMemberLookup
    struct Result {
        var outcome: ScanPipeline.Outcome
        var raised: [Alert]
        var bytes: Int64
        subscript<T>(dynamicMember path: KeyPath<ScanPipeline.Outcome, T>) -> T { outcome[keyPath: path] }
    }

    func scan(_ sources: [String], state: any StoryIndex, rescan: Bool = false, extraRule: Bool = false, maxBytes: Int = 1 << 20,
              workers: Int = 2) throws -> Result {
        let pipeline = ScanPipeline(scanner: RuleScanner(ruleSet: try ruleSet(extra: extraRule)), reader: ArticleReader(maxBytes: maxBytes),
                                    index: state, fetcher: URLSessionFetcher(policy: FetchPolicy(timeout: 5, retries: 0, maxBytes: maxBytes)),
                                    options: .init(rescan: rescan, reporters: [ReporterConfig(type: "output")], workers: workers))
        let collector = AlertCollector()
        var bytes: Int64 = 0
        let outcome = try pipeline.run(sources.map { SourceSpec($0) }, sinks: [collector], progress: { bytes = $0.bytes })
        return Result(outcome: outcome, raised: collector.alerts, bytes: bytes)
    }

    func writeNews() {
        dir.write("news/chips.txt", "\(Samples.chipsStory.title)\n\(Samples.chipsStory.body)\n")
        dir.write("news/roadmap.md", "# \(Samples.roadmapStory.title)\n\n\(Samples.roadmapStory.body)\n")
        dir.write("news/quiet.json", "{\"title\": \"\(Samples.quietStory.title)\", \"body\": \"\(Samples.quietStory.body)\"}")
        dir.write("news/more.jsonl", """
            {"id": "j1", "title": "Line one", "body": "Seoul joins export controls on chips."}
            {"id": "j2", "title": "Line two", "body": "Nothing to see."}

            """)
    }

    /// The library's own callers get the one URL check too: ftp:// is an input error, not a
    /// file that is not found, and the other sources are still scanned.
    func testUnsupportedSchemeIsAnInputErrorForLibraryCallers() throws {
        writeNews()
        let r = try scan(["ftp://example.org/feed.xml", dir.url("news")], state: InMemoryStoryIndex())
        XCTAssertEqual(r.errors.map(\.source), ["ftp://example.org/feed.xml"])
        XCTAssertTrue(r.errors[0].message.contains("unsupported scheme 'ftp'"), r.errors[0].message)
        XCTAssertFalse(r.raised.isEmpty, "the other sources were scanned")
    }

    func testSecondRunOverSameInputsRaisesNothing() throws {
        writeNews()
        let state = try StateStore.open(path: dir.url("state/s.sqlite"))
        let first = try scan([dir.url("news")], state: state)
        XCTAssertEqual(first.errors, [])
        XCTAssertEqual(first.articles, 5)
        XCTAssertEqual(Set(first.raised.map(\.rule.id)), ["export-control.chips", "roadmap.joint"])
        XCTAssertEqual(first.raised.count, 3)

        let second = try scan([dir.url("news")], state: state)
        XCTAssertEqual(second.raised.count, 0)
        XCTAssertEqual(second.articles, 0)
        XCTAssertEqual(second.unchangedFiles, 4)
        XCTAssertEqual(second.bytes, 0, "unchanged files are not even read")
        XCTAssertEqual(try state.count("alerts"), 3)
    }

    func testChangedFileIsScannedAgainAndTouchedFileIsNot() throws {
        writeNews()
        let state = try StateStore.open(path: dir.url("s.sqlite"))
        _ = try scan([dir.url("news")], state: state)

        // Appending a line to a JSON Lines file: only the new article is evaluated.
        let jsonl = dir.url("news/more.jsonl")
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: jsonl))
        handle.seekToEndOfFile()
        handle.write(Data("{\"id\": \"j3\", \"title\": \"Line three\", \"body\": \"Tokyo and Washington publish a joint roadmap.\"}\n".utf8))
        handle.closeFile()
        let second = try scan([dir.url("news")], state: state)
        XCTAssertEqual(second.articles, 1)
        XCTAssertEqual(second.unchangedArticles, 2)
        XCTAssertEqual(second.unchangedFiles, 3)
        XCTAssertEqual(second.raised.map(\.article.id), ["j3"])
        XCTAssertEqual(second.raised.map(\.rule.id), ["roadmap.joint"])

        // Same bytes, new mtime: hashed, not parsed.
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: dir.url("news/chips.txt"))
        let third = try scan([dir.url("news")], state: state)
        XCTAssertEqual(third.articles, 0)
        XCTAssertEqual(third.unchangedFiles, 4)
        XCTAssertEqual(third.bytes, Int64(FileManager.default.contents(atPath: dir.url("news/chips.txt"))!.count), "read once to hash")
        let fourth = try scan([dir.url("news")], state: state)
        XCTAssertEqual(fourth.bytes, 0, "the new mtime was recorded")

        // Edited text: a new article (a text file's key is its content hash).
        dir.write("news/quiet.json", "{\"title\": \"Weather\", \"body\": \"Rain, and a joint roadmap on chips.\"}")
        let fifth = try scan([dir.url("news")], state: state)
        XCTAssertEqual(fifth.articles, 1)
        XCTAssertEqual(fifth.raised.map(\.rule.id), ["roadmap.joint"])
    }

    func testFeedIsFetchedThenNotModified() throws {
        let rss = Samples.rss(items: [Samples.chipsStory, Samples.quietStory])
        server.set("/feed.xml", .init(rss, etag: "\"v1\""))
        let url = server.url("/feed.xml")
        let state = try StateStore.open(path: dir.url("s.sqlite"))

        let first = try scan([url], state: state)
        XCTAssertEqual(first.errors, [])
        XCTAssertEqual(first.articles, 2)
        XCTAssertEqual(first.raised.map(\.article.title), ["US tightens chip curbs"])
        XCTAssertEqual(first.raised.first?.article.source, "Feed A")
        XCTAssertEqual(try state.feed(url)?.etag, "\"v1\"")

        let second = try scan([url], state: state)
        XCTAssertEqual(second.notModified, 1)
        XCTAssertEqual(second.articles, 0)
        XCTAssertEqual(second.raised.count, 0)
        XCTAssertEqual(server.requests(to: "/feed.xml").map(\.status), [200, 304])
        XCTAssertEqual(server.requests(to: "/feed.xml").last?.headers["if-none-match"], "\"v1\"")

        // The feed gains an item: fetched in full, only the new item evaluated.
        server.set("/feed.xml", .init(Samples.rss(items: [Samples.roadmapStory, Samples.chipsStory, Samples.quietStory]), etag: "\"v2\""))
        let third = try scan([url], state: state)
        XCTAssertEqual(third.articles, 1)
        XCTAssertEqual(third.unchangedArticles, 2)
        XCTAssertEqual(third.raised.map(\.rule.id), ["roadmap.joint"])
        XCTAssertEqual(try state.feed(url)?.etag, "\"v2\"")

        // --rescan ignores the validators and re-evaluates, raising nothing already raised.
        let rescan = try scan([url], state: state, rescan: true)
        XCTAssertEqual(rescan.articles, 3)
        XCTAssertEqual(rescan.raised.count, 0)
        XCTAssertNil(server.requests(to: "/feed.xml").last?.headers["if-none-match"])
    }

    func testPagesOverHTTPWithTheirCharset() throws {
        var latin1 = Data("<html><head><title>Export controls</title></head><body><nav>Menu chips</nav><article><p>Paris: nouveaux contr".utf8)
        latin1.append(0xF4)  // ô in ISO-8859-1
        latin1.append(contentsOf: Data("les. New export controls on chips.</p></article></body></html>".utf8))
        server.set("/page", .init(status: 200, body: latin1, contentType: "text/html; charset=ISO-8859-1", etag: "\"p1\""))
        let state = try StateStore.open(path: dir.url("s.sqlite"))
        let outcome = try scan([server.url("/page")], state: state)
        XCTAssertEqual(outcome.errors, [])
        XCTAssertEqual(outcome.raised.map(\.rule.id), ["export-control.chips"])
        let alert = try XCTUnwrap(outcome.raised.first)
        XCTAssertEqual(alert.article.title, "Export controls")
        XCTAssertEqual(alert.article.url, server.url("/page"))
        XCTAssertTrue(alert.matches.allSatisfy { !$0.snippet.contains("Menu") })
        XCTAssertTrue(alert.matches.contains { $0.snippet.contains("contrôles") }, "\(alert.matches.map(\.snippet))")
        XCTAssertEqual(try scan([server.url("/page")], state: state).notModified, 1)
    }

    func testSameStoryInTwoFeedsAlertsOnce() throws {
        server.set("/a.xml", .init(Samples.rss(title: "Feed A", query: "?utm_source=a&amp;utm_medium=rss", items: [Samples.chipsStory]), etag: "\"a\""))
        server.set("/b.xml", .init(Samples.rss(title: "Feed B", query: "?fbclid=XYZ#comments", items: [Samples.chipsStory, Samples.roadmapStory])))
        let state = try StateStore.open(path: dir.url("s.sqlite"))
        let outcome = try scan([server.url("/a.xml"), server.url("/b.xml")], state: state)
        XCTAssertEqual(outcome.errors, [])
        XCTAssertEqual(outcome.raised.map(\.rule.id), ["export-control.chips", "roadmap.joint"])
        let delivered = try state.undelivered(reporter: "output")
        let chips = try XCTUnwrap(delivered.first { $0.rule.id == "export-control.chips" })
        XCTAssertEqual(chips.article.source, "Feed A")
        XCTAssertEqual(chips.alsoSeen?.map(\.source), ["Feed B"])
        XCTAssertEqual(chips.alsoSeen?.map(\.path), [server.url("/b.xml")])
        XCTAssertEqual(chips.alsoSeen?.map(\.url), ["https://news.example/story-chips?fbclid=XYZ#comments"])

        // The same story copied under another URL (same words, other markup) is the same story too.
        dir.write("saved/copy.html", """
            <html><head><title>\(Samples.chipsStory.title.uppercased())</title></head>
            <body><nav>Menu</nav><p>\(Samples.chipsStory.body)</p></body></html>
            """)
        let again = try scan([dir.url("saved")], state: state)
        XCTAssertEqual(again.articles, 1)
        XCTAssertEqual(again.raised.count, 0)
        let history = try state.alerts(rule: "export-control.chips")
        XCTAssertEqual(history.count, 1)
        XCTAssertEqual(history[0].alsoSeen?.map(\.path), [server.url("/b.xml"), dir.url("saved/copy.html")])
    }

    func testRescanAfterNewRuleRaisesOnlyTheNewRule() throws {
        dir.write("news/talks.txt", "Talks\nBoth sides agreed to keep an open communication channel on export controls for chips.\n")
        let state = try StateStore.open(path: dir.url("s.sqlite"))
        XCTAssertEqual(try scan([dir.url("news")], state: state).raised.map(\.rule.id), ["export-control.chips"])
        XCTAssertEqual(try scan([dir.url("news")], state: state, extraRule: true).raised.count, 0, "seen files are not re-read")
        XCTAssertEqual(try scan([dir.url("news")], state: state, rescan: true, extraRule: true).raised.map(\.rule.id), ["talks.channel"])
    }

    func testBadInputsAreReportedAndTheRunGoesOn() throws {
        writeNews()
        dir.write("news/invalid.txt", Data([0x48, 0x69, 0xC3, 0x28, 0x0A, 0xFF]))
        dir.write("news/empty.md", "")
        dir.write("news/blank.txt", "  \n\n ")
        dir.write("news/binary.txt", Data([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00]))
        dir.write("news/huge.txt", String(repeating: "export controls on chips. ", count: 2000))
        dir.write("news/broken.rss", String(Samples.rss(items: [Samples.roadmapStory]).prefix(200)))
        dir.write("news/bad.jsonl", "{\"id\": \"ok\", \"title\": \"Fine\", \"body\": \"a joint roadmap\"}\n{not json}\n")
        let unreadable = try makeUnreadableFile(dir.url("news/unreadable.txt"))
        server.set("/gone.xml", .init(status: 410))
        let sources = [dir.url("news"), server.url("/gone.xml"), "http://127.0.0.1:1/refused.xml", dir.url("nowhere")]
        let state = try StateStore.open(path: dir.url("s.sqlite"))

        let outcome = try scan(sources, state: state, maxBytes: 20_000)
        var messages: [String: String] = [:]
        for e in outcome.errors { messages[(e.source as NSString).lastPathComponent] = e.message }
        XCTAssertEqual(messages["invalid.txt"], "invalid UTF-8; skipped")
        XCTAssertEqual(messages["empty.md"], "empty input")
        XCTAssertEqual(messages["blank.txt"], "empty input")
        XCTAssertEqual(messages["binary.txt"], "binary file (NUL bytes found); skipped")
        XCTAssertEqual(messages["huge.txt"], "file is 52000 bytes, over the limit of 20000 (raise it with --max-bytes)")
        XCTAssertTrue(messages["broken.rss"]?.hasPrefix("invalid XML at line") ?? false, "\(messages)")
        XCTAssertTrue(messages["bad.jsonl:2"]?.hasPrefix("invalid JSON") ?? false, "\(messages)")
        XCTAssertTrue(messages["unreadable.txt"]?.hasPrefix("cannot read: ") ?? false, "\(messages)")
        XCTAssertEqual(messages["gone.xml"], "HTTP 410 Gone")
        XCTAssertNotNil(messages["refused.xml"])
        XCTAssertEqual(messages["nowhere"], "no such file or directory")
        XCTAssertEqual(outcome.errors.count, 11)
        // ...and the good inputs were scanned all the same.
        XCTAssertEqual(Set(outcome.raised.compactMap(\.article.title)), ["US tightens chip curbs", "Allies agree roadmap", "Line one", "Fine"])

        // Content problems are reported once (until the file changes); access problems and
        // failing URLs every time, since they may pass next time.
        let second = try scan(sources, state: state, maxBytes: 20_000)
        XCTAssertEqual(Set(second.errors.map { ($0.source as NSString).lastPathComponent }),
                       ["huge.txt", "unreadable.txt", "gone.xml", "refused.xml", "nowhere"])
        XCTAssertEqual(second.raised.count, 0)
        // Raising the limit reads the big file.
        let third = try scan([dir.url("news/huge.txt")], state: state, maxBytes: 100_000)
        XCTAssertEqual(third.errors, [])
        XCTAssertEqual(third.raised.map(\.rule.id), ["export-control.chips"])
        _ = unreadable
    }

    /// A file that cannot be opened even by root: a Unix socket (open() fails with ENXIO).
    func makeUnreadableFile(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes + [0])
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        XCTAssertEqual(rc, 0, "bind \(path): \(String(cString: strerror(errno)))")
        return fd
    }

    func testStatelessRunStillMergesDuplicatesWithinTheRun() throws {
        dir.write("a/one.jsonl", """
            {"url": "https://news.example/x?utm_source=one", "title": "Chips", "body": "New export controls on chips."}
            {"url": "https://news.example/x?utm_source=two", "title": "Chips", "body": "New export controls on chips."}

            """)
        let state = try StateStore.inMemory()
        let outcome = try scan([dir.url("a")], state: state)
        XCTAssertEqual(outcome.raised.count, 1)
        XCTAssertEqual(try state.undelivered(reporter: "output").first?.alsoSeen?.count, 1)
        XCTAssertEqual(outcome.raised.first?.alsoSeen?.count, 1)
        // The same without a state: the in-memory story index.
        let stateless = try scan([dir.url("a")], state: InMemoryStoryIndex())
        XCTAssertEqual(stateless.raised.count, 1)
        XCTAssertEqual(stateless.raised.first?.alsoSeen?.map(\.url), ["https://news.example/x?utm_source=two"])
    }

    /// Issue 15's divergences, through the library (the CLI tests run the binary on the same).
    func testCopiesAreListedByKeyAndTheSameKeyTwiceRaisesOnce() throws {
        let body = String(repeating: "Washington announced new export controls on advanced chips. ", count: 3)
        let roadmap = String(repeating: "Seoul and Washington publish a joint roadmap. ", count: 3)
        dir.write("b/copies.jsonl", """
            {"id": "first", "title": "Chip curbs", "body": "\(body)"}
            {"id": "second", "title": "Chip curbs", "body": "\(body)"}
            {"id": "first", "title": "Chip curbs", "body": "\(body)"}
            {"url": "https://a.example/s", "title": "Roadmap", "body": "\(roadmap)"}
            {"url": "https://b.example/s", "title": "Roadmap", "body": "\(roadmap)"}

            """)
        for workers in [1, 3] {
            for index in [InMemoryStoryIndex(), try StateStore.inMemory()] as [any StoryIndex] {
                let outcome = try scan([dir.url("b")], state: index, workers: workers)
                XCTAssertEqual(outcome.raised.map(\.article.key), ["first", "https://a.example/s"], "\(type(of: index))")
                XCTAssertEqual(Set(outcome.raised.map(\.id)).count, outcome.raised.count, "no alert id twice")
                XCTAssertEqual(outcome.raised[0].alsoSeen?.map(\.key), ["second"], "\(type(of: index))")
                XCTAssertEqual(outcome.raised[1].alsoSeen?.map(\.key), ["https://b.example/s"], "\(type(of: index))")
                XCTAssertEqual(outcome.articles, 4)
                XCTAssertEqual(outcome.unchangedArticles, 1, "the same key with the same text again")
            }
        }
    }

    /// A story index that counts the scanning threads' look-ups.
    final class CountingIndex: StoryIndex, @unchecked Sendable {
        let inner = InMemoryStoryIndex()
        private let lock = NSLock()
        private var calls = 0
        var lookUps: Int { lock.withLock { calls } }
        func knownContentHashes(keys: [String]) throws -> [String: String] {
            lock.withLock { calls += 1 }
            return try inner.knownContentHashes(keys: keys)
        }
        func holdsNoArticles() throws -> Bool { try inner.holdsNoArticles() }
        func commit(_ batch: StoryBatch) throws -> StoryCommit { try inner.commit(batch) }
        func fileMark(_ path: String) throws -> FileMark? { try inner.fileMark(path) }
        func feedMark(_ url: String) throws -> FeedMark? { try inner.feedMark(url) }
        func recordFeedNotModified(url: String, at time: String) throws { try inner.recordFeedNotModified(url: url, at: time) }
    }

    /// An index whose end fails (`endRun`, overlapped with the sinks' end): the sinks still
    /// finish with every alert, and the run throws the index's error.
    func testAnIndexThatFailsAtItsEndFailsTheRunAfterTheSinksFinish() throws {
        struct Broken: Error {}
        final class FailingEnd: StoryIndex, @unchecked Sendable {
            let inner = InMemoryStoryIndex()
            func knownContentHashes(keys: [String]) throws -> [String: String] { try inner.knownContentHashes(keys: keys) }
            func commit(_ batch: StoryBatch) throws -> StoryCommit { try inner.commit(batch) }
            func fileMark(_ path: String) throws -> FileMark? { try inner.fileMark(path) }
            func feedMark(_ url: String) throws -> FeedMark? { try inner.feedMark(url) }
            func recordFeedNotModified(url: String, at time: String) throws { try inner.recordFeedNotModified(url: url, at: time) }
            func endRun() throws { throw Broken() }
        }
        writeNews()
        let collector = AlertCollector()
        let pipeline = ScanPipeline(scanner: RuleScanner(ruleSet: try ruleSet()), index: FailingEnd())
        XCTAssertThrowsError(try pipeline.run([SourceSpec(dir.url("news"))], sinks: [collector])) { XCTAssertTrue($0 is Broken, "\($0)") }
        XCTAssertEqual(collector.alerts.count, 3)
        XCTAssertNotNil(collector.run, "the sink was finished")
    }

    /// A run ends with its state's pages in the file, not only in the WAL: the checkpoint is
    /// made beside the sinks' end, not left for when the state is closed.
    func testARunEndsWithItsPagesInTheStateFile() throws {
        writeNews()
        let path = dir.url("s.sqlite")
        let state = try StateStore.open(path: path)
        _ = try scan([dir.url("news")], state: state)
        // Read through a connection of its own, which sees the WAL's pages too.
        let pages = try DatabaseQueue(path: path).read { db in
            (try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0) * (try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0)
        }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        XCTAssertGreaterThan(pages, 0)
        XCTAssertEqual(size, pages, "every page is in the file")
    }

    /// A first run (an index without articles) looks nothing up while it scans, and still
    /// recognises a key it meets twice; a later run looks up, and skips what did not change.
    func testFirstRunLooksNothingUpAndLaterRunsDo() throws {
        let body = String(repeating: "Washington announced new export controls on advanced chips. ", count: 3)
        dir.write("a/one.jsonl", """
            {"id": "first", "title": "Chip curbs", "body": "\(body)"}
            {"id": "first", "title": "Chip curbs", "body": "\(body)"}

            """)
        dir.write("b/two.jsonl", """
            {"id": "first", "title": "Chip curbs", "body": "\(body)"}
            {"id": "new", "title": "Seoul joins export controls on chips", "body": "Seoul joins export controls on chips."}

            """)
        let index = CountingIndex()
        let first = try scan([dir.url("a")], state: index)
        XCTAssertEqual(index.lookUps, 0, "nothing to look up in an empty index")
        XCTAssertEqual(first.raised.map(\.article.key), ["first"])
        XCTAssertEqual(first.unchangedArticles, 1, "the same key again is recognised at commit")
        let second = try scan([dir.url("b")], state: index)
        XCTAssertGreaterThan(index.lookUps, 0)
        XCTAssertEqual(second.unchangedArticles, 1, "the known article is not evaluated again")
        XCTAssertEqual(second.raised.map(\.article.key), ["new"])
        let state = try StateStore.inMemory()
        XCTAssertTrue(try state.holdsNoArticles(), "a new SQLite state holds none")
        _ = try scan([dir.url("a")], state: state)
        XCTAssertFalse(try state.holdsNoArticles(), "one that has scanned holds some")
    }

    /// Feeds are fetched concurrently (a window at a time), and their alerts still come in the
    /// order of the sources.
    func testFeedsAreFetchedConcurrentlyAndReportedInOrder() throws {
        struct SlowFeeds: HTTPFetching {
            func fetch(_ request: FetchRequest) -> FetchResult {
                Thread.sleep(forTimeInterval: 0.3)
                let n = request.url.host!.split(separator: ".")[0]
                let rss = Samples.rss(title: "Feed \(n)", items: [(id: "story-\(n)", title: "Curbs \(n)", body: "New export controls on chips, \(n).")])
                return .fetched(body: Data(rss.utf8), etag: nil, lastModified: nil, contentType: "application/rss+xml", status: 200)
            }
        }
        let urls = (0..<16).map { "https://feed\($0).example/rss" }
        let pipeline = ScanPipeline(scanner: RuleScanner(ruleSet: try ruleSet()), index: InMemoryStoryIndex(), fetcher: SlowFeeds())
        let collector = AlertCollector()
        let started = Date()
        let outcome = try pipeline.run(urls.map { SourceSpec($0) }, sinks: [collector])
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(outcome.errors, [])
        XCTAssertEqual(collector.alerts.map(\.article.title), (0..<16).map { "Curbs feed\($0)" })
        XCTAssertLessThan(elapsed, 16 * 0.3 / 3, "16 feeds of 0.3 s each, one after another, would take 4.8 s")
    }
}

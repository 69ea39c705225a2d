import CLZ4
import Foundation
import GRDB
@testable import PolicyWatch
import PolicyWatchTestSupport
import XCTest

/// How the state stores alerts since v4: the article and rule objects once (`StoredAlert`),
/// a whole report's due as ranges (`report_deliveries`); and a v3 state still works.
final class StateStorageTests: XCTestCase {
    func alert(_ rule: String, _ article: Article, title: String = "R", tags: [String] = [], snippet: String = "x",
               facets: Bool = false) -> Alert {
        var a = Alert(
            id: Alert.id(rule: rule, articleKey: article.key),
            rule: .init(id: rule, title: title, severity: .high, tags: tags, file: "rules/r.yaml"),
            article: .init(article),
            matches: [Alert.MatchRecord(term: "t", field: .body, start: 3, end: 9, text: "export", snippet: snippet)],
            entities: ["country": ["US", "KR"], "rule": ["odd kind"]],
            firstSeen: "2025-06-01T00:00:00Z")
        if facets { a.facets = Facets(acting: ["us"], affected: ["kr"], sectors: ["chips"], stage: "proposed") }
        return a
    }

    /// The lines of the group a query selects, compressed or not.
    func groupLines(_ store: StateStore, _ sql: String) throws -> String {
        let stored = try XCTUnwrap(try store.writer.read { try DatabaseValue.fetchOne($0, sql: sql) })
        return try AlertGroupText.lines(stored)
    }

    func scanned(_ a: Article, alerts: [Alert]?, hash version: ContentHash.StoryHashVersion = .v2) -> ScannedArticle {
        let (hash, letters) = ContentHash.story(title: a.title, body: a.body, version: version)
        var named = a
        named.body = ""
        return ScannedArticle(article: named, contentHash: hash, letters: letters, alerts: alerts)
    }

    /// Alerts whose strings look like the separators the split relies on.
    func trickyAlerts() -> [Alert] {
        let a = Article(title: #"He said "rule":{ and ,"rule":{"x"} — 수출 통제"#, body: "b", url: "https://x.example/1?a=\"", path: "feed")
        let b = Article(title: "Plain", body: "b", url: nil, path: "dir/a.json")
        return [
            alert("r1", a, snippet: #"…,"rule":{"id":"fake"}…"#),
            alert("r2", a, title: #"T ,"rule":{ "#, tags: ["x", "y"], facets: true),
            alert("r1", b, snippet: "{\"article\":\n\t}"),
        ]
    }

    /// An alert's parts (article object, middle, rule object), spliced, are the bytes of its
    /// compact JSON, even with strings that look like the separators; a trend stays whole.
    func testPartsSpliceToTheEncodersBytes() throws {
        for alert in trickyAlerts() {
            var article = JSONBytes(pretty: false)
            article.articleObject(alert.article)
            guard case .parts(let e) = StoredAlert.encode([alert])[0] else { return XCTFail("an alert alone is stored in parts") }
            XCTAssertEqual(Array(e.article.utf8), article.bytes)
            XCTAssertTrue(e.ruleJSON.hasPrefix(#"{"file":"rules/r.yaml","id":"#))
            let json = ReportEncoder.compact(alert)
            XCTAssertEqual(StoredAlert.splice(article: e.article, middle: String(decoding: e.middle, as: UTF8.self), rule: e.ruleJSON), json, String(decoding: json, as: UTF8.self))
        }
        var trend = trickyAlerts()[0]
        trend.trend = Alert.TrendInfo(group: nil, windowStart: "2025-01-01T00:00:00Z", windowEnd: "2025-01-08T00:00:00Z", articles: [])
        guard case .whole(let json) = StoredAlert.encode([trend])[0] else { return XCTFail("a trend alert stays whole") }
        XCTAssertEqual(Array(json.utf8), ReportEncoder.compact(trend))
    }

    func testStoredAlertsReadBackByteForByte() throws {
        let store = try StateStore.inMemory()
        let alerts = trickyAlerts()
        let a = Article(title: alerts[0].article.title, body: "b", url: alerts[0].article.url, path: "feed")
        let b = Article(title: "Plain", body: "b", url: nil, path: "dir/a.json")
        XCTAssertEqual(a.key, alerts[0].article.key)
        let raised = try store.commit(StoryBatch(articles: [scanned(a, alerts: Array(alerts[0...1])), scanned(b, alerts: [alerts[2]])],
                                                 reporters: [ReporterConfig(type: "jsonl", target: "a.jsonl")], now: "2025-06-01T00:00:00Z")).raised
        XCTAssertEqual(raised.count, 3)
        for read in [try store.alerts(), try store.undelivered(reporter: "jsonl:a.jsonl")] {
            XCTAssertEqual(read.map { ReportEncoder.compact($0) }, alerts.map { ReportEncoder.compact($0) })
        }
        XCTAssertEqual(try store.count("alert_groups"), 2, "one group, and one article object, per article")
        XCTAssertEqual(try store.count("alert_rules"), 2, "one rule object per rule version: r1 twice, r2")
        let text = try groupLines(store, "SELECT alerts FROM alert_groups ORDER BY first_alert LIMIT 1")
        let lines = try AlertGroup.lines(text)
        XCTAssertEqual(lines.map(\.rule), ["r1", "r2"])
        XCTAssertEqual(lines.map { String($0.id) }, [alerts[0].id, alerts[1].id])
        XCTAssertTrue(lines.allSatisfy { $0.json.hasPrefix(#","entities":"#) && $0.rulePart != nil }, text)
        XCTAssertTrue(lines.allSatisfy { $0.cut != nil && !$0.json.contains(#""first_seen""#) }, "raised when first seen: cut, \(text)")

        // An article seen again, all its alerts raised before: no group is added.
        try store.commit(StoryBatch(articles: [scanned(b, alerts: [alerts[2]])], rescan: true, now: "2025-06-02T00:00:00Z"))
        XCTAssertEqual(try store.count("alert_groups"), 2)
        // A rule object already stored, in a later transaction: looked up, not stored again.
        let c = Article(title: "Third", body: "c", url: "https://x.example/3")
        try store.commit(StoryBatch(articles: [scanned(c, alerts: [alert("r1", c)])], now: "2025-06-02T00:00:00Z"))
        XCTAssertEqual(try store.count("alert_rules"), 2)
        XCTAssertEqual(try store.alerts(rule: "r1").map(\.article.key), [a.key, b.key, c.key])
    }

    /// A group's lines are split on tabs and newlines: a rule id holding them (or quotes and
    /// backslashes) is read back whole, found by `--rule` and raised once per story.
    func testAlertGroupLinesHoldAnyRuleID() throws {
        let store = try StateStore.inMemory()
        let odd = "r\t\"x\"\n\\y"
        let a = Article(title: "Odd ids", body: "b", url: "https://x.example/odd")
        let alerts = [alert(odd, a, tags: ["t"]), alert("plain", a)]
        XCTAssertEqual(try store.commit(StoryBatch(articles: [scanned(a, alerts: alerts)], now: "2025-06-01T00:00:00Z")).raised.count, 2)
        XCTAssertEqual(try store.alerts(rule: odd).map(\.rule.id), [odd])
        XCTAssertEqual(try store.alerts(tags: ["t"]).map(\.rule.id), [odd])
        XCTAssertEqual(try store.alerts().map { ReportEncoder.compact($0) }, alerts.map { ReportEncoder.compact($0) })
        let again = StoryBatch(articles: [scanned(a, alerts: alerts + [alert("new", a)])], rescan: true, now: "2025-06-02T00:00:00Z")
        XCTAssertEqual(try store.commit(again).raised.map(\.rule.id), ["new"])
        XCTAssertEqual(try store.count("alerts"), 3)
        XCTAssertEqual(try store.count("alert_groups"), 2)
    }

    /// Copies of one story in one batch, and the same story in the next: each rule raises
    /// once per story, whichever copy raises it (a new story's first article is stored
    /// without checks, the copies after it are checked against it).
    func testEachRuleRaisesOncePerStoryAcrossCopiesAndBatches() throws {
        let store = try StateStore.inMemory()
        let body = String(repeating: "Export controls on chips were announced today. ", count: 4)
        let a = Article(title: "Story", body: body, url: "https://a.example/1")
        let b = Article(title: "Story", body: body, url: "https://b.example/1")
        let c = Article(title: "Story", body: body, url: "https://c.example/1")
        let first = try store.commit(StoryBatch(articles: [scanned(a, alerts: [alert("r1", a), alert("r2", a)]),
                                                           scanned(b, alerts: [alert("r1", b), alert("r3", b), alert("r2", b)])],
                                                now: "2025-06-01T00:00:00Z"))
        XCTAssertEqual(first.raised.map(\.rule.id), ["r1", "r2", "r3"])
        XCTAssertEqual(Set(first.raised.map(\.id)).count, 3)
        let second = try store.commit(StoryBatch(articles: [scanned(c, alerts: [alert("r3", c), alert("r4", c), alert("r1", c)])],
                                                 now: "2025-06-02T00:00:00Z"))
        XCTAssertEqual(second.raised.map(\.rule.id), ["r4"])
        XCTAssertEqual(second.raised.map(\.id), [Alert.id(rule: "r4", articleKey: a.key)])
        XCTAssertEqual(try store.alerts().map(\.rule.id), ["r1", "r2", "r3", "r4"])
        XCTAssertEqual(try store.count("alert_groups"), 3, "one group per article that raised something")
    }

    /// A JSON report's due is one range per transaction; marking it, failing it and retrying
    /// it one alert at a time (`policywatch deliver`) all read the same.
    func testWholeReportIsOwedByRanges() throws {
        let store = try StateStore.inMemory()
        let report = ReporterConfig(type: "json", target: "r.json")
        let hook = ReporterConfig(type: "webhook", target: "https://h.example")
        func batch(_ articles: [Article], rule: String, now: String) -> StoryBatch {
            var b = StoryBatch(articles: articles.map { scanned($0, alerts: [alert(rule, $0)]) }, reporters: [report, hook], now: now)
            b.wholeRunReporters = [report.key]
            return b
        }
        let arts = (1...4).map { Article(title: "T\($0)", body: "b\($0)", url: "https://x.example/\($0)") }
        try store.commit(batch(Array(arts[0...1]), rule: "r", now: "2025-06-01T00:00:00Z"))
        try store.commit(batch(Array(arts[2...3]), rule: "r", now: "2025-06-01T00:00:01Z"))
        XCTAssertEqual(try store.count("report_deliveries"), 2, "one row per transaction")
        XCTAssertEqual(try store.count("deliveries"), 4, "the webhook keeps one row per alert")
        XCTAssertEqual(try store.undelivered(reporter: report.key).map(\.article.key), arts.map(\.key))
        XCTAssertEqual(try store.deliveries(reporter: report.key).map(\.status), Array(repeating: .pending, count: 4))

        // The report failed to be written: owed again, by the same ranges.
        try store.markAllOpen(reporter: report.key, delivered: false, error: "disk full", at: "2025-06-01T00:01:00Z")
        XCTAssertEqual(try store.deliveries(alertID: Alert.id(rule: "r", articleKey: arts[0].key), reporter: report.key)
            .map(\.lastError), ["disk full"])
        XCTAssertEqual(try store.undelivered(reporter: report.key).count, 4)
        // `deliver` retries and marks alert by alert: the ranges become rows first.
        let ids = try store.undelivered(reporter: report.key).map(\.id)
        try store.markDelivered(alertIDs: Array(ids[0...2]), reporter: report.key, at: "2025-06-01T00:02:00Z")
        XCTAssertEqual(try store.count("report_deliveries"), 0)
        XCTAssertEqual(try store.undelivered(reporter: report.key).map(\.id), [ids[3]])
        XCTAssertEqual(try store.deliveries(reporter: report.key).map(\.attempts), [2, 2, 2, 1])
        try store.markAllOpen(reporter: report.key, delivered: true, error: nil, at: "2025-06-01T00:03:00Z")
        XCTAssertEqual(try store.undelivered(reporter: report.key), [])

        // Delivered ranges stay delivered, and the webhook's rows are untouched by the report's marks.
        let e = Article(title: "T5", body: "b5", url: "https://x.example/5")
        try store.commit(batch([e], rule: "r", now: "2025-06-02T00:00:00Z"))
        try store.markAllOpen(reporter: report.key, delivered: true, error: nil, at: "2025-06-02T00:01:00Z")
        XCTAssertEqual(try store.undelivered(reporter: report.key), [])
        XCTAssertEqual(try store.deliveries(reporter: report.key).count, 5)
        XCTAssertEqual(try store.undelivered(reporter: hook.key).count, 5)

        // A reporter with a filter keeps one row per alert, even as a whole report.
        var filtered = ReporterConfig(type: "json", target: "high.json", minSeverity: .critical)
        filtered.name = "high"
        var b = StoryBatch(articles: [scanned(arts[0], alerts: [alert("r9", arts[0])])], reporters: [filtered], now: "2025-06-03T00:00:00Z")
        b.wholeRunReporters = [filtered.key]
        try store.commit(b)
        XCTAssertEqual(try store.count("report_deliveries"), 1)
        XCTAssertEqual(try store.deliveries(reporter: "high"), [], "the filter refuses it: nothing is owed")
    }

    /// A state written by the code of v3 (whole JSON per alert, one outbox row per alert)
    /// opens, migrates to v4, reads its alerts back as they were, recognises its articles,
    /// and keeps delivering.
    func testV3StateKeepsWorking() throws {
        let dir = TempDir()
        let path = dir.url("v3.sqlite")
        let a = Article(title: "Old story", body: String(repeating: "Export controls on chips were announced today. ", count: 4),
                        url: "https://old.example/1", path: "feed")
        let old = [alert("r1", a, facets: true), alert("r2", a, tags: ["t"])]
        // States made before v5 stored the first story hash, and keep it.
        let (hash, letters) = ContentHash.story(title: a.title, body: a.body, version: .v1)
        do {
            let db = try DatabaseQueue(path: path)
            try StateStore.migrator.migrate(db, upTo: "v3")
            try db.write { db in
                try db.execute(sql: "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [a.key, a.key, hash, letters, "2025-05-01T00:00:00Z", "2025-05-01T00:00:00Z"])
                try db.execute(sql: "INSERT INTO sightings VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [a.key, "feed", a.url!, a.key, nil, "2025-05-01T00:00:00Z"])
                for al in old {
                    try db.execute(sql: "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   arguments: [al.id, al.rule.id, a.key, a.key, "high", "2025-05-01T00:00:00Z",
                                               String(decoding: ReportEncoder.compact(al), as: UTF8.self)])
                    for t in al.rule.tags { try db.execute(sql: "INSERT INTO alert_tags VALUES (?, ?)", arguments: [al.id, t]) }
                    try db.execute(sql: "INSERT INTO deliveries (alert_id, reporter, status, attempts, updated) VALUES (?, 'json:r.json', 'pending', 0, ?)",
                                   arguments: [al.id, "2025-05-01T00:00:00Z"])
                }
            }
            try db.close()
        }
        let store = try StateStore.open(path: path)
        XCTAssertEqual(store.storyHashVersion, .v1, "it has articles hashed the first way")
        let new = try StateStore.open(path: dir.url("new.sqlite"))
        XCTAssertEqual(new.storyHashVersion, .v2, "a new state hashes the faster way")
        // A new file has 16 KB pages; an older one keeps its own (SQLite's default here).
        func pageSize(_ s: StateStore) throws -> Int? { try s.writer.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } }
        XCTAssertEqual(try pageSize(new), StateStore.newPageSize)
        XCTAssertEqual(try pageSize(store), 4096)
        XCTAssertEqual(try store.alerts().map { ReportEncoder.compact($0) }, old.map { ReportEncoder.compact($0) })
        XCTAssertEqual(try store.alerts(tags: ["t"]).map(\.id), [old[1].id])

        // The same article again: unchanged, nothing evaluated; a copy under another URL is
        // its story's copy, and a new rule's alert is stored in parts beside the old ones.
        let copy = Article(title: a.title, body: a.body, url: "https://mirror.example/1", path: "feed2")
        let report = ReporterConfig(type: "json", target: "r.json")
        var batch = StoryBatch(articles: [scanned(a, alerts: old, hash: .v1), scanned(copy, alerts: [alert("r3", copy)], hash: .v1)], reporters: [report],
                               now: "2025-06-01T00:00:00Z")
        batch.wholeRunReporters = [report.key]
        let result = try store.commit(batch)
        XCTAssertEqual(result.evaluated, 1, "the old article is recognised as unchanged")
        XCTAssertEqual(result.raised.map(\.id), [Alert.id(rule: "r3", articleKey: a.key)], "the copy's alert is its story's")
        XCTAssertEqual(try store.count("alert_rules"), 1)
        let owed = try store.undelivered(reporter: report.key)
        XCTAssertEqual(owed.map(\.rule.id), ["r1", "r2", "r3"], "old rows and the new range, in order")
        XCTAssertEqual(owed[0].alsoSeen?.map(\.key), [copy.key])
        try store.markAllOpen(reporter: report.key, delivered: true, error: nil, at: "2025-06-01T00:01:00Z")
        XCTAssertEqual(try store.undelivered(reporter: report.key), [])
        XCTAssertEqual(try store.deliveries(reporter: report.key).map(\.status), [.delivered, .delivered, .delivered])

        // Re-evaluated (`--rescan`): the migrated alerts and the new one are each raised once,
        // whether the article or its copy raises them (unique on story and rule since v6).
        var again = StoryBatch(articles: [scanned(a, alerts: old + [alert("r4", a)], hash: .v1), scanned(copy, alerts: [alert("r1", copy), alert("r3", copy)], hash: .v1)],
                               now: "2025-06-02T00:00:00Z")
        again.rescan = true
        XCTAssertEqual(try store.commit(again).raised.map(\.id), [Alert.id(rule: "r4", articleKey: a.key)])
        XCTAssertEqual(try store.count("alerts"), 4)
        XCTAssertEqual(try store.alerts(tags: ["t"]).map(\.id), [old[1].id], "tags still find their alerts")
        XCTAssertEqual(try store.alerts(since: "2025-05-01T00:00:00Z").map(\.rule.id), ["r1", "r2", "r3", "r4"])
        XCTAssertEqual(try store.alerts(since: "2025-05-02T00:00:00Z").map(\.rule.id), ["r3", "r4"], "by the migrated times too")
    }

    /// `policywatch deliver` (the dispatcher) retries a JSON report that failed to be written,
    /// owed by ranges: every alert goes out once and is recorded delivered.
    func testDeliverRetriesAFailedReportOwedByRanges() throws {
        let dir = TempDir()
        let store = try StateStore.open(path: dir.url("s.sqlite"))
        let config = ReporterConfig(type: "json", target: dir.url("r.json"))
        let arts = (1...3).map { Article(title: "T\($0)", body: "b\($0)", url: "https://x.example/\($0)") }
        var batch = StoryBatch(articles: arts.map { scanned($0, alerts: [alert("r", $0)]) }, reporters: [config], now: "2025-06-01T00:00:00Z")
        batch.wholeRunReporters = [config.key]
        try store.commit(batch)
        try store.markAllOpen(reporter: config.key, delivered: false, error: "disk full", at: "2025-06-01T00:01:00Z")
        let dispatcher = try Dispatcher(configs: [config], context: ReporterContext(run: RunContext(clock: { Date(timeIntervalSince1970: 1_750_000_000) }, workingDirectory: dir.path)), outbox: store)
        let run = Report.RunInfo(started: "2025-06-02T00:00:00Z", finished: "2025-06-02T00:00:00Z", rules: 0, articles: 0, skipped: 0)
        let summary = dispatcher.dispatch(run: run, isScan: false)
        XCTAssertEqual(summary.map(\.delivered), [3], "\(summary)")
        let written = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: dir.url("r.json"))))
        XCTAssertEqual(written.alerts.map(\.article.key), arts.map(\.key))
        XCTAssertEqual(try store.undelivered(reporter: config.key), [])
        XCTAssertEqual(try store.deliveries(reporter: config.key).map(\.status), [.delivered, .delivered, .delivered])
        XCTAssertEqual(dispatcher.dispatch(run: run, isScan: false).map(\.delivered), [0], "never twice")
    }

    /// The scanning threads say which keys they did not find, and the commit inserts those
    /// without looking them up. A key they missed because an earlier batch of the run had
    /// not been committed yet is still recognised: unchanged, its alerts not raised twice;
    /// and with its text changed, updated; and encoded rows made ahead are the rows stored.
    func testAKeyTheScannerDidNotSeeButAnEarlierBatchAddedIsRecognised() throws {
        let store = try StateStore.open(path: TempDir().url("s.sqlite"))
        let a = Article(title: "Chip curbs", body: String(repeating: "Export controls on chips. ", count: 6), url: "https://x.example/1")
        func item(_ art: Article, _ alerts: [Alert]) -> ScannedArticle {
            var s = scanned(art, alerts: alerts)
            s.keySeen = false
            s.encoded = StoredAlert.encode(alerts)
            return s
        }
        let first = try store.commit(StoryBatch(articles: [item(a, [alert("r1", a)])], now: "2025-06-01T00:00:00Z"))
        XCTAssertEqual(first.raised.map(\.id), [Alert.id(rule: "r1", articleKey: a.key)])
        let again = try store.commit(StoryBatch(articles: [item(a, [alert("r1", a), alert("r2", a)])], now: "2025-06-01T00:00:01Z"))
        XCTAssertEqual(again.evaluated, 0, "unchanged: not evaluated again")
        XCTAssertEqual(again.raised, [])
        var changed = a
        changed.body += "Now with a licence requirement."
        let third = try store.commit(StoryBatch(articles: [item(changed, [alert("r1", changed), alert("r2", changed)])], now: "2025-06-01T00:00:02Z"))
        XCTAssertEqual(third.evaluated, 1)
        XCTAssertEqual(third.raised.map(\.rule.id), ["r2"], "r1 was raised for this story already")
        XCTAssertEqual(try store.count("articles"), 1)
        XCTAssertEqual(try store.alerts().map { ReportEncoder.compact($0) },
                       [alert("r1", a), alert("r2", changed)].map { ReportEncoder.compact($0) }, "rows made ahead read back as the alerts")
    }

    /// Several processes opening a new state at once (a first scan, and `policywatch alerts`
    /// or a test polling it) each migrate it: none fails, and the state is whole.
    func testANewStateOpenedByManyAtOnceOpensForAll() throws {
        for round in 0..<12 {
            let path = TempDir().url("s\(round).sqlite")
            let failures = ResultBox()
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do { _ = try StateStore.open(path: path) } catch { failures.add("\(error)") }
            }
            XCTAssertEqual(failures.all, [], "round \(round)")
            let store = try StateStore.open(path: path)
            XCTAssertTrue(try store.beginRun())
            try store.commit(StoryBatch(articles: [scanned(Article(title: "T", body: "b", url: "https://x.example/1"), alerts: [])],
                                        now: "2025-06-01T00:00:00Z"))
            try store.endRun()
            XCTAssertEqual(try store.count("articles"), 1)
        }
    }

    final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ s: String) { lock.withLock { items.append(s) } }
        var all: [String] { lock.withLock { items } }
    }

    /// A first run into an empty state (a bulk load, `beginRun`) builds its hash indexes only
    /// at its end and finds its own articles in memory meanwhile: it decides every article as
    /// a run with the indexes does. Keys seen again in one batch and in later ones, copies by
    /// content, a changed version, and a copy of that changed version.
    func testABulkLoadDecidesAsTheIndexesDo() throws {
        let body = String(repeating: "Export controls on chips were announced today. ", count: 4)
        let a = Article(title: "Story", body: body, url: "https://a.example/1")
        let copy = Article(title: "Story", body: body, url: "https://b.example/1")
        let b = Article(title: "Other", body: String(repeating: "Subsidies for new fabs were approved. ", count: 4), url: "https://c.example/1")
        var bChanged = b
        bChanged.body += " Now with a licence requirement."
        let bCopy = Article(title: bChanged.title, body: bChanged.body, url: "https://d.example/1")
        let short = Article(title: "Brief", body: "Tariffs up.", url: "https://e.example/1")
        let shortCopy = Article(title: "Brief", body: "Tariffs up.", url: "https://f.example/1")
        func item(_ art: Article, _ rules: [String]) -> ScannedArticle {
            var s = scanned(art, alerts: rules.map { alert($0, art) })
            s.keySeen = false  // what the scanning threads of a first run say
            s.encoded = StoredAlert.encode(s.alerts!)
            return s
        }
        let batches: [[ScannedArticle]] = [
            [item(a, ["r1"]), item(copy, ["r1", "r2"]), item(a, ["r1"]), item(short, ["r1"])],
            [item(b, ["r1"]), item(shortCopy, ["r1"]), item(copy, ["r2", "r3"])],
            [item(bChanged, ["r1", "r2"]), item(a, ["r4"])],
            [item(bCopy, ["r2", "r3"]), item(b, ["r1"])],
        ]
        func run(bulk: Bool) throws -> (commits: [String], alerts: [String], articles: [[String]], indexes: [String]) {
            let store = try StateStore.open(path: TempDir().url("s.sqlite"))
            XCTAssertEqual(try store.beginRun(), true, "a new state holds no article")
            var commits: [String] = []
            if !bulk { try store.endRun() }
            for (i, batch) in batches.enumerated() {
                let c = try store.commit(StoryBatch(articles: batch, now: "2025-06-0\(i + 1)T00:00:00Z"))
                commits.append("\(c.evaluated) " + zip(c.raised, c.stories).map { "\($0.rule.id)@\($1)<\($0.alsoSeen?.map(\.key) ?? [])>" }.joined(separator: " "))
            }
            let during = try store.writer.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name LIKE 'articles_%' ORDER BY name") }
            if bulk {
                XCTAssertEqual(during, [], "the hash indexes wait for the run's end")
                try store.endRun()
            }
            let indexes = try store.writer.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name LIKE 'articles_%' ORDER BY name") }
            let articles = try store.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT key, story, story_row, content_hash, key_hash, content_key FROM articles ORDER BY rowid").map { "\($0)" }
            }
            return (commits, try store.alerts().map { String(decoding: ReportEncoder.compact($0), as: UTF8.self) }, [articles], indexes)
        }
        let indexed = try run(bulk: false), bulk = try run(bulk: true)
        XCTAssertEqual(bulk.commits, indexed.commits)
        XCTAssertEqual(bulk.alerts, indexed.alerts)
        XCTAssertEqual(bulk.articles, indexed.articles)
        XCTAssertEqual(bulk.indexes, ["articles_content", "articles_key"], "built at the end")
        XCTAssertEqual(indexed.indexes, ["articles_content", "articles_key"])
        // What the cases exercise, so that the comparison means something: a copy by content
        // joins a's story (and a again is unchanged); a short text is not matched by content;
        // b changed raises only what b's story has not; a copy of b's new text joins b's story,
        // and b back to its first text is a change again.
        XCTAssertEqual(indexed.commits, [
            "3 r1@\(a.key)<[\"\(copy.key)\"]> r2@\(a.key)<[\"\(a.key)\"]> r1@\(short.key)<[]>",
            "2 r1@\(b.key)<[]> r1@\(shortCopy.key)<[]>",
            "1 r2@\(b.key)<[]>",
            "2 r3@\(b.key)<[\"\(b.key)\"]>",
        ])
    }

    /// A first run killed before its end leaves the hash indexes unbuilt: the next run builds
    /// them before anything else, and finds what the first one stored.
    func testAKilledBulkLoadIsRepairedByTheNextRun() throws {
        let path = TempDir().url("s.sqlite")
        let a = Article(title: "Story", body: String(repeating: "Export controls on chips. ", count: 6), url: "https://a.example/1")
        do {
            let store = try StateStore.open(path: path)
            XCTAssertTrue(try store.beginRun())
            try store.commit(StoryBatch(articles: [scanned(a, alerts: [alert("r1", a)])], now: "2025-06-01T00:00:00Z"))
        }
        let store = try StateStore.open(path: path)
        XCTAssertFalse(try store.beginRun(), "it holds the first run's article")
        let indexes = try store.writer.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name LIKE 'articles_%' ORDER BY name") }
        XCTAssertEqual(indexes, ["articles_content", "articles_key"])
        XCTAssertEqual(try store.knownContentHashes(keys: [a.key]).count, 1)
        let again = try store.commit(StoryBatch(articles: [scanned(a, alerts: [alert("r1", a)])], now: "2025-06-02T00:00:00Z"))
        XCTAssertEqual(again.evaluated, 0, "found, unchanged")
        XCTAssertEqual(again.raised, [])
        try store.endRun()
    }

    /// Articles are found by a 64-bit hash of their key and of their content (v7): two keys
    /// (or contents) with one hash stay apart, as the look-ups compare the text too. A
    /// collision is made by giving a stored article the hash of another key and content.
    func testArticlesWhoseHashesCollideStayApart() throws {
        let store = try StateStore.open(path: TempDir().url("s.sqlite"))
        let body = String(repeating: "Export controls on chips. ", count: 6)
        let a = Article(title: "Chip curbs", body: body, url: "https://x.example/a")
        let b = Article(title: "Other news", body: String(repeating: "Subsidies for fabs. ", count: 8), url: "https://x.example/b")
        try store.commit(StoryBatch(articles: [scanned(a, alerts: [alert("r1", a)])], now: "2025-06-01T00:00:00Z"))
        let bHash = scanned(b, alerts: nil).contentHash
        try store.writer.write { db in
            try db.execute(sql: "UPDATE articles SET key_hash = ?, content_key = ?", arguments: [ArticleKeys.key(b.key), ArticleKeys.content(bHash)])
        }
        // Not looked up by the scanning thread (`keySeen` nil): the commit looks b up by its
        // hash, finds a's row, and its key differs; nor is a's row b's twin (content differs).
        let first = try store.commit(StoryBatch(articles: [scanned(b, alerts: [alert("r1", b)])], now: "2025-06-02T00:00:00Z"))
        XCTAssertEqual(first.raised.map(\.id), [Alert.id(rule: "r1", articleKey: b.key)], "b is its own story, not a's")
        XCTAssertEqual(try store.count("articles"), 2)
        // Found again by hash and key: a's row, which has b's hashes, is not taken for it.
        let again = try store.commit(StoryBatch(articles: [scanned(b, alerts: [alert("r1", b)])], now: "2025-06-03T00:00:00Z"))
        XCTAssertEqual(again.evaluated, 0, "found again, unchanged")
        XCTAssertEqual(try store.count("articles"), 2)
        XCTAssertEqual(try store.knownContentHashes(keys: [b.key]), [b.key: bHash])
    }

    /// A story's sightings are one per place, URL and key, however often each is seen again
    /// (in one batch or later ones), and `also_seen` lists each once.
    func testASightingSeenAgainIsRecordedOnce() throws {
        let store = try StateStore.open(path: TempDir().url("s.sqlite"))
        let body = String(repeating: "Export controls on chips were announced today. ", count: 4)
        let a = Article(title: "Story", body: body, url: "https://a.example/1", path: "f1.jsonl")
        let b = Article(title: "Story", body: body, url: "https://b.example/1", path: "f2.jsonl")
        try store.commit(StoryBatch(articles: [scanned(a, alerts: [alert("r1", a)]), scanned(a, alerts: [alert("r1", a)])],
                                    now: "2025-06-01T00:00:00Z"))
        XCTAssertEqual(try store.count("sightings"), 1, "the same article twice in one batch")
        let later = try store.commit(StoryBatch(articles: [scanned(a, alerts: [alert("r1", a)]), scanned(b, alerts: [alert("r2", b)]),
                                                           scanned(b, alerts: [alert("r2", b)])], now: "2025-06-02T00:00:00Z"))
        XCTAssertEqual(try store.count("sightings"), 2)
        XCTAssertEqual(later.raised.map(\.rule.id), ["r2"])
        XCTAssertEqual(later.raised.first?.alsoSeen?.map(\.key), [a.key], "the copy's alert lists the first article once")
        XCTAssertEqual(try store.alerts(rule: "r1").first?.alsoSeen?.map(\.key), [b.key])
    }

    /// An alert's `first_seen` and `id` are cut out of its stored middle when `first_seen` is
    /// the group's time, and put back when it is read, even with entity kinds of those names
    /// and facets; one first seen at another time is stored as it is.
    func testFirstSeenAndIDAreCutOutAndPutBack() throws {
        let store = try StateStore.inMemory()
        let a = Article(title: "Cut", body: "b", url: "https://x.example/cut")
        var tricky = alert("r1", a, facets: true)
        tricky.entities = ["first_seen": ["2025-06-01T00:00:00Z"], "id": [tricky.id], "zz": ["\",\"id\":\""]]
        var other = alert("r2", a)
        other.firstSeen = "2024-01-01T00:00:00Z"
        let alerts = [tricky, other, alert("r3", a)]
        XCTAssertEqual(try store.commit(StoryBatch(articles: [scanned(a, alerts: alerts)], now: "2025-06-01T00:00:00Z")).raised.count, 3)
        XCTAssertEqual(try store.alerts().map { String(decoding: ReportEncoder.compact($0), as: UTF8.self) },
                       alerts.map { String(decoding: ReportEncoder.compact($0), as: UTF8.self) })
        let text = try groupLines(store, "SELECT alerts FROM alert_groups")
        let lines = try AlertGroup.lines(text)
        XCTAssertEqual(lines.map { $0.cut != nil }, [true, false, true], text)
        XCTAssertEqual(lines.map { $0.json.contains(#","first_seen":""#) }, [false, true, false], text)
    }
    /// A group of many alerts is stored compressed (a BLOB) and reads back byte for byte, by
    /// history, by the outbox and by the check of what a story has raised; a small group
    /// stays TEXT.
    func testLargeGroupsAreStoredCompressed() throws {
        let store = try StateStore.inMemory()
        let a = Article(title: "Many", body: "b", url: "https://x.example/many")
        let b = Article(title: "One", body: "b", url: "https://x.example/one")
        let many = (0..<40).map { alert("r\($0)", a, tags: ["t\($0 % 3)"], snippet: "…export controls on chips, rule \($0), were announced…") }
        let one = [alert("r0", b)]
        let reporter = ReporterConfig(type: "jsonl", target: "a.jsonl")
        XCTAssertEqual(try store.commit(StoryBatch(articles: [scanned(a, alerts: many), scanned(b, alerts: one)], reporters: [reporter],
                                                   now: "2025-06-01T00:00:00Z")).raised.count, 41)
        let kinds = try store.writer.read { try String.fetchAll($0, sql: "SELECT typeof(alerts) FROM alert_groups ORDER BY first_alert") }
        XCTAssertEqual(kinds, ["blob", "text"])
        let stored = try store.writer.read { try Int.fetchOne($0, sql: "SELECT length(alerts) FROM alert_groups ORDER BY first_alert LIMIT 1") ?? 0 }
        let plain = try groupLines(store, "SELECT alerts FROM alert_groups ORDER BY first_alert LIMIT 1").utf8.count
        XCTAssertLessThan(stored * 2, plain, "stored \(stored) bytes for \(plain)")
        let expected = (many + one).map { ReportEncoder.compact($0) }
        XCTAssertEqual(try store.alerts().map { ReportEncoder.compact($0) }, expected)
        XCTAssertEqual(try store.undelivered(reporter: reporter.key).map { ReportEncoder.compact($0) }, expected)
        XCTAssertEqual(try store.alerts(tags: ["t1"], rule: "r4").map(\.id), [many[4].id])
        // The story raised r0…r39: an update raises only the new rule.
        let again = StoryBatch(articles: [scanned(a, alerts: many + [alert("new", a)])], rescan: true, now: "2025-06-02T00:00:00Z")
        XCTAssertEqual(try store.commit(again).raised.map(\.rule.id), ["new"])
        // A reporter added later finds the compressed alerts by id.
        try store.enqueue(alertIDs: [many[7].id, one[0].id], reporter: "late", at: "2025-06-03T00:00:00Z")
        XCTAssertEqual(try store.undelivered(reporter: "late").map(\.id), [many[7].id, one[0].id])
    }

    /// Compressed lines decompress to themselves, whatever their size and content; short or
    /// incompressible lines are left as they are.
    func testAlertGroupTextRoundTrips() throws {
        var rng = SystemRandomNumberGenerator()
        var buffer: [UInt8] = []
        let words = ["export", "controls", "수출", "規制", "\\t", "\"", "chips", "…"]
        // One compressor for groups one after another, as a commit uses it: each block
        // stands alone (decoded without the ones before), as a one-shot call's does.
        let compressor = AlertGroupText.Compressor()
        let from = AlertGroupText.compressFrom
        for size in [0, 1, from - 1, from, from + 1, 6_000, 70_000, 300_000, 5_000, 4_500] {
            var text = ""
            while text.utf8.count < size { text += words.randomElement(using: &rng)! + " " }
            let bytes = Array(text.utf8)
            let oneShot = AlertGroupText.compress(bytes[...], into: &buffer) { LZ4_compress_default($0, $1, $2, $3) }.map(Array.init)
            guard let blob = compressor.compress(bytes[...]) else {
                XCTAssertNil(oneShot)
                XCTAssertLessThan(bytes.count, AlertGroupText.compressFrom, "repetitive text of \(bytes.count) bytes shrinks")
                continue
            }
            XCTAssertEqual(try oneShot.map { try AlertGroupText.lines(Data($0).databaseValue) }, text)
            XCTAssertGreaterThanOrEqual(bytes.count, AlertGroupText.compressFrom)
            XCTAssertEqual(try AlertGroupText.lines(Data(blob).databaseValue), text)
        }
        let noise = (0..<5_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        XCTAssertNil(compressor.compress(noise[...]), "random bytes do not shrink: stored as they are")
        XCTAssertEqual(try AlertGroupText.lines("plain".databaseValue), "plain")
    }

    /// A damaged BLOB (cut, a wrong length, an unknown format, noise) is an error naming the
    /// table, never a crash or a huge allocation.
    func testDamagedCompressedGroupsAreErrors() throws {
        let text = String(repeating: "7f3a\t12\t\"r1\"\t14\t,\"entities\":{},\"matches\":[]\n", count: 200)
        let blob = Array(try XCTUnwrap(AlertGroupText.Compressor().compress(Array(text.utf8)[...])))
        var damaged: [[UInt8]] = [
            Array(blob.prefix(blob.count / 2)),        // cut
            [2] + blob.dropFirst(),                    // unknown format
            [1, 0xFF, 0xFF, 0xFF, 0x7F] + blob.dropFirst(5),  // a length far beyond the block
            [1, 0, 0, 0, 0] + blob.dropFirst(5),       // no length
            Array(blob.prefix(5)),                     // no block
            [],
        ]
        var wrongLength = blob
        wrongLength[1] &+= 1
        damaged.append(wrongLength)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var b = blob
            for _ in 0..<4 { b[Int.random(in: 5..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            damaged.append(b)
        }
        for (i, d) in damaged.enumerated() {
            do {
                let read = try AlertGroupText.lines(Data(d).databaseValue)
                // Noise may decode to some text of the right length; never to more.
                XCTAssertGreaterThanOrEqual(i, 7, "case \(i) decoded")
                XCTAssertLessThanOrEqual(read.utf8.count, text.utf8.count * 3)
            } catch let e as DatabaseError {
                XCTAssertTrue(e.message?.contains("alert_groups") ?? false, "\(e)")
            }
        }
        XCTAssertThrowsError(try AlertGroupText.lines(DatabaseValue.null))
    }
}

import Foundation
import GRDB
@testable import PolicyWatch
import PolicyWatchTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The SQLite state: alerts once, story merging, the outbox, history, migrations, the lock.
final class StateTests: XCTestCase {
    func alert(_ rule: String, _ article: Article, tags: [String] = ["t"]) -> Alert {
        let json = """
            {"id": "\(Alert.id(rule: rule, articleKey: article.key))",
             "rule": {"id": "\(rule)", "title": "R", "severity": "high", "tags": \(tags), "file": "r.yaml"},
             "article": {"key": "\(article.key)", "title": "\(article.title)", "language": "en"
                         \(article.url.map { ", \"url\": \"\($0)\"" } ?? "")\(article.path.map { ", \"path\": \"\($0)\"" } ?? "")},
             "matches": [], "entities": {}, "first_seen": "2025-06-01T00:00:00Z"}
            """
        return try! JSONDecoder().decode(Alert.self, from: Data(json.utf8))
    }

    func scanned(_ a: Article, alerts: [Alert]?) -> StateStore.ScannedArticle {
        let (hash, letters) = ContentHash.story(title: a.title, body: a.body)
        return StateStore.ScannedArticle(article: a, contentHash: hash, letters: letters, alerts: alerts)
    }

    func testOpenCreatesWALDatabaseWithMigrations() throws {
        let dir = TempDir()
        let path = dir.url("deep/dir/state.sqlite")
        let store = try StateStore.open(path: path)
        XCTAssertEqual(try DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }, "wal")
        XCTAssertEqual(try store.count("alerts"), 0)
        XCTAssertThrowsError(try StateStore.open(path: dir.url("missing.sqlite"), create: false)) {
            XCTAssertTrue("\($0)".contains("no state file here"), "\($0)")
        }
    }

    func testEachAlertIsRaisedOnce() throws {
        let store = try StateStore.inMemory()
        let a = Article(title: "T", body: "B", url: "https://x.example/1", path: "feed")
        let first = try store.commitRaised(.init(articles: [scanned(a, alerts: [alert("r1", a), alert("r2", a)])], reporters: [ReporterConfig(type: "output")], now: "2025-06-01T00:00:00Z"))
        XCTAssertEqual(first.map(\.rule.id), ["r1", "r2"])
        let again = try store.commitRaised(.init(articles: [scanned(a, alerts: [alert("r1", a), alert("r2", a), alert("r3", a)])], reporters: [ReporterConfig(type: "output")], rescan: true, now: "2025-06-02T00:00:00Z"))
        XCTAssertEqual(again.map(\.rule.id), ["r3"], "only the rule that had not fired is new")
        XCTAssertEqual(try store.count("alerts"), 3)
        XCTAssertEqual(try store.count("deliveries"), 3)
    }

    func testCopiesOfAStoryMergeByURLAndByContent() throws {
        let store = try StateStore.inMemory()
        let body = String(repeating: "Washington announced new export controls on advanced chips. ", count: 3)
        let a = Article(title: "Chip curbs", body: body, url: "https://news.example/s1?utm_source=a", source: "Feed A", path: "https://a.example/feed")
        let b = Article(title: "Chip curbs", body: body, url: "https://news.example/s1?utm_source=b", source: "Feed B", path: "https://b.example/feed")
        let c = Article(title: "chip curbs!", body: body.uppercased(), url: "https://mirror.example/copy", source: "Mirror", path: "https://c.example/rss")
        let raised = try store.commitRaised(.init(articles: [scanned(a, alerts: [alert("r", a)]), scanned(b, alerts: [alert("r", b)]),
                                                       scanned(c, alerts: [alert("r", c)])],
                                            reporters: [ReporterConfig(type: "output")], now: "2025-06-01T00:00:00Z"))
        XCTAssertEqual(raised.count, 1)
        XCTAssertEqual(raised[0].id, Alert.id(rule: "r", articleKey: "https://news.example/s1"))
        let stored = try store.undelivered(reporter: "output")
        XCTAssertEqual(stored.count, 1)
        XCTAssertEqual(stored[0].alsoSeen?.map(\.source), ["Feed B", "Mirror"])
        XCTAssertEqual(stored[0].alsoSeen?.map(\.url), ["https://news.example/s1?utm_source=b", "https://mirror.example/copy"])
        XCTAssertEqual(stored[0].alsoSeen?.map(\.key), ["https://news.example/s1", "https://mirror.example/copy"])

        // Short texts never merge by content alone.
        let d = Article(title: "Read more", body: "Click here", url: "https://a.example/1")
        let e = Article(title: "Read more", body: "Click here", url: "https://b.example/2")
        let short = try store.commitRaised(.init(articles: [scanned(d, alerts: [alert("r", d)]), scanned(e, alerts: [alert("r", e)])], now: "2025-06-01T00:00:00Z"))
        XCTAssertEqual(short.count, 2)
    }

    func testOutboxDeliveries() throws {
        let store = try StateStore.inMemory()
        let a = Article(title: "T", body: "B", url: "https://x.example/1")
        let b = Article(title: "U", body: "C", url: "https://x.example/2")
        try store.commitRaised(.init(articles: [scanned(a, alerts: [alert("r", a)]), scanned(b, alerts: [alert("r", b)])],
                               reporters: [ReporterConfig(type: "json"), ReporterConfig(type: "slack")], now: "2025-06-01T00:00:00Z"))
        let ids = try store.undelivered(reporter: "json").map(\.id)
        XCTAssertEqual(ids.count, 2)
        try store.markDelivered(alertIDs: ids, reporter: "json", at: "2025-06-01T00:01:00Z")
        try store.markFailed(alertIDs: [ids[0]], reporter: "slack", error: "HTTP 500", at: "2025-06-01T00:01:00Z")
        XCTAssertEqual(try store.undelivered(reporter: "json").count, 0)
        XCTAssertEqual(try store.undelivered(reporter: "slack").map(\.id), ids, "failed ones are retried")
        let failed = try store.deliveries(alertID: ids[0], reporter: "slack")
        XCTAssertEqual(failed.map(\.status), [.failed])
        XCTAssertEqual(failed.map(\.attempts), [1])
        XCTAssertEqual(failed.map(\.lastError), ["HTTP 500"])
        // A reporter added later gets what it is given.
        try store.enqueue(alertIDs: [ids[1], "no-such-alert"], reporter: "digest", at: "2025-06-02T00:00:00Z")
        XCTAssertEqual(try store.undelivered(reporter: "digest").map(\.id), [ids[1]])
    }

    func testHistoryFilters() throws {
        let store = try StateStore.inMemory()
        let a = Article(title: "T", body: "B", url: "https://x.example/1")
        let b = Article(title: "U", body: "C", url: "https://x.example/2")
        try store.commitRaised(.init(articles: [scanned(a, alerts: [alert("old", a, tags: ["export-control", "chips"])])], now: "2025-01-01T00:00:00Z"))
        try store.commitRaised(.init(articles: [scanned(b, alerts: [alert("new", b, tags: ["export-control"]), alert("other", b, tags: ["talks"])])],
                               now: "2025-06-01T00:00:00Z"))
        XCTAssertEqual(try store.alerts().map(\.rule.id), ["old", "new", "other"])
        XCTAssertEqual(try store.alerts(since: "2025-03-01T00:00:00Z").map(\.rule.id), ["new", "other"])
        XCTAssertEqual(try store.alerts(tags: ["export-control"]).map(\.rule.id), ["old", "new"])
        XCTAssertEqual(try store.alerts(tags: ["export-control", "chips"]).map(\.rule.id), ["old"])
        XCTAssertEqual(try store.alerts(rule: "other").map(\.rule.id), ["other"])
        // A run whose clock went back: its alerts come after in the table, not in time.
        let c = Article(title: "V", body: "D", url: "https://x.example/3")
        try store.commitRaised(.init(articles: [scanned(c, alerts: [alert("late", c)])], now: "2025-02-01T00:00:00Z"))
        XCTAssertEqual(try store.alerts(since: "2025-03-01T00:00:00Z").map(\.rule.id), ["new", "other"])
        XCTAssertEqual(try store.alerts(since: "2025-01-15T00:00:00Z").map(\.rule.id), ["new", "other", "late"])
        XCTAssertEqual(try store.alerts(since: "2025-06-01T00:00:00Z").map(\.rule.id), ["new", "other"], "at the very time")
        XCTAssertEqual(try store.alerts(since: "2026-01-01T00:00:00Z").map(\.rule.id), [])
    }

    /// v3 drops the unused alerts-by-story index (one random insert less per alert); a state
    /// written before v3 migrates in place.
    func testV3MigrationDropsStoryIndex() throws {
        let dir = TempDir()
        let path = dir.url("s.sqlite")
        let indexCount = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'alerts_story'"
        // A state as v2 left it.
        let db = try DatabaseQueue(path: path)
        try StateStore.migrator.migrate(db, upTo: "v2")
        XCTAssertEqual(try db.read { try Int.fetchOne($0, sql: indexCount) }, 1)
        try db.close()
        let store = try StateStore.open(path: path)
        XCTAssertEqual(try store.count("alerts"), 0)
        XCTAssertEqual(try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: indexCount) }, 0)
    }

    func testNewerStateIsRefusedAndDamagedStateIsExplained() throws {
        let dir = TempDir()
        let path = dir.url("s.sqlite")
        _ = try StateStore.open(path: path)
        try DatabaseQueue(path: path).write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
        XCTAssertThrowsError(try StateStore.open(path: dir.url("s.sqlite"))) {
            XCTAssertTrue("\($0)".contains("the state was written by a newer policywatch"), "\($0)")
        }
        let junk = dir.write("junk.sqlite", String(repeating: "not a database ", count: 400))
        XCTAssertThrowsError(try StateStore.open(path: junk)) {
            XCTAssertTrue("\($0)".contains("cannot open the state"), "\($0)")
            XCTAssertTrue("\($0)".contains("move it away"), "\($0)")
        }
    }

    func testLockIsExclusiveAndCanBeWaitedFor() throws {
        let dir = TempDir()
        let state = dir.url("s.sqlite")
        var first: StateLock? = try StateLock.acquire(statePath: state)
        XCTAssertThrowsError(try StateLock.acquire(statePath: state)) { error in
            guard let busy = error as? StateLock.Busy else { return XCTFail("\(error)") }
            XCTAssertEqual(busy.holder, getpid())
            XCTAssertTrue(busy.description.contains("another policywatch run (pid \(getpid())) is using this state"), busy.description)
            XCTAssertTrue(busy.description.contains("--wait"), busy.description)
        }
        // flock locks belong to open file descriptions, so a second open in this process conflicts
        // like another process would; release the first after a moment and wait for it.
        let released = expectation(description: "released")
        let box = LockBox(first!)
        first = nil
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) {
            box.release()
            released.fulfill()
        }
        let start = Date()
        let second = try StateLock.acquire(statePath: state, wait: 10)
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.2)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        wait(for: [released], timeout: 5)
        XCTAssertThrowsError(try StateLock.acquire(statePath: state, wait: 0.2)) {
            XCTAssertTrue("\($0)".contains("still held after waiting"), "\($0)")
        }
        _ = second
    }
}

/// Holds a lock until released from another thread.
final class LockBox: @unchecked Sendable {
    private var lock: StateLock?
    private let mutex = NSLock()
    init(_ lock: StateLock) { self.lock = lock }
    func release() { mutex.withLock { lock = nil } }
}

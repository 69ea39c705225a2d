import Foundation
import PolicyWatch
import PolicyWatchTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Several real `policywatch scan` processes sharing one PostgreSQL state (issue 12): sources
/// leased, alerts decided by constraints, outbox rows claimed. Each test makes its own
/// databases (random names), so tests never see each other's rows.
///
/// The server comes from `scripts/test-postgres` (which `.ci/run` uses): it exports
/// POLICYWATCH_TEST_POSTGRES, and POLICYWATCH_TEST_POSTGRES_RESTART, a command that restarts
/// the server. Without them these tests skip, except under CI, where they fail.
final class PostgresStateTests: XCTestCase {
    var dir: TempDir!
    var server: LoopbackHTTPServer!
    var databases: [String] = []

    override func setUp() {
        dir = TempDir("policywatch-pg")
        dir.write("rules/pack.yaml", Samples.rules)
    }

    override func tearDown() {
        server?.stop()
        if let admin = ProcessInfo.processInfo.environment["POLICYWATCH_TEST_POSTGRES"] {
            for db in databases { _ = try? psql(admin, "DROP DATABASE IF EXISTS \(db) WITH (FORCE)") }
        }
        dir = nil
    }

    // MARK: Server and databases

    /// A new empty database's URL.
    func freshDatabase() throws -> String {
        guard let admin = ProcessInfo.processInfo.environment["POLICYWATCH_TEST_POSTGRES"] else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                XCTFail("POLICYWATCH_TEST_POSTGRES is not set under CI: run the tests through scripts/test-postgres")
                throw XCTSkip("no server")  // stops the test; the failure above is what CI sees
            }
            throw XCTSkip("no PostgreSQL: run through scripts/test-postgres to include these tests")
        }
        let name = "pw_test_\(UInt32.random(in: 0...UInt32.max))_\(getpid())"
        try psql(admin, "CREATE DATABASE \(name)")
        databases.append(name)
        guard let slash = admin.lastIndex(of: "/") else { throw XCTSkip("bad POLICYWATCH_TEST_POSTGRES") }
        return String(admin[...slash]) + name
    }

    @discardableResult
    func psql(_ url: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-tAq", "-c", sql]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "psql", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: String(decoding: errors, as: UTF8.self)])
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func restartServer() throws {
        let env = ProcessInfo.processInfo.environment
        if let restart = env["POLICYWATCH_TEST_POSTGRES_RESTART"] {
            // system(3), not Process: Foundation may reap this child while the scanners run
            // and never report its end.
            let status = system(restart + " </dev/null")
            XCTAssertTrue(status == 0 || status == -1, "restarting PostgreSQL failed (\(status))")
        } else {
            // Run without scripts/test-postgres: cut every other connection, as a restart does.
            try psql(env["POLICYWATCH_TEST_POSTGRES"]!, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname LIKE 'pw_test_%'")
        }
    }

    // MARK: Inputs

    static let filler = "The ministry said on Monday that it would review trade policy and supply chain resilience with partners in the region while markets waited for details. "

    /// Article `j` of source `f`: about half alert. The last article of each source is a copy
    /// of the first article of the next source (another id and URL, the same text), so two
    /// scanners may read one story at the same moment.
    static func article(_ f: Int, _ j: Int, count: Int) -> (id: String, title: String, body: String, url: String) {
        if j == count - 1 {
            let original = article((f + 1) % 30, 0, count: count)
            return ("copy-\(f)", original.title, original.body, "https://mirror.example/\(f)")
        }
        var body = String(repeating: filler, count: 3) + " Story \(f)-\(j)."
        if j % 2 == 0 { body += " Officials announced export controls on advanced chips." }
        if j % 3 == 0 { body += " The allies agreed a joint roadmap." }
        return ("s\(f)-\(j)", "Source \(f) story \(j)", body, "https://news.example/\(f)/\(j)")
    }

    /// 30 JSON Lines sources of `count` articles; returns their paths (relative).
    func writeFileSources(count: Int = 8) -> [String] {
        (0..<30).map { f in
            var text = ""
            for j in 0..<count {
                let a = Self.article(f, j, count: count)
                let obj = ["id": a.id, "title": a.title, "body": a.body, "url": a.url]
                text += String(decoding: try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self) + "\n"
            }
            let rel = "src/\(String(format: "%02d", f)).jsonl"
            dir.write(rel, text)
            return rel
        }
    }

    /// 30 RSS feeds on the loopback server, each answering after `delay` seconds.
    func serveFeeds(delay: TimeInterval, count: Int = 6) -> [String] {
        (0..<30).map { f in
            var items = ""
            for j in 0..<count {
                let a = Self.article(f, j, count: count)
                items += "<item><title>\(a.title)</title><link>\(a.url)</link><guid>\(a.id)</guid><description>\(a.body)</description></item>"
            }
            let rss = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed \(f)</title>\(items)</channel></rss>"
            var r = LoopbackHTTPServer.Resource(rss)
            r.delay = delay
            server.set("/feed/\(f).xml", r)
            return server.url("/feed/\(f).xml")
        }
    }

    func scanArgs(_ url: String, _ sources: [String], lease: Double = 30, extra: [String] = []) -> [String] {
        ["scan", "--no-default-rules", "--rules", "rules", "--state", url, "--lease", String(lease), "--quiet",
         "--reporter", "webhook[retries=0,timeout=5]=\(server.url("/hook"))"] + extra + sources
    }

    func alerts(_ url: String, file: StaticString = #filePath, line: UInt = #line) throws -> [Alert] {
        let r = Binary.run(["alerts", "--state", url, "--json"], cwd: dir.path)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        return try JSONDecoder().decode([Alert].self, from: Data(r.stdout.utf8))
    }

    func alertIDs(_ url: String) throws -> [String] { try alerts(url).map(\.id) }

    /// An alert told apart without its id: the rule and every copy of its story. (The id
    /// names the story by the key of its first copy committed, which depends on which
    /// scanner got there first.)
    func stories(_ url: String) throws -> [String] {
        try alerts(url).map { a in
            a.rule.id + " " + ([a.article.key] + (a.alsoSeen ?? []).map(\.key)).sorted().joined(separator: ",")
        }
    }

    /// Alert ids the webhook acknowledged (2xx), one per delivery.
    func acknowledged() -> [String] {
        server.requests(to: "/hook").filter { (200..<300).contains($0.status) }.compactMap { $0.headers["idempotency-key"] }
    }

    /// The alerts (as `stories`) one scanner alone raises over `sources`, in a database of its own.
    func reference(_ sources: [String]) throws -> Set<String> {
        let url = try freshDatabase()
        let r = Binary.run(scanArgs(url, sources, extra: ["--no-config"]).filter { !$0.hasPrefix("webhook") && $0 != "--reporter" }
                           + ["--output", "ref.json"], cwd: dir.path)
        XCTAssertEqual(r.status, 0, r.stderr)
        let found = try stories(url)
        XCTAssertEqual(Set(found).count, found.count)
        XCTAssertGreaterThan(found.count, 30)
        return Set(found)
    }

    /// Same elements, with a short message when not.
    func assertSame(_ a: Set<String>, _ b: Set<String>, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(a == b, "\(what): \(a.subtracting(b).count) extra, \(b.subtracting(a).count) missing, e.g. \(Array(a.symmetricDifference(b).prefix(3)))",
                      file: file, line: line)
    }

    func startScanners(_ n: Int, _ args: [String]) throws -> [(Process, FileIO)] {
        try (0..<n).map { _ in try Binary.start(args, cwd: dir.path) }
    }

    // MARK: Tests

    func testThreeScannersShareThirtySourcesWithoutDuplicatesOrLosses() throws {
        server = try LoopbackHTTPServer()
        server.set("/hook", .init(status: 200, body: Data("ok".utf8), contentType: "text/plain"))
        let sources = writeFileSources()
        let expected = try reference(sources)
        let url = try freshDatabase()

        let scanners = try startScanners(3, scanArgs(url, sources))
        for (p, io) in scanners {
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, io.readErr())
        }
        let found = try stories(url)
        XCTAssertEqual(found.count, expected.count, "duplicate or lost alerts")
        assertSame(Set(found), expected, "alerts against one scanner's")
        let ids = try alertIDs(url)
        let delivered = acknowledged()
        XCTAssertEqual(delivered.count, ids.count, "each alert delivered once")
        assertSame(Set(delivered), Set(ids), "delivered")
        // Every source finished in this round, and none is still leased.
        XCTAssertEqual(try psql(url, "SELECT COUNT(*) FROM sources WHERE done_round < (SELECT round FROM scan_round) OR leased_by IS NOT NULL"), "0")
        XCTAssertEqual(try psql(url, "SELECT COUNT(*) FROM sources"), "30")

        // A second round over unchanged sources raises and delivers nothing new.
        let again = Binary.run(scanArgs(url, sources), cwd: dir.path)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(acknowledged().count, expected.count)
        XCTAssertEqual(try psql(url, "SELECT round FROM scan_round"), "2")
    }

    func testAKilledScannersSourcesAreFinishedByTheOthersAfterItsLease() throws {
        server = try LoopbackHTTPServer()
        server.set("/hook", .init(status: 200, body: Data("ok".utf8), contentType: "text/plain"))
        let feeds = serveFeeds(delay: 0.4)
        let expected = try reference(feeds)
        let url = try freshDatabase()

        let lease = 3.0
        let scanners = try startScanners(3, scanArgs(url, feeds, lease: lease))
        let victim = scanners[0].0
        // Kill it once it holds a lease, mid-run.
        let deadline = Date().addingTimeInterval(20)
        var held = "0"
        while Date() < deadline {
            // (Fails until a scanner has created the tables.)
            held = (try? psql(url, "SELECT COUNT(*) FROM sources WHERE leased_by LIKE '%:\(victim.processIdentifier):%' AND done_round < (SELECT round FROM scan_round)")) ?? "0"
            if held != "0" { break }
            usleep(20_000)
        }
        XCTAssertNotEqual(held, "0", "the scanner never held a source")
        kill(victim.processIdentifier, SIGKILL)
        let killedAt = Date()
        victim.waitUntilExit()
        XCTAssertEqual(victim.terminationReason, .uncaughtSignal)
        for (p, io) in scanners.dropFirst() {
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, io.readErr())
        }
        // The survivors waited for the lease to run out, then read the dead one's sources.
        XCTAssertGreaterThan(Date().timeIntervalSince(killedAt), lease - 1)
        XCTAssertEqual(try psql(url, "SELECT COUNT(*) FROM sources WHERE done_round < (SELECT round FROM scan_round)"), "0")
        let found = try stories(url)
        XCTAssertEqual(found.count, expected.count)
        assertSame(Set(found), expected, "alerts against one scanner's")
        // Nothing lost on the webhook; a repeat only for an alert sent just before the kill.
        let ids = try alertIDs(url)
        let delivered = acknowledged()
        assertSame(Set(delivered), Set(ids), "delivered")
        XCTAssertLessThanOrEqual(delivered.count, ids.count + 1)
    }

    func testPostgresRestartedMidRunScannersExitClearlyAndARerunLosesAndRepeatsNothing() throws {
        server = try LoopbackHTTPServer()
        server.set("/hook", .init(status: 200, body: Data("ok".utf8), contentType: "text/plain"))
        let feeds = serveFeeds(delay: 0.5)
        let expected = try reference(feeds)
        let url = try freshDatabase()

        let scanners = try startScanners(2, scanArgs(url, feeds, lease: 2))
        // Restart once the scanners have committed something.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try? psql(url, "SELECT COUNT(*) FROM sources WHERE done_round > 0")) ?? "0" == "0" { usleep(20_000) }
        let committedBefore = Int(try psql(url, "SELECT COUNT(*) FROM alerts")) ?? 0
        try restartServer()
        for (p, io) in scanners {
            p.waitUntilExit()
            let err = io.readErr()
            XCTAssertEqual(p.terminationStatus, 74, "a scanner must stop on the lost server: \(err)")
            XCTAssertTrue(err.contains("PostgreSQL"), err)
            XCTAssertTrue(err.contains("postgres://"), err)
        }
        let ids = try alertIDs(url)
        XCTAssertGreaterThanOrEqual(ids.count, committedBefore)
        XCTAssertLessThan(ids.count, expected.count, "the restart came too late to test anything")

        // The rerun waits out the dead leases, finishes the round, and raises only the rest.
        let rerun = Binary.run(scanArgs(url, feeds, lease: 2), cwd: dir.path)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        let after = try alertIDs(url)
        XCTAssertEqual(after.count, expected.count)
        assertSame(Set(try stories(url)), expected, "alerts against one scanner's")
        XCTAssertEqual(Array(after.prefix(ids.count)), ids, "alerts raised before the restart are kept as they were")
        let delivered = acknowledged()
        assertSame(Set(delivered), Set(after), "every alert delivered")
        // At most the one alert each scanner had in flight when the server went away is sent twice.
        XCTAssertLessThanOrEqual(delivered.count, after.count + 2)
    }

    func testAWebhookDownWhileTwoScannersRunGetsEachAlertOnceWhenItReturns() throws {
        server = try LoopbackHTTPServer()
        server.set("/hook", .init(status: 503, body: Data("down".utf8), contentType: "text/plain"))
        let sources = writeFileSources()
        let expected = try reference(sources)
        let url = try freshDatabase()

        let scanners = try startScanners(2, scanArgs(url, sources))
        for (p, io) in scanners {
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 3, "a failed delivery is a partial run: \(io.readErr())")
        }
        XCTAssertEqual(acknowledged(), [])
        XCTAssertEqual(try psql(url, "SELECT COUNT(*) FROM deliveries WHERE status <> 'delivered'"), String(expected.count))

        // Back up: two deliverers at once send each alert exactly once between them.
        server.set("/hook", .init(status: 200, body: Data("ok".utf8), contentType: "text/plain"))
        let deliver = ["deliver", "--state", url, "--reporter", "webhook[retries=0,timeout=5]=\(server.url("/hook"))"]
        let deliverers = try startScanners(2, deliver)
        for (p, io) in deliverers {
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 0, io.readErr())
        }
        let ids = try alertIDs(url)
        assertSame(Set(try stories(url)), expected, "alerts against one scanner's")
        let delivered = acknowledged()
        XCTAssertEqual(delivered.count, ids.count, "each alert exactly once")
        assertSame(Set(delivered), Set(ids), "delivered")
        XCTAssertEqual(try psql(url, "SELECT COUNT(*) FROM deliveries WHERE status <> 'delivered'"), "0")
    }

    func testSchemaFromANewerVersionAndBadURLsAreRefusedClearlyWithoutThePassword() throws {
        let url = try freshDatabase()
        let first = Binary.run(["alerts", "--state", url], cwd: dir.path)
        XCTAssertEqual(first.status, 0, first.stderr)
        try psql(url, "INSERT INTO policywatch_schema (version) VALUES (99)")
        let newer = Binary.run(["alerts", "--state", url], cwd: dir.path)
        XCTAssertEqual(newer.status, 74)
        XCTAssertTrue(newer.stderr.contains("newer policywatch"), newer.stderr)

        // A password in the URL is never printed, whatever goes wrong.
        var withPassword = URLComponents(string: url)!
        withPassword.password = "s3cret-pw"
        withPassword.port = 1  // nothing listens there
        let refused = Binary.run(["alerts", "--state", withPassword.string!], cwd: dir.path)
        XCTAssertEqual(refused.status, 74)
        XCTAssertTrue(refused.stderr.contains("cannot connect to PostgreSQL"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("s3cret-pw"), refused.stderr)

        let unset = Binary.run(["alerts", "--state", "postgres://u:${PW_TEST_UNSET_PASSWORD}@127.0.0.1:1/db"], cwd: dir.path)
        XCTAssertEqual(unset.status, 74)
        XCTAssertTrue(unset.stderr.contains("PW_TEST_UNSET_PASSWORD is not set"), unset.stderr)
    }

    /// Version 2 stores an alert's article and rule objects once (`alert_articles`,
    /// `alert_rules`) and splices them back: alerts read back are the bytes of
    /// `ReportEncoder.compact`; a database of version 1 migrates and its whole-JSON rows still read.
    func testAlertsStoredInPartsReadBackByteForByteAndVersion1RowsStillRead() throws {
        let url = try freshDatabase()
        func alert(_ rule: String, key: String, title: String) throws -> Alert {
            let json = """
                {"id": "\(Alert.id(rule: rule, articleKey: key))",
                 "rule": {"id": "\(rule)", "title": "R ,\\"rule\\":{", "severity": "high", "tags": ["t"], "file": "r.yaml"},
                 "article": {"key": "\(key)", "title": "\(title)", "language": "en", "url": "\(key)"},
                 "matches": [{"term": "t", "field": "body", "start": 1, "end": 2, "text": "x", "snippet": "…,\\"rule\\":{…"}],
                 "entities": {"country": ["US"]}, "first_seen": "2025-06-01T00:00:00Z"}
                """
            return try JSONDecoder().decode(Alert.self, from: Data(json.utf8))
        }
        // A version-1 database holding one alert in whole JSON.
        _ = try PostgresState.open(url: url, context: RunContext(clock: { Date(timeIntervalSince1970: 1_750_000_000) }, workingDirectory: "/"), lease: 60)
        try psql(url, """
            DROP TABLE alert_articles; DROP TABLE alert_rules; ALTER TABLE alerts DROP COLUMN article_part, DROP COLUMN rule_part;
            DELETE FROM policywatch_schema WHERE version = 2
            """)
        let old = try alert("r0", key: "https://x.example/0", title: "Old")
        let oldJSON = String(decoding: ReportEncoder.compact(old), as: UTF8.self).replacingOccurrences(of: "'", with: "''")
        try psql(url, """
            INSERT INTO alerts (id, rule, story, article_key, severity, raised, json)
            VALUES ('\(old.id)', 'r0', 'https://x.example/0', 'https://x.example/0', 'high', '2025-05-01T00:00:00Z', '\(oldJSON)')
            """)

        let state = try PostgresState.open(url: url, context: RunContext(clock: { Date(timeIntervalSince1970: 1_750_000_000) }, workingDirectory: "/"), lease: 60)
        let a = Article(title: "New", body: "b", url: "https://x.example/1")
        let new = [try alert("r1", key: a.key, title: "New"), try alert("r2", key: a.key, title: "New")]
        let (hash, letters) = ContentHash.story(title: a.title, body: a.body)
        let raised = try state.commit(StoryBatch(articles: [ScannedArticle(article: a, contentHash: hash, letters: letters, alerts: new)],
                                                 now: "2025-06-01T00:00:00Z")).raised
        XCTAssertEqual(raised.count, 2)
        XCTAssertEqual(try state.alerts(since: nil, tags: [], rule: nil).map { ReportEncoder.compact($0) },
                       ([old] + new).map { ReportEncoder.compact($0) })
        XCTAssertEqual(try state.count("alert_articles"), 1)
        XCTAssertEqual(try state.count("alert_rules"), 2)
        XCTAssertEqual(try psql(url, "SELECT count(*) FROM alerts WHERE rule_part IS NULL"), "1", "the old row stays whole")
    }
}

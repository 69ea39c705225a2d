import Foundation
import PolicyWatch
import PolicyWatchTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The real `policywatch` process run as cron would: repeated runs, feeds over loopback,
/// duplicates, SIGKILL mid-scan, overlapping runs, garbage, config, init, alerts (issue 5).
final class CronTests: XCTestCase {
    var dir: TempDir!

    override func setUp() {
        dir = TempDir("policywatch-cli")
        dir.write("rules/pack.yaml", Samples.rules)
    }

    // XCTest keeps every test case object until the end: the directory goes now.
    override func tearDown() { dir = nil }

    func scan(_ args: [String], stdin: String? = nil) -> Binary.Result {
        Binary.run(["scan", "--no-default-rules", "--rules", "rules"] + args, cwd: dir.path, stdin: stdin)
    }

    func report(_ rel: String, file: StaticString = #filePath, line: UInt = #line) throws -> Report {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: dir.url(rel)), "no report at \(rel)", file: file, line: line)
        return try JSONDecoder().decode(Report.self, from: data)
    }

    func writeNews() {
        dir.write("news/chips.txt", "\(Samples.chipsStory.title)\n\(Samples.chipsStory.body)\n")
        dir.write("news/roadmap.md", "# \(Samples.roadmapStory.title)\n\n\(Samples.roadmapStory.body)\n")
        dir.write("news/quiet.txt", "\(Samples.quietStory.title)\n\(Samples.quietStory.body)\n")
    }

    /// `n` articles in JSON Lines files of 100, about a third of them alerting.
    func writeCorpus(_ n: Int, into rel: String = "corpus") {
        let filler = "The ministry said on Monday that it would review trade policy and supply chain resilience with partners in the region while markets waited for details. "
        var file = ""
        for i in 0..<n {
            var body = String(repeating: filler, count: 12)
            if i % 3 == 0 { body += " Officials announced export controls on advanced chips." }
            if i % 7 == 0 { body += " The allies agreed a joint roadmap." }
            let obj: [String: String] = ["id": "a\(i)", "title": "Article \(i)", "body": body, "url": "https://news.example/\(i)?utm_source=gen"]
            file += String(decoding: try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self) + "\n"
            if i % 100 == 99 || i == n - 1 {
                dir.write("\(rel)/part\(String(format: "%03d", i / 100)).jsonl", file)
                file = ""
            }
        }
    }

    // MARK: Repeated runs

    func testTwoRunsOverTheSameInputsTheSecondRaisesNothing() throws {
        writeNews()
        let first = scan(["--state", "state/pw.sqlite", "-o", "out/1.json", "news"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(try report("out/1.json").alerts.count, 2)
        XCTAssertTrue(first.stderr.contains("2 new alerts in 3 articles"), first.stderr)

        let second = scan(["--state", "state/pw.sqlite", "-o", "out/2.json", "news"])
        XCTAssertEqual(second.status, 0, second.stderr)
        let r2 = try report("out/2.json")
        XCTAssertEqual(r2.alerts.count, 0)
        XCTAssertEqual(r2.run.articles, 0)
        XCTAssertTrue(second.stderr.contains("unchanged: 3 files"), second.stderr)

        // A changed file is scanned again.
        dir.write("news/quiet.txt", "Weather\nRain, then a joint roadmap for chips was signed.\n")
        let third = scan(["--state", "state/pw.sqlite", "-o", "out/3.json", "news"])
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertEqual(try report("out/3.json").alerts.map(\.rule.id), ["roadmap.joint"])

        // Without state every run reports everything (stdout).
        let stateless = scan(["news"])
        XCTAssertEqual(try JSONDecoder().decode(Report.self, from: Data(stateless.stdout.utf8)).alerts.count, 3)
    }

    // MARK: Feeds over loopback

    func testFeedFetchedThenNotModifiedAndSameStoryInTwoFeedsAlertsOnce() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        server.set("/a.xml", .init(Samples.rss(title: "Feed A", query: "?utm_source=a", items: [Samples.chipsStory, Samples.quietStory]), etag: "\"a1\""))
        server.set("/b.xml", .init(Samples.rss(title: "Feed B", query: "?utm_source=b#top", items: [Samples.chipsStory, Samples.roadmapStory]),
                                   lastModified: "Tue, 10 Jun 2025 04:00:00 GMT"))
        let feeds = [server.url("/a.xml"), server.url("/b.xml")]

        let first = scan(["--state", "s.sqlite", "-o", "r1.json"] + feeds)
        XCTAssertEqual(first.status, 0, first.stderr)
        let r1 = try report("r1.json")
        XCTAssertEqual(r1.alerts.map(\.rule.id), ["export-control.chips", "roadmap.joint"], "the chips story is in both feeds: one alert")
        let chips = r1.alerts[0]
        XCTAssertEqual(chips.article.source, "Feed A")
        XCTAssertEqual(chips.article.key, "https://news.example/story-chips")
        XCTAssertEqual(chips.alsoSeen?.map(\.source), ["Feed B"])
        XCTAssertEqual(chips.alsoSeen?.map(\.url), ["https://news.example/story-chips?utm_source=b#top"])

        let second = scan(["--state", "s.sqlite", "-o", "r2.json"] + feeds)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(try report("r2.json").alerts.count, 0)
        XCTAssertTrue(second.stderr.contains("2 feeds"), second.stderr)
        XCTAssertEqual(server.requests(to: "/a.xml").map(\.status), [200, 304])
        XCTAssertEqual(server.requests(to: "/b.xml").map(\.status), [200, 304])
        XCTAssertEqual(server.requests(to: "/a.xml").last?.headers["if-none-match"], "\"a1\"")
        XCTAssertEqual(server.requests(to: "/b.xml").last?.headers["if-modified-since"], "Tue, 10 Jun 2025 04:00:00 GMT")
    }

    // MARK: Crash safety

    /// SIGKILL a real scan of 10,000 articles three times, at different points, then let it
    /// finish: together the runs report exactly the alerts of one clean run, each once. (The
    /// corpus is large enough that a run is still going when the test's poll sees progress.)
    func testKilledRunsLoseNothingAndDuplicateNothing() throws {
        let total = 10_000
        writeCorpus(total)
        let clean = scan(["--state", "clean/s.sqlite", "-o", "clean.json", "corpus"])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        let expected = try report("clean.json").alerts
        XCTAssertEqual(expected.count, 3334 + 1429, "a third alert on chips, a seventh on the roadmap")

        var reported: [Alert] = []
        var killedAt: [Int] = []
        var lastSeen = 0
        for attempt in 0..<3 {
            let (process, io) = try Binary.start(["scan", "--no-default-rules", "--rules", "rules", "--state", "killed/s.sqlite",
                                                 "-o", "killed-\(attempt).json", "corpus"], cwd: dir.path)
            // Kill once this run has committed something new (the first time, as soon as the state exists).
            let target = attempt == 0 ? 0 : lastSeen + 750
            let deadline = Date().addingTimeInterval(120)
            var progress = -1
            while process.isRunning && Date() < deadline {
                if let n = try? articleCount(dir.url("killed/s.sqlite")), n >= target, attempt > 0 || FileManager.default.fileExists(atPath: dir.url("killed/s.sqlite")) {
                    progress = n
                    break
                }
                usleep(5_000)
            }
            XCTAssertTrue(process.isRunning, "the scan finished before it could be killed (attempt \(attempt))")
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal,
                           "attempt \(attempt) ended by itself, status \(process.terminationStatus): \((try? String(contentsOfFile: io.errPath, encoding: .utf8)) ?? "")")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.url("killed-\(attempt).json")), "killed before its report")
            lastSeen = max(lastSeen, (try? articleCount(dir.url("killed/s.sqlite"))) ?? 0)
            killedAt.append(progress)
        }
        XCTAssertLessThan(lastSeen, total, "killed mid-scan: \(killedAt)")
        let resumed = scan(["--state", "killed/s.sqlite", "-o", "resumed.json", "corpus"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        reported += try report("resumed.json").alerts

        XCTAssertEqual(reported.count, expected.count, "no alert lost or doubled (killed at \(killedAt) articles)")
        XCTAssertEqual(Set(reported.map(\.id)).count, reported.count, "no alert twice")
        let got = Set(reported.map { "\($0.id) \($0.rule.id) \($0.article.key)" })
        let want = Set(expected.map { "\($0.id) \($0.rule.id) \($0.article.key)" })
        XCTAssertEqual(want.subtracting(got).count, 0, "lost, e.g. \(want.subtracting(got).sorted().prefix(3))")
        XCTAssertEqual(got.subtracting(want).count, 0, "unexpected, e.g. \(got.subtracting(want).sorted().prefix(3))")

        let after = scan(["--state", "killed/s.sqlite", "-o", "after.json", "corpus"])
        XCTAssertEqual(after.status, 0, after.stderr)
        XCTAssertEqual(try report("after.json").alerts.count, 0)
        let state = try StateStore.open(path: dir.url("killed/s.sqlite"), create: false)
        XCTAssertEqual(try state.count("alerts"), expected.count)
        XCTAssertEqual(try state.count("articles"), total)
    }

    func articleCount(_ path: String) throws -> Int {
        try StateStore.open(path: path, create: false).count("articles")
    }

    // MARK: One run at a time

    func testSecondConcurrentRunIsRefusedOrWaits() throws {
        writeCorpus(2000)
        let (first, firstIO) = try Binary.start(["scan", "--no-default-rules", "--rules", "rules", "--state", "s.sqlite", "-o", "first.json", "corpus"],
                                               cwd: dir.path)
        // Wait until the first run holds the lock (it writes its pid into it).
        let lockFile = dir.url("s.sqlite.lock")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, (try? String(contentsOfFile: lockFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) != "\(first.processIdentifier)" {
            usleep(5_000)
        }
        XCTAssertTrue(first.isRunning)

        let refused = scan(["--state", "s.sqlite", "-o", "second.json", "corpus"])
        XCTAssertEqual(refused.status, 75, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("another policywatch run (pid \(first.processIdentifier)) is using this state"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--wait"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.url("second.json")))

        let waited = scan(["--state", "s.sqlite", "--wait", "120", "-o", "third.json", "corpus"])
        XCTAssertEqual(waited.status, 0, waited.stderr)
        XCTAssertFalse(first.isRunning, "the waiting run started only after the first ended")
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0, firstIO.readErr())
        XCTAssertGreaterThan(try report("first.json").alerts.count, 0)
        XCTAssertEqual(try report("third.json").alerts.count, 0, "the first run had raised them all")
    }

    /// A report that cannot be written: exit 3, and its alerts go out with the next run.
    func testUnwritableReportIsSentAgainNextRun() throws {
        writeNews()
        try FileManager.default.createDirectory(atPath: dir.url("blocked.json"), withIntermediateDirectories: true)
        let failed = scan(["--state", "s.sqlite", "-o", "blocked.json", "news"])
        XCTAssertEqual(failed.status, 3, failed.stderr)
        // The plain report is the reporter "output" in the state.
        XCTAssertTrue(failed.stderr.contains("output: error: cannot write \(dir.url("blocked.json")): Is a directory"), failed.stderr)
        XCTAssertTrue(failed.stderr.contains("output: 2 alerts not delivered; kept in the state for the next run"), failed.stderr)
        let retried = scan(["--state", "s.sqlite", "-o", "ok.json", "news"])
        XCTAssertEqual(retried.status, 0, retried.stderr)
        XCTAssertEqual(try report("ok.json").alerts.count, 2)
        XCTAssertEqual(try report("ok.json").run.articles, 0, "nothing was scanned again")
        let state = try StateStore.open(path: dir.url("s.sqlite"), create: false)
        let records = try state.deliveries(reporter: "output")
        XCTAssertEqual(records.map(\.status), [.delivered, .delivered])
        XCTAssertEqual(records.map(\.attempts), [2, 2])
    }

    // MARK: Bad input

    func testGarbageInputsLeaveTheRunGoing() throws {
        writeNews()
        dir.write("news/invalid.txt", Data([0x41, 0xC3, 0x28, 0xFF, 0x0A]))
        dir.write("news/empty.txt", "")
        dir.write("news/binary.json", Data([0x00, 0x01, 0x02, 0x7B, 0x00]))
        dir.write("news/big.md", String(repeating: "# export controls on chips\n", count: 100))
        dir.write("news/cut.rss", String(Samples.rss(items: [Samples.roadmapStory, Samples.chipsStory]).prefix(700)))
        let result = scan(["--state", "s.sqlite", "--max-bytes", "1KB", "--timeout", "2", "--retries", "0", "-o", "r.json",
                           "news", "missing.txt", "http://127.0.0.1:1/feed.xml"])
        XCTAssertEqual(result.status, 3, "partial: \(result.stderr)")
        for expected in [
            "news/invalid.txt: error: invalid UTF-8; skipped",
            "news/empty.txt: error: empty input",
            "news/binary.json: error: binary file (NUL bytes found); skipped",
            "news/big.md: error: file is 2700 bytes, over the limit of 1024 (raise it with --max-bytes)",
            "news/cut.rss: error: invalid XML at line",
            "missing.txt: error: no such file or directory",
            "http://127.0.0.1:1/feed.xml: error: ",
        ] {
            XCTAssertTrue(result.stderr.contains(expected), "missing '\(expected)' in:\n\(result.stderr)")
        }
        let r = try report("r.json")
        XCTAssertEqual(r.errors.count, 7)
        XCTAssertEqual(r.run.skipped, 7)
        XCTAssertEqual(Set(r.alerts.map(\.rule.id)), ["export-control.chips", "roadmap.joint"], "good inputs scanned all the same")
    }

    // MARK: Config, init, alerts

    func testInitThenScanWithConfigThenAlerts() throws {
        let initResult = Binary.run(["init"], cwd: dir.path)
        XCTAssertEqual(initResult.status, 0, initResult.stderr)
        XCTAssertEqual(dir.read("policywatch.yaml"), StarterConfig.text)
        XCTAssertEqual(Binary.run(["init"], cwd: dir.path).status, 64, "an existing config is not overwritten")

        writeNews()
        dir.write("cron/policywatch.yaml", """
            state: state/pw.sqlite
            rules: [../rules]
            default_rules: false
            sources: [../news]
            reporters:
              - type: json
                path: reports/latest.json
              - type: jsonl
                path: reports/alerts.jsonl
            """)
        // Relative paths are relative to the config: run from elsewhere, as cron does.
        let first = Binary.run(["scan", "--config", dir.url("cron/policywatch.yaml")], cwd: "/")
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stdout, "", "reporters take the output")
        XCTAssertEqual(try report("cron/reports/latest.json").alerts.count, 2)
        XCTAssertEqual(dir.read("cron/reports/alerts.jsonl")?.split(separator: "\n").count, 2)

        dir.write("news/more.txt", "More\nA joint roadmap was agreed.\n")
        let second = Binary.run(["scan", "--config", dir.url("cron/policywatch.yaml"), "--quiet"], cwd: "/")
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertEqual(second.stderr, "", "--quiet prints only errors")
        XCTAssertEqual(try report("cron/reports/latest.json").alerts.map(\.article.title), ["More"])
        XCTAssertEqual(dir.read("cron/reports/alerts.jsonl")?.split(separator: "\n").count, 3, "appended")

        // ./policywatch.yaml is picked up when no --config is given.
        try FileManager.default.copyItem(atPath: dir.url("cron/policywatch.yaml"), toPath: dir.url("cron/copy.yaml"))
        let list = Binary.run(["alerts"], cwd: dir.url("cron"))
        XCTAssertEqual(list.status, 0, list.stderr)
        let lines = list.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 4)  // a header, then one row per alert
        XCTAssertTrue(lines[0].hasPrefix("RAISED"), String(lines[0]))
        XCTAssertTrue(lines[1].contains("high      export-control.chips  "), String(lines[1]))
        XCTAssertTrue(lines[1].contains("US tightens chip curbs"), String(lines[1]))
        XCTAssertTrue(list.stderr.contains("3 alerts"))

        let tagged = Binary.run(["alerts", "--config", dir.url("cron/policywatch.yaml"), "--tag", "cooperation", "--since", "1d", "--json"], cwd: "/")
        XCTAssertEqual(tagged.status, 0, tagged.stderr)
        let alerts = try JSONDecoder().decode([Alert].self, from: Data(tagged.stdout.utf8))
        XCTAssertEqual(alerts.map(\.rule.id), ["roadmap.joint", "roadmap.joint"])
        let future = Binary.run(["alerts", "--state", dir.url("cron/state/pw.sqlite"), "--since", "2999-01-01"], cwd: "/")
        XCTAssertEqual(future.stdout, "")
        XCTAssertEqual(Binary.run(["alerts", "--state", dir.url("nope.sqlite")], cwd: "/").status, 74)
        XCTAssertEqual(Binary.run(["alerts", "--state", dir.url("cron/state/pw.sqlite"), "--since", "someday"], cwd: "/").status, 64)
    }

    func testConfigErrorsArePositionedAndExit2() {
        dir.write("policywatch.yaml", "state: s.sqlite\nsorces:\n  - news/\nreporters:\n  - type: slack\n    path: x\n")
        let result = Binary.run(["scan"], cwd: dir.path)
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("policywatch.yaml:2:1: error: unknown key 'sorces' in the config\n  hint: did you mean 'sources'?"), result.stderr)
        XCTAssertTrue(result.stderr.contains("policywatch.yaml:5:11: error: unknown reporter type 'slack'"), result.stderr)
        XCTAssertTrue(result.stderr.contains("2 errors in the config; nothing was scanned."), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.url("s.sqlite")))
        // An ad-hoc scan (sources given) does not read ./policywatch.yaml; --config does.
        writeNews()
        let adHoc = Binary.run(["scan", "--no-default-rules", "--rules", "rules", "news"], cwd: dir.path)
        XCTAssertEqual(adHoc.status, 0, adHoc.stderr)
        XCTAssertEqual(try JSONDecoder().decode(Report.self, from: Data(adHoc.stdout.utf8)).alerts.count, 2)
        XCTAssertEqual(Binary.run(["scan", "--config", "policywatch.yaml", "news"], cwd: dir.path).status, 2)
    }

    // MARK: Progress

    func testProgressOnlyOnATerminal() throws {
        writeCorpus(300)
        let piped = scan(["-o", "p.json", "corpus"])
        XCTAssertEqual(piped.status, 0)
        XCTAssertFalse(piped.stderr.contains("\r"), piped.stderr)
        XCTAssertFalse(piped.stderr.contains("MB/s"), piped.stderr)

        let (status, terminal) = try Binary.runWithTerminalStderr(["scan", "--no-default-rules", "--rules", "rules", "-o", "t.json", "corpus"], cwd: dir.path)
        XCTAssertEqual(status, 0, terminal)
        XCTAssertTrue(terminal.contains("\r\u{1B}[K"), terminal)
        XCTAssertTrue(terminal.range(of: #"\d+ articles · \d+\.\d MB · \d+\.\d MB/s · \d+/3 sources"#, options: .regularExpression) != nil, terminal)
        let quiet = try Binary.runWithTerminalStderr(["scan", "--no-default-rules", "--rules", "rules", "-q", "-o", "q.json", "corpus"], cwd: dir.path)
        XCTAssertEqual(quiet.terminal, "", "--quiet: nothing")
    }
}

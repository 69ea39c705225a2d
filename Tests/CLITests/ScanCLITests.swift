import Foundation
import PolicyWatch
@testable import PolicyWatchCLI
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `policywatch scan` end to end: one pipeline for every input and mode (issue 15's
/// divergences each have a test here), streamed JSON Lines, files that are not regular files
/// (issue 11), exactly-once JSON Lines delivery through kills.
final class ScanCLITests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pw-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
            rules:
              - id: chips
                match: [chip*, 반도체]
              - id: controls
                match: {all: [export control*, {any: [chip*, 반도체]}]}
            """.write(to: dir.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func scan(_ args: [String], stdin: String? = nil) -> Binary.Result {
        Binary.run(["scan", "--no-default-rules", "--rules", "rules.yaml"] + args, cwd: dir.path, stdin: stdin)
    }

    struct Report: Decodable {
        struct Alert: Decodable {
            struct Ref: Decodable { var key: String; var id: String? }
            struct Rule: Decodable { var id: String }
            struct Seen: Decodable { var key: String; var url: String? }
            var id: String
            var article: Ref
            var rule: Rule
            var also_seen: [Seen]?
        }
        struct Run: Decodable { var articles: Int; var skipped: Int }
        struct Problem: Decodable { var source: String; var message: String }
        var alerts: [Alert]
        var errors: [Problem]
        var run: Run
    }

    func report(_ text: String) throws -> Report {
        try JSONDecoder().decode(Report.self, from: Data(text.utf8))
    }

    func report(file: String) throws -> Report {
        try JSONDecoder().decode(Report.self, from: Data(contentsOf: dir.appendingPathComponent(file)))
    }

    static let filler = String(repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", count: 6)

    /// `count` articles of about 400 bytes; every third mentions chips, every ninth export controls too.
    func corpus(_ count: Int) -> (lines: [String], expected: [String]) {
        var lines: [String] = []
        var expected: [String] = []
        for i in 0..<count {
            var body = Self.filler + " number \(i)"
            if i % 3 == 0 { body += i % 2 == 0 ? " New chips arrived." : " 반도체 수출이 늘었다." }
            if i % 9 == 0 { body += " Export controls were tightened." }
            lines.append(#"{"id": "a\#(i)", "title": "Article \#(i)", "body": "\#(body)"}"#)
            if i % 3 == 0 { expected.append("a\(i)/chips") }
            if i % 9 == 0 { expected.append("a\(i)/controls") }
        }
        return (lines, expected)
    }

    // MARK: - One pipeline

    func testLargeJSONLinesScanInInputOrderFromFilesAndStdin() throws {
        let (lines, expected) = corpus(6000)
        try write("news.jsonl", lines.joined(separator: "\n"))
        let r = scan(["--output", "report.json", "news.jsonl"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(expected.count) new alerts in 6000 articles"), r.stderr)
        let json = try report(file: "report.json")
        XCTAssertEqual(json.alerts.map { "\($0.article.id ?? "")/\($0.rule.id)" }, expected)
        XCTAssertEqual(json.run.articles, 6000)

        // The same alerts as JSON Lines, on stdout.
        let l = scan(["--format", "jsonl", "news.jsonl"])
        XCTAssertEqual(l.status, 0, l.stderr)
        let ids = try l.stdout.split(separator: "\n").map { try JSONDecoder().decode(Report.Alert.self, from: Data($0.utf8)).id }
        XCTAssertEqual(ids, json.alerts.map(\.id))

        // Piped in: streamed as JSON Lines, --max-bytes limits a record, not the input.
        let s = scan(["--max-bytes", "1000", "--output", "piped.json", "-"], stdin: lines.joined(separator: "\n"))
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertEqual(try report(file: "piped.json").alerts.map(\.id), json.alerts.map(\.id))

        // --stream is accepted for one release and changes nothing but a notice.
        let old = scan(["--stream", "--output", "streamed.json", "news.jsonl"])
        XCTAssertEqual(old.status, 0, old.stderr)
        XCTAssertTrue(old.stderr.contains("--stream is no longer needed"), old.stderr)
        XCTAssertEqual(try report(file: "streamed.json").alerts.map(\.id), json.alerts.map(\.id))
    }

    #if os(Linux)
    /// The program allocates with mimalloc (linked in Package.swift): alerts made on the
    /// scanning threads and freed on the sinks' one made glibc lock an arena per free
    /// (docs/performance.md, "Twelfth round"). mimalloc says it started when asked to be
    /// verbose; the scan under it is the scan.
    func testTheProgramAllocatesWithMimalloc() throws {
        let (lines, expected) = corpus(2000)
        try write("news.jsonl", lines.joined(separator: "\n"))
        let r = Binary.run(["scan", "--no-default-rules", "--rules", "rules.yaml", "--output", "report.json", "news.jsonl"],
                           cwd: dir.path, environment: ["MIMALLOC_VERBOSE": "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("mimalloc: process init"), "mimalloc is not the program's allocator:\n\(r.stderr.prefix(2000))")
        XCTAssertEqual(try report(file: "report.json").alerts.map { "\($0.article.id ?? "")/\($0.rule.id)" }, expected)
    }

    /// The program's first step sets mimalloc's options (`Allocator`), unless the environment
    /// names one (for measuring); this process links mimalloc too.
    func testTheAllocatorsOptionsAreSet() {
        let before = Allocator.decommitDelay
        Allocator.configure(environment: ["MIMALLOC_DECOMMIT_DELAY": "7"])
        XCTAssertEqual(Allocator.decommitDelay, before, "the environment's value is left alone")
        Allocator.configure(environment: [:])
        XCTAssertEqual(Allocator.decommitDelay, Allocator.decommitDelayMilliseconds)
        XCTAssertNotEqual(Allocator.decommitDelayMilliseconds, 25, "not mimalloc's default")
    }
    #endif

    func testCopiesMergeAndEveryCopyIsListedWithAndWithoutState() throws {
        let body = String(repeating: "Washington announced new export controls on advanced chips. ", count: 3)
        try write("in/copies.jsonl", """
            {"url": "https://a.example/s?utm_source=x", "title": "Chip curbs", "body": "\(body)"}
            {"url": "https://b.example/other", "title": "Chip curbs", "body": "\(body)"}
            {"id": "k1", "title": "Chips", "body": "\(body) Once more."}
            {"id": "k2", "title": "Chips", "body": "\(body) Once more."}
            {"id": "k1", "title": "Chips", "body": "\(body) Once more."}
            """)
        for mode in [[], ["--state", "s.sqlite"], ["--stream"]] {
            let r = scan(mode + ["in"])
            XCTAssertEqual(r.status, 0, "\(mode): \(r.stderr)")
            let json = try report(r.stdout)
            // One body under two URLs: one alert per rule, the other URL in also_seen.
            XCTAssertEqual(json.alerts.map { "\($0.article.key)/\($0.rule.id)" },
                           ["https://a.example/s/chips", "https://a.example/s/controls", "k1/chips", "k1/controls"], "\(mode)")
            XCTAssertEqual(json.alerts[0].also_seen?.map(\.url), ["https://b.example/other"], "\(mode)")
            // Two copies without URL: the second one's id is listed; the same key twice raises once.
            XCTAssertEqual(json.alerts[2].also_seen?.map(\.key), ["k2"], "\(mode)")
            XCTAssertEqual(Set(json.alerts.map(\.id)).count, json.alerts.count, "no alert id twice (\(mode))")
        }
    }

    func testOutputInANewDirectoryAndConfigStateAndReportersAlwaysApply() throws {
        try write("news.jsonl", corpus(30).lines.joined(separator: "\n"))
        for extra in [[], ["--stream"]] {
            let out = "new\(extra.count)/dir/r.json"
            let r = scan(extra + ["--output", out, "news.jsonl"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(try report(file: out).alerts.count, 14)
        }
        try write("f.yaml", """
            state: state/s.sqlite
            reporters:
              - type: jsonl
                path: out/alerts.jsonl
            """)
        for extra in [["--stream"], []] {
            let r = scan(extra + ["--config", "f.yaml", "news.jsonl"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("state/s.sqlite")))
        let lines = try String(contentsOfFile: path("out/alerts.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 14, "the second run (with state) raises nothing new")
    }

    func testMaxBytesMeansOneRecordInJSONLinesAndOneFileOtherwiseInEveryMode() throws {
        let long = String(repeating: "chips ", count: 100)
        try write("in/a.jsonl", "{\"id\": \"short\", \"body\": \"chips\"}\n{\"id\": \"long\", \"body\": \"\(long)\"}\n")
        try write("in/b.txt", "Title\n" + long)
        for mode in [[], ["--state", "s.sqlite"]] {
            let r = scan(mode + ["--max-bytes", "300", "in"])
            XCTAssertEqual(r.status, 3, r.stderr)
            let json = try report(r.stdout)
            XCTAssertEqual(json.alerts.map { $0.article.id ?? "" }, ["short"], "\(mode)")
            XCTAssertEqual(json.errors.map { ($0.source as NSString).lastPathComponent }, ["a.jsonl:2", "b.txt"], "\(mode)")
            XCTAssertTrue(json.errors[0].message.hasPrefix("line is "), json.errors[0].message)
            XCTAssertTrue(json.errors[1].message.hasPrefix("file is "), json.errors[1].message)
            try? FileManager.default.removeItem(atPath: path("s.sqlite"))
        }
    }

    func testARecordWithANulByteSpoilsOnlyItself() throws {
        var data = Data("{\"id\": \"a\", \"body\": \"chips\"}\n{\"id\": \"b\", \"body\": \"ch".utf8)
        data.append(0)
        data.append(Data("ips\"}\n{\"id\": \"c\", \"body\": \"반도체\"}\n".utf8))
        try data.write(to: dir.appendingPathComponent("nul.jsonl"))
        let r = scan(["nul.jsonl"])
        XCTAssertEqual(r.status, 3, r.stderr)
        let json = try report(r.stdout)
        XCTAssertEqual(json.alerts.map { $0.article.id ?? "" }, ["a", "c"])
        XCTAssertEqual(json.errors.map(\.source), ["nul.jsonl:2"])
        XCTAssertEqual(r.stderr.contains("nul.jsonl:2: error: NUL byte in the record"), true, r.stderr)
    }

    // MARK: - Files that are not regular files

    func testOutputThroughASymlinkReplacesItsTargetAndKeepsTheLink() throws {
        try write("news.jsonl", corpus(9).lines.joined(separator: "\n"))
        try write("reports/real.json", "old")
        try FileManager.default.createSymbolicLink(atPath: path("latest.json"), withDestinationPath: "reports/real.json")
        let r = scan(["--output", "latest.json", "news.jsonl"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("latest.json")), "reports/real.json")
        XCTAssertEqual(try report(file: "reports/real.json").alerts.count, 4)
    }

    func testOutputToAFIFOIsWrittenInPlace() throws {
        try write("news.jsonl", corpus(9).lines.joined(separator: "\n"))
        XCTAssertEqual(mkfifo(path("pipe"), 0o644), 0)
        let received = Collected()
        let fifo = path("pipe")
        let reader = Thread {
            let h = FileHandle(forReadingAtPath: fifo)!
            let d = h.readDataToEndOfFile()
            received.append(ArraySlice(d))
            received.finish()
        }
        reader.start()
        let r = scan(["--output", "pipe", "news.jsonl"])
        XCTAssertEqual(r.status, 0, r.stderr)
        received.waitFinished()
        XCTAssertEqual(try report(received.text).alerts.count, 4)
        var st = stat()
        XCTAssertEqual(stat(fifo, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO, "still a FIFO, not replaced by a file")
    }

    // MARK: - Exactly-once JSON Lines through kills

    /// The report is the same in every process. Two terms that match the same words
    /// (`export control*`, `export-control*`) used to be tried by `near` in a Set's order, which
    /// changes from one process to the next, so the report named either term.
    func testTheReportIsTheSameInEveryProcess() throws {
        try """
            rules:
              - id: near.controls
                match:
                  near: [[chip*, semiconductor*], [export control*, export-control*, export controls]]
                  within: 6
                  ordered: true
            """.write(to: dir.appendingPathComponent("near.yaml"), atomically: true, encoding: .utf8)
        try write("a.txt", "Chips face new export controls.\n")
        var reports = Set<String>()
        for _ in 0..<8 {
            let r = Binary.run(["scan", "--no-default-rules", "--rules", "near.yaml", "a.txt"], cwd: dir.path)
            XCTAssertEqual(r.status, 0, r.stderr)
            let withoutTimes = r.stdout.split(separator: "\n").filter {
                !$0.contains("\"first_seen\"") && !$0.contains("\"started\"") && !$0.contains("\"finished\"")
            }
            reports.insert(withoutTimes.joined(separator: "\n"))
        }
        XCTAssertEqual(reports.count, 1, "the report differs between processes")
    }

    /// JSON Lines on standard output with a state: each alert is printed by the run that raises
    /// it and never again (it used to stay owed and be printed by every later run).
    func testJSONLinesOnStandardOutputAreDeliveredOnce() throws {
        try write("news.jsonl", #"{"id": "a1", "body": "New chips."}"# + "\n")
        let args = ["--state", "s.sqlite", "--reporter", "jsonl", "news.jsonl"]
        let first = scan(args)
        XCTAssertEqual(first.stdout.split(separator: "\n").count, 1, first.stderr)
        try (#"{"id": "a1", "body": "New chips."}"# + "\n" + #"{"id": "a2", "body": "More chips."}"# + "\n")
            .write(toFile: path("news.jsonl"), atomically: false, encoding: .utf8)
        let second = scan(args)
        let lines = second.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, second.stdout)
        XCTAssertTrue(lines.first?.contains(#""id":"a2""#) == true, second.stdout)
        let status = Binary.run(["deliver", "--status", "--state", "s.sqlite"], cwd: dir.path)
        XCTAssertTrue(status.stdout.contains("pending 0"), status.stdout)
    }

    /// `policywatch deliver` to a JSON Lines file is exactly-once too: an append that a killed
    /// run left half-done is cut back before the owed alerts are written again.
    func testDeliverCutsBackAnInterruptedAppend() throws {
        try write("news.jsonl", #"{"id": "a1", "body": "New chips."}"# + "\n" + #"{"id": "a2", "body": "Chips again."}"# + "\n")
        try FileManager.default.createDirectory(atPath: path("out.jsonl"), withIntermediateDirectories: false)
        // The target is a directory: the scan cannot append, so both alerts stay owed.
        let scanned = scan(["--state", "s.sqlite", "--reporter", "jsonl=out.jsonl", "news.jsonl"])
        XCTAssertEqual(scanned.status, 3, scanned.stderr)
        try FileManager.default.removeItem(atPath: path("out.jsonl"))
        // What a run killed mid-append leaves: the length recorded before it, and a torn line.
        try Data("{\"kept\": 1}\n{\"torn".utf8).write(to: URL(fileURLWithPath: path("out.jsonl")))
        try StateStore.open(path: path("s.sqlite"), create: false).beginAppend(reporter: "jsonl:out.jsonl", path: path("out.jsonl"), length: 12)
        let delivered = Binary.run(["deliver", "--state", "s.sqlite", "--reporter", "jsonl=out.jsonl"], cwd: dir.path)
        XCTAssertEqual(delivered.status, 0, delivered.stderr)
        let lines = try String(contentsOfFile: path("out.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, #"{"kept": 1}"#)
        XCTAssertEqual(lines.count, 3, "the torn line is gone and each alert is there once: \(lines)")
        let alerts = try lines.dropFirst().map { try JSONDecoder().decode(Report.Alert.self, from: Data($0.utf8)) }
        XCTAssertEqual(alerts.map { $0.article.id ?? "" }.sorted(), ["a1", "a2"])
        let again = Binary.run(["deliver", "--state", "s.sqlite", "--reporter", "jsonl=out.jsonl"], cwd: dir.path)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try String(contentsOfFile: path("out.jsonl"), encoding: .utf8).split(separator: "\n").count, 3)
    }

    func testKilledDeliveriesToJSONLinesLeaveEveryAlertExactlyOnce() throws {
        // More alerts than the pipeline holds back (2,000), so they are appended while the
        // scan runs as well as at its end.
        let lines = (0..<24000).map { #"{"id": "a\#($0)", "body": "New chips, number \#($0)."}"# }
        let expected = (0..<24000).map { "a\($0)/chips" }
        try write("news.jsonl", lines.joined(separator: "\n"))
        let args = ["scan", "--no-default-rules", "--rules", "rules.yaml", "--state", "s.sqlite", "--reporter", "jsonl=alerts.jsonl", "news.jsonl"]
        var kills = 0
        for attempt in 0..<12 {
            let (process, _) = try Binary.start(args, cwd: dir.path)
            // Kill at a different moment each time, once the run is writing alerts.
            let deadline = Date().addingTimeInterval(60)
            let before = (try? FileManager.default.attributesOfItem(atPath: path("alerts.jsonl"))[.size] as? Int) ?? 0
            while process.isRunning && Date() < deadline {
                let now = (try? FileManager.default.attributesOfItem(atPath: path("alerts.jsonl"))[.size] as? Int) ?? 0
                if now > before { break }
                usleep(200)
            }
            usleep(UInt32(attempt * 3000))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
        }
        let last = Binary.run(args, cwd: dir.path)
        XCTAssertTrue([0, 1].contains(last.status), last.stderr)
        XCTAssertGreaterThan(kills, 3, "the runs were killed while delivering")
        let text = try String(contentsOfFile: path("alerts.jsonl"), encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"), "no torn last line")
        let got = try text.split(separator: "\n").map { try JSONDecoder().decode(Report.Alert.self, from: Data($0.utf8)) }
        XCTAssertEqual(got.count, expected.count, "every alert once (after \(kills) kills)")
        XCTAssertEqual(Set(got.map { "\($0.article.id ?? "")/\($0.rule.id)" }), Set(expected))
    }
}

/// `policywatch eval` through the scan pipeline, overall and per source.
final class EvalCLITests: XCTestCase {
    func testEvalBySourceAndMistakes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pw-eval-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
            rules:
              - id: tariff
                tags: [tariff]
                match: [tariff*, duties]
            """.write(to: dir.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
        // wire: 2 true positives. blog: 1 true positive, 1 false negative, 1 false positive.
        // The two blog copies with the same text are scored each on its own.
        try """
            {"id": "w1", "source": "wire", "body": "New tariffs on steel."}
            {"id": "w2", "source": "wire", "body": "Duties rise on chips."}
            {"id": "b1", "source": "blog", "body": "Tariffs again, in a long post about the tariff schedule."}
            {"id": "b2", "source": "blog", "body": "Levies on imports rise."}
            {"id": "b3", "source": "blog", "body": "Tariffs again, in a long post about the tariff schedule."}
            {"id": "x", "body": "unlabelled tariffs"}
            """.write(to: dir.appendingPathComponent("articles.jsonl"), atomically: true, encoding: .utf8)
        try """
            {"id": "w1", "tags": ["tariff"]}
            {"id": "w2", "tags": ["tariff"]}
            {"id": "b1", "tags": ["tariff"]}
            {"id": "b2", "tags": ["tariff"]}
            {"id": "b3", "tags": []}
            """.write(to: dir.appendingPathComponent("labels.jsonl"), atomically: true, encoding: .utf8)
        let base = ["eval", "--no-default-rules", "--rules", "rules.yaml", "--labels", "labels.jsonl"]
        let table = Binary.run(base + ["--by", "source", "articles.jsonl"], cwd: dir.path)
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("by source"), table.stdout)
        let blog = try XCTUnwrap(table.stdout.split(separator: "\n").first { $0.hasPrefix("blog ") })
        XCTAssertEqual(blog.split(separator: " ").map(String.init), ["blog", "3", "0.500", "0.500", "0.500", "0.500"])
        let wire = try XCTUnwrap(table.stdout.split(separator: "\n").first { $0.hasPrefix("wire ") })
        XCTAssertEqual(wire.split(separator: " ").map(String.init), ["wire", "2", "1.000", "1.000", "1.000", "1.000"])
        XCTAssertTrue(table.stdout.contains("FP tariff  b3"), table.stdout)
        XCTAssertTrue(table.stdout.contains("FN tariff  b2"), table.stdout)

        let json = Binary.run(base + ["--json", "--by", "source", "articles.jsonl"], cwd: dir.path)
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["articles"] as? Int, 5)
        XCTAssertEqual((object["micro"] as? [String: Double])?["precision"], 0.75)
        let bySource = try XCTUnwrap(object["by_source"] as? [[String: Any]])
        XCTAssertEqual(bySource.map { $0["source"] as? String }, ["blog", "wire"])
        XCTAssertEqual(bySource.map { $0["articles"] as? Int }, [3, 2])
        XCTAssertEqual((bySource[0]["micro"] as? [String: Double])?["recall"], 0.5)
        XCTAssertEqual((object["mistakes"] as? [[String: Any]])?.count, 2)

        // Without --by, no per-source figures.
        let plain = Binary.run(base + ["--json", "articles.jsonl"], cwd: dir.path)
        XCTAssertNil((try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])?["by_source"])
    }
}

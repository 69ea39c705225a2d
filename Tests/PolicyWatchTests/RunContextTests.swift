import Foundation
import PolicyWatchTestSupport
import XCTest
@testable import PolicyWatch

/// The world reaches the library only through a `RunContext`: these tests give it a world
/// that is not the process's (another directory and HOME, a pipe for stdin, a fixed clock,
/// terminal flags) and check the library uses that one.
final class RunContextTests: XCTestCase {
    static let rules = """
        rules:
          - id: chips
            title: Export controls on chips
            severity: high
            match:
              all: [export control*, chip*]
        """

    func context(at time: Date, directory: String = "/nonexistent/work", home: String = "/nonexistent/home") -> RunContext {
        RunContext(clock: { time }, workingDirectory: directory, environment: ["HOME": home])
    }

    // MARK: - Working directory and HOME

    func testConfigPathsResolveAgainstTheInjectedDirectoryAndHome() throws {
        let ctx = context(at: Date(timeIntervalSince1970: 0), directory: "/srv/work", home: "/home/ann")
        let text = """
            state: state.sqlite
            rules: [my-rules/, ~/shared-rules]
            sources: [news/, ~/drop, /abs/feed.xml, "-"]
            reporters:
              - type: json
                target: reports/latest.json
            """
        let (config, diagnostics) = Config.parse(text: text, path: "conf/policywatch.yaml", context: ctx)
        XCTAssertEqual(diagnostics, [])
        let c = try XCTUnwrap(config)
        XCTAssertEqual(c.state, "/srv/work/conf/state.sqlite")
        XCTAssertEqual(c.rules, ["/srv/work/conf/my-rules", "/home/ann/shared-rules"])
        XCTAssertEqual(c.sources.map(\.location), ["/srv/work/conf/news", "/home/ann/drop", "/abs/feed.xml", "-"])
        XCTAssertEqual(c.reporters.map(\.directory), ["/srv/work/conf"])
        // The reporter's target is resolved against the config's directory when it is built.
        let reporter = ReporterContext(run: ctx)
        var built = reporter
        built.directory = try XCTUnwrap(c.reporters[0].directory)
        XCTAssertEqual(built.path("reports/latest.json"), "/srv/work/conf/reports/latest.json")
        XCTAssertEqual(reporter.path("out.json"), "/srv/work/out.json", "a reporter given on the command line: the working directory")
    }

    func testConfigFileIsFoundFromTheInjectedDirectory() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.url("site"), withIntermediateDirectories: true)
        _ = dir.write("site/pw.yaml", "state: s.sqlite\nsources: [~/inbox]\n")
        // The process's working directory is not `dir`: only the context points there.
        XCTAssertNotEqual(FileManager.default.currentDirectoryPath, dir.path)
        let (config, diagnostics) = Config.load(path: "site/pw.yaml", context: context(at: Date(timeIntervalSince1970: 0), directory: dir.path, home: "/h"))
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(config?.state, dir.url("site/s.sqlite"))
        XCTAssertEqual(config?.sources.map(\.location), ["/h/inbox"])
        // Not there from another directory.
        let (missing, problems) = Config.load(path: "site/pw.yaml", context: context(at: Date(timeIntervalSince1970: 0), directory: "/nonexistent"))
        XCTAssertNil(missing)
        XCTAssertEqual(problems.map(\.message), ["no such config file"])
    }

    func testRelativeSourcesAreReadFromTheInjectedDirectoryAndNamedAsGiven() throws {
        let dir = TempDir()
        dir.write("news.jsonl", #"{"id":"a","title":"Curbs","body":"New export controls on chips."}"# + "\n")
        dir.write("inbox/b.txt", "More curbs\nExport controls on memory chips widen.\n")
        XCTAssertNotEqual(FileManager.default.currentDirectoryPath, dir.path)
        let state = try StateStore.open(path: dir.url("state.sqlite"))
        let pipeline = ScanPipeline(scanner: RuleScanner(ruleSet: try RuleCompiler.compile(yaml: Self.rules)), index: state,
                                    context: context(at: Date(timeIntervalSince1970: 1_780_000_000), directory: dir.path))
        let collector = AlertCollector()
        let outcome = try pipeline.run([SourceSpec("news.jsonl"), SourceSpec("inbox"), SourceSpec("missing.txt")], sinks: [collector])
        XCTAssertEqual(collector.alerts.map { $0.article.path }, ["news.jsonl", "inbox/b.txt"])
        XCTAssertEqual(outcome.errors.map(\.source), ["missing.txt"])
        // The marks name the files as given too: the next run finds them unchanged.
        let again = try pipeline.run([SourceSpec("news.jsonl"), SourceSpec("inbox")], sinks: [AlertCollector()])
        XCTAssertEqual(again.unchangedFiles, 2)
    }

    // MARK: - Standard input

    func testScanReadsTheInjectedStandardInput() throws {
        let stdin = Pipe()
        let lines = [#"{"id":"a","title":"Curbs","body":"New export controls on chips were announced."}"#,
                     #"{"id":"b","title":"Weather","body":"Rain tomorrow."}"#,
                     #"{"id":"c","title":"More","body":"Export controls on memory chips widen."}"#]
        stdin.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try stdin.fileHandleForWriting.close()
        var ctx = context(at: Date(timeIntervalSince1970: 1_780_000_000))
        ctx.standardInput = stdin.fileHandleForReading
        ctx.processorCount = 2
        let pipeline = ScanPipeline(scanner: RuleScanner(ruleSet: try RuleCompiler.compile(yaml: Self.rules)), context: ctx)
        let collector = AlertCollector()
        let outcome = try pipeline.run([SourceSpec("-")], sinks: [collector])
        XCTAssertEqual(outcome.errors, [])
        XCTAssertEqual(outcome.articles, 3)
        XCTAssertEqual(collector.alerts.map { $0.article.id }, ["a", "c"])
    }

    func testReaderReadsStandardInputOnlyWhenGivenOne() throws {
        let stdin = Pipe()
        stdin.fileHandleForWriting.write(Data("Export controls\nChips are next.\n".utf8))
        try stdin.fileHandleForWriting.close()
        let (articles, errors) = ArticleReader().read(path: "-", standardInput: stdin.fileHandleForReading)
        XCTAssertEqual(errors, [])
        XCTAssertEqual(articles.map(\.title), ["Export controls"])
        // Without one, "-" is an error, never the process's stdin.
        let (none, problems) = ArticleReader().read(path: "-")
        XCTAssertEqual(none.count, 0)
        XCTAssertEqual(problems.map(\.message), ["standard input is not available here"])
    }

    // MARK: - Clock

    func testRunTimesAndSinceComeFromTheInjectedClock() throws {
        let dir = TempDir()
        let first = dir.write("a.jsonl", #"{"id":"a","title":"Curbs","body":"New export controls on chips."}"# + "\n")
        let second = dir.write("b.jsonl", #"{"id":"b","title":"More","body":"Export controls on memory chips."}"# + "\n")
        let scanner = RuleScanner(ruleSet: try RuleCompiler.compile(yaml: Self.rules))
        let state = try StateStore.open(path: dir.url("state.sqlite"))
        let t1 = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28T20:26:40Z
        let t2 = t1.addingTimeInterval(3 * 86400)

        let collector = AlertCollector()
        let run1 = try ScanPipeline(scanner: scanner, index: state, context: context(at: t1)).run([SourceSpec(first)], sinks: [collector])
        XCTAssertEqual(run1.run.started, "2026-05-28T20:26:40Z")
        XCTAssertEqual(run1.run.finished, "2026-05-28T20:26:40Z")
        XCTAssertEqual(collector.alerts.map(\.firstSeen), ["2026-05-28T20:26:40Z"])
        _ = try ScanPipeline(scanner: scanner, index: state, context: context(at: t2)).run([SourceSpec(second)], sinks: [AlertCollector()])

        // "2d" counts back from the context's clock, not from the machine's.
        let later = context(at: t2.addingTimeInterval(3600))
        XCTAssertEqual(try AlertQuery(since: "2d").alerts(in: state, context: later).map { $0.article.id }, ["b"])
        XCTAssertEqual(try AlertQuery(since: "4d").alerts(in: state, context: later).map { $0.article.id }, ["a", "b"])
        let earlier = context(at: t1.addingTimeInterval(3600))
        XCTAssertEqual(try AlertQuery(since: "2h").alerts(in: state, context: earlier).map { $0.article.id }, ["a", "b"])
        XCTAssertEqual(try AlertQuery(since: "2026-05-30").alerts(in: state, context: earlier).map { $0.article.id }, ["b"])
        XCTAssertThrowsError(try AlertQuery(since: "last tuesday").alerts(in: state, context: later))

        // One article alone: stamped with the context's clock.
        let single = scanner.alerts(for: Article(title: "Curbs", body: "Export controls on chips."), context: context(at: t2))
        XCTAssertEqual(single.map(\.firstSeen), ["2026-05-31T20:26:40Z"])
    }

    // MARK: - Terminal

    func testConsoleColourFollowsTheInjectedTerminalFlags() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let batch = DeliveryBatch(alerts: alerts, run: run, isDigest: true)
        func output(_ argument: String, stdoutTerminal: Bool, stderrTerminal: Bool, env: [String: String] = [:]) throws -> (out: String, err: String) {
            let (ctx, captured) = ReporterFixtures.context(env: env, terminal: stdoutTerminal, stderrTerminal: stderrTerminal)
            try ReporterRegistry.builtIn.make(ReporterConfig.parse(argument: argument), context: ctx).deliver(batch)
            return (captured.stdout, captured.stderr)
        }
        let escape = "\u{1B}["
        XCTAssertTrue(try output("console", stdoutTerminal: true, stderrTerminal: false).out.contains(escape))
        XCTAssertFalse(try output("console", stdoutTerminal: false, stderrTerminal: true).out.contains(escape))
        XCTAssertTrue(try output("console=stderr", stdoutTerminal: false, stderrTerminal: true).err.contains(escape))
        XCTAssertFalse(try output("console=stderr", stdoutTerminal: true, stderrTerminal: false).err.contains(escape))
        XCTAssertFalse(try output("console", stdoutTerminal: true, stderrTerminal: true, env: ["NO_COLOR": "1"]).out.contains(escape))
        let plain = try output("console=stderr", stdoutTerminal: false, stderrTerminal: false)
        XCTAssertTrue(plain.err.contains(alerts[0].rule.title), "the cards went to the injected stderr")
        XCTAssertEqual(plain.out, "")
    }

    // MARK: - No other way in

    /// The library's sources reach the process's globals only in `RunContext.process`. The
    /// one exception: the HTTP client's default wall clock, which turns a Retry-After date into
    /// a wait (a wait is measured against real time, never against the run's clock).
    func testTheLibraryReadsNoProcessGlobalOutsideRunContext() throws {
        let root = Repo.path("Sources/PolicyWatch")
        let globals = ["ProcessInfo", "FileHandle.standardInput", "FileHandle.standardOutput", "FileHandle.standardError",
                       "isatty(", "currentDirectoryPath", "getenv(", "Date()"]
        let allowed: Set<String> = ["Support/RunContext.swift", "Fetching/HTTPClient.swift:Date()"]
        var found: [String] = []
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: root)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        XCTAssertGreaterThan(files.count, 50)
        for file in files where !allowed.contains(file) {
            let lines = try String(contentsOfFile: root + "/" + file, encoding: .utf8).components(separatedBy: "\n")
            for (n, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                for g in globals where line.contains(g) && !allowed.contains(file + ":" + g) {
                    found.append("\(file):\(n + 1): \(g)")
                }
            }
        }
        XCTAssertEqual(found, [], "pass it in a RunContext instead")
    }
}

import Foundation
import PolicyWatch  // not @testable: the example uses only the public API
import XCTest

/// The example of docs/library.md, compiled and run; and a check that the document quotes
/// this file's example exactly.
final class LibraryExampleTests: XCTestCase {
    func testTheExampleRuns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pw-lib-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("""
            {"id": "n1", "title": "Chip curbs", "body": "Washington tightened export controls on advanced chips."}
            {"id": "n2", "title": "Weather", "body": "Rain tomorrow."}

            """.utf8).write(to: URL(fileURLWithPath: dir + "/news.jsonl"))
        let (single, streamed, second, lastDay) = try example(directory: dir)
        XCTAssertEqual(single, ["chips.export-control"])
        XCTAssertEqual(streamed, ["n1: Export controls on chips"])
        XCTAssertEqual(second, 0, "with a state, the second run raises nothing new")
        XCTAssertEqual(lastDay, ["2026-06-01T12:00:00Z n1"], "raised at the context's time, found from it")
    }

    // BEGIN example
    func example(directory: String) throws -> (single: [String], streamed: [String], secondRun: Int, lastDay: [String]) {
        // 1. Compile rules (from YAML text here; RuleCompiler.compile(paths:) reads files).
        let rules = try RuleCompiler.compile(yaml: """
            rules:
              - id: chips.export-control
                title: Export controls on chips
                severity: high
                tags: [export-control]
                match:
                  all: [export control*, chip*]
            """)

        // 2. Scan one article (stamped with the time of RunContext.process, the default).
        let scanner = RuleScanner(ruleSet: rules)
        let article = Article(title: "Curbs", body: "New export controls on chips were announced.")
        let single = scanner.alerts(for: article).map(\.rule.id)

        // 3. Scan a stream of sources (files, directories, JSON Lines, URLs) on all cores;
        //    alerts arrive at the sinks in input order. Copies of a story raise one alert.
        let collector = AlertCollector()
        let pipeline = ScanPipeline(scanner: scanner)
        let outcome = try pipeline.run([SourceSpec(directory + "/news.jsonl")], sinks: [collector])
        let streamed = collector.alerts.map { "\($0.article.id ?? $0.article.key): \($0.rule.title)" }
        precondition(outcome.errors.isEmpty)

        // 4. The world outside (clock, environment, working directory, standard streams,
        //    terminals, processors) is one value. The default is the real process's; here
        //    a fixed clock, for runs that must be reproducible.
        let noon = try Date("2026-06-01T12:00:00Z", strategy: .iso8601)
        let context = RunContext(clock: { noon }, workingDirectory: directory, processorCount: 2)

        // 5. With a state, each alert is raised once across runs (and queued for reporters),
        //    and the alerts raised can be queried ("1d": the day before the context's clock).
        let state = try StateStore.open(path: directory + "/state.sqlite")
        let stateful = ScanPipeline(scanner: scanner, index: state, context: context)
        _ = try stateful.run([SourceSpec(directory + "/news.jsonl")], sinks: [AlertCollector()])
        let again = try stateful.run([SourceSpec(directory + "/news.jsonl")], sinks: [AlertCollector()])
        let lastDay = try AlertQuery(since: "1d").alerts(in: state, context: context).map { "\($0.firstSeen) \($0.article.id ?? "")" }
        return (single, streamed, again.raised, lastDay)
    }
    // END example

    func testTheDocumentQuotesTheExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let doc = try String(contentsOf: root.appendingPathComponent("docs/library.md"), encoding: .utf8)
        let begin = try XCTUnwrap(source.range(of: "    // BEGIN example\n")), end = try XCTUnwrap(source.range(of: "    // END example"))
        let example = source[begin.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }.joined(separator: "\n")
        XCTAssertTrue(doc.contains("```swift\n" + example + "```"), "docs/library.md must quote the example of \(#filePath) as it is")
    }
}

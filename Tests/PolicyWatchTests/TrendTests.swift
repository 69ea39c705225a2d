import Foundation
import XCTest
@testable import PolicyWatch
import PolicyWatchTestSupport

/// Trends (`trends:` in rule YAML, Scanning/TrendStage.swift): windows and groups on plain
/// alerts, then through the scan pipeline and the state with an injected clock (never slept).
final class TrendTests: XCTestCase {
    static let rules = """
        entities:
          country:
            US: [United States, U.S.]
            CN: [China]
        facets:
          jurisdictions: {country: id}
          targets: {before: [on]}
        rules:
          - id: ec
            title: Export controls
            severity: high
            tags: [export-control]
            match: export controls
        trends:
          - id: trend.ec
            title: Export-control wave
            severity: critical
            tag: export-control
            group_by: acting
            min_articles: 3
            min_sources: 2
            within: 48h
        """

    func alert(_ key: String, source: String, published: String, acting: [String], tags: [String] = ["export-control"]) -> Alert {
        var a = Alert(id: Alert.id(rule: "ec", articleKey: key),
                      rule: .init(id: "ec", title: "Export controls", severity: .high, tags: tags, file: "t.yaml"),
                      article: Alert.ArticleRef(Article(id: key, title: key, body: "", published: published, source: source)),
                      matches: [], entities: [:], firstSeen: "2026-03-10T00:00:00Z")
        a.facets = Facets(acting: acting)
        return a
    }

    var stage: TrendStage { TrendStage(trends: compileRules(Self.rules)!.trends) }

    func testWindowGroupAndSources() {
        // Windows are 48 h long, counted from the epoch: the one holding 2026-03-02T00:00Z.
        let start = Date(timeIntervalSince1970: (1_772_409_600.0 / 172_800).rounded(.down) * 172_800)
        func at(_ hours: Double) -> String { Timestamp.string(start.addingTimeInterval(hours * 3600)) }
        let three = [alert("a", source: "reuters", published: at(1), acting: ["US"]),
                     alert("b", source: "yonhap", published: at(10), acting: ["US", "JP"]),
                     alert("c", source: "reuters", published: at(47), acting: ["US"])]
        let raised = stage.evaluate(three, now: "2026-03-10T00:00:00Z")
        XCTAssertEqual(raised.count, 1)
        let t = try! XCTUnwrap(raised.first)
        XCTAssertEqual(t.rule.id, "trend.ec")
        XCTAssertEqual(t.rule.severity, .critical)
        XCTAssertEqual(t.facets?.acting, ["US"])
        XCTAssertEqual(t.trend?.group, "US")
        XCTAssertEqual(t.trend?.windowStart, at(0))
        XCTAssertEqual(t.trend?.windowEnd, at(48))
        XCTAssertEqual(t.trend?.articles.map(\.key), ["a", "b", "c"])
        XCTAssertEqual(t.article.key, "trend:trend.ec:US:\(at(0))")
        XCTAssertEqual(t.id, Alert.id(rule: "trend.ec", articleKey: t.article.key), "stable: raised once per window and group")

        // One source only: no trend. The same article twice counts once.
        XCTAssertEqual(stage.evaluate(three.map { var a = $0; a.article.source = "reuters"; return a }, now: "x").count, 0)
        XCTAssertEqual(stage.evaluate([three[0], three[1], three[1]], now: "x").count, 0)
        // The third article one hour into the next window: two windows of two, no trend.
        XCTAssertEqual(stage.evaluate([three[0], three[1], alert("c", source: "reuters", published: at(49), acting: ["US"])], now: "x").count, 0)
        // Another acting government is another group; other tags and trend alerts do not count.
        XCTAssertEqual(stage.evaluate(three.dropLast() + [alert("c", source: "reuters", published: at(47), acting: ["CN"])], now: "x").count, 0)
        XCTAssertEqual(stage.evaluate(three.map { var a = $0; a.rule.tags = ["tariff"]; return a }, now: "x").count, 0)
        XCTAssertFalse(stage.counts(t))
    }

    func testPublicationTimesAsArchivesWriteThem() {
        XCTAssertEqual(TrendStage.published("2020-08-27").map(Timestamp.string), "2020-08-27T00:00:00Z")
        XCTAssertEqual(TrendStage.published("26-MAR-1987 21:36:32.52").map(Timestamp.string), "1987-03-26T21:36:32Z")
        XCTAssertEqual(TrendStage.published("2026-03-02T01:00:00Z").map(Timestamp.string), "2026-03-02T01:00:00Z")
        XCTAssertNil(TrendStage.published("last Tuesday"))
        // Unreadable: the time it was raised.
        var a = alert("x", source: "s", published: "last Tuesday", acting: ["US"])
        a.firstSeen = "2026-03-10T00:00:00Z"
        XCTAssertEqual(Timestamp.string(TrendStage.time(of: a)), "2026-03-10T00:00:00Z")
    }

    func testRaisedOncePerWindowThroughTheStateWithAnInjectedClock() throws {
        let dir = TempDir()
        let set = try XCTUnwrap(compileRules(Self.rules))
        func article(_ id: String, _ source: String, _ published: String) -> String {
            #"{"id":"\#(id)","source":"\#(source)","published":"\#(published)","title":"\#(id)","body":"The U.S. imposed export controls on China."}"#
        }
        let first = dir.write("1.jsonl", [article("a", "reuters", "2026-03-02T01:00:00Z"), article("b", "yonhap", "2026-03-02T05:00:00Z")].joined(separator: "\n") + "\n")
        let second = dir.write("2.jsonl", article("c", "reuters", "2026-03-02T09:00:00Z") + "\n")
        let third = dir.write("3.jsonl", article("d", "nikkei", "2026-03-02T10:00:00Z") + "\n")
        let state = try StateStore.open(path: dir.url("s.sqlite"))
        var clock = Date(timeIntervalSince1970: 1_772_460_000)  // 2026-03-02T14:00Z, fixed per run
        func run(_ path: String) throws -> [Alert] {
            let now = clock
            let pipeline = ScanPipeline(scanner: RuleScanner(ruleSet: set), index: state, context: RunContext(clock: { now }, workingDirectory: dir.path))
            let collector = AlertCollector()
            _ = try pipeline.run([SourceSpec(path)], sinks: [collector])
            return collector.alerts
        }
        // Two articles: no trend yet.
        XCTAssertEqual(try run(first).map { $0.rule.id }, ["ec", "ec"])
        // The third, an hour later, completes the window with the history of the state.
        clock += 3600
        let raised = try run(second)
        XCTAssertEqual(raised.map { $0.rule.id }, ["ec", "trend.ec"])
        XCTAssertEqual(raised.last?.trend?.articles.map { $0.key }, ["a", "b", "c"])
        XCTAssertEqual(raised.last?.firstSeen, Timestamp.string(clock))
        // A fourth article in the same window and group: no second trend alert.
        clock += 3600
        XCTAssertEqual(try run(third).map(\.rule.id), ["ec"])
        XCTAssertEqual(try state.alerts(rule: "trend.ec").count, 1)
    }

    func testStatelessScanFindsTrendsInItsOwnAlerts() throws {
        let dir = TempDir()
        let set = try XCTUnwrap(compileRules(Self.rules))
        var lines: [String] = []
        for (id, source) in [("a", "reuters"), ("b", "yonhap"), ("c", "ap")] {
            lines.append(#"{"id":"\#(id)","source":"\#(source)","published":"2026-03-02T01:00:00Z","title":"\#(id)","body":"China imposed export controls on the United States."}"#)
        }
        let path = dir.write("a.jsonl", lines.joined(separator: "\n") + "\n")
        let collector = AlertCollector()
        _ = try ScanPipeline(scanner: RuleScanner(ruleSet: set), context: RunContext(clock: { Date(timeIntervalSince1970: 1_772_460_000) }, workingDirectory: dir.path))
            .run([SourceSpec(path)], sinks: [collector])
        let trend = try XCTUnwrap(collector.alerts.last)
        XCTAssertEqual(trend.rule.id, "trend.ec")
        XCTAssertEqual(trend.trend?.group, "CN")
        // The report carries it and validates against the schema.
        let report = Report(run: .init(started: "2026-03-02T14:00:00Z", finished: "2026-03-02T14:00:00Z", rules: 1, articles: 3, skipped: 0), alerts: collector.alerts, errors: [])
        let validator = try MiniSchemaValidator(schemaPath: Repo.path("docs/report.schema.json"))
        XCTAssertEqual(validator.validate(try JSONSerialization.jsonObject(with: report.jsonData())), [])
        XCTAssertEqual(String(decoding: ReportEncoder.compact(trend), as: UTF8.self),
                       String(decoding: try Report.encoder(pretty: false).encode(trend), as: UTF8.self), "hand-written encoder = JSONEncoder")
    }

    func testTrendErrors() {
        let d = diagnostics("""
            rules:
              - id: ec
                title: E
                match: x
            trends:
              - id: ec
                tag: export-control
                within: 48h
              - id: t2
                tag: x
                within: 30s
              - id: t3
                within: 1d
              - id: t4
                tag: x
                within: 1d
                group_by: actor
                min_sources: 0
            """)
        func has(_ text: String, line: Int, _ l: UInt = #line) {
            XCTAssertTrue(d.contains { $0.message.contains(text) && $0.mark.line == line }, "no '\(text)' at line \(line): \(d.map(\.description))", line: l)
        }
        has("trend id 'ec' is also a rule id", line: 6)
        has("needs 'within': a window of at least a minute", line: 11)
        has("trend 't3' needs a 'tag'", line: 12)
        has("'group_by' in trend 't4' must be acting, affected or none", line: 17)
    }
}

import Foundation
import XCTest
import YAMLLoader
@testable import PolicyWatch

/// One card per article in the console and Slack output, and the facet filters of reporters.
final class CardAndFilterTests: XCTestCase {
    /// The reporter fixtures' alerts, with facets set by hand (the fixture rules declare none).
    func alerts() throws -> [Alert] {
        var (alerts, _) = try ReporterFixtures.scan()
        for i in alerts.indices {
            alerts[i].facets = Facets(acting: i % 2 == 0 ? ["US"] : ["CN"], affected: ["JP"], sectors: [], stage: i % 3 == 0 ? "in_force" : nil)
        }
        return alerts
    }

    func testCardsGroupByArticleKey() throws {
        let alerts = try alerts()
        let cards = ArticleCard.group(alerts)
        XCTAssertEqual(cards.map(\.article.key), alerts.map(\.article.key).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } })
        XCTAssertEqual(cards.reduce(0) { $0 + $1.alerts.count }, alerts.count)
        for c in cards {
            XCTAssertEqual(c.alerts.map(\.rule.severity), c.alerts.map(\.rule.severity).sorted(by: >), "most severe first")
            XCTAssertEqual(c.severity, c.alerts.map(\.rule.severity).max())
        }
        XCTAssertGreaterThan(alerts.count, cards.count, "the fixture has articles with several alerts")
    }

    func testConsoleShowsEachArticleOnce() throws {
        let alerts = try alerts()
        let (ctx, _) = ReporterFixtures.context()
        let console = try XCTUnwrap(try ReporterRegistry.builtIn.make(ReporterConfig(type: "console"), context: ctx) as? ConsoleReporter)
        let text = console.render(DeliveryBatch(alerts: alerts, run: try ReporterFixtures.scan().run, isDigest: true))
        for c in ArticleCard.group(alerts) where !c.article.title.isEmpty {
            XCTAssertEqual(text.components(separatedBy: c.article.title + "\n").count - 1, 1, "title once: \(c.article.title)")
            for a in c.alerts { XCTAssertTrue(text.contains("(\(a.rule.id))"), a.rule.id) }
        }
        XCTAssertTrue(text.contains("acting CN, US · affected JP"), text)
    }

    func testSlackDigestHasOneSectionPerArticle() throws {
        let alerts = try alerts()
        let payload = SlackMessage.payload(DeliveryBatch(alerts: alerts, run: try ReporterFixtures.scan().run, isDigest: true))
        let blocks = payload["blocks"] as! [[String: Any]]
        let sections = blocks.filter { $0["type"] as? String == "section" }
        XCTAssertEqual(sections.count, ArticleCard.group(alerts).count)
        let text = sections.compactMap { ($0["text"] as? [String: Any])?["text"] as? String }.joined(separator: "\n")
        for a in alerts { XCTAssertTrue(text.contains(SlackMessage.escape(a.rule.title)), a.rule.title) }
    }

    func testReporterFacetFilters() throws {
        let alerts = try alerts()
        let cn = try ReporterConfig.parse(argument: "console[acting=CN,stage=in_force]")
        XCTAssertEqual(cn.facets, FacetFilter(acting: ["CN"], stages: ["in_force"]))
        XCTAssertEqual(alerts.filter(cn.accepts).map(\.id), alerts.filter { $0.facets!.acting == ["CN"] && $0.facets!.stage == "in_force" }.map(\.id))
        XCTAssertFalse(alerts.filter(cn.accepts).isEmpty)
        XCTAssertEqual(alerts.filter(try ReporterConfig.parse(argument: "console[affected=jp]").accepts).count, alerts.count, "codes are upper-cased")
        XCTAssertEqual(alerts.filter(try ReporterConfig.parse(argument: "console[acting=KR]").accepts).count, 0)
        // An alert without facets passes no facet filter, and every alert passes none.
        var bare = alerts[0]
        bare.facets = nil
        XCTAssertFalse(cn.accepts(bare))
        XCTAssertTrue(try ReporterConfig.parse(argument: "console").accepts(bare))
        XCTAssertThrowsError(try ReporterConfig.parse(argument: "console[stage=inforce]")) {
            XCTAssertTrue("\($0)".contains("unknown stage 'inforce'"), "\($0)")
        }
        XCTAssertThrowsError(try ReporterConfig.parse(argument: "console[acting=China]"))
        // In YAML, a list; a bad value points at its key.
        let yaml = try XCTUnwrap(YAMLLoader.load("- type: console\n  acting: [CN, US]\n  stage: in_force\n- type: json\n  path: x.json\n  stage: [soon]\n", file: "p.yaml").first)
        let (configs, diags) = ReporterConfig.parse(yaml: yaml)
        XCTAssertEqual(configs.count, 0)
        XCTAssertTrue(diags.contains { $0.message.contains("unknown stage 'soon'") && $0.mark.line == 6 }, "\(diags)")
        let (ok, none) = ReporterConfig.parse(yaml: try XCTUnwrap(YAMLLoader.load("- type: console\n  acting: [CN, US]\n  stage: in_force\n", file: "p.yaml").first))
        XCTAssertEqual(none.count, 0)
        XCTAssertEqual(ok.first?.facets, FacetFilter(acting: ["CN", "US"], stages: ["in_force"]))
    }
}

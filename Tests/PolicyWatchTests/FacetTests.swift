import Foundation
import XCTest
@testable import PolicyWatch

/// Facets (`facets:` in rule YAML, Matching/FacetExtractor.swift): each facet on small rule
/// sets, the language's errors, and the shipped pack on a seed-like article.
final class FacetTests: XCTestCase {
    static let pack = """
        entities:
          country:
            US: [United States, {term: US, cased: true}, U.S., 미국]
            CN: [China, Chinese, 중국에, 중국은, 中国]
            JP: [Japan, 일본]
            KR: [South Korea, Seoul]
          agency:
            us-bis: [Bureau of Industry and Security, {term: BIS, cased: true}]
            un: [United Nations]
        facets:
          jurisdictions:
            country: id
            agency: {us-bis: US}
          targets:
            before: [on, against]
            after: [에 대한]
            within: 2
            named: {CN: [대중, 対中]}
          venues: [in]
          datelines: [Yonhap]
          stages:
            lifted: [lifted]
            in_force: [took effect]
            announced: [imposed, announced]
          sectors:
            semiconductors: [chip*, 반도체]
            steel: [steel]
        rules:
          - id: ec
            title: Export controls
            tags: [export-control]
            match:
              sentence: [export controls]
        """

    func facets(_ body: String, title: String = "", rules: String = FacetTests.pack, line: UInt = #line) -> Facets? {
        guard let set = compileRules(rules, line: line) else { return nil }
        let alerts = RuleScanner(ruleSet: set).scan(Article(title: title, body: body))
        XCTAssertEqual(alerts.count, 1, "alerts", line: line)
        return alerts.first?.facets
    }

    func testActingIsTheSubjectAndTargetsAreAffected() {
        let f = facets("The Bureau of Industry and Security imposed export controls on China's chip makers.")
        XCTAssertEqual(f?.acting, ["US"])  // the agency acts for its country
        XCTAssertEqual(f?.affected, ["CN"])
        XCTAssertEqual(f?.sectors, ["semiconductors"])
        XCTAssertEqual(f?.stage, "announced")
    }

    func testSeveralSubjectsAndCueAfterTheCountry() {
        XCTAssertEqual(facets("The United States and Japan announced export controls.")?.acting, ["JP", "US"])
        let ko = facets("미국은 중국에 대한 반도체 export controls 를 강화했다.")
        XCTAssertEqual(ko?.acting, ["US"])
        XCTAssertEqual(ko?.affected, ["CN"])
    }

    func testActingPolicyPerTag() {
        // The subject only by default; every country not targeted for a tag declared `all`.
        let body = "The United States announced export controls, and Japan joined them against China."
        XCTAssertEqual(facets(body)?.acting, ["US"])
        let both = FacetTests.pack.replacingOccurrences(of: "  venues: [in]", with: "  venues: [in]\n  acting_by_tag: {export-control: all}")
        XCTAssertEqual(facets(body, rules: both)?.acting, ["JP", "US"])
        XCTAssertEqual(facets(body, rules: both)?.affected, ["CN"])
        let bad = diagnostics(FacetTests.pack.replacingOccurrences(of: "  venues: [in]", with: "  venues: [in]\n  acting_by_tag: {export-control: everyone}"))
        XCTAssertTrue(bad.contains { $0.message.contains("acting policy for tag 'export-control' must be one of subject, first, all") }, "\(bad)")
    }

    func testNamedTargetsVenuesAndDatelines() {
        let f = facets("Seoul, June 10 (Yonhap) -- Talks in Japan: the U.S. extended 대중 export controls.")
        XCTAssertEqual(f?.acting, ["US"])  // not Seoul (dateline), not Japan (venue)
        XCTAssertEqual(f?.affected, ["CN"])
    }

    func testNamesInsideNamesAndCuesInsideNames() {
        // A short name inside another country's full name names only the longer one, and a
        // target cue inside a name (기업 in 중소벤처기업부) marks nothing.
        let rules = FacetTests.pack
            .replacingOccurrences(of: "    un: [United Nations]", with: "    un: [United Nations]\n    cn-mofcom: [商务部]\n    us-doc: [美国商务部]\n    kr-mss: [중소벤처기업부]")
            .replacingOccurrences(of: "agency: {us-bis: US}", with: "agency: {us-bis: US, cn-mofcom: CN, us-doc: US, kr-mss: KR}")
            .replacingOccurrences(of: "after: [에 대한]", with: "after: [에 대한, 기업]")
        XCTAssertEqual(facets("美国商务部 announced export controls.", rules: rules)?.acting, ["US"])
        XCTAssertEqual(facets("商务部 announced export controls.", rules: rules)?.acting, ["CN"])
        let ko = facets("중소벤처기업부는 export controls 를 발표했다.", rules: rules)
        XCTAssertEqual(ko?.acting, ["KR"])
        XCTAssertEqual(ko?.affected, [])
        // The cue still works outside a name: 중국 기업 (Chinese firms) are hit.
        XCTAssertEqual(facets("미국은 중국은 기업 export controls 를 발표했다.", rules: rules)?.affected, ["CN"])
    }

    func testStageOrderAndAbsentStage() {
        // The first declared stage with a cue wins: lifted before announced.
        XCTAssertEqual(facets("China announced that export controls were lifted.")?.stage, "lifted")
        XCTAssertEqual(facets("Export controls on steel took effect.")?.stage, "in_force")
        XCTAssertNil(facets("Export controls are discussed.")?.stage)
    }

    func testOnlyEvidenceSentencesCount() {
        // Japan and steel are in another sentence: not this alert's facets; the title names the sector.
        let f = facets("China tightened export controls. Japan makes steel.", title: "Chip war")
        XCTAssertEqual(f?.acting, ["CN"])
        XCTAssertEqual(f?.sectors, ["semiconductors"])
    }

    func testTitleIsReadWhenTheBodyNamesNoActor() {
        let f = facets("New export controls were imposed.", title: "US export controls on China")
        XCTAssertEqual(f?.acting, ["US"])
        XCTAssertEqual(f?.affected, ["CN"])
    }

    func testNoFacetsSectionNoFacets() {
        let set = compileRules("rules:\n  - id: a\n    title: A\n    match: export controls\n")
        XCTAssertNil(set.flatMap { RuleScanner(ruleSet: $0).scan(Article(title: "", body: "export controls")).first?.facets })
    }

    func testErrorsPointIntoTheFacetsSection() {
        let bad = """
            entities:
              country:
                US: [United States]
              agency:
                us-bis: [BIS]
            facets:
              jurisdictions:
                agency: {us-bis: usa, nope: US}
                person: id
              acting: verb
              targets: {within: 99, named: {China: [대중]}}
              stages:
                in_forse: [took effect]
              colour: red
            """
        let d = diagnostics(bad)
        func has(_ text: String, line: Int, _ l: UInt = #line) {
            XCTAssertTrue(d.contains { $0.message.contains(text) && $0.mark.line == line }, "no '\(text)' at line \(line): \(d.map(\.description))", line: l)
        }
        has("must be an ISO 3166 alpha-2 code", line: 8)
        has("no entity '@agency:nope'", line: 8)
        has("no entities of kind 'person'", line: 9)
        has("'facets.acting' must be one of subject, first", line: 10)
        has("'facets.targets.within' must be a number", line: 11)
        has("'China' is not a jurisdiction code", line: 11)
        has("unknown stage 'in_forse'", line: 13)
        has("unknown key 'colour' in 'facets'", line: 14)
        XCTAssertTrue(d.contains { $0.hint?.contains("in_force") == true }, "hint suggests the stage")
        let twice = diagnostics("facets: {stages: {lifted: [lifted]}}\n---\nfacets: {stages: {lifted: [lifted]}}\n")
        XCTAssertTrue(twice.contains { $0.message.contains("'facets' is declared twice") && $0.mark.line == 3 })
    }

    /// The shipped pack on a seed-like article (a Korean wire story with an English machine
    /// translation): who acts and who is hit in the alerts an analyst reads first.
    func testShippedPackOnSeedLikeArticle() throws {
        let (set, diags) = RuleLoader.compile(paths: [], includeBuiltin: true)
        let rules = try XCTUnwrap(set, "\(diags.filter { $0.level == .error })")
        let (articles, errors) = ArticleReader().read(path: Repo.fixtures + "/facets/seed-like.jsonl")
        XCTAssertEqual(errors.count, 0)
        let alerts = RuleScanner(ruleSet: rules).scan(try XCTUnwrap(articles.first))
        func check(_ rule: String, acting: [String], affected: [String]? = nil, contains: String? = nil, _ l: UInt = #line) {
            guard let a = alerts.first(where: { $0.rule.id == rule }) else {
                return XCTFail("\(rule) did not fire; fired: \(alerts.map(\.rule.id))", line: l)
            }
            XCTAssertEqual(a.facets?.acting, acting, rule, line: l)
            if let affected { XCTAssertEqual(a.facets?.affected, affected, rule, line: l) }
            if let contains { XCTAssertTrue(a.facets?.affected.contains(contains) == true, "\(rule): \(a.facets?.affected ?? [])", line: l) }
        }
        check("export-control.semiconductors", acting: ["US"], affected: ["CN"])
        check("export-control.measures", acting: ["US"], contains: "CN")
        check("investment-screening.reviews", acting: ["JP"], affected: [])
        check("sanctions.measures", acting: ["US"], affected: ["RU"])
        check("sanctions.company-ban", acting: ["CN"])
        check("joint-statement.agreement", acting: ["JP", "US"], affected: [])
        check("joint-statement.statement", acting: ["JP", "US"], affected: [])
    }
}

import XCTest
@testable import PolicyWatch

final class RuleTesterTests: XCTestCase {
    func testFailureDetailNamesOnlyTheRulesOwnTerms() throws {
        let set = try XCTUnwrap(compileRules("""
        rules:
          - id: a.controls
            match: {all: [export control*, chip*]}
            tests:
              - match: New export controls on tariffs.
          - id: b.tariffs
            match: [tariff*]
        """))
        let results = RuleTester(ruleSet: set).run()
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(results[0].status, .failed)
        XCTAssertEqual(results[0].detail, "terms of this rule found, but the expression did not hold: 'export controls' (export control*)")
    }

    func testFailureDetailWhenNoTermOccurs() throws {
        let set = try XCTUnwrap(compileRules("""
        rules:
          - id: a.controls
            match: [export control*]
            tests:
              - match: Tariffs only.
          - id: b.tariffs
            match: [tariff*]
        """))
        XCTAssertEqual(RuleTester(ruleSet: set).run().first?.detail, "no term of this rule occurs in the text")
    }

    /// The same rules with each rule's anchor set replaced by `anchors(rule)`: what a compiler
    /// bug in `Condition.anchors` would produce.
    static func withAnchors(_ set: RuleSet, _ anchors: (CompiledRule) -> Set<Int32>?) -> RuleSet {
        let rules = set.rules.map { r -> CompiledRule in
            var r = r
            r.anchors = anchors(r)
            return r
        }
        return RuleSet(rules: rules, matcher: set.matcher, warnings: set.warnings, regexes: set.regexes,
                       entities: set.entities, disabledRules: set.disabledRules)
    }

    static let anchoredRules = """
    rules:
      - id: a.controls
        match: {all: [export control*, chip*]}
        tests:
          - match: New export controls on chips.
          - no_match: New export controls on tariffs.
      - id: b.tariffs
        match: [tariff*]
    """

    func testAWrongAnchorSetFailsTheRulesTests() throws {
        let set = try XCTUnwrap(compileRules(Self.anchoredRules))
        XCTAssertEqual(RuleTester(ruleSet: set).run().map(\.status), [.passed, .passed])
        // Anchor `a.controls` on the other rule's term: its expression still holds on the test
        // text, but a scan never evaluates it there.
        let tariff = try XCTUnwrap(set.rules.first { $0.rule.id == "b.tariffs" }?.anchors)
        let broken = Self.withAnchors(set) { $0.rule.id == "a.controls" ? tariff : $0.anchors }
        XCTAssertTrue(RuleScanner(ruleSet: broken).scan(Article(title: "", body: "New export controls on chips.")).isEmpty,
                      "the broken rule set really misses the article in a scan")
        let results = RuleTester(ruleSet: broken).run()
        XCTAssertEqual(results.map(\.status), [.failed, .passed])
        XCTAssertEqual(results[0].detail,
                       "the expression holds, but none of the rule's anchor terms occurs, so a scan skips it (a compiler bug: its anchor set is wrong)")
    }

    func testExplainReportsWhatTheScanDoesWithAWrongAnchorSet() throws {
        let set = try XCTUnwrap(compileRules(Self.anchoredRules))
        let article = Article(title: "", body: "New export controls on chips.")
        let good = try XCTUnwrap(Explainer(ruleSet: set).explain(ruleID: "a.controls", article: article))
        XCTAssertTrue(good.fired)
        XCTAssertTrue(good.anchored)
        let broken = Self.withAnchors(set) { $0.rule.id == "a.controls" ? [] : $0.anchors }
        let e = try XCTUnwrap(Explainer(ruleSet: broken).explain(ruleID: "a.controls", article: article))
        XCTAssertFalse(e.anchored)
        XCTAssertFalse(e.fired, "a scan would not raise it")
        XCTAssertTrue(e.root.holds, "the tree still shows that the expression itself holds")
        XCTAssertTrue(e.render().contains("result: did not fire (none of the rule's required terms occurs, so a scan skips it)"), e.render())
    }
}

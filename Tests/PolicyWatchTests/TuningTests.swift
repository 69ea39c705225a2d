import XCTest
@testable import PolicyWatch

/// Tuning a shipped pack without forking it, validate warnings, and `explain`.
final class TuningTests: XCTestCase {
    static let shipped = """
    lists:
      chips: [semiconductor*, chip, chips, 반도체]
    entities:
      country:
        CN: [China, 중국]
    rules:
      - id: pack.export-control
        match: {all: [export control*, $chips]}
      - id: pack.noisy
        match: [chips]
    """

    func parse(_ text: String, path: String) -> (RuleFile?, [Diagnostic]) {
        var p = RuleParser(path: path)
        let f = p.parse(text: text)
        return (f, p.diagnostics)
    }

    func compile(user: String) -> (RuleSet?, [Diagnostic]) {
        let (a, da) = parse(Self.shipped, path: "builtin:rules/pack.yaml")
        let (b, db) = parse(user, path: "mine.yaml")
        let (set, dc) = Compiler.compile([a, b].compactMap { $0 })
        return (set, da + db + dc)
    }

    func testDisableAShippedRuleAndExtendAShippedList() throws {
        let (set, diags) = compile(user: """
        disable: [pack.noisy]
        extend:
          lists:
            chips: [wafer*, 웨이퍼]
          entities:
            country:
              CN: [PRC, 中华人民共和国]
        rules:
          - id: mine.cn-wafers
            match: {all: ['@country:CN', $chips]}
        """)
        XCTAssertEqual(diags.filter { $0.level == .error }.map(\.description), [])
        let s = try XCTUnwrap(set)
        XCTAssertEqual(s.rules.map(\.rule.id), ["mine.cn-wafers", "pack.export-control"])
        XCTAssertEqual(s.disabledRules, ["pack.noisy"])
        let scanner = RuleScanner(ruleSet: s)
        // The shipped rule sees the extended list...
        XCTAssertEqual(scanner.scan(Article(title: "", body: "New export controls on wafers.")).map(\.rule.id), ["pack.export-control"])
        XCTAssertEqual(scanner.scan(Article(title: "", body: "웨이퍼 수출 export controls")).map(\.rule.id), ["pack.export-control"])
        // ...and the extended entity.
        XCTAssertEqual(scanner.scan(Article(title: "", body: "The PRC buys wafers.")).map(\.rule.id), ["mine.cn-wafers"])
        XCTAssertEqual(scanner.scan(Article(title: "", body: "中华人民共和国 chips")).first?.entities, ["country": ["CN"]])
        // The disabled rule never fires.
        XCTAssertTrue(scanner.scan(Article(title: "", body: "chips")).isEmpty)
    }

    func testTuningMistakesAreReported() {
        let (set, diags) = compile(user: """
        disable: [pack.nosiy]
        extend:
          lists:
            chip: [wafer]
          entities:
            country:
              KR: [Korea]
        """)
        XCTAssertNil(set)
        let text = diags.map(\.description).joined(separator: "\n")
        XCTAssertTrue(text.contains("mine.yaml:1:11: warning: disable: no rule has the id 'pack.nosiy'\n  hint: did you mean 'pack.noisy'?"), text)
        XCTAssertTrue(text.contains("mine.yaml:4:5: error: extend: list 'chip' is not defined\n  hint: did you mean 'chips'? defined lists: chips"), text)
        XCTAssertTrue(text.contains("mine.yaml:7:7: error: extend: entity '@country:KR' is not defined\n  hint: defined country ids: CN"), text)
    }

    func testTodoCasesRecordGapsWithoutFailing() throws {
        let set = try XCTUnwrap(compileRules("""
        rules:
          - id: t.todo
            match: [export control*]
            tests:
              - match: New export controls.
              - todo_match: 수출 통제가 강화됐다
              - todo_no_match: export controls on CSV files
              - todo_no_match: nothing here
        """))
        let results = RuleTester(ruleSet: set).run()
        XCTAssertEqual(results.map(\.status), [.passed, .todo, .todo, .fixedTodo])
        XCTAssertFalse(results.contains { $0.status == .failed })
    }

    // MARK: - validate warnings

    func warnings(_ match: String) -> [String] {
        problems("match: " + match, level: .warning).map(\.message)
    }

    func testWarningsForTermsNormalisationOrTheMatcherChange() {
        XCTAssertEqual(warnings("{none: [chips]}"), ["rule 't.rule' has no term that must occur, so it runs on every article"])
        XCTAssertTrue(warnings("[ch*]").contains("wildcard on fewer than three letters ('ch*') matches very many words"))
        XCTAssertTrue(warnings("[Gina Raimondo~1]").contains("'~1' on 'Gina Raimondo' is ignored: typo tolerance applies to single words"))
        XCTAssertTrue(warnings("[Wang~1]").contains("'~1' on 'Wang' is ignored: names under five letters get no typo tolerance"))
        XCTAssertTrue(warnings("[레이몬도~1]").contains("'~1' on '레이몬도' is ignored: typo tolerance applies to words of spaced scripts"))
        XCTAssertTrue(warnings("[반도체*]").contains("the '*' in '반도체*' does nothing: Korean, Japanese and Chinese terms already match inside words"))
        XCTAssertTrue(warnings("[ex*port]").contains("'*' inside 'ex*port' is matched as a literal asterisk: wildcards work only at the end of a term"))
        XCTAssertTrue(warnings("{all: [chips, {regex: 'export\\ncontrols'}]}").contains { $0.hasPrefix("regex 'export\\ncontrols' can never match here: '\\n' never occurs") })
        XCTAssertTrue(warnings("{all: [chips, {regex: '공동 로드맵'}]}").contains { $0.contains("a space between two Korean, Japanese or Chinese characters never occurs") })
        XCTAssertEqual(warnings("{all: [chips, export control*]}"), [])
        // Warnings do not stop a scan; errors do.
        XCTAssertEqual(problems("match: [Gina Raimondo~1]").count, 0)
    }

    func testRegexWarningPointsInsideThePattern() {
        let w = problems("match: {all: [chips, {regex: 'a  b'}]}", level: .warning).first { $0.message.contains("two spaces") }
        XCTAssertEqual(w.map { "\($0.mark.line):\($0.mark.column)" }, "15:36")
    }

    // MARK: - explain

    func testExplainShowsEachNodeWithEvidenceAndSentence() throws {
        let set = try XCTUnwrap(Lang.matchSet("{all: [{near: [$controls, $chips], within: 3}, '@country:US'], none: [{sentence: [$denials, $controls]}]}"))
        let article = Article(id: "x", title: "Chip curbs",
                              body: "The U.S. Commerce Department tightened export controls on advanced chips. China denied nothing.")
        let e = try XCTUnwrap(Explainer(ruleSet: set).explain(ruleID: "t.rule", article: article))
        XCTAssertTrue(e.fired)
        XCTAssertEqual(e.root.label, "all")
        XCTAssertEqual(e.root.children.map(\.label), ["near: within 3 words", "@country:US", "none"])
        let near = e.root.children[0]
        XCTAssertEqual(near.evidence.map(\.match.text), ["export controls", "chips"])
        XCTAssertEqual(near.evidence[0].match.start, 39)
        XCTAssertEqual(near.evidence[0].sentence, "\"The U.S. Commerce Department tightened export controls on advanced chips.\"")
        let none = e.root.children[2]
        XCTAssertTrue(none.holds)
        XCTAssertEqual(none.children[0].label, "sentence")
        XCTAssertFalse(none.children[0].holds)
        XCTAssertEqual(none.children[0].note, "every operand holds somewhere, but not inside one sentence")
        XCTAssertEqual(e.entities, ["country": ["CN", "US"]])
        let text = e.render()
        XCTAssertTrue(text.contains("result: FIRED"), text)
        XCTAssertTrue(text.contains("    [+] near: within 3 words\n          body 39-54 \"export controls\" (export control*)\n            in: \"The U.S. Commerce Department tightened export controls on advanced chips.\""), text)
        XCTAssertTrue(text.contains("[-] sentence  (every operand holds somewhere, but not inside one sentence)"), text)
    }

    func testExplainWhyARuleDidNotFire() throws {
        let set = try XCTUnwrap(Lang.matchSet("{near: [$controls, $chips], within: 2, ordered: true}"))
        let e = try XCTUnwrap(Explainer(ruleSet: set).explain(ruleID: "t.rule", article: Lang.article("Chips face new export controls.")))
        XCTAssertFalse(e.fired)
        XCTAssertEqual(e.root.note, "every operand occurs, but never that close in this order")
        XCTAssertTrue(e.root.children.allSatisfy(\.holds))
        let skipped = try XCTUnwrap(Explainer(ruleSet: set).explain(ruleID: "t.rule", article: Lang.article("Nothing relevant.")))
        XCTAssertFalse(skipped.anchored)
        XCTAssertTrue(skipped.render().contains("result: did not fire (none of the rule's required terms occurs, so a scan skips it)"))
        XCTAssertNil(Explainer(ruleSet: set).explain(ruleID: "no.such", article: Lang.article("x")))
    }

    func testExplainShowsTheSentenceThatHeldAndMixedLanguages() throws {
        let set = try XCTUnwrap(Lang.matchSet("{sentence: [미국, $controls], language: ko}"))
        let a = Lang.article("회의가 열렸다. 미국은 반도체 수출 통제를 강화했다. The US tightened export controls.")
        let e = try XCTUnwrap(Explainer(ruleSet: set).explain(ruleID: "t.rule", article: a))
        XCTAssertTrue(e.fired)
        XCTAssertEqual(e.root.children[0].note, "shown in the first sentence where all hold: body \"미국은 반도체 수출 통제를 강화했다.\"")
        XCTAssertEqual(e.root.children[1].note, "article language: mixed (en, ko)")
    }
}

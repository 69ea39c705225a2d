import XCTest
@testable import PolicyWatch

/// Every operator of rule format 1, in English, Korean and Japanese or Chinese.
final class OperatorTests: XCTestCase {
    // MARK: all, any, none

    func testAllAnyNone() {
        let rule = "{all: [$controls, $chips], none: [{any: [to csv, CSV로, 导出表格]}]}"
        expect(match: rule,
               fires: ["New export controls on chips.", "반도체 수출 통제를 강화했다", "半導体の輸出規制", "芯片出口管制"],
               not: ["New export controls.", "반도체 수출", "Export controls to CSV for chips", "반도체 수출 통제 자료를 CSV로 내보냈다", "芯片出口管制导出表格"])
    }

    // MARK: near

    func testNearEnglish() {
        expect(match: "{near: [$controls, $chips], within: 3}",
               fires: ["Washington tightened export controls on advanced chips.", "Chips face export restrictions."],
               not: ["Export controls were discussed at length in Geneva, and later the talk turned to chips."])
        // Default distance is 10 words.
        expect(match: "{near: [joint roadmap, chip*]}",
               fires: ["a joint roadmap for the next generation of advanced chips"],
               not: ["a joint roadmap was signed on Tuesday after two days of talks between the two ministers; separately chips"])
        // within: 0 means adjacent.
        expect(match: "{near: [export, controls], within: 0}", fires: ["export controls"], not: ["export of controls"])
    }

    func testNearOrderedMustFailWhenReversed() {
        let ordered = "{near: [$controls, $chips], within: 5, ordered: true}"
        expect(match: ordered, fires: ["new export controls on chips"], not: ["chips face new export controls"])
        expect(match: "{near: [$controls, $chips], within: 5}", fires: ["chips face new export controls"], not: [])
        expect(match: "{near: [반도체, 수출 통제], within: 2, ordered: true}",
               fires: ["미국이 반도체 수출 통제를 강화했다"], not: ["미국이 수출 통제를 반도체에 적용했다"])
        expect(match: "{near: [美国, 出口管制], within: 4, ordered: true}", fires: ["美国加强出口管制"], not: ["出口管制由美国加强"])
    }

    func testNearKoreanParticlesAndSpacing() {
        // Hits inside words with particles ("반도체에", "수출통제를") count at their word;
        // Korean words are counted by their original spaces, so spacing variants measure alike.
        let rule = "{near: [반도체, 수출 통제], within: 1}"
        expect(match: rule,
               fires: ["미국이 반도체에 대한 수출통제를 강화했다", "반도체 수출 통제", "반도체수출통제를", "미국의 수출 통제가 반도체를 겨냥했다"],
               not: ["미국이 반도체 업계와 오랜 논의 끝에 수출 통제를 발표했다"])
        expect(match: "{near: [$controls, '@country:CN'], within: 2}",
               fires: ["중국에 대한 수출 통제를 강화했다"], not: ["중국은 오늘 여러 분야에서 새로운 협력과 함께 수출 통제를 논의했다"])
    }

    func testNearChineseAndJapaneseCountHalfWordsPerCharacter() {
        // 美国 [加强对芯片的] 出口管制: six Han characters between = three words.
        expect(match: "{near: [美国, 出口管制], within: 3}", fires: ["美国加强对芯片的出口管制"], not: [])
        expect(match: "{near: [美国, 出口管制], within: 2}", fires: [], not: ["美国加强对芯片的出口管制"])
        // 米国 [は半導体の] 輸出規制: five half-words = 2.5 words.
        expect(match: "{near: [米国, 輸出規制], within: 3}", fires: ["米国は半導体の輸出規制を強化した"], not: [])
        expect(match: "{near: [米国, 輸出規制], within: 2}", fires: [], not: ["米国は半導体の輸出規制を強化した"])
    }

    func testNearBetweenGroups() {
        expect(match: "{near: [{any: [ban, bans, banned, 금지]}, {any: [Micron, 마이크론, 美光]}], within: 3}",
               fires: ["China banned Micron products", "Micron faces a ban", "중국은 마이크론 제품 사용을 금지했다"],
               not: ["Micron reported earnings; elsewhere in the report, a ban on exports of gallium was noted by officials"])
        // A group may itself be a near: nested proximity.
        expect(match: "{near: [{near: [joint, roadmap], within: 0}, $chips], within: 4}",
               fires: ["a joint roadmap for chips"], not: ["a joint plan and a roadmap for chips"])
    }

    func testNearOperandsMustFindText() {
        let e = problems("match: {near: [chips, {none: [ban]}]}")
        XCTAssertEqual(e.first?.message, "an operand of 'near' in rule 't.rule' must find text ('none' and 'language' have no position)")
        XCTAssertTrue(problems("match: {near: [chips]}").contains { $0.message.contains("needs at least two operands") })
        XCTAssertTrue(problems("match: {near: [a, b], within: many}").contains { $0.message.contains("'within' in rule 't.rule' must be a number") })
        XCTAssertTrue(problems("match: {all: [a], within: 3}").contains { $0.message == "'within' in rule 't.rule' goes with 'near', which is missing" })
    }

    // MARK: sentence and paragraph

    func testSentenceEnglishHoldsAcrossUSAndFailsAcrossABreak() {
        let rule = "{sentence: ['@country:US', $controls]}"
        expect(match: rule,
               fires: ["The U.S. Commerce Department announced new export controls.",
                       "Mr. Lee said the U.S. would tighten export controls on Monday."],
               not: ["The talks ended in the U.S. The export controls came later.", "Officials met in the U.S. on Monday. Export controls came a week later."])
    }

    func testSentenceKoreanJapaneseChinese() {
        expect(match: "{sentence: [미국, 수출 통제]}", fires: ["미국은 반도체 수출 통제를 강화했다."],
               not: ["미국은 회의를 열었다. 수출 통제는 논의되지 않았다."])
        expect(match: "{sentence: [米国, 輸出規制]}", fires: ["米国は輸出規制を強化した。"], not: ["米国は会議を開いた。輸出規制は議題ではなかった。"])
        expect(match: "{sentence: [美国, 出口管制]}", fires: ["美国加强了出口管制。"], not: ["美国召开了会议！出口管制没有讨论。"])
    }

    func testSentenceExceptionInNone() {
        // The rule language promises "not when a denial is in the same sentence".
        expect(match: "{all: [$controls, $chips], none: [{sentence: [$denials, $controls]}]}",
               fires: ["New export controls on chips took effect. Officials denied any link to the summit."],
               not: ["Beijing denied that export controls on chips were discussed."])
        expect(match: "{all: [$controls, $chips], none: [{sentence: [$denials, $controls]}]}",
               fires: ["반도체 수출 통제가 시행됐다. 정부는 관련설을 부인했다."],
               not: ["정부는 반도체 수출 통제 논의를 부인했다."])
    }

    func testParagraph() {
        let rule = "{paragraph: [$controls, $chips]}"
        expect(match: rule, fires: ["Export controls tightened. Chip stocks fell."],
               not: ["Export controls tightened.\n\nChip stocks fell on other news."])
        expect(match: rule, fires: ["수출 통제가 강화됐다. 반도체 주가가 내렸다."], not: ["수출 통제가 강화됐다.\n\n반도체 주가가 내렸다."])
        expect(match: rule, fires: ["出口管制加强了。芯片股价下跌。"], not: ["出口管制加强了。\n\n芯片股价下跌。"])
    }

    // MARK: at_least

    func testAtLeast() {
        let rule = "{at_least: 2, of: [sanction*, tariff*, $controls, 제재, 관세, 制裁, 関税]}"
        expect(match: rule, fires: ["New sanctions and tariffs.", "제재와 관세를 발표했다", "制裁と関税を発表した", "sanctions and 관세"],
               not: ["New sanctions only.", "제재만 발표했다", "sanctions and more sanctions"])
        // `of: $list` counts distinct terms of the list.
        expect(match: "{at_least: 2, of: $chips}", fires: ["chips and semiconductors", "반도체와 芯片"], not: ["chips, chips and more chips"])
        XCTAssertEqual(problems("match: {at_least: 4, of: [a, b, c]}").first?.message,
                       "'at_least: 4' in rule 't.rule' can never hold: 'of' has only 3 operands")
        XCTAssertEqual(problems("match: {at_least: 2}").first?.message, "'at_least' in rule 't.rule' needs 'of' with the operands to count")
        XCTAssertEqual(problems("match: {at_least: 8, of: $chips}").first?.message,
                       "'at_least: 8' can never hold: list '$chips' has only 7 distinct terms")
        XCTAssertEqual(problems("match: {at_least: two, of: [a, b]}").first?.message.hasPrefix("'at_least' in rule 't.rule' must be a whole number"), true)
    }

    // MARK: fields and language

    func testTitleAndBodyScopes() {
        let set = Lang.matchSet("{title: [ban, 금지, 禁止], body: $chips}")
        XCTAssertTrue(Lang.fires(set, Lang.article("Micron chips are affected.", title: "China announces ban")))
        XCTAssertTrue(Lang.fires(set, Lang.article("마이크론 반도체가 대상이다.", title: "중국, 마이크론 사용 금지")))
        XCTAssertTrue(Lang.fires(set, Lang.article("美光芯片受影响。", title: "中国禁止使用美光产品")))
        XCTAssertFalse(Lang.fires(set, Lang.article("A ban on Micron chips.", title: "China and Micron")), "ban only in the body")
        XCTAssertFalse(Lang.fires(set, Lang.article("Nothing here.", title: "Chip ban")), "chips only in the title")
        let evidence = Lang.evidence(set, Lang.article("Micron chips are affected.", title: "China announces ban"))
        XCTAssertEqual(evidence, ["ban", "chips"])
    }

    func testLanguageFilter() {
        let set = Lang.matchSet("{all: [$chips], language: [ko, ja]}")
        XCTAssertTrue(Lang.fires(set, Lang.article("반도체 수출", language: "ko")))
        XCTAssertTrue(Lang.fires(set, Lang.article("chips", language: "ko-KR")), "region subtags match their language")
        XCTAssertTrue(Lang.fires(set, Lang.article("半導体の輸出")), "detected ja")
        XCTAssertFalse(Lang.fires(set, Lang.article("chips and more chips")), "detected en")
        XCTAssertFalse(Lang.fires(set, Lang.article("芯片出口")), "detected zh")
        // A Korean article with an English translation below it is `mixed`: it holds Korean.
        let mixed = Lang.article("미국은 반도체 수출 통제를 강화했다. The United States tightened export controls on chips.")
        XCTAssertEqual(mixed.language, "mixed")
        XCTAssertTrue(Lang.fires(set, mixed))
        XCTAssertFalse(Lang.fires(Lang.matchSet("{all: [$chips], language: [zh]}"), mixed))
        XCTAssertTrue(Lang.fires(Lang.matchSet("{all: [$chips], language: mixed}"), mixed))
        XCTAssertEqual(problems("match: {all: [a], language: [Korean!]}").first?.message, "invalid language code 'Korean!' in rule 't.rule'")
    }

    // MARK: regex

    func testRegexInFourLanguages() {
        expect(match: "{all: [$chips, {regex: '\\b\\d{1,2} ?nm\\b'}]}", fires: ["3-nm chips", "chips on a 5 nm process"], not: ["chips at 300 nm", "chips"])
        expect(match: "{regex: '수출\\s?(통제|규제)'}", fires: ["반도체 수출 규제를", "수출통제"], not: ["수출 증가"])
        expect(match: "{regex: '出口(管制|限制)'}", fires: ["美国加强出口限制"], not: ["出口增长"])
        expect(match: "{regex: '輸出(規制|管理)'}", fires: ["政府は輸出管理を強化"], not: ["輸出が増加"])
        // Evidence shows the match as it is in the original text.
        XCTAssertEqual(Lang.evidence(Lang.matchSet("{regex: 'export(ed|s)? controls?'}"), Lang.article("New Export-Controls today")), ["Export-Controls"])
    }

    func testRegexInABlockScalar() throws {
        let set = try XCTUnwrap(compileRules("rules:\n  - id: b.one\n    match:\n      regex: |\n        export(ed|s)? controls?\n"))
        XCTAssertTrue(Lang.fires(set, Lang.article("New export controls.")), "the block's final line break is not part of the pattern")
    }

    func testRegexThatWouldBacktrackExponentiallyIsRefused() {
        let e = problems("match: {regex: '(a+)+b'}")
        XCTAssertEqual(e.count, 1)
        XCTAssertEqual(e.first?.message, "invalid regex in rule 't.rule': the regex may take exponential time: '(a+)+' can match the same text in more than one way")
        XCTAssertEqual(e.first.map { "\($0.mark.line):\($0.mark.column)" }, "15:21", "points at the repetition inside the pattern")
        XCTAssertTrue(problems("match: {regex: '(\\w+\\s?)+$'}").first?.message.contains("exponential") ?? false)
        XCTAssertTrue(problems("match: {regex: '(a|a)*x'}").first?.message.contains("exponential") ?? false)
        XCTAssertTrue(problems("match: {regex: '(a)\\1'}").first?.message.contains("backreferences") ?? false)
    }

    func testRegexLiteralsAnchorTheRule() throws {
        let set = try XCTUnwrap(Lang.matchSet("{regex: 'export(ed|s)? controls?'}"))
        XCTAssertNotNil(set.rules[0].anchors, "the literal ' control' anchors the rule: articles without it are skipped")
        let unanchored = try XCTUnwrap(Lang.matchSet("{regex: '\\d+ ?nm'}"))
        XCTAssertNil(unanchored.rules[0].anchors)
        XCTAssertTrue(unanchored.warnings.contains { $0.message == "rule 't.rule' has no term that must occur, so it runs on every article" })
    }

    func testNoArticleMakesARegexHang() throws {
        // A long run with no match, on an accepted pattern: linear time, bounded by the step budget.
        let set = Lang.matchSet("{regex: '(\\w+ )+zz'}")
        let text = String(repeating: "abc ", count: 50_000)
        let start = Date()
        XCTAssertFalse(Lang.fires(set, Lang.article(text)))
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
    }

    // MARK: acronyms and typos

    func testCasedAcronymsDoNotMatchLowerCaseWords() {
        expect(match: "[{term: BIS, cased: true}]", fires: ["The BIS added firms to the list."], not: ["bis repetita", "Bis morgen"])
        expect(match: "['@country:US']", fires: ["US firms", "미국 정부", "the U.S. market", "美国政府"], not: ["let us know", "Us and them"])
        // Korean has no case: a cased Korean term still matches, and validate warns.
        expect(match: "[{term: 미국, cased: true}]", fires: ["미국 정부"], not: [])
        XCTAssertTrue(problems("match: [{term: 미국, cased: true}]", level: .warning).contains { $0.message.contains("'cased' has no effect on '미국'") })
    }

    func testTyposInNames() {
        expect(match: "['@person:raimondo']", fires: ["Raimondo said", "Raymondo said", "레이몬도 장관", "라이몬도 장관"], not: ["Lemondo said", "Redmond"])
        expect(match: "[Raimondo~2]", fires: ["Lemondo said", "Raymondo said"], not: ["Richmond said"])
        expect(match: "[Lutnick~1]", fires: ["Lutnik said", "Lutnick said"], not: ["Lubnik said"])
    }

    // MARK: entities

    func testEntitiesInExpressionsAndReports() throws {
        let set = try XCTUnwrap(Lang.matchSet("{all: ['@country:CN', $controls]}"))
        let a = Lang.article("중국은 미국의 수출 통제를 비판했다. Raymondo met Japanese officials.")
        let alerts = RuleScanner(ruleSet: set).scan(a)
        XCTAssertEqual(alerts.count, 1)
        XCTAssertEqual(alerts[0].entities, ["country": ["CN", "JP", "US"], "person": ["raimondo"]])
        XCTAssertTrue(Lang.fires(set, Lang.article("中国反对出口管制")))
        XCTAssertFalse(Lang.fires(set, Lang.article("日本の輸出規制")))
        // The report carries them.
        let json = String(decoding: try Report.encoder().encode(alerts[0]), as: UTF8.self)
        XCTAssertTrue(json.contains("\"entities\" : {\n    \"country\" : [\n      \"CN\",\n      \"JP\",\n      \"US\"\n    ]"), json)
        let report = Report(run: .init(started: "2026-01-02T03:04:05Z", finished: "2026-01-02T03:04:05Z", rules: 1, articles: 1, skipped: 0),
                            alerts: alerts, errors: [])
        let validator = try MiniSchemaValidator(schemaPath: Repo.path("docs/report.schema.json"))
        XCTAssertEqual(validator.validate(try JSONSerialization.jsonObject(with: report.jsonData())), [])
    }

    func testUndefinedEntitiesArePositionedWithHints() {
        let e = problems("match: ['@country:KR']")
        XCTAssertEqual(e.first?.message, "entity '@country:KR' is not defined")
        XCTAssertEqual(e.first?.hint, "defined country ids: CN, JP, US")
        XCTAssertEqual(e.first.map { "\($0.mark.line):\($0.mark.column)" }, "15:13")
        XCTAssertEqual(problems("match: ['@county:CN']").first?.hint, "did you mean '@country:'? defined kinds: country, person")
        XCTAssertEqual(problems("match: ['@person:raimond']").first?.hint, "did you mean '@person:raimondo'? defined person ids: lutnick, raimondo")
        let dup = diagnostics(Lang.prelude + "  extra: 1\n")
        XCTAssertFalse(dup.isEmpty)
    }

    // MARK: operator names

    func testUnknownOperatorsSuggestTheNearestOne() {
        XCTAssertEqual(problems("match: {neer: [a, b]}").first?.hint, "did you mean 'near'?")
        XCTAssertEqual(problems("match: {sentense: [a, b]}").first?.hint, "did you mean 'sentence'?")
        XCTAssertEqual(problems("match: {atleast: 2, of: [a, b]}").first?.hint, "did you mean 'at_least'?")
        XCTAssertEqual(problems("match: {reqex: 'a+b'}").first?.hint, "did you mean 'regex'?")
        XCTAssertEqual(problems("match: {langauge: [ko]}").first?.hint, "did you mean 'language'?")
        XCTAssertEqual(problems("match: {all: [a], of: [b]}").first?.message, "'of' in rule 't.rule' goes with 'at_least', which is missing")
        XCTAssertEqual(problems("match: {all: [a], cased: true}").first?.message, "'cased' in rule 't.rule' goes with 'term'")
    }

    func testQueryAsAnOperatorInsideMatch() {
        expect(match: "{all: [{query: '\"joint roadmap\" NEAR/5 $chips'}], language: [ko, en]}",
               fires: ["a joint roadmap for chips"], not: ["a joint roadmap for batteries"])
    }
}

import XCTest
@testable import PolicyWatch

/// Helpers for the rule-language tests: one rule over shared lists and entities.
enum Lang {
    static let prelude = """
    lists:
      chips: [semiconductor*, chip, chips, 반도체, 半導体, 半导体, 芯片]
      controls: [export control*, export restriction*, 수출 통제, 수출 규제, 輸出規制, 出口管制]
      denials: [deny, denies, denied, 부인, 否认, 否定]
    entities:
      country:
        CN: [China, Chinese, 중국, 中国]
        US: [{term: US, cased: true}, United States, U.S., 미국, 米国, 美国]
        JP: [Japan, Japanese, 일본, 日本]
      person:
        raimondo: [Raimondo~1, 레이몬도, 라이몬도]
        lutnick: [Lutnick~1]

    """

    /// A rule set with one rule `t.rule` whose body (`match: ...` or `query: ...`) is `body`.
    static func ruleSet(_ body: String, file: String = "t.yaml", line: UInt = #line) -> RuleSet? {
        compileRules(prelude + "rules:\n  - id: t.rule\n    " + body + "\n", file: file, line: line)
    }

    static func matchSet(_ match: String, line: UInt = #line) -> RuleSet? { ruleSet("match: " + match, line: line) }

    static func querySet(_ query: String, line: UInt = #line) -> RuleSet? {
        // Single quotes in YAML: a quote inside is doubled.
        ruleSet("query: '" + query.replacingOccurrences(of: "'", with: "''") + "'", line: line)
    }

    static func article(_ body: String, title: String = "", language: String? = nil) -> Article {
        Article(id: "t", title: title, body: body, language: language)
    }

    /// Whether the set's only rule fires on the article.
    static func fires(_ set: RuleSet?, _ a: Article) -> Bool {
        guard let set else { return false }
        return !RuleScanner(ruleSet: set).scan(a).isEmpty
    }

    /// The matched texts of the alert (empty when it does not fire).
    static func evidence(_ set: RuleSet?, _ a: Article) -> [String] {
        guard let set else { return [] }
        return RuleScanner(ruleSet: set).scan(a).first?.matches.map(\.text) ?? []
    }
}

extension XCTestCase {
    /// Checks a match expression against texts that must and must not fire it.
    func expect(match: String, fires yes: [String], not no: [String], line: UInt = #line) {
        let set = Lang.matchSet(match, line: line)
        XCTAssertNotNil(set, "rule did not compile: \(match)", line: line)
        for t in yes { XCTAssertTrue(Lang.fires(set, Lang.article(t)), "\(match) should fire on: \(t)", line: line) }
        for t in no { XCTAssertFalse(Lang.fires(set, Lang.article(t)), "\(match) should not fire on: \(t)", line: line) }
    }

    /// The messages of the errors (or warnings) of rule text built from the shared prelude.
    func problems(_ body: String, level: Diagnostic.Level = .error) -> [Diagnostic] {
        diagnostics(Lang.prelude + "rules:\n  - id: t.rule\n    " + body + "\n").filter { $0.level == level }
    }
}

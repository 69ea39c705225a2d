import XCTest
import PolicyMatcher
@testable import PolicyWatch

final class ScanTests: XCTestCase {
    let rules = """
    lists:
      chips: [semiconductor*, chip, chips, 반도체, 半導体, 半导体, 芯片]
    rules:
      - id: export-control.semiconductors
        title: Export controls on semiconductors
        severity: high
        tags: [export-control]
        match:
          all:
            - any: [export control*, export restriction*, 수출 통제, 輸出規制, 出口管制]
            - $chips
          none: [export to csv]
    """

    func fired(_ text: String, title: String = "") -> Bool {
        guard let set = compileRules(rules) else { return false }
        return !RuleScanner(ruleSet: set).scan(Article(title: title, body: text)).isEmpty
    }

    func testEnglishKoreanJapaneseChinese() {
        XCTAssertTrue(fired("Washington tightened export controls on advanced chips."))
        XCTAssertTrue(fired("미국 정부가 반도체 수출통제를 강화했다."))
        XCTAssertTrue(fired("미국 정부가 반도체를 겨냥한 수출 통제를 강화했다."))
        XCTAssertTrue(fired("政府は半導体の輸出規制を強化した。"))
        XCTAssertTrue(fired("美国加强对芯片的出口管制。"))
    }

    func testNoneAndFalseFriends() {
        XCTAssertFalse(fired("Export the table to CSV before the chip shortage meeting."))
        XCTAssertFalse(fired("Export controls were discussed."), "needs a chip term too")
        XCTAssertTrue(fired("Chip ex\u{00AD}port con\u{200B}trols"), "soft hyphens and zero-width spaces are invisible")
    }

    func testEvidenceOffsetsAreCodePointsIntoOriginal() throws {
        let set = try XCTUnwrap(compileRules(rules))
        let body = "“Lead” 🇰🇷 미국은 반도체  수출 통제를 강화. US export-controls on chips."
        let alerts = RuleScanner(ruleSet: set).scan(Article(title: "", body: body))
        XCTAssertEqual(alerts.count, 1)
        let scalars = Array(body.unicodeScalars)
        for m in alerts[0].matches {
            XCTAssertEqual(String(String.UnicodeScalarView(scalars[m.start..<m.end])), m.text)
        }
        XCTAssertEqual(Set(alerts[0].matches.map(\.text)), ["반도체", "수출 통제", "export-controls", "chips"])
    }

    func testAlertIdsAreStable() {
        XCTAssertEqual(Alert.id(rule: "a.b", articleKey: "https://example.com/x"), Alert.id(rule: "a.b", articleKey: "https://example.com/x"))
        XCTAssertNotEqual(Alert.id(rule: "a.b", articleKey: "k1"), Alert.id(rule: "a.b", articleKey: "k2"))
        XCTAssertEqual(Alert.id(rule: "a", articleKey: "b").count, 16)
    }

    func testArticleKeys() {
        XCTAssertEqual(Article(id: "7", title: "t", body: "b", url: "https://x.test/a").key, "https://x.test/a")
        XCTAssertEqual(Article(id: "7", title: "t", body: "b").key, "7")
        XCTAssertTrue(Article(title: "t", body: "b").key.hasPrefix("hash:"))
    }

    func testLanguageDetection() {
        XCTAssertEqual(LanguageDetector.detect("미국 정부가 반도체 수출을 통제했다"), "ko")
        XCTAssertEqual(LanguageDetector.detect("政府は半導体の輸出規制を強化した"), "ja")
        XCTAssertEqual(LanguageDetector.detect("美国加强对芯片的出口管制"), "zh")
        XCTAssertEqual(LanguageDetector.detect("The United States tightened controls"), "en")
        XCTAssertEqual(LanguageDetector.detect("미국 정부가 반도체 수출을 통제했다. The United States tightened controls"), "mixed")
    }
}

import XCTest
@testable import PolicyMatcher

final class TermMatcherTests: XCTestCase {
    /// The original-text spans of every hit of `terms` in `text`.
    func find(_ terms: [TermSpec], in text: String) -> [String] {
        let m = TermMatcher(terms: terms.map(CompiledTerm.init))
        var n = TextNormalizer()
        let t = n.normalize(text)
        let scalars = Array(text.unicodeScalars)
        return m.find(in: t, original: text).map { h in
            String(String.UnicodeScalarView(scalars[t.originRange(start: Int(h.start), end: Int(h.end))]))
        }
    }

    func testWholeWordsInLatin() {
        XCTAssertEqual(find([.parse("port")], in: "export port"), ["port"])
        XCTAssertEqual(find([.parse("chip")], in: "chips, chip, microchip"), ["chip"])
    }

    func testWildcard() {
        XCTAssertEqual(find([.parse("restrict*")], in: "Restrictions and restricted; unrestricted"), ["Restrictions", "restricted"])
    }

    func testWordsMatchAcrossSeparators() {
        XCTAssertEqual(find([.parse("supply chain")], in: "supply-chain and supply\nchain and supply  chain"),
                       ["supply-chain", "supply\nchain", "supply  chain"])
    }

    func testKoreanInsideWordsAndSpacing() {
        XCTAssertEqual(find([.parse("반도체")], in: "반도체를 수출"), ["반도체"])
        XCTAssertEqual(find([.parse("반도체")], in: "미국 반도체 수출"), ["반도체"], "no trailing space in the evidence")
        XCTAssertEqual(find([.parse("공동 로드맵")], in: "공동로드맵을 세웠다"), ["공동로드맵"])
        XCTAssertEqual(find([.parse("수출통제")], in: "수출 통제를 강화"), ["수출 통제"])
    }

    func testJapaneseAndChinese() {
        XCTAssertEqual(find([.parse("輸出規制")], in: "政府は輸出規制を強化した"), ["輸出規制"])
        XCTAssertEqual(find([.parse("出口管制")], in: "美国加强出口管制。"), ["出口管制"])
    }

    func testCurlyQuotesAndFullWidth() {
        XCTAssertEqual(find([.parse("joint roadmap")], in: "a ‘ＪＯＩＮＴ ROADMAP’"), ["ＪＯＩＮＴ ROADMAP"])
    }

    func testCasedAcronym() {
        let bis = TermSpec(text: "BIS", cased: true)
        XCTAssertEqual(find([bis], in: "bis BIS Bis"), ["BIS"])
        XCTAssertEqual(find([TermSpec(text: "US", cased: true)], in: "let us go to the US"), ["US"])
    }

    func testTypos() {
        let name = TermSpec.parse("Raimondo~1")
        XCTAssertEqual(find([name], in: "Raimondo met Raymondo, not Lemondo"), ["Raimondo", "Raymondo"])
        XCTAssertEqual(find([.parse("Raimondo~2")], in: "Lamondo"), ["Lamondo"])
        XCTAssertEqual(find([.parse("Raimondo~1")], in: "Lamondo"), [])
        XCTAssertEqual(find([.parse("Wang~1")], in: "Wong"), [], "names under five letters get no typos")
    }

    func testLatinTermNextToHangul() {
        XCTAssertEqual(find([.parse("APEC")], in: "APEC에서 만났다"), ["APEC"])
    }
}

import XCTest
@testable import PolicyMatcher

final class NormalizationTests: XCTestCase {
    func norm(_ s: String) -> String {
        var n = TextNormalizer()
        return n.normalize(s).string
    }

    func testCaseAndFullWidthAndQuotes() {
        XCTAssertEqual(norm("Export CONTROLS"), "export controls")
        XCTAssertEqual(norm("ＥＸＰＯＲＴ　Ｃｏｎｔｒｏｌ"), "export control")
        XCTAssertEqual(norm("‘chips’ and “tools”"), "'chips' and \"tools\"")
    }

    func testSeparatorsCollapse() {
        XCTAssertEqual(norm("supply-chain\n\n  security"), "supply chain security")
        XCTAssertEqual(norm("a — b"), "a b")
    }

    func testKoreanSpacingDropped() {
        XCTAssertEqual(norm("공동 로드맵"), "공동로드맵")
        XCTAssertEqual(norm("미국 chip 수출"), "미국 chip 수출")
    }

    func testDecomposedHangulComposes() {
        let decomposed = "\u{1112}\u{1161}\u{11AB}\u{1100}\u{116E}\u{11A8}"  // 한국 in jamo
        XCTAssertEqual(norm(decomposed), "한국")
    }

    func testOriginOffsetsPointIntoOriginal() {
        var n = TextNormalizer()
        let original = "“Big” 수출  통제 ﬁne"
        let t = n.normalize(original)
        let bytes = Array(t.bytes)
        // "수출통제" in normalised text maps back to "수출  통제".
        let needle = Array("수출통제".utf8)
        let start = (0...(bytes.count - needle.count)).first { Array(bytes[$0..<$0 + needle.count]) == needle }!
        let r = t.originRange(start: start, end: start + needle.count)
        let scalars = Array(original.unicodeScalars)
        XCTAssertEqual(String(String.UnicodeScalarView(scalars[r])), "수출  통제")
        // A ligature expands to two letters, and maps back whole.
        let fi = Array("fi".utf8)
        let s2 = (0...(bytes.count - 2)).first { Array(bytes[$0..<$0 + 2]) == fi }!
        let r2 = t.originRange(start: s2, end: s2 + 4)
        XCTAssertEqual(String(String.UnicodeScalarView(scalars[r2])), "ﬁne")
    }

    func testParagraphsAndWords() {
        var n = TextNormalizer()
        let t = n.normalize("One two.\n\nThree 반도체를 수출")
        XCTAssertEqual(t.paragraphStarts.count, 2)
        XCTAssertEqual(t.wordStarts.count, 5)
    }
}

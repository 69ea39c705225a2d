import XCTest
@testable import PolicyMatcher

final class NameDistanceTests: XCTestCase {
    func d(_ a: String, _ b: String) -> Int {
        NameDistance.distance(Array(a.unicodeScalars.map(\.value)), Array(b.unicodeScalars.map(\.value)), limit: 3)
    }

    func testVowelRunsCountAsOneEdit() {
        XCTAssertEqual(d("raimondo", "raymondo"), 1)
        XCTAssertEqual(d("raimondo", "lemondo"), 2, "r -> l, ai -> e (plain Levenshtein says 3)")
        XCTAssertEqual(d("raimondo", "raimondo"), 0)
        XCTAssertEqual(d("raimondo", "lamondo"), 2)
        XCTAssertEqual(d("raimondo", "richmond"), 4, "more than the limit")
    }

    func testTypoTermsFindMisspeltNames() {
        let m = TermMatcher(terms: [CompiledTerm(.parse("Raimondo~1")), CompiledTerm(.parse("Raimondo~2"))])
        var n = TextNormalizer()
        let text = "Raimondo met Raymondo, Lemondo and Redmond"
        let t = n.normalize(text)
        let hits = m.find(in: t, original: text)
        func words(_ term: Int32) -> [String] {
            hits.filter { $0.term == term }.map { String(decoding: t.bytes[Int($0.start)..<Int($0.end)], as: UTF8.self) }
        }
        XCTAssertEqual(words(0), ["raimondo", "raymondo"])
        XCTAssertEqual(words(1), ["raimondo", "raymondo", "lemondo"])
    }
}

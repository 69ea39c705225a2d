import XCTest
@testable import PolicyWatch

final class EvaluationTests: XCTestCase {
    func alert(_ rule: String, _ tags: [String]) -> Alert {
        Alert(id: "0", rule: .init(id: rule, title: rule, severity: .high, tags: tags, file: "f"),
              article: .init(Article(id: "x", title: "t", body: "b")),
              matches: [.init(term: "t", field: .body, start: 0, end: 1, text: "b", snippet: "b")], entities: [:], firstSeen: "")
    }

    func testPerTagCountsAndAverages() {
        let labels: [String: Set<String>] = ["1": ["tariff"], "2": ["tariff", "sanctions"], "3": [], "4": ["sanctions"]]
        let e = Evaluation(articles: [
            ("1", "one", [alert("t.a", ["tariff", "semiconductors"])]),   // tp tariff
            ("2", "two", [alert("t.a", ["tariff"])]),                     // tp tariff, fn sanctions
            ("3", "three", [alert("s.a", ["sanctions"])]),                // fp sanctions
            ("4", "four", [alert("s.a", ["sanctions"])]),                 // tp sanctions
            ("5", "unlabelled", [alert("s.a", ["sanctions"])]),           // ignored
        ], labels: labels)
        let tariff = e.tags.first { $0.tag == "tariff" }!
        let sanctions = e.tags.first { $0.tag == "sanctions" }!
        XCTAssertEqual([tariff.truePositives, tariff.falsePositives, tariff.falseNegatives], [2, 0, 0])
        XCTAssertEqual([sanctions.truePositives, sanctions.falsePositives, sanctions.falseNegatives], [1, 1, 1])
        XCTAssertEqual(sanctions.precision, 0.5)
        XCTAssertEqual(sanctions.recall, 0.5)
        XCTAssertFalse(e.tags.contains { $0.tag == "semiconductors" }, "sector tags are not scored")
        XCTAssertEqual(e.micro.precision, 0.75)
        XCTAssertEqual(e.micro.recall, 0.75)
        XCTAssertEqual(e.macro.f1, 0.75, accuracy: 1e-9)
        XCTAssertEqual(e.mistakes.map { "\($0.kind.rawValue) \($0.tag) \($0.article)" },
                       ["false_negative sanctions 2", "false_positive sanctions 3"])
        XCTAssertEqual(e.mistakes[1].evidence, ["s.a: 'b'"])
        XCTAssertEqual(e.articles, 4)
    }

    /// The scope's field set (bits) against the plain set of fields.
    func testFieldSetHoldsWhatASetWould() {
        XCTAssertTrue(Field.allCases.allSatisfy(Evaluator.FieldSet.all.contains))
        XCTAssertFalse(Field.allCases.contains(where: Evaluator.FieldSet([]).contains))
        for f in Field.allCases {
            let one: Evaluator.FieldSet = [f]
            XCTAssertEqual(Field.allCases.filter(one.contains), [f])
            XCTAssertEqual(Evaluator.FieldSet.all.intersection(one), one)
            for g in Field.allCases where g != f { XCTAssertEqual(one.intersection([g]), []) }
        }
        XCTAssertEqual(Evaluator.Scope().fields, .all)
    }
}

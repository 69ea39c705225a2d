import XCTest
import YAMLLoader
@testable import PolicyWatch

final class RuleValidationTests: XCTestCase {
    func testFiveMistakesGiveFivePositionedErrors() {
        let yaml = """
        lists:
          chips: [chip, 반도체]
        rules:
          - id: a.one
            title: One
            severity: urgent
            macth: [x]
            match: $chip
          - id: a.one
            title: Duplicate
            match:
              all: []
          - id: Bad Id
            match: [export control]
        """
        let d = diagnostics(yaml)
        let errors = d.filter { $0.level == .error }
        let rendered = errors.map(\.description)
        XCTAssertEqual(errors.count, 5, rendered.joined(separator: "\n"))
        func find(_ s: String) -> Diagnostic? { errors.first { $0.message.contains(s) } }
        XCTAssertEqual(find("unknown severity").map { ($0.mark.line, $0.mark.column) }.map { "\($0)" }, "(6, 15)")
        XCTAssertEqual(find("unknown key 'macth'")?.hint, "did you mean 'match'?")
        XCTAssertEqual(find("unknown key 'macth'")?.mark.line, 7)
        XCTAssertEqual(find("list '$chip' is not defined")?.hint, "did you mean '$chips'? defined lists: chips")
        XCTAssertEqual(find("list '$chip' is not defined")?.mark.line, 8)
        XCTAssertEqual(find("'all' in rule 'a.one' is empty")?.mark.line, 12)
        XCTAssertEqual(find("invalid rule id 'Bad Id'")?.mark.line, 13)
        // The duplicate id is only noticed once the first rule compiles; here it does not (undefined list).
        XCTAssertTrue(rendered.allSatisfy { $0.hasPrefix("bad.yaml:") })
    }

    func testDuplicateIdPointsToTheOther() {
        let d = diagnostics("""
        rules:
          - id: x.y
            match: a
          - id: x.y
            match: b
        """)
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d[0].message, "duplicate rule id 'x.y'")
        XCTAssertEqual(d[0].mark.line, 4)
        XCTAssertEqual(d[0].hint, "the other rule with this id is at bad.yaml:2:5")
    }

    func testWrongTypesAndEmptyExpressions() {
        let d = diagnostics("""
        rules:
          - id: t.one
            tags: {a: b}
            match: ""
          - id: t.two
            match: {}
          - id: t.three
            match: {any: ~}
        """)
        let messages = d.map(\.message)
        XCTAssertTrue(messages.contains { $0.contains("'tags' in rule 't.one' must be a list of strings, found a mapping") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("empty term in rule 't.one'") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("empty mapping in rule 't.two'") }, "\(messages)")
        XCTAssertTrue(messages.contains { $0.contains("'any' in rule 't.three' has nothing under it") }, "\(messages)")
    }

    func testUnknownOperatorSuggests() {
        let d = diagnostics("""
        rules:
          - id: t.op
            match:
              alll: [a]
        """)
        XCTAssertEqual(d.first?.message, "unknown operator 'alll' in rule 't.op'")
        XCTAssertEqual(d.first?.hint, "did you mean 'all'?")
        XCTAssertEqual(d.first.map { "\($0.mark)" }, "bad.yaml:4:7")
    }

    func testYAMLSyntaxErrorIsPositioned() {
        let d = diagnostics("rules:\n  - id: x\n    match: [a, b\n")
        XCTAssertEqual(d.count, 1)
        XCTAssertEqual(d[0].level, .error)
        XCTAssertTrue(d[0].description.hasPrefix("bad.yaml:"), d[0].description)
    }

    func testAliasBombIsAnError() {
        var yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        var prev = "a"
        for i in 0..<9 {
            let name = "l\(i)"
            yaml += "\(name): &\(name) [*\(prev), *\(prev), *\(prev), *\(prev), *\(prev), *\(prev), *\(prev), *\(prev), *\(prev), *\(prev)]\n"
            prev = name
        }
        let d = diagnostics(yaml)
        XCTAssertTrue(d.first?.message.contains("billion laughs") ?? false, "\(d)")
    }

    func testBuiltinPackCompilesWithoutErrors() {
        let (set, diags) = RuleLoader.compile(paths: [], includeBuiltin: true)
        XCTAssertNotNil(set, diags.map(\.description).joined(separator: "\n"))
    }
}

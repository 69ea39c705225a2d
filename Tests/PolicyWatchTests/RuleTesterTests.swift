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
}

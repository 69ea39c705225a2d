import XCTest
@testable import PolicyWatch

/// The operator families (Rules/Operators/) together make up the YAML `match:` keys.
final class OperatorRegistryTests: XCTestCase {
    func testEveryKeyHasExactlyOneFamilyInTheSuggestedOrder() {
        XCTAssertEqual(MatchOperators.yamlKeys, ["all", "any", "none", "at_least", "of", "near", "within", "ordered", "sentence", "paragraph",
                                                 "regex", "title", "body", "language", "query", "term", "cased"])
        for key in MatchOperators.yamlKeys {
            XCTAssertEqual(MatchOperators.families.filter { $0.yamlKeys.contains(key) }.count, 1, key)
        }
        XCTAssertNil(MatchOperators.family(for: "nearby"))
    }

    func testUnknownOperatorListsEveryKey() {
        let d = diagnostics("rules:\n  - id: o.one\n    match: {zzzzzz: [a]}\n")
        XCTAssertEqual(d.first?.message, "unknown operator 'zzzzzz' in rule 'o.one'")
        XCTAssertEqual(d.first?.hint, "valid operators: " + MatchOperators.yamlKeys.joined(separator: ", "))
    }
}

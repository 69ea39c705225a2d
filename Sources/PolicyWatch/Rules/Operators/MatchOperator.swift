import YAMLLoader

/// The home of each operator of the rule language.
///
/// One file per family (`BooleanOperators`, `NearOperator`, ...) holds everything about it:
/// how a YAML `match:` mapping key is read and validated, how the tree prints (`canonical`),
/// how it compiles to a `Condition`, its anchors, how it is evaluated on an article, and how
/// `explain` shows it. `Expr`, `Condition`, `Evaluator` and `Explainer` only dispatch, one
/// line per case, so the Swift compiler lists every place a new case must be routed.
/// See docs/architecture.md, "Adding an operator".
protocol MatchOperator {
    /// Keys of a `match:` mapping this family reads, in the order "did you mean" lists them.
    /// Some only qualify another key of the same mapping (`within` goes with `near`).
    static var yamlKeys: [String] { get }

    /// Reads `key: value` of the match mapping `mapping`, recording problems in `parser`.
    static func parse(key: Node, value: Node, mapping: Node, context: String, parser: inout RuleParser) -> ParsedKey
}

/// What one key of a match mapping gave.
enum ParsedKey {
    /// An expression, joined with the mapping's other keys by `all`.
    case expr(Expr)
    /// A key that only qualifies another (`within:`, `ordered:`, `of:`), which reads it.
    case qualifier
    /// Invalid; the reason is recorded.
    case invalid
}

/// Every family, in the order their keys are suggested.
enum MatchOperators {
    static var families: [any MatchOperator.Type] {[
        BooleanOperators.self, NearOperator.self, UnitOperators.self, RegexOperator.self, FieldOperators.self,
        LanguageOperator.self, QueryOperator.self, TermOperators.self,
    ]}

    /// Every key a match mapping may hold (did-you-mean for unknown operators).
    static let yamlKeys = families.flatMap { $0.yamlKeys }

    static func family(for key: String) -> (any MatchOperator.Type)? {
        families.first { $0.yamlKeys.contains(key) }
    }
}

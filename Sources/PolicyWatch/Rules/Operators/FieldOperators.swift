import YAMLLoader

/// `title: expr` and `body: expr`: the expression holds inside that field of the article.
/// Query syntax: `title:x`, `body:(...)` (see `QueryParser`).
enum FieldOperators: MatchOperator {
    static let yamlKeys = ["title", "body"]

    static func parse(key: Node, value: Node, mapping: Node, context: String, parser: inout RuleParser) -> ParsedKey {
        guard let inner = parser.parseExpr(value, context: context) else { return .invalid }
        return .expr(.field(Field(rawValue: key.scalar ?? "")!, inner, key.mark))
    }

    static func canonical(_ f: Field, _ e: Expr) -> String { "\(f.rawValue):(\(e.canonical))" }

    static func compile(_ f: Field, _ inner: Expr, _ c: inout Compiler) -> Condition? {
        c.compile(inner).map { .field(f, $0) }
    }

    static func evaluate(_ f: Field, _ inner: Condition, in scope: Evaluator.Scope, _ ev: Evaluator) -> Evaluator.Outcome {
        guard scope.fields.contains(f) else { return .no }
        var s = scope
        s.fields = [f]
        return ev.evaluate(inner, in: s)
    }

    static func explain(_ f: Field, _ inner: Condition, in scope: Evaluator.Scope, into n: inout Explanation.Node,
                        _ ex: Explainer, _ ev: Evaluator) {
        n.label = "\(f.rawValue):"
        var s = scope
        s.fields = scope.fields.intersection([f])
        n.children = [ex.node(inner, s, ev)]
    }
}

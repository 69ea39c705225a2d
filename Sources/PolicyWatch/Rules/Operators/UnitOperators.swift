import PolicyMatcher
import YAMLLoader

/// `sentence: [...]` and `paragraph: [...]`: every operand holds inside one sentence (or
/// paragraph). Query syntax: `SENT(...)`, `PARA(...)` (see `QueryParser`).
enum UnitOperators: MatchOperator {
    static let yamlKeys = ["sentence", "paragraph"]

    static func parse(key: Node, value: Node, mapping: Node, context: String, parser: inout RuleParser) -> ParsedKey {
        let k = key.scalar ?? ""
        guard let items = parser.operands(value, op: k, context: context) else { return .invalid }
        return .expr(k == "sentence" ? .sentence(items, key.mark) : .paragraph(items, key.mark))
    }

    static func canonical(_ name: String, _ items: [Expr]) -> String {
        "\(name)(\(BooleanOperators.join(BooleanOperators.flat(items, all: true))))"
    }

    /// Only the sentences holding a hit of the operands' anchors are tried (`anchors`).
    static func compile(sentence: Bool, _ items: [Expr], _ c: inout Compiler) -> Condition? {
        guard let parts = c.compileAll(items) else { return nil }
        let anchors = Condition.all(parts).anchors.map { $0.sorted() }
        return sentence ? .sentence(parts, anchors: anchors) : .paragraph(parts, anchors: anchors)
    }

    static func evaluate(sentence: Bool, _ items: [Condition], anchors: [Int32]?, in scope: Evaluator.Scope,
                         _ ev: Evaluator) -> Evaluator.Outcome {
        var evidence: [Evidence] = []
        var holds = false
        for f in ev.matches.fields where scope.fields.contains(f.field) {
            for r in ev.units(sentence: sentence, field: f, anchors: anchors, within: scope.range) {
                let o = ev.evaluate(.all(items), in: Evaluator.Scope(field: f.field, range: r))
                if o.holds {
                    holds = true
                    evidence += o.evidence
                }
            }
        }
        return Evaluator.Outcome(holds: holds, evidence: evidence)
    }

    /// Shows the operands inside the first unit where all hold; else over the whole scope.
    static func explain(sentence isSentence: Bool, _ items: [Condition], anchors: [Int32]?, _ o: Evaluator.Outcome,
                        in scope: Evaluator.Scope, into n: inout Explanation.Node, _ ex: Explainer, _ ev: Evaluator) {
        let unit = isSentence ? "sentence" : "paragraph"
        n.label = unit
        if o.holds {
            for f in ev.matches.fields where scope.fields.contains(f.field) {
                for r in ev.units(sentence: isSentence, field: f, anchors: anchors, within: scope.range) {
                    var s = Evaluator.Scope()
                    s.fields = [f.field]
                    s.range = r
                    if ev.evaluate(.all(items), in: s).holds {
                        n.children = ex.children(items, s, ev)
                        n.note = "shown in the first \(unit) where all hold: \(f.field.rawValue) \(ex.quote(ex.text(of: r, in: f)))"
                        return
                    }
                }
            }
        }
        n.children = ex.children(items, scope, ev)
        if !o.holds && n.children.allSatisfy(\.holds) { n.note = "every operand holds somewhere, but not inside one \(unit)" }
    }
}

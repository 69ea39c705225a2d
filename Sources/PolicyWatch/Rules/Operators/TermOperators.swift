import PolicyMatcher
import YAMLLoader

/// Terms: a literal (`chip*`, `Raimondo~1`, `{term: BIS, cased: true}`), `$list` (any term of
/// a list) and `@kind:ID` (any alias of an entity). All three compile to one set of term ids
/// of the shared matcher (`Condition.terms`); a sequence of them is one set too.
/// Query syntax: words, "quoted phrases", `$list`, `@kind:ID` (see `QueryParser`).
enum TermOperators: MatchOperator {
    static let yamlKeys = ["term", "cased"]

    /// `{term: X, cased: true}` is read whole by `parseTermMapping`; `cased` alone is an error.
    static func parse(key: Node, value: Node, mapping: Node, context: String, parser: inout RuleParser) -> ParsedKey {
        parser.error(key.mark, "'cased' in \(context) goes with 'term'", hint: "{term: BIS, cased: true}")
        return .invalid
    }

    /// A scalar: `@kind:ID`, `$list` or a literal term (`literal`: always a term).
    static func parseTerm(_ s: String, node: Node, context: String, cased: Bool = false, literal: Bool = false,
                          parser: inout RuleParser) -> Expr? {
        if s.hasPrefix("@") && !literal {
            let parts = s.dropFirst().split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, RuleParser.isValidName(parts[0]), RuleParser.isValidEntityID(parts[1]) else {
                parser.error(node.mark, "invalid entity reference '\(s)' in \(context)",
                             hint: "write @kind:ID, e.g. @country:CN (for a literal term starting with '@' write {term: '\(s)'})")
                return nil
            }
            return .entity(kind: parts[0], id: parts[1], node.mark)
        }
        if s.hasPrefix("$") {
            let name = String(s.dropFirst())
            if !RuleParser.isValidName(name) {
                parser.error(node.mark, "invalid list reference '\(s)' in \(context)", hint: "list names use a-z, 0-9 and _")
                return nil
            }
            return .list(name, node.mark)
        }
        let spec = TermSpec.parse(s, cased: cased)
        // (Foundation's trimmingCharacters took a tenth of compiling 10,000 terms.)
        if spec.text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            parser.error(node.mark, "empty term in \(context)")
            return nil
        }
        if spec.maxEdits > 2 {
            parser.error(node.mark, "'~\(spec.maxEdits)' allows too many typos in '\(s)'", hint: "use ~1 or ~2")
            return nil
        }
        return .term(spec, node.mark)
    }

    /// `{term: X, cased: true}`: a literal, never a reference.
    static func parseTermMapping(_ node: Node, context: String, parser: inout RuleParser) -> Expr? {
        for (key, _) in node.mapping! where !["term", "cased"].contains(key.scalar ?? "") {
            parser.error(key.mark, "unknown key '\(key.scalar ?? "")' in a term", hint: Suggest.hint(for: key.scalar ?? "", among: ["term", "cased"]))
        }
        guard let termNode = node["term"], let text = termNode.scalar, !termNode.isNull else {
            parser.error(node.mark, "'term' must be a string in \(context)", hint: "{term: BIS, cased: true}")
            return nil
        }
        var cased = false
        if let c = node["cased"] {
            if let b = c.bool {
                cased = b
            } else {
                parser.error(c.mark, "'cased' must be true or false, found '\(c.scalar ?? c.typeDescription)'")
            }
        }
        if text.hasPrefix("$") {
            parser.error(termNode.mark, "'term' takes a literal, not a list reference ('\(text)')", hint: "write the list reference on its own: \(text)")
            return nil
        }
        return parseTerm(text, node: termNode, context: context, cased: cased, literal: true, parser: &parser)
    }

    // MARK: - Printing, compiling

    static func canonical(term t: TermSpec) -> String { (t.cased ? "cased:" : "") + "'" + t.display + "'" }
    static func canonical(list name: String) -> String { "$" + name }
    static func canonical(entity kind: String, id: String) -> String { "@\(kind):\(id)" }

    static func compile(term spec: TermSpec, at mark: Mark, _ compiler: inout Compiler) -> Condition? {
        guard let id = compiler.intern(spec, at: mark) else { return nil }
        return .terms([id], label: spec.display)
    }

    static func compile(list name: String, at mark: Mark, _ compiler: inout Compiler) -> Condition? {
        guard let ids = compiler.resolve(list: name, at: mark) else { return nil }
        return .terms(ids, label: "$" + name)
    }

    static func compile(entity kind: String, id: String, at mark: Mark, _ compiler: inout Compiler) -> Condition? {
        guard let ids = compiler.resolve(entity: kind, id: id, at: mark) else { return nil }
        return .terms(ids, label: "@\(kind):\(id)")
    }

    // MARK: - Evaluating, explaining

    /// Every hit of one of `ids` in the scope: the evidence.
    static func evaluate(_ ids: [Int32], in scope: Evaluator.Scope, _ ev: Evaluator) -> Evaluator.Outcome {
        var evidence: [Evidence] = []
        for f in ev.matches.fields where scope.fields.contains(f.field) {
            for id in ev.present(ids, in: f) {
                guard let hits = f.hitsByTerm[id] else { continue }
                for h in Evaluator.hits(hits, in: scope.range) { evidence.append(Evidence(field: f.field, hit: h)) }
            }
        }
        return Evaluator.Outcome(holds: !evidence.isEmpty, evidence: evidence)
    }

    static func explain(label: String, _ o: Evaluator.Outcome, into n: inout Explanation.Node, _ ex: Explainer, _ ev: Evaluator) {
        n.label = label
        ex.setEvidence(&n, o.evidence, ev)
    }
}

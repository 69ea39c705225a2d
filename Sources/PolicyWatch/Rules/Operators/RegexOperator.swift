import PolicyMatcher
import YAMLLoader

/// `regex: "..."` (or a list of them: any): a linear-time regular expression over the
/// normalised text. Query syntax: `/.../` (see `QueryParser`).
///
/// A regex compiles to its own id (a hit of regex k has term id `-1 - k`, so its matches
/// flow through the same evidence as terms); the literals every match holds become anchor
/// terms of the matcher, matched anywhere, that only pre-filter.
enum RegexOperator: MatchOperator {
    static let yamlKeys = ["regex"]

    static func parse(key: Node, value node: Node, mapping: Node, context: String, parser: inout RuleParser) -> ParsedKey {
        let items = node.sequence ?? [node]
        var out: [Expr] = []
        for item in items {
            guard var pattern = item.scalar, !item.isNull else {
                parser.error(item.mark, "'regex' in \(context) must be a string, found \(item.typeDescription)", hint: "regex: 'export(ed|s)? controls?'")
                return .invalid
            }
            // A block scalar (`|`, `>`) keeps its final line break: not part of the pattern.
            if item.style == .literal || item.style == .folded {
                while pattern.hasSuffix("\n") { pattern.removeLast() }
            }
            do {
                let r = try LinearRegex(pattern)
                out.append(.regex(RegexSpec(regex: r, notes: r.notes.map { (parser.locate(item, $0.offset), $0.message) }), item.mark))
            } catch {
                parser.diagnostics.append(Diagnostic(.error, parser.locate(item, error.offset), "invalid regex in \(context): \(error.message)", hint: error.hint))
                return .invalid
            }
        }
        if out.isEmpty {
            parser.error(node.mark, "'regex' in \(context) is empty")
            return .invalid
        }
        return .expr(out.count == 1 ? out[0] : .any(out, node.mark))
    }

    /// A query's `/pattern/` whose opening slash is at `offset`; errors point inside the pattern.
    static func queryRegex(_ pattern: String, offset: Int, locate: (Int) -> Mark) throws(QueryParser.Failure) -> Expr {
        do {
            let r = try LinearRegex(pattern)
            let notes = r.notes.map { (locate(offset + 1 + $0.offset), $0.message) }
            return .regex(RegexSpec(regex: r, notes: notes), locate(offset))
        } catch {
            throw QueryParser.Failure(message: error.message, offset: offset + 1 + error.offset, hint: error.hint)
        }
    }

    static func canonical(_ r: RegexSpec) -> String { "/\(r.regex.pattern)/" }

    static func compile(_ spec: RegexSpec, _ c: inout Compiler) -> Condition {
        for (m, message) in spec.notes {
            c.diagnostics.append(Diagnostic(.warning, m, "regex '\(spec.regex.pattern)' can never match here: \(message)",
                                            hint: "write the text as normalised: lower case, one space, no space between CJK characters"))
        }
        let id = c.add(regex: spec.regex)
        // A regex with no literal leaves its rule unanchored: the rule-level warning says so.
        let anchors = spec.regex.requiredLiterals.map { $0.map { c.anchorTerm($0) } }
        return .regex(id: id, spec.regex, anchors: anchors)
    }

    static func evaluate(id: Int32, _ regex: LinearRegex, anchors: [Int32]?, in scope: Evaluator.Scope, _ ev: Evaluator) -> Evaluator.Outcome {
        var evidence: [Evidence] = []
        for f in ev.matches.fields where scope.fields.contains(f.field) {
            for h in Evaluator.hits(ev.regexHits(id, regex, anchors: anchors, f), in: scope.range) { evidence.append(Evidence(field: f.field, hit: h)) }
        }
        return Evaluator.Outcome(holds: !evidence.isEmpty, evidence: evidence)
    }

    static func explain(id: Int32, _ regex: LinearRegex, _ o: Evaluator.Outcome, into n: inout Explanation.Node,
                        _ ex: Explainer, _ ev: Evaluator) {
        n.label = "regex: /\(regex.pattern)/"
        ex.setEvidence(&n, o.evidence, ev)
        if ev.regexExhausted(id) { n.note = "stopped early: the regex used up its step budget in this article" }
    }
}

import PolicyMatcher
import YAMLLoader

/// `all:`, `any:` (also a YAML sequence), `none:` and `at_least: N` with `of:`.
/// Query syntax: AND, OR, NOT (see `QueryParser`); `at_least` has none.
enum BooleanOperators: MatchOperator {
    static let yamlKeys = ["all", "any", "none", "at_least", "of"]

    static func parse(key: Node, value: Node, mapping: Node, context: String, parser: inout RuleParser) -> ParsedKey {
        let k = key.scalar ?? ""
        switch k {
        case "at_least":
            return parseAtLeast(mapping, key: key, value: value, context: context, parser: &parser).map(ParsedKey.expr) ?? .invalid
        case "of":
            if mapping["at_least"] == nil {
                parser.error(key.mark, "'of' in \(context) goes with 'at_least', which is missing", hint: "at_least: 2\n        of: [a, b, c]")
                return .invalid
            }
            return .qualifier
        default:
            guard let items = parser.operands(value, op: k, context: context) else { return .invalid }
            switch k {
            case "all": return .expr(.all(items, key.mark))
            case "any": return .expr(.any(items, key.mark))
            default: return .expr(.none(items, key.mark))
            }
        }
    }

    /// `at_least: N` with `of: [...]` (or `of: $list`: N distinct terms of the list).
    private static func parseAtLeast(_ node: Node, key: Node, value: Node, context: String, parser: inout RuleParser) -> Expr? {
        guard let n = value.scalar.flatMap({ Int($0) }), n >= 1 else {
            parser.error(value.mark, "'at_least' in \(context) must be a whole number of 1 or more, found '\(value.scalar ?? value.typeDescription)'",
                         hint: "at_least: 2\n        of: [a, b, c]")
            return nil
        }
        guard let of = node["of"] else {
            parser.error(key.mark, "'at_least' in \(context) needs 'of' with the operands to count", hint: "at_least: \(n)\n        of: [a, b, c]")
            return nil
        }
        guard let items = parser.operands(of, op: "of", context: context) else { return nil }
        let singleList: Bool
        if items.count == 1, case .list = items[0] { singleList = true } else { singleList = false }
        if !singleList && n > items.count {
            parser.error(value.mark, "'at_least: \(n)' in \(context) can never hold: 'of' has only \(items.count) operand\(items.count == 1 ? "" : "s")",
                         hint: "lower the number, or add operands")
            return nil
        }
        return .atLeast(n, items, key.mark)
    }

    // MARK: - Printing

    /// Nested `all`/`any` flattened and `none` split per operand, which changes nothing in
    /// meaning: none(a, b) = none(any(a, b)) = not(a) and not(b).
    static func flat(_ items: [Expr], all: Bool) -> [Expr] {
        items.flatMap { e -> [Expr] in
            switch e {
            case .all(let inner, _) where all: return flat(inner, all: true)
            case .any(let inner, _) where !all: return flat(inner, all: false)
            case .none(let inner, let m) where all:
                let alts = flat(inner, all: false)
                return alts.count > 1 ? alts.map { .none([$0], m) } : [e]
            default: return [e]
            }
        }
    }

    static func join(_ items: [Expr]) -> String { items.map(\.canonical).joined(separator: ", ") }

    static func canonical(all items: [Expr]) -> String {
        let f = flat(items, all: true)
        return f.count == 1 ? f[0].canonical : "all(\(join(f)))"
    }

    static func canonical(any items: [Expr]) -> String {
        let f = flat(items, all: false)
        return f.count == 1 ? f[0].canonical : "any(\(join(f)))"
    }

    static func canonical(none items: [Expr], _ m: Mark) -> String {
        let alts = flat(items, all: false)
        if alts.count > 1 { return Expr.all(alts.map { .none([$0], m) }, m).canonical }
        return "not(\(alts[0].canonical))"
    }

    static func canonical(atLeast n: Int, _ items: [Expr]) -> String { "at_least(\(n), \(join(items)))" }

    // MARK: - Compiling

    static func compile(all items: [Expr], _ c: inout Compiler) -> Condition? {
        c.compileAll(items).map { .all($0) }
    }

    static func compile(none items: [Expr], _ c: inout Compiler) -> Condition? {
        c.compileAll(items).map { .none($0) }
    }

    static func compile(any items: [Expr], _ c: inout Compiler) -> Condition? {
        guard let parts = c.compileAll(items) else { return nil }
        // A sequence of plain terms is one term set: cheaper to evaluate.
        if parts.allSatisfy({ if case .terms = $0 { return true } else { return false } }) {
            var ids: [Int32] = []
            var labels: [String] = []
            for case .terms(let i, let l) in parts {
                ids += i
                labels.append(l)
            }
            return .terms(ids, label: labels.joined(separator: " | "))
        }
        return .any(parts)
    }

    static func compile(atLeast n: Int, _ items: [Expr], at mark: Mark, _ c: inout Compiler) -> Condition? {
        if items.count == 1, case .list(let name, let m) = items[0] {
            // `of: $list`: N distinct terms of the list.
            guard let ids = c.resolve(list: name, at: m) else { return nil }
            let distinct = Array(Set(ids)).sorted()
            if n > distinct.count {
                c.error(mark, "'at_least: \(n)' can never hold: list '$\(name)' has only \(distinct.count) distinct term\(distinct.count == 1 ? "" : "s")",
                        hint: "lower the number, or add terms to the list")
                return nil
            }
            return .atLeast(n, distinct.map { .terms([$0], label: c.display(term: $0)) })
        }
        return c.compileAll(items).map { .atLeast(n, $0) }
    }

    /// Anchors of `all` (and of every operator whose operands must all hold): any one
    /// positive operand's anchors are necessary; the smallest set is the cheapest prefilter.
    static func anchors(all items: [Condition]) -> Set<Int32>? {
        items.compactMap(\.anchors).min(by: { $0.count < $1.count })
    }

    /// Anchors of `any` and `at_least`: some operand must hold, so the union of theirs; none
    /// when one operand can hold without a term.
    static func anchors(any items: [Condition]) -> Set<Int32>? {
        var all = Set<Int32>()
        for i in items {
            guard let a = i.anchors else { return nil }
            all.formUnion(a)
        }
        return all
    }

    // MARK: - Evaluating

    static func evaluate(all items: [Condition], in scope: Evaluator.Scope, _ ev: Evaluator) -> Evaluator.Outcome {
        guard !ev.plain, items.count > 1, items.contains(where: \.runsRegex) else {
            var evidence: [Evidence] = []
            for item in items {
                let o = ev.evaluate(item, in: scope)
                guard o.holds else { return .no }
                evidence += o.evidence
            }
            return Evaluator.Outcome(holds: true, evidence: evidence)
        }
        // The operands that run a regex (the costly part) last: the others often fail first.
        // The outcome and the order of the evidence are the plain way's.
        var outcomes = [Evaluator.Outcome?](repeating: nil, count: items.count)
        for pass in [false, true] {
            for (k, item) in items.enumerated() where item.runsRegex == pass {
                let o = ev.evaluate(item, in: scope)
                guard o.holds else { return .no }
                outcomes[k] = o
            }
        }
        return Evaluator.Outcome(holds: true, evidence: outcomes.flatMap { $0!.evidence })
    }

    static func evaluate(any items: [Condition], in scope: Evaluator.Scope, _ ev: Evaluator) -> Evaluator.Outcome {
        var evidence: [Evidence] = []
        var holds = false
        for item in items {
            let o = ev.evaluate(item, in: scope)
            if o.holds {
                holds = true
                evidence += o.evidence
            }
        }
        return Evaluator.Outcome(holds: holds, evidence: evidence)
    }

    static func evaluate(none items: [Condition], in scope: Evaluator.Scope, _ ev: Evaluator) -> Evaluator.Outcome {
        for item in items where ev.evaluate(item, in: scope).holds { return .no }
        return Evaluator.Outcome(holds: true, evidence: [])
    }

    static func evaluate(atLeast n: Int, _ items: [Condition], in scope: Evaluator.Scope, _ ev: Evaluator) -> Evaluator.Outcome {
        var count = 0
        var evidence: [Evidence] = []
        for item in items {
            let o = ev.evaluate(item, in: scope)
            if o.holds {
                count += 1
                evidence += o.evidence
            }
        }
        return count >= n ? Evaluator.Outcome(holds: true, evidence: evidence) : .no
    }

    // MARK: - Explaining

    /// `all`, `any`, `none`: the operator's name and its operands.
    static func explain(_ name: String, _ items: [Condition], in scope: Evaluator.Scope, into n: inout Explanation.Node,
                        _ ex: Explainer, _ ev: Evaluator) {
        n.label = name
        n.children = ex.children(items, scope, ev)
    }

    static func explain(atLeast k: Int, _ items: [Condition], in scope: Evaluator.Scope, into n: inout Explanation.Node,
                        _ ex: Explainer, _ ev: Evaluator) {
        n.children = ex.children(items, scope, ev)
        n.label = "at_least \(k) of \(items.count)"
        n.note = "\(n.children.filter(\.holds).count) hold"
    }
}

extension Condition {
    /// Whether evaluating the condition may run a regex (the costly operand of an `all:`).
    var runsRegex: Bool {
        switch self {
        case .regex: return true
        case .terms, .language: return false
        case .all(let items), .any(let items), .none(let items), .atLeast(_, let items),
             .near(let items, _, _), .sentence(let items, _), .paragraph(let items, _):
            return items.contains { $0.runsRegex }
        case .field(_, let c): return c.runsRegex
        }
    }
}

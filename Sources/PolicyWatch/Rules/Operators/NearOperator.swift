import PolicyMatcher
import YAMLLoader

/// `near: [...]` with `within: N` words (default 10) and `ordered: true`: every operand
/// occurs in one field, all within the distance. Query syntax: `NEAR/n`, `ONEAR/n`,
/// `NEAR/nf`, `PRE/n`, `W/n` (see `QueryParser`).
enum NearOperator: MatchOperator {
    static let yamlKeys = ["near", "within", "ordered"]
    static let defaultWithin = 10

    static func parse(key: Node, value: Node, mapping: Node, context: String, parser: inout RuleParser) -> ParsedKey {
        let k = key.scalar ?? ""
        guard k == "near" else {
            if mapping["near"] == nil {
                parser.error(key.mark, "'\(k)' in \(context) goes with 'near', which is missing", hint: "near: [term one, term two]\n        \(k): ...")
                return .invalid
            }
            return .qualifier
        }
        return parseNear(mapping, key: key, value: value, context: context, parser: &parser).map(ParsedKey.expr) ?? .invalid
    }

    /// `near: [...]` with its `within:` and `ordered:` in the same mapping.
    private static func parseNear(_ node: Node, key: Node, value: Node, context: String, parser: inout RuleParser) -> Expr? {
        guard let items = parser.operands(value, op: "near", context: context) else { return nil }
        var ok = true
        if items.count < 2 {
            parser.error(value.mark, "'near' in \(context) needs at least two operands", hint: "near: [export control*, $chips]")
            ok = false
        }
        for item in items where !item.findsText {
            parser.error(item.mark, "an operand of 'near' in \(context) must find text ('none' and 'language' have no position)",
                         hint: "put exclusions beside the near: {near: [a, b], none: [c]}")
            ok = false
        }
        var within = defaultWithin
        if let w = node["within"] {
            if let n = w.scalar.flatMap({ Int($0) }), n >= 0, n <= 1000 {
                within = n
            } else {
                parser.error(w.mark, "'within' in \(context) must be a number of words from 0 to 1000, found '\(w.scalar ?? w.typeDescription)'",
                             hint: "within: 5")
                ok = false
            }
        }
        var ordered = false
        if let o = node["ordered"] {
            guard let b = parser.boolean(o, key: "ordered", context: context) else { return nil }
            ordered = b
        }
        return ok ? .near(items, within: within, ordered: ordered, key.mark) : nil
    }

    /// A query's proximity operator: `NEAR` (unordered, 10 words), `ONEAR`, `NEAR/n`, `NEAR/nf`,
    /// `ONEAR/n`, `PRE/n`, `W/n` (ordered). Nil when `w` is not one.
    static func queryOperator(_ w: String, offset: Int) throws(QueryParser.Failure) -> (within: Int, ordered: Bool)? {
        if w == "NEAR" { return (defaultWithin, false) }
        if w == "ONEAR" { return (defaultWithin, true) }
        guard let slash = w.firstIndex(of: "/") else { return nil }
        let head = String(w[..<slash])
        guard ["NEAR", "ONEAR", "PRE", "W"].contains(head) || ["near", "onear", "pre", "w"].contains(head) else { return nil }
        if head.lowercased() == head {
            throw QueryParser.Failure(message: "'\(w)' is not an operator: operators are written in capitals", offset: offset, hint: "write \(w.uppercased())")
        }
        var tail = String(w[w.index(after: slash)...])
        var ordered = head != "NEAR"
        if tail.hasSuffix("f") || tail.hasSuffix("F") {
            ordered = true
            tail.removeLast()
        }
        guard let n = Int(tail), n >= 0, tail.allSatisfy(\.isASCII) else {
            throw QueryParser.Failure(message: "'\(head)/' needs a number of words", offset: offset, hint: "e.g. \(head)/5")
        }
        guard n <= 1000 else { throw QueryParser.Failure(message: "distance \(n) is too large", offset: offset, hint: "use at most \(head)/1000") }
        return (n, ordered)
    }

    // MARK: - Printing, compiling

    static func canonical(_ items: [Expr], within w: Int, ordered o: Bool) -> String {
        "\(o ? "onear" : "near")/\(w)(\(BooleanOperators.join(items)))"
    }

    static func compile(_ items: [Expr], within: Int, ordered: Bool, _ c: inout Compiler) -> Condition? {
        c.compileAll(items).map { .near($0, within: within, ordered: ordered) }
    }

    // MARK: - Evaluating

    static func evaluate(_ items: [Condition], within: Int, ordered: Bool, in scope: Evaluator.Scope, _ ev: Evaluator) -> Evaluator.Outcome {
        var evidence: [Evidence] = []
        for f in ev.matches.fields where scope.fields.contains(f.field) {
            guard let used = near(items, within: within, ordered: ordered, field: f.field, range: scope.range, ev) else { continue }
            evidence += used.map { Evidence(field: f.field, hit: $0) }
        }
        return Evaluator.Outcome(holds: !evidence.isEmpty, evidence: evidence)
    }

    /// The hits of a satisfied `near` in one field, or nil.
    private static func near(_ items: [Condition], within: Int, ordered: Bool, field: Field, range: Range<Int32>?,
                             _ ev: Evaluator) -> [TermHit]? {
        guard let f = ev.field(field) else { return nil }
        var operands: [[TermHit]] = []
        for item in items {
            let o = ev.evaluate(item, in: Evaluator.Scope(field: field, range: range))
            guard o.holds else { return nil }
            // Sorted on every field of a hit: two terms found on the same words (`export control*`,
            // `export-control*`) must be tried in the same order in every run, or the report would
            // name a different term from one run to the next (a Set's order is per process).
            let hits = Array(Set(o.evidence.filter { $0.field == field }.map(\.hit)))
                .sorted { ($0.start, $0.end, $0.term) < ($1.start, $1.end, $1.term) }
            guard !hits.isEmpty else { return nil }
            operands.append(hits)
        }
        let used = Proximity.find(operands, positions: ev.positions(f), maxGap: Int32(2 * within), ordered: ordered)
        return used.isEmpty ? nil : used
    }

    // MARK: - Explaining

    static func explain(_ items: [Condition], within: Int, ordered: Bool, _ o: Evaluator.Outcome, in scope: Evaluator.Scope,
                        into n: inout Explanation.Node, _ ex: Explainer, _ ev: Evaluator) {
        n.label = "near: within \(within) word\(within == 1 ? "" : "s")" + (ordered ? ", in this order" : "")
        ex.setEvidence(&n, o.evidence, ev)
        n.children = ex.children(items, scope, ev)
        if !o.holds && n.children.allSatisfy(\.holds) { n.note = "every operand occurs, but never that close" + (ordered ? " in this order" : "") }
    }
}

/// The search behind `near`: one hit per operand, no two overlapping, all within the
/// distance (measured from the end of the earliest to the start of the latest, in
/// half-word units; see `WordPositions`).
enum Proximity {
    /// Every hit taking part in some arrangement (the first found for each leading hit).
    static func find(_ operands: [[TermHit]], positions: WordPositions, maxGap: Int32, ordered: Bool, workLimit: Int = 200_000) -> [TermHit] {
        let k = operands.count
        var used = Set<TermHit>()
        var work = 0
        var chosen: [TermHit] = []

        func firstIndex(_ hits: [TermHit], startingAtOrAfter b: Int32) -> Int {
            var lo = 0, hi = hits.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if hits[mid].start < b { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }

        /// Places the operands in `rest` (in order) after `after` bytes, starts at most `limit`.
        func place(_ rest: ArraySlice<Int>, after: Int32, limit: Int32) -> Bool {
            guard let op = rest.first else { return true }
            let hits = operands[op]
            var i = firstIndex(hits, startingAtOrAfter: after)
            while i < hits.count {
                let h = hits[i]
                i += 1
                work += 1
                if work > workLimit { return false }
                if positions.start(h.start) > limit { break }
                if chosen.contains(where: { $0.start < h.end && h.start < $0.end }) { continue }
                chosen.append(h)
                if place(rest.dropFirst(), after: ordered ? h.end : after, limit: limit) { return true }
                chosen.removeLast()
            }
            return false
        }

        for lead in ordered ? [0] : Array(0..<k) {
            let others = ordered ? Array(1..<k) : (0..<k).filter { $0 != lead }
            for f in operands[lead] {
                if work > workLimit { break }
                chosen = [f]
                if place(others[...], after: f.end, limit: positions.end(f.end) + maxGap) { used.formUnion(chosen) }
            }
        }
        return used.sorted { ($0.start, $0.term, $0.end) < ($1.start, $1.term, $1.end) }
    }
}

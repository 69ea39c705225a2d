import PolicyMatcher

/// Why a rule fired or did not on one article (`policywatch explain`): the rule's expression
/// tree with, for each node, whether it held and its evidence (term, field, code-point
/// offsets, text, and the sentence around it).
public struct Explanation: Sendable {
    public struct Line: Sendable {
        public var match: Alert.MatchRecord
        /// The sentence holding the match, from the original text.
        public var sentence: String
    }

    public struct Node: Sendable {
        /// The operator or the terms, as written (`near: within 5 words`, `$chips`).
        public var label: String
        public var holds: Bool
        /// Context: where scoped children were evaluated, counts, budget notes.
        public var note: String?
        public var evidence: [Line]
        /// Evidence lines left out (only the first few are kept per node).
        public var more: Int
        public var children: [Node]
    }

    public var rule: Alert.RuleRef
    public var ruleMark: String
    public var article: Alert.ArticleRef
    public var fired: Bool
    /// False when none of the rule's anchor terms occurs: a scan does not even evaluate it.
    public var anchored: Bool
    public var root: Node
    public var entities: [String: [String]]

    /// The explanation as text: one node per line, indented by depth, `[+]` held, `[-]` did not.
    public func render() -> String {
        var out: [String] = []
        out.append("rule \(rule.id): \(rule.title) (\(ruleMark))")
        let title = article.title.isEmpty ? "(no title)" : "\"\(article.title)\""
        out.append("article: \(title), language \(article.language), key \(article.key)")
        var result = fired ? "result: FIRED" : "result: did not fire"
        if !anchored { result += " (none of the rule's required terms occurs, so a scan skips it)" }
        out.append(result)
        out.append("")
        func walk(_ n: Node, _ depth: Int) {
            let pad = String(repeating: "    ", count: depth)
            out.append("\(pad)\(n.holds ? "[+]" : "[-]") \(n.label)" + (n.note.map { "  (\($0))" } ?? ""))
            var lastSentence = ""
            for l in n.evidence {
                let m = l.match
                out.append("\(pad)      \(m.field.rawValue) \(m.start)-\(m.end) \"\(m.text)\" (\(m.term))")
                if l.sentence != lastSentence {
                    out.append("\(pad)        in: \(l.sentence)")
                    lastSentence = l.sentence
                }
            }
            if n.more > 0 { out.append("\(pad)      ... and \(n.more) more") }
            for c in n.children { walk(c, depth + 1) }
        }
        walk(root, 0)
        out.append("")
        if entities.isEmpty {
            out.append("entities: none")
        } else {
            out.append("entities: " + entities.keys.sorted().map { "\($0): \(entities[$0]!.joined(separator: ", "))" }.joined(separator: "; "))
        }
        return out.joined(separator: "\n") + "\n"
    }
}

/// Builds `Explanation`s. The CLI only prints them.
public struct Explainer {
    public let ruleSet: RuleSet
    /// Evidence lines kept per node.
    public var maxLines = 8

    private let scanner: RuleScanner

    public init(ruleSet: RuleSet) {
        self.ruleSet = ruleSet
        scanner = RuleScanner(ruleSet: ruleSet)
    }

    /// Explains rule `id` on `article`; nil when no loaded rule has that id.
    public func explain(ruleID id: String, article: Article) -> Explanation? {
        guard let index = ruleSet.rules.firstIndex(where: { $0.rule.id == id }) else { return nil }
        let rule = ruleSet.rules[index]
        // The scan's own path, so `anchored` is the prefilter's verdict, not a second opinion.
        var normalizer = TextNormalizer()
        let trace = scanner.trace(article, normalizer: &normalizer)
        let root = node(rule.condition, Evaluator.Scope(), trace.evaluator)
        let anchored = trace.isCandidate(index)
        let r = rule.rule
        return Explanation(
            rule: Alert.RuleRef(id: r.id, title: r.title, severity: r.severity, tags: r.tags, file: rule.file),
            ruleMark: "\(r.mark)",
            article: Alert.ArticleRef(article),
            fired: anchored && root.holds,
            anchored: anchored,
            root: root,
            entities: trace.matches.entities(ruleSet.entities))
    }

    /// The explanation of `c` in `scope`; each operator explains itself (Rules/Operators/).
    func node(_ c: Condition, _ scope: Evaluator.Scope, _ ev: Evaluator) -> Explanation.Node {
        let o = ev.evaluate(c, in: scope)
        var n = Explanation.Node(label: "", holds: o.holds, note: nil, evidence: [], more: 0, children: [])
        switch c {
        case .terms(_, let label): TermOperators.explain(label: label, o, into: &n, self, ev)
        case .all(let items): BooleanOperators.explain("all", items, in: scope, into: &n, self, ev)
        case .any(let items): BooleanOperators.explain("any", items, in: scope, into: &n, self, ev)
        case .none(let items): BooleanOperators.explain("none", items, in: scope, into: &n, self, ev)
        case .atLeast(let k, let items): BooleanOperators.explain(atLeast: k, items, in: scope, into: &n, self, ev)
        case .near(let items, let within, let ordered):
            NearOperator.explain(items, within: within, ordered: ordered, o, in: scope, into: &n, self, ev)
        case .sentence(let items, let anchors):
            UnitOperators.explain(sentence: true, items, anchors: anchors, o, in: scope, into: &n, self, ev)
        case .paragraph(let items, let anchors):
            UnitOperators.explain(sentence: false, items, anchors: anchors, o, in: scope, into: &n, self, ev)
        case .field(let f, let inner): FieldOperators.explain(f, inner, in: scope, into: &n, self, ev)
        case .language(let codes): LanguageOperator.explain(codes, into: &n, ev)
        case .regex(let id, let regex, _): RegexOperator.explain(id: id, regex, o, into: &n, self, ev)
        }
        return n
    }

    /// The explanations of operands, all in one scope.
    func children(_ items: [Condition], _ s: Evaluator.Scope, _ ev: Evaluator) -> [Explanation.Node] {
        items.map { node($0, s, ev) }
    }

    /// Keeps the first `maxLines` distinct evidence lines, with the sentence around each.
    func setEvidence(_ n: inout Explanation.Node, _ evidence: [Evidence], _ ev: Evaluator) {
        let unique = Array(Set(evidence)).sorted {
            ($0.field == .title ? 0 : 1, $0.hit.start, $0.hit.term, $0.hit.end) < ($1.field == .title ? 0 : 1, $1.hit.start, $1.hit.term, $1.hit.end)
        }
        n.more = max(0, unique.count - maxLines)
        n.evidence = unique.prefix(maxLines).map { e in
            let f = ev.field(e.field)!
            let record = RuleScanner.record(e, in: f, term: ruleSet.display(term: e.hit.term))
            let starts = ev.sentenceStarts(f)
            let k = SentenceSegmenter.index(of: e.hit.start, in: starts)
            let end = k + 1 < starts.count ? starts[k + 1] : Int32(f.text.bytes.count)
            return Explanation.Line(match: record, sentence: quote(text(of: starts[k]..<end, in: f)))
        }
    }

    /// The original text of a normalised byte range, whitespace collapsed, at most 200 characters.
    func text(of r: Range<Int32>, in f: FieldMatches) -> String {
        let o = f.text.originRange(start: Int(r.lowerBound), end: Int(r.upperBound))
        let scalars = Array(f.original.unicodeScalars)
        let slice = scalars[o.clamped(to: 0..<scalars.count)]
        var s = String(String.UnicodeScalarView(slice)).split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        if s.count > 200 { s = String(s.prefix(200)) + "…" }
        return s
    }

    func quote(_ s: String) -> String { "\"" + s + "\"" }
}

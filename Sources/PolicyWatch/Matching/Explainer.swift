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

    private let scanner: Scanner

    public init(ruleSet: RuleSet) {
        self.ruleSet = ruleSet
        scanner = Scanner(ruleSet: ruleSet)
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

    private func node(_ c: Condition, _ scope: Evaluator.Scope, _ ev: Evaluator) -> Explanation.Node {
        let o = ev.evaluate(c, in: scope)
        var n = Explanation.Node(label: "", holds: o.holds, note: nil, evidence: [], more: 0, children: [])
        func children(_ items: [Condition], _ s: Evaluator.Scope) -> [Explanation.Node] { items.map { node($0, s, ev) } }
        switch c {
        case .terms(_, let label):
            n.label = label
            setEvidence(&n, o.evidence, ev)
        case .all(let items):
            n.label = "all"
            n.children = children(items, scope)
        case .any(let items):
            n.label = "any"
            n.children = children(items, scope)
        case .none(let items):
            n.label = "none"
            n.children = children(items, scope)
        case .atLeast(let k, let items):
            n.children = children(items, scope)
            n.label = "at_least \(k) of \(items.count)"
            n.note = "\(n.children.filter(\.holds).count) hold"
        case .near(let items, let within, let ordered):
            n.label = "near: within \(within) word\(within == 1 ? "" : "s")" + (ordered ? ", in this order" : "")
            setEvidence(&n, o.evidence, ev)
            n.children = children(items, scope)
            if !o.holds && n.children.allSatisfy(\.holds) { n.note = "every operand occurs, but never that close" + (ordered ? " in this order" : "") }
        case .sentence(let items, let anchors), .paragraph(let items, let anchors):
            var isSentence = false
            if case .sentence = c { isSentence = true }
            let unit = isSentence ? "sentence" : "paragraph"
            n.label = unit
            // Show the operands inside the first unit where all hold; else over the whole scope.
            var shown = false
            if o.holds {
                outer: for f in ev.matches.fields where scope.fields.contains(f.field) {
                    for r in ev.units(sentence: isSentence, field: f, anchors: anchors, within: scope.range) {
                        var s = Evaluator.Scope()
                        s.fields = [f.field]
                        s.range = r
                        if ev.evaluate(.all(items), in: s).holds {
                            n.children = children(items, s)
                            n.note = "shown in the first \(unit) where all hold: \(f.field.rawValue) \(quote(text(of: r, in: f)))"
                            shown = true
                            break outer
                        }
                    }
                }
            }
            if !shown {
                n.children = children(items, scope)
                if !o.holds && n.children.allSatisfy(\.holds) { n.note = "every operand holds somewhere, but not inside one \(unit)" }
            }
        case .field(let f, let inner):
            n.label = "\(f.rawValue):"
            var s = scope
            s.fields = scope.fields.intersection([f])
            n.children = [node(inner, s, ev)]
        case .language(let codes):
            n.label = "language: \(codes.sorted().joined(separator: ", "))"
            let lang = ev.matches.language
            n.note = "article language: \(lang)" + (lang == "mixed" ? " (\(ev.languagesPresent().sorted().joined(separator: ", ")))" : "")
        case .regex(let id, let regex, _):
            n.label = "regex: /\(regex.pattern)/"
            setEvidence(&n, o.evidence, ev)
            if ev.regexExhausted(id) { n.note = "stopped early: the regex used up its step budget in this article" }
        }
        return n
    }

    private func setEvidence(_ n: inout Explanation.Node, _ evidence: [Evidence], _ ev: Evaluator) {
        let unique = Array(Set(evidence)).sorted {
            ($0.field == .title ? 0 : 1, $0.hit.start, $0.hit.term) < ($1.field == .title ? 0 : 1, $1.hit.start, $1.hit.term)
        }
        n.more = max(0, unique.count - maxLines)
        n.evidence = unique.prefix(maxLines).map { e in
            let f = ev.field(e.field)!
            let record = Scanner.record(e, in: f, term: ruleSet.display(term: e.hit.term))
            let starts = ev.sentenceStarts(f)
            let k = SentenceSegmenter.index(of: e.hit.start, in: starts)
            let end = k + 1 < starts.count ? starts[k + 1] : Int32(f.text.bytes.count)
            return Explanation.Line(match: record, sentence: quote(text(of: starts[k]..<end, in: f)))
        }
    }

    /// The original text of a normalised byte range, whitespace collapsed, at most 200 characters.
    private func text(of r: Range<Int32>, in f: FieldMatches) -> String {
        let o = f.text.originRange(start: Int(r.lowerBound), end: Int(r.upperBound))
        let scalars = Array(f.original.unicodeScalars)
        let slice = scalars[o.clamped(to: 0..<scalars.count)]
        var s = String(String.UnicodeScalarView(slice)).split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        if s.count > 200 { s = String(s.prefix(200)) + "…" }
        return s
    }

    private func quote(_ s: String) -> String { "\"" + s + "\"" }
}

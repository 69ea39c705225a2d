import PolicyMatcher

/// Runs a compiled rule set over one article at a time (one matcher pass per
/// field, then only the rules whose anchor terms occurred) and makes its alerts. The scan
/// pipeline (`ScanPipeline`) runs one per thread.
public struct RuleScanner: Sendable {
    public let ruleSet: RuleSet
    /// Evidence kept per alert (the strongest, earliest first).
    public var maxMatchesPerAlert = 20
    /// Evaluates rules and reads facets the plain way, without their shortcuts (see
    /// `Evaluator.plain`): the reference the tests compare the default against.
    public var plain = false

    /// For each term id, the rules (indices into `ruleSet.rules`) anchored on it; and the rules
    /// with no anchor. An article then costs its hits, not the number of rules.
    private let rulesByTerm: [[Int32]]
    private let unanchored: [Int32]
    /// Each rule as its alerts name it, made once: copying the `CompiledRule` (its whole `Rule`,
    /// a dozen references to retain and release) per alert was 1.5% of a 10,000-rule scan.
    private let ruleRefs: [Alert.RuleRef]

    public init(ruleSet: RuleSet) {
        self.ruleSet = ruleSet
        var byTerm = [[Int32]](repeating: [], count: ruleSet.matcher.terms.count)
        var always: [Int32] = []
        for (i, rule) in ruleSet.rules.enumerated() {
            guard let anchors = rule.anchors else {
                always.append(Int32(i))
                continue
            }
            for t in anchors where Int(t) < byTerm.count { byTerm[Int(t)].append(Int32(i)) }
        }
        rulesByTerm = byTerm
        unanchored = always
        ruleRefs = ruleSet.rules.map(Self.ruleRef)
    }

    static func ruleRef(_ rule: CompiledRule) -> Alert.RuleRef {
        Alert.RuleRef(id: rule.rule.id, title: rule.rule.title, severity: rule.rule.severity, tags: rule.rule.tags, file: rule.file)
    }

    /// Rules worth evaluating on `m`, in rule order: those anchored on a term that occurred,
    /// and those without anchor (the same ones as testing every rule's anchors).
    func candidates(_ m: ArticleMatches) -> [Int32] {
        var out = unanchored
        for f in m.fields {
            for term in f.hitsByTerm.keys where Int(term) < rulesByTerm.count { out += rulesByTerm[Int(term)] }
        }
        out.sort()
        var unique: [Int32] = []
        unique.reserveCapacity(out.count)
        for r in out where unique.last != r { unique.append(r) }
        return unique
    }

    /// Matches of every term in the article.
    public func matches(_ article: Article, normalizer: inout TextNormalizer) -> ArticleMatches {
        ArticleMatches(article: article, matcher: ruleSet.matcher, normalizer: &normalizer)
    }

    /// The alerts raised on `article`, ordered by rule id. `now` fills `first_seen`.
    public func scan(_ article: Article, normalizer: inout TextNormalizer, now: String) -> [Alert] {
        let m = matches(article, normalizer: &normalizer)
        let evaluator = Evaluator(matches: m, plain: plain)
        var alerts: [Alert] = []
        var scalars = FieldScalars()
        var entities: [String: [String]]?
        var facetReader = ruleSet.facets.map { FacetExtractor(facets: $0, matches: m, evaluator: plain ? nil : evaluator, plain: plain) }
        for index in candidates(m) {
            // The rule's condition only, not a copy of the whole rule (see `ruleRefs`).
            let outcome = evaluator.evaluate(ruleSet.rules[Int(index)].condition)
            guard outcome.holds else { continue }
            let rule = ruleRefs[Int(index)]
            if entities == nil { entities = m.entities(ruleSet.entities) }
            var alert = makeAlert(rule, article: article, matches: m, evidence: outcome.evidence, now: now, scalars: &scalars)
            alert.entities = entities ?? [:]
            alert.facets = facetReader?.facets(for: outcome.evidence, tags: rule.tags)
            alerts.append(alert)
        }
        return alerts
    }

    /// Each field's original text, made once per article for all its evidence: its bytes when
    /// it is ASCII (one byte per code point, the common case), else its scalars.
    struct FieldScalars {
        enum Text {
            case ascii([UInt8])
            case scalars([Unicode.Scalar])
        }

        private var byField: [Field: Text] = [:]

        mutating func get(_ f: FieldMatches) -> Text {
            if let t = byField[f.field] { return t }
            let t: Text = f.original.utf8.count == f.text.originLength ? .ascii(Array(f.original.utf8)) : .scalars(Array(f.original.unicodeScalars))
            byField[f.field] = t
            return t
        }
    }

    func makeAlert(_ rule: CompiledRule, article: Article, matches: ArticleMatches, evidence: [Evidence], now: String) -> Alert {
        var scalars = FieldScalars()
        return makeAlert(Self.ruleRef(rule), article: article, matches: matches, evidence: evidence, now: now, scalars: &scalars)
    }

    func makeAlert(_ rule: Alert.RuleRef, article: Article, matches: ArticleMatches, evidence: [Evidence], now: String,
                   scalars: inout FieldScalars) -> Alert {
        let unique = Self.sortedUnique(evidence)
        let records = unique.prefix(maxMatchesPerAlert).map { ev -> Alert.MatchRecord in
            // By index: `first(where:)` returned a copy of the field (its text, offset map and hits).
            let f = matches.fields.firstIndex { $0.field == ev.field }!
            return Self.record(ev, in: matches.fields[f], scalars: scalars.get(matches.fields[f]), term: ruleSet.display(term: ev.hit.term))
        }
        return Alert(
            id: Alert.id(rule: rule.id, articleKey: article.key),
            rule: rule,
            article: Alert.ArticleRef(article),
            matches: records,
            entities: [:],
            firstSeen: now
        )
    }

    /// The evidence in report order (title first, then by start, term and end), each once. The
    /// order compares every field of `Evidence`, so equal items are adjacent once sorted: no `Set`
    /// (a hash table per alert) is needed to drop them.
    static func sortedUnique(_ evidence: [Evidence]) -> [Evidence] {
        @inline(__always) func key(_ e: Evidence) -> (Int, Int32, Int32, Int32) { (e.field == .title ? 0 : 1, e.hit.start, e.hit.term, e.hit.end) }
        var sorted = evidence
        sorted.sort { key($0) < key($1) }
        var unique: [Evidence] = []
        unique.reserveCapacity(sorted.count)
        for e in sorted where unique.last != e { unique.append(e) }
        return unique
    }

    static func record(_ ev: Evidence, in field: FieldMatches, term: String) -> Alert.MatchRecord {
        record(ev, in: field, scalars: Array(field.original.unicodeScalars), term: term)
    }

    static func record(_ ev: Evidence, in field: FieldMatches, scalars: [Unicode.Scalar], term: String) -> Alert.MatchRecord {
        record(ev, in: field, scalars: .scalars(scalars), term: term)
    }

    static func record(_ ev: Evidence, in field: FieldMatches, scalars: FieldScalars.Text, term: String) -> Alert.MatchRecord {
        let r = field.text.originRange(start: Int(ev.hit.start), end: Int(ev.hit.end))
        let text: String, snippet: String
        switch scalars {
        case .ascii(let bytes):
            text = String(decoding: bytes[r], as: UTF8.self)
            snippet = Self.snippet(bytes, r, isSpace: { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }, append: { $1.append($0) })
        case .scalars(let scalars):
            text = String(String.UnicodeScalarView(scalars[r]))
            snippet = Self.snippet(scalars, r)
        }
        return Alert.MatchRecord(term: term, field: ev.field, start: r.lowerBound, end: r.upperBound, text: text, snippet: snippet)
    }

    /// About 60 characters either side of the match, whitespace collapsed, cut at spaces.
    static func snippet(_ scalars: [Unicode.Scalar], _ r: Range<Int>, radius: Int = 60) -> String {
        snippet(scalars, r, radius: radius, isSpace: isSpace, append: { $1.append(contentsOf: UTF8.encode($0)!) })
    }

    /// The snippet over code points given as ASCII bytes or as scalars.
    @inline(__always)
    static func snippet<T>(_ units: [T], _ r: Range<Int>, radius: Int = 60, isSpace: (T) -> Bool,
                           append: (T, inout [UInt8]) -> Void) -> String {
        var lo = max(0, r.lowerBound - radius)
        var hi = min(units.count, r.upperBound + radius)
        if lo > 0, let sp = units[lo..<r.lowerBound].firstIndex(where: isSpace), sp < r.lowerBound - 10 { lo = sp + 1 }
        if hi < units.count, let sp = units[r.upperBound..<hi].lastIndex(where: isSpace), sp > r.upperBound + 10 { hi = sp }
        var out: [UInt8] = []
        out.reserveCapacity((hi - lo) * 2 + 8)
        if lo > 0 { out += [0xE2, 0x80, 0xA6] }  // …
        let first = out.count
        var lastSpace = false
        for u in units[lo..<hi] {
            if isSpace(u) {
                // Runs become one space; none at the start (trimmed).
                if !lastSpace && out.count > first { out.append(0x20) }
                lastSpace = true
            } else {
                append(u, &out)
                lastSpace = false
            }
        }
        if lastSpace && out.count > first && out.last == 0x20 { out.removeLast() }
        if hi < units.count { out += [0xE2, 0x80, 0xA6] }
        return String(decoding: out, as: UTF8.self)
    }

    /// Unicode's White_Space property (a fixed list), without the slow property lookup.
    @inline(__always)
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }
}


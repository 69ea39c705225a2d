import PolicyMatcher

/// Decides whether a compiled condition holds on an article's matches, and with what
/// evidence.
///
/// Make one per article: it caches what only some rules need (sentence boundaries, word
/// positions, regex matches, the languages of a mixed article), computed on first use.
public struct Evaluator {
    /// Where an expression is evaluated: some fields, optionally a byte range within one.
    public struct Scope: Sendable {
        public var fields: Set<Field> = Set(Field.allCases)
        public var range: Range<Int32>?
        public init() {}

        init(field: Field, range: Range<Int32>?) {
            fields = [field]
            self.range = range
        }
    }

    public struct Outcome: Sendable {
        public var holds: Bool
        public var evidence: [Evidence]
        static let no = Outcome(holds: false, evidence: [])
    }

    /// Regex work allowed per field and per article (steps of the Pike VM, each a few
    /// nanoseconds): no article can make a scan hang. A regex that runs out finds nothing
    /// more in that article, and `explain` says so.
    public static let regexStepsPerField = 10_000_000
    public static let regexStepsPerArticle = 40_000_000

    /// Per-article memo of lazily computed facts.
    final class Cache {
        var sentences: [Field: [Int32]] = [:]
        var positions: [Field: WordPositions] = [:]
        var regexHits: [Int32: [Field: [TermHit]]] = [:]
        var regexBudget = Evaluator.regexStepsPerArticle
        /// Regexes that ran out of budget in this article.
        var exhausted: Set<Int32> = []
        var languages: Set<String>?
    }

    public let matches: ArticleMatches
    let cache = Cache()

    public init(matches: ArticleMatches) {
        self.matches = matches
    }

    func field(_ f: Field) -> FieldMatches? { matches.fields.first { $0.field == f } }

    public func evaluate(_ condition: Condition, in scope: Scope = Scope()) -> Outcome {
        switch condition {
        case .terms(let ids, _):
            var evidence: [Evidence] = []
            for f in matches.fields where scope.fields.contains(f.field) {
                for id in ids {
                    guard let hits = f.hitsByTerm[id] else { continue }
                    for h in Self.hits(hits, in: scope.range) { evidence.append(Evidence(field: f.field, hit: h)) }
                }
            }
            return Outcome(holds: !evidence.isEmpty, evidence: evidence)
        case .all(let items):
            var evidence: [Evidence] = []
            for item in items {
                let o = evaluate(item, in: scope)
                guard o.holds else { return .no }
                evidence += o.evidence
            }
            return Outcome(holds: true, evidence: evidence)
        case .any(let items):
            var evidence: [Evidence] = []
            var holds = false
            for item in items {
                let o = evaluate(item, in: scope)
                if o.holds {
                    holds = true
                    evidence += o.evidence
                }
            }
            return Outcome(holds: holds, evidence: evidence)
        case .none(let items):
            for item in items where evaluate(item, in: scope).holds { return .no }
            return Outcome(holds: true, evidence: [])
        case .atLeast(let n, let items):
            var count = 0
            var evidence: [Evidence] = []
            for item in items {
                let o = evaluate(item, in: scope)
                if o.holds {
                    count += 1
                    evidence += o.evidence
                }
            }
            return count >= n ? Outcome(holds: true, evidence: evidence) : .no
        case .near(let items, let within, let ordered):
            var evidence: [Evidence] = []
            for f in matches.fields where scope.fields.contains(f.field) {
                guard let used = near(items, within: within, ordered: ordered, field: f.field, range: scope.range) else { continue }
                evidence += used.map { Evidence(field: f.field, hit: $0) }
            }
            return Outcome(holds: !evidence.isEmpty, evidence: evidence)
        case .sentence(let items, let anchors), .paragraph(let items, let anchors):
            var sentence = false
            if case .sentence = condition { sentence = true }
            var evidence: [Evidence] = []
            var holds = false
            for f in matches.fields where scope.fields.contains(f.field) {
                for r in units(sentence: sentence, field: f, anchors: anchors, within: scope.range) {
                    let o = evaluate(.all(items), in: Scope(field: f.field, range: r))
                    if o.holds {
                        holds = true
                        evidence += o.evidence
                    }
                }
            }
            return Outcome(holds: holds, evidence: evidence)
        case .field(let f, let inner):
            guard scope.fields.contains(f) else { return .no }
            var s = scope
            s.fields = [f]
            return evaluate(inner, in: s)
        case .language(let codes):
            return Outcome(holds: LanguageFilter.matches(codes, article: matches.language, present: { languagesPresent() }), evidence: [])
        case .regex(let id, let regex, _):
            var evidence: [Evidence] = []
            for f in matches.fields where scope.fields.contains(f.field) {
                for h in Self.hits(regexHits(id, regex, f), in: scope.range) { evidence.append(Evidence(field: f.field, hit: h)) }
            }
            return Outcome(holds: !evidence.isEmpty, evidence: evidence)
        }
    }

    /// Hits (sorted by start) inside `range`.
    static func hits(_ hits: [TermHit], in range: Range<Int32>?) -> ArraySlice<TermHit> {
        guard let range else { return hits[...] }
        var lo = 0, hi = hits.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if hits[mid].start < range.lowerBound { lo = mid + 1 } else { hi = mid }
        }
        var end = lo
        while end < hits.count && hits[end].start < range.upperBound { end += 1 }
        return hits[lo..<end].filter { $0.end <= range.upperBound }[...]
    }

    // MARK: - Lazily computed facts

    func sentenceStarts(_ f: FieldMatches) -> [Int32] {
        if let s = cache.sentences[f.field] { return s }
        let s = SentenceSegmenter.starts(in: f.text, original: f.original)
        cache.sentences[f.field] = s
        return s
    }

    func positions(_ f: FieldMatches) -> WordPositions {
        if let p = cache.positions[f.field] { return p }
        let p = WordPositions(f.text)
        cache.positions[f.field] = p
        return p
    }

    func regexHits(_ id: Int32, _ regex: LinearRegex, _ f: FieldMatches) -> [TermHit] {
        if let h = cache.regexHits[id]?[f.field] { return h }
        var budget = min(Self.regexStepsPerField, cache.regexBudget)
        let before = budget
        let (ranges, exhausted) = budget > 0 ? regex.matches(in: f.text.bytes, budget: &budget) : ([], true)
        cache.regexBudget -= before - max(0, budget)
        if exhausted { cache.exhausted.insert(id) }
        let hits = ranges.map { TermHit(term: id, start: Int32($0.lowerBound), end: Int32($0.upperBound)) }
        cache.regexHits[id, default: [:]][f.field] = hits
        return hits
    }

    /// Whether a regex gave up in this article (for `explain`).
    func regexExhausted(_ id: Int32) -> Bool { cache.exhausted.contains(id) }

    func languagesPresent() -> Set<String> {
        if let l = cache.languages { return l }
        let l = LanguageFilter.languagesPresent(matches.fields.map(\.original).joined(separator: "\n"))
        cache.languages = l
        return l
    }

    /// Byte ranges of the sentences (or paragraphs) of a field worth trying: those holding
    /// an anchor hit, clipped to `within`.
    func units(sentence: Bool, field f: FieldMatches, anchors: [Int32]?, within: Range<Int32>?) -> [Range<Int32>] {
        let starts = sentence ? sentenceStarts(f) : f.text.paragraphStarts
        let n = Int32(f.text.bytes.count)
        guard n > 0 else { return [] }
        func range(_ k: Int) -> Range<Int32>? {
            var r = starts[k]..<(k + 1 < starts.count ? starts[k + 1] : n)
            if let w = within {
                guard r.overlaps(w) else { return nil }
                r = r.clamped(to: w)
            }
            return r
        }
        var indices: [Int]
        if let anchors {
            var set = Set<Int>()
            for id in anchors {
                for h in Self.hits(f.hitsByTerm[id] ?? [], in: within) { set.insert(SentenceSegmenter.index(of: h.start, in: starts)) }
            }
            indices = set.sorted()
        } else {
            indices = Array(starts.indices)
        }
        return indices.compactMap(range)
    }

    /// The hits of a satisfied `near` in one field, or nil.
    private func near(_ items: [Condition], within: Int, ordered: Bool, field: Field, range: Range<Int32>?) -> [TermHit]? {
        guard let f = self.field(field) else { return nil }
        var operands: [[TermHit]] = []
        for item in items {
            let o = evaluate(item, in: Scope(field: field, range: range))
            guard o.holds else { return nil }
            let hits = Array(Set(o.evidence.filter { $0.field == field }.map(\.hit))).sorted { ($0.start, $0.end) < ($1.start, $1.end) }
            guard !hits.isEmpty else { return nil }
            operands.append(hits)
        }
        let used = Proximity.find(operands, positions: positions(f), maxGap: Int32(2 * within), ordered: ordered)
        return used.isEmpty ? nil : used
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
        return used.sorted { ($0.start, $0.term) < ($1.start, $1.term) }
    }
}

/// `language:` filters (BRIEF §4: an article's language is given, or detected as ko, ja, zh,
/// en or mixed).
///
/// A code matches the article's language or its subtags (`zh` matches `zh-Hant`). A `mixed`
/// article (two scripts each holding a fifth of its letters, e.g. Korean with an English
/// translation) matches `mixed` and every language that holds a fifth of its letters, so
/// `language: [ko]` keeps a Korean article with an English translation below it.
enum LanguageFilter {
    static func matches(_ codes: Set<String>, article: String, present: () -> Set<String>) -> Bool {
        let lang = article.lowercased()
        if codes.contains(where: { lang == $0 || lang.hasPrefix($0 + "-") }) { return true }
        if lang == "mixed" { return !codes.isDisjoint(with: present()) }
        return false
    }

    /// Languages whose script holds at least a fifth of the letters.
    static func languagesPresent(_ text: String) -> Set<String> {
        LanguageDetector.languagesPresent(text)
    }
}

import PolicyMatcher

/// Decides whether a compiled condition holds on an article's matches, and with what
/// evidence.
///
/// Make one per article: it caches what only some rules need (sentence boundaries, word
/// positions, regex matches, the languages of a mixed article), computed on first use.
public struct Evaluator {
    /// Where an expression is evaluated: some fields, optionally a byte range within one.
    public struct Scope: Sendable {
        public var fields = FieldSet.all
        public var range: Range<Int32>?
        public init() {}

        init(field: Field, range: Range<Int32>?) {
            fields = [field]
            self.range = range
        }
    }

    /// A set of fields in one integer: a scope is made for every rule evaluated, and a
    /// `Set<Field>` allocated its storage each time.
    public struct FieldSet: Hashable, Sendable, ExpressibleByArrayLiteral {
        private var bits: UInt8

        /// Every field (a constant, not `Field.allCases`: no array, no lazy global).
        public static var all: FieldSet { FieldSet(bits: 0b11) }

        private init(bits: UInt8) {
            self.bits = bits
        }

        public init<S: Sequence<Field>>(_ fields: S) {
            bits = 0
            for f in fields { bits |= Self.bit(f) }
        }

        public init(arrayLiteral fields: Field...) {
            self.init(fields)
        }

        private static func bit(_ f: Field) -> UInt8 {
            switch f {
            case .title: 1
            case .body: 2
            }
        }

        public func contains(_ f: Field) -> Bool { bits & Self.bit(f) != 0 }

        public func intersection(_ other: FieldSet) -> FieldSet {
            var out = self
            out.bits &= other.bits
            return out
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
        /// Per field, whether each term id has a hit: a large term set (`$list`, an entity's
        /// aliases) is narrowed to the ids present before its hits are looked up.
        var termPresent: [Field: [Bool]] = [:]
    }

    public let matches: ArticleMatches
    let cache = Cache()
    /// Evaluates the plain way, without the shortcuts (`all:` trying regexes last, regexes
    /// skipped when none of their literals occurs, term sets narrowed first): the reference
    /// the tests compare the fast way against.
    public let plain: Bool

    public init(matches: ArticleMatches, plain: Bool = false) {
        self.matches = matches
        self.plain = plain
    }

    func field(_ f: Field) -> FieldMatches? { matches.fields.first { $0.field == f } }

    /// Whether `condition` holds in `scope`, with its evidence. Each operator evaluates itself
    /// (Rules/Operators/), calling back here for its operands.
    public func evaluate(_ condition: Condition, in scope: Scope = Scope()) -> Outcome {
        switch condition {
        case .terms(let ids, _): return TermOperators.evaluate(ids, in: scope, self)
        case .all(let items): return BooleanOperators.evaluate(all: items, in: scope, self)
        case .any(let items): return BooleanOperators.evaluate(any: items, in: scope, self)
        case .none(let items): return BooleanOperators.evaluate(none: items, in: scope, self)
        case .atLeast(let n, let items): return BooleanOperators.evaluate(atLeast: n, items, in: scope, self)
        case .near(let items, let within, let ordered): return NearOperator.evaluate(items, within: within, ordered: ordered, in: scope, self)
        case .sentence(let items, let anchors): return UnitOperators.evaluate(sentence: true, items, anchors: anchors, in: scope, self)
        case .paragraph(let items, let anchors): return UnitOperators.evaluate(sentence: false, items, anchors: anchors, in: scope, self)
        case .field(let f, let inner): return FieldOperators.evaluate(f, inner, in: scope, self)
        case .language(let codes): return LanguageOperator.evaluate(codes, self)
        case .regex(let id, let regex, let anchors): return RegexOperator.evaluate(id: id, regex, anchors: anchors, in: scope, self)
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
        var allInside = true
        while end < hits.count && hits[end].start < range.upperBound {
            if hits[end].end > range.upperBound { allInside = false }
            end += 1
        }
        // Most calls keep every hit: no copy then.
        return allInside ? hits[lo..<end] : hits[lo..<end].filter { $0.end <= range.upperBound }[...]
    }

    /// The ids of `ids` with a hit in field `f`, in the order given. Plain: all of them.
    func present(_ ids: [Int32], in f: FieldMatches) -> [Int32] {
        guard !plain, ids.count > 4 else { return ids }
        let flags: [Bool]
        if let p = cache.termPresent[f.field] {
            flags = p
        } else {
            let size = Int(f.hitsByTerm.keys.max() ?? -1) + 1
            var p = [Bool](repeating: false, count: max(0, size))
            for t in f.hitsByTerm.keys where t >= 0 { p[Int(t)] = true }
            cache.termPresent[f.field] = p
            flags = p
        }
        return ids.filter { $0 >= 0 && Int($0) < flags.count && flags[Int($0)] }
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

    /// The regex's matches in field `f`. `anchors`: literal terms one of which every match
    /// holds; when none occurs in the field the regex cannot match there and is not run.
    func regexHits(_ id: Int32, _ regex: LinearRegex, anchors: [Int32]? = nil, _ f: FieldMatches) -> [TermHit] {
        if let h = cache.regexHits[id]?[f.field] { return h }
        if !plain, let anchors, !anchors.contains(where: { f.hitsByTerm[$0] != nil }) {
            cache.regexHits[id, default: [:]][f.field] = []
            return []
        }
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
}

/// One occurrence of a term in a normalised field: byte offsets into `NormalizedText.bytes`.
public struct TermHit: Hashable, Sendable {
    public var term: Int32
    public var start: Int32
    public var end: Int32

    public init(term: Int32, start: Int32, end: Int32) {
        self.term = term
        self.start = start
        self.end = end
    }
}

/// Finds every occurrence of a set of terms in one pass over normalised text.
///
/// Literal bytes are found by one Aho-Corasick automaton while it fits its all-dense layout,
/// beyond that by a `LiteralTable` (the text looked up where a term can start), unless too many
/// terms share their first bytes (`LiteralSearch.automatic`); each candidate is then
/// checked for word boundaries (spaced scripts), extended to the end of its word
/// (`*`), or compared with the original case (`cased`). Names with `~N` are also
/// compared word by word within N edits.
public struct TermMatcher: Sendable {
    public let terms: [CompiledTerm]
    private let finder: LiteralFinder
    /// Terms with typo tolerance, matched word by word.
    private let fuzzy: [Int32]
    /// What the hot loop needs of each term, without copying `CompiledTerm`s (and their arrays).
    private let checks: [Check]

    struct Check {
        var length: Int32
        var leftBoundary: Bool
        var rightBoundary: Bool
        var prefix: Bool
        var cased: Bool
    }

    /// What finds the terms' bytes: both report the same occurrences that pass the checks.
    enum LiteralFinder: Sendable {
        case table(LiteralTable)
        case automaton(AhoCorasick)

        var memoryBytes: Int {
            switch self {
            case .table(let t): t.memoryBytes
            case .automaton(let a): a.memoryBytes
            }
        }

        func scan(_ text: UnsafeBufferPointer<UInt8>, into found: inout [(pattern: Int32, end: Int32)]) {
            switch self {
            case .table(let t): t.scan(text, into: &found)
            case .automaton(let a): a.scan(text, into: &found)
            }
        }
    }

    /// How the terms' bytes are found.
    public enum LiteralSearch: Sendable {
        /// The automaton while it fits the cache-friendly all-dense layout (up to about 1,000
        /// benchmark terms, where it was as fast as the table or faster), the table beyond (where
        /// the automaton's table is read from memory at random and the table was a quarter
        /// faster at 10,000 terms; see docs/performance.md, thirteenth round).
        case automatic
        case automaton
        /// The table, unless too many terms share their first bytes.
        case table
    }

    /// `search`: tests compare the two ways; the program leaves it `.automatic`.
    public init(terms: [CompiledTerm], search: LiteralSearch = .automatic) {
        self.terms = terms
        let patterns = terms.map(\.bytes)
        let wantsTable = switch search {
        case .automatic: !AhoCorasick.wouldBeAllDense(patterns: patterns)
        case .automaton: false
        case .table: true
        }
        if wantsTable, let table = LiteralTable(patterns: patterns, leftBounded: terms.map(\.leftBoundary)) {
            finder = .table(table)
        } else {
            finder = .automaton(AhoCorasick(patterns: patterns))
        }
        self.checks = terms.map {
            Check(length: Int32($0.bytes.count), leftBoundary: $0.leftBoundary, rightBoundary: $0.rightBoundary,
                  prefix: $0.spec.prefix, cased: $0.casedBytes != nil)
        }
        self.fuzzy = terms.indices.filter { terms[$0].spec.maxEdits > 0 && !terms[$0].bytes.contains(0x20) }.map(Int32.init)
    }

    /// The bytes of the table or automaton that finds the terms.
    public var finderMemoryBytes: Int { finder.memoryBytes }

    /// Whether the terms are found by the automaton (too many share their first bytes).
    public var usesAutomaton: Bool {
        if case .automaton = finder { return true }
        return false
    }

    /// All hits in `text`, sorted by start then term. `original` is the field's original
    /// text, needed only when some term is `cased`.
    public func find(in text: NormalizedText, original: String) -> [TermHit] {
        var hits: [TermHit] = []
        var keepCase: TextNormalizer?
        var originalScalars: [Unicode.Scalar]?
        text.bytes.withUnsafeBufferPointer { buf in
            var found: [(pattern: Int32, end: Int32)] = []
            finder.scan(buf, into: &found)
            hits.reserveCapacity(found.count)
            for (pattern, matchEnd) in found {
                let p = Int(pattern)
                let term = checks[p]
                let end = Int(matchEnd)
                let start = end - Int(term.length)
                if term.leftBoundary && start > 0 && ScriptClass.isWordChar(UTF8Scalar.decodeBefore(buf, start)) { continue }
                var stop = end
                if term.prefix {
                    // Extend to the end of the word so the evidence shows the whole word.
                    while stop < buf.count {
                        let (v, l) = UTF8Scalar.decode(buf, at: stop)
                        guard ScriptClass.isWordChar(v) else { break }
                        stop += l
                    }
                } else if term.rightBoundary && end < buf.count && ScriptClass.isWordChar(UTF8Scalar.decode(buf, at: end).0) {
                    continue
                }
                if term.cased, let expected = terms[p].casedBytes {
                    if originalScalars == nil { originalScalars = Array(original.unicodeScalars) }
                    if keepCase == nil { keepCase = TextNormalizer(foldCase: false) }
                    let r = text.originRange(start: start, end: end)
                    var s = String.UnicodeScalarView()
                    s.append(contentsOf: originalScalars![r])
                    var got = keepCase!.normalize(String(s)).bytes
                    while got.last == 0x20 { got.removeLast() }
                    while got.first == 0x20 { got.removeFirst() }
                    if term.prefix {
                        guard got.starts(with: expected) else { continue }
                    } else if got != expected {
                        continue
                    }
                }
                hits.append(TermHit(term: pattern, start: Int32(start), end: Int32(stop)))
            }
            if !fuzzy.isEmpty { findFuzzy(buf, text: text, into: &hits) }
        }
        hits.sort { ($0.start, $0.term, $0.end) < ($1.start, $1.term, $1.end) }
        // A fuzzy term also matches exactly: drop the duplicate.
        if !fuzzy.isEmpty {
            var seen = Set<TermHit>()
            hits = hits.filter { seen.insert($0).inserted }
        }
        return hits
    }

    private func findFuzzy(_ buf: UnsafeBufferPointer<UInt8>, text: NormalizedText, into hits: inout [TermHit]) {
        let targets: [(Int32, [UInt32], Int)] = fuzzy.map { t in
            let term = terms[Int(t)]
            return (t, String(decoding: term.bytes, as: UTF8.self).unicodeScalars.map(\.value), term.spec.maxEdits)
        }
        var i = 0
        var word: [UInt32] = []
        while i < buf.count {
            let (v, l) = UTF8Scalar.decode(buf, at: i)
            guard ScriptClass.isWordChar(v) else { i += l; continue }
            let start = i
            word.removeAll(keepingCapacity: true)
            while i < buf.count {
                let (w, wl) = UTF8Scalar.decode(buf, at: i)
                guard ScriptClass.isWordChar(w) else { break }
                word.append(w)
                i += wl
            }
            for (t, target, k) in targets where target.count >= 5 && abs(target.count - word.count) <= k {
                if NameDistance.distance(word, target, limit: k) <= k {
                    hits.append(TermHit(term: t, start: Int32(start), end: Int32(i)))
                }
            }
        }
    }
}

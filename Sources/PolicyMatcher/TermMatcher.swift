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
/// Literal bytes are found by one Aho-Corasick automaton; each candidate is then
/// checked for word boundaries (spaced scripts), extended to the end of its word
/// (`*`), or compared with the original case (`cased`). Names with `~N` are also
/// compared word by word within N edits.
public struct TermMatcher: Sendable {
    public let terms: [CompiledTerm]
    private let automaton: AhoCorasick
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

    public init(terms: [CompiledTerm]) {
        self.terms = terms
        self.automaton = AhoCorasick(patterns: terms.map(\.bytes))
        self.checks = terms.map {
            Check(length: Int32($0.bytes.count), leftBoundary: $0.leftBoundary, rightBoundary: $0.rightBoundary,
                  prefix: $0.spec.prefix, cased: $0.casedBytes != nil)
        }
        self.fuzzy = terms.indices.filter { terms[$0].spec.maxEdits > 0 && !terms[$0].bytes.contains(0x20) }.map(Int32.init)
    }

    public var automatonMemoryBytes: Int { automaton.memoryBytes }

    /// All hits in `text`, sorted by start then term. `original` is the field's original
    /// text, needed only when some term is `cased`.
    public func find(in text: NormalizedText, original: String) -> [TermHit] {
        var hits: [TermHit] = []
        var keepCase: TextNormalizer?
        var originalScalars: [Unicode.Scalar]?
        text.bytes.withUnsafeBufferPointer { buf in
            var found: [(pattern: Int32, end: Int32)] = []
            automaton.scan(buf, into: &found)
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

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
    /// The sinks' bytes each article's alerts are encoded into here, on the scanning thread
    /// (`ReportEncoder.encodeAhead`), so that the sinks only copy them. None by default.
    public var encodeAhead: ReportEncoder.Targets = []

    /// For each term id, the rules (indices into `ruleSet.rules`) anchored on it; and the rules
    /// with no anchor. An article then costs its hits, not the number of rules.
    private let rulesByTerm: [[Int32]]
    private let unanchored: [Int32]
    /// Each rule as its alerts name it, made once: copying the `CompiledRule` (its whole `Rule`,
    /// a dozen references to retain and release) per alert was 1.5% of a 10,000-rule scan.
    private let ruleRefs: [Alert.RuleRef]
    /// Each rule's id hashed with the separator, where its alerts' ids start (`Alert.id`).
    private let ruleIDHashes: [UInt64]
    /// Each term as the evidence names it (`RuleSet.display`), made once, not per match.
    private let termDisplays: [String]

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
        ruleIDHashes = ruleSet.rules.map { Alert.idPrefix(rule: $0.rule.id) }
        termDisplays = ruleSet.matcher.terms.indices.map { ruleSet.display(term: Int32($0)) }
    }

    /// The term as the evidence names it.
    func display(term: Int32) -> String {
        term >= 0 && Int(term) < termDisplays.count ? termDisplays[Int(term)] : ruleSet.display(term: term)
    }

    static func ruleRef(_ rule: CompiledRule) -> Alert.RuleRef {
        Alert.RuleRef(id: rule.rule.id, title: rule.rule.title, severity: rule.rule.severity, tags: rule.rule.tags, file: rule.file)
    }

    /// Rules worth evaluating on `m`, in rule order: those anchored on a term that occurred,
    /// and those without anchor (the same ones as testing every rule's anchors).
    func candidates(_ m: ArticleMatches) -> [Int32] {
        // One array, sized first, sorted and made unique in place.
        var total = unanchored.count
        for f in m.fields {
            for term in f.hitsByTerm.keys where term >= 0 && Int(term) < rulesByTerm.count { total += rulesByTerm[Int(term)].count }
        }
        var out: [Int32] = []
        out.reserveCapacity(total)
        out += unanchored
        for f in m.fields {
            for term in f.hitsByTerm.keys where term >= 0 && Int(term) < rulesByTerm.count { out += rulesByTerm[Int(term)] }
        }
        out.sort()
        var kept = 0
        for i in out.indices where kept == 0 || out[kept - 1] != out[i] {
            out[kept] = out[i]
            kept += 1
        }
        out.removeLast(out.count - kept)
        return out
    }

    /// Matches of every term in the article.
    public func matches(_ article: Article, normalizer: inout TextNormalizer) -> ArticleMatches {
        ArticleMatches(article: article, matcher: ruleSet.matcher, normalizer: &normalizer)
    }

    /// The alerts raised on `article`, ordered by rule id. `now` fills `first_seen`.
    public func scan(_ article: Article, normalizer: inout TextNormalizer, now: String) -> [Alert] {
        scan(article, normalizer: &normalizer, now: now, storing: false).alerts
    }

    /// The alerts, and with `storing` the state's rows of them (`StoredAlert.encode`), made
    /// with the bytes encoded ahead (`ReportEncoder.encodeAhead`).
    func scan(_ article: Article, normalizer: inout TextNormalizer, now: String, storing: Bool) -> (alerts: [Alert], stored: [StoredAlert.Row]?) {
        let m = matches(article, normalizer: &normalizer)
        let evaluator = Evaluator(matches: m, plain: plain)
        var alerts: [Alert] = []
        var scalars = FieldScalars(count: m.fields.count)
        let targets = storing ? encodeAhead.union(.state) : encodeAhead
        // With bytes encoded ahead, the evidence is written as JSON straight from the text, one
        // buffer for the article's alerts (`Alert.evidenceJSON`); its records' strings are made
        // only if something reads them.
        let writesEvidence = !targets.isEmpty
        var evidence = JSONBytes(pretty: false, capacity: 0)
        var evidenceEnds: [Int] = []
        var scratch: [UInt8] = []
        // Made with the first alert, shared by all the article's alerts.
        var shared: (article: Alert.ArticleRef, entities: [String: [String]])?
        var facetReader = ruleSet.facets.map { FacetExtractor(facets: $0, matches: m, evaluator: plain ? nil : evaluator, plain: plain) }
        for index in candidates(m) {
            // The rule's condition only, not a copy of the whole rule (see `ruleRefs`).
            let outcome = evaluator.evaluate(ruleSet.rules[Int(index)].condition)
            guard outcome.holds else { continue }
            if shared == nil { shared = (Alert.ArticleRef(article), m.entities(ruleSet.entities)) }
            let rule = ruleRefs[Int(index)]
            var records: [Alert.MatchRecord] = []
            if writesEvidence {
                writeRecords(outcome.evidence, matches: m, scalars: &scalars, into: &evidence, scratch: &scratch)
                evidenceEnds.append(evidence.bytes.count)
            } else {
                records = self.records(outcome.evidence, matches: m, scalars: &scalars)
            }
            alerts.append(Alert(
                id: Alert.id(ruleHash: ruleIDHashes[Int(index)], articleKey: article.key),
                rule: rule,
                article: shared!.article,
                matches: records,
                entities: shared!.entities,
                firstSeen: now,
                facets: facetReader?.facets(for: outcome.evidence, tags: rule.tags)))
        }
        if writesEvidence && !alerts.isEmpty {
            // Kept at its size: the slices live as long as the alerts.
            let buffer = evidence.bytes.withUnsafeBufferPointer { [UInt8]($0) }
            var start = 0
            for i in alerts.indices {
                alerts[i].evidenceJSON = buffer[start..<evidenceEnds[i]]
                start = evidenceEnds[i]
            }
        }
        let stored = ReportEncoder.encodeAhead(&alerts, for: targets)
        return (alerts, stored)
    }

    /// Each field's original text, made once per article for all its evidence: its bytes when
    /// it is ASCII (one byte per code point, the common case), else its scalars. By the
    /// field's position in `ArticleMatches.fields`.
    struct FieldScalars {
        enum Text {
            case ascii([UInt8])
            case scalars([Unicode.Scalar])
        }

        private var byField: [Text?]

        init(count: Int) {
            byField = Array(repeating: nil, count: count)
        }

        /// The text of field `i` of `m`.
        mutating func get(_ m: ArticleMatches, at i: Int) -> Text {
            if let t = byField[i] { return t }
            let ascii = m.fields[i].original.utf8.count == m.fields[i].text.originLength
            let t: Text = ascii ? .ascii(Array(m.fields[i].original.utf8)) : .scalars(RuleScanner.scalars(of: m.fields[i].original))
            byField[i] = t
            return t
        }
    }

    /// The scalars of `text`, decoded from its UTF-8 in one pass. `Array(text.unicodeScalars)`
    /// walked the text twice (to count, then to copy), a scalar at a time through generic code:
    /// at 1,000 rules, 47 M instructions on 20 MB, for the fields of articles with alerts.
    static func scalars(of text: String) -> [Unicode.Scalar] {
        var text = text
        return text.withUTF8 { u in
            [Unicode.Scalar](unsafeUninitializedCapacity: u.count) { out, made in
                // A String's UTF-8 is valid: every lead byte has its continuation bytes.
                var i = 0, k = 0
                while i < u.count {
                    let b = u[i]
                    let v: UInt32
                    if b < 0x80 {
                        v = UInt32(b)
                        i += 1
                    } else if b < 0xE0 {
                        v = UInt32(b & 0x1F) << 6 | UInt32(u[i + 1] & 0x3F)
                        i += 2
                    } else if b < 0xF0 {
                        v = UInt32(b & 0x0F) << 12 | UInt32(u[i + 1] & 0x3F) << 6 | UInt32(u[i + 2] & 0x3F)
                        i += 3
                    } else {
                        v = UInt32(b & 0x07) << 18 | UInt32(u[i + 1] & 0x3F) << 12 | UInt32(u[i + 2] & 0x3F) << 6 | UInt32(u[i + 3] & 0x3F)
                        i += 4
                    }
                    (out.baseAddress! + k).initialize(to: Unicode.Scalar(v) ?? "\u{FFFD}")
                    k += 1
                }
                made = k
            }
        }
    }

    func makeAlert(_ rule: CompiledRule, article: Article, matches: ArticleMatches, evidence: [Evidence], now: String) -> Alert {
        var scalars = FieldScalars(count: matches.fields.count)
        return Alert(id: Alert.id(rule: rule.rule.id, articleKey: article.key), rule: Self.ruleRef(rule), article: Alert.ArticleRef(article),
                     matches: records(evidence, matches: matches, scalars: &scalars), entities: [:], firstSeen: now)
    }

    /// An alert's evidence as the report gives it: in report order, each once, at most
    /// `maxMatchesPerAlert`.
    func records(_ evidence: [Evidence], matches: ArticleMatches, scalars: inout FieldScalars) -> [Alert.MatchRecord] {
        var records: [Alert.MatchRecord] = []
        records.reserveCapacity(min(evidence.count, maxMatchesPerAlert))
        forEachKept(evidence, matches: matches, scalars: &scalars) { _, ev, r, text, term in
            records.append(Self.record(ev, range: r, scalars: text, term: term))
        }
        return records
    }

    /// The same records as `records` makes, written as the JSON of the `matches` array at the
    /// end of `json` (`JSONBytes.matchRecord`) without making their strings: each snippet is
    /// written into `scratch`, then escaped into `json`.
    func writeRecords(_ evidence: [Evidence], matches: ArticleMatches, scalars: inout FieldScalars, into json: inout JSONBytes,
                      scratch: inout [UInt8]) {
        json.bytes.append(0x5B)
        forEachKept(evidence, matches: matches, scalars: &scalars) { k, ev, r, text, term in
            if k > 0 { json.bytes.append(0x2C) }
            Self.writeRecord(ev, range: r, scalars: text, term: term, into: &json, scratch: &scratch)
        }
        json.bytes.append(0x5D)
    }

    /// Calls `body` for each piece of evidence an alert keeps, in report order (`sortedUnique`,
    /// at most `maxMatchesPerAlert`): its place in that order, its range in the field's original
    /// text, the field's text, and the term as the evidence names it.
    @inline(__always)
    private func forEachKept(_ evidence: [Evidence], matches: ArticleMatches, scalars: inout FieldScalars,
                             _ body: (Int, Evidence, Range<Int>, FieldScalars.Text, String) -> Void) {
        let unique = Self.sortedUnique(evidence)
        for k in 0..<min(unique.count, maxMatchesPerAlert) {
            let ev = unique[k]
            // By index, and the field's parts read in place: `first(where:)`, or the field passed
            // whole, copied it (its text, offset map and hits: retains and releases, four per
            // alert, 6% of a scan at 10,000 rules).
            let f = matches.fields.firstIndex { $0.field == ev.field }!
            let r = matches.fields[f].text.originRange(start: Int(ev.hit.start), end: Int(ev.hit.end))
            body(k, ev, r, scalars.get(matches, at: f), display(term: ev.hit.term))
        }
    }

    /// Evidence at `r` in the field's original text, as `record` makes it, written as JSON.
    static func writeRecord(_ ev: Evidence, range r: Range<Int>, scalars: FieldScalars.Text, term: String, into json: inout JSONBytes,
                            scratch: inout [UInt8]) {
        switch scalars {
        case .ascii(let bytes):
            bytes.withUnsafeBufferPointer { field in
                snippet(ascii: bytes, r) { capacity, fill in
                    withScratch(&scratch, capacity) { out in
                        let n = fill(out)
                        json.matchRecord(end: r.upperBound, field: ev.field, snippet: UnsafeBufferPointer(start: out, count: n),
                                         start: r.lowerBound, term: term, text: UnsafeBufferPointer(rebasing: field[r]))
                    }
                }
            }
        case .scalars(let scalars):
            // The text's UTF-8 first, the snippet after it, in the one buffer.
            snippet(scalars, r) { capacity, fill in
                withScratch(&scratch, r.count * 4 + capacity) { out in
                    var t = 0
                    for s in scalars[r] { t += utf8(s, out + t) }
                    let n = fill(out + t)
                    json.matchRecord(end: r.upperBound, field: ev.field, snippet: UnsafeBufferPointer(start: out + t, count: n),
                                     start: r.lowerBound, term: term, text: UnsafeBufferPointer(start: out, count: t))
                }
            }
        }
    }

    /// `body` given `scratch`'s memory, at least `capacity` bytes of it.
    @inline(__always)
    static func withScratch(_ scratch: inout [UInt8], _ capacity: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Void) {
        if scratch.count < capacity { scratch = [UInt8](repeating: 0, count: max(capacity, 2 * scratch.count, 1024)) }
        scratch.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    /// Writes `s` as UTF-8 at `out`; how many bytes (1 to 4).
    @inline(__always)
    static func utf8(_ s: Unicode.Scalar, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        let v = s.value
        switch v {
        case 0..<0x80:
            out[0] = UInt8(v)
            return 1
        case 0x80..<0x800:
            out[0] = 0xC0 | UInt8(v >> 6)
            out[1] = 0x80 | UInt8(v & 0x3F)
            return 2
        case 0x800..<0x10000:
            out[0] = 0xE0 | UInt8(v >> 12)
            out[1] = 0x80 | UInt8((v >> 6) & 0x3F)
            out[2] = 0x80 | UInt8(v & 0x3F)
            return 3
        default:
            out[0] = 0xF0 | UInt8(v >> 18)
            out[1] = 0x80 | UInt8((v >> 12) & 0x3F)
            out[2] = 0x80 | UInt8((v >> 6) & 0x3F)
            out[3] = 0x80 | UInt8(v & 0x3F)
            return 4
        }
    }

    /// The evidence in report order (title first, then by start, term and end), each once. The
    /// order compares every field of `Evidence`, so equal items are adjacent once sorted: no `Set`
    /// (a hash table per alert) is needed to drop them.
    static func sortedUnique(_ evidence: [Evidence]) -> [Evidence] {
        @inline(__always) func key(_ e: Evidence) -> (Int, Int32, Int32, Int32) { (e.field == .title ? 0 : 1, e.hit.start, e.hit.term, e.hit.end) }
        // Most often already so (one term's hits, in one field): returned as it is.
        if evidence.count < 2 || (1..<evidence.count).allSatisfy({ key(evidence[$0 - 1]) < key(evidence[$0]) }) { return evidence }
        var sorted = evidence
        sorted.sort { key($0) < key($1) }
        var unique: [Evidence] = []
        unique.reserveCapacity(sorted.count)
        for e in sorted where unique.last != e { unique.append(e) }
        return unique
    }

    static func record(_ ev: Evidence, in field: FieldMatches, term: String) -> Alert.MatchRecord {
        record(ev, in: field, scalars: scalars(of: field.original), term: term)
    }

    static func record(_ ev: Evidence, in field: FieldMatches, scalars: [Unicode.Scalar], term: String) -> Alert.MatchRecord {
        record(ev, in: field, scalars: .scalars(scalars), term: term)
    }

    static func record(_ ev: Evidence, in field: FieldMatches, scalars: FieldScalars.Text, term: String) -> Alert.MatchRecord {
        record(ev, range: field.text.originRange(start: Int(ev.hit.start), end: Int(ev.hit.end)), scalars: scalars, term: term)
    }

    /// The record of evidence whose hit is at `r` in the field's original text.
    static func record(_ ev: Evidence, range r: Range<Int>, scalars: FieldScalars.Text, term: String) -> Alert.MatchRecord {
        let text: String, snippet: String
        switch scalars {
        case .ascii(let bytes):
            text = String(decoding: bytes[r], as: UTF8.self)
            snippet = Self.snippet(ascii: bytes, r)
        case .scalars(let scalars):
            text = String(String.UnicodeScalarView(scalars[r]))
            snippet = Self.snippet(scalars, r)
        }
        return Alert.MatchRecord(term: term, field: ev.field, start: r.lowerBound, end: r.upperBound, text: text, snippet: snippet)
    }

    /// The same snippet from text that is all ASCII, given as its bytes: each word copied in
    /// one go rather than byte by byte (most evidence is in ASCII text). Tested against the
    /// scalar path.
    static func snippet(ascii bytes: [UInt8], _ r: Range<Int>, radius: Int = 60) -> String {
        snippet(ascii: bytes, r, radius: radius, into: string)
    }

    /// A string of at most `capacity` UTF-8 bytes written by `fill`, which says how many.
    @inline(__always)
    static func string(capacity: Int, _ fill: (UnsafeMutablePointer<UInt8>) -> Int) -> String {
        String(unsafeUninitializedCapacity: capacity) { fill($0.baseAddress!) }
    }

    /// The snippet's UTF-8, written where `output` says: it is given the most bytes the
    /// snippet may take and a function that writes them at a pointer and says how many.
    @inline(__always)
    static func snippet<R>(ascii bytes: [UInt8], _ r: Range<Int>, radius: Int = 60,
                           into output: (Int, (UnsafeMutablePointer<UInt8>) -> Int) -> R) -> R {
        @inline(__always) func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
        let (lo, hi) = snippetWindow(bytes, r, radius: radius, isSpace: isSpace)
        return bytes.withUnsafeBufferPointer { source in
            let src = source.baseAddress!
            return output(max(0, hi - lo) + 6) { out in
                var n = 0
                if lo > 0 { ellipsis(out, &n) }
                // Most windows are words between single spaces: copied in one go.
                if hi > lo, !needsCollapsing(src + lo, count: hi - lo) {
                    (out + n).update(from: src + lo, count: hi - lo)
                    n += hi - lo
                    if hi < bytes.count { ellipsis(out, &n) }
                    return n
                }
                let first = n
                var i = lo
                while i < hi {
                    if isSpace(src[i]) {
                        // A run becomes one space; none at the start (trimmed).
                        repeat { i += 1 } while i < hi && isSpace(src[i])
                        if n > first {
                            out[n] = 0x20
                            n += 1
                        }
                        continue
                    }
                    var j = i + 1
                    while j < hi && !isSpace(src[j]) { j += 1 }
                    (out + n).update(from: src + i, count: j - i)
                    n += j - i
                    i = j
                }
                // None at the end either (a word never holds a space).
                if n > first && out[n - 1] == 0x20 { n -= 1 }
                if hi < bytes.count { ellipsis(out, &n) }
                return n
            }
        }
    }

    /// Whether ASCII text would change when its whitespace is collapsed and trimmed: it starts
    /// or ends with a space, or holds two spaces in a row or a byte below 0x0E (tabs and line
    /// breaks, and a few control bytes that are not whitespace: those go the slow way too).
    /// Eight bytes at a time.
    static func needsCollapsing(_ p: UnsafePointer<UInt8>, count: Int) -> Bool {
        guard count > 0, p[0] != 0x20, p[count - 1] != 0x20 else { return count > 0 }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080, lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        var i = 0
        var lastWasSpace = false
        while i + 8 <= count {
            let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            // A byte below 0x0E (the classic test: it may also flag a byte just after one).
            if (w &- ones &* 0x0E) & ~w & highs != 0 { return true }
            // The spaces, exactly: 0x80 in each byte that is 0x20.
            let x = w ^ (ones &* 0x20)
            let spaces = ~(((x & lows) &+ lows) | x | lows)
            // Two in a row within the word (little-endian: the next byte is 8 bits up), or
            // across the words' boundary.
            if spaces & (spaces >> 8) != 0 || (lastWasSpace && spaces & 0x80 != 0) { return true }
            lastWasSpace = spaces >> 63 != 0
            i += 8
        }
        while i < count {
            let b = p[i]
            if b < 0x0E || (b == 0x20 && lastWasSpace) { return true }
            lastWasSpace = b == 0x20
            i += 1
        }
        return false
    }

    /// About 60 characters either side of the match, whitespace collapsed, cut at spaces.
    static func snippet(_ scalars: [Unicode.Scalar], _ r: Range<Int>, radius: Int = 60) -> String {
        snippet(scalars, r, radius: radius, into: string)
    }

    /// The snippet's UTF-8 written where `output` says (see `snippet(ascii:_:radius:into:)`).
    @inline(__always)
    static func snippet<R>(_ scalars: [Unicode.Scalar], _ r: Range<Int>, radius: Int = 60,
                           into output: (Int, (UnsafeMutablePointer<UInt8>) -> Int) -> R) -> R {
        snippet(scalars, r, radius: radius, bytesPerUnit: 4, isSpace: isSpace, write: utf8, into: output)
    }

    /// The code points a snippet shows: about `radius` either side of the match, cut at a space
    /// that lies more than 10 code points from it.
    @inline(__always)
    static func snippetWindow<T>(_ units: [T], _ r: Range<Int>, radius: Int, isSpace: (T) -> Bool) -> (lo: Int, hi: Int) {
        var lo = max(0, r.lowerBound - radius)
        var hi = min(units.count, r.upperBound + radius)
        if lo > 0, let sp = units[lo..<r.lowerBound].firstIndex(where: isSpace), sp < r.lowerBound - 10 { lo = sp + 1 }
        if hi < units.count, let sp = units[r.upperBound..<hi].lastIndex(where: isSpace), sp > r.upperBound + 10 { hi = sp }
        return (lo, hi)
    }

    /// Writes "…" at `out + n`.
    @inline(__always)
    static func ellipsis(_ out: UnsafeMutablePointer<UInt8>, _ n: inout Int) {
        out[n] = 0xE2; out[n + 1] = 0x80; out[n + 2] = 0xA6
        n += 3
    }

    /// The snippet over code points, written where `output` says (`write` puts one code
    /// point's UTF-8, at most `bytesPerUnit` bytes, and says how many).
    @inline(__always)
    static func snippet<T, R>(_ units: [T], _ r: Range<Int>, radius: Int = 60, bytesPerUnit: Int, isSpace: @escaping (T) -> Bool,
                              write: @escaping (T, UnsafeMutablePointer<UInt8>) -> Int,
                              into output: (Int, (UnsafeMutablePointer<UInt8>) -> Int) -> R) -> R {
        let (lo, hi) = snippetWindow(units, r, radius: radius, isSpace: isSpace)
        return output(max(0, hi - lo) * bytesPerUnit + 6) { out in
            var n = 0
            if lo > 0 { ellipsis(out, &n) }
            let first = n
            var lastSpace = false
            for i in lo..<max(lo, hi) {
                let u = units[i]
                if isSpace(u) {
                    // Runs become one space; none at the start (trimmed).
                    if !lastSpace && n > first {
                        out[n] = 0x20
                        n += 1
                    }
                    lastSpace = true
                } else {
                    n += write(u, out + n)
                    lastSpace = false
                }
            }
            if lastSpace && n > first && out[n - 1] == 0x20 { n -= 1 }
            if hi < units.count { ellipsis(out, &n) }
            return n
        }
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


import PolicyMatcher

/// An alert's facets: who acts, who is hit, which sectors, what stage (docs/rules.md, "Facets").
public struct Facets: Codable, Hashable, Sendable {
    /// Jurisdictions (ISO 3166 alpha-2 codes, or EU) whose government or agency acts.
    public var acting: [String]
    /// Jurisdictions the action targets.
    public var affected: [String]
    public var sectors: [String]
    /// `proposed`, `announced`, `in_force`, `lifted`, `threatened`, `protested`; nil when no cue says.
    public var stage: String?

    public init(acting: [String] = [], affected: [String] = [], sectors: [String] = [], stage: String? = nil) {
        self.acting = acting
        self.affected = affected
        self.sectors = sectors
        self.stage = stage
    }
}

/// Reads facets off an alert's evidence sentences, as the rule pack's `facets:` says:
///
/// - A jurisdiction mention (a country, or an agency standing for its country) is *affected*
///   when a target cue stands next to it: before it with at most `within` words between
///   ("sanctions **on** China"), or right after it with at most one word between ("중국**에
///   대한**", "Japanese electronic **goods**"); or when a word names the target itself (대중, 対中).
/// - Of the other mentions, those before the sentence's first evidence word that is not itself
///   a jurisdiction act (the sentence's subject: "BIS and Japan's METI imposed ..."); when no
///   mention comes first, the first one acts (policy `first`: only the first mention acts;
///   `all`: every mention that is not a target, for talks and joint statements).
/// - In a sentence with a complaint cue ("criticised", 비판), the first jurisdiction named
///   complains (it is affected) and the others act.
/// - Only the evidence sentences where the rule matched best are read (most distinct evidence
///   words that are not country names).
/// - The stage is the first declared stage with a cue in those sentences; sectors are
///   every declared sector with a cue in an evidence sentence or the title.
///
/// - Body sentences are read first; the title's only when the body names no actor.
///
/// One extractor serves one article (it keeps each field's sentence boundaries).
struct FacetExtractor {
    let facets: CompiledFacets
    let matches: ArticleMatches
    /// The article's evaluator, whose sentence boundaries are reused (nil: split here).
    let evaluator: Evaluator?
    private var sentenceStarts: [Field: [Int32]] = [:]
    /// Per field, each sentence's hits (sentence index -> term and its hits there), made once
    /// so that reading a sentence costs its own hits rather than the whole article's.
    private var hitsBySentence: [Field: [Int: [SentenceHits]]] = [:]

    private struct SentenceHits {
        var term: Int32
        var hits: [TermHit]
    }

    /// Finds each sentence's hits the plain way (filtering every term's hits by the
    /// sentence's range): the reference the tests compare the grouping against.
    let plain: Bool

    init(facets: CompiledFacets, matches: ArticleMatches, evaluator: Evaluator? = nil, plain: Bool = false) {
        self.facets = facets
        self.matches = matches
        self.evaluator = evaluator
        self.plain = plain
    }

    struct Mention {
        var start: Int32
        var end: Int32
        var codes: [String]
    }

    /// The facets of an alert with this evidence, raised by a rule with these tags.
    mutating func facets(for evidence: [Evidence], tags: [String] = []) -> Facets {
        let byTag = facets.actingByTag
        let policy = tags.compactMap { byTag[$0] }.first ?? facets.acting
        var acting = Set<String>(), affected = Set<String>(), sectorHits = Set<Int32>(), stageHits = Set<Int32>()
        var byField: [Field: [Evidence]] = [:]
        for e in evidence { byField[e.field, default: []].append(e) }
        // The body's sentences first; a headline packs several stories into one sentence,
        // so it is read for acting and affected only when the body names no actor.
        let order = matches.fields.indices.sorted { (matches.fields[$0].field == .body ? 0 : 1) < (matches.fields[$1].field == .body ? 0 : 1) }
        for fieldIndex in order {
            let f = matches.fields[fieldIndex]
            guard let ev = byField[f.field], !ev.isEmpty else { continue }
            let readActors = f.field == .body || acting.isEmpty
            let starts = sentences(fieldIndex)
            // Evidence grouped by sentence: sentence index -> evidence starts.
            var bySentence: [Int: [TermHit]] = [:]
            for e in ev { bySentence[Self.sentence(containing: e.hit.start, starts), default: []].append(e.hit) }
            // The sentences where the rule matched best: the most distinct evidence words that
            // are not country names (`any:` operands collect every occurrence in the article,
            // so a lone "China" elsewhere is evidence too, but not where the action is).
            let strength = bySentence.mapValues { Set($0.filter { facets.jurisdictionsByTerm[$0.term] == nil }.map(\.term)).count }
            let best = strength.values.max() ?? 0
            let grouped = plain ? [:] : sentenceHits(fieldIndex, starts)
            for (s, hits) in bySentence {
                let lo = starts[s], hi = s + 1 < starts.count ? starts[s + 1] : Int32(f.text.bytes.count)
                let here = plain ? Self.hitsPlain(f, lo..<hi) : grouped[s] ?? []
                let inSentence = here.map(\.term)
                sectorHits.formUnion(inSentence)
                guard best > 0, strength[s] == best else { continue }
                if readActors { read(f, lo..<hi, here, evidence: hits, policy: policy, acting: &acting, affected: &affected) }
                if f.field == .body || stageHits.isEmpty { stageHits.formUnion(inSentence) }
            }
        }
        // The title names the sector as often as the body does.
        if let title = matches.fields.first(where: { $0.field == .title }) { sectorHits.formUnion(title.hitsByTerm.keys) }
        let sectors = facets.sectors.filter { !$0.terms.isDisjoint(with: sectorHits) }.map(\.name)
        let stage = facets.stages.first { !$0.terms.isDisjoint(with: stageHits) }?.name
        return Facets(acting: acting.sorted(), affected: affected.sorted(), sectors: Array(Set(sectors)).sorted(), stage: stage)
    }

    /// Acting and affected jurisdictions of one evidence sentence `range` of field `f`, whose
    /// hits are `sentenceHits`.
    private func read(_ f: FieldMatches, _ range: Range<Int32>, _ sentenceHits: [SentenceHits], evidence: [TermHit],
                      policy: FacetSpec.ActingPolicy, acting: inout Set<String>, affected: inout Set<String>) {
        var mentions: [Mention] = [], before: [TermHit] = [], after: [TermHit] = [], venues: [TermHit] = []
        var complaint = false
        var datelineEnd: Int32 = -1
        for group in sentenceHits {
            let term = group.term, inside = group.hits
            if let codes = facets.jurisdictionsByTerm[term] { mentions += inside.map { Mention(start: $0.start, end: $0.end, codes: codes) } }
            if facets.targetBefore.contains(term) { before += inside }
            if facets.targetAfter.contains(term) { after += inside }
            if facets.venues.contains(term) { venues += inside }
            if facets.complaints.contains(term) { complaint = true }
            if facets.datelines.contains(term) { datelineEnd = max(datelineEnd, inside.map(\.end).max()!) }
            if let codes = facets.namedTargets[term] { affected.formUnion(codes) }
        }
        // A dateline's place and a venue ("in London", within one word) name no actor.
        mentions.removeAll { m in m.start < datelineEnd || venues.contains { $0.end <= m.start && Self.count(f.text.wordStarts, from: $0.end, to: m.start) <= 1 && m.start - $0.end < 16 } }
        mentions = Self.outermost(mentions)
        // A cue inside a mention is part of a name, not a cue: 기업 in 중소벤처기업부.
        let insideName = { (cue: TermHit) in mentions.contains { $0.start <= cue.start && cue.end <= $0.end } }
        before.removeAll(where: insideName)
        after.removeAll(where: insideName)
        // A cue after its target ("중국에 대한") marks only the mention right before it (it may
        // overlap: the alias "중국에" holds the particle); a cue before its target marks every
        // mention close after it ("on China and Russia").
        var targeted = mentions.map { m in before.contains { $0.end <= m.start && gap($0.end, m.start, f.text) } }
        // At most one word between (an adjective, a particle): "Japanese electronic goods".
        for cue in after {
            if let i = mentions.lastIndex(where: { $0.start < cue.start }), gap(mentions[i].end, cue.start, f.text, within: min(1, facets.targetWithin)) {
                targeted[i] = true
            }
        }
        for (m, t) in zip(mentions, targeted) where t { affected.formUnion(m.codes) }
        let free = zip(mentions, targeted).filter { !$0.1 }.map(\.0)
        guard let first = free.first else { return }
        switch policy {
        case .first:
            acting.formUnion(first.codes)
        case .all:
            for m in free { acting.formUnion(m.codes) }
        case .subject:
            // The first evidence word that is not a jurisdiction: the verb or topic of the sentence.
            let pivot = evidence.filter { facets.jurisdictionsByTerm[$0.term] == nil }.map(\.start).min() ?? range.upperBound
            let subject = free.filter { $0.start < pivot }
            if complaint && free.count > 1 {
                // "China criticised US export controls", "중국은 미국의 수출통제를 비판했다": the
                // first named complains (affected), the others act.
                affected.formUnion(first.codes)
                for m in free.dropFirst() where m.codes != first.codes { acting.formUnion(m.codes) }
            } else {
                for m in subject.isEmpty ? [first] : subject { acting.formUnion(m.codes) }
            }
        }
    }

    /// The mentions not inside a longer one, sorted: the short name of one country's body inside
    /// another's full name names only the longer (商务部 in 美国商务部, "Treasury" in "HM Treasury").
    /// Two mentions of the same span (one term, two entities) are both kept.
    static func outermost(_ mentions: [Mention]) -> [Mention] {
        // Mentions per sentence are few: the plain quadratic test reads best.
        mentions.filter { m in
            !mentions.contains { o in o.start <= m.start && m.end <= o.end && o.end - o.start > m.end - m.start }
        }.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
    }

    /// Whether at most `targetWithin` words (and a few dozen bytes, for unspaced scripts) lie between.
    private func gap(_ from: Int32, _ to: Int32, _ text: NormalizedText, within: Int? = nil) -> Bool {
        let within = within ?? facets.targetWithin
        guard to >= from else { return true }
        guard Int(to - from) <= (within + 1) * 12 else { return false }
        return Self.count(text.wordStarts, from: from, to: to) <= within
    }

    /// Sorted offsets in [from, to).
    static func count(_ sorted: [Int32], from: Int32, to: Int32) -> Int {
        lowerBound(sorted, to) - lowerBound(sorted, from)
    }

    static func lowerBound(_ a: [Int32], _ x: Int32) -> Int {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Index of the sentence holding byte `offset` (starts are sorted, the first is 0).
    static func sentence(containing offset: Int32, _ starts: [Int32]) -> Int {
        max(0, lowerBound(starts, offset + 1) - 1)
    }

    /// Field `i`'s hits grouped by sentence: for each term, in `hitsByTerm`'s order, its hits
    /// that start in the sentence (as filtering every term's hits by the sentence's range would give).
    private mutating func sentenceHits(_ i: Int, _ starts: [Int32]) -> [Int: [SentenceHits]] {
        let f = matches.fields[i]
        if let g = hitsBySentence[f.field] { return g }
        var out: [Int: [SentenceHits]] = [:]
        for (term, hits) in f.hitsByTerm {
            var byIndex: [Int: [TermHit]] = [:]
            var order: [Int] = []
            for h in hits {
                let s = Self.sentence(containing: h.start, starts)
                if byIndex[s] == nil { order.append(s) }
                byIndex[s, default: []].append(h)
            }
            for s in order { out[s, default: []].append(SentenceHits(term: term, hits: byIndex[s]!)) }
        }
        hitsBySentence[f.field] = out
        return out
    }

    /// The hits starting in `range`, term by term in `hitsByTerm`'s order (the plain way).
    private static func hitsPlain(_ f: FieldMatches, _ range: Range<Int32>) -> [SentenceHits] {
        f.hitsByTerm.compactMap { term, hits in
            let inside = hits.filter { range.contains($0.start) }
            return inside.isEmpty ? nil : SentenceHits(term: term, hits: inside)
        }
    }

    private mutating func sentences(_ i: Int) -> [Int32] {
        let f = matches.fields[i]
        if let s = sentenceStarts[f.field] { return s }
        let s = evaluator.map { $0.sentenceStarts(f) } ?? SentenceSegmenter.starts(in: f.text, original: f.original)
        sentenceStarts[f.field] = s
        return s
    }
}

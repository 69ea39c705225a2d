import PolicyMatcher

/// One field of an article after normalisation and the single matcher pass.
public struct FieldMatches: Sendable {
    public var field: Field
    public var original: String
    public var text: NormalizedText
    /// Hits per term id, each list sorted by start.
    public var hitsByTerm: [Int32: [TermHit]]
}

/// An article's fields with every term hit: the input of rule evaluation.
public struct ArticleMatches: Sendable {
    public var fields: [FieldMatches]

    /// Normalises each field once and runs the matcher once over it.
    public init(article: Article, matcher: TermMatcher, normalizer: inout TextNormalizer) {
        fields = Field.allCases.map { field in
            let original = article.text(of: field)
            let text = normalizer.normalize(original)
            var byTerm: [Int32: [TermHit]] = [:]
            for hit in matcher.find(in: text, original: original) { byTerm[hit.term, default: []].append(hit) }
            return FieldMatches(field: field, original: original, text: text, hitsByTerm: byTerm)
        }
    }

    /// Whether any hit exists for one of `terms`.
    func containsAny(of terms: Set<Int32>) -> Bool {
        fields.contains { f in
            f.hitsByTerm.count < terms.count
                ? f.hitsByTerm.keys.contains(where: terms.contains)
                : terms.contains(where: { f.hitsByTerm[$0] != nil })
        }
    }
}

/// A term hit located in a field: the evidence of an alert.
public struct Evidence: Hashable, Sendable {
    public var field: Field
    public var hit: TermHit
}

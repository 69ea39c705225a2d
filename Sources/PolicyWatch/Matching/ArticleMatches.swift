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
    /// The article's language (for `language:` filters).
    public var language: String

    /// Normalises each field once and runs the matcher once over it.
    public init(article: Article, matcher: TermMatcher, normalizer: inout TextNormalizer) {
        language = article.language
        fields = Field.allCases.map { field in
            let original = article.text(of: field)
            let text = normalizer.normalize(original)
            var byTerm: [Int32: [TermHit]] = [:]
            for hit in matcher.find(in: text, original: original) { byTerm[hit.term, default: []].append(hit) }
            return FieldMatches(field: field, original: original, text: text, hitsByTerm: byTerm)
        }
    }

    /// Entity kind -> sorted ids of the entities whose aliases occur anywhere in the article.
    public func entities(_ defined: [CompiledEntity]) -> [String: [String]] {
        var found: [String: [String]] = [:]
        for e in defined where containsAny(of: Set(e.terms)) { found[e.kind, default: []].append(e.id) }
        return found.mapValues { $0.sorted() }
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

import PolicyMatcher

/// One field of an article after normalisation and the single matcher pass.
///
/// A class, made once per field and then only read: the operators go over an article's
/// fields for every rule they evaluate, and a copy of a struct of these members retained and
/// released nine references (a tenth of the retains at 10,000 rules).
public final class FieldMatches: Sendable {
    public let field: Field
    public let original: String
    public let text: NormalizedText
    /// Hits per term id, each list sorted by start.
    public let hitsByTerm: [Int32: [TermHit]]

    public init(field: Field, original: String, text: NormalizedText, hitsByTerm: [Int32: [TermHit]]) {
        (self.field, self.original, self.text, self.hitsByTerm) = (field, original, text, hitsByTerm)
    }
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

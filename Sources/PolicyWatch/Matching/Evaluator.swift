import PolicyMatcher

/// Decides whether a compiled condition holds on an article's matches, and with what
/// evidence.
public struct Evaluator {
    /// Where an expression is evaluated: some fields, optionally a byte range within one.
    public struct Scope: Sendable {
        public var fields: Set<Field> = Set(Field.allCases)
        public var range: Range<Int32>?
        public init() {}
    }

    public struct Outcome: Sendable {
        public var holds: Bool
        public var evidence: [Evidence]
        static let no = Outcome(holds: false, evidence: [])
    }

    public let matches: ArticleMatches

    public init(matches: ArticleMatches) {
        self.matches = matches
    }

    public func evaluate(_ condition: Condition, in scope: Scope = Scope()) -> Outcome {
        switch condition {
        case .terms(let ids, _):
            var evidence: [Evidence] = []
            for f in matches.fields where scope.fields.contains(f.field) {
                for id in ids {
                    guard let hits = f.hitsByTerm[id] else { continue }
                    for h in hits where scope.range.map({ $0.lowerBound <= h.start && h.end <= $0.upperBound }) ?? true {
                        evidence.append(Evidence(field: f.field, hit: h))
                    }
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
        }
    }
}

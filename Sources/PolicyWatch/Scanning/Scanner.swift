import PolicyMatcher

/// Runs a compiled rule set over articles (BRIEF §9: one matcher pass per field, then only
/// the rules whose anchor terms occurred).
public struct Scanner: Sendable {
    public let ruleSet: RuleSet
    /// Evidence kept per alert (the strongest, earliest first).
    public var maxMatchesPerAlert = 20

    public init(ruleSet: RuleSet) {
        self.ruleSet = ruleSet
    }

    /// Matches of every term in the article.
    public func matches(_ article: Article, normalizer: inout TextNormalizer) -> ArticleMatches {
        ArticleMatches(article: article, matcher: ruleSet.matcher, normalizer: &normalizer)
    }

    /// The alerts raised on `article`, ordered by rule id. `now` fills `first_seen`.
    public func scan(_ article: Article, normalizer: inout TextNormalizer, now: String) -> [Alert] {
        let m = matches(article, normalizer: &normalizer)
        let evaluator = Evaluator(matches: m)
        var alerts: [Alert] = []
        var entities: [String: [String]]?
        for rule in ruleSet.rules {
            if let anchors = rule.anchors, !m.containsAny(of: anchors) { continue }
            let outcome = evaluator.evaluate(rule.condition)
            guard outcome.holds else { continue }
            if entities == nil { entities = m.entities(ruleSet.entities) }
            var alert = makeAlert(rule, article: article, matches: m, evidence: outcome.evidence, now: now)
            alert.entities = entities ?? [:]
            alerts.append(alert)
        }
        return alerts
    }

    /// Convenience for one-off use (tests, `policywatch test`).
    public func scan(_ article: Article) -> [Alert] {
        var n = TextNormalizer()
        return scan(article, normalizer: &n, now: Timestamp.string())
    }

    func makeAlert(_ rule: CompiledRule, article: Article, matches: ArticleMatches, evidence: [Evidence], now: String) -> Alert {
        let unique = Array(Set(evidence)).sorted {
            ($0.field == .title ? 0 : 1, $0.hit.start, $0.hit.term) < ($1.field == .title ? 0 : 1, $1.hit.start, $1.hit.term)
        }
        let records = unique.prefix(maxMatchesPerAlert).map { ev -> Alert.MatchRecord in
            let f = matches.fields.first { $0.field == ev.field }!
            return Self.record(ev, in: f, term: ruleSet.display(term: ev.hit.term))
        }
        return Alert(
            id: Alert.id(rule: rule.rule.id, articleKey: article.key),
            rule: Alert.RuleRef(id: rule.rule.id, title: rule.rule.title, severity: rule.rule.severity, tags: rule.rule.tags, file: rule.file),
            article: Alert.ArticleRef(article),
            matches: records,
            entities: [:],
            firstSeen: now
        )
    }

    static func record(_ ev: Evidence, in field: FieldMatches, term: String) -> Alert.MatchRecord {
        let r = field.text.originRange(start: Int(ev.hit.start), end: Int(ev.hit.end))
        let scalars = Array(field.original.unicodeScalars)
        let text = String(String.UnicodeScalarView(scalars[r]))
        return Alert.MatchRecord(term: term, field: ev.field, start: r.lowerBound, end: r.upperBound, text: text,
                                 snippet: snippet(scalars, r))
    }

    /// About 60 characters either side of the match, whitespace collapsed, cut at spaces.
    static func snippet(_ scalars: [Unicode.Scalar], _ r: Range<Int>, radius: Int = 60) -> String {
        var lo = max(0, r.lowerBound - radius)
        var hi = min(scalars.count, r.upperBound + radius)
        if lo > 0, let sp = scalars[lo..<r.lowerBound].firstIndex(where: { $0.properties.isWhitespace }), sp < r.lowerBound - 10 { lo = sp + 1 }
        if hi < scalars.count, let sp = scalars[r.upperBound..<hi].lastIndex(where: { $0.properties.isWhitespace }), sp > r.upperBound + 10 { hi = sp }
        var out = String.UnicodeScalarView()
        var lastSpace = false
        for s in scalars[lo..<hi] {
            if s.properties.isWhitespace {
                if !lastSpace { out.append(" ") }
                lastSpace = true
            } else {
                out.append(s)
                lastSpace = false
            }
        }
        var result = String(out).trimmingCharacters(in: .whitespaces)
        if lo > 0 { result = "…" + result }
        if hi < scalars.count { result += "…" }
        return result
    }
}

import Foundation

import Foundation
import XCTest
import PolicyMatcher
@testable import PolicyWatch

/// The evaluator's and the facet reader's shortcuts (`Evaluator.plain`, `FacetExtractor.plain`)
/// against the plain way: `all:` trying its regex operands last, a regex skipped when none of
/// its literals occurs in the field, large term sets narrowed to the ids present, and each
/// sentence's hits grouped once per article for facets. The same alerts, evidence and facets
/// either way.
final class FastEvaluationTests: XCTestCase {
    static let now = "2026-01-01T00:00:00Z"

    /// Alerts of `article` from the shortcut scanner and from the plain one.
    func bothWays(_ set: RuleSet, _ article: Article) -> (fast: [Alert], plain: [Alert]) {
        var plain = RuleScanner(ruleSet: set)
        plain.plain = true
        var n = TextNormalizer()
        let fast = RuleScanner(ruleSet: set).scan(article, normalizer: &n, now: Self.now)
        return (fast, plain.scan(article, normalizer: &n, now: Self.now))
    }

    /// What of an alert does not depend on hashing: `near` picks among hits of different terms
    /// on the same words (`export control*`, `export-control*`) in `Set` order, which varies
    /// between runs of the plain way too, so matches are compared by their place and text.
    static func stable(_ a: Alert) -> String {
        let places = Set(a.matches.map { "\($0.field.rawValue):\($0.start)-\($0.end):\($0.text)" }).sorted()
        let entities = a.entities.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return "\(a.rule.id) \(a.article.key) \(entities) \(places)"
    }

    /// The shipped pack on its own test sentences, each alone and all of a rule file run
    /// together into one long article (many sentences, many lists, every regex), and on the
    /// example articles.
    func testShippedPackSameAlertsBothWays() throws {
        let (set, diags) = RuleLoader.compile(paths: [], includeBuiltin: true)
        let rules = try XCTUnwrap(set, "\(diags.filter { $0.level == .error })")
        var articles: [Article] = []
        var byFile: [String: [String]] = [:]
        for rule in rules.rules {
            for t in rule.rule.tests {
                articles.append(Article(title: t.title, body: t.body))
                byFile[rule.file, default: []].append([t.title, t.body].filter { !$0.isEmpty }.joined(separator: " "))
            }
        }
        for (file, texts) in byFile.sorted(by: { $0.key < $1.key }) {
            articles.append(Article(title: file, body: texts.joined(separator: " ")))
            articles.append(Article(title: "", body: texts.joined(separator: "\n\n")))
        }
        for path in ["examples/articles/more.jsonl", "Tests/PolicyWatchTests/Fixtures/facets/seed-like.jsonl"] {
            let (read, errors) = ArticleReader().read(path: Repo.path(path))
            XCTAssertEqual(errors.count, 0, path)
            articles += read
        }
        XCTAssertGreaterThan(articles.count, 100)
        var fired = 0, withFacets = 0
        for article in articles {
            let (fast, plain) = bothWays(rules, article)
            XCTAssertEqual(fast.map(Self.stable), plain.map(Self.stable), "article '\(article.title)' \(article.body.prefix(80))")
            fired += fast.count
            withFacets += fast.filter { !($0.facets?.acting.isEmpty ?? true) }.count
        }
        // The comparison means something only if the pack fires, with facets, on these texts.
        XCTAssertGreaterThan(fired, 100)
        XCTAssertGreaterThan(withFacets, 20)
    }

    static let regexPack = """
        lists:
          gov: [government, ministry, agency, officials, department, council, commission, authority, regulator]
        rules:
          - id: r.late
            title: regex after a list that fails first
            match:
              sentence:
                - regex: 'export (ban|bans|controls?)'
                - $gov
          - id: r.first
            title: a list after the regex
            match:
              all:
                - $gov
                - regex: 'tariffs? on [a-z]+'
                - none: [{regex: 'no tariffs? on'}]
        """

    /// Each shortcut changes the work done, never the outcome: evidence in the plain order,
    /// a regex whose literal is absent finds nothing, a failing cheap operand stops `all`.
    func testShortcutsAgreeWithThePlainEvaluator() throws {
        let set = try XCTUnwrap(compileRules(Self.regexPack))
        let texts = [
            "The ministry announced an export ban on rice. Exporters protested.",
            "An export ban was discussed by farmers. The ministry said nothing.",  // not in one sentence
            "The agency put tariffs on steel and said there will be no tariffs on rice.",
            "The agency put tariffs on steel.",
            "Officials discussed the weather.",  // no regex literal anywhere
            "Tariffs on wine rose; the regulator and the commission and the council met.",
        ]
        var fired: Set<String> = []
        for text in texts {
            var n = TextNormalizer()
            let article = Article(title: "", body: text)
            let m = RuleScanner(ruleSet: set).matches(article, normalizer: &n)
            let fast = Evaluator(matches: m), plain = Evaluator(matches: m, plain: true)
            for rule in set.rules {
                let a = fast.evaluate(rule.condition), b = plain.evaluate(rule.condition)
                XCTAssertEqual(a.holds, b.holds, "\(rule.rule.id) on '\(text)'")
                XCTAssertEqual(a.evidence, b.evidence, "\(rule.rule.id) on '\(text)'")
                if a.holds { fired.insert("\(rule.rule.id): \(text)") }
            }
        }
        XCTAssertEqual(fired, [
            "r.late: The ministry announced an export ban on rice. Exporters protested.",
            "r.first: The agency put tariffs on steel.",
            "r.first: Tariffs on wine rose; the regulator and the commission and the council met.",
        ])
    }

    /// `Evaluator.hits` returns the hits inside a range without copying when all fit, and
    /// drops those running past its end otherwise.
    func testHitsInRange() {
        let hits = [TermHit(term: 1, start: 0, end: 4), TermHit(term: 1, start: 5, end: 12), TermHit(term: 1, start: 8, end: 10),
                    TermHit(term: 1, start: 20, end: 24)]
        XCTAssertEqual(Array(Evaluator.hits(hits, in: 0..<30)), hits)
        XCTAssertEqual(Array(Evaluator.hits(hits, in: 5..<11)), [hits[2]])
        XCTAssertEqual(Array(Evaluator.hits(hits, in: 4..<24)), [hits[1], hits[2], hits[3]])
        XCTAssertEqual(Array(Evaluator.hits(hits, in: 13..<20)), [])
        XCTAssertEqual(Array(Evaluator.hits(hits, in: nil)), hits)
    }
}

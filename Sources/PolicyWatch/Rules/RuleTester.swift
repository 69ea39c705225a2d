import PolicyMatcher

/// Runs the inline `tests:` of rules (`policywatch test`).
public struct RuleTester {
    public struct Result: Sendable {
        public enum Status: String, Sendable { case passed, failed, todo, fixedTodo = "todo-now-passes" }
        public var rule: CompiledRule
        public var test: RuleTest
        public var status: Status
        /// What matched (for an unexpected match) or which operands were missing.
        public var detail: String
    }

    public let ruleSet: RuleSet

    public init(ruleSet: RuleSet) {
        self.ruleSet = ruleSet
    }

    /// Runs every test through the scanner's path, anchor prefilter included.
    public func run() -> [Result] {
        let scanner = RuleScanner(ruleSet: ruleSet)
        var normalizer = TextNormalizer()
        var results: [Result] = []
        for (index, rule) in ruleSet.rules.enumerated() {
            for test in rule.rule.tests {
                let article = Article(id: "test", title: test.title, body: test.body, language: test.language)
                let trace = scanner.trace(article, normalizer: &normalizer)
                let outcome = trace.outcome(of: rule, at: index)
                let ok = outcome.holds == test.expectation.shouldMatch
                let status: Result.Status = test.expectation.isTodo ? (ok ? .fixedTodo : .todo) : (ok ? .passed : .failed)
                var detail = describe(outcome, matches: trace.matches, terms: rule.condition.termIDs)
                if !trace.isCandidate(index), trace.evaluator.evaluate(rule.condition).holds {
                    // Only a wrong anchor set gets here: the expression holds, the prefilter skips it.
                    detail = "the expression holds, but none of the rule's anchor terms occurs, so a scan skips it (a compiler bug: its anchor set is wrong)"
                }
                results.append(Result(rule: rule, test: test, status: status, detail: detail))
            }
        }
        return results
    }

    private func describe(_ outcome: Evaluator.Outcome, matches: ArticleMatches, terms: Set<Int32>) -> String {
        let found = matches.fields.flatMap { f in
            f.hitsByTerm.values.joined().filter { terms.contains($0.term) }.sorted { $0.start < $1.start }.map { hit -> String in
                let r = RuleScanner.record(Evidence(field: f.field, hit: hit), in: f, term: ruleSet.display(term: hit.term))
                return "'\(r.text)' (\(r.term))"
            }
        }
        let evidence = outcome.evidence.map { ev -> String in
            let f = matches.fields.first { $0.field == ev.field }!
            let r = RuleScanner.record(ev, in: f, term: ruleSet.display(term: ev.hit.term))
            return "'\(r.text)' (\(r.term))"
        }
        if outcome.holds {
            return "matched: " + (evidence.isEmpty ? "(no positive term needed)" : Array(Set(evidence)).sorted().joined(separator: ", "))
        }
        // Only the rule's own terms: the pack's other rules say nothing about this one.
        return found.isEmpty ? "no term of this rule occurs in the text" : "terms of this rule found, but the expression did not hold: " + found.joined(separator: ", ")
    }
}

import PolicyMatcher

/// What a scan does with one article, kept rule by rule: `policywatch test` and `explain`
/// need to see the rules a scan skips, so they go through the scanner's own steps
/// (normalise, one automaton pass, the anchor prefilter, evaluate) rather than a loop of
/// their own. A rule whose anchor set is wrong then fails its tests as it fails in a scan.
public struct ScanTrace {
    public let matches: ArticleMatches
    /// Indices into `ruleSet.rules` of the rules the anchor prefilter lets through, sorted.
    public let candidates: [Int32]
    let evaluator: Evaluator

    /// Whether a scan evaluates rule `index` on this article at all.
    public func isCandidate(_ index: Int) -> Bool {
        var lo = 0, hi = candidates.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if candidates[mid] < Int32(index) { lo = mid + 1 } else { hi = mid }
        }
        return lo < candidates.count && candidates[lo] == Int32(index)
    }

    /// The rule's outcome as a scan sees it: `.no` when the prefilter skips the rule.
    public func outcome(of rule: CompiledRule, at index: Int) -> Evaluator.Outcome {
        isCandidate(index) ? evaluator.evaluate(rule.condition) : .no
    }
}

extension RuleScanner {
    /// Runs the scan's steps on `article`, keeping each rule's fate (see `ScanTrace`).
    public func trace(_ article: Article, normalizer: inout TextNormalizer) -> ScanTrace {
        let m = matches(article, normalizer: &normalizer)
        return ScanTrace(matches: m, candidates: candidates(m), evaluator: Evaluator(matches: m))
    }
}

import Foundation

/// The story index `policywatch eval` scans through: every article is scored on its own (a
/// labelled copy of another article must keep its own predictions, so nothing is merged),
/// and the labelled ones are kept with their alerts for `Evaluation`. The rest of the scan
/// is the pipeline `scan` runs: the same sources, decoding, anchors and rule scanner.
public final class EvaluationIndex: StoryIndex, @unchecked Sendable {
    private let lock = NSLock()
    private let labels: [String: Set<String>]
    private var kept: [Evaluation.LabelledArticle] = []

    public init(labels: [String: Set<String>]) {
        self.labels = labels
    }

    /// The labelled articles seen, in input order.
    public var articles: [Evaluation.LabelledArticle] { lock.withLock { kept } }

    public func knownContentHashes(keys: [String]) throws -> [String: String] { [:] }

    public func commit(_ batch: StoryBatch) throws -> StoryCommit {
        lock.withLock {
            for item in batch.articles {
                guard let id = item.article.id, labels[id] != nil else { continue }
                kept.append(Evaluation.LabelledArticle(id: id, title: item.article.title, source: item.article.source, alerts: item.alerts ?? []))
            }
            return StoryCommit(evaluated: batch.articles.count)
        }
    }

    public func fileMark(_ path: String) throws -> FileMark? { nil }
    public func feedMark(_ url: String) throws -> FeedMark? { nil }
    public func recordFeedNotModified(url: String, at time: String) throws {}
}

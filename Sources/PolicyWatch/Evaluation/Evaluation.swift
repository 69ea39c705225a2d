import Foundation

/// Precision and recall of the rules' event tags against hand labels (`policywatch eval`).
///
/// An article's predicted tags are the tags of its alerts that are event tags (the
/// eleven of rules/README.md, plus any tag that occurs in the labels); its true tags come from a
/// labels file, one `{"id": ..., "tags": [...]}` per line, keyed by the article's `id`.
public struct Evaluation: Sendable {
    /// The eleven policy-event tags of the shipped pack (rules/README.md); sector tags (`semiconductors`, ...) are not scored.
    public static let eventTags: [String] = [
        "export-control", "entity-listing", "sanctions", "investment-screening", "tariff", "subsidy",
        "joint-statement", "supply-chain", "dialogue-channel", "technology-cooperation", "economic-coercion",
    ]

    public struct TagScore: Codable, Sendable, Equatable {
        public var tag: String
        public var truePositives: Int
        public var falsePositives: Int
        public var falseNegatives: Int
        /// Documents labelled with the tag.
        public var support: Int { truePositives + falseNegatives }
        public var precision: Double { Evaluation.ratio(truePositives, truePositives + falsePositives) }
        public var recall: Double { Evaluation.ratio(truePositives, truePositives + falseNegatives) }
        public var f1: Double { Evaluation.f1(precision, recall) }

        enum CodingKeys: String, CodingKey {
            case tag, precision, recall, f1, support
            case truePositives = "true_positives", falsePositives = "false_positives", falseNegatives = "false_negatives"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(tag, forKey: .tag)
            try c.encode(truePositives, forKey: .truePositives)
            try c.encode(falsePositives, forKey: .falsePositives)
            try c.encode(falseNegatives, forKey: .falseNegatives)
            try c.encode(support, forKey: .support)
            try c.encode(Evaluation.round(precision), forKey: .precision)
            try c.encode(Evaluation.round(recall), forKey: .recall)
            try c.encode(Evaluation.round(f1), forKey: .f1)
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            tag = try c.decode(String.self, forKey: .tag)
            truePositives = try c.decode(Int.self, forKey: .truePositives)
            falsePositives = try c.decode(Int.self, forKey: .falsePositives)
            falseNegatives = try c.decode(Int.self, forKey: .falseNegatives)
        }

        init(tag: String) {
            self.tag = tag
            truePositives = 0
            falsePositives = 0
            falseNegatives = 0
        }
    }

    /// A wrong decision, with what explains it.
    public struct Mistake: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case falsePositive = "false_positive", falseNegative = "false_negative" }
        public var kind: Kind
        public var tag: String
        public var article: String
        public var title: String
        /// For a false positive: the rules that fired and the evidence they found.
        public var evidence: [String]
    }

    public var tags: [TagScore]
    public var mistakes: [Mistake]
    public var articles: Int
    /// Labelled ids that were not among the scanned articles.
    public var missing: [String]

    public var micro: (precision: Double, recall: Double, f1: Double) {
        let tp = tags.map(\.truePositives).reduce(0, +)
        let fp = tags.map(\.falsePositives).reduce(0, +)
        let fn = tags.map(\.falseNegatives).reduce(0, +)
        let p = Self.ratio(tp, tp + fp), r = Self.ratio(tp, tp + fn)
        return (p, r, Self.f1(p, r))
    }

    /// Averages over tags that have support or predictions.
    public var macro: (precision: Double, recall: Double, f1: Double) {
        let scored = tags.filter { $0.support > 0 || $0.falsePositives > 0 }
        guard !scored.isEmpty else { return (0, 0, 0) }
        let n = Double(scored.count)
        return (scored.map(\.precision).reduce(0, +) / n, scored.map(\.recall).reduce(0, +) / n, scored.map(\.f1).reduce(0, +) / n)
    }

    /// Scores `articles` (each with its alerts) against `labels` (article id -> tags).
    public init(articles: [(id: String, title: String, alerts: [Alert])], labels: [String: Set<String>]) {
        self.init(articles: articles.map { LabelledArticle(id: $0.id, title: $0.title, source: nil, alerts: $0.alerts) }, labels: labels)
    }

    /// One scanned article as evaluation needs it.
    public struct LabelledArticle: Sendable {
        public var id: String
        public var title: String
        /// The article's `source` (the JSON Lines field), for figures per source.
        public var source: String?
        public var alerts: [Alert]

        public init(id: String, title: String, source: String?, alerts: [Alert]) {
            self.id = id
            self.title = title
            self.source = source
            self.alerts = alerts
        }
    }

    /// The figures of each source's articles (articles without `source` under "(none)"),
    /// sorted by source. `missing` is left empty: a labelled id belongs to no source until seen.
    public static func bySource(articles: [LabelledArticle], labels: [String: Set<String>]) -> [(source: String, evaluation: Evaluation)] {
        let groups = Dictionary(grouping: articles.filter { labels[$0.id] != nil }) { $0.source ?? "(none)" }
        return groups.keys.sorted().map { source in
            var e = Evaluation(articles: groups[source]!, labels: labels)
            e.missing = []
            return (source, e)
        }
    }

    /// Scores `articles` against `labels` (article id -> tags).
    public init(articles: [LabelledArticle], labels: [String: Set<String>]) {
        var universe = Set(Self.eventTags)
        for t in labels.values { universe.formUnion(t) }
        var scores = Dictionary(uniqueKeysWithValues: universe.map { ($0, TagScore(tag: $0)) })
        var mistakes: [Mistake] = []
        var seen = Set<String>()
        for a in articles {
            guard let truth = labels[a.id] else { continue }
            seen.insert(a.id)
            var predicted: [String: [Alert]] = [:]
            for alert in a.alerts {
                for tag in alert.rule.tags where universe.contains(tag) { predicted[tag, default: []].append(alert) }
            }
            for tag in universe.sorted() {
                let p = predicted[tag] != nil, t = truth.contains(tag)
                switch (p, t) {
                case (true, true): scores[tag]!.truePositives += 1
                case (true, false):
                    scores[tag]!.falsePositives += 1
                    let evidence = predicted[tag]!.map { alert in
                        "\(alert.rule.id): " + alert.matches.prefix(4).map { "'\($0.text)'" }.joined(separator: ", ")
                    }
                    mistakes.append(Mistake(kind: .falsePositive, tag: tag, article: a.id, title: a.title, evidence: evidence))
                case (false, true):
                    scores[tag]!.falseNegatives += 1
                    mistakes.append(Mistake(kind: .falseNegative, tag: tag, article: a.id, title: a.title, evidence: []))
                case (false, false): break
                }
            }
        }
        self.tags = scores.values.sorted { $0.tag < $1.tag }
        self.mistakes = mistakes.sorted { ($0.tag, $0.kind.rawValue, $0.article) < ($1.tag, $1.kind.rawValue, $1.article) }
        self.articles = seen.count
        self.missing = labels.keys.filter { !seen.contains($0) }.sorted()
    }

    /// Reads a labels file: one `{"id": ..., "tags": [...]}` per line.
    public static func readLabels(path: String) throws -> [String: Set<String>] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(source: path, message: "cannot read the labels file")
        }
        var labels: [String: Set<String>] = [:]
        var lineNo = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNo += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            struct Label: Decodable { var id: ArticleReader.LosslessID; var tags: [String] }
            guard let l = try? JSONDecoder().decode(Label.self, from: Data(line)) else {
                throw InputError(source: "\(path):\(lineNo)", message: "expected {\"id\": ..., \"tags\": [...]}")
            }
            labels[l.id.value] = Set(l.tags)
        }
        return labels
    }

    static func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
    static func f1(_ p: Double, _ r: Double) -> Double { p + r == 0 ? 0 : 2 * p * r / (p + r) }
    public static func round(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}

import Foundation

/// One run's result: report format `policywatch.report`, version 1.
/// The JSON Schema is `docs/report.schema.json`; change it with the version.
public struct Report: Codable, Sendable {
    public static let formatName = "policywatch.report"
    public static let currentVersion = 1

    public var format: String = Report.formatName
    public var version: Int = Report.currentVersion
    public var run: RunInfo
    public var alerts: [Alert]
    public var errors: [InputError]

    public init(run: RunInfo, alerts: [Alert], errors: [InputError]) {
        self.run = run
        self.alerts = alerts
        self.errors = errors
    }

    public struct RunInfo: Codable, Sendable {
        public var started: String
        public var finished: String
        /// Rules compiled and run.
        public var rules: Int
        /// Articles scanned.
        public var articles: Int
        /// Inputs or records skipped because of an error.
        public var skipped: Int

        public init(started: String, finished: String, rules: Int, articles: Int, skipped: Int) {
            self.started = started
            self.finished = finished
            self.rules = rules
            self.articles = articles
            self.skipped = skipped
        }
    }

    /// Sorted keys, UTF-8 kept as is (Korean stays readable), slashes unescaped: the layout
    /// of reports, for other JSON outputs (`eval --json`, `alerts --json`) and as the
    /// reference `ReportEncoder` is tested against.
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// The report as JSON, ending with a newline (`ReportEncoder`).
    public func jsonData(pretty: Bool = true) throws -> Data {
        ReportEncoder.encode(self, pretty: pretty)
    }
}

/// A rule that fired on an article, with its evidence.
public struct Alert: Codable, Hashable, Sendable {
    /// Stable: a hash of the rule id and the article key.
    public var id: String
    public var rule: RuleRef
    public var article: ArticleRef
    public var matches: [MatchRecord]
    /// Entity kind -> ids found in the article.
    public var entities: [String: [String]]
    public var firstSeen: String
    /// Other places the same story was seen (another feed, a copy with another URL), when
    /// state merged them. Absent when there are none.
    public var alsoSeen: [Sighting]? = nil
    /// Who acts, who is hit, sectors, stage (`Facets`); absent when the rules declare no
    /// `facets:` and in alerts stored before facets existed.
    public var facets: Facets? = nil
    /// Present on trend alerts only (`TrendStage`): the window and the articles behind it.
    public var trend: TrendInfo? = nil

    enum CodingKeys: String, CodingKey {
        case id, rule, article, matches, entities, facets, trend
        case firstSeen = "first_seen"
        case alsoSeen = "also_seen"
    }

    /// One more place a story was seen.
    public struct Sighting: Codable, Hashable, Sendable {
        /// The copy's article key.
        public var key: String
        public var url: String?
        public var source: String?
        /// The file or feed URL it came from.
        public var path: String?
        /// When it was first seen there (UTC ISO 8601).
        public var seen: String
    }

    /// What a trend alert counted: its group, its window and its articles.
    public struct TrendInfo: Codable, Hashable, Sendable {
        /// The jurisdiction shared (nil when the trend groups by nothing).
        public var group: String?
        public var windowStart: String
        public var windowEnd: String
        public var articles: [Member]

        enum CodingKeys: String, CodingKey {
            case group, articles
            case windowStart = "window_start"
            case windowEnd = "window_end"
        }

        public struct Member: Codable, Hashable, Sendable {
            public var key: String
            public var title: String
            public var url: String?
            public var source: String?
            public var published: String?
        }
    }

    public static func id(rule: String, articleKey: String) -> String {
        StableHash.hex(rule + "\n" + articleKey)
    }

    public struct RuleRef: Codable, Hashable, Sendable {
        public var id: String
        public var title: String
        public var severity: Severity
        public var tags: [String]
        public var file: String
    }

    public struct ArticleRef: Codable, Hashable, Sendable {
        public var key: String
        public var id: String?
        public var title: String
        public var url: String?
        public var published: String?
        public var source: String?
        public var language: String
        public var path: String?

        public init(_ a: Article) {
            key = a.key
            id = a.id
            title = a.title
            url = a.url
            published = a.published
            source = a.source
            language = a.language
            path = a.path
        }
    }

    /// One piece of evidence. `start`/`end` are Unicode code-point offsets into the
    /// original field text: Python's `text[start:end]` gives `text`.
    public struct MatchRecord: Codable, Hashable, Sendable {
        public var term: String
        public var field: Field
        public var start: Int
        public var end: Int
        public var text: String
        public var snippet: String
    }
}

/// UTC ISO 8601 timestamps, as every time in the report.
public enum Timestamp {
    public static func string(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }
}

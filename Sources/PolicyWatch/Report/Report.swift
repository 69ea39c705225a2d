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
        // The fields live in one shared object (copy-on-write): every alert of a rule holds
        // the same one, so copying an alert retains one reference here, not four strings.
        private final class Fields: @unchecked Sendable {
            var id: String
            var title: String
            var severity: Severity
            var tags: [String]
            var file: String

            init(id: String, title: String, severity: Severity, tags: [String], file: String) {
                (self.id, self.title, self.severity, self.tags, self.file) = (id, title, severity, tags, file)
            }

            func copy() -> Fields { Fields(id: id, title: title, severity: severity, tags: tags, file: file) }
        }

        private var fields: Fields

        public init(id: String, title: String, severity: Severity, tags: [String], file: String) {
            fields = Fields(id: id, title: title, severity: severity, tags: tags, file: file)
        }

        private mutating func unique() {
            if !isKnownUniquelyReferenced(&fields) { fields = fields.copy() }
        }

        public var id: String { get { fields.id } set { unique(); fields.id = newValue } }
        public var title: String { get { fields.title } set { unique(); fields.title = newValue } }
        public var severity: Severity { get { fields.severity } set { unique(); fields.severity = newValue } }
        public var tags: [String] { get { fields.tags } set { unique(); fields.tags = newValue } }
        public var file: String { get { fields.file } set { unique(); fields.file = newValue } }

        enum CodingKeys: String, CodingKey { case id, title, severity, tags, file }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(id: try c.decode(String.self, forKey: .id), title: try c.decode(String.self, forKey: .title),
                      severity: try c.decode(Severity.self, forKey: .severity), tags: try c.decode([String].self, forKey: .tags),
                      file: try c.decode(String.self, forKey: .file))
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(title, forKey: .title)
            try c.encode(severity, forKey: .severity)
            try c.encode(tags, forKey: .tags)
            try c.encode(file, forKey: .file)
        }

        public static func == (a: RuleRef, b: RuleRef) -> Bool {
            a.fields === b.fields || (a.id == b.id && a.title == b.title && a.severity == b.severity && a.tags == b.tags && a.file == b.file)
        }

        public func hash(into h: inout Hasher) {
            h.combine(id); h.combine(title); h.combine(severity); h.combine(tags); h.combine(file)
        }
    }

    public struct ArticleRef: Codable, Hashable, Sendable {
        // One shared object (copy-on-write), as in `RuleRef`: an article's alerts all hold
        // the same one, so copying an alert retains one reference here, not eight strings,
        // and comparing two alerts' articles is most often comparing two pointers.
        private final class Fields: @unchecked Sendable {
            var key: String
            var id: String?
            var title: String
            var url: String?
            var published: String?
            var source: String?
            var language: String
            var path: String?

            init(key: String, id: String?, title: String, url: String?, published: String?, source: String?, language: String, path: String?) {
                (self.key, self.id, self.title, self.url) = (key, id, title, url)
                (self.published, self.source, self.language, self.path) = (published, source, language, path)
            }

            func copy() -> Fields {
                Fields(key: key, id: id, title: title, url: url, published: published, source: source, language: language, path: path)
            }
        }

        private var fields: Fields

        public init(_ a: Article) {
            fields = Fields(key: a.key, id: a.id, title: a.title, url: a.url, published: a.published, source: a.source,
                            language: a.language, path: a.path)
        }

        private mutating func unique() {
            if !isKnownUniquelyReferenced(&fields) { fields = fields.copy() }
        }

        public var key: String { get { fields.key } set { unique(); fields.key = newValue } }
        public var id: String? { get { fields.id } set { unique(); fields.id = newValue } }
        public var title: String { get { fields.title } set { unique(); fields.title = newValue } }
        public var url: String? { get { fields.url } set { unique(); fields.url = newValue } }
        public var published: String? { get { fields.published } set { unique(); fields.published = newValue } }
        public var source: String? { get { fields.source } set { unique(); fields.source = newValue } }
        public var language: String { get { fields.language } set { unique(); fields.language = newValue } }
        public var path: String? { get { fields.path } set { unique(); fields.path = newValue } }

        enum CodingKeys: String, CodingKey { case key, id, title, url, published, source, language, path }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            fields = Fields(key: try c.decode(String.self, forKey: .key), id: try c.decodeIfPresent(String.self, forKey: .id),
                            title: try c.decode(String.self, forKey: .title), url: try c.decodeIfPresent(String.self, forKey: .url),
                            published: try c.decodeIfPresent(String.self, forKey: .published),
                            source: try c.decodeIfPresent(String.self, forKey: .source),
                            language: try c.decode(String.self, forKey: .language), path: try c.decodeIfPresent(String.self, forKey: .path))
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(key, forKey: .key)
            try c.encodeIfPresent(id, forKey: .id)
            try c.encode(title, forKey: .title)
            try c.encodeIfPresent(url, forKey: .url)
            try c.encodeIfPresent(published, forKey: .published)
            try c.encodeIfPresent(source, forKey: .source)
            try c.encode(language, forKey: .language)
            try c.encodeIfPresent(path, forKey: .path)
        }

        public static func == (a: ArticleRef, b: ArticleRef) -> Bool {
            a.fields === b.fields || (a.key == b.key && a.id == b.id && a.title == b.title && a.url == b.url && a.published == b.published
                                      && a.source == b.source && a.language == b.language && a.path == b.path)
        }

        public func hash(into h: inout Hasher) {
            h.combine(key); h.combine(id); h.combine(title); h.combine(url)
            h.combine(published); h.combine(source); h.combine(language); h.combine(path)
        }
    }

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

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
///
/// Its fields live in one shared object (copy-on-write): an alert is copied several times
/// on its way out (story index, window, sinks), and each copy retains one reference, not a
/// dozen strings and arrays. It may also carry its compact bytes (the report's and JSON
/// Lines') encoded ahead on the thread that scanned it (`ReportEncoder.encodeAhead`): any
/// change to a field but `alsoSeen` (which is encoded apart) drops them.
public struct Alert: Codable, Hashable, Sendable {
    private final class Storage: @unchecked Sendable {
        var id: String
        var rule: RuleRef
        var article: ArticleRef
        var matches: [MatchRecord]
        var entities: [String: [String]]
        var firstSeen: String
        var alsoSeen: [Sighting]?
        var facets: Facets?
        var trend: TrendInfo?
        var encoded: EncodedAhead?
        /// The evidence as the compact JSON of the `matches` array, when the scanner wrote it so
        /// (`RuleScanner`, with bytes encoded ahead); `matches` is then empty and read from it.
        var evidence: ArraySlice<UInt8>?

        init(id: String, rule: RuleRef, article: ArticleRef, matches: [MatchRecord], entities: [String: [String]], firstSeen: String,
             alsoSeen: [Sighting]?, facets: Facets?, trend: TrendInfo?, encoded: EncodedAhead?, evidence: ArraySlice<UInt8>? = nil) {
            (self.id, self.rule, self.article, self.matches, self.entities) = (id, rule, article, matches, entities)
            (self.firstSeen, self.alsoSeen, self.facets, self.trend, self.encoded) = (firstSeen, alsoSeen, facets, trend, encoded)
            self.evidence = evidence
        }

        func copy() -> Storage {
            Storage(id: id, rule: rule, article: article, matches: matches, entities: entities, firstSeen: firstSeen,
                    alsoSeen: alsoSeen, facets: facets, trend: trend, encoded: encoded, evidence: evidence)
        }
    }

    private var storage: Storage

    public init(id: String, rule: RuleRef, article: ArticleRef, matches: [MatchRecord], entities: [String: [String]], firstSeen: String,
                alsoSeen: [Sighting]? = nil, facets: Facets? = nil, trend: TrendInfo? = nil) {
        storage = Storage(id: id, rule: rule, article: article, matches: matches, entities: entities, firstSeen: firstSeen,
                          alsoSeen: alsoSeen, facets: facets, trend: trend, encoded: nil)
    }

    /// Makes the storage this alert's own before a change; `keepEncoded`: the change leaves
    /// the bytes encoded ahead right (only `alsoSeen`'s does).
    private mutating func unique(keepEncoded: Bool = false) {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        if !keepEncoded { storage.encoded = nil }
    }

    /// Stable: a hash of the rule id and the article key.
    public var id: String { get { storage.id } set { unique(); storage.id = newValue } }
    public var rule: RuleRef { get { storage.rule } set { unique(); storage.rule = newValue } }
    public var article: ArticleRef { get { storage.article } set { unique(); storage.article = newValue } }
    public var matches: [MatchRecord] {
        get { storage.evidence.map(Self.records(json:)) ?? storage.matches }
        set {
            unique()
            storage.matches = newValue
            storage.evidence = nil
        }
    }
    /// Entity kind -> ids found in the article.
    public var entities: [String: [String]] { get { storage.entities } set { unique(); storage.entities = newValue } }
    public var firstSeen: String { get { storage.firstSeen } set { unique(); storage.firstSeen = newValue } }
    /// Other places the same story was seen (another feed, a copy with another URL), when
    /// state merged them. Absent when there are none.
    public var alsoSeen: [Sighting]? { get { storage.alsoSeen } set { unique(keepEncoded: true); storage.alsoSeen = newValue } }
    /// Who acts, who is hit, sectors, stage (`Facets`); absent when the rules declare no
    /// `facets:` and in alerts stored before facets existed.
    public var facets: Facets? { get { storage.facets } set { unique(); storage.facets = newValue } }
    /// Present on trend alerts only (`TrendStage`): the window and the articles behind it.
    public var trend: TrendInfo? { get { storage.trend } set { unique(); storage.trend = newValue } }

    /// The alert's bytes encoded ahead (`ReportEncoder.encodeAhead`), while still right.
    var encodedAhead: EncodedAhead? {
        get { storage.encoded }
        set {
            if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
            storage.encoded = newValue
        }
    }

    /// The evidence as the compact JSON of the `matches` array (`JSONBytes.matchRecord`), when
    /// the scanner wrote it so: most alerts only ever go to the JSON report, JSON Lines or the
    /// state, which copy these bytes, and making each record's strings cost more than the rest
    /// of the alert (docs/performance.md, "Twelfth round"). Setting it empties the records,
    /// which are then decoded from it when read.
    var evidenceJSON: ArraySlice<UInt8>? {
        get { storage.evidence }
        set {
            unique()
            storage.evidence = newValue
            if newValue != nil { storage.matches = [] }
        }
    }

    /// The records of evidence written by `JSONBytes.matchRecord`.
    static func records(json: ArraySlice<UInt8>) -> [MatchRecord] {
        do {
            return try JSONDecoder().decode([MatchRecord].self, from: Data(json))
        } catch {
            // The scanner wrote these bytes from its own strings: they always decode.
            assertionFailure("evidence that does not decode: \(error)")
            return []
        }
    }

    /// An alert's members from `article` on (all but `also_seen`, which sorts first and is
    /// only known once the story index and the window have seen the run), with the closing
    /// brace, compact, as the report and a JSON Lines record write them. A slice of one
    /// buffer per article.
    struct EncodedAhead: Sendable {
        var tail: ArraySlice<UInt8>
    }

    enum CodingKeys: String, CodingKey {
        case id, rule, article, matches, entities, facets, trend
        case firstSeen = "first_seen"
        case alsoSeen = "also_seen"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id), rule: try c.decode(RuleRef.self, forKey: .rule),
                  article: try c.decode(ArticleRef.self, forKey: .article), matches: try c.decode([MatchRecord].self, forKey: .matches),
                  entities: try c.decode([String: [String]].self, forKey: .entities), firstSeen: try c.decode(String.self, forKey: .firstSeen),
                  alsoSeen: try c.decodeIfPresent([Sighting].self, forKey: .alsoSeen), facets: try c.decodeIfPresent(Facets.self, forKey: .facets),
                  trend: try c.decodeIfPresent(TrendInfo.self, forKey: .trend))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(rule, forKey: .rule)
        try c.encode(article, forKey: .article)
        try c.encode(matches, forKey: .matches)
        try c.encode(entities, forKey: .entities)
        try c.encode(firstSeen, forKey: .firstSeen)
        try c.encodeIfPresent(alsoSeen, forKey: .alsoSeen)
        try c.encodeIfPresent(facets, forKey: .facets)
        try c.encodeIfPresent(trend, forKey: .trend)
    }

    public static func == (a: Alert, b: Alert) -> Bool {
        a.storage === b.storage
            || (a.id == b.id && a.rule == b.rule && a.article == b.article && a.matches == b.matches && a.entities == b.entities
                && a.firstSeen == b.firstSeen && a.alsoSeen == b.alsoSeen && a.facets == b.facets && a.trend == b.trend)
    }

    public func hash(into h: inout Hasher) {
        h.combine(id); h.combine(rule); h.combine(article); h.combine(matches); h.combine(entities)
        h.combine(firstSeen); h.combine(alsoSeen); h.combine(facets); h.combine(trend)
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
        id(ruleHash: idPrefix(rule: rule), articleKey: articleKey)
    }

    /// The hash of the rule id and the separator: where every id of the rule's alerts starts.
    static func idPrefix(rule: String) -> UInt64 {
        StableHash.fnv1a64(CollectionOfOne(0x0A), continuing: StableHash.fnv1a64(rule.utf8))
    }

    /// `StableHash.hex(rule + "\n" + articleKey)`, from the rule's `idPrefix`, with neither
    /// the joined string nor the hex digits' intermediate strings made.
    static func id(ruleHash: UInt64, articleKey: String) -> String {
        let h = StableHash.fnv1a64(articleKey.utf8, continuing: ruleHash)
        return String(unsafeUninitializedCapacity: 16) { out in
            for i in 0..<16 {
                let digit = UInt8(truncatingIfNeeded: h >> UInt64(60 - 4 * i)) & 0xF
                out[i] = digit < 10 ? 0x30 + digit : 0x57 + digit
            }
            return 16
        }
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
            /// The rule object's compact JSON, written once for all the rule's alerts
            /// (`JSONBytes.ruleObject`). Set before the object is shared, and again after a change.
            var encoded = Encoded(json: [], id: 0..<0)

            init(id: String, title: String, severity: Severity, tags: [String], file: String) {
                (self.id, self.title, self.severity, self.tags, self.file) = (id, title, severity, tags, file)
            }

            func copy() -> Fields { Fields(id: id, title: title, severity: severity, tags: tags, file: file) }
        }

        /// A rule object's compact JSON and where its id's value (quoted) is in it.
        struct Encoded {
            var json: [UInt8]
            var id: Range<Int>
        }

        private var fields: Fields

        public init(id: String, title: String, severity: Severity, tags: [String], file: String) {
            fields = Fields(id: id, title: title, severity: severity, tags: tags, file: file)
            fields.encoded = JSONBytes.ruleObject(self)
        }

        /// Before a change: a copy of the shared fields if others hold them.
        private mutating func unique() {
            if !isKnownUniquelyReferenced(&fields) { fields = fields.copy() }
        }

        /// After a change: the rule object's JSON again.
        private mutating func changed() { fields.encoded = JSONBytes.ruleObject(self) }

        public var id: String { get { fields.id } set { unique(); fields.id = newValue; changed() } }
        public var title: String { get { fields.title } set { unique(); fields.title = newValue; changed() } }
        public var severity: Severity { get { fields.severity } set { unique(); fields.severity = newValue; changed() } }
        public var tags: [String] { get { fields.tags } set { unique(); fields.tags = newValue; changed() } }
        public var file: String { get { fields.file } set { unique(); fields.file = newValue; changed() } }

        /// The rule object's JSON written ahead (see `Fields.encoded`).
        var encoded: Encoded { fields.encoded }
        /// The id as a JSON string (a slice of `encoded`).
        var quotedID: ArraySlice<UInt8> { fields.encoded.json[fields.encoded.id] }

        /// The shared object's identity: the same for every alert of one compiled rule. Valid
        /// as a key only while this `RuleRef` is kept alive beside it.
        var identity: ObjectIdentifier { ObjectIdentifier(fields) }

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

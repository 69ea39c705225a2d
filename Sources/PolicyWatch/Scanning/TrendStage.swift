import Foundation

/// Alerts raised before this run, for trends to count (`StateStore`; a stateless scan has none).
public protocol AlertHistory: Sendable {
    /// Raised alerts, oldest first: raised at or after `since`, carrying every tag in `tags`.
    func alerts(since: String?, tags: [String], rule: String?) throws -> [Alert]
}

extension StateStore: AlertHistory {}

/// Correlation rules (`trends:` in rule YAML, `TrendSpec`) over alerts: enough alerts with a
/// tag, from enough distinct articles and sources, sharing a group (an `acting` or `affected`
/// jurisdiction, or nothing), inside one window, raise one trend alert.
///
/// Windows are fixed: `within` seconds long, counted from the Unix epoch, and an alert falls
/// in the window of its article's `published` time (else the time it was raised). A trend
/// alert IS an alert: its rule is the trend's id and its article key the synthetic
/// `trend:ID:GROUP:WINDOW-START`, so the story index raises it once per window and group
/// (the state remembers it across runs, the outbox delivers it) and it flows through the
/// same reporters. A burst that straddles two windows counts in each separately.
public struct TrendStage: Sendable {
    public let trends: [TrendSpec]

    public init(trends: [TrendSpec]) {
        self.trends = trends
    }

    /// Tags of the alerts any trend counts.
    public var tags: Set<String> { Set(trends.map(\.tag)) }

    /// How far back the history must go to see whole windows: the longest window, twice.
    public var lookback: TimeInterval { 2 * (trends.map(\.within).max() ?? 0) }

    /// Whether a trend counts `alert` (trend alerts never count).
    public func counts(_ alert: Alert) -> Bool {
        alert.trend == nil && alert.rule.tags.contains(where: tags.contains)
    }

    /// The trend alerts `alerts` (this run's and the history's; duplicates by id are ignored)
    /// hold, ordered by trend id, group and window. `now` fills `first_seen`.
    public func evaluate(_ alerts: [Alert], now: String) -> [Alert] {
        var unique: [String: Alert] = [:]
        for a in alerts where counts(a) { unique[a.id] = unique[a.id] ?? a }
        let pool = unique.values.sorted { $0.id < $1.id }
        var out: [Alert] = []
        for trend in trends {
            // (group, window start) -> alerts
            var cells: [String: [Alert]] = [:]
            for a in pool where a.rule.tags.contains(trend.tag) {
                let t = Self.time(of: a)
                let start = (t.timeIntervalSince1970 / trend.within).rounded(.down) * trend.within
                for g in Self.groups(a, by: trend.groupBy) {
                    cells["\(g)\n\(Int64(start))", default: []].append(a)
                }
            }
            for cell in cells.keys.sorted() {
                let parts = cell.split(separator: "\n", omittingEmptySubsequences: false)
                let group = String(parts[0]), start = Date(timeIntervalSince1970: Double(parts[1])!)
                let members = cells[cell]!
                var articles: [String: Alert.ArticleRef] = [:]
                for a in members { articles[a.article.key] = articles[a.article.key] ?? a.article }
                let sources = Set(articles.values.map(Self.source))
                guard articles.count >= trend.minArticles, sources.count >= trend.minSources else { continue }
                out.append(alert(trend, group: group, window: start, articles: articles.values.sorted { $0.key < $1.key },
                                 sources: sources.count, now: now))
            }
        }
        return out
    }

    /// The article behind a trend alert, for the story index (its key is the trend cell's).
    public static func syntheticArticle(_ alert: Alert) -> ScannedArticle {
        var article = Article(title: alert.article.title, body: "", published: alert.article.published, source: alert.article.source, language: "und")
        article.key = alert.article.key
        // The content hash is the key: one trend cell is one story, whatever its members.
        return ScannedArticle(article: article, contentHash: StableHash.hex(alert.article.key), letters: 0, alerts: [alert])
    }

    func alert(_ trend: TrendSpec, group: String, window start: Date, articles: [Alert.ArticleRef], sources: Int, now: String) -> Alert {
        let startText = Timestamp.string(start), endText = Timestamp.string(start.addingTimeInterval(trend.within))
        let key = "trend:\(trend.id):\(group.isEmpty ? "all" : group):\(startText)"
        var article = Article(title: "\(trend.title)\(group.isEmpty ? "" : " (\(group))"): \(articles.count) articles from \(sources) sources",
                              body: "", published: startText, source: "policywatch trends", language: "und")
        article.key = key
        var facets = Facets()
        switch trend.groupBy {
        case .acting: facets.acting = [group]
        case .affected: facets.affected = [group]
        case .none: break
        }
        var a = Alert(id: Alert.id(rule: trend.id, articleKey: key),
                      rule: Alert.RuleRef(id: trend.id, title: trend.title, severity: trend.severity, tags: trend.tags, file: trend.mark.file),
                      article: Alert.ArticleRef(article), matches: [], entities: [:], firstSeen: now)
        a.facets = facets
        a.trend = Alert.TrendInfo(group: group.isEmpty ? nil : group, windowStart: startText, windowEnd: endText,
                                  articles: articles.map { Alert.TrendInfo.Member(key: $0.key, title: $0.title, url: $0.url, source: $0.source, published: $0.published) })
        return a
    }

    static func groups(_ a: Alert, by: TrendSpec.GroupBy) -> [String] {
        switch by {
        case .acting: return a.facets?.acting ?? []
        case .affected: return a.facets?.affected ?? []
        case .none: return [""]
        }
    }

    /// When an alert's article appeared: its publication time, else when it was raised.
    static func time(of a: Alert) -> Date {
        a.article.published.flatMap(published) ?? FeedDates.parse(a.firstSeen) ?? Date(timeIntervalSince1970: 0)
    }

    /// A publication time as feeds and archives write it: ISO 8601 or RFC 822 (`FeedDates`), a
    /// bare day ("2020-08-27", UTC), or the wire-archive form "26-MAR-1987 21:36:32.52" (UTC).
    static func published(_ s: String) -> Date? {
        if let d = FeedDates.parse(s) { return d }
        let t = s.trimmingCharacters(in: .whitespaces)
        for (format, length) in [("yyyy-MM-dd", 10), ("dd-MMM-yyyy HH:mm:ss", 20)] where t.count >= length {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = format
            if let d = f.date(from: String(t.prefix(length))) { return d }
        }
        return nil
    }

    /// Who published it: the source name, else the link's host, else the file.
    static func source(_ a: Alert.ArticleRef) -> String {
        if let s = a.source, !s.isEmpty { return s }
        if let u = a.url, let host = URL(string: u)?.host { return host }
        return a.path ?? a.key
    }
}

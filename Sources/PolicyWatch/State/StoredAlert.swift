import Foundation

/// How a state stores an alert's JSON: in three parts, so that what many alerts share is
/// stored once. An alert's compact JSON (`ReportEncoder.compact`, keys sorted, no `also_seen`
/// in the state) is
///
///     {"article":ARTICLE<middle>,"rule":RULE}
///
/// where `<middle>` is `,"entities":...,"matches":[...]` (and facets, first_seen, id). The
/// article object is the same in every alert of one article, the rule object in every alert
/// of one rule version: both are stored once (the rule object in `alert_rules`; the article
/// object in `alert_articles` on PostgreSQL, in the alert's group on SQLite, `AlertGroup`),
/// and the alert keeps the middle only, less than half of the bytes (docs/performance.md).
/// Reading an alert splices the parts back into the very bytes `ReportEncoder` wrote.
///
/// Trend alerts (a `trend` object after the rule) and rows written before the split (state
/// v3 and older) are stored whole, their parts NULL.
enum StoredAlert {
    static let articlePrefix: [UInt8] = Array(#"{"article":"#.utf8)
    static let ruleKey: [UInt8] = Array(#","rule":{"#.utf8)

    /// The alert's JSON from its parts: its compact JSON (`ReportEncoder.compact`).
    static func splice(article: String, middle: String, rule: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(article.utf8.count + middle.utf8.count + rule.utf8.count + 20)
        out += articlePrefix
        out += article.utf8
        out += middle.utf8
        out += ruleKey.dropLast()
        out += rule.utf8
        out.append(0x7D)
        return out
    }

    /// An alert from its stored JSON: whole (`article` and `rule` nil), or in parts.
    static func decode(json: String, article: String?, rule: String?) throws -> Alert {
        let bytes: [UInt8]
        if let article, let rule {
            bytes = splice(article: article, middle: json, rule: rule)
        } else {
            bytes = Array(json.utf8)
        }
        return try JSONDecoder().decode(Alert.self, from: Data(bytes))
    }

    /// An alert's row values, made ahead on the thread that scanned its article so that the
    /// commit, which runs one batch at a time, only binds them.
    enum Row: Sendable {
        /// Stored whole (a trend, or an alert with `also_seen`).
        case whole(String)
        case parts(Encoded)
    }

    /// An alert row's JSON: whole, as a string, or the middle part's bytes.
    enum Text {
        case string(String)
        case bytes(ArraySlice<UInt8>)

        var string: String {
            switch self {
            case .string(let s): s
            case .bytes(let b): String(decoding: b, as: UTF8.self)
            }
        }
    }

    struct Encoded: Sendable {
        /// The article object (one string shared by the article's alerts) and the middle part,
        /// as bytes: the store binds them as they are (making a `String` of them checked their
        /// UTF-8 again, a third of the cost of encoding them).
        var article: String
        var middle: ArraySlice<UInt8>
        /// The rule: its object is encoded only when the store meets it for the first time.
        var rule: Alert.RuleRef

        /// The rule object's JSON.
        var ruleJSON: String {
            var out = JSONBytes(pretty: false)
            out.ruleObject(rule)
            return String(decoding: out.bytes, as: UTF8.self)
        }

        /// The alert's JSON whole, for a store that cannot keep the rule apart.
        var whole: String { String(decoding: StoredAlert.splice(article: article, middle: String(decoding: middle, as: UTF8.self), rule: ruleJSON), as: UTF8.self) }
    }

    /// The rows of one article's alerts (in order), their article object encoded once and
    /// each alert's middle part written on its own (`JSONBytes.alertMiddle`); spliced, the
    /// parts are the alert's compact JSON (`StateStorageTests`, `ReportTests`).
    /// `articleJSON`: the first alert's article object, when the caller has encoded it already.
    private static func articleBytes(_ article: Alert.ArticleRef) -> [UInt8] {
        var sub = JSONBytes(pretty: false)
        sub.articleObject(article)
        return sub.bytes
    }

    static func encode(_ alerts: [Alert], articleJSON: [UInt8]? = nil) -> [Row] {
        guard let first = alerts.first?.article else { return [] }
        // Encoded here only when the caller has not (`??` evaluates its right side only then:
        // a buffer made for nothing was a 4 KB allocation per article).
        let articleString = String(decoding: articleJSON ?? articleBytes(first), as: UTF8.self)
        // The middles of all the article's alerts in one buffer, each row a slice of it.
        var out = JSONBytes(pretty: false)
        var parts: [Range<Int>?] = []
        var whole: [Int: String] = [:]
        for (i, alert) in alerts.enumerated() {
            guard alert.article == first, alert.alsoSeen == nil, alert.trend == nil else {
                var one = JSONBytes(pretty: false)
                one.alert(alert)
                whole[i] = String(decoding: one.bytes, as: UTF8.self)
                parts.append(nil)
                continue
            }
            let start = out.bytes.count
            out.alertMiddle(alert)
            parts.append(start..<out.bytes.count)
        }
        // The rows wait in the pipeline until committed: a copy at the bytes' size, not the
        // buffer's grown capacity.
        let buffer = out.bytes.withUnsafeBufferPointer { [UInt8]($0) }
        return alerts.indices.map { i in
            guard let range = parts[i] else { return .whole(whole[i]!) }
            return .parts(Encoded(article: articleString, middle: buffer[range], rule: alerts[i].rule))
        }
    }

}

/// Where a state keeps the shared parts of stored alerts, one row per alert (PostgreSQL's;
/// SQLite keeps an article's alerts in one row with their article object, `AlertGroup`).
protocol AlertPartStore {
    /// Inserts an article object; its row id.
    func insertArticle(_ json: String) throws -> Int64?
    func deleteArticle(_ row: Int64) throws
    /// The row of this rule object, inserted when absent; nil when it cannot be stored apart
    /// (the alert then keeps its JSON whole).
    func ruleRow(_ json: String) throws -> Int64?
}

/// The rows of rule objects a state has stored, found by the alert's rule: by its id (a
/// short string, cheap to hash), then by comparing the rule (all alerts of a compiled rule
/// share one `RuleRef`, so that is most often a pointer compare; a rule id may have had
/// several versions). Looking up the rule's JSON instead cost a hash and a compare of its
/// bytes per alert on the commit's thread.
struct RuleRows: Sendable {
    private var byID: [String: [(rule: Alert.RuleRef, row: Int64)]] = [:]
    /// The same rows by the rules' shared objects (`RuleRef.identity`): an integer's hash
    /// per alert instead of the id's. The rules in `byID` keep those objects alive, so an
    /// identity here never names another rule.
    private var byObject: [ObjectIdentifier: Int64] = [:]

    var isEmpty: Bool { byID.isEmpty }

    func row(_ rule: Alert.RuleRef) -> Int64? {
        // An empty table answers without a hash (a first run's rows start empty).
        guard !isEmpty else { return nil }
        if let row = byObject[rule.identity] { return row }
        return byID[rule.id]?.first(where: { $0.rule == rule })?.row
    }

    mutating func add(_ rule: Alert.RuleRef, row: Int64) {
        guard self.row(rule) == nil else { return }
        byID[rule.id, default: []].append((rule, row))
        byObject[rule.identity] = row
    }

    mutating func add(_ other: RuleRows) {
        for versions in other.byID.values {
            for v in versions { add(v.rule, row: v.row) }
        }
    }
}

/// Writes the shared parts of a batch's alerts (`StoredAlert`): an article's object once for all
/// its alerts (only if one of them is new), a rule's object once for good.
struct AlertPartWriter<Store: AlertPartStore> {
    let store: Store
    /// Rule objects whose rows are known (committed earlier), and those found in this batch.
    var knownRules: RuleRows
    var newRules = RuleRows()
    /// The article being stored: its reference and its row once written.
    private var article: (ref: Alert.ArticleRef, row: Int64?)?
    private var articleUsed = false

    init(store: Store, knownRules: RuleRows) {
        self.store = store
        self.knownRules = knownRules
    }

    /// The alert's row values: its JSON (whole or the middle part) and its parts' rows.
    /// `encoded` is the alert's `StoredAlert.encode` made ahead (on the thread that scanned
    /// it); without it, or when the alert changed since (a copy's id), it is encoded here.
    mutating func store(_ alert: Alert, encoded: StoredAlert.Row? = nil) throws -> (json: StoredAlert.Text, articlePart: Int64?, rulePart: Int64?) {
        if article?.ref != alert.article {
            try endOfArticle()
            article = (alert.article, nil)
        }
        switch encoded ?? StoredAlert.encode([alert])[0] {
        case .whole(let json):
            return (.string(json), nil, nil)
        case .parts(let e):
            let ruleRow: Int64
            if let id = knownRules.row(alert.rule) {
                ruleRow = id
            } else {
                guard let id = try store.ruleRow(e.ruleJSON) else { return (.string(e.whole), nil, nil) }
                knownRules.add(alert.rule, row: id)
                newRules.add(alert.rule, row: id)
                ruleRow = id
            }
            if article!.row == nil { article!.row = try store.insertArticle(e.article) }
            return (.bytes(e.middle), article!.row, ruleRow)
        }
    }

    /// The last stored alert was new: its article's row stays.
    mutating func used() { articleUsed = true }

    /// Drops the article's row if none of its alerts was new (all raised before).
    mutating func endOfArticle() throws {
        if let row = article?.row, !articleUsed { try store.deleteArticle(row) }
        article = nil
        articleUsed = false
    }
}

import Foundation
import GRDB

/// How the SQLite state keeps alerts (v7): one row of `alert_groups` per article and
/// transaction, holding every alert that article raised then. A row per alert cost SQLite
/// about 12,000 instructions (a record, a unique-index entry), as much as scanning the
/// article for 10,000 terms; a group costs one row whatever its size (docs/performance.md,
/// "Sixth round: alerts by the article").
///
/// Alerts keep their numbers (`alerts.rowid` before v7): a group's alerts are numbered
/// `first_alert ..< first_alert + count`, `first_alert` is the row's key, and the outbox
/// (`deliveries.alert`, `report_deliveries`, `alert_times`) refers to alerts by number as
/// before. The group's `article` is the article object its alerts share (`StoredAlert`), and
/// `alerts` has one line per alert:
///
///     ID \t RULE_PART \t "RULE_ID" \t CUT \t JSON \n
///
/// `RULE_PART` is the row of the rule object in `alert_rules` and `JSON` the alert's middle
/// part; an empty `RULE_PART` means `JSON` is the alert whole (a trend alert, a row migrated
/// from before v4). `CUT`, when set, is where the middle's `first_seen` and `id` members
/// were cut out of it: `first_seen` was the group's `raised` and `id` is the line's, so they
/// are put back there when it is read (a fifth of the bytes of an alert with one piece of
/// evidence). The rule id is a JSON string; ids are 16 hexadecimal digits, and compact JSON
/// has no raw tab or newline, so the separators never occur inside a field.
/// `alert_group_tags` holds each tag of a group's alerts once. Since v8 the lines of a large
/// group are stored compressed (`AlertGroupText`).
enum AlertGroup {
    static let schema = """
        CREATE TABLE alert_groups (
            first_alert INTEGER PRIMARY KEY,
            count INTEGER NOT NULL,
            story_row INTEGER NOT NULL,
            raised TEXT NOT NULL,
            article TEXT,
            alerts TEXT NOT NULL
        );
        CREATE INDEX alert_groups_story ON alert_groups(story_row);
        CREATE TABLE alert_group_tags (
            tag TEXT NOT NULL,
            alert_group INTEGER NOT NULL,
            PRIMARY KEY (tag, alert_group)
        ) WITHOUT ROWID;
        """

    /// One alert of a group.
    struct Line {
        var id: Substring
        var rulePart: Int64?
        var rule: String
        var cut: Int?
        var json: Substring

        /// The JSON as it was before the cut (`raised`: the group's time).
        func whole(raised: String) throws -> String {
            guard let cut else { return String(json) }
            let u = json.utf8
            guard cut >= 0, let at = u.index(u.startIndex, offsetBy: cut, limitedBy: u.endIndex) else {
                throw DatabaseError(message: "a damaged alert line in alert_groups (cut at \(cut))")
            }
            var members = Self.cutPrefix(raised: raised)
            Self.appendCutID(id, to: &members)
            var out = Array(u[..<at])
            out += members
            out += u[at...]
            return String(decoding: out, as: UTF8.self)
        }

        /// The start of the members a cut takes out: `,"first_seen":RAISED,"id":`.
        static func cutPrefix(raised: String) -> [UInt8] {
            var out = JSONBytes(pretty: false, capacity: 64)
            out.bytes += #","first_seen":"#.utf8
            out.string(raised)
            out.bytes += #","id":"#.utf8
            return out.bytes
        }

        /// The id member's value after `cutPrefix`, as the encoder writes it (appended to
        /// `out` in place).
        static func appendCutID(_ id: some StringProtocol, to out: inout [UInt8]) {
            var value = JSONBytes(pretty: false, capacity: 0)
            swap(&value.bytes, &out)
            value.string(id as? String ?? String(id))
            swap(&value.bytes, &out)
        }
    }

    /// Appends one alert's line to a group's text. `cut`: the middle's `first_seen` and `id`
    /// members as `Line.cutPrefix` and `appendCutID` write them, cut out of a middle that has
    /// them (the first place they occur).
    /// (Numbers are written as digits and strings copied from their UTF-8: making `String`s of
    /// them was half of this, a fifth of the commit's own work at 10,000 rules.)
    /// `quotedRule`: the rule id already written as a JSON string (`Alert.RuleRef.quotedID`).
    static func append(id: String, rulePart: Int64?, rule: String, quotedRule: ArraySlice<UInt8>? = nil, json: StoredAlert.Text,
                       cut: [UInt8]? = nil, to out: inout JSONBytes) {
        appendUTF8(id, to: &out.bytes)
        out.bytes.append(0x09)
        if let rulePart { out.int(Int(rulePart)) }
        out.bytes.append(0x09)
        if let quotedRule { out.bytes += quotedRule } else { out.string(rule) }
        out.bytes.append(0x09)
        switch json {
        case .string(let s):
            out.bytes.append(0x09)
            appendUTF8(s, to: &out.bytes)
        case .bytes(let b):
            // The members follow the entities (and facets): found near the start. Their first
            // quote follows a comma, so they cannot be inside a string; an entity kind of that
            // name has an array, not a string.
            if let cut, let at = firstIndex(of: cut, in: b) {
                out.int(at - b.startIndex)
                out.bytes.append(0x09)
                out.bytes += b[..<at]
                out.bytes += b[(at + cut.count)...]
            } else {
                out.bytes.append(0x09)
                out.bytes += b
            }
        }
        out.bytes.append(0x0A)
    }

    private static func firstIndex(of needle: [UInt8], in hay: ArraySlice<UInt8>) -> Int? {
        guard !needle.isEmpty, needle.count <= hay.count else { return nil }
        return hay.withUnsafeBufferPointer { h in
            needle.withUnsafeBufferPointer { n in
                let first = n[0]
                for i in 0...(h.count - n.count) where h[i] == first && memcmp(h.baseAddress! + i, n.baseAddress!, n.count) == 0 {
                    return hay.startIndex + i
                }
                return nil
            }
        }
    }

    /// A string's UTF-8, copied in one go (a native string's bytes are contiguous).
    private static func appendUTF8(_ s: String, to out: inout [UInt8]) {
        if s.utf8.withContiguousStorageIfAvailable({ out.append(contentsOf: $0) }) == nil { out += s.utf8 }
    }

    /// The alerts of a group's text, in order (their numbers follow the group's first).
    /// The alerts of a row's `alerts` column, compressed or not (`AlertGroupText`).
    static func lines(stored: DatabaseValue) throws -> [Line] {
        try lines(AlertGroupText.lines(stored))
    }

    static func lines(_ text: String) throws -> [Line] {
        var out: [Line] = []
        let u = text.utf8
        var start = u.startIndex
        while start < u.endIndex {
            let end = u[start...].firstIndex(of: 0x0A) ?? u.endIndex
            // The separators are ASCII: their positions are valid indices of the text.
            var fields: [Substring] = []
            var from = start
            while fields.count < 4, let tab = u[from..<end].firstIndex(of: 0x09) {
                fields.append(text[from..<tab])
                from = u.index(after: tab)
            }
            guard fields.count == 4 else { throw DatabaseError(message: "a damaged alert line in alert_groups: \(text[start..<end].prefix(80))") }
            let quoted = fields[2]
            let rule: String
            if quoted.utf8.count >= 2, quoted.utf8.first == 0x22, quoted.utf8.last == 0x22, !quoted.utf8.contains(0x5C) {
                rule = String(quoted.dropFirst().dropLast())
            } else {
                rule = try JSONDecoder().decode(String.self, from: Data(quoted.utf8))
            }
            out.append(Line(id: fields[0], rulePart: fields[1].isEmpty ? nil : Int64(fields[1]), rule: rule,
                            cut: fields[3].isEmpty ? nil : Int(fields[3]), json: text[from..<end]))
            start = end < u.endIndex ? u.index(after: end) : end
        }
        return out
    }

    /// A group as read: its row's columns.
    struct Stored {
        var first: Int64
        var storyRow: Int64
        var article: String?
        var text: String
        var raised: String

        static let columns = "g.first_alert, g.story_row, g.article, g.alerts, g.raised"

        init(_ row: Row) throws {
            first = row[0]
            storyRow = row[1]
            article = row[2]
            text = try AlertGroupText.lines(row[3])
            raised = row[4]
        }
    }

    /// The first group whose alerts may have a number in `range`, and every group after it
    /// that starts in the range: the groups holding the range's alerts.
    static func groups(covering range: ClosedRange<Int64>, _ db: Database) throws -> [Stored] {
        try Row.fetchAll(db, sql: """
            SELECT \(Stored.columns) FROM alert_groups g
            WHERE g.first_alert BETWEEN COALESCE((SELECT first_alert FROM alert_groups WHERE first_alert <= ? ORDER BY first_alert DESC LIMIT 1), ?) AND ?
            ORDER BY g.first_alert
            """, arguments: [range.lowerBound, range.lowerBound, range.upperBound]).map(Stored.init)
    }

    /// Sorted numbers as the fewest ranges.
    static func ranges(_ numbers: [Int64]) -> [ClosedRange<Int64>] {
        var out: [ClosedRange<Int64>] = []
        for n in numbers.sorted() {
            if let last = out.last, n <= last.upperBound + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, n)
            } else {
                out.append(n...n)
            }
        }
        return out
    }

    /// Alerts from their groups' lines: rule objects read once per call, `also_seen` from the
    /// sightings of each story once.
    struct Reader {
        let db: Database
        private var rules: [Int64: String] = [:]
        private var sightings: [Int64: [Row]] = [:]

        init(_ db: Database) { self.db = db }

        mutating func alert(_ line: Line, of group: Stored) throws -> Alert {
            var alert: Alert
            let json = try line.whole(raised: group.raised)
            if let part = line.rulePart, let article = group.article {
                alert = try StoredAlert.decode(json: json, article: article, rule: try rule(part))
            } else {
                alert = try StoredAlert.decode(json: json, article: nil, rule: nil)
            }
            if sightings[group.storyRow] == nil { sightings[group.storyRow] = try StateStore.sightings(storyRow: group.storyRow, db) }
            alert.alsoSeen = StateStore.alsoSeen(sightings[group.storyRow]!, of: alert.article)
            return alert
        }

        private mutating func rule(_ part: Int64) throws -> String {
            if let json = rules[part] { return json }
            guard let json = try String.fetchOne(db, sql: "SELECT json FROM alert_rules WHERE id = ?", arguments: [part]) else {
                throw DatabaseError(message: "alert_rules has no row \(part)")
            }
            rules[part] = json
            return json
        }
    }
}

/// The 64-bit keys SQLite's `articles` are found by (v7): FNV-1a of the article key and of
/// the content hash, as signed integers. A hash may collide, so a look-up also compares
/// the text.
enum ArticleKeys {
    static func key(_ key: String) -> Int64 { Int64(bitPattern: StableHash.fnv1a64(key.utf8)) }
    static func content(_ hash: String) -> Int64 { Int64(bitPattern: StableHash.fnv1a64(hash.utf8)) }
}

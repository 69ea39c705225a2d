import Foundation

/// The one JSON encoder of reports and alerts (format v1, `docs/report.schema.json`).
///
/// It writes by hand what `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes`
/// writes, because `JSONEncoder` took longer than the scan itself on large reports; tests
/// compare the two on every field. Every alert is written compact, once, whatever receives
/// it: the report (one alert per line, `ReportStream`), JSON Lines records and the state's
/// rows share the same bytes (docs/performance.md, "Eighth round"). A report is written in
/// pieces so that a run's memory does not grow with its alerts.
public enum ReportEncoder {
    /// A whole report.
    public static func encode(_ report: Report, pretty: Bool = true) -> Data {
        var stream = ReportStream(pretty: pretty)
        stream.append(report.alerts)
        return Data(stream.take() + stream.finish(run: report.run, errors: report.errors))
    }

    /// One alert, compact, without a newline (a JSON Lines record, the state's copy).
    public static func compact(_ alert: Alert) -> [UInt8] {
        var out = JSONBytes(pretty: false)
        out.alert(alert)
        return out.bytes
    }

    /// Alerts as a JSON array laid out as the report's (`ReportStream`): each alert on a line
    /// of its own, compact; with a final newline.
    public static func alertArray(_ alerts: [Alert]) -> [UInt8] {
        var json = JSONBytes(pretty: true)
        var article: (ref: Alert.ArticleRef, json: [UInt8])?
        json.open(0x5B)
        ReportStream.appendElements(alerts, to: &json, article: &article)
        json.close(0x5D)
        json.bytes.append(0x0A)
        return json.bytes
    }

    /// Alerts as JSON Lines, encoded on up to `threads` threads when there are many.
    public static func jsonLines(_ alerts: [Alert], threads: Int) -> [UInt8] {
        // Encoded ahead: only copied, here.
        let n = alerts.allSatisfy { $0.encodedAhead != nil } ? 1 : min(threads, alerts.count / 256)
        guard n > 1 else { return jsonLines(alerts) }
        let slices = ResultSlots<[UInt8]>(count: n)
        DispatchQueue.concurrentPerform(iterations: n) { k in
            slices.set(k, jsonLines(Array(alerts[(k * alerts.count / n)..<((k + 1) * alerts.count / n)])))
        }
        return slices.values.flatMap { $0 }
    }

    /// Alerts as JSON Lines: one compact alert per line.
    public static func jsonLines(_ alerts: [Alert]) -> [UInt8] {
        var out = JSONBytes(pretty: false)
        var article: (ref: Alert.ArticleRef, json: [UInt8])?
        for a in alerts {
            if let tail = a.encodedAhead?.tail {
                out.alert(a, tail: tail)
                out.bytes.append(0x0A)
                continue
            }
            if article?.ref != a.article {
                var sub = JSONBytes(pretty: false)
                sub.articleObject(a.article)
                article = (a.article, sub.bytes)
            }
            out.alert(a, articleJSON: article!.json)
            out.bytes.append(0x0A)
        }
        return out.bytes
    }

    /// What the scanning threads encode ahead for the sinks (`RuleScanner.encodeAhead`).
    public struct Targets: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Each alert's bytes, for the JSON report and JSON Lines (the same bytes for both).
        public static let alerts = Targets(rawValue: 1)
        /// The state's rows (`StoredAlert.encode`). With `alerts` too, each alert's middle
        /// members are encoded once, for the rows, and the alert's bytes copy them.
        static let state = Targets(rawValue: 4)
    }

    /// Encodes one article's alerts ahead, on the thread that scanned them, for `targets`:
    /// each alert keeps its compact bytes from `article` on (`Alert.EncodedAhead`), slices of
    /// one buffer, the article object encoded once. The sinks then only copy them, adding
    /// `also_seen` in front when the window set it; an alert changed since (a copy's id) has
    /// dropped them and is encoded whole, as before.
    /// With `.state`, returns the state's rows too (`StoredAlert.encode`'s), whose middles the
    /// alerts' bytes copy: with a state, each alert is encoded once.
    @discardableResult
    static func encodeAhead(_ alerts: inout [Alert], for targets: Targets) -> [StoredAlert.Row]? {
        guard !targets.isEmpty else { return nil }
        guard let first = alerts.first?.article else { return targets.contains(.state) ? [] : nil }
        // The article's object, encoded once for the state's rows and the alerts' bytes.
        var sub = JSONBytes(pretty: false)
        sub.articleObject(first)
        let rows = targets.contains(.state) ? StoredAlert.encode(alerts, articleJSON: sub.bytes) : nil
        guard targets.contains(.alerts) else { return rows }
        // Sized for the alerts at once: growing by doubling copied the bytes once more, and a
        // grown buffer had to be copied at its size (below) so that it did not keep up to
        // twice their memory while the alerts wait in the pipeline.
        var estimate = 0
        for a in alerts {
            estimate += sub.bytes.count + a.rule.encoded.json.count + (a.evidenceJSON?.count ?? 512) + Self.alertOverhead
        }
        var out = JSONBytes(pretty: false, capacity: estimate)
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(alerts.count)
        for i in alerts.indices {
            let start = out.bytes.count
            // A state's row in parts has the middle (and the first article).
            if case .parts(let e)? = rows?[i] {
                out.alertTail(alerts[i], articleJSON: sub.bytes, middle: e.middle)
            } else {
                out.alertTail(alerts[i], articleJSON: alerts[i].article == first ? sub.bytes : nil)
            }
            ranges.append(start..<out.bytes.count)
        }
        // The bytes wait in the pipeline (window, batches) until written: kept at about their
        // size, copied only when the estimate fell short and the buffer grew.
        let buffer = out.bytes.capacity <= out.bytes.count + out.bytes.count / 4 ? out.bytes
            : out.bytes.withUnsafeBufferPointer { [UInt8]($0) }
        for i in alerts.indices { alerts[i].encodedAhead = Alert.EncodedAhead(tail: buffer[ranges[i]]) }
        return rows
    }

    /// An alert's bytes besides its article, rule and evidence: its keys, id, first_seen,
    /// empty entities (an estimate; more only makes the buffer grow).
    static let alertOverhead = 128
}

/// A report written as its alerts arrive: `append` alerts (in order), `take` the bytes so
/// far to write them out, and `finish` with the run's figures and errors.
///
/// Pretty (the default), the report's object is indented as `JSONEncoder`'s
/// `.prettyPrinted` does it, and each alert is one line of compact JSON in the `alerts`
/// array: `grep`, `head` and a line diff work on alerts, `jq` shows one indented, and the
/// alert's bytes are the ones JSON Lines and the state keep (encoded once). Compact, the
/// whole report is one line.
public struct ReportStream: Sendable {
    private var json: JSONBytes
    private var article: (ref: Alert.ArticleRef, json: [UInt8])?
    public private(set) var alertCount = 0

    public init(pretty: Bool = true) {
        json = JSONBytes(pretty: pretty)
        json.open(0x7B)
        json.key("alerts")
        json.open(0x5B)
    }

    /// Appends `alerts`, encoded on up to `threads` threads when there are many (each slice
    /// separately, joined in order: the same bytes as one after the other).
    public mutating func append(_ alerts: [Alert], threads: Int) {
        let n = alerts.allSatisfy { $0.encodedAhead != nil } ? 1 : min(threads, alerts.count / 256)
        guard n > 1 else { return append(alerts) }
        let slices = ResultSlots<[UInt8]>(count: n)
        let separator = json.elementSeparator(first: false)
        DispatchQueue.concurrentPerform(iterations: n) { k in
            var part = ReportStream.Fragment(separator: separator)
            part.append(alerts[(k * alerts.count / n)..<((k + 1) * alerts.count / n)])
            slices.set(k, part.bytes)
        }
        for bytes in slices.values {
            // The fragment's first alert has no separator: the element's own is written here.
            json.element()
            json.bytes += bytes
        }
        article = nil
        alertCount += alerts.count
    }

    /// Alerts encoded as consecutive array elements, each after `separator` but the first.
    struct Fragment {
        var bytes: [UInt8] = []
        let separator: [UInt8]

        mutating func append(_ alerts: ArraySlice<Alert>) {
            var article: (ref: Alert.ArticleRef, json: [UInt8])?
            var out = JSONBytes(pretty: false, capacity: 0)
            swap(&out.bytes, &bytes)
            // By index: the alert is read in place, not copied (a copy retains its fields).
            for i in alerts.indices {
                if i != alerts.startIndex { out.bytes += separator }
                ReportStream.write(alerts[i], to: &out, article: &article)
            }
            swap(&out.bytes, &bytes)
        }
    }

    /// One alert, compact, at the end of `out` (a compact writer): from its bytes encoded
    /// ahead, else written whole, its article's object shared with the alerts before it.
    static func write(_ a: Alert, to out: inout JSONBytes, article: inout (ref: Alert.ArticleRef, json: [UInt8])?) {
        if let tail = a.encodedAhead?.tail {
            out.alert(a, tail: tail)
            return
        }
        // An article's alerts come together and share its JSON: encode it once.
        if article?.ref != a.article {
            var sub = JSONBytes(pretty: false, depth: 1)
            sub.articleObject(a.article)
            article = (a.article, sub.bytes)
        }
        out.alert(a, articleJSON: article!.json)
    }

    public mutating func append(_ alerts: [Alert]) {
        Self.appendElements(alerts, to: &json, article: &article)
        alertCount += alerts.count
    }

    /// `alerts` as the next elements of the array `json` is in, each compact (on its own line
    /// when `json` is pretty).
    static func appendElements(_ alerts: [Alert], to json: inout JSONBytes, article: inout (ref: Alert.ArticleRef, json: [UInt8])?) {
        guard !alerts.isEmpty else { return }
        // The first alert's separator, as the array's next element; the others' the same
        // but for a comma.
        json.element()
        let separator = json.elementSeparator(first: false)
        // The alerts are written compact into the same buffer.
        var out = JSONBytes(pretty: false, capacity: 0)
        swap(&out.bytes, &json.bytes)
        for i in alerts.indices {
            if i > 0 { out.bytes += separator }
            write(alerts[i], to: &out, article: &article)
        }
        swap(&out.bytes, &json.bytes)
    }

    /// The bytes written since the last `take`.
    public mutating func take() -> [UInt8] {
        defer { json.bytes.removeAll(keepingCapacity: true) }
        return json.bytes
    }

    /// How many bytes were written since the last `take` or `exchange`.
    public var unwrittenCount: Int { json.bytes.count }

    /// Exchanges the bytes written so far with `spare` (emptied first, its memory kept): the
    /// caller writes them out, and neither buffer is copied or given away (`take` hands its
    /// buffer away, so the next batch starts a new one; appending them to another buffer
    /// copied every alert's bytes once more).
    public mutating func exchange(_ spare: inout [UInt8]) {
        spare.removeAll(keepingCapacity: true)
        swap(&json.bytes, &spare)
    }

    /// The rest of the report (after what `take` returned), ending with a newline.
    public mutating func finish(run: Report.RunInfo, errors: [InputError]) -> [UInt8] {
        json.close(0x5D)
        json.key("errors")
        json.open(0x5B)
        for e in errors {
            json.element()
            json.open(0x7B)
            json.key("message"); json.string(e.message)
            json.key("source"); json.string(e.source)
            json.close(0x7D)
        }
        json.close(0x5D)
        json.key("format"); json.string(Report.formatName)
        json.key("run")
        json.open(0x7B)
        json.key("articles"); json.int(run.articles)
        json.key("finished"); json.string(run.finished)
        json.key("rules"); json.int(run.rules)
        json.key("skipped"); json.int(run.skipped)
        json.key("started"); json.string(run.started)
        json.close(0x7D)
        json.key("version"); json.int(Report.currentVersion)
        json.close(0x7D)
        json.bytes.append(0x0A)
        return take()
    }
}

/// JSON in the layout of `JSONEncoder` with `.sortedKeys` (and `.prettyPrinted`): keys are
/// written in sorted order by the caller. Alerts and their parts (`alert`, `articleObject`,
/// ...) are written compact only: a pretty writer is for the report's own object.
struct JSONBytes: Sendable {
    var bytes: [UInt8] = []
    let pretty: Bool
    /// Nesting level of the value being written (for indentation).
    var depth: Int
    /// Whether each open container has a member yet, innermost in the lowest bit: a stack of
    /// bits (an array of `Bool` cost a uniqueness and bounds check on every member). The
    /// writer's structures nest a dozen levels at most.
    private var hasItems = BitStack()

    struct BitStack: Sendable {
        private var bits: UInt64 = 0
        private var count = 0
        mutating func append(_ b: Bool) {
            precondition(count < 64, "JSON nested deeper than 64 levels")
            bits = bits << 1 | (b ? 1 : 0)
            count += 1
        }
        @discardableResult
        mutating func removeLast() -> Bool {
            precondition(count > 0)
            let b = bits & 1 != 0
            bits >>= 1
            count -= 1
            return b
        }
        /// The innermost container's bit.
        var last: Bool {
            get { bits & 1 != 0 }
            set { bits = newValue ? bits | 1 : bits & ~1 }
        }
        mutating func removeAll() { (bits, count) = (0, 0) }
    }

    init(pretty: Bool, depth: Int = 0, capacity: Int = 4096) {
        self.pretty = pretty
        self.depth = depth
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its capacity, to write another value at depth 0.
    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        hasItems.removeAll()
        depth = 0
    }

    mutating func open(_ c: UInt8) {
        bytes.append(c)
        depth += 1
        hasItems.append(false)
    }

    mutating func close(_ c: UInt8) {
        let had = hasItems.removeLast()
        depth -= 1
        if pretty {
            if !had { bytes.append(0x0A) }
            newline()
        }
        bytes.append(c)
    }

    /// A newline and the indentation of most depths, copied in one go.
    private static let indentation: [UInt8] = [0x0A] + [UInt8](repeating: 0x20, count: 64)

    private mutating func newline() {
        if 1 + 2 * depth <= Self.indentation.count {
            bytes.append(contentsOf: Self.indentation[..<(1 + 2 * depth)])
            return
        }
        bytes.append(0x0A)
        for _ in 0..<depth { bytes.append(0x20); bytes.append(0x20) }
    }

    /// Starts an array element or an object member.
    private mutating func item() {
        if hasItems.last { bytes.append(0x2C) }
        hasItems.last = true
        if pretty { newline() }
    }

    mutating func key(_ k: StaticString) {
        item()
        bytes.append(0x22)
        bytes.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        bytes.append(0x22)
        if pretty { bytes.append(contentsOf: [0x20, 0x3A, 0x20]) } else { bytes.append(0x3A) }
    }

    mutating func key(escaping k: String) {
        item()
        string(k)
        if pretty { bytes.append(contentsOf: [0x20, 0x3A, 0x20]) } else { bytes.append(0x3A) }
    }

    mutating func element() { item() }

    /// What `element` writes before an array's element (the first when `first`).
    func elementSeparator(first: Bool) -> [UInt8] {
        var out = JSONBytes(pretty: pretty, depth: depth, capacity: 1 + 2 * depth + 1)
        if !first { out.bytes.append(0x2C) }
        if pretty { out.newline() }
        return out.bytes
    }

    /// Whether one of the eight bytes of `w` is below 0x20, '"' or '\\' (the classic
    /// "has a zero byte" test; it may answer yes for a byte just after one that does, never
    /// no for one that does: the byte loop then decides).
    @inline(__always)
    static func needsEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        @inline(__always) func hasLess(_ x: UInt64, _ n: UInt64) -> Bool { (x &- ones &* n) & ~x & highs != 0 }
        return hasLess(w, 0x20) || hasZero(w ^ (ones &* 0x22)) || hasZero(w ^ (ones &* 0x5C))
    }

    mutating func string(_ s: String) {
        bytes.append(0x22)
        // A native string's UTF-8 is contiguous: read in place (no copy of the string, no
        // table of escapes to load: this runs for every value of every alert).
        if s.utf8.withContiguousStorageIfAvailable({ appendEscaped($0) }) == nil {
            var s = s
            s.withUTF8 { appendEscaped($0) }
        }
        bytes.append(0x22)
    }

    /// UTF-8 text as a string value: what `string` writes for the `String` of these bytes.
    mutating func string(utf8 u: UnsafeBufferPointer<UInt8>) {
        bytes.append(0x22)
        appendEscaped(u)
        bytes.append(0x22)
    }

    /// `u` as JSONEncoder escapes it within quotes: control characters, '"' and '\\'.
    private mutating func appendEscaped(_ u: UnsafeBufferPointer<UInt8>) {
        var run = 0  // start of the bytes not yet copied
        var i = 0
        while i < u.count {
            // Eight bytes at a time while none needs escaping (most text).
            if i + 8 <= u.count, !Self.needsEscape(UnsafeRawPointer(u.baseAddress! + i).loadUnaligned(as: UInt64.self)) {
                i += 8
                continue
            }
            let b = u[i]
            guard b < 0x20 || b == 0x22 || b == 0x5C else {
                i += 1
                continue
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<i]))
            i += 1
            run = i
            switch b {
            case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x08: bytes.append(contentsOf: [0x5C, 0x62])
            case 0x0C: bytes.append(contentsOf: [0x5C, 0x66])
            case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
            case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
            default:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[run...]))
    }

    mutating func int(_ v: Int) {
        // The digits from the last, into a buffer on the stack, then appended in one go (an
        // append per digit checked the array's uniqueness and capacity each time).
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { d in
            var m = v.magnitude
            var at = d.count
            repeat {
                at -= 1
                d[at] = UInt8(truncatingIfNeeded: m % 10) &+ 0x30
                m /= 10
            } while m > 0
            if v < 0 {
                at -= 1
                d[at] = 0x2D
            }
            // A tuple of `UInt8`: its memory is bound to `UInt8`.
            bytes.append(contentsOf: UnsafeBufferPointer(start: d.baseAddress!.assumingMemoryBound(to: UInt8.self) + at, count: d.count - at))
        }
    }

    mutating func stringArray(_ a: [String]) {
        open(0x5B)
        for s in a {
            element()
            string(s)
        }
        close(0x5D)
    }

    /// The article object, written at the current depth.
    mutating func articleObject(_ a: Alert.ArticleRef) {
        open(0x7B)
        if let v = a.id { key("id"); string(v) }
        key("key"); string(a.key)
        key("language"); string(a.language)
        if let v = a.path { key("path"); string(v) }
        if let v = a.published { key("published"); string(v) }
        if let v = a.source { key("source"); string(v) }
        key("title"); string(a.title)
        if let v = a.url { key("url"); string(v) }
        close(0x7D)
    }

    /// An alert; `articleJSON` is its article already written by `articleObject` one level deeper.
    mutating func alert(_ a: Alert, articleJSON: [UInt8]? = nil) {
        open(0x7B)
        alsoSeenMember(a)
        alertMembers(a, articleJSON: articleJSON)
        close(0x7D)
    }

    /// An alert from its members encoded ahead (`tail`, from `alertTail`): the brace,
    /// `also_seen` when set, then the bytes as they are.
    mutating func alert(_ a: Alert, tail: ArraySlice<UInt8>) {
        open(0x7B)
        if alsoSeenMember(a) { bytes.append(0x2C) }
        bytes.append(contentsOf: tail)
        hasItems.removeLast()
        depth -= 1
    }

    /// An alert's members from `article` on and its closing brace, as `alert` writes them
    /// when it has no `also_seen` (what `alert(_:tail:)` completes).
    /// `middle`: the alert's middle members already written (`alertMiddle`), copied instead
    /// of written again.
    mutating func alertTail(_ a: Alert, articleJSON: [UInt8]?, middle: ArraySlice<UInt8>? = nil) {
        depth += 1
        hasItems.append(false)
        alertMembers(a, articleJSON: articleJSON, middle: middle)
        close(0x7D)
    }

    /// One piece of evidence: what `open`, `key` and `close` would write, the keys with their
    /// separators copied from a table (most of an alert's bytes are its evidence, and writing
    /// each key byte by byte was a third of its encoding).
    private mutating func matchRecord(_ m: Alert.MatchRecord) {
        var (snippet, text) = (m.snippet, m.text)
        snippet.withUTF8 { s in
            text.withUTF8 { t in matchRecord(end: m.end, field: m.field, snippet: s, start: m.start, term: m.term, text: t) }
        }
    }

    /// The same object from a record's parts, its snippet and text as UTF-8 (`RuleScanner`
    /// writes evidence so, without making their strings).
    mutating func matchRecord(end: Int, field: Field, snippet: UnsafeBufferPointer<UInt8>, start: Int, term: String,
                              text: UnsafeBufferPointer<UInt8>) {
        let keys = Self.recordKeys
        bytes.append(0x7B)
        bytes += keys[0]; int(end)
        bytes += keys[1]; string(field.rawValue)
        bytes += keys[2]; string(utf8: snippet)
        bytes += keys[3]; int(start)
        bytes += keys[4]; string(term)
        bytes += keys[5]; string(utf8: text)
        bytes.append(0x7D)
    }

    /// What comes before each of an evidence object's six values, compact.
    private static let recordKeys: [[UInt8]] = ["end", "field", "snippet", "start", "term", "text"].enumerated().map { i, k in
        Array(((i > 0 ? "," : "") + "\"\(k)\":").utf8)
    }

    /// The `also_seen` member, when set; whether it was.
    @discardableResult
    private mutating func alsoSeenMember(_ a: Alert) -> Bool {
        guard let seen = a.alsoSeen else { return false }
        key("also_seen")
        open(0x5B)
        for s in seen {
            element()
            open(0x7B)
            key("key"); string(s.key)
            if let v = s.path { key("path"); string(v) }
            key("seen"); string(s.seen)
            if let v = s.source { key("source"); string(v) }
            if let v = s.url { key("url"); string(v) }
            close(0x7D)
        }
        close(0x5D)
        return true
    }

    /// The members that follow `also_seen`, in key order.
    private mutating func alertMembers(_ a: Alert, articleJSON: [UInt8]?, middle: ArraySlice<UInt8>? = nil) {
        key("article")
        if let articleJSON {
            bytes.append(contentsOf: articleJSON)
        } else {
            articleObject(a.article)
        }
        if let middle {
            bytes += middle
        } else {
            middleMembers(a)
        }
        key("rule")
        ruleObject(a.rule)
        if let t = a.trend {
            key("trend")
            open(0x7B)
            key("articles")
            open(0x5B)
            for m in t.articles {
                element()
                open(0x7B)
                key("key"); string(m.key)
                if let v = m.published { key("published"); string(v) }
                if let v = m.source { key("source"); string(v) }
                key("title"); string(m.title)
                if let v = m.url { key("url"); string(v) }
                close(0x7D)
            }
            close(0x5D)
            if let v = t.group { key("group"); string(v) }
            key("window_end"); string(t.windowEnd)
            key("window_start"); string(t.windowStart)
            close(0x7D)
        }
    }

    /// The members between an alert's article and its rule (keys sorted): entities, facets,
    /// first_seen, id, matches.
    private mutating func middleMembers(_ a: Alert) {
        key("entities")
        open(0x7B)
        // Sorted as JSONEncoder sorts keys: by UTF-8 bytes.
        for k in a.entities.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            key(escaping: k)
            stringArray(a.entities[k]!)
        }
        close(0x7D)
        if let f = a.facets {
            key("facets")
            open(0x7B)
            key("acting"); stringArray(f.acting)
            key("affected"); stringArray(f.affected)
            key("sectors"); stringArray(f.sectors)
            if let v = f.stage { key("stage"); string(v) }
            close(0x7D)
        }
        key("first_seen"); string(a.firstSeen)
        key("id"); string(a.id)
        key("matches")
        // Written by the scanner already (`Alert.evidenceJSON`): copied.
        if let evidence = a.evidenceJSON {
            bytes += evidence
            return
        }
        open(0x5B)
        for m in a.matches {
            element()
            matchRecord(m)
        }
        close(0x5D)
    }

    /// A rule object's compact JSON, written ahead for all its alerts (`Alert.RuleRef.encoded`).
    static func ruleObject(_ r: Alert.RuleRef) -> Alert.RuleRef.Encoded {
        // A small buffer: a scan with 10,000 rules makes 10,000 of these before it starts.
        var compact = JSONBytes(pretty: false, capacity: 256)
        let id = compact.writeRuleObject(r)
        return Alert.RuleRef.Encoded(json: compact.bytes.withUnsafeBufferPointer { [UInt8]($0) }, id: id)
    }

    /// An alert's rule object: its bytes written ahead (every alert of a rule has the same;
    /// writing them was a tenth of encoding an alert at 10,000 rules).
    mutating func ruleObject(_ r: Alert.RuleRef) {
        assert(!pretty, "alerts are written compact")
        bytes += r.encoded.json
    }

    /// Writes the rule object; where its id's quoted value is.
    @discardableResult
    private mutating func writeRuleObject(_ r: Alert.RuleRef) -> Range<Int> {
        open(0x7B)
        key("file"); string(r.file)
        key("id")
        let idStart = bytes.count
        string(r.id)
        let id = idStart..<bytes.count
        key("severity"); string(r.severity.rawValue)
        key("tags"); stringArray(r.tags)
        key("title"); string(r.title)
        close(0x7D)
        return id
    }

    /// The members between an alert's article and its rule as a member list that follows
    /// others (each with its comma): the middle part of a stored alert (`StoredAlert`).
    mutating func alertMiddle(_ a: Alert) {
        depth += 1
        hasItems.append(true)
        middleMembers(a)
        hasItems.removeLast()
        depth -= 1
    }
}

import CLibXML2
import Foundation

/// RSS 2.0 (and 0.9x/1.0) and Atom feeds: each item becomes an article.
///
/// libxml2's streaming reader (`xmlTextReader`, through the CLibXML2 system library) does the
/// XML. Foundation's XMLParser was dropped: on Linux it crashed the process (SIGSEGV/SIGILL) on
/// bad UTF-8 in a tag name or a malformed processing instruction, so one hostile feed could end
/// every cron run. The reader returns an error for any bytes instead.
///
/// Options, and why: no `XML_PARSE_NOENT` and no DTD loading, so external entities are never
/// read (no file or network access from a feed); `XML_PARSE_NONET` as a second guard; internal
/// entities are expanded by us from the tree libxml2 already checked for loops and amplification.
/// No `XML_PARSE_RECOVER`: recovery guesses at the structure, and an item cut in half would come
/// back as an article with half its text. The first error stops the parse, the items completed
/// before it are kept, and the error is reported with its line and column. The whole document is
/// handed over at once (`xmlReaderForMemory`), which has no 10 MB limit on the document (only on
/// one text node, as before).
public enum FeedParser {
    public struct Feed: Sendable {
        public var title: String?
        public var articles: [Article]
        public var errors: [InputError]
    }

    static let atomNS = "http://www.w3.org/2005/Atom"
    static let contentNS = "http://purl.org/rss/1.0/modules/content/"
    static let xmlnsNS = "http://www.w3.org/2000/xmlns/"

    /// Parses a feed read from `source` (a path or URL: relative links resolve against a URL).
    /// `sourceName` names the feed in each article's `source` (else the feed's own title).
    public static func parse(_ data: Data, source: String, sourceName: String? = nil) -> Feed {
        let (builder, failure) = read(data)
        var errors: [InputError] = []
        if let failure {
            let n = builder.items.count
            errors.append(InputError(source: source, message: "invalid XML at line \(failure.line), column \(failure.column) (\(failure.reason)); \(n) complete item\(n == 1 ? "" : "s") kept"))
        }
        if builder.kind == nil {
            let root = builder.rootName.map { "<\($0)>" } ?? "nothing"
            return Feed(title: nil, articles: [], errors: errors.isEmpty
                ? [InputError(source: source, message: "not an RSS or Atom feed (the document starts with \(root))")] : errors)
        }
        let base = Location.isWeb(source) ? URL(string: source) : nil
        let feedTitle = builder.feedTitle.map(clean)
        var articles: [Article] = []
        for (n, item) in builder.items.enumerated() {
            let title = clean(item.title ?? "")
            let contentText = item.content.map { bodyText($0, type: item.contentType) } ?? ""
            let summaryText = item.summary.map { bodyText($0, type: item.summaryType) } ?? ""
            let body = contentText.count >= summaryText.count ? contentText : summaryText
            if title.isEmpty && body.isEmpty {
                errors.append(InputError(source: "\(source)#item\(n + 1)", message: "feed item has neither a title nor any text; skipped"))
                continue
            }
            var link = item.link?.trimmingCharacters(in: .whitespacesAndNewlines)
            if link == nil || link!.isEmpty, let guid = item.id, item.guidIsPermaLink, guid.hasPrefix("http") { link = guid }
            if let l = link, let base, URL(string: l)?.scheme == nil, let resolved = URL(string: l, relativeTo: base) {
                link = resolved.absoluteString
            }
            let published = (item.published ?? item.updated).map(FeedDates.normalize)
            articles.append(Article(
                id: item.id?.trimmingCharacters(in: .whitespacesAndNewlines), title: title, body: body,
                url: link?.isEmpty == false ? link : nil, published: published,
                source: sourceName ?? feedTitle ?? source, path: source))
        }
        return Feed(title: feedTitle, articles: articles, errors: errors)
    }

    // MARK: - Reading the XML

    /// The first error libxml2 reported: where, and why in words.
    struct XMLFailure {
        var line: Int
        var column: Int
        var reason: String
    }

    /// Collects the first error (warnings are ignored) from libxml2's error callback.
    final class ErrorSink {
        var first: XMLFailure?
    }

    /// Runs the reader over `data`, handing each node to a FeedBuilder; stops at the first error.
    static func read(_ data: Data) -> (FeedBuilder, XMLFailure?) {
        _ = HTMLExtractor.initialized
        policywatch_silenceGenericErrors()
        var builder = FeedBuilder()
        guard data.count < Int(Int32.max) else {
            return (builder, XMLFailure(line: 0, column: 0, reason: "the document is over 2 GB"))
        }
        let sink = ErrorSink()
        let options = Int32(XML_PARSE_NONET.rawValue)
        let status: Int32 = data.withUnsafeBytes { raw -> Int32 in
            // An empty buffer has no base address; libxml2 still wants a pointer.
            let empty: [CChar] = [0]
            return empty.withUnsafeBufferPointer { fallback -> Int32 in
                let bytes = raw.baseAddress?.assumingMemoryBound(to: CChar.self) ?? fallback.baseAddress!
                guard let reader = xmlReaderForMemory(bytes, Int32(raw.count), nil, nil, options) else { return -1 }
                defer { xmlFreeTextReader(reader) }
                xmlTextReaderSetStructuredErrorHandler(reader, { context, error in
                    guard let context, let error, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
                    let sink = Unmanaged<ErrorSink>.fromOpaque(context).takeUnretainedValue()
                    if sink.first == nil { sink.first = FeedParser.failure(error.pointee) }
                }, Unmanaged.passUnretained(sink).toOpaque())
                var status = xmlTextReaderRead(reader)
                while status == 1 {
                    visit(reader, &builder)
                    status = xmlTextReaderRead(reader)
                }
                return status
            }
        }
        withExtendedLifetime(sink) {}
        if status < 0 && sink.first == nil {
            return (builder, XMLFailure(line: 0, column: 0, reason: "the XML reader failed"))
        }
        return (builder, sink.first)
    }

    /// Hands the reader's current node to the builder.
    static func visit(_ reader: xmlTextReaderPtr, _ builder: inout FeedBuilder) {
        switch xmlTextReaderNodeType(reader) {
        case Int32(XML_READER_TYPE_ELEMENT.rawValue):
            let name = string(xmlTextReaderConstLocalName(reader))
            let qualified = string(xmlTextReaderConstName(reader))
            let namespace = xmlTextReaderConstNamespaceUri(reader).map { String(cString: $0) }
            let empty = xmlTextReaderIsEmptyElement(reader) == 1
            var attributes: [String: String] = [:]
            while xmlTextReaderMoveToNextAttribute(reader) == 1 {
                if let ns = xmlTextReaderConstNamespaceUri(reader), String(cString: ns) == xmlnsNS { continue }
                attributes[string(xmlTextReaderConstLocalName(reader))] = string(xmlTextReaderConstValue(reader))
            }
            xmlTextReaderMoveToElement(reader)
            builder.start(name, namespace: namespace, qualifiedName: qualified, attributes: attributes)
            // `<link href="..."/>` has no end node of its own.
            if empty { builder.end(name, namespace: namespace) }
        case Int32(XML_READER_TYPE_END_ELEMENT.rawValue):
            builder.end(string(xmlTextReaderConstLocalName(reader)), namespace: xmlTextReaderConstNamespaceUri(reader).map { String(cString: $0) })
        case Int32(XML_READER_TYPE_TEXT.rawValue), Int32(XML_READER_TYPE_CDATA.rawValue),
             Int32(XML_READER_TYPE_WHITESPACE.rawValue), Int32(XML_READER_TYPE_SIGNIFICANT_WHITESPACE.rawValue):
            builder.characters(string(xmlTextReaderConstValue(reader)))
        case Int32(XML_READER_TYPE_ENTITY_REFERENCE.rawValue):
            // An entity declared in the document's own DTD (`&co;`): its text, from the tree
            // libxml2 built and checked. An external entity has no tree here (it is never
            // loaded), so it expands to nothing.
            if let node = xmlTextReaderCurrentNode(reader), let content = xmlNodeGetContent(node) {
                builder.characters(String(cString: content))
                policywatch_xmlFree(content)
            }
        default:
            break  // comments, processing instructions, the DOCTYPE
        }
    }

    static func string(_ p: UnsafePointer<xmlChar>?) -> String {
        p.map { String(cString: $0) } ?? ""
    }

    static func failure(_ e: xmlError) -> XMLFailure {
        let own = e.message.map { String(cString: $0) } ?? ""
        let firstLine = own.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return XMLFailure(line: Int(e.line), column: Int(e.int2), reason: describe(code: Int(e.code), libxml: firstLine))
    }

    /// libxml2's common errors in words a feed's author can act on; libxml2's own text otherwise.
    static func describe(code: Int, libxml message: String) -> String {
        func is_(_ c: xmlParserErrors) -> Bool { code == Int(c.rawValue) }
        if is_(XML_ERR_DOCUMENT_EMPTY) { return "the document is empty" }
        if message.hasPrefix("Excessive depth in document") {
            return "elements nested more than 256 deep (libxml2's limit; no feed needs as many): excessive depth"
        }
        if is_(XML_ERR_INVALID_CHAR) && message.contains("UTF-8") {
            return "bytes that are not UTF-8, nor in the encoding the document declares"
        }
        if is_(XML_ERR_INVALID_CHAR) { return "a character that XML does not allow" }
        if is_(XML_ERR_ENTITYREF_SEMICOL_MISSING) { return "an '&' that starts no entity (write &amp;)" }
        if is_(XML_ERR_UNDECLARED_ENTITY) || is_(XML_WAR_UNDECLARED_ENTITY) { return "an undefined entity (\(message))" }
        if is_(XML_ERR_LT_IN_ATTRIBUTE) { return "a '<' inside an attribute value" }
        if is_(XML_ERR_ATTRIBUTE_NOT_STARTED) || is_(XML_ERR_ATTRIBUTE_WITHOUT_VALUE) { return "a malformed attribute" }
        if is_(XML_ERR_NAME_REQUIRED) { return "a tag without a name" }
        if is_(XML_ERR_GT_REQUIRED) { return "'>' expected" }
        if is_(XML_ERR_TAG_NAME_MISMATCH) { return "a closing tag that does not match the open one" }
        if is_(XML_ERR_TAG_NOT_FINISHED) { return "the document ends inside an element: truncated?" }
        if is_(XML_ERR_DOCUMENT_END) || is_(XML_ERR_EXTRA_CONTENT) { return "content after the document's end" }
        if is_(XML_ERR_ENTITY_LOOP) { return "entity references that expand without end (an entity bomb?)" }
        return message.isEmpty ? "XML error \(code)" : message
    }

    static func clean(_ s: String) -> String {
        let text = HTMLExtractor.looksLikeHTML(s) ? HTMLExtractor.text(fromFragment: s) : s
        return text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    static func bodyText(_ s: String, type: String?) -> String {
        switch type?.lowercased() {
        case "text", "text/plain": return s.trimmingCharacters(in: .whitespacesAndNewlines)
        case "xhtml": return s.trimmingCharacters(in: .whitespacesAndNewlines)
        default:
            return HTMLExtractor.looksLikeHTML(s) ? HTMLExtractor.text(fromFragment: s) : s.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    struct Item {
        var title: String?
        var link: String?
        var id: String?
        var guidIsPermaLink = true
        var summary: String?
        var summaryType: String?
        var content: String?
        var contentType: String?
        var published: String?
        var updated: String?
    }

    /// Turns the reader's nodes (start, text, end) into the feed's title and items.
    struct FeedBuilder {
        enum Kind { case rss, atom }
        var kind: Kind?
        var rootName: String?
        var feedTitle: String?
        var items: [Item] = []
        var current: Item?
        /// Open elements (local names) and the text collected inside each.
        var names: [String] = []
        var texts: [String] = []
        var attributes: [[String: String]] = []
        /// Depth of the Atom `type="xhtml"` content being collected as text, if any.
        var xhtmlDepth: Int?

        mutating func start(_ name: String, namespace ns: String?, qualifiedName: String, attributes attrs: [String: String]) {
            if rootName == nil {
                rootName = qualifiedName
                switch name.lowercased() {
                case "rss", "rdf", "channel": kind = .rss
                case "feed": kind = .atom
                default: break
                }
            }
            if xhtmlDepth == nil {
                if (name == "item" && kind == .rss) || (name == "entry" && kind == .atom) {
                    current = Item()
                } else if current != nil, kind == .atom, name == "link" {
                    let rel = attrs["rel"] ?? "alternate"
                    if rel == "alternate", current?.link == nil { current?.link = attrs["href"] }
                }
            }
            names.append(name)
            texts.append("")
            attributes.append(attrs)
            if xhtmlDepth == nil, current != nil, name == "content", kind == .atom, attrs["type"] == "xhtml" {
                xhtmlDepth = names.count
            }
        }

        mutating func characters(_ string: String) {
            if !texts.isEmpty { texts[texts.count - 1] += string }
        }

        mutating func end(_ name: String, namespace ns: String?) {
            guard let text = texts.popLast(), let attrs = attributes.popLast() else { return }
            names.removeLast()
            if let depth = xhtmlDepth, names.count >= depth {
                // Inside xhtml content: hand the text up, with a paragraph break after blocks.
                let block = HTMLExtractor.blockElements.contains(name.lowercased()) || name == "br"
                texts[texts.count - 1] += text + (block ? "\n\n" : "")
                return
            }
            if xhtmlDepth != nil, names.count == xhtmlDepth! - 1 { xhtmlDepth = nil }
            let parent = names.last ?? ""
            if current == nil {
                // Channel (RSS) or feed (Atom) title.
                if name == "title", feedTitle == nil, parent == "channel" || parent == "feed" { feedTitle = text }
                return
            }
            if (name == "item" && kind == .rss) || (name == "entry" && kind == .atom) {
                if let item = current { items.append(item) }
                current = nil
                return
            }
            // Only direct children of the item: an Atom <source> carries its own title and id.
            guard parent == "item" || parent == "entry" else { return }
            switch (name, ns ?? "") {
            case ("title", _): current?.title = text
            case ("link", let n) where n != FeedParser.atomNS: if current?.link == nil { current?.link = text }
            case ("guid", _):
                current?.id = text
                current?.guidIsPermaLink = attrs["isPermaLink"]?.lowercased() != "false"
            case ("id", _): current?.id = text
            case ("description", _), ("summary", _):
                current?.summary = text
                current?.summaryType = attrs["type"]
            case ("encoded", FeedParser.contentNS):
                current?.content = text
                current?.contentType = "html"
            case ("content", _):
                current?.content = text
                current?.contentType = attrs["type"] ?? (kind == .atom ? "text" : "html")
            case ("pubDate", _), ("published", _), ("issued", _), ("date", _), ("created", _):
                if current?.published == nil { current?.published = text.trimmingCharacters(in: .whitespacesAndNewlines) }
            case ("updated", _), ("modified", _):
                if current?.updated == nil { current?.updated = text.trimmingCharacters(in: .whitespacesAndNewlines) }
            default: break
            }
        }
    }
}

/// Dates in feeds and pages (RFC 822 in RSS, RFC 3339 / ISO 8601 in Atom and meta tags) as
/// UTC ISO 8601. A date that cannot be read is kept as given: the input said it, the report
/// should too. Parsed by hand: a DateFormatter per item cost more than the whole scan.
public enum FeedDates {
    public static func normalize(_ raw: String) -> String {
        let s = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let seconds = epochSeconds(s) else { return s }
        return format(seconds)
    }

    public static func parse(_ s: String) -> Date? {
        epochSeconds(s.trimmingCharacters(in: .whitespacesAndNewlines)).map { Date(timeIntervalSince1970: Double($0)) }
    }

    /// Seconds since 1970 (fractions dropped), or nil. A bare day ("2025-06-01") is nil: it
    /// names no instant, and is kept as given.
    static func epochSeconds(_ s: String) -> Int? {
        let b = Array(s.utf8)
        guard b.count > 10 else { return nil }
        return b.first.map({ $0 >= 0x30 && $0 <= 0x39 }) == true && b.count > 4 && b[4] == 0x2D ? iso8601(b) : rfc822(b)
    }

    /// YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z | ±HH:MM | ±HHMM | ±HH]; no zone means UTC.
    static func iso8601(_ b: [UInt8]) -> Int? {
        var i = 0
        func number(_ width: Int) -> Int? {
            guard i + width <= b.count else { return nil }
            var n = 0
            for k in i..<(i + width) {
                guard b[k] >= 0x30 && b[k] <= 0x39 else { return nil }
                n = n * 10 + Int(b[k] - 0x30)
            }
            i += width
            return n
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = number(4), expect(0x2D), let mo = number(2), expect(0x2D), let d = number(2) else { return nil }
        guard i < b.count, b[i] == 0x54 || b[i] == 0x74 || b[i] == 0x20 else { return nil }
        i += 1
        guard let h = number(2), expect(0x3A), let mi = number(2) else { return nil }
        var sec = 0
        if expect(0x3A) {
            guard let s = number(2) else { return nil }
            sec = s
            if i < b.count, b[i] == 0x2E || b[i] == 0x2C {
                i += 1
                while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 { i += 1 }
            }
        }
        while i < b.count, b[i] == 0x20 { i += 1 }
        var offset = 0
        if i < b.count {
            if b[i] == 0x5A || b[i] == 0x7A {
                i += 1
            } else if b[i] == 0x2B || b[i] == 0x2D {
                let sign = b[i] == 0x2D ? -1 : 1
                i += 1
                guard let oh = number(2) else { return nil }
                var om = 0
                if i < b.count {
                    _ = expect(0x3A)
                    guard let m = number(2) else { return nil }
                    om = m
                }
                offset = sign * (oh * 3600 + om * 60)
            } else {
                return nil
            }
        }
        guard i == b.count else { return nil }
        return seconds(year: y, month: mo, day: d, hour: h, minute: mi, second: sec, offset: offset)
    }

    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    /// Zone names seen in feeds, in hours from UTC (RFC 822's, and the Asian and European ones news sites use).
    static let zones: [String: Int] = [
        "gmt": 0, "ut": 0, "utc": 0, "z": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6,
        "pst": -8, "pdt": -7, "kst": 9, "jst": 9, "hkt": 8, "sgt": 8, "cet": 1, "cest": 2, "bst": 1, "ist": 5,
    ]

    /// [Day,] D Mon YYYY HH:MM[:SS] [zone | ±HHMM]; a two-digit year is 19xx from 50, else 20xx.
    static func rfc822(_ b: [UInt8]) -> Int? {
        let words = String(decoding: b, as: UTF8.self).lowercased()
            .split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map(String.init)
        var w = words[...]
        if let first = w.first, first.first?.isLetter == true { w = w.dropFirst() }  // the weekday
        guard w.count >= 4, let d = Int(w[w.startIndex]),
              let mo = months.firstIndex(of: String(w[w.startIndex + 1].prefix(3))),
              var y = Int(w[w.startIndex + 2]) else { return nil }
        if w[w.startIndex + 2].count == 2 { y += y >= 50 ? 1900 : 2000 }
        let clock = w[w.startIndex + 3].split(separator: ":").map { Int($0) }
        guard clock.count == 2 || clock.count == 3, clock.allSatisfy({ $0 != nil }) else { return nil }
        var offset = 0
        if w.count > 4 {
            let zone = w[w.startIndex + 4]
            if let hours = zones[zone] {
                offset = hours * 3600
            } else if zone.count == 5, let sign = zone.first, sign == "+" || sign == "-", let n = Int(zone.dropFirst()) {
                offset = (sign == "-" ? -1 : 1) * ((n / 100) * 3600 + (n % 100) * 60)
            } else {
                return nil
            }
        }
        return seconds(year: y, month: mo + 1, day: d, hour: clock[0]!, minute: clock[1]!, second: clock.count == 3 ? clock[2]! : 0, offset: offset)
    }

    static func seconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, offset: Int) -> Int? {
        guard (1...12).contains(month), (1...31).contains(day), (0...24).contains(hour), (0...59).contains(minute), (0...60).contains(second) else {
            return nil
        }
        return daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// "2025-06-10T04:00:00Z".
    static func format(_ t: Int) -> String {
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(repeating: "0", count: max(0, 4 - String(y).count)) + String(y)
        return "\(year)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z"
    }
}

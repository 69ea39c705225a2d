import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// RSS 2.0 (and 0.9x/1.0) and Atom feeds: each item becomes an article (BRIEF §4).
///
/// FoundationXML's XMLParser (libxml2's SAX parser underneath) does the XML; external
/// entities are not resolved. On Linux `parse()` returns true on truncated or mismatched
/// XML, so the result is judged by `parserError`, not by the return value.
public enum FeedParser {
    public struct Feed: Sendable {
        public var title: String?
        public var articles: [Article]
        public var errors: [InputError]
    }

    static let atomNS = "http://www.w3.org/2005/Atom"
    static let contentNS = "http://purl.org/rss/1.0/modules/content/"

    /// Parses a feed read from `source` (a path or URL: relative links resolve against a URL).
    /// `sourceName` names the feed in each article's `source` (else the feed's own title).
    public static func parse(_ data: Data, source: String, sourceName: String? = nil) -> Feed {
        let delegate = Delegate()
        // A stream, not XMLParser(data:): given all bytes in one chunk, libxml2 stops at its
        // 10 MB lookup limit and reports an error at the end of any larger feed.
        let parser = XMLParser(stream: InputStream(data: data))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let ok = parser.parse()
        var errors: [InputError] = []
        if let e = parser.parserError ?? (ok ? nil : NSError(domain: "XMLParser", code: 0)) {
            let line = parser.lineNumber, column = parser.columnNumber
            let why = describe(e as NSError)
            errors.append(InputError(source: source, message: "invalid XML at line \(line), column \(column) (\(why)); \(delegate.items.count) complete item\(delegate.items.count == 1 ? "" : "s") kept"))
        }
        if delegate.kind == nil {
            let root = delegate.rootName.map { "<\($0)>" } ?? "nothing"
            return Feed(title: nil, articles: [], errors: errors.isEmpty
                ? [InputError(source: source, message: "not an RSS or Atom feed (the document starts with \(root))")] : errors)
        }
        let base = URL(string: source).flatMap { $0.scheme == "http" || $0.scheme == "https" ? $0 : nil }
        let feedTitle = delegate.feedTitle.map(clean)
        var articles: [Article] = []
        for (n, item) in delegate.items.enumerated() {
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

    /// libxml2's error codes (XMLParser passes them through) in words.
    static func describe(_ e: NSError) -> String {
        switch e.code {
        case 4: "the document is empty"
        case 5: "the document ends too soon: truncated?"
        case 9: "a character that XML does not allow"
        case 23: "an '&' that starts no entity (write &amp;)"
        case 26: "an undefined entity"
        case 38: "a '<' inside an attribute value"
        case 39, 41: "a malformed attribute"
        case 68: "a tag without a name"
        case 73: "'>' expected"
        case 76: "a closing tag that does not match the open one"
        case 77: "an unfinished tag"
        case 86: "content after the document's end"
        case 89: "entity references that expand without end (an entity bomb?)"
        default: "XML error \(e.code)"
        }
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

    final class Delegate: NSObject, XMLParserDelegate {
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

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI ns: String?, qualifiedName: String?,
                    attributes attrs: [String: String] = [:]) {
            if rootName == nil {
                rootName = qualifiedName ?? name
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

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !texts.isEmpty { texts[texts.count - 1] += string }
        }

        func parser(_ parser: XMLParser, foundCDATA data: Data) {
            if !texts.isEmpty { texts[texts.count - 1] += String(decoding: data, as: UTF8.self) }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI ns: String?, qualifiedName: String?) {
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

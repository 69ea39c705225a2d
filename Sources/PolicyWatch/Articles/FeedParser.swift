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
        let parser = XMLParser(data: data)
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

/// Dates in feeds and pages (RFC 822 in RSS, RFC 3339 in Atom and meta tags) as UTC ISO 8601.
/// A date that cannot be read is kept as given: the input said it, the report should too.
public enum FeedDates {
    private static let rfc822Formats = [
        "EEE, dd MMM yyyy HH:mm:ss zzz", "EEE, d MMM yyyy HH:mm:ss zzz", "EEE, dd MMM yyyy HH:mm:ss Z",
        "EEE, d MMM yyyy HH:mm:ss Z", "dd MMM yyyy HH:mm:ss zzz", "d MMM yyyy HH:mm:ss Z", "EEE, dd MMM yyyy HH:mm zzz",
        "EEE, dd MMM yyyy HH:mm Z", "yyyy-MM-dd HH:mm:ss Z", "yyyy-MM-dd HH:mm:ss",
    ]

    public static func normalize(_ raw: String) -> String {
        let s = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let date = parse(s) else { return s }
        return Timestamp.string(date)
    }

    public static func parse(_ s: String) -> Date? {
        if s.count == 10, s.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) != nil { return nil }  // a day, kept as given
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = iso.date(from: s) { return d }
        iso.formatOptions = [.withInternetDateTime]
        if let d = iso.date(from: s) { return d }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        for format in rfc822Formats {
            f.dateFormat = format
            if let d = f.date(from: s) { return d }
        }
        return nil
    }
}

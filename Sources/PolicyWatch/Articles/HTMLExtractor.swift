import CLibXML2
import Foundation

/// The readable parts of a web page: title, published date, and the body text without
/// scripts, styles, navigation and page furniture.
///
/// Parsing is libxml2's HTML parser (through the CLibXML2 system library): it has recovered
/// from broken real-world markup for two decades, decodes every named entity and honours
/// `<meta charset>`. A hand-written extractor would have to re-learn all of that. The tree
/// is walked iteratively, so hostile nesting cannot overflow the stack.
public struct HTMLPage: Sendable, Equatable {
    public var title: String
    public var published: String?
    public var body: String
    /// `<link rel="canonical">`, if the page gives one.
    public var canonicalURL: String?
}

public enum HTMLExtractor {
    /// Elements whose content is never article text.
    static let droppedElements: Set<String> = [
        "script", "style", "noscript", "template", "nav", "aside", "form", "button", "select", "option", "textarea",
        "svg", "math", "iframe", "object", "embed", "canvas", "audio", "video", "head", "title", "meta", "link", "dialog",
        "menu",
    ]
    /// Dropped only outside `<article>`/`<main>`: the page's banner and footer, not the story's byline.
    static let pageFurniture: Set<String> = ["header", "footer"]
    static let droppedRoles: Set<String> = ["navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog", "alert"]
    /// Class or id tokens of navigation and clutter (matched whole, lower-cased).
    static let clutterTokens: Set<String> = [
        "nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "sidebar", "share", "sharing", "social",
        "cookie", "cookies", "cookie-banner", "related", "related-articles", "advert", "advertisement", "ad-slot",
        "comments", "site-header", "site-footer", "skip-link", "newsletter", "subscribe", "paywall",
    ]
    static let blockElements: Set<String> = [
        "p", "div", "section", "article", "main", "body", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt",
        "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "blockquote", "pre", "figure", "figcaption",
        "hr", "address", "header", "footer", "details", "summary", "center", "fieldset", "legend",
    ]
    /// `<meta>` names and properties that carry a publication date, best first.
    static let dateMetaNames = [
        "article:published_time", "og:published_time", "datepublished", "parsely-pub-date", "sailthru.date",
        "pubdate", "publishdate", "publish-date", "publish_date", "article.published", "dc.date.issued",
        "dcterms.issued", "dc.date", "dcterms.created", "citation_publication_date", "date",
    ]

    /// Runs libxml2's one-time global setup before any parse (it is not safe to race).
    /// Shared with FeedParser: one initialisation for every libxml2 user in the process.
    static let initialized: Bool = {
        xmlInitParser()
        return true
    }()

    /// Extracts a page. `charset` is the HTTP header's, if any. Fails on bytes that are neither
    /// UTF-8 nor in a charset the page declares.
    public static func page(from data: Data, charset: String? = nil) throws -> HTMLPage {
        let tree = try Tree(data: data, charset: charset)
        return tree.page()
    }

    /// The text of an HTML fragment (an RSS description, Atom `type="html"` content).
    public static func text(fromFragment html: String) -> String {
        guard let tree = try? Tree(data: Data(html.utf8), charset: "utf-8") else { return html }
        return tree.text(under: tree.root, dropFurniture: false)
    }

    /// True when `s` looks like markup rather than plain text: a tag (`<p`, `</`, `<!`
    /// followed somewhere by `>`) or an entity (`&amp;`, `&#39;`, `&#x27;`). One pass over the bytes.
    public static func looksLikeHTML(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { b in
            guard let lastGT = b.lastIndex(of: 0x3E) ?? b.lastIndex(of: 0x3B) else { return false }
            func isAlnum(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) }
            var i = 0
            while i < lastGT {
                let c = b[i]
                if c == 0x3C, b[lastGT] == 0x3E {
                    let n = b[i + 1]
                    if ((n | 0x20) >= 0x61 && (n | 0x20) <= 0x7A) || n == 0x2F || n == 0x21 { return true }
                } else if c == 0x26 {
                    var j = i + 1
                    if j < b.count, b[j] == 0x23 {
                        j += 1
                        if j < b.count, (b[j] | 0x20) == 0x78 { j += 1 }
                    }
                    let start = j
                    while j < b.count, j - start < 32, isAlnum(b[j]) { j += 1 }
                    if j > start, j < b.count, b[j] == 0x3B { return true }
                }
                i += 1
            }
            return false
        }
    }

    public struct ExtractionError: Error, CustomStringConvertible {
        public var description: String
    }

    /// A parsed document, freed when the value is released.
    final class Tree {
        let doc: htmlDocPtr
        var root: xmlNodePtr? { xmlDocGetRootElement(doc) }

        init(data: Data, charset: String?) throws {
            _ = HTMLExtractor.initialized
            guard !data.isEmpty else { throw ExtractionError(description: "empty input") }
            // libxml2 guesses ISO-8859-1 for a page without <meta charset>; most of the web is
            // UTF-8, so say so when the bytes are valid UTF-8, and otherwise let the page's
            // declaration (or the HTTP header's) decide.
            let isUTF8 = String(validating: data, as: UTF8.self) != nil
            var encoding: String? = isUTF8 ? "UTF-8" : charset
            if !isUTF8 && encoding == nil {
                guard let declared = Self.declaredCharset(data) else {
                    throw ExtractionError(description: "invalid UTF-8 and no charset declared; skipped")
                }
                encoding = declared
            }
            let options = Int32(HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
                | HTML_PARSE_NONET.rawValue | HTML_PARSE_COMPACT.rawValue)
            let parsed: htmlDocPtr? = data.withUnsafeBytes { raw in
                raw.withMemoryRebound(to: CChar.self) { chars in
                    htmlReadMemory(chars.baseAddress, Int32(chars.count), nil, encoding, options)
                }
            }
            guard let parsed else { throw ExtractionError(description: "not an HTML document") }
            doc = parsed
        }

        deinit { xmlFreeDoc(doc) }

        /// `<meta charset=...>` or `http-equiv` content type in the first 4 KB.
        static func declaredCharset(_ data: Data) -> String? {
            let head = String(decoding: data.prefix(4096), as: UTF8.self).lowercased()
            guard let r = head.range(of: #"charset\s*=\s*["']?([a-z0-9_.:-]+)"#, options: .regularExpression) else { return nil }
            let match = head[r]
            guard let eq = match.firstIndex(of: "=") else { return nil }
            return match[match.index(after: eq)...].trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
        }

        func page() -> HTMLPage {
            var metas: [String: String] = [:]
            var titleElement: String?
            var canonical: String?
            var articles: [xmlNodePtr] = []
            var mains: [xmlNodePtr] = []
            var body: xmlNodePtr?
            var firstH1: xmlNodePtr?
            forEachElement(under: root) { node, name in
                switch name {
                case "title" where titleElement == nil:
                    titleElement = Self.collapse(Self.rawText(node))
                case "meta":
                    let key = (Self.attribute(node, "property") ?? Self.attribute(node, "name") ?? Self.attribute(node, "itemprop"))?.lowercased()
                    if let key, let content = Self.attribute(node, "content"), metas[key] == nil { metas[key] = content }
                case "link":
                    let rel = Self.attribute(node, "rel")?.lowercased().split(separator: " ") ?? []
                    if rel.contains("canonical"), canonical == nil { canonical = Self.attribute(node, "href") }
                case "article": articles.append(node)
                case "main": mains.append(node)
                case "body" where body == nil: body = node
                case "h1" where firstH1 == nil: firstH1 = node
                default:
                    if Self.attribute(node, "role")?.lowercased() == "main" { mains.append(node) }
                }
                return true
            }
            // The story: the <article> with the most text, else <main>, else <body>.
            let candidates = articles.isEmpty ? mains : articles
            let scope = candidates.max { text(under: $0, dropFurniture: false).count < text(under: $1, dropFurniture: false).count }
                ?? body ?? root
            let inStory = scope.map { node in Self.name(node) == "article" || Self.name(node) == "main" || Self.attribute(node, "role") == "main" } ?? false
            let bodyText = text(under: scope, dropFurniture: !inStory)

            var title = [metas["og:title"], metas["twitter:title"], titleElement, firstH1.map { Self.collapse(Self.rawText($0)) }]
                .compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }
                .first { !$0.isEmpty } ?? ""
            title = Self.collapse(title)
            var published = HTMLExtractor.dateMetaNames.lazy.compactMap { metas[$0] }.first { !$0.isEmpty }
            if published == nil {
                forEachElement(under: scope) { node, name in
                    if name == "time", let dt = Self.attribute(node, "datetime"), !dt.isEmpty {
                        published = dt
                        return false
                    }
                    return published == nil
                }
            }
            return HTMLPage(title: title, published: published.map(FeedDates.normalize), body: bodyText, canonicalURL: canonical)
        }

        /// Visits elements in document order; `visit` returns false to stop.
        func forEachElement(under start: xmlNodePtr?, _ visit: (xmlNodePtr, String) -> Bool) {
            var stack: [xmlNodePtr] = start.map { [$0] } ?? []
            while let node = stack.popLast() {
                if node.pointee.type == XML_ELEMENT_NODE {
                    if !visit(node, Self.name(node)) { return }
                    var children: [xmlNodePtr] = []
                    var child = node.pointee.children
                    while let c = child {
                        children.append(c)
                        child = c.pointee.next
                    }
                    stack += children.reversed()
                }
            }
        }

        /// Readable text under `start`: paragraphs separated by blank lines, runs of spaces
        /// collapsed (but not inside <pre>), clutter dropped.
        func text(under start: xmlNodePtr?, dropFurniture: Bool) -> String {
            guard let start else { return "" }
            var out = TextBuilder()
            // (node, entering); on leaving a block element a paragraph break is due.
            var stack: [(xmlNodePtr, Bool, Bool)] = [(start, true, dropFurniture)]
            var preDepth = 0
            while let (node, entering, dropHere) = stack.popLast() {
                let type = node.pointee.type
                if type == XML_TEXT_NODE || type == XML_CDATA_SECTION_NODE {
                    if let content = node.pointee.content {
                        out.append(String(cString: content), preserve: preDepth > 0)
                    }
                    continue
                }
                guard type == XML_ELEMENT_NODE else { continue }
                let name = Self.name(node)
                if !entering {
                    if name == "pre" { preDepth -= 1 }
                    if HTMLExtractor.blockElements.contains(name) { out.paragraph() }
                    continue
                }
                if node != start && Self.isClutter(node, name: name, dropFurniture: dropHere) { continue }
                if name == "br" { out.lineBreak(); continue }
                if name == "pre" { preDepth += 1 }
                if HTMLExtractor.blockElements.contains(name) { out.paragraph() }
                let childDrop = dropHere && name != "article" && name != "main"
                stack.append((node, false, dropHere))
                var children: [xmlNodePtr] = []
                var child = node.pointee.children
                while let c = child {
                    children.append(c)
                    child = c.pointee.next
                }
                for c in children.reversed() { stack.append((c, true, childDrop)) }
            }
            return out.result
        }

        static func isClutter(_ node: xmlNodePtr, name: String, dropFurniture: Bool) -> Bool {
            if HTMLExtractor.droppedElements.contains(name) { return true }
            if dropFurniture && HTMLExtractor.pageFurniture.contains(name) { return true }
            if let role = attribute(node, "role")?.lowercased(), HTMLExtractor.droppedRoles.contains(role) { return true }
            if attribute(node, "hidden") != nil || attribute(node, "aria-hidden")?.lowercased() == "true" { return true }
            for key in ["class", "id"] {
                if let v = attribute(node, key)?.lowercased(),
                   v.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).contains(where: { HTMLExtractor.clutterTokens.contains(String($0)) }) {
                    return true
                }
            }
            return false
        }

        static func name(_ node: xmlNodePtr) -> String {
            guard let n = node.pointee.name else { return "" }
            return String(cString: n).lowercased()
        }

        /// An attribute's value, read from the node's attribute list (no allocation to free).
        static func attribute(_ node: xmlNodePtr, _ name: String) -> String? {
            var attr = node.pointee.properties
            while let a = attr {
                if let n = a.pointee.name, String(cString: n).lowercased() == name {
                    var value = ""
                    var child = a.pointee.children
                    while let c = child {
                        if let content = c.pointee.content { value += String(cString: content) }
                        child = c.pointee.next
                    }
                    return value
                }
                attr = a.pointee.next
            }
            return nil
        }

        static func rawText(_ node: xmlNodePtr) -> String {
            guard let content = xmlNodeGetContentNoAlloc(node) else { return "" }
            return content
        }

        static func xmlNodeGetContentNoAlloc(_ node: xmlNodePtr) -> String? {
            var s = ""
            var stack: [xmlNodePtr] = [node]
            while let n = stack.popLast() {
                if n.pointee.type == XML_TEXT_NODE || n.pointee.type == XML_CDATA_SECTION_NODE, let c = n.pointee.content {
                    s += String(cString: c)
                }
                var children: [xmlNodePtr] = []
                var child = n.pointee.children
                while let c = child {
                    children.append(c)
                    child = c.pointee.next
                }
                stack += children.reversed()
            }
            return s
        }

        static func collapse(_ s: String) -> String {
            s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        }
    }
}

/// Builds text from inline runs: one space between words, blank lines between paragraphs.
/// Works on UTF-8 bytes: this loop sees every character of every page and feed item.
struct TextBuilder {
    private(set) var paragraphs: [String] = []
    private var current: [UInt8] = []
    private var pendingSpace = false

    /// The length of the White_Space character starting at `i`, or 0.
    @inline(__always)
    static func spaceLength(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int {
        let c = b[i]
        if c < 0x80 { return c == 0x20 || (c >= 0x09 && c <= 0x0D) ? 1 : 0 }
        let n = b.count - i
        switch c {
        case 0xC2: return n >= 2 && (b[i + 1] == 0x85 || b[i + 1] == 0xA0) ? 2 : 0
        case 0xE1: return n >= 3 && b[i + 1] == 0x9A && b[i + 2] == 0x80 ? 3 : 0
        case 0xE2:
            guard n >= 3 else { return 0 }
            if b[i + 1] == 0x80 { return (b[i + 2] >= 0x80 && b[i + 2] <= 0x8A) || b[i + 2] == 0xA8 || b[i + 2] == 0xA9 || b[i + 2] == 0xAF ? 3 : 0 }
            return b[i + 1] == 0x81 && b[i + 2] == 0x9F ? 3 : 0
        case 0xE3: return n >= 3 && b[i + 1] == 0x80 && b[i + 2] == 0x80 ? 3 : 0
        default: return 0
        }
    }

    mutating func append(_ s: String, preserve: Bool) {
        var s = s
        s.withUTF8 { b in
            if preserve {
                current.append(contentsOf: b)
                pendingSpace = false
                return
            }
            var i = 0
            while i < b.count {
                let w = Self.spaceLength(b, i)
                if w > 0 {
                    pendingSpace = !current.isEmpty
                    i += w
                    continue
                }
                // A run of non-space bytes, copied at once.
                var j = i + 1
                while j < b.count, Self.spaceLength(b, j) == 0 { j += 1 }
                if pendingSpace, let last = current.last, last != 0x0A, last != 0x20 { current.append(0x20) }
                pendingSpace = false
                current.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<j]))
                i = j
            }
        }
    }

    mutating func lineBreak() {
        while current.last == 0x20 { current.removeLast() }
        if !current.isEmpty { current.append(0x0A) }
        pendingSpace = false
    }

    mutating func paragraph() {
        if !current.isEmpty {
            var p = String(decoding: current, as: UTF8.self)
            let edges = [current.first!, current.last!]
            if edges.contains(where: { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) || $0 >= 0x80 }) {
                p = p.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if !p.isEmpty { paragraphs.append(p) }
        }
        current.removeAll(keepingCapacity: true)
        pendingSpace = false
    }

    var result: String {
        var copy = self
        copy.paragraph()
        return copy.paragraphs.joined(separator: "\n\n")
    }
}

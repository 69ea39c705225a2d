import Foundation

/// A problem with one input, reported in the report's `errors` while the scan goes on.
public struct InputError: Error, Codable, Hashable, Sendable {
    /// File path, URL, or "-" for stdin; with ":LINE" for a line of a JSON Lines file.
    public var source: String
    public var message: String

    public init(source: String, message: String) {
        self.source = source
        self.message = message
    }
}

/// Reads articles from files, directories and stdin.
///
/// Formats by extension: `.txt`, `.md`/`.markdown` (title = first heading or first line),
/// `.json` (one object), `.jsonl`/`.ndjson` (one object per line), `.rss`/`.atom`/`.xml`
/// (feeds: each item an article), `.html`/`.htm` (a page). Without a telling extension the
/// content decides (InputFormat.sniff). Anything else in a directory is ignored; named on the
/// command line, it is read as text unless it looks like a feed or a page.
public struct ArticleReader: Sendable {
    public static let defaultMaxBytes = 16 * 1024 * 1024
    public static let directoryExtensions = InputFormat.directoryExtensions

    public var maxBytes: Int

    public init(maxBytes: Int = ArticleReader.defaultMaxBytes) {
        self.maxBytes = maxBytes
    }

    /// Expands paths into the files to read, directories recursively in sorted order. A
    /// relative path is looked for in `directory` (the run context's working directory) and
    /// named as given: `news/a.txt`, not the absolute path.
    public func files(for paths: [String], in directory: String) -> (files: [String], errors: [InputError]) {
        var files: [String] = []
        var errors: [InputError] = []
        let fm = FileManager.default
        for path in paths {
            if path == "-" { files.append(path); continue }
            let onDisk = Self.onDisk(path, in: directory)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: onDisk, isDirectory: &isDir) else {
                errors.append(InputError(source: path, message: "no such file or directory"))
                continue
            }
            guard isDir.boolValue else { files.append(path); continue }
            guard let walker = fm.enumerator(atPath: onDisk) else {
                errors.append(InputError(source: path, message: "cannot read directory"))
                continue
            }
            var found: [String] = []
            for case let rel as String in walker {
                let ext = (rel as NSString).pathExtension.lowercased()
                let name = (rel as NSString).lastPathComponent
                guard Self.directoryExtensions.contains(ext), !name.hasPrefix(".") else { continue }
                found.append((path as NSString).appendingPathComponent(rel))
            }
            files += found.sorted()
        }
        return (files, errors)
    }

    /// Where a path named relative to `directory` is: the path itself when absolute.
    static func onDisk(_ path: String, in directory: String) -> String {
        path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
    }

    /// Reads one file into articles; "-" reads `standardInput` (the run context's), and is
    /// an error when none is given. `path` is opened as given: resolve a relative one first
    /// (`RunContext.resolve`). Broken records become errors; the good ones are still returned.
    public func read(path: String, standardInput: FileHandle? = nil) -> (articles: [Article], errors: [InputError]) {
        let data: Data
        do {
            if path == "-" {
                guard let standardInput else { return ([], [InputError(source: path, message: "standard input is not available here")]) }
                data = try standardInput.readToEnd() ?? Data()
            } else {
                let attrs = try FileManager.default.attributesOfItem(atPath: path)
                if let size = attrs[.size] as? Int, size > maxBytes {
                    return ([], [InputError(source: path, message: "file is \(size) bytes, over the limit of \(maxBytes) (raise it with --max-bytes)")])
                }
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        } catch {
            return ([], [InputError(source: path, message: "cannot read: \(Self.describe(error))")])
        }
        return parse(data: data, path: path)
    }

    /// Parses bytes. The format is `format` if given, else `path`'s extension, else what the
    /// bytes look like (InputFormat.sniff), else plain text. `sourceName` fills feed items'
    /// and pages' `source`; `charset` is an HTTP header's, for pages not in UTF-8.
    public func parse(data: Data, path: String, format: InputFormat? = nil, sourceName: String? = nil,
                      charset: String? = nil) -> (articles: [Article], errors: [InputError]) {
        if data.count > maxBytes {
            return ([], [InputError(source: path, message: "input is \(data.count) bytes, over the limit of \(maxBytes) (raise it with --max-bytes)")])
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return ([], [InputError(source: path, message: "empty input")])
        }
        let ext = Location.isWeb(path) ? "" : (path as NSString).pathExtension.lowercased()
        let format = format ?? InputFormat.fromExtension(ext) ?? InputFormat.sniff(data)
        // JSON Lines records are judged one by one (a NUL byte spoils its record only).
        if format != .jsonLines && data.prefix(8192).contains(0) {
            return ([], [InputError(source: path, message: "binary file (NUL bytes found); skipped")])
        }
        guard let format = format ?? (ext == "xml" ? nil : .text) else {
            return ([], [InputError(source: path, message: "XML that is neither an RSS nor an Atom feed; skipped")])
        }
        switch format {
        case .jsonLines:
            return parseJSONLines(data, path: path)
        case .feed:
            let feed = FeedParser.parse(data, source: path, sourceName: sourceName)
            return (feed.articles, feed.errors)
        case .html:
            return parseHTML(data, path: path, sourceName: sourceName, charset: charset)
        case .text, .markdown, .json:
            break
        }
        guard let text = Self.decodeText(data, source: path) else {
            return ([], [InputError(source: path, message: Self.whyNotText(data))])
        }
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return ([], [InputError(source: path, message: "empty input")])
        }
        switch format {
        case .json:
            do {
                return ([try Self.article(fromJSON: Data(text.utf8), path: path)], [])
            } catch {
                return ([], [InputError(source: path, message: Self.describe(error))])
            }
        case .markdown:
            return ([Self.article(fromMarkdown: text, path: path)], [])
        default:
            return ([Self.article(fromPlainText: text, path: path)], [])
        }
    }

    /// A web page: title, date and readable body (HTMLExtractor). Its URL is the one it was
    /// fetched from, else the page's `<link rel="canonical">`.
    private func parseHTML(_ data: Data, path: String, sourceName: String?, charset: String?) -> (articles: [Article], errors: [InputError]) {
        let page: HTMLPage
        do {
            page = try HTMLExtractor.page(from: data, charset: charset)
        } catch {
            return ([], [InputError(source: path, message: "\(error)")])
        }
        if page.title.isEmpty && page.body.isEmpty {
            return ([], [InputError(source: path, message: "page has no readable text; skipped")])
        }
        let fetched = Location.isWeb(path) ? path : nil
        let canonical = page.canonicalURL.flatMap { Location.isWeb($0) ? $0 : nil }
        return ([Article(title: page.title, body: page.body, url: fetched ?? canonical, published: page.published,
                         source: sourceName, path: path)], [])
    }

    private func parseJSONLines(_ data: Data, path: String) -> (articles: [Article], errors: [InputError]) {
        var articles: [Article] = []
        var errors: [InputError] = []
        var lineNo = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNo += 1
            switch parseJSONLine(line, path: path, lineNo: lineNo) {
            case .none: continue
            case .success(let a): articles.append(a)
            case .failure(let e): errors.append(e)
            }
        }
        if articles.isEmpty && errors.isEmpty {
            errors.append(InputError(source: path, message: "empty input"))
        }
        return (articles, errors)
    }

    // MARK: - Formats

    struct JSONArticle: Decodable {
        var id: LosslessID?
        var title: String?
        var body: String?
        var text: String?
        var content: String?
        var url: String?
        var link: String?
        var published: String?
        var date: String?
        var source: String?
        var language: String?
        var lang: String?
    }

    /// Ids may be numbers or strings in the wild.
    struct LosslessID: Decodable {
        var value: String
        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { value = s }
            else if let i = try? c.decode(Int64.self) { value = String(i) }
            else if let d = try? c.decode(Double.self) { value = String(d) }
            else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "id must be a string or a number") }
        }
    }

    static func article(fromJSON data: Data, path: String) throws -> Article {
        let obj: JSONArticle
        do {
            obj = try JSONDecoder().decode(JSONArticle.self, from: data)
        } catch DecodingError.typeMismatch(_, let ctx) {
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw InputError(source: path, message: field.isEmpty ? "expected a JSON object" : "field '\(field)' has the wrong type: \(ctx.debugDescription)")
        } catch DecodingError.dataCorrupted(let ctx) {
            let underlying = (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            throw InputError(source: path, message: "invalid JSON: \(underlying ?? ctx.debugDescription)")
        }
        let body = obj.body ?? obj.text ?? obj.content ?? ""
        let title = obj.title ?? ""
        if body.isEmpty && title.isEmpty {
            throw InputError(source: path, message: "article has neither 'title' nor 'body'/'text'")
        }
        return Article(id: obj.id?.value, title: title, body: body, url: obj.url ?? obj.link, published: obj.published ?? obj.date,
                       source: obj.source, language: obj.language ?? obj.lang, path: path)
    }

    static func article(fromPlainText text: String, path: String) -> Article {
        let (title, body) = splitFirstLine(text)
        return Article(title: title, body: body, path: path)
    }

    /// Title = first ATX heading (`# ...`), else the first non-empty line.
    static func article(fromMarkdown text: String, path: String) -> Article {
        var lines = text.components(separatedBy: "\n")
        if let i = lines.firstIndex(where: { $0.hasPrefix("#") }),
           lines[..<i].allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty || $0.hasPrefix("---") || $0.contains(":") }) {
            let title = lines[i].drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)
            lines.remove(at: i)
            return Article(title: title, body: lines.joined(separator: "\n"), path: path)
        }
        return article(fromPlainText: text, path: path)
    }

    static func splitFirstLine(_ text: String) -> (String, String) {
        let trimmed = text.drop(while: { $0.isWhitespace })
        guard let nl = trimmed.firstIndex(of: "\n") else { return (String(trimmed).trimmingCharacters(in: .whitespaces), "") }
        return (trimmed[..<nl].trimmingCharacters(in: .whitespacesAndNewlines), String(trimmed[trimmed.index(after: nl)...]))
    }

    /// UTF-8 (a BOM is dropped), or nil if the bytes are not text.
    static func decodeText(_ data: Data, source: String) -> String? {
        var d = data
        if d.starts(with: [0xEF, 0xBB, 0xBF]) { d = d.dropFirst(3) }
        guard let s = String(validating: d, as: UTF8.self) else { return nil }
        if s.utf8.contains(0) { return nil }
        return s
    }

    static func whyNotText(_ data: Data) -> String {
        data.prefix(8192).contains(0) ? "binary file (NUL bytes found); skipped" : "invalid UTF-8; skipped"
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? InputError { return e.message }
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
            return String(cString: strerror(code.rawValue))
        }
        return ns.localizedDescription
    }
}

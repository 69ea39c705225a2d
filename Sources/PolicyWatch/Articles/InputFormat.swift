import Foundation

/// The format of an input, from its extension or, when that says nothing (no extension,
/// `.xml`, a URL, stdin), from its first bytes.
public enum InputFormat: String, Sendable, CaseIterable {
    case text, markdown, json, jsonLines, feed, html

    /// The format an extension names for sure, or nil when the content must decide.
    public static func fromExtension(_ ext: String) -> InputFormat? {
        switch ext.lowercased() {
        case "txt", "text": .text
        case "md", "markdown": .markdown
        case "json": .json
        case "jsonl", "ndjson": .jsonLines
        case "rss", "atom": .feed
        case "html", "htm", "xhtml": .html
        default: nil
        }
    }

    /// Extensions read when walking a directory.
    public static let directoryExtensions: Set<String> = ["txt", "md", "markdown", "json", "jsonl", "ndjson", "rss", "atom", "xml", "html", "htm", "xhtml"]

    /// Whether text that starts with "{" has more than one line and its first lines (up to three,
    /// blank ones skipped) each start with "{". The lines are followed to their ends whatever
    /// their length: looking at the first 4 KB only took JSON Lines of long articles (one line
    /// in 4 KB) for one JSON document.
    static func looksLikeJSONLines(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            let b = raw.bindMemory(to: UInt8.self)
            var i = b.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            var lines = 0
            while lines < 3 {
                while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0D || b[i] == 0x0A { i += 1 }
                guard i < b.count else { break }
                guard b[i] == 0x7B else { return false }
                lines += 1
                guard let newline = UnsafeBufferPointer(rebasing: b[i...]).firstIndex(of: 0x0A) else { break }
                i += newline + 1
            }
            return lines > 1
        }
    }

    /// Looks at the first markup in `data`: `<rss`, `<rdf:RDF`, `<feed` mean a feed; `<html`,
    /// `<!DOCTYPE html`, `<head`, `<body` mean a page; `{` means JSON (Lines if several lines
    /// start with `{`, `looksLikeJSONLines`). Nil when nothing tells.
    public static func sniff(_ data: Data) -> InputFormat? {
        var bytes = data.prefix(4096)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let head = String(decoding: bytes, as: UTF8.self)
        var rest = Substring(head).drop(while: { $0.isWhitespace })
        if rest.first == "{" { return looksLikeJSONLines(data) ? .jsonLines : .json }
        // Skip the XML declaration, processing instructions, comments and doctypes.
        while rest.first == "<" {
            let lower = rest.prefix(64).lowercased()
            if lower.hasPrefix("<!doctype html") { return .html }
            if lower.hasPrefix("<?") || lower.hasPrefix("<!") {
                let end = lower.hasPrefix("<!--") ? "-->" : ">"
                guard let r = rest.range(of: end) else { return nil }
                rest = rest[r.upperBound...].drop(while: { $0.isWhitespace })
                continue
            }
            let name = lower.dropFirst().prefix { $0.isLetter || $0.isNumber || $0 == ":" || $0 == "-" }
            switch name {
            case "rss", "feed", "rdf:rdf", "atom:feed": return .feed
            case "html", "head", "body": return .html
            default: return nil
            }
        }
        return nil
    }
}

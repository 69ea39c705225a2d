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

    /// Looks at the first markup in `data`: `<rss`, `<rdf:RDF`, `<feed` mean a feed; `<html`,
    /// `<!DOCTYPE html`, `<head`, `<body` mean a page; `{` means JSON (Lines if several lines
    /// start with `{`). Nil when nothing tells.
    public static func sniff(_ data: Data) -> InputFormat? {
        var bytes = data.prefix(4096)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let head = String(decoding: bytes, as: UTF8.self)
        var rest = Substring(head).drop(while: { $0.isWhitespace })
        if rest.first == "{" {
            let lines = head.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            return lines.count > 1 && lines.prefix(3).allSatisfy({ $0.trimmingCharacters(in: .whitespaces).hasPrefix("{") }) ? .jsonLines : .json
        }
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

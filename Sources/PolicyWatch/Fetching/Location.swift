import Foundation

/// What a location written by a user names: a web URL, a local path, or standard input. The one
/// place that answers "is this a URL, which scheme, can we use it" for sources (config and
/// command line), reporter targets, the state path and links inside articles.
///
/// Text that starts like `scheme://` is a URL: http and https are fetched; any other scheme
/// (`ftp://`, `file://`, `s3://`) is an error, never a file name, since a file literally named
/// `ftp:` is far less likely than a typo or an unsupported service. Anything else is a path.
public enum Location: Sendable, Equatable {
    /// An http or https URL with a host.
    case web(URL)
    /// A local file or directory, as written (not resolved).
    case path(String)
    /// `-`.
    case stdin

    public static let supportedSchemes = ["http", "https"]

    /// Classifies `text`. `shown` replaces `text` in error messages (a webhook URL whose
    /// `${VAR}` was expanded must not have the secret printed).
    public init(_ text: String, shown: String? = nil) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "-" {
            self = .stdin
            return
        }
        guard let scheme = Self.scheme(of: trimmed) else {
            self = .path(text)
            return
        }
        let display = shown ?? text
        guard Self.supportedSchemes.contains(scheme) else {
            throw LocationError("unsupported scheme '\(scheme)' in \(display); supported: http, https, file paths")
        }
        guard let url = URL(string: trimmed), let host = url.host, !host.isEmpty else {
            throw LocationError("'\(display)' is not a valid URL (write it as \(scheme)://host/path)")
        }
        self = .web(url)
    }

    /// The lower-cased scheme of text shaped `scheme://...` (RFC 3986 scheme characters), else nil.
    public static func scheme(of text: String) -> String? {
        guard let range = text.range(of: "://") else { return nil }
        let candidate = text[..<range.lowerBound].unicodeScalars
        func isLetter(_ u: Unicode.Scalar) -> Bool { ("a"..."z").contains(u) || ("A"..."Z").contains(u) }
        func isSchemeCharacter(_ u: Unicode.Scalar) -> Bool { isLetter(u) || ("0"..."9").contains(u) || u == "+" || u == "." || u == "-" }
        guard let first = candidate.first, isLetter(first), candidate.allSatisfy(isSchemeCharacter) else { return nil }
        return String(candidate).lowercased()
    }

    /// True for an http(s) URL with a host: for code that only branches (link checks, the base
    /// URL of a fetched feed) and has nothing to report.
    public static func isWeb(_ text: String) -> Bool {
        if case .web? = try? Location(text) { return true }
        return false
    }

    /// `text` as an http(s) URL, or an error that says why not (a path is not a URL here).
    public static func webURL(_ text: String, shown: String? = nil, what: String) throws -> URL {
        switch try Location(text, shown: shown) {
        case .web(let url): return url
        case .path, .stdin: throw LocationError("\(what) '\(shown ?? text)' is not an http(s) URL")
        }
    }

    /// `text` as a local path, or an error when it is a URL (`what` names the setting).
    public static func localPath(_ text: String, what: String) throws -> String {
        switch try Location(text) {
        case .path(let path): return path
        case .stdin: return text
        case .web: throw LocationError("\(what) must be a local path, not the URL \(text)")
        }
    }
}

public struct LocationError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ReporterConfig {
    /// The file a file reporter (json, jsonl, html) writes, or nil for standard output (`-` or
    /// no target). A URL is refused: such a reporter writes files, and `ftp://host/r.json`
    /// would otherwise become a directory named `ftp:`.
    func fileTarget() throws -> String? {
        guard let target, target != "-" else { return nil }
        do {
            return try Location.localPath(target, what: "the \(type) reporter's target")
        } catch {
            throw ReporterConfigError("\(error)", hint: "give a file path, e.g. \(type)=reports/{date}.\(type)")
        }
    }
}

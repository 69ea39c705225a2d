import Foundation

/// `${VAR}` expansion from the environment, remembering what it expanded so those values
/// can be scrubbed from every message (secrets never reach reports or logs).
public struct EnvExpander: Sendable {
    public var environment: [String: String]

    public init(_ environment: [String: String]) {
        self.environment = environment
    }

    /// Expands `${NAME}`; throws when a variable is unset, since sending a request with an
    /// empty token fails later in a less clear way. `$$` is a literal `$`.
    public func expand(_ text: String, what: String) throws -> (text: String, secrets: [String]) {
        var out = ""
        var secrets: [String] = []
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            let next = text.index(after: i)
            if c == "$", next < text.endIndex, text[next] == "$" {
                out.append("$")
                i = text.index(after: next)
            } else if c == "$", next < text.endIndex, text[next] == "{", let close = text[next...].firstIndex(of: "}") {
                let name = String(text[text.index(after: next)..<close])
                guard let value = environment[name] else {
                    throw ReporterConfigError("\(what): environment variable '\(name)' is not set",
                                              hint: "export \(name)=... before the run (secrets are read from the environment only)")
                }
                out += value
                if !value.isEmpty { secrets.append(value) }
                i = text.index(after: close)
            } else {
                out.append(c)
                i = next
            }
        }
        return (out, secrets)
    }
}

/// Replaces secret values in text (error messages from a server may echo a header or URL).
public struct Redactor: Sendable {
    public var secrets: [String]

    public init(_ secrets: [String]) {
        // Longest first, so a secret containing another is scrubbed whole; very short
        // values would blank out ordinary words.
        self.secrets = Array(Set(secrets.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }

    public func scrub(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }
}

/// Paths in reporter targets may hold the run's date or time (UTC): `reports/{date}.json`.
public enum PathTemplate {
    /// `{date}` 2026-01-02, `{time}` 030405, `{datetime}` 2026-01-02T030405Z.
    public static func expand(_ template: String, at date: Date) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ n: Int?) -> String { String(format: "%02d", n ?? 0) }
        let day = "\(String(format: "%04d", c.year ?? 0))-\(two(c.month))-\(two(c.day))"
        let time = "\(two(c.hour))\(two(c.minute))\(two(c.second))"
        return template
            .replacingOccurrences(of: "{datetime}", with: "\(day)T\(time)Z")
            .replacingOccurrences(of: "{date}", with: day)
            .replacingOccurrences(of: "{time}", with: time)
    }
}

/// Report files for reporters: `AtomicFile`, its failures as delivery failures.
enum FileOutput {
    static func write(_ data: Data, to path: String) throws {
        do { try AtomicFile.write(data, to: path) } catch { throw DeliveryError("cannot write \(path): \(error)") }
    }

    static func append(_ data: Data, to path: String) throws {
        do { _ = try AtomicFile.append(data, to: path) } catch { throw DeliveryError("cannot append to \(path): \(error)") }
    }
}

extension ReporterConfig {
    /// A numeric option, checked.
    func number(_ key: String, default value: Double, range: ClosedRange<Double>) throws -> Double {
        guard let s = options[key] else { return value }
        guard let d = Double(s), range.contains(d) else {
            throw ReporterConfigError("option \(key) must be a number from \(range.lowerBound) to \(range.upperBound), not '\(s)'")
        }
        return d
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let s = options[key] else { return value }
        guard let b = ReporterConfig.parseBool(s) else { throw ReporterConfigError("option \(key) must be true or false, not '\(s)'") }
        return b
    }

    func choice(_ key: String, _ allowed: [String], default value: String) throws -> String {
        guard let s = options[key] else { return value }
        guard allowed.contains(s) else {
            throw ReporterConfigError("option \(key) must be one of \(allowed.joined(separator: ", ")), not '\(s)'")
        }
        return s
    }
}

extension Alert.MatchRecord {
    /// The snippet cut around the matched text, for highlighting: (before, match, after).
    /// Snippets collapse whitespace, so the text is looked up collapsed too; nil when it
    /// is not in the snippet (then show the snippet plain).
    public var highlighted: (before: String, match: String, after: String)? {
        let needle = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        guard !needle.isEmpty, let r = snippet.range(of: needle) else { return nil }
        return (String(snippet[..<r.lowerBound]), String(snippet[r]), String(snippet[r.upperBound...]))
    }

    /// Up to `limit` pieces of evidence for people: each new term first (an export-control
    /// alert should show "export controls", not the word "chips" three times), never the
    /// same snippet twice, in the report's order.
    public static func representative(_ matches: [Alert.MatchRecord], limit: Int) -> [Alert.MatchRecord] {
        var terms: Set<String> = [], snippets: Set<String> = []
        var chosen: [Int] = []
        for pass in 0..<2 {
            for (i, m) in matches.enumerated() where chosen.count < limit && !chosen.contains(i) {
                if pass == 0 && terms.contains(m.term) { continue }
                guard !snippets.contains(m.field.rawValue + m.snippet) else { continue }
                terms.insert(m.term)
                snippets.insert(m.field.rawValue + m.snippet)
                chosen.append(i)
            }
        }
        return chosen.sorted().map { matches[$0] }
    }
}

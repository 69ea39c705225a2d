import PolicyMatcher
import YAMLLoader

/// A problem found in a rule or config file, shown as `file:line:column: error: message`.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Level: String, Sendable, Codable { case error, warning }

    public var level: Level
    public var mark: Mark
    public var message: String
    public var hint: String?

    public init(_ level: Level = .error, _ mark: Mark, _ message: String, hint: String? = nil) {
        self.level = level
        self.mark = mark
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var s = "\(mark): \(level.rawValue): \(message)"
        if let hint { s += "\n  hint: \(hint)" }
        return s
    }

    /// Sort order for output: file, line, column.
    static func ordered(_ a: Diagnostic, _ b: Diagnostic) -> Bool {
        (a.mark.file, a.mark.line, a.mark.column, a.message) < (b.mark.file, b.mark.line, b.mark.column, b.message)
    }
}

/// "did you mean" help for misspelt keys, names and rule ids.
public enum Suggest {
    /// The candidate closest to `word` (ignoring case), if it is within a third of the word's
    /// length (at least two edits).
    public static func closest(to word: String, in candidates: [String]) -> String? {
        let w = word.lowercased()
        let limit = max(2, w.unicodeScalars.count / 3)
        var best: (String, Int)?
        for c in candidates {
            let d = EditDistance.distance(w, c.lowercased())
            if d <= limit, best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    /// "unknown key 'macth'" + "did you mean 'match'?" or the list of valid keys.
    static func hint(for word: String, among candidates: [String], noun: String = "keys") -> String {
        if let c = closest(to: word, in: candidates) { return "did you mean '\(c)'?" }
        return "valid \(noun): \(candidates.joined(separator: ", "))"
    }
}

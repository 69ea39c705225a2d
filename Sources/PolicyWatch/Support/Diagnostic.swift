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

/// "did you mean" help for misspelt keys and names.
enum Suggest {
    static func closest(to word: String, in candidates: [String]) -> String? {
        let w = Array(word.lowercased().unicodeScalars)
        var best: (String, Int)?
        for c in candidates {
            let d = editDistance(w, Array(c.lowercased().unicodeScalars))
            if d <= max(2, w.count / 3), best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = prev
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    /// "unknown key 'macth'" + "did you mean 'match'?" or the list of valid keys.
    static func hint(for word: String, among candidates: [String], noun: String = "keys") -> String {
        if let c = closest(to: word, in: candidates) { return "did you mean '\(c)'?" }
        return "valid \(noun): \(candidates.joined(separator: ", "))"
    }
}

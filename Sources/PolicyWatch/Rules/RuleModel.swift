import PolicyMatcher
import YAMLLoader

/// How urgent an alert is. Ordered: `info` < `low` < `medium` < `high` < `critical`.
public enum Severity: String, Codable, CaseIterable, Comparable, Sendable {
    case info, low, medium, high, critical

    public static func < (a: Severity, b: Severity) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The article field an expression is restricted to.
public enum Field: String, Codable, CaseIterable, Sendable {
    case title, body
}

/// A match expression as written (BRIEF §3), with the position of every node.
public indirect enum Expr: Sendable {
    /// A literal term.
    case term(TermSpec, Mark)
    /// `$name`: any term of a list.
    case list(String, Mark)
    /// Every operand holds.
    case all([Expr], Mark)
    /// At least one operand holds (also a YAML sequence).
    case any([Expr], Mark)
    /// No operand holds (`none: [...]`).
    case none([Expr], Mark)

    public var mark: Mark {
        switch self {
        case .term(_, let m), .list(_, let m), .all(_, let m), .any(_, let m), .none(_, let m): return m
        }
    }
}

/// One inline test case of a rule.
public struct RuleTest: Sendable {
    public enum Expectation: String, Sendable {
        case match, noMatch = "no_match", todoMatch = "todo_match", todoNoMatch = "todo_no_match"

        /// Whether the rule should fire.
        public var shouldMatch: Bool { self == .match || self == .todoMatch }
        /// A known gap: reported, never a failure.
        public var isTodo: Bool { self == .todoMatch || self == .todoNoMatch }
    }

    public var expectation: Expectation
    public var title: String
    public var body: String
    public var language: String?
    public var mark: Mark
}

/// A rule as parsed from its file, before compilation.
public struct Rule: Sendable {
    public var id: String
    public var title: String
    public var description: String
    public var severity: Severity
    public var tags: [String]
    public var references: [String]
    public var expr: Expr
    public var tests: [RuleTest]
    /// Where the rule starts (`- id: ...`).
    public var mark: Mark
}

/// A named list of terms (`lists:`), shared across files.
public struct TermList: Sendable {
    public var name: String
    public var items: [Expr]
    public var mark: Mark
}

/// Everything one rule file declares.
public struct RuleFile: Sendable {
    public var path: String
    public var packName: String?
    public var lists: [TermList] = []
    public var rules: [Rule] = []
}

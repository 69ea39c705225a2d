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

/// A match expression as written, with the position of every node.
/// YAML `match:` and `query:` strings both produce it (see `QueryParser`). What each
/// operator means lives in its file under Rules/Operators/ (see `MatchOperator`).
public indirect enum Expr: Sendable {
    /// A literal term.
    case term(TermSpec, Mark)
    /// `$name`: any term of a list.
    case list(String, Mark)
    /// `@kind:ID`: any alias of an entity.
    case entity(kind: String, id: String, Mark)
    /// Every operand holds.
    case all([Expr], Mark)
    /// At least one operand holds (also a YAML sequence).
    case any([Expr], Mark)
    /// No operand holds (`none: [...]`).
    case none([Expr], Mark)
    /// `at_least: N` with `of: [...]`: N operands hold (with `of: $list`, N distinct terms of the list).
    case atLeast(Int, [Expr], Mark)
    /// `near: [...]`: every operand occurs, all within `within` words (in this order if `ordered`).
    case near([Expr], within: Int, ordered: Bool, Mark)
    /// `sentence: [...]`: every operand holds inside one sentence.
    case sentence([Expr], Mark)
    /// `paragraph: [...]`: every operand holds inside one paragraph.
    case paragraph([Expr], Mark)
    /// `title: expr` / `body: expr`: the expression holds inside that field.
    case field(Field, Expr, Mark)
    /// `language: [ko, en]`: the article's language is one of these.
    case language([String], Mark)
    /// `regex: "..."`: a linear-time regular expression over the normalised text.
    case regex(RegexSpec, Mark)

    public var mark: Mark {
        switch self {
        case .term(_, let m), .list(_, let m), .entity(_, _, let m), .all(_, let m), .any(_, let m), .none(_, let m),
             .atLeast(_, _, let m), .near(_, _, _, let m), .sentence(_, let m), .paragraph(_, let m), .field(_, _, let m),
             .language(_, let m), .regex(_, let m):
            return m
        }
    }

    /// Whether the expression finds text with a position (a `near` operand needs one):
    /// `none` and `language` do not.
    var findsText: Bool {
        switch self {
        case .term, .list, .entity, .regex: return true
        case .none, .language: return false
        case .all(let items, _), .any(let items, _), .atLeast(_, let items, _), .near(let items, _, _, _), .sentence(let items, _),
             .paragraph(let items, _):
            return items.contains { $0.findsText }
        case .field(_, let e, _): return e.findsText
        }
    }

    /// A position-free form for comparing trees (tests show `match:` and `query:` agree).
    /// Nested `all`/`any` are flattened and `none` is split per operand, which changes nothing
    /// in meaning. Each operator prints itself (Rules/Operators/).
    public var canonical: String {
        switch self {
        case .term(let t, _): return TermOperators.canonical(term: t)
        case .list(let n, _): return TermOperators.canonical(list: n)
        case .entity(let k, let id, _): return TermOperators.canonical(entity: k, id: id)
        case .all(let items, _): return BooleanOperators.canonical(all: items)
        case .any(let items, _): return BooleanOperators.canonical(any: items)
        case .none(let items, let m): return BooleanOperators.canonical(none: items, m)
        case .atLeast(let n, let items, _): return BooleanOperators.canonical(atLeast: n, items)
        case .near(let items, let w, let o, _): return NearOperator.canonical(items, within: w, ordered: o)
        case .sentence(let items, _): return UnitOperators.canonical("sentence", items)
        case .paragraph(let items, _): return UnitOperators.canonical("paragraph", items)
        case .field(let f, let e, _): return FieldOperators.canonical(f, e)
        case .language(let l, _): return LanguageOperator.canonical(l)
        case .regex(let r, _): return RegexOperator.canonical(r)
        }
    }
}

/// A compiled `regex:` and where its literals that normalised text never holds were written
/// (reported as warnings by the compiler).
public struct RegexSpec: Sendable {
    public var regex: LinearRegex
    public var notes: [(mark: Mark, message: String)]
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

/// An entity (`entities: {kind: {ID: [aliases]}}`): a named thing with aliases in any language.
public struct EntityDef: Sendable {
    public var kind: String
    public var id: String
    public var items: [Expr]
    public var mark: Mark

    /// How expressions refer to it: `@country:CN`.
    public var reference: String { "@\(kind):\(id)" }
}

/// `disable: [rule.id]` in a user's file: a shipped rule not to run.
public struct RuleDisable: Sendable {
    public var id: String
    public var mark: Mark
}

/// Everything one rule file declares.
public struct RuleFile: Sendable {
    public var path: String
    public var packName: String?
    public var lists: [TermList] = []
    public var entities: [EntityDef] = []
    public var rules: [Rule] = []
    /// Rules (from any file) not to run.
    public var disables: [RuleDisable] = []
    /// `extend: {lists: {name: [...]}}`: terms added to a list defined elsewhere.
    public var listExtensions: [TermList] = []
    /// `extend: {entities: {kind: {ID: [...]}}}`: aliases added to an entity defined elsewhere.
    public var entityExtensions: [EntityDef] = []
    /// `facets:` (at most one in a whole rule set; Rules/FacetModel.swift).
    public var facets: [FacetSpec] = []
    /// `trends:`: correlation rules over alerts.
    public var trends: [TrendSpec] = []
}

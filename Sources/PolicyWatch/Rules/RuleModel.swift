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
/// YAML `match:` and `query:` strings both produce it (see `QueryParser`).
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
    /// in meaning.
    public var canonical: String {
        func join(_ items: [Expr]) -> String { items.map(\.canonical).joined(separator: ", ") }
        func flat(_ items: [Expr], all: Bool) -> [Expr] {
            items.flatMap { e -> [Expr] in
                switch e {
                case .all(let inner, _) where all: return flat(inner, all: true)
                case .any(let inner, _) where !all: return flat(inner, all: false)
                case .none(let inner, let m) where all:
                    // none(a, b) = none(any(a, b)) = not(a) and not(b)
                    let alts = flat(inner, all: false)
                    return alts.count > 1 ? alts.map { .none([$0], m) } : [e]
                default: return [e]
                }
            }
        }
        switch self {
        case .term(let t, _): return (t.cased ? "cased:" : "") + "'" + t.display + "'"
        case .list(let n, _): return "$" + n
        case .entity(let k, let id, _): return "@\(k):\(id)"
        case .all(let items, _):
            let f = flat(items, all: true)
            return f.count == 1 ? f[0].canonical : "all(\(join(f)))"
        case .any(let items, _):
            let f = flat(items, all: false)
            return f.count == 1 ? f[0].canonical : "any(\(join(f)))"
        case .none(let items, let m):
            let alts = flat(items, all: false)
            if alts.count > 1 { return Expr.all(alts.map { .none([$0], m) }, m).canonical }
            return "not(\(alts[0].canonical))"
        case .atLeast(let n, let items, _): return "at_least(\(n), \(join(items)))"
        case .near(let items, let w, let o, _): return "\(o ? "onear" : "near")/\(w)(\(join(items)))"
        case .sentence(let items, _): return "sentence(\(join(flat(items, all: true))))"
        case .paragraph(let items, _): return "paragraph(\(join(flat(items, all: true))))"
        case .field(let f, let e, _): return "\(f.rawValue):(\(e.canonical))"
        case .language(let l, _): return "language(\(l.joined(separator: ", ")))"
        case .regex(let r, _): return "/\(r.regex.pattern)/"
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
}

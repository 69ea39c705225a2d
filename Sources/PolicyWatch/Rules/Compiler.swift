import PolicyMatcher
import YAMLLoader

/// A compiled match expression: terms are resolved to ids of the shared matcher.
public indirect enum Condition: Sendable {
    /// Any of these terms occurs (a term, a `$list`, or a sequence of plain terms).
    case terms([Int32], label: String)
    case all([Condition])
    case any([Condition])
    case none([Condition])

    /// Term ids one of which must occur for the condition to hold, or nil when the
    /// condition can hold without any term (e.g. only `none`).
    var anchors: Set<Int32>? {
        switch self {
        case .terms(let ids, _): return Set(ids)
        case .any(let items):
            var all = Set<Int32>()
            for i in items {
                guard let a = i.anchors else { return nil }
                all.formUnion(a)
            }
            return all
        case .all(let items):
            // Any one positive operand's anchors are necessary; pick the smallest set.
            return items.compactMap(\.anchors).min(by: { $0.count < $1.count })
        case .none: return nil
        }
    }
}

/// A rule ready to run.
public struct CompiledRule: Sendable {
    public var rule: Rule
    public var condition: Condition
    /// Terms one of which must occur before the rule is evaluated; nil means always evaluate.
    public var anchors: Set<Int32>?
    public var file: String { rule.mark.file }
}

/// Every rule compiled against one shared term matcher.
public struct RuleSet: Sendable {
    public let rules: [CompiledRule]
    public let matcher: TermMatcher
    /// Warnings found while compiling (errors stop compilation).
    public let warnings: [Diagnostic]

    /// Rules that always run because no term anchors them.
    public var unanchoredRules: [CompiledRule] { rules.filter { $0.anchors == nil } }
}

/// Validates parsed rule files and compiles them (BRIEF §9: parse -> validate -> compile).
public struct Compiler {
    private var diagnostics: [Diagnostic] = []
    private var terms: [CompiledTerm] = []
    private var termIndex: [TermSpec: Int32] = [:]
    private var lists: [String: TermList] = [:]
    private var resolvedLists: [String: [Int32]] = [:]
    private var resolving: Set<String> = []

    public init() {}

    /// Compiles `files`. Returns the rule set, or nil with every error found.
    public static func compile(_ files: [RuleFile]) -> (RuleSet?, [Diagnostic]) {
        var c = Compiler()
        return c.run(files)
    }

    private mutating func run(_ files: [RuleFile]) -> (RuleSet?, [Diagnostic]) {
        for file in files {
            for list in file.lists {
                if let other = lists[list.name] {
                    error(list.mark, "list '\(list.name)' is defined twice", hint: "the other definition is at \(other.mark)")
                } else {
                    lists[list.name] = list
                }
            }
        }
        var seen: [String: Mark] = [:]
        var compiled: [CompiledRule] = []
        for file in files {
            for rule in file.rules {
                if let other = seen[rule.id] {
                    error(rule.mark, "duplicate rule id '\(rule.id)'", hint: "the other rule with this id is at \(other)")
                    continue
                }
                seen[rule.id] = rule.mark
                guard let cond = compile(rule.expr) else { continue }
                let anchors = cond.anchors
                if anchors == nil {
                    diagnostics.append(Diagnostic(.warning, rule.mark, "rule '\(rule.id)' has no term that must occur, so it runs on every article",
                                                  hint: "add a positive term with 'all:' or 'any:'"))
                }
                compiled.append(CompiledRule(rule: rule, condition: cond, anchors: anchors))
            }
        }
        // Lists nobody uses still get validated.
        for name in lists.keys.sorted() where resolvedLists[name] == nil { _ = resolve(list: name, at: lists[name]!.mark) }
        let errors = diagnostics.filter { $0.level == .error }
        let sorted = diagnostics.sorted(by: Diagnostic.ordered)
        guard errors.isEmpty else { return (nil, sorted) }
        compiled.sort { $0.rule.id < $1.rule.id }
        let set = RuleSet(rules: compiled, matcher: TermMatcher(terms: terms), warnings: sorted)
        return (set, sorted)
    }

    private mutating func compile(_ expr: Expr) -> Condition? {
        switch expr {
        case .term(let spec, let mark):
            guard let id = intern(spec, at: mark) else { return nil }
            return .terms([id], label: spec.display)
        case .list(let name, let mark):
            guard let ids = resolve(list: name, at: mark) else { return nil }
            return .terms(ids, label: "$" + name)
        case .any(let items, _):
            let parts = items.compactMap { compile($0) }
            guard parts.count == items.count else { return nil }
            // A sequence of plain terms is one term set: cheaper to evaluate.
            if parts.allSatisfy({ if case .terms = $0 { return true } else { return false } }) {
                var ids: [Int32] = []
                var labels: [String] = []
                for case .terms(let i, let l) in parts {
                    ids += i
                    labels.append(l)
                }
                return .terms(ids, label: labels.joined(separator: " | "))
            }
            return .any(parts)
        case .all(let items, _):
            let parts = items.compactMap { compile($0) }
            return parts.count == items.count ? .all(parts) : nil
        case .none(let items, _):
            let parts = items.compactMap { compile($0) }
            return parts.count == items.count ? .none(parts) : nil
        }
    }

    private mutating func resolve(list name: String, at mark: Mark) -> [Int32]? {
        if let ids = resolvedLists[name] { return ids }
        guard let list = lists[name] else {
            let defined = lists.keys.sorted()
            var hint = defined.isEmpty ? "no lists are defined; add one under 'lists:'" : "defined lists: \(defined.joined(separator: ", "))"
            if let close = Suggest.closest(to: name, in: defined) { hint = "did you mean '$\(close)'? " + hint }
            error(mark, "list '$\(name)' is not defined", hint: hint)
            return nil
        }
        if resolving.contains(name) {
            error(mark, "list '$\(name)' refers to itself", hint: "remove the cycle between lists")
            return nil
        }
        resolving.insert(name)
        defer { resolving.remove(name) }
        var ids: [Int32] = []
        for item in list.items {
            switch item {
            case .term(let spec, let m):
                if let id = intern(spec, at: m) { ids.append(id) }
            case .list(let other, let m):
                if let more = resolve(list: other, at: m) { ids += more }
            default:
                error(item.mark, "list '\(name)' may hold only terms and $lists", hint: "move operators such as 'all:' into the rule's match")
            }
        }
        resolvedLists[name] = ids
        return ids
    }

    private mutating func intern(_ spec: TermSpec, at mark: Mark) -> Int32? {
        if let id = termIndex[spec] { return id }
        let term = CompiledTerm(spec)
        if let why = term.impossibleReason {
            error(mark, "term '\(spec.display)' can never match: \(why)")
            return nil
        }
        if spec.prefix, term.bytes.count < 3, term.rightBoundary {
            diagnostics.append(Diagnostic(.warning, mark, "wildcard on fewer than three letters ('\(spec.display)') matches very many words",
                                          hint: "write a longer stem"))
        }
        let id = Int32(terms.count)
        terms.append(term)
        termIndex[spec] = id
        return id
    }

    private mutating func error(_ mark: Mark, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.error, mark, message, hint: hint))
    }
}

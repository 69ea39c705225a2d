import Foundation
import PolicyMatcher
import YAMLLoader

/// A compiled match expression: terms are resolved to ids of the shared matcher.
///
/// Term ids index `RuleSet.matcher.terms`; regex matches are reported as hits with negative
/// ids (`-1 - index` into `RuleSet.regexes`), so both flow through the same evidence.
public indirect enum Condition: Sendable {
    /// Any of these terms occurs (a term, a `$list`, an `@entity`, or a sequence of plain terms).
    case terms([Int32], label: String)
    case all([Condition])
    case any([Condition])
    case none([Condition])
    /// At least `n` operands hold.
    case atLeast(Int, [Condition])
    /// Every operand occurs in one field, the hits within `within` words of each other.
    case near([Condition], within: Int, ordered: Bool)
    /// Every operand holds inside one sentence. `anchors`: terms one of which the sentence
    /// must contain (only those sentences are tried); nil means try every sentence.
    case sentence([Condition], anchors: [Int32]?)
    case paragraph([Condition], anchors: [Int32]?)
    /// The condition holds inside this field.
    case field(Field, Condition)
    /// The article's language is one of these (see `LanguageFilter`).
    case language(Set<String>)
    /// A regex; `anchors` are literal terms one of which every match contains.
    case regex(id: Int32, LinearRegex, anchors: [Int32]?)

    /// Every term id the condition mentions, positive or negated (for messages, not matching).
    var termIDs: Set<Int32> {
        switch self {
        case .terms(let ids, _): return Set(ids)
        case .all(let items), .any(let items), .none(let items), .atLeast(_, let items),
             .near(let items, _, _), .sentence(let items, _), .paragraph(let items, _):
            return items.reduce(into: Set<Int32>()) { $0.formUnion($1.termIDs) }
        case .field(_, let c): return c.termIDs
        case .regex(let id, _, _): return [-1 - id]
        case .language: return []
        }
    }

    /// Term ids one of which must occur for the condition to hold, or nil when the
    /// condition can hold without any term (e.g. only `none`).
    var anchors: Set<Int32>? {
        switch self {
        case .terms(let ids, _): return Set(ids)
        case .any(let items), .atLeast(_, let items): return BooleanOperators.anchors(any: items)
        case .all(let items), .near(let items, _, _), .sentence(let items, _), .paragraph(let items, _):
            return BooleanOperators.anchors(all: items)
        case .field(_, let c): return c.anchors
        case .regex(_, _, let anchors): return anchors.map(Set.init)
        case .none, .language: return nil
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

/// An entity with the term ids of its aliases.
public struct CompiledEntity: Sendable {
    public var kind: String
    public var id: String
    public var terms: [Int32]
}

/// Every rule compiled against one shared term matcher.
public struct RuleSet: Sendable {
    public let rules: [CompiledRule]
    public let matcher: TermMatcher
    /// Warnings found while compiling (errors stop compilation).
    public let warnings: [Diagnostic]
    /// Regexes of every rule; a hit with term id `-1 - k` is a match of `regexes[k]`.
    public let regexes: [LinearRegex]
    /// Every entity defined, sorted by kind then id.
    public let entities: [CompiledEntity]
    /// Ids of the rules `disable:` switched off.
    public let disabledRules: [String]
    /// How alerts' facets are read (`facets:`); nil when the rules declare none.
    public internal(set) var facets: CompiledFacets?
    /// Correlation rules (`trends:`), sorted by id.
    public internal(set) var trends: [TrendSpec] = []

    init(rules: [CompiledRule], matcher: TermMatcher, warnings: [Diagnostic], regexes: [LinearRegex] = [],
         entities: [CompiledEntity] = [], disabledRules: [String] = []) {
        self.rules = rules
        self.matcher = matcher
        self.warnings = warnings
        self.regexes = regexes
        self.entities = entities
        self.disabledRules = disabledRules
    }

    /// How a hit's term is shown in evidence: the term as written, or `/regex/`.
    public func display(term id: Int32) -> String {
        id >= 0 ? matcher.terms[Int(id)].spec.display : "/" + regexes[Int(-1 - id)].pattern + "/"
    }

    public func rule(id: String) -> CompiledRule? { rules.first { $0.rule.id == id } }
}

/// Validates parsed rule files and compiles them (parse -> validate -> compile).
public struct Compiler {
    var diagnostics: [Diagnostic] = []
    private var terms: [CompiledTerm] = []
    private var termIndex: [TermSpec: Int32] = [:]
    private var lists: [String: TermList] = [:]
    private var resolvedLists: [String: [Int32]] = [:]
    private var resolving: Set<String> = []
    private var entities: [String: [String: EntityDef]] = [:]
    private var resolvedEntities: [String: [Int32]] = [:]
    private var regexes: [LinearRegex] = []
    private var anchorIndex: [String: Int32] = [:]
    /// One id per distinct pattern: a pattern used by several rules runs once per field.
    private var regexIndex: [String: Int32] = [:]
    /// Normalises every term (one, reused: a new normaliser allocates its tables).
    private var normalizer = TextNormalizer()

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
                    error(list.mark, "list '\(list.name)' is defined twice", hint: "the other definition is at \(other.mark); to add terms to it write extend: {lists: {\(list.name): [...]}}")
                } else {
                    lists[list.name] = list
                }
            }
            for e in file.entities {
                if let other = entities[e.kind]?[e.id] {
                    error(e.mark, "entity '\(e.reference)' is defined twice", hint: "the other definition is at \(other.mark); to add aliases write extend: {entities: ...}")
                } else {
                    entities[e.kind, default: [:]][e.id] = e
                }
            }
        }
        applyExtensions(files)
        var disabled: [String: Mark] = [:]
        for file in files { for d in file.disables where disabled[d.id] == nil { disabled[d.id] = d.mark } }
        let allIDs = Set(files.flatMap { $0.rules.map(\.id) })
        for (id, mark) in disabled where !allIDs.contains(id) {
            diagnostics.append(Diagnostic(.warning, mark, "disable: no rule has the id '\(id)'",
                                          hint: Suggest.closest(to: id, in: allIDs.sorted()).map { "did you mean '\($0)'?" } ?? "list the rules with: policywatch rules"))
        }
        var seen: [String: Mark] = [:]
        var compiled: [CompiledRule] = []
        for file in files {
            for rule in file.rules where disabled[rule.id] == nil {
                if let other = seen[rule.id] {
                    error(rule.mark, "duplicate rule id '\(rule.id)'", hint: "the other rule with this id is at \(other)")
                    continue
                }
                seen[rule.id] = rule.mark
                guard let cond = compile(rule.expr) else { continue }
                let anchors = cond.anchors
                if anchors == nil {
                    diagnostics.append(Diagnostic(.warning, rule.mark, "rule '\(rule.id)' has no term that must occur, so it runs on every article",
                                                  hint: "add a positive term with 'all:' or 'any:' (a regex anchors a rule only through a literal of three or more bytes every match holds)"))
                }
                compiled.append(CompiledRule(rule: rule, condition: cond, anchors: anchors))
            }
        }
        // Lists and entities nobody uses still get validated; every entity is reported in alerts.
        for name in lists.keys.sorted() where resolvedLists[name] == nil { _ = resolve(list: name, at: lists[name]!.mark) }
        var compiledEntities: [CompiledEntity] = []
        for kind in entities.keys.sorted() {
            for id in entities[kind]!.keys.sorted() {
                let ids = resolve(entity: kind, id: id, at: entities[kind]![id]!.mark) ?? []
                compiledEntities.append(CompiledEntity(kind: kind, id: id, terms: ids))
            }
        }
        let facets = compileFacets(files)
        let trends = checkTrends(files, ruleIDs: allIDs)
        let errors = diagnostics.filter { $0.level == .error }
        let sorted = diagnostics.sorted(by: Diagnostic.ordered)
        guard errors.isEmpty else { return (nil, sorted) }
        compiled.sort { $0.rule.id < $1.rule.id }
        var set = RuleSet(rules: compiled, matcher: TermMatcher(terms: terms), warnings: sorted, regexes: regexes,
                          entities: compiledEntities, disabledRules: disabled.keys.sorted())
        set.facets = facets
        set.trends = trends
        return (set, sorted)
    }

    /// `extend:` adds terms to lists and aliases to entities defined in any file.
    private mutating func applyExtensions(_ files: [RuleFile]) {
        for file in files {
            for ext in file.listExtensions {
                guard lists[ext.name] != nil else {
                    let defined = lists.keys.sorted()
                    var hint = defined.isEmpty ? "no lists are defined" : "defined lists: \(defined.joined(separator: ", "))"
                    if let close = Suggest.closest(to: ext.name, in: defined) { hint = "did you mean '\(close)'? " + hint }
                    error(ext.mark, "extend: list '\(ext.name)' is not defined", hint: hint)
                    continue
                }
                lists[ext.name]!.items += ext.items
            }
            for ext in file.entityExtensions {
                guard entities[ext.kind]?[ext.id] != nil else {
                    error(ext.mark, "extend: entity '\(ext.reference)' is not defined", hint: entityHint(kind: ext.kind, id: ext.id))
                    continue
                }
                entities[ext.kind]![ext.id]!.items += ext.items
            }
        }
    }

    /// Compiles one expression; each operator compiles itself (Rules/Operators/).
    mutating func compile(_ expr: Expr) -> Condition? {
        switch expr {
        case .term(let spec, let mark): return TermOperators.compile(term: spec, at: mark, &self)
        case .list(let name, let mark): return TermOperators.compile(list: name, at: mark, &self)
        case .entity(let kind, let id, let mark): return TermOperators.compile(entity: kind, id: id, at: mark, &self)
        case .any(let items, _): return BooleanOperators.compile(any: items, &self)
        case .all(let items, _): return BooleanOperators.compile(all: items, &self)
        case .none(let items, _): return BooleanOperators.compile(none: items, &self)
        case .atLeast(let n, let items, let mark): return BooleanOperators.compile(atLeast: n, items, at: mark, &self)
        case .near(let items, let within, let ordered, _): return NearOperator.compile(items, within: within, ordered: ordered, &self)
        case .sentence(let items, _): return UnitOperators.compile(sentence: true, items, &self)
        case .paragraph(let items, _): return UnitOperators.compile(sentence: false, items, &self)
        case .field(let f, let inner, _): return FieldOperators.compile(f, inner, &self)
        case .language(let codes, _): return LanguageOperator.compile(codes)
        case .regex(let spec, _): return RegexOperator.compile(spec, &self)
        }
    }

    /// Compiles every operand (so every error is reported); nil if any fails.
    mutating func compileAll(_ items: [Expr]) -> [Condition]? {
        let parts = items.compactMap { compile($0) }
        return parts.count == items.count ? parts : nil
    }

    /// A term as written, for labels.
    func display(term id: Int32) -> String { terms[Int(id)].spec.display }

    /// Registers a regex; its hits carry the returned (negative) id.
    mutating func add(regex: LinearRegex) -> Int32 {
        if let id = regexIndex[regex.pattern] { return id }
        let id = Int32(-1 - regexes.count)
        regexes.append(regex)
        regexIndex[regex.pattern] = id
        return id
    }

    /// A literal a regex needs, matched anywhere (no word boundaries): a pre-filter term.
    mutating func anchorTerm(_ literal: String) -> Int32 {
        if let id = anchorIndex[literal] { return id }
        var term = CompiledTerm(TermSpec(text: literal), normalizer: &normalizer)
        term.leftBoundary = false
        term.rightBoundary = false
        let id = Int32(terms.count)
        terms.append(term)
        anchorIndex[literal] = id
        return id
    }

    mutating func resolve(list name: String, at mark: Mark) -> [Int32]? {
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
        let ids = resolveItems(list.items, owner: "list '\(name)'")
        resolvedLists[name] = ids
        return ids
    }

    mutating func resolve(entity kind: String, id: String, at mark: Mark) -> [Int32]? {
        let key = kind + ":" + id
        if let ids = resolvedEntities[key] { return ids }
        guard let def = entities[kind]?[id] else {
            error(mark, "entity '@\(kind):\(id)' is not defined", hint: entityHint(kind: kind, id: id))
            return nil
        }
        let ids = resolveItems(def.items, owner: "entity '\(def.reference)'")
        resolvedEntities[key] = ids
        return ids
    }

    /// Ids defined for an entity kind, sorted; nil when the kind is not defined.
    func entityIDs(kind: String) -> [String]? { entities[kind].map { $0.keys.sorted() } }

    private func entityHint(kind: String, id: String) -> String {
        guard let ids = entities[kind] else {
            let kinds = entities.keys.sorted()
            if kinds.isEmpty { return "no entities are defined; add them under 'entities:'" }
            let close = Suggest.closest(to: kind, in: kinds).map { "did you mean '@\($0):'? " } ?? ""
            return close + "defined kinds: \(kinds.joined(separator: ", "))"
        }
        let defined = ids.keys.sorted()
        // Short ids ("KR" vs "CN") are all within two edits of each other: suggest only real near-misses.
        var close = ""
        if let c = Suggest.closest(to: id, in: defined),
           EditDistance.distance(c.lowercased(), id.lowercased()) < min(c.count, id.count) {
            close = "did you mean '@\(kind):\(c)'? "
        }
        return close + "defined \(kind) ids: \(defined.joined(separator: ", "))"
    }

    /// Terms and `$lists` of a list or an entity.
    mutating func resolveItems(_ items: [Expr], owner: String) -> [Int32] {
        var ids: [Int32] = []
        for item in items {
            switch item {
            case .term(let spec, let m):
                if let id = intern(spec, at: m) { ids.append(id) }
            case .list(let other, let m):
                if let more = resolve(list: other, at: m) { ids += more }
            case .any(let inner, _):
                ids += resolveItems(inner, owner: owner)
            default:
                error(item.mark, "\(owner) may hold only terms and $lists", hint: "move operators such as 'all:' into the rule's match")
            }
        }
        return ids
    }

    mutating func intern(_ spec: TermSpec, at mark: Mark) -> Int32? {
        if let id = termIndex[spec] { return id }
        let term = CompiledTerm(spec, normalizer: &normalizer)
        if let why = term.impossibleReason {
            error(mark, "term '\(spec.display)' can never match: \(why)")
            return nil
        }
        if spec.prefix, term.bytes.count < 3, term.rightBoundary {
            diagnostics.append(Diagnostic(.warning, mark, "wildcard on fewer than three letters ('\(spec.display)') matches very many words",
                                          hint: "write a longer stem"))
        }
        termWarnings(spec, term, at: mark)
        let id = Int32(terms.count)
        terms.append(term)
        termIndex[spec] = id
        return id
    }

    /// Terms the normaliser or the matcher will not treat as written.
    private mutating func termWarnings(_ spec: TermSpec, _ term: CompiledTerm, at mark: Mark) {
        func warn(_ message: String, _ hint: String) { diagnostics.append(Diagnostic(.warning, mark, message, hint: hint)) }
        // Bytes and characters, not strings, are looked for: `String.contains("*")` is
        // Foundation's `range(of:)` on Linux, which cost as much as compiling the term.
        let text = String(decoding: term.bytes, as: UTF8.self)
        let endsCJK = text.unicodeScalars.last.map { ScriptInfo.isCJK($0.value) } ?? false
        if spec.maxEdits > 0 {
            let scalars = Array(text.unicodeScalars)
            if text.contains(Character(" ")) {
                warn("'~\(spec.maxEdits)' on '\(spec.text)' is ignored: typo tolerance applies to single words",
                     "list the name's words separately, e.g. [Gina Raimondo, Raimondo~1]")
            } else if scalars.contains(where: { ScriptInfo.isCJK($0.value) }) {
                warn("'~\(spec.maxEdits)' on '\(spec.text)' is ignored: typo tolerance applies to words of spaced scripts",
                     "list spelling variants instead, e.g. [레이몬도, 라이몬도]")
            } else if scalars.count < 5 {
                warn("'~\(spec.maxEdits)' on '\(spec.text)' is ignored: names under five letters get no typo tolerance",
                     "short names match too many other words with a typo; list the variants you see")
            }
        }
        if spec.prefix && endsCJK {
            warn("the '*' in '\(spec.display)' does nothing: Korean, Japanese and Chinese terms already match inside words",
                 "remove the '*'")
        }
        if let star = spec.text.utf8.firstIndex(of: UInt8(ascii: "*")), spec.text.utf8.index(after: star) < spec.text.utf8.endIndex {
            warn("'*' inside '\(spec.display)' is matched as a literal asterisk: wildcards work only at the end of a term",
                 "write restrict* or list the forms")
        }
        if spec.cased, let cased = term.casedBytes,
           String(decoding: cased, as: UTF8.self).lowercased() == String(decoding: cased, as: UTF8.self).uppercased() {
            warn("'cased' has no effect on '\(spec.text)': it has no upper- or lower-case letters", "drop 'cased: true'")
        }
        if spec.cased, spec.text != spec.text.precomposedStringWithCompatibilityMapping {
            warn("'\(spec.text)' changes under normalisation (full-width or compatibility characters), so a cased match compares the normalised form",
                 "write the term in plain characters")
        }
    }

    mutating func error(_ mark: Mark, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.error, mark, message, hint: hint))
    }
}

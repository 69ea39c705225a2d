import PolicyMatcher
import YAMLLoader

/// Reads the YAML of one rule file into a `RuleFile`, collecting every problem in one
/// pass rather than stopping at the first.
struct RuleParser {
    static let fileKeys = ["pack", "lists", "entities", "rules", "disable", "extend", "facets", "trends"]
    static let ruleKeys = ["id", "title", "description", "severity", "tags", "references", "match", "query", "tests",
                           "author", "status", "date"]
    static let testKeys = ["match", "no_match", "todo_match", "todo_no_match", "title", "body", "language"]

    var diagnostics: [Diagnostic] = []
    let path: String
    /// Positions inside `query:` and `regex:` strings.
    private var locator: SourceLocator?

    init(path: String) { self.path = path }

    /// Parses `text`. Returns nil only when the YAML itself cannot be read.
    mutating func parse(text: String) -> RuleFile? {
        let documents: [Node]
        do {
            documents = try YAMLLoader.load(text, file: path)
        } catch let e as YAMLError {
            diagnostics.append(Diagnostic(.error, e.mark, e.message, hint: e.hint))
            return nil
        } catch {
            diagnostics.append(Diagnostic(.error, Mark(file: path, line: 1, column: 1), "\(error)"))
            return nil
        }
        locator = SourceLocator(file: path, text: text)
        var file = RuleFile(path: path)
        for doc in documents where !doc.isNull {
            guard let pairs = doc.mapping else {
                error(doc.mark, "a rule file must be a mapping with 'lists' and/or 'rules', found \(doc.typeDescription)",
                      hint: "start the file with 'rules:' followed by a list of rules")
                continue
            }
            for (key, value) in pairs {
                switch key.scalar ?? "" {
                case "pack": file.packName = value["name"]?.scalar
                case "lists": file.lists += parseLists(value, key: "lists")
                case "entities": file.entities += parseEntities(value, key: "entities")
                case "rules": parseRules(value, into: &file)
                case "disable": parseDisable(value, into: &file)
                case "extend": parseExtend(value, into: &file)
                case "facets": if let f = parseFacets(value) { file.facets.append(f) }
                case "trends": file.trends += parseTrends(value)
                case let k:
                    error(key.mark, "unknown top-level key '\(k)'", hint: Suggest.hint(for: k, among: Self.fileKeys))
                }
            }
        }
        return file
    }

    // MARK: - Lists

    private mutating func parseLists(_ node: Node, key: String) -> [TermList] {
        guard let pairs = node.mapping else {
            error(node.mark, "'\(key)' must be a mapping of list names to terms, found \(node.typeDescription)",
                  hint: "\(key):\n    chips: [semiconductor*, chip, 반도체]")
            return []
        }
        var lists: [TermList] = []
        for (key, value) in pairs {
            let name = key.scalar ?? ""
            if !Self.isValidName(name) {
                error(key.mark, "invalid list name '\(name)'", hint: "list names use a-z, 0-9 and _ (e.g. export_controls)")
            }
            guard let items = value.sequence else {
                error(value.mark, "list '\(name)' must be a sequence of terms, found \(value.typeDescription)",
                      hint: "write \(name): [term one, term two]")
                continue
            }
            if items.isEmpty { error(value.mark, "list '\(name)' is empty", hint: "give it at least one term") }
            let exprs = items.compactMap { parseExpr($0, context: "list '\(name)'") }
            lists.append(TermList(name: name, items: exprs, mark: key.mark))
        }
        return lists
    }

    // MARK: - Entities, disable, extend

    /// `entities: {kind: {ID: [aliases]}}`.
    private mutating func parseEntities(_ node: Node, key: String) -> [EntityDef] {
        guard let kinds = node.mapping else {
            error(node.mark, "'\(key)' must map entity kinds to ids, found \(node.typeDescription)",
                  hint: "\(key):\n    country:\n      CN: [China, 중국, 中国]")
            return []
        }
        var defs: [EntityDef] = []
        for (kindNode, ids) in kinds {
            let kind = kindNode.scalar ?? ""
            if !Self.isValidName(kind) {
                error(kindNode.mark, "invalid entity kind '\(kind)'", hint: "kinds use a-z, 0-9 and _ (e.g. country, person)")
            }
            guard let pairs = ids.mapping else {
                error(ids.mark, "entity kind '\(kind)' must map ids to aliases, found \(ids.typeDescription)",
                      hint: "\(kind):\n      CN: [China, 중국, 中国]")
                continue
            }
            for (idNode, aliases) in pairs {
                let id = idNode.scalar ?? ""
                if !Self.isValidEntityID(id) {
                    error(idNode.mark, "invalid entity id '\(id)'", hint: "ids use letters, digits, '_', '-' and '.' (e.g. CN, raimondo)")
                }
                let items: [Node]
                if let seq = aliases.sequence {
                    items = seq
                } else if aliases.scalar != nil && !aliases.isNull {
                    items = [aliases]
                } else {
                    error(aliases.mark, "entity '@\(kind):\(id)' needs a list of aliases, found \(aliases.typeDescription)",
                          hint: "\(id): [alias one, alias two]")
                    continue
                }
                if items.isEmpty { error(aliases.mark, "entity '@\(kind):\(id)' has no aliases", hint: "give it at least one") }
                let exprs = items.compactMap { parseExpr($0, context: "entity '@\(kind):\(id)'") }
                defs.append(EntityDef(kind: kind, id: id, items: exprs, mark: idNode.mark))
            }
        }
        return defs
    }

    /// `disable: [rule.id, ...]`.
    private mutating func parseDisable(_ node: Node, into file: inout RuleFile) {
        let items = node.sequence ?? (node.scalar != nil && !node.isNull ? [node] : nil)
        guard let items else {
            return error(node.mark, "'disable' must be a list of rule ids, found \(node.typeDescription)", hint: "disable: [export-control.semiconductors]")
        }
        for item in items {
            guard let id = item.scalar, Self.isValidRuleID(id) else {
                error(item.mark, "'disable' holds rule ids, found '\(item.scalar ?? item.typeDescription)'", hint: "ids look like export-control.semiconductors")
                continue
            }
            file.disables.append(RuleDisable(id: id, mark: item.mark))
        }
    }

    /// `extend: {lists: {...}, entities: {...}}`: more terms for lists and entities defined elsewhere.
    private mutating func parseExtend(_ node: Node, into file: inout RuleFile) {
        guard let pairs = node.mapping else {
            return error(node.mark, "'extend' must be a mapping with 'lists' and/or 'entities', found \(node.typeDescription)",
                         hint: "extend:\n  lists:\n    chips: [more, terms]")
        }
        for (key, value) in pairs {
            switch key.scalar ?? "" {
            case "lists": file.listExtensions += parseLists(value, key: "extend.lists")
            case "entities": file.entityExtensions += parseEntities(value, key: "extend.entities")
            case let k: error(key.mark, "unknown key '\(k)' in 'extend'", hint: Suggest.hint(for: k, among: ["lists", "entities"]))
            }
        }
    }

    static func isValidName(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    static func isValidEntityID(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
        }
    }

    static func isValidRuleID(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
        }
    }

    // MARK: - Rules

    private mutating func parseRules(_ node: Node, into file: inout RuleFile) {
        guard let items = node.sequence else {
            return error(node.mark, "'rules' must be a list of rules, found \(node.typeDescription)",
                         hint: "each rule starts with '- id: ...'")
        }
        for item in items {
            if let rule = parseRule(item) { file.rules.append(rule) }
        }
    }

    private mutating func parseRule(_ node: Node) -> Rule? {
        guard let pairs = node.mapping else {
            error(node.mark, "a rule must be a mapping, found \(node.typeDescription)", hint: "start a rule with '- id: my.rule'")
            return nil
        }
        let idNode = node["id"]
        let id = idNode?.scalar ?? ""
        let name = id.isEmpty ? "(no id)" : "'\(id)'"
        if idNode == nil {
            error(node.mark, "rule has no 'id'", hint: "add 'id: tag.topic' (a-z, 0-9, '.', '_' and '-')")
        } else if !Self.isValidRuleID(id) {
            error(idNode!.mark, "invalid rule id '\(id)'", hint: "ids use a-z, 0-9, '.', '_' and '-', e.g. export-control.semiconductors")
        }
        for (key, _) in pairs {
            let k = key.scalar ?? ""
            if !Self.ruleKeys.contains(k) {
                error(key.mark, "unknown key '\(k)' in rule \(name)", hint: Suggest.hint(for: k, among: Self.ruleKeys))
            }
        }
        let title = string(node["title"], key: "title", rule: name) ?? id
        let description = string(node["description"], key: "description", rule: name) ?? ""
        var severity = Severity.medium
        if let s = node["severity"] {
            if let v = s.scalar, let sev = Severity(rawValue: v.lowercased()) {
                severity = sev
            } else {
                error(s.mark, "unknown severity '\(s.scalar ?? s.typeDescription)' in rule \(name)",
                      hint: "use one of: \(Severity.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        let tags = strings(node["tags"], key: "tags", rule: name)
        let references = strings(node["references"], key: "references", rule: name)
        var expr: Expr?
        switch (node["match"], node["query"]) {
        case (let m?, nil): expr = parseExpr(m, context: "rule \(name)")
        case (nil, let q?): expr = parseQuery(q, context: "rule \(name)")
        case (_?, let q?):
            error(q.mark, "rule \(name) has both 'match' and 'query'", hint: "keep one: a query string compiles to the same expression as 'match'")
        case (nil, nil):
            error(node.mark, "rule \(name) has no 'match'", hint: "add 'match:' with the terms to look for (or a 'query:' string)")
        }
        let tests = parseTests(node["tests"], rule: name)
        guard let expr else { return nil }
        return Rule(id: id, title: title, description: description, severity: severity, tags: tags,
                    references: references, expr: expr, tests: tests, mark: node.mark)
    }

    private mutating func string(_ node: Node?, key: String, rule: String) -> String? {
        guard let node else { return nil }
        guard let s = node.scalar else {
            error(node.mark, "'\(key)' in rule \(rule) must be a string, found \(node.typeDescription)")
            return nil
        }
        return s
    }

    private mutating func strings(_ node: Node?, key: String, rule: String) -> [String] {
        guard let node else { return [] }
        if let s = node.scalar { return [s] }
        guard let items = node.sequence else {
            error(node.mark, "'\(key)' in rule \(rule) must be a list of strings, found \(node.typeDescription)")
            return []
        }
        return items.compactMap { item in
            if let s = item.scalar { return s }
            error(item.mark, "'\(key)' in rule \(rule) must hold strings, found \(item.typeDescription)")
            return nil
        }
    }

    // MARK: - Tests

    private mutating func parseTests(_ node: Node?, rule: String) -> [RuleTest] {
        guard let node else { return [] }
        guard let items = node.sequence else {
            error(node.mark, "'tests' in rule \(rule) must be a list", hint: "tests:\n      - match: text that must fire\n      - no_match: text that must not")
            return []
        }
        var tests: [RuleTest] = []
        for item in items {
            guard let pairs = item.mapping, let first = pairs.first else {
                error(item.mark, "a test must be a mapping such as 'match: text', found \(item.typeDescription)")
                continue
            }
            var expectation: RuleTest.Expectation?
            var title = ""
            var body = ""
            var language: String?
            for (key, value) in pairs {
                let k = key.scalar ?? ""
                if let e = RuleTest.Expectation(rawValue: k) {
                    if expectation != nil { error(key.mark, "a test has one of match / no_match / todo_match / todo_no_match, not several") }
                    expectation = e
                    if let s = value.scalar {
                        body = s
                    } else if value.mapping != nil {
                        title = value["title"]?.scalar ?? ""
                        body = value["body"]?.scalar ?? ""
                        language = value["language"]?.scalar
                    } else {
                        error(value.mark, "the text of a test must be a string, found \(value.typeDescription)")
                    }
                } else if k == "title" {
                    title = value.scalar ?? ""
                } else if k == "body" {
                    body = value.scalar ?? ""
                } else if k == "language" {
                    language = value.scalar
                } else {
                    error(key.mark, "unknown key '\(k)' in a test of rule \(rule)", hint: Suggest.hint(for: k, among: Self.testKeys))
                }
            }
            guard let expectation else {
                error(first.key.mark, "a test needs 'match', 'no_match', 'todo_match' or 'todo_no_match'")
                continue
            }
            tests.append(RuleTest(expectation: expectation, title: title, body: body, language: language, mark: item.mark))
        }
        return tests
    }

    // MARK: - Expressions

    /// Deepest nesting of operators in a `match:` (the YAML reader allows 200 levels of
    /// mappings and sequences; compiling and evaluating recurse once per operator).
    static let maxExprDepth = 100
    /// Operators open around the expression being parsed.
    private var exprDepth = 0

    /// Parses a match expression. Returns nil (and records why) when it is invalid.
    mutating func parseExpr(_ node: Node, context: String) -> Expr? {
        exprDepth += 1
        defer { exprDepth -= 1 }
        if exprDepth > Self.maxExprDepth {
            error(node.mark, "the match expression in \(context) nests deeper than \(Self.maxExprDepth) levels",
                  hint: "flatten it: all: inside all: (or any: inside any:) can be one list, and a $list can name a group of terms")
            return nil
        }
        switch node.kind {
        case .scalar(let s):
            if node.isNull {
                error(node.mark, "empty expression in \(context)", hint: "write a term, a $list or an operator such as 'any:'")
                return nil
            }
            return TermOperators.parseTerm(s, node: node, context: context, parser: &self)
        case .sequence(let items):
            if items.isEmpty {
                error(node.mark, "empty list in \(context): it can never match", hint: "add at least one term")
                return nil
            }
            let parsed = items.compactMap { parseExpr($0, context: context) }
            return parsed.count == items.count ? .any(parsed, node.mark) : nil
        case .mapping(let pairs):
            if pairs.isEmpty {
                error(node.mark, "empty mapping in \(context)", hint: "use 'all:', 'any:' or 'none:'")
                return nil
            }
            // `{term: X, cased: true}`
            if node["term"] != nil { return TermOperators.parseTermMapping(node, context: context, parser: &self) }
            var parts: [Expr] = []
            var ok = true
            for (key, value) in pairs {
                let k = key.scalar ?? ""
                guard let family = MatchOperators.family(for: k) else {
                    error(key.mark, "unknown operator '\(k)' in \(context)", hint: Suggest.hint(for: k, among: MatchOperators.yamlKeys, noun: "operators"))
                    ok = false
                    continue
                }
                switch family.parse(key: key, value: value, mapping: node, context: context, parser: &self) {
                case .expr(let e): parts.append(e)
                case .qualifier: break
                case .invalid: ok = false
                }
            }
            guard ok, !parts.isEmpty else { return nil }
            if parts.count == 1 { return parts[0] }
            // Several keys all hold; an explicit `all:` among them joins the same list.
            let flat = parts.flatMap { e -> [Expr] in
                if case .all(let items, _) = e { return items }
                return [e]
            }
            return .all(flat, node.mark)
        }
    }

    mutating func boolean(_ node: Node, key: String, context: String) -> Bool? {
        if let b = node.bool { return b }
        error(node.mark, "'\(key)' in \(context) must be true or false, found '\(node.scalar ?? node.typeDescription)'")
        return nil
    }

    /// A `query:` string: parsed into the same tree; errors point inside the string.
    mutating func parseQuery(_ node: Node, context: String) -> Expr? {
        guard let q = node.scalar, !node.isNull else {
            error(node.mark, "'query' in \(context) must be a string, found \(node.typeDescription)",
                  hint: "query: '\"export control*\" AND $chips'")
            return nil
        }
        let marks = locator?.marks(in: node)
        var parser = QueryParser(q, locate: { marks?.mark($0) ?? node.mark })
        do {
            return try parser.parse()
        } catch {
            diagnostics.append(Diagnostic(.error, marks?.mark(error.offset) ?? node.mark, "invalid query in \(context): \(error.message)", hint: error.hint))
            return nil
        }
    }

    func locate(_ node: Node, _ offset: Int) -> Mark {
        locator?.mark(in: node, offset: offset) ?? node.mark
    }

    /// The operands under an operator key: a sequence, or one expression.
    mutating func operands(_ node: Node, op: String, context: String) -> [Expr]? {
        let items: [Node]
        if let seq = node.sequence {
            items = seq
        } else if node.isNull {
            error(node.mark, "'\(op)' in \(context) has nothing under it", hint: "\(op): [term one, term two]")
            return nil
        } else {
            items = [node]
        }
        if items.isEmpty {
            error(node.mark, "'\(op)' in \(context) is empty", hint: "\(op): [term one, term two]")
            return nil
        }
        let parsed = items.compactMap { parseExpr($0, context: context) }
        return parsed.count == items.count ? parsed : nil
    }

    mutating func error(_ mark: Mark, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.error, mark, message, hint: hint))
    }
}

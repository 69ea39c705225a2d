import PolicyMatcher
import YAMLLoader

/// Reads the YAML of one rule file into a `RuleFile`, collecting every problem in one
/// pass rather than stopping at the first (BRIEF §3, "Errors").
struct RuleParser {
    static let fileKeys = ["pack", "lists", "rules"]
    static let ruleKeys = ["id", "title", "description", "severity", "tags", "references", "match", "tests",
                           "author", "status", "date"]
    static let operatorKeys = ["all", "any", "none", "term", "cased"]
    static let testKeys = ["match", "no_match", "todo_match", "todo_no_match", "title", "body", "language"]

    private(set) var diagnostics: [Diagnostic] = []
    let path: String

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
                case "lists": parseLists(value, into: &file)
                case "rules": parseRules(value, into: &file)
                case let k:
                    error(key.mark, "unknown top-level key '\(k)'", hint: Suggest.hint(for: k, among: Self.fileKeys))
                }
            }
        }
        return file
    }

    // MARK: - Lists

    private mutating func parseLists(_ node: Node, into file: inout RuleFile) {
        guard let pairs = node.mapping else {
            return error(node.mark, "'lists' must be a mapping of list names to terms, found \(node.typeDescription)",
                         hint: "lists:\n    chips: [semiconductor*, chip, 반도체]")
        }
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
            file.lists.append(TermList(name: name, items: exprs, mark: key.mark))
        }
    }

    static func isValidName(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
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
        if let m = node["match"] {
            expr = parseExpr(m, context: "rule \(name)")
        } else {
            error(node.mark, "rule \(name) has no 'match'", hint: "add 'match:' with the terms to look for")
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

    /// Parses a match expression. Returns nil (and records why) when it is invalid.
    mutating func parseExpr(_ node: Node, context: String) -> Expr? {
        switch node.kind {
        case .scalar(let s):
            if node.isNull {
                error(node.mark, "empty expression in \(context)", hint: "write a term, a $list or an operator such as 'any:'")
                return nil
            }
            return parseTerm(s, node: node, context: context)
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
            if node["term"] != nil { return parseTermMapping(node, context: context) }
            var parts: [Expr] = []
            var ok = true
            for (key, value) in pairs {
                let k = key.scalar ?? ""
                switch k {
                case "all", "any", "none":
                    guard let items = operands(value, op: k, context: context) else { ok = false; continue }
                    switch k {
                    case "all": parts.append(.all(items, key.mark))
                    case "any": parts.append(.any(items, key.mark))
                    default: parts.append(.none(items, key.mark))
                    }
                default:
                    error(key.mark, "unknown operator '\(k)' in \(context)", hint: Suggest.hint(for: k, among: Self.operatorKeys, noun: "operators"))
                    ok = false
                }
            }
            guard ok else { return nil }
            return parts.count == 1 ? parts[0] : .all(parts, node.mark)
        }
    }

    private mutating func operands(_ node: Node, op: String, context: String) -> [Expr]? {
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

    private mutating func parseTerm(_ s: String, node: Node, context: String, cased: Bool = false) -> Expr? {
        if s.hasPrefix("$") {
            let name = String(s.dropFirst())
            if !Self.isValidName(name) {
                error(node.mark, "invalid list reference '\(s)' in \(context)", hint: "list names use a-z, 0-9 and _")
                return nil
            }
            return .list(name, node.mark)
        }
        let spec = TermSpec.parse(s, cased: cased)
        if spec.text.trimmingCharacters(in: .whitespaces).isEmpty {
            error(node.mark, "empty term in \(context)")
            return nil
        }
        if spec.maxEdits > 2 {
            error(node.mark, "'~\(spec.maxEdits)' allows too many typos in '\(s)'", hint: "use ~1 or ~2")
            return nil
        }
        return .term(spec, node.mark)
    }

    private mutating func parseTermMapping(_ node: Node, context: String) -> Expr? {
        for (key, _) in node.mapping! where !["term", "cased"].contains(key.scalar ?? "") {
            error(key.mark, "unknown key '\(key.scalar ?? "")' in a term", hint: Suggest.hint(for: key.scalar ?? "", among: ["term", "cased"]))
        }
        guard let termNode = node["term"], let text = termNode.scalar, !termNode.isNull else {
            error(node.mark, "'term' must be a string in \(context)", hint: "{term: BIS, cased: true}")
            return nil
        }
        var cased = false
        if let c = node["cased"] {
            switch c.scalar?.lowercased() {
            case "true", "yes", "on": cased = true
            case "false", "no", "off": cased = false
            default: error(c.mark, "'cased' must be true or false, found '\(c.scalar ?? c.typeDescription)'")
            }
        }
        if text.hasPrefix("$") {
            error(termNode.mark, "'term' takes a literal, not a list reference ('\(text)')", hint: "write the list reference on its own: \(text)")
            return nil
        }
        return parseTerm(text, node: termNode, context: context, cased: cased)
    }

    private mutating func error(_ mark: Mark, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.error, mark, message, hint: hint))
    }
}

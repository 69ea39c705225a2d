import PolicyMatcher
import YAMLLoader

/// `language: [ko, en]`: the article's language is one of these (see `LanguageFilter`).
/// No query syntax.
enum LanguageOperator: MatchOperator {
    static let yamlKeys = ["language"]

    /// `language: ko` or `language: [ko, en]`. Codes as in BCP 47 (`ko`, `zh-Hant`), plus `mixed` and `und`.
    static func parse(key: Node, value node: Node, mapping: Node, context: String, parser: inout RuleParser) -> ParsedKey {
        let items = node.sequence ?? [node]
        var codes: [String] = []
        for item in items {
            guard let code = item.scalar, !item.isNull else {
                parser.error(item.mark, "'language' in \(context) holds language codes, found \(item.typeDescription)", hint: "language: [ko, en]")
                return .invalid
            }
            guard isValidCode(code) else {
                parser.error(item.mark, "invalid language code '\(code)' in \(context)", hint: "use codes such as ko, ja, zh, en, or mixed")
                return .invalid
            }
            codes.append(code.lowercased())
        }
        if codes.isEmpty {
            parser.error(node.mark, "'language' in \(context) is empty", hint: "language: [ko, en]")
            return .invalid
        }
        return .expr(.language(codes, key.mark))
    }

    /// A primary tag of 2 to 8 letters, then subtags of letters and digits.
    static func isValidCode(_ code: String) -> Bool {
        let parts = code.split(separator: "-", omittingEmptySubsequences: false)
        return parts.first.map { $0.count >= 2 && $0.count <= 8 && $0.allSatisfy { $0.isASCII && $0.isLetter } } == true
            && parts.dropFirst().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } }
    }

    static func canonical(_ codes: [String]) -> String { "language(\(codes.joined(separator: ", ")))" }

    static func compile(_ codes: [String]) -> Condition { .language(Set(codes)) }

    static func evaluate(_ codes: Set<String>, _ ev: Evaluator) -> Evaluator.Outcome {
        Evaluator.Outcome(holds: LanguageFilter.matches(codes, article: ev.matches.language, present: { ev.languagesPresent() }), evidence: [])
    }

    static func explain(_ codes: Set<String>, into n: inout Explanation.Node, _ ev: Evaluator) {
        n.label = "language: \(codes.sorted().joined(separator: ", "))"
        let lang = ev.matches.language
        n.note = "article language: \(lang)" + (lang == "mixed" ? " (\(ev.languagesPresent().sorted().joined(separator: ", ")))" : "")
    }
}

/// `language:` filters (an article's language is given, or detected as ko, ja, zh,
/// en or mixed).
///
/// A code matches the article's language or its subtags (`zh` matches `zh-Hant`). A `mixed`
/// article (two scripts each holding a fifth of its letters, e.g. Korean with an English
/// translation) matches `mixed` and every language that holds a fifth of its letters, so
/// `language: [ko]` keeps a Korean article with an English translation below it.
enum LanguageFilter {
    static func matches(_ codes: Set<String>, article: String, present: () -> Set<String>) -> Bool {
        let lang = article.lowercased()
        if codes.contains(where: { lang == $0 || lang.hasPrefix($0 + "-") }) { return true }
        if lang == "mixed" { return !codes.isDisjoint(with: present()) }
        return false
    }

    /// Languages whose script holds at least a fifth of the letters.
    static func languagesPresent(_ text: String) -> Set<String> {
        LanguageDetector.languagesPresent(text)
    }
}

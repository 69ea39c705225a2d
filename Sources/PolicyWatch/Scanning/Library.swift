import Foundation
import PolicyMatcher

/// The front door of the library for programs that embed it (`docs/library.md`): compile
/// rules, then scan one article with a `RuleScanner` or a stream of sources with a
/// `ScanPipeline` (with a `StateStore` when alerts must be raised once across runs).
public enum RuleCompiler {
    /// Rules that did not compile: every problem, with its file, line and column.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var diagnostics: [Diagnostic]
        public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
    }

    /// Compiles rule files and directories, with the built-in pack first when asked.
    public static func compile(paths: [String], includeBuiltin: Bool = false) throws -> RuleSet {
        let (set, diagnostics) = RuleLoader.compile(paths: paths, includeBuiltin: includeBuiltin)
        guard let set else { throw Failure(diagnostics: diagnostics.filter { $0.level == .error }) }
        return set
    }

    /// Compiles rules written as YAML text; `name` stands for the file in messages and alerts.
    public static func compile(yaml: String, name: String = "rules.yaml") throws -> RuleSet {
        var parser = RuleParser(path: name)
        let file = parser.parse(text: yaml)
        var diagnostics = parser.diagnostics
        var set: RuleSet?
        if let file {
            let compiled = Compiler.compile([file])
            set = compiled.0
            diagnostics += compiled.1
        }
        let errors = diagnostics.filter { $0.level == .error }
        guard let set, errors.isEmpty else { throw Failure(diagnostics: errors) }
        return set
    }
}

extension RuleScanner {
    /// The alerts `article` raises, ordered by rule id, stamped with `now`.
    public func alerts(for article: Article, now: Date = Date()) -> [Alert] {
        var normalizer = TextNormalizer()
        return scan(article, normalizer: &normalizer, now: Timestamp.string(now))
    }
}

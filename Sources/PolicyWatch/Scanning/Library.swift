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
    /// The alerts `article` raises, ordered by rule id, stamped with the context's clock.
    public func alerts(for article: Article, context: RunContext = .process) -> [Alert] {
        alerts(for: article, at: context.clock())
    }

    /// The alerts `article` raises, ordered by rule id, stamped with `time`.
    public func alerts(for article: Article, at time: Date) -> [Alert] {
        var normalizer = TextNormalizer()
        return scan(article, normalizer: &normalizer, now: Timestamp.string(time))
    }
}

/// The alerts a state has raised, filtered as `policywatch alerts` filters them, oldest first.
public struct AlertQuery: Sendable {
    /// Only alerts raised since then: a duration back from the context's clock ("7d"), a day
    /// ("2025-06-01") or an ISO 8601 time (`Units.since`).
    public var since: String?
    /// Only alerts whose rule has every one of these tags.
    public var tags: [String]
    /// Only alerts of this rule id.
    public var rule: String?
    /// Only alerts whose facets pass (acting, affected, stage).
    public var facets: FacetFilter

    public init(since: String? = nil, tags: [String] = [], rule: String? = nil, facets: FacetFilter = FacetFilter()) {
        self.since = since
        self.tags = tags
        self.rule = rule
        self.facets = facets
    }

    /// `since` is not a time `Units.since` reads.
    public struct UnreadableSince: Error, CustomStringConvertible, Sendable {
        public var text: String
        public var description: String { "cannot read '\(text)' as a time; write e.g. 30m, 12h, 7d, 2w, 2025-06-01" }
    }

    /// The point in time `since` names, with durations counted back from `now`.
    public func start(now: Date) throws -> Date? {
        guard let since else { return nil }
        guard let date = Units.since(since, now: now) else { throw UnreadableSince(text: since) }
        return date
    }

    /// The matching alerts of `state`; "7d" means seven days before the context's clock.
    public func alerts(in state: any StateBackend, context: RunContext = .process) throws -> [Alert] {
        let start = try start(now: context.clock())
        return try state.alerts(since: start.map(Timestamp.string), tags: tags, rule: rule).filter(facets.accepts)
    }
}

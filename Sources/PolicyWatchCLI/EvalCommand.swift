import ArgumentParser
import Foundation
import PolicyMatcher
import PolicyWatch

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure the rules' precision and recall per event tag on labelled articles.",
        discussion: """
            LABELS is JSON Lines: {"id": "...", "tags": ["export-control", ...]} per article, keyed by the \
            article's id. An article's predicted tags are the event tags of its alerts. The articles \
            are read and scanned as 'scan' does (streamed, on all cores), but each is scored on its \
            own: copies are not merged.

            --by source adds the figures of each article source (the articles' "source" field), to \
            see where a rule pack generalises and where it does not.

            Examples:
              policywatch eval --labels corpus/dev/labels.jsonl corpus/dev/articles.jsonl
              policywatch eval --by source --labels corpus/dev/labels.jsonl corpus/dev/
            """
    )

    @OptionGroup var rules: RuleOptions

    @Option(help: ArgumentHelp("The labels file (JSON Lines).", valueName: "LABELS"))
    var labels: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Option(help: "How many false positives and negatives to list (0 for none).")
    var showMistakes: Int = 50

    @Option(help: "Also give the figures per article source.")
    var by: Grouping?

    enum Grouping: String, ExpressibleByArgument, CaseIterable {
        case source
    }

    @Argument(help: ArgumentHelp("Article files or directories.", valueName: "PATH"))
    var paths: [String] = []

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give the labelled articles, e.g. policywatch eval --labels labels.jsonl articles.jsonl") }
    }

    func run() throws {
        let set = try rules.compile(quietWarnings: true)
        let truth: [String: Set<String>]
        do {
            truth = try Evaluation.readLabels(path: labels)
        } catch let e as InputError {
            Console.error("\(e.source): error: \(e.message)")
            throw ExitCode(64)
        }
        let index = EvaluationIndex(labels: truth)
        let pipeline = ScanPipeline(scanner: RuleScanner(ruleSet: set), reader: ArticleReader(), index: index, context: .process)
        let outcome = try pipeline.run(paths.map { SourceSpec($0) }, sinks: [])
        for e in outcome.errors { Console.error("\(e.source): error: \(e.message)") }
        let result = Evaluation(articles: index.articles, labels: truth)
        let groups = by == .source ? Evaluation.bySource(articles: index.articles, labels: truth) : []
        if json {
            Console.out(try Self.json(result, groups: groups))
        } else {
            Console.out(Self.table(result, showMistakes: showMistakes))
            if !groups.isEmpty { Console.out("\n" + Self.sourceTable(groups)) }
        }
        if !result.missing.isEmpty {
            Console.error("warning: \(result.missing.count) labelled ids were not among the articles (first: \(result.missing.prefix(3).joined(separator: ", ")))")
        }
    }

    /// `--json`: the overall figures, and per source with `--by source`.
    static func json(_ result: Evaluation, groups: [(source: String, evaluation: Evaluation)]) throws -> String {
        struct Figures: Encodable {
            var articles: Int
            var tags: [Evaluation.TagScore]
            var micro: [String: Double]
            var macro: [String: Double]
            init(_ e: Evaluation) {
                articles = e.articles
                tags = e.tags
                let m = e.micro, M = e.macro
                micro = ["precision": Evaluation.round(m.precision), "recall": Evaluation.round(m.recall), "f1": Evaluation.round(m.f1)]
                macro = ["precision": Evaluation.round(M.precision), "recall": Evaluation.round(M.recall), "f1": Evaluation.round(M.f1)]
            }
        }
        struct SourceFigures: Encodable {
            var source: String
            var figures: Figures
            func encode(to encoder: Encoder) throws {
                try figures.encode(to: encoder)
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(source, forKey: .source)
            }
            enum Key: String, CodingKey { case source }
        }
        struct Output: Encodable {
            var overall: Figures
            var bySource: [SourceFigures]?
            var mistakes: [Evaluation.Mistake]
            var missing: [String]
            func encode(to encoder: Encoder) throws {
                try overall.encode(to: encoder)
                var c = encoder.container(keyedBy: Key.self)
                try c.encodeIfPresent(bySource, forKey: .bySource)
                try c.encode(mistakes, forKey: .mistakes)
                try c.encode(missing, forKey: .missing)
            }
            enum Key: String, CodingKey { case bySource = "by_source", mistakes, missing }
        }
        let out = Output(overall: Figures(result), bySource: groups.isEmpty ? nil : groups.map { SourceFigures(source: $0.source, figures: Figures($0.evaluation)) },
                         mistakes: result.mistakes, missing: result.missing)
        return String(decoding: try Report.encoder().encode(out), as: UTF8.self)
    }

    /// One line per source: its articles and averages.
    static func sourceTable(_ groups: [(source: String, evaluation: Evaluation)]) -> String {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        let width = max(24, (groups.map(\.source.count).max() ?? 0) + 2)
        var lines = ["by source", pad("source", width) + lpad("articles", 9) + lpad("micro P", 9) + lpad("micro R", 9) + lpad("micro F1", 10) + lpad("macro F1", 10)]
        for (source, e) in groups {
            let m = e.micro
            lines.append(pad(source, width) + lpad("\(e.articles)", 9) + lpad(f(m.precision), 9) + lpad(f(m.recall), 9) + lpad(f(m.f1), 10) + lpad(f(e.macro.f1), 10))
        }
        return lines.joined(separator: "\n")
    }

    static func table(_ r: Evaluation, showMistakes: Int) -> String {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        var lines = ["\(r.articles) labelled articles", "",
                     pad("tag", 24) + lpad("support", 8) + lpad("tp", 6) + lpad("fp", 6) + lpad("fn", 6) + lpad("precision", 11) + lpad("recall", 8) + lpad("f1", 7)]
        for t in r.tags {
            lines.append(pad(t.tag, 24) + lpad("\(t.support)", 8) + lpad("\(t.truePositives)", 6) + lpad("\(t.falsePositives)", 6)
                         + lpad("\(t.falseNegatives)", 6) + lpad(f(t.precision), 11) + lpad(f(t.recall), 8) + lpad(f(t.f1), 7))
        }
        let m = r.micro, M = r.macro
        lines.append(pad("micro average", 50) + lpad(f(m.precision), 11) + lpad(f(m.recall), 8) + lpad(f(m.f1), 7))
        lines.append(pad("macro average", 50) + lpad(f(M.precision), 11) + lpad(f(M.recall), 8) + lpad(f(M.f1), 7))
        if showMistakes > 0 && !r.mistakes.isEmpty {
            lines.append("")
            lines.append("mistakes (first \(min(showMistakes, r.mistakes.count)) of \(r.mistakes.count)):")
            for x in r.mistakes.prefix(showMistakes) {
                let kind = x.kind == .falsePositive ? "FP" : "FN"
                lines.append("  \(kind) \(x.tag)  \(x.article)  \(x.title.prefix(80))")
                for e in x.evidence { lines.append("       \(e)") }
            }
        }
        return lines.joined(separator: "\n")
    }
}

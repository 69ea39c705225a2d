import ArgumentParser
import Foundation
import PolicyMatcher
import PolicyWatch

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure the rules' precision and recall per event tag on labelled articles.",
        discussion: """
            LABELS is JSON Lines: {"id": "...", "tags": ["export-control", ...]} per article, keyed by the
            article's id. An article's predicted tags are the event tags of its alerts.

            Example:
              policywatch eval --labels corpus/dev/labels.jsonl corpus/dev/articles.jsonl
            """
    )

    @OptionGroup var rules: RuleOptions

    @Option(help: ArgumentHelp("The labels file (JSON Lines).", valueName: "LABELS"))
    var labels: String

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Option(help: "How many false positives and negatives to list (0 for none).")
    var showMistakes: Int = 50

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
        let reader = ArticleReader()
        let scanner = RuleScanner(ruleSet: set)
        var normalizer = TextNormalizer()
        let now = Timestamp.string()
        var scanned: [(id: String, title: String, alerts: [Alert])] = []
        let (files, listErrors) = reader.files(for: paths)
        var errors = listErrors
        for file in files {
            let (articles, problems) = reader.read(path: file)
            errors += problems
            for a in articles {
                guard let id = a.id else { continue }
                scanned.append((id, a.title, scanner.scan(a, normalizer: &normalizer, now: now)))
            }
        }
        for e in errors { Console.error("\(e.source): error: \(e.message)") }
        let result = Evaluation(articles: scanned, labels: truth)
        if json {
            struct Output: Encodable {
                var articles: Int
                var tags: [Evaluation.TagScore]
                var micro: [String: Double]
                var macro: [String: Double]
                var mistakes: [Evaluation.Mistake]
                var missing: [String]
            }
            let m = result.micro, M = result.macro
            let out = Output(articles: result.articles, tags: result.tags,
                             micro: ["precision": Evaluation.round(m.precision), "recall": Evaluation.round(m.recall), "f1": Evaluation.round(m.f1)],
                             macro: ["precision": Evaluation.round(M.precision), "recall": Evaluation.round(M.recall), "f1": Evaluation.round(M.f1)],
                             mistakes: result.mistakes, missing: result.missing)
            var data = try Report.encoder().encode(out)
            data.append(0x0A)
            FileHandle.standardOutput.write(data)
        } else {
            Console.out(Self.table(result, showMistakes: showMistakes))
        }
        if !result.missing.isEmpty {
            Console.error("warning: \(result.missing.count) labelled ids were not among the articles (first: \(result.missing.prefix(3).joined(separator: ", ")))")
        }
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

import ArgumentParser
import Foundation
import PolicyWatch

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan articles with the rules and write a JSON report.",
        discussion: """
            Inputs: .txt, .md, .json (one object), .jsonl (one object per line), directories
            (recursively) and - for stdin. A broken input is listed in the report's errors and
            skipped; the scan goes on and exits 3.

            Examples:
              policywatch scan examples/
              policywatch scan --rules my-rules/ --output report.json news/
              cat article.txt | policywatch scan -
            """
    )

    @OptionGroup var rules: RuleOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to FILE (atomically) instead of stdout.", valueName: "FILE"))
    var output: String?

    @Option(help: "Output format: json (one report) or jsonl (one alert per line).")
    var format: OutputFormat = .json

    @Flag(help: "Exit 1 when any alert is raised.")
    var failOnAlert = false

    @Option(help: ArgumentHelp("Skip inputs (for JSON Lines: lines) larger than this many bytes.", valueName: "BYTES"))
    var maxBytes: Int = ArticleReader.defaultMaxBytes

    @Argument(help: ArgumentHelp("Files, directories, or - for stdin.", valueName: "PATH"))
    var paths: [String]

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case json, jsonl
    }

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one file or directory to scan, or - for stdin (e.g. policywatch scan examples/)") }
        if maxBytes <= 0 { throw ValidationError("--max-bytes must be a positive number of bytes") }
    }

    func run() throws {
        let set = try rules.compile(quietWarnings: true)
        let started = Timestamp.string()
        let writer: ReportWriter
        do {
            writer = try ReportWriter(format: format == .json ? .json : .jsonl, path: output)
        } catch {
            Console.error("\(output ?? "-"): error: cannot write the report: \(error.localizedDescription)")
            throw ExitCode(3)
        }
        // Parallel, streaming, in input order; alerts are encoded on the workers.
        let scan = ParallelScan(scanner: Scanner(ruleSet: set), reader: ArticleReader(maxBytes: maxBytes))
        let encoding: ReportWriter.Format = format == .json ? .json : .jsonl
        var errors: [InputError] = []
        var articles = 0
        do {
            try scan.run(paths: paths, now: started, transform: { items in
                var alerts: [Alert] = []
                for case .article(_, let a) in items { alerts += a }
                return (items, ReportWriter.encode(alerts, format: encoding))
            }) { items, encoded in
                var alerts = 0
                for item in items {
                    switch item {
                    case .article(_, let a): articles += 1; alerts += a.count
                    case .error(let e): errors.append(e)
                    }
                }
                try writer.append(encoded: encoded, count: alerts)
            }
            for e in errors { Console.error("\(e.source): error: \(e.message)") }
            try writer.finish(
                run: .init(started: started, finished: Timestamp.string(), rules: set.rules.count, articles: articles, skipped: errors.count),
                errors: errors)
        } catch {
            writer.discard()
            Console.error("\(output ?? "-"): error: cannot write the report: \(error.localizedDescription)")
            throw ExitCode(3)
        }
        let alerts = writer.alertCount
        if let output {
            Console.error("\(alerts) alert\(alerts == 1 ? "" : "s") in \(articles) article\(articles == 1 ? "" : "s"); report written to \(output)")
        }
        if !errors.isEmpty { throw Exit.partial }
        if failOnAlert && alerts > 0 { throw Exit.alertsFound }
    }
}

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
    @OptionGroup var reporting: ReportingOptions
    @OptionGroup var state: StateOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to FILE (atomically) instead of stdout.", valueName: "FILE"))
    var output: String?

    @Option(help: "Output format: json (one report) or jsonl (one alert per line).")
    var format: OutputFormat = .json

    @Flag(help: "Exit 1 when any alert is raised.")
    var failOnAlert = false

    @Option(help: ArgumentHelp("Skip inputs larger than this many bytes.", valueName: "BYTES"))
    var maxBytes: Int = ArticleReader.defaultMaxBytes

    @Argument(help: ArgumentHelp("Files, directories, or - for stdin.", valueName: "PATH"))
    var paths: [String] = []

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case json, jsonl
    }

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one file or directory to scan, or - for stdin (e.g. policywatch scan examples/)") }
        if maxBytes <= 0 { throw ValidationError("--max-bytes must be a positive number of bytes") }
    }

    func run() throws {
        let set = try rules.compile(quietWarnings: true)
        let startDate = Date()
        let started = Timestamp.string(startDate)
        // Reporters are checked before scanning: a missing secret fails now, not after the scan.
        let delivery = reporting.reporterArguments.isEmpty ? nil
            : try Delivery(configs: try reporting.configs, statePath: state.statePath, now: startDate)
        let reader = ArticleReader(maxBytes: maxBytes)
        let scanner = Scanner(ruleSet: set)
        let (files, listErrors) = reader.files(for: paths)
        var errors = listErrors
        var alerts: [Alert] = []
        var articles = 0
        var normalizer = TextNormalizerBox()
        for file in files {
            let (items, problems) = reader.read(path: file)
            errors += problems
            for article in items {
                articles += 1
                alerts += scanner.scan(article, normalizer: &normalizer.value, now: started)
            }
        }
        let report = Report(
            run: .init(started: started, finished: Timestamp.string(), rules: set.rules.count, articles: articles, skipped: errors.count),
            alerts: alerts, errors: errors)
        for e in errors { Console.error("\(e.source): error: \(e.message)") }
        // With reporters, stdout belongs to them; --output still writes the report file.
        if delivery == nil || output != nil { try writeOutput(report, articles: articles) }
        let delivered = delivery?.run(newAlerts: alerts, run: report.run, errors: errors, isScan: true) ?? true
        if !errors.isEmpty || !delivered { throw Exit.partial }
        if failOnAlert && !alerts.isEmpty { throw Exit.alertsFound }
    }

    private func writeOutput(_ report: Report, articles: Int) throws {
        let alerts = report.alerts
        let data: Data
        switch format {
        case .json: data = try report.jsonData()
        case .jsonl:
            var d = Data()
            let enc = Report.encoder(pretty: false)
            for a in alerts {
                d.append(try enc.encode(a))
                d.append(0x0A)
            }
            data = d
        }
        if let output {
            do {
                try data.write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                Console.error("\(output): error: cannot write the report: \(error.localizedDescription)")
                throw ExitCode(3)
            }
            Console.error("\(alerts.count) alert\(alerts.count == 1 ? "" : "s") in \(articles) article\(articles == 1 ? "" : "s"); report written to \(output)")
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}

import PolicyMatcher

/// Keeps one normaliser (and its cache) for the whole run.
struct TextNormalizerBox {
    var value = TextNormalizer()
}

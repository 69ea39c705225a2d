import ArgumentParser
import Foundation
import PolicyWatch

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan articles with the rules; alerts go to reporters (a JSON report by default).",
        discussion: """
            Inputs: .txt, .md, .json (one object), .jsonl (one object per line),
            .rss/.atom/.xml feeds (each item an article), .html pages, directories
            (recursively), http(s) URLs of feeds or pages, and - for stdin. A broken
            input is listed in the report's errors and skipped; the scan goes on and
            exits 3.

            With a state (--state, or state: in the config) a run reads only new or
            changed inputs and reports each alert once; see docs/cron.md.
            'policywatch scan' with no sources reads ./policywatch.yaml (or --config
            FILE); sources given on the command line make an ad-hoc scan that reads a
            config only when --config names one.

            Alerts go to the reporters: --reporter, else the config's 'reporters:'.
            With none, the report goes to stdout, or to --output FILE. --output and
            --format add that report to the --reporter ones and replace the config's
            reporters. See docs/reporters.md.

            Every scan streams: JSON Lines (files and stdin) are read in blocks and
            scanned on all cores, and alerts go to the reporters batch by batch, so
            memory stays flat whatever the input size. --max-bytes limits one record
            of JSON Lines and one whole file of any other input. Copies of a story
            (same URL, or same text under another id) raise one alert that lists the
            others in also_seen. See docs/performance.md.

            Examples:
              policywatch scan examples/articles/
              policywatch scan --rules my-rules/ --output report.json news/
              policywatch scan --reporter console --reporter json=out.json news/
              policywatch scan --config policywatch.yaml --quiet
              cat article.txt | policywatch scan -
              policywatch scan --output report.json corpus.jsonl
            """
    )

    @OptionGroup var rules: RuleOptions
    @OptionGroup var reporting: ReportingOptions

    @Option(help: ArgumentHelp("Read settings from this config file (default: ./policywatch.yaml when no sources are given).", valueName: "FILE"))
    var config: String?

    @Flag(help: "Ignore ./policywatch.yaml.")
    var noConfig = false

    @Option(help: ArgumentHelp("Remember what was seen and raised in this SQLite file, or in PostgreSQL (postgres://user@host:port/db, shared by several scanners; see docs/scale-out.md).", valueName: "PATH|URL"))
    var state: String?

    @Option(help: ArgumentHelp("With a postgres:// state: seconds this scanner holds a source before another may take it over (default 300).", valueName: "SECONDS"))
    var lease: Double?

    @Flag(help: "Run without state, even if the config names one: every alert is reported.")
    var noState = false

    @Flag(help: "Re-read and re-evaluate inputs seen before (after changing rules); alerts already raised stay silent.")
    var rescan = false

    @Option(help: ArgumentHelp("Wait up to this many seconds for another run holding the state.", valueName: "SECONDS"))
    var wait: Double?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write the report to FILE (atomically) instead of stdout; replaces the config's reporters.", valueName: "FILE"))
    var output: String?

    @Option(help: "Output format: json (one report, each alert on a line of its own) or jsonl (one alert per line, no report around them).")
    var format: OutputFormat?

    @Flag(help: "Exit 1 when any alert is raised.")
    var failOnAlert = false

    @Option(help: ArgumentHelp("Skip a JSON Lines record, or any other input, larger than this (bytes, or e.g. 16MB).", valueName: "SIZE"))
    var maxBytes: String?

    @Option(help: ArgumentHelp("Seconds one HTTP attempt may take.", valueName: "SECONDS"))
    var timeout: Double?

    @Option(help: ArgumentHelp("More attempts for failing URLs (network errors, 5xx, 429), with backoff.", valueName: "N"))
    var retries: Int?

    @Flag(help: ArgumentHelp("Accepted for one release and ignored: every scan streams.", visibility: .hidden))
    var stream = false

    @Flag(name: .shortAndLong, help: "Print only errors on stderr (no summary, no progress).")
    var quiet = false

    @Argument(help: ArgumentHelp("Files, directories, feed or page URLs, or - for stdin (default: the config's sources).", valueName: "SOURCE"))
    var paths: [String] = []

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case json, jsonl
    }

    func validate() throws {
        if let maxBytes, Units.bytes(maxBytes) == nil { throw ValidationError("--max-bytes must be a positive size, e.g. 1048576 or 16MB") }
        if let wait, wait < 0 { throw ValidationError("--wait must be 0 or more seconds") }
        if let lease, lease <= 0 { throw ValidationError("--lease must be more than 0 seconds") }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be more than 0 seconds") }
        if let retries, retries < 0 || retries > 10 { throw ValidationError("--retries must be from 0 to 10") }
        if noState && state != nil { throw ValidationError("--state and --no-state contradict each other") }
        if rescan && noState { throw ValidationError("--rescan needs a state (without one every run reads everything)") }
        // An unsupported scheme (ftp://...) is an error here, not a file that is not found later.
        do {
            for path in paths { _ = try Location(path) }
            if let output { _ = try Location.localPath(output, what: "--output") }
            if let state, !PostgresURL.isPostgres(state) { _ = try Location.localPath(state, what: "--state") }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        // The one place the world comes in: the clock, environment, working directory,
        // standard streams and terminals reach the library through this value.
        let context = RunContext.process
        if stream {
            Console.error("note: --stream is no longer needed and does nothing: every scan streams (the flag goes in the next release)")
        }
        // An ad-hoc scan (sources on the command line) does not pick up ./policywatch.yaml's
        // state and reporters by surprise; --config still applies.
        let cfg = try ConfigOptions.load(explicit: config, ignoreDefault: noConfig || !paths.isEmpty, context: context) ?? Config(file: "")
        let set = try rules.compile(extraPaths: cfg.rules, defaultRules: cfg.defaultRules ?? true, quietWarnings: true)

        let sources = paths.isEmpty ? cfg.sources : paths.map { SourceSpec($0) }
        if sources.isEmpty {
            throw ValidationError("give at least one file, directory or URL to scan, or - for stdin (e.g. policywatch scan examples/articles/), or list sources in policywatch.yaml")
        }
        let maxBytes = maxBytes.flatMap(Units.bytes) ?? cfg.maxBytes ?? ArticleReader.defaultMaxBytes
        let statePath = noState ? nil : (state ?? cfg.state)
        let startDate = context.clock()
        let reporters = try reporterConfigs(cfg)
        // Checked before the state is opened.
        let entries = try Reporting.entries(reporters, context: ReporterContext(run: context, now: startDate))

        // Without a state file the story index lives in memory for this run.
        let state = try statePath.map {
            try LockedState.open(location: $0, wait: wait ?? cfg.wait ?? 0, lease: lease ?? cfg.lease ?? PostgresState.defaultLease, context: context)
        }
        defer { state?.release() }
        let index: any StoryIndex = state?.store ?? InMemoryStoryIndex()

        let policy = FetchPolicy(timeout: timeout ?? cfg.timeout ?? 30, retries: retries ?? cfg.retries ?? 2, maxBytes: maxBytes)
        let pipeline = ScanPipeline(
            scanner: RuleScanner(ruleSet: set), reader: ArticleReader(maxBytes: maxBytes), index: index,
            fetcher: URLSessionFetcher(policy: policy), context: context,
            options: .init(rescan: rescan, reporters: state == nil ? [] : reporters, leaser: state?.shared))
        let sinks = entries.map {
            ReporterSink(entry: $0, outbox: state?.store, started: Timestamp.string(startDate), context: context)
        }
        let progress = !quiet && context.stderrIsTerminal ? ProgressLine() : nil
        let outcome: ScanPipeline.Outcome
        do {
            outcome = try pipeline.run(sources, sinks: sinks, progress: progress.map { p in { p.show($0) } })
            progress?.clear()
        } catch {
            progress?.clear()
            if let e = error as? StateError {
                Console.error(PostgresURL.redact("\(e.path): error: \(e.message)\n  hint: the alerts committed so far are kept and will be reported by the next run"))
            } else {
                Console.error(PostgresURL.redact("\(statePath ?? "state"): error: \(error)\n  hint: the alerts committed so far are kept and will be reported by the next run"))
            }
            throw Exit.stateError
        }
        try finish(outcome, statePath: statePath, reporters: reporters, cfg: cfg)
    }

    /// Prints the run's errors and summary; throws the exit code.
    private func finish(_ outcome: ScanPipeline.Outcome, statePath: String?, reporters: [ReporterConfig], cfg: Config) throws {
        let summaries = outcome.summaries
        for e in outcome.errors { Console.error("\(e.source): error: \(e.message)") }
        let delivered = Reporting.printSummaries(summaries, persistent: statePath != nil, quiet: quiet, summarised: [Self.outputName])
        if !quiet && (statePath != nil || reporters.contains { ($0.target ?? "-") != "-" }) {
            var parts = ["\(outcome.raised) new alert\(outcome.raised == 1 ? "" : "s") in \(outcome.articles) article\(outcome.articles == 1 ? "" : "s")"]
            if outcome.unchangedArticles + outcome.unchangedFiles + outcome.notModified > 0 {
                parts.append("unchanged: \(outcome.unchangedFiles) file\(outcome.unchangedFiles == 1 ? "" : "s"), \(outcome.notModified) feed\(outcome.notModified == 1 ? "" : "s"), \(outcome.unchangedArticles) article\(outcome.unchangedArticles == 1 ? "" : "s")")
            }
            if let output, summaries.contains(where: { $0.reporter == Self.outputName && $0.ok }) {
                parts.append("report written to \(output)")
            }
            Console.error(parts.joined(separator: "; "))
        }
        if !outcome.errors.isEmpty || !delivered { throw Exit.partial }
        let alerted = outcome.raised > 0 || summaries.contains { $0.delivered > 0 }
        if (failOnAlert || cfg.failOnAlert == true) && alerted { throw Exit.alertsFound }
    }

    /// The name the plain report (stdout, --output, --format) records its deliveries under.
    static let outputName = "output"

    /// This run's reporters: --reporter, else the config's. The plain report (json, or
    /// --format jsonl, on stdout or --output) is added when asked for, and is the default.
    func reporterConfigs(_ cfg: Config) throws -> [ReporterConfig] {
        let given = try reporting.configs
        let plain = output != nil || format != nil
        var configs = given.isEmpty && !plain ? cfg.reporters : given
        if plain || configs.isEmpty {
            configs.append(ReporterConfig(type: (format ?? .json).rawValue, target: output ?? "-", name: Self.outputName,
                                          origin: output == nil ? "the report" : "--output"))
        }
        return configs
    }
}

/// Loads the config named by --config, else ./policywatch.yaml when present (unless ignored).
enum ConfigOptions {
    static func load(explicit: String?, ignoreDefault: Bool, context: RunContext) throws -> Config? {
        let path: String
        if let explicit {
            path = explicit
        } else if !ignoreDefault, FileManager.default.fileExists(atPath: context.resolve(Config.defaultFileName)) {
            path = Config.defaultFileName
        } else {
            return nil
        }
        let (config, diagnostics) = Config.load(path: path, context: context)
        for d in diagnostics { Console.error(d.description) }
        guard let config else {
            let n = diagnostics.filter { $0.level == .error }.count
            Console.error("\(n) error\(n == 1 ? "" : "s") in the config; nothing was scanned.")
            throw Exit.invalidRules
        }
        return config
    }
}

/// One self-erasing progress line on a terminal's stderr, at most five times a second (paced
/// by the monotonic clock: a pace, not a time of the run).
final class ProgressLine {
    private var last: ContinuousClock.Instant?

    func show(_ p: ScanProgress) {
        let now = ContinuousClock.now
        if let last, now - last < .milliseconds(200) { return }
        last = now
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + p.line).utf8))
    }

    func clear() {
        guard last != nil else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

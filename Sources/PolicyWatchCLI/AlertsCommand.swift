import ArgumentParser
import Foundation
import PolicyWatch

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List the alerts raised so far (from the state).",
        discussion: """
            One line per alert, oldest first: when it was raised, severity, rule, title, link.
            --json prints the alerts as a JSON array (the report's alert objects, with also_seen).

            Examples:
              policywatch alerts --state .policywatch/state.sqlite --since 7d
              policywatch alerts --config policywatch.yaml --tag export-control --json
            """
    )

    @Option(help: ArgumentHelp("The state: a SQLite file or a postgres:// URL (default: the config's state).", valueName: "PATH"))
    var state: String?

    @Option(help: ArgumentHelp("Config file naming the state (default: ./policywatch.yaml if present).", valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("Only alerts raised since then: 30m, 12h, 7d, 2w, 2025-06-01 or an ISO 8601 time.", valueName: "WHEN"))
    var since: String?

    @Option(help: ArgumentHelp("Only alerts whose rule has this tag (repeatable: all must match).", valueName: "TAG"))
    var tag: [String] = []

    @Option(help: ArgumentHelp("Only alerts of this rule id.", valueName: "ID"))
    var rule: String?

    @Flag(help: "Print JSON instead of lines.")
    var json = false

    func validate() throws {
        if let since, Units.since(since) == nil {
            throw ValidationError("--since: cannot read '\(since)'; write e.g. 30m, 12h, 7d, 2w, 2025-06-01")
        }
    }

    func run() throws {
        var statePath = state
        if statePath == nil {
            let cfg = try ConfigOptions.load(explicit: config, ignoreDefault: false)
            statePath = cfg?.state
        }
        guard let statePath else {
            throw ValidationError("no state to read: give --state PATH, or --config FILE with a 'state:' line")
        }
        let alerts: [Alert]
        do {
            let store = try LockedState.read(location: statePath)
            alerts = try store.alerts(since: since.flatMap { Units.since($0) }.map { Timestamp.string($0) }, tags: tag, rule: rule)
        } catch {
            Console.error(PostgresURL.redact("\(error)"))
            throw Exit.stateError
        }
        if json {
            var data = try Report.encoder(pretty: true).encode(alerts)
            data.append(0x0A)
            FileHandle.standardOutput.write(data)
            return
        }
        for a in alerts {
            var line = "\(a.firstSeen)  \(a.rule.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  \(a.rule.id)  \(a.article.title.isEmpty ? "(untitled)" : a.article.title)"
            if let where_ = a.article.url ?? a.article.path { line += "  \(where_)" }
            if let also = a.alsoSeen, !also.isEmpty { line += "  (also seen in \(also.count) more place\(also.count == 1 ? "" : "s"))" }
            Console.out(line)
        }
        Console.error("\(alerts.count) alert\(alerts.count == 1 ? "" : "s")")
    }
}

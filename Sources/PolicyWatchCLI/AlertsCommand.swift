import ArgumentParser
import Foundation
import PolicyWatch

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "List the alerts raised so far (from the state).",
        discussion: """
            A table, one row per alert, oldest first: when it was raised, severity, rule, who acts
            and who is affected (ISO codes), stage, title, link. --json prints the alerts as a
            JSON array (the report's alert objects, with facets and also_seen), one per line.
            --acting, --affected and --stage keep alerts having any of the values given
            (repeatable, or comma-separated); --tag keeps alerts having every tag given.

            Examples:
              policywatch alerts --state .policywatch/state.sqlite --since 7d
              policywatch alerts --acting CN --affected US --tag export-control --stage in_force --since 7d
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

    @Option(help: ArgumentHelp("Only alerts where one of these jurisdictions acts (ISO code or EU; repeatable).", valueName: "CODE"))
    var acting: [String] = []

    @Option(help: ArgumentHelp("Only alerts affecting one of these jurisdictions (repeatable).", valueName: "CODE"))
    var affected: [String] = []

    @Option(help: ArgumentHelp("Only alerts at one of these stages: proposed, announced, in_force, lifted, threatened, protested.", valueName: "STAGE"))
    var stage: [String] = []

    var query: AlertQuery {
        AlertQuery(since: since, tags: tag, rule: rule, facets: facetFilter)
    }

    var facetFilter: FacetFilter {
        FacetFilter(acting: acting.flatMap(FacetFilter.values), affected: affected.flatMap(FacetFilter.values), stages: stage.flatMap(FacetFilter.values))
    }

    @Flag(help: "Print JSON instead of lines.")
    var json = false

    func validate() throws {
        // Whether --since reads does not depend on the time, so any time will do here.
        do { _ = try query.start(now: Date(timeIntervalSince1970: 0)) } catch {
            throw ValidationError("--since: \(error)")
        }
        let f = facetFilter
        if let p = FacetFilter.problem(acting: f.acting, affected: f.affected, stages: f.stages) {
            throw ValidationError("\(p.message); \(p.hint)")
        }
    }

    func run() throws {
        let context = RunContext.process
        var statePath = state
        if statePath == nil {
            let cfg = try ConfigOptions.load(explicit: config, ignoreDefault: false, context: context)
            statePath = cfg?.state
        }
        guard let statePath else {
            throw ValidationError("no state to read: give --state PATH, or --config FILE with a 'state:' line")
        }
        let alerts: [Alert]
        do {
            alerts = try query.alerts(in: LockedState.read(location: statePath, context: context), context: context)
        } catch {
            Console.error(PostgresURL.redact("\(error)"))
            throw Exit.stateError
        }
        if json {
            context.standardOutput(Data(ReportEncoder.alertArray(alerts)))
            return
        }
        for line in AlertTable.lines(alerts) { Console.out(line) }
        Console.error("\(alerts.count) alert\(alerts.count == 1 ? "" : "s")")
    }
}

/// The alerts command's table: fixed-width columns for time, severity, rule and facets, then
/// the title and link (which vary too much in width to pad).
enum AlertTable {
    static func lines(_ alerts: [Alert]) -> [String] {
        guard !alerts.isEmpty else { return [] }
        let ruleWidth = min(40, alerts.map(\.rule.id.count).max() ?? 4)
        let facetCells = alerts.map { a -> String in
            guard let f = a.facets else { return "-" }
            let acting = f.acting.isEmpty ? "?" : f.acting.joined(separator: ",")
            return f.affected.isEmpty ? acting : acting + " > " + f.affected.joined(separator: ",")
        }
        let facetWidth = min(24, max(17, facetCells.map(\.count).max() ?? 5))
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s.padding(toLength: n, withPad: " ", startingAt: 0) }
        var out = [[pad("RAISED", 20), pad("SEVERITY", 8), pad("RULE", ruleWidth), pad("ACTING > AFFECTED", facetWidth), pad("STAGE", 10), "TITLE"].joined(separator: "  ")]
        for (a, facts) in zip(alerts, facetCells) {
            var line = [pad(a.firstSeen, 20), pad(a.rule.severity.rawValue, 8), pad(a.rule.id, ruleWidth), pad(facts, facetWidth),
                        pad(a.facets?.stage ?? "-", 10), a.article.title.isEmpty ? "(untitled)" : a.article.title].joined(separator: "  ")
            if let where_ = a.article.url ?? a.article.path { line += "  \(where_)" }
            if let also = a.alsoSeen, !also.isEmpty { line += "  (also seen in \(also.count) more place\(also.count == 1 ? "" : "s"))" }
            out.append(line)
        }
        return out
    }
}

import ArgumentParser
import Foundation
import PolicyWatch

struct DeliverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Retry the deliveries still owed to reporters, now.",
        discussion: """
            Every (alert, reporter) delivery is recorded in the state. A scan retries
            what failed before; 'deliver' does it at once, without scanning. It uses
            the state and reporters of ./policywatch.yaml (or --config FILE); --state
            and --reporter override them. Give the reporters as the scan had them: a
            reporter is known by its name, else by TYPE:TARGET as written.
            Exit 0 when everything owed was delivered, 3 when some deliveries failed
            again (they stay owed), 75 while a scan holds the state.

            Examples:
              policywatch deliver
              policywatch deliver --status
              policywatch deliver --state s.db --reporter webhook=https://h.example/p
            """
    )

    @Option(help: ArgumentHelp("Read the state and reporters from this config file (default: ./policywatch.yaml if present).", valueName: "FILE"))
    var config: String?

    @Option(help: ArgumentHelp("The state: a SQLite file or a postgres:// URL (default: the config's state).", valueName: "PATH"))
    var state: String?

    @Option(help: ArgumentHelp("Wait up to this many seconds for a run holding the state.", valueName: "SECONDS"))
    var wait: Double?

    @OptionGroup var reporting: ReportingOptions

    @Flag(help: "Show what each reporter is owed and the last error, then exit.")
    var status = false

    @Flag(name: .shortAndLong, help: "Print only errors on stderr.")
    var quiet = false

    func validate() throws {
        if let wait, wait < 0 { throw ValidationError("--wait must be 0 or more seconds") }
    }

    func run() throws {
        let context = RunContext.process
        let cfg = try ConfigOptions.load(explicit: config, ignoreDefault: false, context: context)
        guard let statePath = state ?? cfg?.state else {
            throw ValidationError("deliver needs the state: --state PATH, or a config with a 'state:' line")
        }
        if status {
            let records: [DeliveryRecord]
            do { records = try LockedState.read(location: statePath, context: context).deliveries() } catch {
                Console.error(PostgresURL.redact("\(error)"))
                throw Exit.stateError
            }
            printStatus(records)
            return
        }
        let configs = reporting.reporterArguments.isEmpty ? cfg?.reporters ?? [] : try reporting.configs
        guard !configs.isEmpty else {
            throw ValidationError("give the reporters to deliver to (--reporter NAME=TARGET, or reporters: in the config), or --status")
        }
        let now = context.clock()
        let entries = try Reporting.entries(configs, context: ReporterContext(run: context, now: now))
        let locked = try LockedState.open(location: statePath, wait: wait ?? cfg?.wait ?? 0, lease: cfg?.lease ?? PostgresState.defaultLease,
                                          create: false, context: context)
        defer { locked.release() }

        let records: [DeliveryRecord]
        do { records = try locked.store.deliveries() } catch {
            Console.error(PostgresURL.redact("\(error)"))
            throw Exit.stateError
        }
        let configured = Set(configs.map(\.key))
        let orphans = Set(records.filter { $0.status != .delivered && !configured.contains($0.reporter) }.map(\.reporter))
        for o in orphans.sorted() {
            Console.error("note: '\(o)' is owed alerts but was not given; add its --reporter (TYPE=TARGET as the scan had it, or 'TYPE[name=\(o)]=TARGET')")
        }
        let stamp = Timestamp.string(now)
        let info = Report.RunInfo(started: stamp, finished: stamp, rules: 0, articles: 0, skipped: 0)
        // JSON Lines go through the scan's own sink, so a retry is exactly-once too:
        // an append a killed run left half-done is cut back first, and the file's length is
        // recorded before each append. The other reporters are retried by the dispatcher.
        let summaries = entries.map { entry -> Dispatcher.Summary in
            if entry.reporter is JSONLinesReporter {
                let sink = ReporterSink(entry: entry, outbox: locked.store, started: stamp, context: context)
                sink.begin()
                return sink.finish(run: info, errors: [])
            }
            return Dispatcher(entries: [entry], outbox: locked.store, clock: context.clock).dispatch(run: info, isScan: false)[0]
        }
        if !Reporting.printSummaries(summaries, persistent: true, quiet: quiet) { throw Exit.partial }
    }

    private func printStatus(_ records: [DeliveryRecord]) {
        var order: [String] = []
        var byReporter: [String: [DeliveryRecord]] = [:]
        for r in records {
            if byReporter[r.reporter] == nil { order.append(r.reporter) }
            byReporter[r.reporter, default: []].append(r)
        }
        if order.isEmpty { Console.out("no deliveries recorded") }
        for key in order {
            let rs = byReporter[key]!
            let count = { (s: DeliveryStatus) in rs.filter { $0.status == s }.count }
            Console.out("\(key)\tdelivered \(count(.delivered))\tfailed \(count(.failed))\tpending \(count(.pending))")
            if let last = rs.filter({ $0.status == .failed }).max(by: { $0.updated < $1.updated }), let e = last.lastError {
                Console.out("  last error (\(last.updated)): \(e)")
            }
        }
    }
}

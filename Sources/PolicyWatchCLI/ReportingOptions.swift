import ArgumentParser
import Foundation
import PolicyWatch

/// `--reporter NAME[=TARGET]` (repeatable), shared by `scan` and `deliver`.
struct ReportingOptions: ParsableArguments {
    @Option(name: .customLong("reporter"), help: ArgumentHelp(
        "Send alerts to a reporter (repeatable): console, json=FILE, jsonl=FILE, html=FILE, webhook=URL, command=CMD. "
            + "Options in brackets: 'webhook[format=slack,min_severity=high]=URL'. See docs/reporters.md.",
        valueName: "NAME[=TARGET]"))
    var reporterArguments: [String] = []

    var configs: [ReporterConfig] {
        get throws {
            try reporterArguments.map { arg in
                do {
                    let c = try ReporterConfig.parse(argument: arg)
                    if let p = ReporterRegistry.builtIn.check(c) { throw p.error }
                    return c
                } catch let e as ReporterConfigError {
                    throw ValidationError("--reporter \(arg): \(e.message)" + (e.hint.map { "\n  hint: \($0)" } ?? ""))
                }
            }
        }
    }

    func validate() throws {
        _ = try configs
    }
}

/// `--state PATH`: the SQLite state where deliveries are recorded (the outbox).
struct StateOptions: ParsableArguments {
    @Option(name: .customLong("state"), help: ArgumentHelp(
        "The state file (SQLite). Deliveries are recorded there; failed ones are retried by later runs and by `policywatch deliver`.",
        valueName: "PATH"))
    var statePath: String?
}

/// Builds the dispatcher for a run and prints what happened to each reporter.
struct Delivery {
    let dispatcher: Dispatcher
    let persistent: Bool

    /// The outbox in the state file (SQLite), or in memory for one run.
    static func openLog(statePath: String?) throws -> any DeliveryLog {
        guard let statePath else { return InMemoryDeliveryLog() }
        do { return try SQLiteDeliveryLog(path: statePath) } catch {
            throw ValidationError("--state \(statePath): cannot open the state: \(error)")
        }
    }

    init(configs: [ReporterConfig], statePath: String?, now: Date) throws {
        try self.init(configs: configs, log: Self.openLog(statePath: statePath), persistent: statePath != nil, now: now)
    }

    /// `persistent`: whether a failed delivery can be retried by a later run.
    init(configs: [ReporterConfig], log: any DeliveryLog, persistent: Bool, now: Date) throws {
        do {
            dispatcher = try Dispatcher(configs: configs, context: ReporterContext(now: now), log: log)
        } catch let e as ReporterConfigError {
            throw ValidationError(e.description)
        }
        self.persistent = persistent
    }

    /// Sends and reports on stderr; returns false when a delivery failed.
    func run(newAlerts: [Alert], run info: Report.RunInfo, errors: [InputError], isScan: Bool) -> Bool {
        report(dispatcher.dispatch(newAlerts: newAlerts, run: info, errors: errors, isScan: isScan))
    }

    /// Prints what happened to each reporter (only failures when `quiet`); returns false
    /// when a delivery failed.
    func report(_ summaries: [Dispatcher.Summary], quiet: Bool = false) -> Bool {
        var ok = true
        for s in summaries {
            if s.delivered > 0 && !quiet {
                Console.error("\(s.reporter): delivered \(s.delivered) alert\(s.delivered == 1 ? "" : "s")")
            }
            for e in s.errors { Console.error("\(s.reporter): error: \(e)") }
            if !s.ok {
                ok = false
                let owed = s.failed + s.deferred
                Console.error("\(s.reporter): \(owed) alert\(owed == 1 ? "" : "s") not delivered; "
                    + (persistent ? "kept in the state for the next run (or `policywatch deliver`)" : "lost: give --state PATH to retry later"))
            }
        }
        return ok
    }
}

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

    init(configs: [ReporterConfig], statePath: String?, now: Date) throws {
        let log: any DeliveryLog
        if let statePath {
            do { log = try SQLiteDeliveryLog(path: statePath) } catch {
                throw ValidationError("--state \(statePath): cannot open the state: \(error)")
            }
        } else {
            log = InMemoryDeliveryLog()
        }
        do {
            dispatcher = try Dispatcher(configs: configs, context: ReporterContext(now: now), log: log)
        } catch let e as ReporterConfigError {
            throw ValidationError(e.description)
        }
        persistent = statePath != nil
    }

    /// Sends and reports on stderr; returns false when a delivery failed.
    func run(newAlerts: [Alert], run info: Report.RunInfo, errors: [InputError], isScan: Bool) -> Bool {
        let summaries = dispatcher.dispatch(newAlerts: newAlerts, run: info, errors: errors, isScan: isScan)
        var ok = true
        for s in summaries {
            if s.delivered > 0 {
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

import Foundation

/// Sends alerts to the configured reporters through the state's outbox, so a reporter that
/// is down never costs an alert and a reporter that acknowledged an alert never gets it again.
///
/// The scan queues each new alert for every reporter whose filters accept it, in the same
/// transaction that raises the alert (`StateStore.commit`), so a run killed before
/// delivering loses nothing. (On SQLite, a JSON report without filters is owed by ranges of
/// alerts, one row per transaction; marking alerts one by one turns them into rows first.) The dispatcher then, for each reporter: reads what it is owed
/// (`StateStore.undelivered`: this run's alerts and earlier failures), sends it (one per
/// alert, or one digest), and records each outcome (`markDelivered` / `markFailed`). An
/// alert whose delivery succeeded just before a kill is sent again next run, with the same
/// `Idempotency-Key`, so the receiver can drop it (at-least-once delivery).
public struct Dispatcher: Sendable {
    public struct Entry: Sendable {
        public var config: ReporterConfig
        public var reporter: any Reporter

        public init(config: ReporterConfig, reporter: any Reporter) {
            self.config = config
            self.reporter = reporter
        }
    }

    public var entries: [Entry]
    /// The outbox: the run's state, or an in-memory one for a run without a state file.
    public var outbox: any StateBackend
    /// Stamps deliveries in the outbox (injected, like every clock of the library).
    public var clock: @Sendable () -> Date

    public init(entries: [Entry], outbox: any StateBackend, clock: @escaping @Sendable () -> Date) {
        self.clock = clock
        self.entries = entries
        self.outbox = outbox
    }

    /// Builds every reporter of `configs`; throws the first config error.
    public init(configs: [ReporterConfig], registry: ReporterRegistry = .builtIn, context: ReporterContext, outbox: any StateBackend) throws {
        self.init(entries: try Self.entries(configs, registry: registry, context: context), outbox: outbox, clock: context.run.clock)
    }

    /// Builds the reporters alone: a CLI checks them (a missing secret, a bad option) before
    /// it opens the state or scans anything.
    public static func entries(_ configs: [ReporterConfig], registry: ReporterRegistry = .builtIn, context: ReporterContext) throws -> [Entry] {
        var entries: [Entry] = []
        var keys: Set<String> = []
        for c in configs {
            do {
                entries.append(Entry(config: c, reporter: try registry.make(c, context: context)))
            } catch let e as ReporterConfigError {
                throw ReporterConfigError("\(c.origin): \(e.message)", hint: e.hint)
            }
            guard keys.insert(c.key).inserted else {
                throw ReporterConfigError("\(c.origin): two reporters record deliveries under '\(c.key)'",
                                          hint: "give one of them another target, or a distinct name (--reporter 'TYPE[name=NAME]=TARGET')")
            }
        }
        return entries
    }

    /// What happened to one reporter's deliveries in this call.
    public struct Summary: Sendable, Hashable {
        public var reporter: String
        public var delivered: Int = 0
        public var failed: Int = 0
        /// Owed but not tried, because an earlier delivery found the target down.
        public var deferred: Int = 0
        /// Distinct failure messages, in order.
        public var errors: [String] = []

        /// Everything owed went out, and nothing else failed (such as the report of an empty run).
        public var ok: Bool { failed == 0 && deferred == 0 && errors.isEmpty }
    }

    /// Delivers everything the reporters are owed: this run's alerts (queued by the scan)
    /// and what earlier runs could not deliver. `isScan` is false for `policywatch deliver`
    /// (a retry): reporters that write a report of every run then stay quiet when nothing is owed.
    public func dispatch(run: Report.RunInfo, errors: [InputError] = [], isScan: Bool = true) -> [Summary] {
        entries.map { deliver($0, run: run, errors: errors, isScan: isScan) }
    }

    /// What `entry` would be sent now: its undelivered alerts that pass its filters (the
    /// filters may have changed since the alerts were queued).
    public func owed(_ entry: Entry) throws -> [Alert] {
        try outbox.undelivered(reporter: entry.config.key).filter(entry.config.accepts)
    }

    private func deliver(_ entry: Entry, run: Report.RunInfo, errors: [InputError], isScan: Bool) -> Summary {
        let key = entry.config.key
        var summary = Summary(reporter: key)
        let owed: [Alert]
        do {
            owed = try self.owed(entry)
        } catch {
            // The outbox itself failed: nothing can be promised, so nothing is sent.
            summary.errors = ["cannot read the outbox: \(error)"]
            return summary
        }
        let type = Swift.type(of: entry.reporter)
        let whole = entry.config.digest || type.granularity == .perRun
        if owed.isEmpty {
            // A report of a run with no alerts is still a report (json, console, html).
            if whole && isScan && type.deliversEmptyRuns {
                do { try entry.reporter.deliver(DeliveryBatch(alerts: [], run: run, errors: errors, isDigest: true)) } catch {
                    summary.errors.append((error as? DeliveryError)?.message ?? "\(error)")
                }
            }
            return summary
        }
        let batches = whole
            ? [DeliveryBatch(alerts: owed, run: run, errors: errors, isDigest: true)]
            : owed.map { DeliveryBatch(alerts: [$0], run: run, isDigest: false) }
        for (i, batch) in batches.enumerated() {
            let ids = batch.alerts.map(\.id)
            do {
                try entry.reporter.deliver(batch)
                try outbox.markDelivered(alertIDs: ids, reporter: key, at: Timestamp.string(clock()))
                summary.delivered += ids.count
            } catch {
                let message = (error as? DeliveryError)?.message ?? "\(error)"
                try? outbox.markFailed(alertIDs: ids, reporter: key, error: message, at: Timestamp.string(clock()))
                summary.failed += ids.count
                if !summary.errors.contains(message) { summary.errors.append(message) }
                if (error as? DeliveryError)?.targetDown == true {
                    summary.deferred = batches[(i + 1)...].reduce(0) { $0 + $1.alerts.count }
                    break
                }
            }
        }
        return summary
    }
}

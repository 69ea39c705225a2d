import Foundation

/// Sends alerts to the configured reporters through the outbox, so a reporter that is down
/// never costs an alert and a reporter that acknowledged an alert never gets it again.
///
/// For each reporter, in order: record this run's alerts that pass its filters as owed,
/// read everything it is owed (those plus earlier failures), send them (one per alert, or
/// one digest), and record each outcome. Recording before sending means a run killed
/// mid-delivery leaves the alerts owed; the price is that an alert whose delivery succeeded
/// just before a kill is sent again, with the same `Idempotency-Key` so the receiver can
/// drop it (at-least-once delivery).
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
    public var log: any DeliveryLog

    public init(entries: [Entry], log: any DeliveryLog) {
        self.entries = entries
        self.log = log
    }

    /// Builds every reporter of `configs`; throws the first config error.
    public init(configs: [ReporterConfig], registry: ReporterRegistry = .builtIn, context: ReporterContext, log: any DeliveryLog) throws {
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
        self.init(entries: entries, log: log)
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

        public var ok: Bool { failed == 0 && deferred == 0 }
    }

    /// Delivers this run's new alerts and everything owed from earlier runs.
    /// `isScan` is false for `policywatch deliver` (a retry): reporters that write a report
    /// of every run then stay quiet when nothing is owed.
    public func dispatch(newAlerts: [Alert], run: Report.RunInfo, errors: [InputError] = [], isScan: Bool = true) -> [Summary] {
        entries.map { deliver($0, newAlerts: newAlerts, run: run, errors: errors, isScan: isScan) }
    }

    /// What `reporter` would be sent now (filters applied), after recording `newAlerts` as owed.
    public func plan(_ entry: Entry, newAlerts: [Alert]) throws -> [Alert] {
        let key = entry.config.key
        try log.enqueue(newAlerts.filter(entry.config.accepts), reporter: key)
        return try log.pending(for: key).filter(entry.config.accepts)
    }

    private func deliver(_ entry: Entry, newAlerts: [Alert], run: Report.RunInfo, errors: [InputError], isScan: Bool) -> Summary {
        let key = entry.config.key
        var summary = Summary(reporter: key)
        let owed: [Alert]
        do {
            owed = try plan(entry, newAlerts: newAlerts)
        } catch {
            // The outbox itself failed: nothing can be promised, so nothing is sent.
            summary.failed = newAlerts.filter(entry.config.accepts).count
            summary.errors = ["the delivery log failed: \(error)"]
            return summary
        }
        let type = Swift.type(of: entry.reporter)
        let whole = entry.config.digest || type.granularity == .perRun
        if owed.isEmpty {
            // A report of a run with no alerts is still a report (json, console, html).
            if whole && isScan && type.deliversEmptyRuns {
                do { try entry.reporter.deliver(DeliveryBatch(alerts: [], run: run, errors: errors, isDigest: true)) } catch {
                    summary.errors.append("\(error)")
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
                try log.record(alertIDs: ids, reporter: key, result: .delivered)
                summary.delivered += ids.count
            } catch {
                let message = (error as? DeliveryError)?.message ?? "\(error)"
                try? log.record(alertIDs: ids, reporter: key, result: .failed(message))
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

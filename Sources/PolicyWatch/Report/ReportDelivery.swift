import Foundation

/// Sends each report target the alerts it has not yet received, then records the delivery.
/// The state's outbox makes this at-least-once: an alert is marked delivered only after its
/// report is written, so a run killed in between sends it again next time, and no alert is
/// ever lost between "raised" and "written".
public struct ReportDelivery {
    public struct Result: Sendable {
        public var target: ReportTarget
        /// Alerts in the report written (this run's and any left over from earlier runs).
        public var alerts: [Alert]
        /// Nil when written.
        public var error: String?
    }

    public let state: StateStore

    public init(state: StateStore) {
        self.state = state
    }

    /// Writes one report per target: its undelivered alerts, this run's info and errors.
    public func deliver(to targets: [ReportTarget], run: Report.RunInfo, errors: [InputError], now: String) throws -> [Result] {
        var results: [Result] = []
        for target in targets {
            let alerts = try state.undelivered(reporter: target.name)
            let report = Report(run: run, alerts: alerts, errors: errors)
            do {
                try ReportWriter.write(report, to: target)
            } catch {
                let message = (error as NSError).localizedDescription
                try state.markFailed(alertIDs: alerts.map(\.id), reporter: target.name, error: message, at: now)
                results.append(Result(target: target, alerts: alerts, error: message))
                continue
            }
            try state.markDelivered(alertIDs: alerts.map(\.id), reporter: target.name, at: now)
            results.append(Result(target: target, alerts: alerts, error: nil))
        }
        return results
    }
}

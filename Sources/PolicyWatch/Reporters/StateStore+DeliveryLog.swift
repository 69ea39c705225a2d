// The outbox on the cron branch's state (`StateStore`, Sources/PolicyWatch/State/): compiled
// only once that branch is merged. Until then the flag is unset and this file is empty. After
// the merge, delete the `#if`/`#endif` lines here and in StateDeliveryLogTests.swift, and let
// the CLI open `StateStore` instead of `SQLiteDeliveryLog` (Delivery.openLog), then delete
// SQLiteDeliveryLog.swift: both migrate the same file and must not be mixed. Checked against
// the cron branch at b2a3380 (builds; reporter, state and CLI tests pass).
#if POLICYWATCH_STATE_STORE
import Foundation

extension StateStore: DeliveryLog {
    /// The scan already queued its new alerts for the configured reporters when it committed
    /// them (same transaction); this queues them for a reporter that was not (a filter that
    /// changed, a reporter added on the command line). Only alerts in the state can be queued.
    public func enqueue(_ alerts: [Alert], reporter: String) throws {
        try enqueue(alertIDs: alerts.map(\.id), reporter: reporter, at: Timestamp.string())
    }

    public func pending(for reporter: String) throws -> [Alert] {
        try undelivered(reporter: reporter)
    }

    public func record(alertIDs: [String], reporter: String, result: DeliveryResult) throws {
        let now = Timestamp.string()
        switch result {
        case .delivered: try markDelivered(alertIDs: alertIDs, reporter: reporter, at: now)
        case .failed(let message): try markFailed(alertIDs: alertIDs, reporter: reporter, error: message, at: now)
        }
    }

    // Module-qualified: inside StateStore, `DeliveryRecord` is the state's own row type.
    public func deliveries(for reporter: String?) throws -> [PolicyWatch.DeliveryRecord] {
        try deliveries(alertID: nil, reporter: reporter).map {
            PolicyWatch.DeliveryRecord(alertID: $0.alertID, reporter: $0.reporter,
                                       status: PolicyWatch.DeliveryStatus(rawValue: $0.status.rawValue) ?? .pending,
                           attempts: $0.attempts, lastError: $0.lastError, updated: $0.updated)
        }
    }
}
#endif

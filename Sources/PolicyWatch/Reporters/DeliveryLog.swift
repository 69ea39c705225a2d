import Foundation

/// The outbox: every (alert, reporter) delivery and its outcome (BRIEF §7). Reporters are
/// identified by `ReporterConfig.key`. Implementations: `InMemoryDeliveryLog` (tests, runs
/// without a state file) and `SQLiteDeliveryLog` (the state).
///
/// The contract the dispatcher relies on:
/// - `enqueue` records alerts as owed (pending) with their content, so a later run can send
///   them without the inputs; enqueueing an alert again changes nothing, and in particular
///   never revives an acknowledged one.
/// - `pending` lists what is owed (pending or failed), oldest first.
/// - `record(.delivered)` is final: that reporter never receives that alert again.
public protocol DeliveryLog: Sendable {
    func enqueue(_ alerts: [Alert], reporter: String) throws
    func pending(for reporter: String) throws -> [Alert]
    func record(alertIDs: [String], reporter: String, result: DeliveryResult) throws
    /// Every recorded delivery of a reporter (or of all reporters when nil), oldest first.
    func deliveries(for reporter: String?) throws -> [DeliveryRecord]
}

public enum DeliveryResult: Sendable, Hashable {
    case delivered
    case failed(String)
}

public enum DeliveryStatus: String, Sendable, Codable {
    /// Owed, not tried yet (or the run stopped before trying).
    case pending
    /// Tried and failed; retried on the next run or by `policywatch deliver`.
    case failed
    /// Acknowledged by the reporter's target: final.
    case delivered
}

/// One row of the outbox.
public struct DeliveryRecord: Sendable, Hashable, Codable {
    public var alertID: String
    public var reporter: String
    public var status: DeliveryStatus
    public var attempts: Int
    public var lastError: String?
    /// UTC ISO 8601.
    public var updated: String

    public init(alertID: String, reporter: String, status: DeliveryStatus, attempts: Int, lastError: String?, updated: String) {
        self.alertID = alertID
        self.reporter = reporter
        self.status = status
        self.attempts = attempts
        self.lastError = lastError
        self.updated = updated
    }
}

/// The outbox in memory: for tests, and for runs without a state file (a failure is then
/// reported but cannot be retried by a later run).
public final class InMemoryDeliveryLog: DeliveryLog, @unchecked Sendable {
    private let lock = NSLock()
    private var records: [DeliveryRecord] = []
    private var index: [String: Int] = [:]  // "reporter\nalert" -> records index
    private var alerts: [String: Alert] = [:]
    private let clock: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = Date.init) {
        self.clock = clock
    }

    public func enqueue(_ new: [Alert], reporter: String) throws {
        lock.withLock {
            for a in new {
                let k = reporter + "\n" + a.id
                if alerts[a.id] == nil { alerts[a.id] = a }
                guard index[k] == nil else { continue }
                index[k] = records.count
                records.append(DeliveryRecord(alertID: a.id, reporter: reporter, status: .pending, attempts: 0,
                                              lastError: nil, updated: Timestamp.string(clock())))
            }
        }
    }

    public func pending(for reporter: String) throws -> [Alert] {
        lock.withLock {
            records.filter { $0.reporter == reporter && $0.status != .delivered }.compactMap { alerts[$0.alertID] }
        }
    }

    public func record(alertIDs: [String], reporter: String, result: DeliveryResult) throws {
        lock.withLock {
            let now = Timestamp.string(clock())
            for id in alertIDs {
                guard let i = index[reporter + "\n" + id], records[i].status != .delivered else { continue }
                records[i].attempts += 1
                records[i].updated = now
                switch result {
                case .delivered:
                    records[i].status = .delivered
                    records[i].lastError = nil
                case .failed(let message):
                    records[i].status = .failed
                    records[i].lastError = message
                }
            }
        }
    }

    public func deliveries(for reporter: String?) throws -> [DeliveryRecord] {
        lock.withLock { records.filter { reporter == nil || $0.reporter == reporter } }
    }
}

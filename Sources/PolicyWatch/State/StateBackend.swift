import Foundation

/// A state that lasts across runs: the story index, the outbox of deliveries and the alert
/// history. Two implementations: `StateStore` (one SQLite file, one run at a time under
/// `StateLock`) and `PostgresState` (one database shared by several scanners, which claim
/// sources and outbox rows so that each alert is raised once and each reporter gets it once).
///
/// Outbox rows handed out by `undelivered` belong to the caller until it marks them (or, on
/// PostgreSQL, until the claim's lease runs out), so two processes never deliver the same
/// (alert, reporter) at once.
public protocol StateBackend: StoryIndex {
    /// Where the state is, as shown in messages (a path, or a URL without its password).
    var location: String { get }
    /// Several processes use it at once (so one may leave owed alerts for another to send).
    var isShared: Bool { get }

    /// Alerts owed to `reporter` (pending, or failed last time), oldest first, with `also_seen`;
    /// claimed for this process.
    func undelivered(reporter: String) throws -> [Alert]
    /// Recorded deliveries (of one alert, of one reporter, or all), oldest first.
    func deliveries(alertID: String?, reporter: String?) throws -> [DeliveryRecord]
    /// Final: that reporter never receives these alerts again.
    func markDelivered(alertIDs: [String], reporter: String, at time: String) throws
    /// Tried and failed: owed again (and no longer claimed).
    func markFailed(alertIDs: [String], reporter: String, error: String, at time: String) throws
    /// Marks everything still owed to `reporter` (and held by this process) as delivered or failed.
    func markAllOpen(reporter: String, delivered: Bool, error: String?, at time: String) throws

    /// Records that `reporter` is about to append to `path`, now `length` bytes long.
    func beginAppend(reporter: String, path: String, length: Int64) throws
    /// The append has reached the disk: its alerts are delivered, in the same transaction.
    func finishAppend(reporter: String, alertIDs: [String], at time: String) throws
    /// An append a killed run started and did not finish: the file and its length before it.
    func unfinishedAppend(reporter: String) throws -> (path: String, length: Int64)?
    func clearAppend(reporter: String) throws

    /// Raised alerts, oldest first: raised at or after `since` (ISO 8601 UTC), carrying every
    /// tag in `tags`, of rule `rule`.
    func alerts(since: String?, tags: [String], rule: String?) throws -> [Alert]
}

extension StateBackend {
    public func deliveries() throws -> [DeliveryRecord] { try deliveries(alertID: nil, reporter: nil) }
}

extension StateStore: StateBackend {
    public var location: String { path ?? ":memory:" }
    public var isShared: Bool { false }
}

/// Which kind of state a `state:` value names.
public enum StateLocation: Sendable, Equatable {
    case sqlite(path: String)
    /// The URL as written (with `${VAR}`); parsed when opened, against the environment.
    case postgres(url: String)

    public init(_ text: String) {
        self = PostgresURL.isPostgres(text) ? .postgres(url: text) : .sqlite(path: text)
    }

    /// As shown in messages: a path, or the URL with any password hidden.
    public var display: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return PostgresURL.redact(url)
        }
    }
}

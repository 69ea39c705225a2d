import Foundation

/// Where alerts go. One small type per reporter, registered by name in
/// `ReporterRegistry` (the shape of SwiftLint's reporters). A reporter only formats and
/// sends: what to send, and remembering what was acknowledged, is the `Dispatcher`'s job.
public protocol Reporter: Sendable {
    /// The name used on the command line and in the config (`--reporter json=out.json`).
    static var identifier: String { get }
    /// One line for `--help` and the docs.
    static var summary: String { get }
    /// The options this reporter reads, besides the common ones (`ReporterOption.common`).
    static var options: [ReporterOption] { get }
    /// How alerts are grouped when the config does not ask for a digest.
    static var granularity: DeliveryGranularity { get }
    /// Whether a scan that raised nothing still produces output (a report file saying "no
    /// alerts" is useful; an empty webhook call is not).
    static var deliversEmptyRuns: Bool { get }

    /// Checks the config; throws `ReporterConfigError` with what to fix.
    init(config: ReporterConfig, context: ReporterContext) throws

    /// Delivers one batch. Returning means the target acknowledged every alert in it;
    /// throwing `DeliveryError` means none of them counts as delivered.
    func deliver(_ batch: DeliveryBatch) throws
}

public extension Reporter {
    static var deliversEmptyRuns: Bool { false }
}

public enum DeliveryGranularity: Sendable {
    /// One delivery per alert (a message each); `digest: true` makes it one per run.
    case perAlert
    /// One delivery per run holding all its alerts (a report file, a page).
    case perRun
}

/// An option a reporter understands, for validation ("did you mean") and the docs.
public struct ReporterOption: Sendable, Hashable {
    public var name: String
    public var help: String

    public init(_ name: String, _ help: String) {
        self.name = name
        self.help = help
    }

    /// Options every reporter takes; the dispatcher reads them.
    public static let common: [ReporterOption] = [
        .init("min_severity", "only alerts of this severity or higher (info, low, medium, high, critical)"),
        .init("tags", "only alerts of rules with one of these tags"),
        .init("acting", "only alerts whose acting jurisdictions include one of these codes (e.g. CN US)"),
        .init("affected", "only alerts whose affected jurisdictions include one of these codes"),
        .init("stage", "only alerts at one of these stages (proposed, announced, in_force, lifted, threatened, protested)"),
        .init("digest", "true: one delivery per run instead of one per alert"),
        .init("name", "the name deliveries are recorded under in the state (default TYPE:TARGET)"),
    ]
}

/// What one delivery carries: some alerts of a run, and the run they belong to.
public struct DeliveryBatch: Sendable {
    public var alerts: [Alert]
    public var run: Report.RunInfo
    /// Inputs the run skipped; only in whole-run deliveries (a per-alert message is about its alert).
    public var errors: [InputError]
    /// True when the batch holds a whole run (a digest or a per-run reporter).
    public var isDigest: Bool

    public init(alerts: [Alert], run: Report.RunInfo, errors: [InputError] = [], isDigest: Bool) {
        self.alerts = alerts
        self.run = run
        self.errors = errors
        self.isDigest = isDigest
    }

    /// The batch as a report (format v1, `docs/report.schema.json`): what json, webhook and
    /// command reporters send, so every consumer reads one schema.
    public var report: Report {
        Report(run: run, alerts: alerts, errors: errors)
    }

    /// Stable for the same set of alerts: the alert id for one alert, else a hash of the
    /// sorted ids, so a receiver can drop a retried digest it has already processed.
    public var idempotencyKey: String {
        if alerts.count == 1 { return alerts[0].id }
        return "digest-" + StableHash.hex(alerts.map(\.id).sorted().joined(separator: ","))
    }
}

/// What a reporter needs from the world: the run's context and the time the run started.
/// Derived from the `RunContext`, so a reporter sees the same environment, directory and
/// streams as the rest of the run; tests inject both.
public struct ReporterContext: Sendable {
    public var run: RunContext
    /// The run's time: `{date}` in paths. Fixed for the run, so every reporter of a run
    /// names the same day.
    public var now: Date

    /// `now` defaults to the run's clock, read once.
    public init(run: RunContext, now: Date? = nil) {
        self.run = run
        self.now = now ?? run.clock()
    }

    /// For `${VAR}` in targets and options (webhook headers, URLs).
    public var environment: [String: String] { run.environment }
    /// Writes text to standard output (console; json/jsonl/html with target `-`).
    public var standardOutput: @Sendable (Data) -> Void { run.standardOutput }
    /// Writes text to standard error (console with target `stderr`).
    public var standardError: @Sendable (Data) -> Void { run.standardError }
    /// Whether standard output is a terminal (colour).
    public var stdoutIsTerminal: Bool { run.stdoutIsTerminal }
    /// Whether standard error is a terminal (colour with target `stderr`).
    public var stderrIsTerminal: Bool { run.stderrIsTerminal }
    /// The directory relative paths are resolved against: the run's working directory, or
    /// the config file's for a reporter of a config (`ReporterRegistry.make` sets it).
    public var directory: String {
        get { run.workingDirectory }
        set { run.workingDirectory = newValue }
    }

    /// Resolves a relative path against `directory`.
    public func path(_ p: String) -> String {
        p.hasPrefix("/") ? p : URL(fileURLWithPath: directory).appendingPathComponent(p).path
    }
}

/// A reporter's config is wrong: the message says what to fix.
public struct ReporterConfigError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { hint.map { "\(message)\n  hint: \($0)" } ?? message }
}

/// A delivery did not reach its target. The message never holds a secret: reporters
/// describe targets as configured (`${VAR}` unexpanded) and run messages through `Redactor`.
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The target is unreachable (connection refused, timeout, 5xx): the dispatcher stops
    /// sending to this reporter for the rest of the run instead of failing every alert slowly.
    public var targetDown: Bool

    public init(_ message: String, targetDown: Bool = false) {
        self.message = message
        self.targetDown = targetDown
    }

    public var description: String { message }
}

import ArgumentParser
import Foundation
import PolicyWatch

/// `--reporter NAME[=TARGET]` (repeatable), shared by `scan` and `deliver`.
struct ReportingOptions: ParsableArguments {
    @Option(name: .customLong("reporter"), help: ArgumentHelp(
        "Send alerts to a reporter (repeatable; replaces the config's reporters): console, json=FILE, jsonl=FILE, html=FILE, "
            + "webhook=URL, command=CMD. Options in brackets: 'webhook[format=slack,min_severity=high]=URL'. See docs/reporters.md.",
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

enum Reporting {
    /// Builds the reporters of a run before the state is opened or anything is scanned, so a
    /// missing secret or a bad option is a usage error (64) that costs nothing.
    static func entries(_ configs: [ReporterConfig], context: ReporterContext) throws -> [Dispatcher.Entry] {
        do {
            return try Dispatcher.entries(configs, context: context)
        } catch let e as ReporterConfigError {
            throw ValidationError(e.description)
        }
    }

    /// Prints what happened to each reporter on stderr: failures always; deliveries unless
    /// `quiet`, or the reporter is in `summarised` (the plain report, which the scan's own
    /// summary line mentions). `persistent`: whether a failed delivery waits in a state file.
    /// Returns false when a delivery failed.
    static func printSummaries(_ summaries: [Dispatcher.Summary], persistent: Bool, quiet: Bool, summarised: Set<String> = []) -> Bool {
        var ok = true
        for s in summaries {
            if s.delivered > 0 && !quiet && !summarised.contains(s.reporter) {
                Console.error("\(s.reporter): delivered \(s.delivered) alert\(s.delivered == 1 ? "" : "s")")
            }
            for e in s.errors { Console.error("\(s.reporter): error: \(e)") }
            guard !s.ok else { continue }
            ok = false
            let owed = s.failed + s.deferred
            if owed > 0 {
                Console.error("\(s.reporter): \(owed) alert\(owed == 1 ? "" : "s") not delivered; "
                    + (persistent ? "kept in the state for the next run (or 'policywatch deliver')" : "lost: give --state PATH to retry later"))
            }
        }
        return ok
    }
}

/// The state a run works on. A SQLite file is locked for the run (one scan or deliver at a
/// time per file, exit 75 while busy); a PostgreSQL state is shared by several scanners,
/// which lease sources and claim outbox rows instead. The lock lasts as long as this value.
struct LockedState {
    let store: any StateBackend
    let lock: StateLock?
    /// The PostgreSQL state, which also leases sources.
    var shared: PostgresState? { store as? PostgresState }

    /// Opens the state named by `location` (a path or a postgres:// URL), or makes an
    /// in-memory one when it is nil. Prints the problem and throws the documented exit code
    /// (75 busy, 74 state error).
    static func open(location: String?, wait: TimeInterval, lease: TimeInterval = PostgresState.defaultLease, create: Bool = true,
                     context: RunContext) throws -> LockedState {
        guard let location else {
            do { return LockedState(store: try StateStore.inMemory(), lock: nil) } catch {
                Console.error("state: error: \(error)")
                throw Exit.stateError
            }
        }
        do {
            switch StateLocation(location) {
            case .postgres(let url):
                let state = try PostgresState.open(url: url, context: context, lease: lease)
                return LockedState(store: state, lock: nil)
            case .sqlite(let path):
                if !create && !FileManager.default.fileExists(atPath: path) {
                    _ = try StateStore.open(path: path, create: false)  // throws "no state file here", with a hint
                }
                let lock = try StateLock.acquire(statePath: path, wait: wait)
                return LockedState(store: try StateStore.open(path: path, create: create), lock: lock)
            }
        } catch let busy as StateLock.Busy {
            Console.error(busy.description)
            throw Exit.locked
        } catch {
            Console.error(PostgresURL.redact("\(error)"))
            throw Exit.stateError
        }
    }

    /// Opens a state to read it (`alerts`, `deliver --status`): no lock; a SQLite file must
    /// exist (a PostgreSQL database gets its tables, empty, on first use).
    static func read(location: String, context: RunContext) throws -> any StateBackend {
        switch StateLocation(location) {
        case .postgres(let url):
            return try PostgresState.open(url: url, context: context, lease: PostgresState.defaultLease)
        case .sqlite(let path):
            return try StateStore.open(path: path, create: false)
        }
    }

    /// Ends this process's claims on a shared state (best effort: the leases run out anyway).
    func release() {
        try? shared?.releaseClaims()
    }
}

import Foundation

/// Where a scan's alerts go as they are raised: `begin` before the first batch, `append`
/// after each batch is committed (alerts in input order), `finish` with the run's figures.
/// `begin` and `finish` are called on the thread that runs the scan, `append` on the
/// pipeline's sink thread (one call at a time, all before `finish`), so that encoding a
/// batch overlaps committing the next.
/// A sink never throws: what it could not deliver is in its summary (and, with a state,
/// still owed in the outbox for the next run or `policywatch deliver`).
public protocol AlertSink: AnyObject {
    func begin()
    func append(_ alerts: [Alert])
    func finish(run: Report.RunInfo, errors: [InputError]) -> Dispatcher.Summary
}

/// Keeps every alert it is given (tests, and programs embedding the library).
public final class AlertCollector: AlertSink {
    public private(set) var alerts: [Alert] = []
    public private(set) var run: Report.RunInfo?
    public private(set) var errors: [InputError] = []

    public init() {}

    public func begin() {}
    public func append(_ alerts: [Alert]) { self.alerts += alerts }

    public func finish(run: Report.RunInfo, errors: [InputError]) -> Dispatcher.Summary {
        self.run = run
        self.errors = errors
        return Dispatcher.Summary(reporter: "collector", delivered: alerts.count)
    }
}

/// One configured reporter as a sink. How it receives alerts depends on what it is:
///
/// - `json` (the report): one streamed encoder writing a temporary file renamed into place
///   at `finish` (or standard output), so memory does not grow with the alerts;
/// - `jsonl` to a file: appended after each batch. With a state the append is exactly-once:
///   the file's length is recorded before it and the alerts marked delivered after it, so a
///   run killed in between cuts the file back on the next run and sends them again;
/// - per-alert reporters (webhook, command): each alert as it is raised; with a state, each
///   is marked delivered as soon as it is acknowledged, so a kill resends at most one;
/// - the others (console, html, digests, `json` with `merge`): once, at `finish`, from the
///   outbox with a state, else from the alerts kept for it.
public final class ReporterSink: AlertSink {
    public let entry: Dispatcher.Entry
    /// The state's outbox, or nil for a run without state (a failed delivery is then lost).
    let outbox: (any StateBackend)?
    let clock: @Sendable () -> Date
    let started: String
    private var summary: Dispatcher.Summary
    private let mode: Mode
    private var kept: [Alert] = []
    private var report: (stream: ReportStream, file: AtomicFile.Writer?)?
    private var targetDown = false

    enum Mode {
        case report(JSONReporter)
        case lines(JSONLinesReporter)
        case eachAlert
        case atTheEnd
    }

    /// `context`: the clock that stamps deliveries, and the processors to encode on.
    public init(entry: Dispatcher.Entry, outbox: (any StateBackend)?, started: String, context: RunContext) {
        self.entry = entry
        self.outbox = outbox
        self.started = started
        self.clock = context.clock
        threads = context.processorCount
        summary = Dispatcher.Summary(reporter: entry.config.key)
        let type = Swift.type(of: entry.reporter)
        if let r = entry.reporter as? JSONReporter, !r.merge {
            mode = .report(r)
        } else if let r = entry.reporter as? JSONLinesReporter {
            mode = .lines(r)
        } else if type.granularity == .perAlert && !entry.config.digest {
            mode = .eachAlert
        } else {
            mode = .atTheEnd
        }
    }

    public var key: String { entry.config.key }

    /// It takes everything it is owed in one piece and marks it all at the end of the run
    /// (`markAllOpen`): the JSON report. With a state, what it is owed is recorded as ranges
    /// of alerts rather than one outbox row per alert (`StoryBatch.wholeRunReporters`).
    public var takesWholeRun: Bool {
        if case .report = mode { return true }
        return false
    }
    /// The bytes it would have the scanning threads encode ahead (`RuleScanner.encodeAhead`).
    public var encodedAhead: ReportEncoder.Targets {
        switch mode {
        case .report, .lines: .alerts
        case .eachAlert, .atTheEnd: []
        }
    }
    /// Large batches are encoded on all cores.
    let threads: Int
    var now: String { Timestamp.string(clock()) }

    public func begin() {
        switch mode {
        case .report(let r):
            do {
                report = (ReportStream(), try r.path.map { try AtomicFile.Writer(path: $0) })
            } catch {
                fail("cannot write \(r.path ?? "-"): \(error)", count: 0)
            }
        case .lines(let r):
            if let outbox, let path = r.path { recoverAppend(outbox, path: path) }
        case .eachAlert, .atTheEnd:
            break
        }
        guard let outbox, !isAtTheEnd else { return }
        // What earlier runs could not deliver goes first.
        do {
            let owed = try outbox.undelivered(reporter: key).filter(entry.config.accepts)
            if !owed.isEmpty { append(owed) }
        } catch {
            summary.errors.append("cannot read the outbox: \(error)")
        }
    }

    private var isAtTheEnd: Bool {
        if case .atTheEnd = mode { return true }
        return false
    }

    public func append(_ alerts: [Alert]) {
        // Filtering copies every alert: only when there is a filter.
        let alerts = entry.config.acceptsEveryAlert ? alerts : alerts.filter(entry.config.accepts)
        guard !alerts.isEmpty else { return }
        switch mode {
        case .report:
            guard report != nil else { summary.failed += alerts.count; return }
            report!.stream.append(alerts, threads: threads)
            if report!.stream.unwrittenCount >= writeBytes {
                report!.stream.exchange(&pending)
                write([])
            }
        case .lines(let r):
            appendLines(alerts, reporter: r)
        case .eachAlert:
            for a in alerts { deliverOne(a) }
        case .atTheEnd:
            if outbox == nil { kept += alerts }
        }
    }

    /// Report bytes being written (the stream's, exchanged for this buffer's memory once they
    /// reach `writeBytes`).
    private var pending: [UInt8] = []

    /// How many report bytes are gathered before they are written: a megabyte (tests set less,
    /// to write many times in a small run).
    var writeBytes = 1 << 20

    /// Writes what is pending and then `bytes`; the pending buffer keeps its memory, so a run
    /// does not map and fault in fresh pages for every megabyte of report.
    private func write(_ bytes: [UInt8]) {
        guard let r = report else { return }
        pending += bytes
        // Emptied once written, while no other reference to its buffer is left.
        defer { pending.removeAll(keepingCapacity: true) }
        if let file = r.file {
            do { try file.write(pending) } catch {
                file.discard()
                report = nil
                fail("cannot write \(file.path): \(error)", count: r.stream.alertCount)
            }
        } else if case .report(let reporter) = mode {
            reporter.context.standardOutput(Data(pending))
        }
    }

    public func finish(run: Report.RunInfo, errors: [InputError]) -> Dispatcher.Summary {
        switch mode {
        case .report:
            guard var r = report else {
                // It failed before it began: what it was owed stays owed.
                try? outbox?.markAllOpen(reporter: key, delivered: false, error: summary.errors.first, at: now)
                break
            }
            let tail = r.stream.finish(run: run, errors: errors)
            write(tail)
            guard report != nil else {
                try? outbox?.markAllOpen(reporter: key, delivered: false, error: summary.errors.first, at: now)
                break
            }
            do {
                try r.file?.commit()
                summary.delivered += r.stream.alertCount
                try outbox?.markAllOpen(reporter: key, delivered: true, error: nil, at: now)
            } catch {
                let message = "cannot write \(r.file?.path ?? "-"): \(error)"
                fail(message, count: r.stream.alertCount)
                try? outbox?.markAllOpen(reporter: key, delivered: false, error: message, at: now)
            }
        case .lines:
            break
        case .eachAlert:
            // On a shared state, what another scanner left owed (it died, or failed to send)
            // is free now: send it too.
            if let outbox, outbox.isShared, !targetDown {
                do {
                    for a in try outbox.undelivered(reporter: key).filter(entry.config.accepts) { deliverOne(a) }
                } catch {
                    summary.errors.append("cannot read the outbox: \(error)")
                }
            }
        case .atTheEnd:
            if let outbox {
                let s = Dispatcher(entries: [entry], outbox: outbox, clock: clock).dispatch(run: run, errors: errors)
                return s.first ?? summary
            }
            deliverKept(run: run, errors: errors)
        }
        return summary
    }

    // MARK: Modes

    private func appendLines(_ alerts: [Alert], reporter: JSONLinesReporter) {
        let data = Data(ReportEncoder.jsonLines(alerts, threads: threads))
        guard let path = reporter.path else {
            reporter.context.standardOutput(data)
            summary.delivered += alerts.count
            // Standard output cannot be cut back: the lines are marked delivered once written.
            do { try outbox?.markDelivered(alertIDs: alerts.map(\.id), reporter: key, at: now) } catch {
                summary.errors.append("cannot record the delivery: \(error)")
            }
            return
        }
        do {
            if let outbox { try outbox.beginAppend(reporter: key, path: path, length: AtomicFile.length(path) ?? 0) }
            try AtomicFile.append(data, to: path)
            if let outbox { try outbox.finishAppend(reporter: key, alertIDs: alerts.map(\.id), at: now) }
            summary.delivered += alerts.count
        } catch {
            fail("cannot append to \(path): \(error)", alerts: alerts)
        }
    }

    /// Undoes an append that a killed run began and did not record as done: its alerts are
    /// still owed and are appended again.
    private func recoverAppend(_ outbox: any StateBackend, path: String) {
        do {
            guard let open = try outbox.unfinishedAppend(reporter: key) else { return }
            if open.path == path, let length = AtomicFile.length(path), length > open.length {
                try AtomicFile.truncate(path, to: open.length)
            }
            try outbox.clearAppend(reporter: key)
        } catch {
            summary.errors.append("cannot undo an interrupted append to \(path): \(error)")
        }
    }

    private func deliverOne(_ alert: Alert) {
        guard !targetDown else {
            summary.deferred += 1
            return
        }
        let run = Report.RunInfo(started: started, finished: now, rules: 0, articles: 0, skipped: 0)
        do {
            try entry.reporter.deliver(DeliveryBatch(alerts: [alert], run: run, isDigest: false))
            try outbox?.markDelivered(alertIDs: [alert.id], reporter: key, at: now)
            summary.delivered += 1
        } catch {
            fail((error as? DeliveryError)?.message ?? "\(error)", alerts: [alert])
            targetDown = (error as? DeliveryError)?.targetDown == true
        }
    }

    private func deliverKept(run: Report.RunInfo, errors: [InputError]) {
        guard !kept.isEmpty || Swift.type(of: entry.reporter).deliversEmptyRuns else { return }
        do {
            try entry.reporter.deliver(DeliveryBatch(alerts: kept, run: run, errors: errors, isDigest: true))
            summary.delivered += kept.count
        } catch {
            fail((error as? DeliveryError)?.message ?? "\(error)", count: kept.count)
        }
    }

    private func fail(_ message: String, alerts: [Alert]) {
        try? outbox?.markFailed(alertIDs: alerts.map(\.id), reporter: key, error: message, at: now)
        fail(message, count: alerts.count)
    }

    private func fail(_ message: String, count: Int) {
        summary.failed += count
        if !summary.errors.contains(message) { summary.errors.append(message) }
    }
}

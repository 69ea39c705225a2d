import ArgumentParser
import Foundation
import PolicyWatch

struct DeliverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Retry the deliveries still owed to reporters, now.",
        discussion: """
            Every (alert, reporter) delivery is recorded in the state. A scan retries what failed
            before; `deliver` does it at once, without scanning. Give the same reporters as the scan
            (a reporter is known by NAME:TARGET as written). Exit 0 when everything owed was
            delivered, 3 when some deliveries failed again (they stay owed).

            Examples:
              policywatch deliver --state state.db --reporter webhook=https://hooks.example.org/p
              policywatch deliver --state state.db --status
            """
    )

    @OptionGroup var state: StateOptions
    @OptionGroup var reporting: ReportingOptions

    @Flag(help: "Show what each reporter is owed and the last error, then exit.")
    var status = false

    func validate() throws {
        guard state.statePath != nil else { throw ValidationError("deliver needs the state: --state PATH") }
        if !status && reporting.reporterArguments.isEmpty {
            throw ValidationError("give the reporters to deliver to (--reporter NAME=TARGET), or --status")
        }
    }

    func run() throws {
        let now = Date()
        let delivery = try Delivery(configs: try reporting.configs, statePath: state.statePath, now: now)
        let records = try delivery.dispatcher.log.deliveries(for: nil)
        if status {
            printStatus(records)
            return
        }
        let configured = Set(delivery.dispatcher.entries.map(\.config.key))
        let orphans = Set(records.filter { $0.status != .delivered && !configured.contains($0.reporter) }.map(\.reporter))
        for o in orphans.sorted() {
            Console.error("note: '\(o)' is owed alerts but was not given; add --reporter for it to deliver them")
        }
        let stamp = Timestamp.string(now)
        let info = Report.RunInfo(started: stamp, finished: stamp, rules: 0, articles: 0, skipped: 0)
        let ok = delivery.run(newAlerts: [], run: info, errors: [], isScan: false)
        if !ok { throw Exit.partial }
    }

    private func printStatus(_ records: [DeliveryRecord]) {
        var order: [String] = []
        var byReporter: [String: [DeliveryRecord]] = [:]
        for r in records {
            if byReporter[r.reporter] == nil { order.append(r.reporter) }
            byReporter[r.reporter, default: []].append(r)
        }
        if order.isEmpty { Console.out("no deliveries recorded") }
        for key in order {
            let rs = byReporter[key]!
            let count = { (s: DeliveryStatus) in rs.filter { $0.status == s }.count }
            Console.out("\(key)\tdelivered \(count(.delivered))\tfailed \(count(.failed))\tpending \(count(.pending))")
            if let last = rs.filter({ $0.status == .failed }).max(by: { $0.updated < $1.updated }), let e = last.lastError {
                Console.out("  last error (\(last.updated)): \(e)")
            }
        }
    }
}

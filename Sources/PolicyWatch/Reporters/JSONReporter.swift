import Foundation

/// `json`: the run's report (format v1) in a file, written atomically; `-` or no target
/// is standard output. The path may hold the run's date: `reports/{date}.json`.
public struct JSONReporter: Reporter {
    public static let identifier = "json"
    public static let summary = "the report (format v1) in a file; the path may hold {date}, {time}"
    public static let options: [ReporterOption] = [
        .init("merge", "true: add this run's alerts to the report already in the file (one file a day with {date})"),
    ]
    public static let granularity = DeliveryGranularity.perRun
    public static let deliversEmptyRuns = true

    let pathTemplate: String?
    let merge: Bool
    let context: ReporterContext

    /// The file this run writes (its date filled in), or nil for standard output.
    var path: String? { pathTemplate.map { context.path(PathTemplate.expand($0, at: context.now)) } }

    public init(config: ReporterConfig, context: ReporterContext) throws {
        pathTemplate = try config.fileTarget()
        merge = try config.bool("merge", default: false)
        self.context = context
    }

    public func deliver(_ batch: DeliveryBatch) throws {
        var report = batch.report
        guard let pathTemplate else {
            context.standardOutput(try encode(report))
            return
        }
        let path = context.path(PathTemplate.expand(pathTemplate, at: context.now))
        if merge, let old = try? Data(contentsOf: URL(fileURLWithPath: path)) {
            guard let earlier = try? JSONDecoder().decode(Report.self, from: old) else {
                throw DeliveryError("\(path) is not a policywatch report; not merging into it")
            }
            let known = Set(report.alerts.map(\.id))
            report.alerts = earlier.alerts.filter { !known.contains($0.id) } + report.alerts
            report.errors = earlier.errors + report.errors
            report.run.started = min(earlier.run.started, report.run.started)
            report.run.articles += earlier.run.articles
            report.run.skipped += earlier.run.skipped
        }
        try FileOutput.write(try encode(report), to: path)
    }

    private func encode(_ report: Report) throws -> Data {
        do { return try report.jsonData() } catch { throw DeliveryError("cannot encode the report: \(error)") }
    }
}

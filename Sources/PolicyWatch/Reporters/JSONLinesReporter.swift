import Foundation

/// `jsonl`: appends one alert per line (compact JSON, sorted keys) for log shippers;
/// `-` or no target is standard output.
public struct JSONLinesReporter: Reporter {
    public static let identifier = "jsonl"
    public static let summary = "appends one alert per line (JSON Lines); the path may hold {date}"
    public static let options: [ReporterOption] = []
    public static let granularity = DeliveryGranularity.perRun

    let pathTemplate: String?
    let context: ReporterContext

    /// The file this run appends to (its date filled in), or nil for standard output.
    var path: String? { pathTemplate.map { context.path(PathTemplate.expand($0, at: context.now)) } }

    public init(config: ReporterConfig, context: ReporterContext) throws {
        pathTemplate = try config.fileTarget()
        self.context = context
    }

    public func deliver(_ batch: DeliveryBatch) throws {
        let data = Data(ReportEncoder.jsonLines(batch.alerts))
        guard let path else {
            context.standardOutput(data)
            return
        }
        try FileOutput.append(data, to: path)
    }
}

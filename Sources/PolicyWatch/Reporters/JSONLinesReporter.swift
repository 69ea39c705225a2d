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

    public init(config: ReporterConfig, context: ReporterContext) throws {
        pathTemplate = try config.fileTarget()
        self.context = context
    }

    public func deliver(_ batch: DeliveryBatch) throws {
        let encoder = Report.encoder(pretty: false)
        var data = Data()
        for alert in batch.alerts {
            data.append(try encoder.encode(alert))
            data.append(0x0A)
        }
        guard let pathTemplate else {
            context.standardOutput(data)
            return
        }
        try FileOutput.append(data, to: context.path(PathTemplate.expand(pathTemplate, at: context.now)))
    }
}

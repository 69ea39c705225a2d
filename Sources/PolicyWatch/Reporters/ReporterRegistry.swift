/// Reporters by name. A value: a program that adds its own reporter copies `builtIn` and
/// registers it (`var r = ReporterRegistry.builtIn; r.register(MyReporter.self)`), so
/// there is no global registry to mutate.
public struct ReporterRegistry: Sendable {
    private var types: [String: any Reporter.Type] = [:]

    /// The reporters that ship with policywatch.
    public static let builtIn = ReporterRegistry([
        ConsoleReporter.self,
        JSONReporter.self,
        JSONLinesReporter.self,
        HTMLReporter.self,
        WebhookReporter.self,
        CommandReporter.self,
    ])

    public init(_ types: [any Reporter.Type] = []) {
        for t in types { register(t) }
    }

    /// Adds (or replaces) a reporter under its `identifier`.
    public mutating func register(_ type: any Reporter.Type) {
        types[type.identifier] = type
    }

    public var names: [String] { types.keys.sorted() }

    public func type(named name: String) -> (any Reporter.Type)? { types[name] }

    /// A config problem, and the option it is about (for positioned YAML errors).
    public struct Problem: Sendable {
        public var error: ReporterConfigError
        public var option: String?
    }

    /// Checks a config's name and option names without building the reporter.
    public func check(_ config: ReporterConfig) -> Problem? {
        guard let type = types[config.type] else {
            let hint = Suggest.hint(for: config.type, among: names, noun: "types")
            return Problem(error: ReporterConfigError("unknown reporter type '\(config.type)'", hint: hint), option: "name")
        }
        let known = (type.options + ReporterOption.common).map(\.name)
        for key in config.options.keys.sorted() where !known.contains(key) {
            let hint = Suggest.hint(for: key, among: known.sorted(), noun: "options")
            return Problem(error: ReporterConfigError("unknown option '\(key)' for reporter '\(config.type)'", hint: hint), option: key)
        }
        return nil
    }

    /// Builds the reporter for a config, checking its name and options first.
    public func make(_ config: ReporterConfig, context: ReporterContext) throws -> any Reporter {
        if let problem = check(config) { throw problem.error }
        var context = context
        if let directory = config.directory { context.directory = directory }
        return try types[config.type]!.init(config: config, context: context)
    }
}

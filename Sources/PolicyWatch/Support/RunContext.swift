import Foundation

/// Everything a run takes from the world outside the program, in one value: the clock, the
/// environment variables, the working directory, the standard streams, whether they are
/// terminals, the number of processors and the host's name.
///
/// The library reads none of these from the process itself. The command line builds one
/// context from the real process (`RunContext.process`) when it starts and passes it down;
/// a test or an embedding program passes its own (a fixed clock, a pipe for standard input,
/// a captured output, another HOME). Public entry points that need it take a `context:`
/// whose default is `.process` (docs/library.md); nothing inside the library uses `.process`.
///
/// The clock is the run's calendar time: when alerts are raised, the report's times,
/// `{date}` in paths, `--since`. Waiting (a lock's `--wait`, a command's timeout, a progress
/// line's pace) is measured with the monotonic `ContinuousClock` instead, which neither an
/// injected clock nor a change of the system time can move.
public struct RunContext: Sendable {
    /// The time now, as the run sees it.
    public var clock: @Sendable () -> Date
    /// Environment variables: `${VAR}` in reporter targets and state URLs, `~/` (HOME) in
    /// configs, NO_COLOR.
    public var environment: [String: String]
    /// An absolute path: what relative paths in configs and reporter targets resolve against.
    public var workingDirectory: String
    /// What the source `-` reads.
    public var standardInput: FileHandle
    /// Writes to standard output (the report with target `-`, the console reporter).
    public var standardOutput: @Sendable (Data) -> Void
    /// Writes to standard error (the console reporter with target `stderr`).
    public var standardError: @Sendable (Data) -> Void
    /// Whether standard output is a terminal (the console reporter's colour).
    public var stdoutIsTerminal: Bool
    /// Whether standard error is a terminal (colour on stderr, the progress line).
    public var stderrIsTerminal: Bool
    /// Processors to scan and encode on (the default number of workers).
    public var processorCount: Int
    /// This machine's name: a PostgreSQL state records which host holds a lease.
    public var hostName: String

    /// A context that reads nothing from the process: only what is given. By default the
    /// environment is empty, standard input is empty, output is discarded, nothing is a
    /// terminal and there is one processor.
    public init(clock: @escaping @Sendable () -> Date, workingDirectory: String, environment: [String: String] = [:],
                standardInput: FileHandle = .nullDevice, standardOutput: @escaping @Sendable (Data) -> Void = { _ in },
                standardError: @escaping @Sendable (Data) -> Void = { _ in }, stdoutIsTerminal: Bool = false,
                stderrIsTerminal: Bool = false, processorCount: Int = 1, hostName: String = "localhost") {
        self.clock = clock
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.standardInput = standardInput
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.stdoutIsTerminal = stdoutIsTerminal
        self.stderrIsTerminal = stderrIsTerminal
        self.processorCount = max(1, processorCount)
        self.hostName = hostName
    }

    /// The real process: its clock, environment, working directory, standard streams,
    /// terminals, processors and host name, read when this is called.
    public static var process: RunContext {
        let info = ProcessInfo.processInfo
        return RunContext(clock: { Date() }, workingDirectory: FileManager.default.currentDirectoryPath, environment: info.environment,
                          standardInput: .standardInput,
                          standardOutput: { FileHandle.standardOutput.write($0) }, standardError: { FileHandle.standardError.write($0) },
                          stdoutIsTerminal: isatty(1) != 0, stderrIsTerminal: isatty(2) != 0,
                          processorCount: info.activeProcessorCount, hostName: info.hostName)
    }

    /// `path` as an absolute path: `~/` is HOME's (when HOME is set), a relative path is
    /// taken from `directory` (the working directory by default).
    public func resolve(_ path: String, from directory: String? = nil) -> String {
        if path.hasPrefix("~/"), let home = environment["HOME"] {
            return (home as NSString).appendingPathComponent(String(path.dropFirst(2)))
        }
        if path.hasPrefix("/") { return path }
        let base = directory.map { $0.hasPrefix("/") ? $0 : (workingDirectory as NSString).appendingPathComponent($0) } ?? workingDirectory
        return ((base as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }
}

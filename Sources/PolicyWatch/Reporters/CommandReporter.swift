import Foundation

/// `command`: runs a shell command (`/bin/sh -c TARGET`) with the report (format v1, the
/// schema of `docs/report.schema.json`) on standard input: one alert per run of the
/// command, or the whole run with `digest: true`. The plug-in point for any language: exit 0
/// acknowledges the alerts; any other exit, or a timeout, is a failed delivery (retried
/// later), with the command's stderr in the error.
public struct CommandReporter: Reporter {
    public static let identifier = "command"
    public static let summary = "runs a shell command with the report JSON on stdin; exit 0 acknowledges"
    public static let options: [ReporterOption] = [
        .init("timeout", "seconds before the command is killed and the delivery failed (default 60)"),
    ]
    public static let granularity = DeliveryGranularity.perAlert

    let command: String
    let timeout: TimeInterval
    let directory: String
    let environment: [String: String]

    public init(config: ReporterConfig, context: ReporterContext) throws {
        guard let command = config.target, !command.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ReporterConfigError("command needs a shell command", hint: "--reporter command='mail -s alerts team'")
        }
        self.command = command
        timeout = try config.number("timeout", default: 60, range: 0.1...86_400)
        directory = context.directory
        environment = context.environment
    }

    public func deliver(_ batch: DeliveryBatch) throws {
        let input: Data
        do { input = try batch.report.jsonData() } catch { throw DeliveryError("cannot encode the report: \(error)") }
        var env = environment
        env["POLICYWATCH_ALERTS"] = String(batch.alerts.count)
        env["POLICYWATCH_DIGEST"] = batch.isDigest ? "1" : "0"
        let r: Subprocess.Result
        do {
            r = try Subprocess.run(["/bin/sh", "-c", command], input: input, environment: env, directory: directory, timeout: timeout)
        } catch {
            throw DeliveryError("command '\(command)': cannot start: \(error)")
        }
        let stderr = String(decoding: r.stderr.suffix(2000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let tail = stderr.isEmpty ? "" : ": \(stderr)"
        if r.timedOut { throw DeliveryError("command '\(command)': killed after \(timeout) s\(tail)") }
        guard r.status == 0 else { throw DeliveryError("command '\(command)' exited with status \(r.status)\(tail)") }
    }
}

/// Runs a program with input on stdin, collecting stdout and stderr without deadlock
/// (each pipe drained on its own thread) and with a timeout.
enum Subprocess {
    struct Result: Sendable {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var timedOut: Bool
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var value = Data()
        var data: Data {
            get { lock.withLock { value } }
            set { lock.withLock { value = newValue } }
        }
    }

    static func run(_ argv: [String], input: Data, environment: [String: String], directory: String, timeout: TimeInterval) throws -> Result {
        // A command that exits without reading its input must fail the write (EPIPE), not
        // kill policywatch with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.environment = environment
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = errPipe
        let exited = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in exited.signal() }
        try p.run()
        let group = DispatchGroup()
        let out = Collected(), err = Collected()
        for (pipe, sink) in [(outPipe, out), (errPipe, err)] {
            group.enter()
            Thread {
                sink.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }.start()
        }
        let writer = inPipe.fileHandleForWriting
        Thread {
            try? writer.write(contentsOf: input)
            try? writer.close()
        }.start()
        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            p.terminate()
            if exited.wait(timeout: .now() + 2) == .timedOut {
                kill(p.processIdentifier, SIGKILL)
                exited.wait()
            }
        }
        // A grandchild may keep the pipes open; do not wait for it forever.
        _ = group.wait(timeout: .now() + 2)
        return Result(status: p.terminationStatus, stdout: out.data, stderr: err.data, timedOut: timedOut)
    }
}

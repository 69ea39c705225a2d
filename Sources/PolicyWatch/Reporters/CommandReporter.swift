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
/// (each pipe drained on its own thread) and with a timeout. posix_spawn rather than
/// Foundation's Process: the command gets its own process group, so a timeout kills the
/// shell and everything it started (Process on Linux only reports the exit once every
/// holder of its pipes has gone, which a `sleep` left behind by a killed shell delays).
enum Subprocess {
    struct Result: Sendable {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var timedOut: Bool
    }

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
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
        // A command that exits without reading its input must fail our write (EPIPE), not
        // kill policywatch with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        var fds: [[Int32]] = []
        for _ in 0..<3 {
            var p: [Int32] = [0, 0]
            guard pipe(&p) == 0 else { throw SpawnError(description: String(cString: strerror(errno))) }
            // Close-on-exec: the child gets only the ends dup2'd onto 0, 1 and 2.
            for fd in p { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            fds.append(p)
        }
        let (stdinR, stdinW) = (fds[0][0], fds[0][1])
        let (stdoutR, stdoutW) = (fds[1][0], fds[1][1])
        let (stderrR, stderrW) = (fds[2][0], fds[2][1])

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinR, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutW, 1)
        posix_spawn_file_actions_adddup2(&actions, stderrW, 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Own process group (to kill it whole); default SIGPIPE for the child.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attr, 0)

        // The working directory through a tiny shell that then execs the real argv
        // (posix_spawn's chdir action is a GNU extension Swift does not import).
        let argv = ["/bin/sh", "-c", "cd -- \"$1\" && shift && exec \"$@\"", "sh", directory] + argv
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attr, cArgs, cEnv)
        close(stdinR)
        close(stdoutW)
        close(stderrW)
        guard rc == 0 else {
            close(stdinW)
            close(stdoutR)
            close(stderrR)
            throw SpawnError(description: String(cString: strerror(rc)))
        }

        let group = DispatchGroup()
        let out = Collected(), err = Collected()
        for (fd, sink) in [(stdoutR, out), (stderrR, err)] {
            group.enter()
            Thread {
                sink.data = FileHandle(fileDescriptor: fd, closeOnDealloc: true).readDataToEndOfFile()
                group.leave()
            }.start()
        }
        Thread {
            let h = FileHandle(fileDescriptor: stdinW, closeOnDealloc: true)
            try? h.write(contentsOf: input)
            try? h.close()
        }.start()

        let (status, timedOut) = waitForExit(pid, timeout: timeout)
        // Something the command left running in the background may hold the pipes; its
        // output is not waited for.
        _ = group.wait(timeout: .now() + 2)
        let exitCode: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Result(status: exitCode, stdout: out.data, stderr: err.data, timedOut: timedOut)
    }

    /// Waits for `pid`; past `timeout`, kills its process group (TERM, then KILL after 2 s).
    /// Returns the wait status and whether it timed out.
    static func waitForExit(_ pid: pid_t, timeout: TimeInterval) -> (status: Int32, timedOut: Bool) {
        var status: Int32 = 0
        // A wait, so the monotonic clock: not the run's clock, which may be fixed or jump.
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno != EINTR) { return (status, false) }
            if ContinuousClock.now >= deadline {
                kill(-pid, SIGTERM)
                let grace = ContinuousClock.now + .seconds(2)
                while waitpid(pid, &status, WNOHANG) == 0 && ContinuousClock.now < grace { usleep(10_000) }
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                return (status, true)
            }
            usleep(5_000)
        }
    }
}

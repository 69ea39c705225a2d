import ArgumentParser
import Foundation
import PolicyWatch

@main
struct PolicyWatchCommand: ParsableCommand {
    static func main() {
        // The allocator's options first, before anything allocates much.
        Allocator.configure(environment: ProcessInfo.processInfo.environment)
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "policywatch",
        abstract: "Track government policy on strategic technology in multilingual news.",
        discussion: """
            Rules are YAML files (see README.md, "Writing rules"). The shipped rule pack is built in; --rules adds your own directories and --no-default-rules drops the built-in pack.

            Exit codes:
              0   success
              1   alerts found (only with --fail-on-alert)
              2   invalid rules, or failed rule tests
              3   partial failure: some inputs were skipped (see the report's errors), or a
                  reporter failed (its alerts are sent again next run, or by 'deliver')
              64  usage error (a bad flag or argument)
              74  the state file cannot be opened or written
              75  another run holds the state (try again later, or use --wait)
            Invalid config files exit 2, like invalid rules. See docs/cron.md.
            """,
        version: "0.1.0",
        subcommands: [ScanCommand.self, ValidateCommand.self, TestCommand.self, ExplainCommand.self, RulesCommand.self, EvalCommand.self, AlertsCommand.self, InitCommand.self, DeliverCommand.self],
        defaultSubcommand: nil
    )
}

/// Documented exit codes (also in README.md).
enum Exit {
    static let alertsFound = ExitCode(1)
    static let invalidRules = ExitCode(2)
    static let partial = ExitCode(3)
    /// EX_IOERR: the state cannot be opened or written.
    static let stateError = ExitCode(74)
    /// EX_TEMPFAIL: another run holds the state's lock; cron may simply try again.
    static let locked = ExitCode(75)
}

/// Options shared by every command that loads rules.
struct RuleOptions: ParsableArguments {
    @Option(name: .customLong("rules"), help: ArgumentHelp("A rule file or directory to add (repeatable).", valueName: "PATH"))
    var rulePaths: [String] = []

    @Flag(name: .customLong("no-default-rules"), help: "Do not load the built-in rule pack.")
    var noDefaultRules = false

    /// Compiles the rules, printing diagnostics to stderr; throws exit code 2 on errors.
    /// `defaultRules: false` (a config's `default_rules: false`) drops the pack like the flag.
    func compile(extraPaths: [String] = [], defaultRules: Bool = true, quietWarnings: Bool = false) throws -> RuleSet {
        let (set, diagnostics) = RuleLoader.compile(paths: rulePaths + extraPaths, includeBuiltin: !noDefaultRules && defaultRules)
        for d in diagnostics where d.level == .error || !quietWarnings {
            Console.error(d.description)
        }
        guard let set else {
            let n = diagnostics.filter { $0.level == .error }.count
            Console.error("\(n) error\(n == 1 ? "" : "s") in the rules; nothing was scanned.")
            throw Exit.invalidRules
        }
        if set.rules.isEmpty {
            Console.error("warning: no rules loaded (add --rules PATH, or drop --no-default-rules)")
        }
        return set
    }
}

/// The command line's own messages on stderr and stdout. What the library writes goes
/// through the `RunContext` each command builds with `RunContext.process`.
enum Console {
    static func error(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    static func out(_ s: String) {
        FileHandle.standardOutput.write(Data((s + "\n").utf8))
    }
}

import ArgumentParser
import Foundation
import PolicyWatch

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check rule files and report every problem as file:line:column.",
        discussion: """
            The built-in pack is loaded too (your rules may use its lists); a directory holding the \
            pack's own rules/pack.yaml replaces the built-in copy. Exit 0 when valid, 2 otherwise.

            Example:
              policywatch validate my-rules/
            """
    )

    @OptionGroup var rules: RuleOptions

    @Flag(help: "Also print how long loading and compiling the rules took, and the automaton's size.")
    var timing = false

    @Argument(help: ArgumentHelp("Rule files or directories to check.", valueName: "PATH"))
    var paths: [String] = []

    func run() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let set = try rules.compile(extraPaths: paths)
        let elapsed = clock.now - start
        let files = Set(set.rules.map(\.file)).count
        Console.out("ok: \(set.rules.count) rule\(set.rules.count == 1 ? "" : "s") in \(files) file\(files == 1 ? "" : "s"), \(set.matcher.terms.count) terms")
        if timing {
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let mb = Double(set.matcher.finderMemoryBytes) / 1_048_576
            let finder = set.matcher.usesAutomaton ? "automaton" : "term table"
            Console.out("compiled in \(String(format: "%.3f", seconds)) s (read, parse, compile, \(finder) of \(String(format: "%.1f", mb)) MB)")
        }
    }
}

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rules", abstract: "List the rules that would run.")

    @OptionGroup var rules: RuleOptions

    func run() throws {
        let set = try rules.compile(quietWarnings: true)
        for r in set.rules {
            Console.out("\(r.rule.id)\t\(r.rule.severity.rawValue)\t\(r.rule.tags.joined(separator: ","))\t\(r.rule.title)")
        }
    }
}

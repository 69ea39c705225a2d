import ArgumentParser
import PolicyWatch

struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the inline tests of rules.",
        discussion: """
            Each rule's tests: match (must fire), no_match (must not), todo_match / todo_no_match \
            (known gaps: reported, never failing). Exit 0 when all pass, 2 on a failure or invalid rules.

            Example:
              policywatch test rules/
            """
    )

    @OptionGroup var rules: RuleOptions

    @Flag(name: .shortAndLong, help: "Print every test, not only failures.")
    var verbose = false

    @Argument(help: ArgumentHelp("Rule files or directories whose tests to run (default: the loaded rules).", valueName: "PATH"))
    var paths: [String] = []

    func run() throws {
        let set = try rules.compile(extraPaths: paths, quietWarnings: true)
        let results = RuleTester(ruleSet: set).run()
        var failed = 0, passed = 0, todo = 0
        for r in results {
            let where_ = "\(r.test.mark)"
            let text = ([r.test.title, r.test.body].filter { !$0.isEmpty }).joined(separator: " / ")
            switch r.status {
            case .passed:
                passed += 1
                if verbose { Console.out("\(where_): ok \(r.rule.rule.id) \(r.test.expectation.rawValue)") }
            case .failed:
                failed += 1
                let expected = r.test.expectation.shouldMatch ? "expected a match, got none" : "expected no match, but the rule fired"
                Console.out("\(where_): FAIL \(r.rule.rule.id): \(expected)\n  rule at \(r.rule.rule.mark)\n  text: \(text)\n  \(r.detail)")
            case .todo:
                todo += 1
                if verbose { Console.out("\(where_): todo \(r.rule.rule.id) \(r.test.expectation.rawValue) (known gap)") }
            case .fixedTodo:
                todo += 1
                Console.out("\(where_): note \(r.rule.rule.id): this \(r.test.expectation.rawValue) case now passes; make it a real test")
            }
        }
        Console.out("\(passed) passed, \(failed) failed, \(todo) todo (\(set.rules.count) rules)")
        if failed > 0 { throw Exit.invalidRules }
    }
}

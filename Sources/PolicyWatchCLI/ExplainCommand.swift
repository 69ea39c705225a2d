import ArgumentParser
import Foundation
import PolicyWatch

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show why a rule fired or did not on an article.",
        discussion: """
            Prints the rule's expression tree; for each node whether it held ([+] / [-]) and its \
            evidence: field, code-point offsets, the matched text and the sentence around it.

            Examples:
              policywatch explain --rule export-control.semiconductors article.txt
              cat article.txt | policywatch explain --rules my-rules/ --rule my.rule -
            """
    )

    @OptionGroup var rules: RuleOptions

    @Option(name: .customLong("rule"), help: ArgumentHelp("The id of the rule to explain.", valueName: "ID"))
    var ruleID: String

    @Argument(help: ArgumentHelp("The article: a file (text, Markdown, JSON, JSON Lines) or - for stdin.", valueName: "ARTICLE"))
    var article: String

    func run() throws {
        let set = try rules.compile(quietWarnings: true)
        guard set.rule(id: ruleID) != nil else {
            var message = "error: no rule has the id '\(ruleID)'"
            if let close = Suggest.closest(to: ruleID, in: set.rules.map(\.rule.id)) { message += "\n  hint: did you mean '\(close)'?" }
            else { message += "\n  hint: list the rules with: policywatch rules" }
            Console.error(message)
            throw ExitCode(64)
        }
        let context = RunContext.process
        let reader = ArticleReader()
        let (articles, problems) = reader.read(path: article, standardInput: context.standardInput)
        for p in problems { Console.error("\(p.source): error: \(p.message)") }
        guard !articles.isEmpty else { throw Exit.partial }
        let explainer = Explainer(ruleSet: set)
        for (k, a) in articles.enumerated() {
            if k > 0 { Console.out("") }
            if let e = explainer.explain(ruleID: ruleID, article: a) {
                context.standardOutput(Data(e.render().utf8))
            }
        }
        if !problems.isEmpty { throw Exit.partial }
    }
}

import ArgumentParser
import Foundation
import PolicyWatch

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented starter config (policywatch.yaml).",
        discussion: """
            The file names the rules, sources, reporters and state a cron run uses; every line is \
            explained in it. Then: policywatch scan --config policywatch.yaml (see docs/cron.md).
            """
    )

    @Flag(help: "Replace the file if it exists.")
    var force = false

    @Argument(help: ArgumentHelp("Where to write it.", valueName: "PATH"))
    var path: String = Config.defaultFileName

    func run() throws {
        if FileManager.default.fileExists(atPath: path) && !force {
            throw ValidationError("\(path) exists; add --force to replace it")
        }
        do {
            try AtomicFile.write(Data(StarterConfig.text.utf8), to: path)
        } catch {
            Console.error("\(path): error: cannot write: \(error.localizedDescription)")
            throw ExitCode.failure
        }
        Console.out("wrote \(path): edit its sources and reporters, then run: policywatch scan --config \(path)")
    }
}

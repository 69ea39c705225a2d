import Foundation
import PackagePlugin

/// Embeds the rule pack in `rules/` into the PolicyWatch library, so the binary carries
/// its default rules wherever it is copied.
@main
struct EmbedRules: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let rules = context.package.directoryURL.appending(path: "rules")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedRules.swift")
        var inputs: [URL] = []
        if let walker = FileManager.default.enumerator(at: rules, includingPropertiesForKeys: nil) {
            for case let url as URL in walker where ["yaml", "yml"].contains(url.pathExtension) {
                inputs.append(url)
            }
        }
        return [
            .buildCommand(
                displayName: "Embedding rule pack (\(inputs.count) files)",
                executable: try context.tool(named: "EmbedRulesTool").url,
                arguments: [rules.path, output.path],
                inputFiles: inputs + [rules],
                outputFiles: [output]
            )
        ]
    }
}

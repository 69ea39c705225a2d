import Foundation
import YAMLLoader

/// The text of one rule file and the name it is shown under.
public struct RuleSource: Sendable {
    public var path: String
    public var text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}

/// Finds, reads and parses rule files, and adds the built-in pack.
public enum RuleLoader {
    /// The pack name in `rules/pack.yaml`. A directory declaring it replaces the built-in copy,
    /// so `policywatch test rules/` tests the files on disk, not the ones compiled in.
    public static let defaultPackName = "policywatch-default"

    /// The rule pack compiled into the binary, shown as `builtin:rules/...`.
    public static var builtinSources: [RuleSource] {
        EmbeddedRules.files.map { RuleSource(path: "builtin:" + $0.path, text: $0.text) }
    }

    /// Expands files and directories (recursively, `*.yaml` / `*.yml`, sorted) and reads them.
    public static func sources(paths: [String]) -> ([RuleSource], [Diagnostic]) {
        var sources: [RuleSource] = []
        var problems: [Diagnostic] = []
        let fm = FileManager.default
        for path in paths {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                problems.append(Diagnostic(.error, Mark(file: path, line: 1, column: 1), "no such rule file or directory"))
                continue
            }
            var files: [String] = []
            if isDir.boolValue {
                for case let rel as String in fm.enumerator(atPath: path) ?? FileManager.DirectoryEnumerator()
                where ["yaml", "yml"].contains((rel as NSString).pathExtension.lowercased()) {
                    files.append((path as NSString).appendingPathComponent(rel))
                }
                files.sort()
            } else {
                files = [path]
            }
            for file in files {
                guard let data = fm.contents(atPath: file) else {
                    problems.append(Diagnostic(.error, Mark(file: file, line: 1, column: 1), "cannot read rule file"))
                    continue
                }
                guard let text = String(validating: data, as: UTF8.self) else {
                    problems.append(Diagnostic(.error, Mark(file: file, line: 1, column: 1), "rule file is not valid UTF-8"))
                    continue
                }
                sources.append(RuleSource(path: file, text: text))
            }
        }
        return (sources, problems)
    }

    /// Parses rule files: the user's `paths`, then the built-in pack unless excluded or
    /// replaced by a copy on disk.
    public static func load(paths: [String], includeBuiltin: Bool) -> (files: [RuleFile], diagnostics: [Diagnostic]) {
        let (userSources, readProblems) = sources(paths: paths)
        var diagnostics = readProblems
        var files: [RuleFile] = []
        for s in userSources {
            var p = RuleParser(path: s.path)
            if let f = p.parse(text: s.text) { files.append(f) }
            diagnostics += p.diagnostics
        }
        let replacesBuiltin = files.contains { $0.packName == defaultPackName }
        if includeBuiltin && !replacesBuiltin {
            var builtin: [RuleFile] = []
            for s in builtinSources {
                var p = RuleParser(path: s.path)
                if let f = p.parse(text: s.text) { builtin.append(f) }
                diagnostics += p.diagnostics
            }
            files = builtin + files
        }
        return (files, diagnostics)
    }

    /// Loads and compiles in one step. Returns the rule set (nil on any error) and every diagnostic.
    public static func compile(paths: [String], includeBuiltin: Bool) -> (RuleSet?, [Diagnostic]) {
        let (files, parseDiagnostics) = load(paths: paths, includeBuiltin: includeBuiltin)
        let (set, compileDiagnostics) = Compiler.compile(files)
        let all = (parseDiagnostics + compileDiagnostics).sorted(by: Diagnostic.ordered)
        if all.contains(where: { $0.level == .error }) { return (nil, all) }
        return (set, all)
    }
}

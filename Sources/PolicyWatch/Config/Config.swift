import Foundation
import YAMLLoader

/// Where articles come from: a file, a directory, `-` (stdin), or an http(s) URL of a feed or page.
public struct SourceSpec: Sendable, Hashable {
    public var location: String
    /// Shown as the articles' `source` (else the feed's title, else the location).
    public var name: String?

    public init(_ location: String, name: String? = nil) {
        self.location = location
        self.name = name
    }

    public var isURL: Bool { Location.isWeb(location) }
}

/// `policywatch.yaml`: what a cron run needs, in one file. Flags override it.
/// Relative paths in it are relative to the file's own directory, so cron (which starts in
/// $HOME) finds the same files as you do by hand; `~/` is the context's HOME. A config read
/// from a relative path is found from the context's working directory.
public struct Config: Sendable {
    public static let defaultFileName = "policywatch.yaml"
    public static let topKeys = ["version", "state", "rules", "default_rules", "sources", "reporters", "options"]
    public static let optionKeys = ["max_bytes", "timeout", "retries", "wait", "lease", "fail_on_alert"]
    public static let sourceKeys = ["url", "path", "name"]

    public var file: String
    public var state: String?
    public var rules: [String] = []
    public var defaultRules: Bool?
    public var sources: [SourceSpec] = []
    /// `reporters:`, read by `ReporterConfig.parse(yaml:)`: relative paths in them are
    /// relative to this file's directory too.
    public var reporters: [ReporterConfig] = []
    public var maxBytes: Int?
    public var timeout: TimeInterval?
    public var retries: Int?
    public var wait: TimeInterval?
    /// Seconds a scanner holds a source (a PostgreSQL state); see docs/scale-out.md.
    public var lease: TimeInterval?
    public var failOnAlert: Bool?

    public init(file: String) {
        self.file = file
    }

    /// Reads and checks a config file; every problem as `file:line:column: error: ...` with a
    /// hint (naming the file as `path` gives it).
    public static func load(path: String, context: RunContext = .process) -> (Config?, [Diagnostic]) {
        let file = context.resolve(path)
        guard let data = FileManager.default.contents(atPath: file) else {
            let why = FileManager.default.fileExists(atPath: file) ? "cannot read the config file" : "no such config file"
            return (nil, [Diagnostic(.error, Mark(file: path, line: 1, column: 1), why, hint: "create one with 'policywatch init'")])
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            return (nil, [Diagnostic(.error, Mark(file: path, line: 1, column: 1), "config file is not valid UTF-8")])
        }
        return parse(text: text, path: path, context: context)
    }

    /// Checks a config's text; `path` names the file (its directory is what relative paths
    /// in it are relative to).
    public static func parse(text: String, path: String, context: RunContext = .process) -> (Config?, [Diagnostic]) {
        var p = ConfigParser(path: path, context: context)
        let config = p.parse(text)
        return (p.diagnostics.contains { $0.level == .error } ? nil : config, p.diagnostics)
    }
}

/// YAML -> Config, collecting every problem in one pass (like the rule parser).
struct ConfigParser {
    let path: String
    /// The config file's directory, absolute.
    let baseDir: String
    let context: RunContext
    private(set) var diagnostics: [Diagnostic] = []

    init(path: String, context: RunContext) {
        self.path = path
        self.context = context
        baseDir = (context.resolve(path) as NSString).deletingLastPathComponent
    }

    mutating func parse(_ text: String) -> Config {
        var config = Config(file: path)
        let documents: [Node]
        do {
            documents = try YAMLLoader.load(text, file: path)
        } catch let e as YAMLError {
            diagnostics.append(Diagnostic(.error, e.mark, e.message, hint: e.hint))
            return config
        } catch {
            diagnostics.append(Diagnostic(.error, Mark(file: path, line: 1, column: 1), "\(error)"))
            return config
        }
        let docs = documents.filter { !$0.isNull }
        guard let doc = docs.first else { return config }  // an empty config is valid: flags do the rest
        if docs.count > 1 { error(docs[1].mark, "a config file holds one YAML document", hint: "remove the second '---'") }
        guard let pairs = doc.mapping else {
            error(doc.mark, "the config must be a mapping, found \(doc.typeDescription)", hint: "start with 'sources:', 'rules:' or 'state:'; 'policywatch init' writes an example")
            return config
        }
        var seen: Set<String> = []
        for (keyNode, value) in pairs {
            let key = keyNode.scalar ?? ""
            if !seen.insert(key).inserted { error(keyNode.mark, "'\(key)' is given twice", hint: "keep one") }
            switch key {
            case "version":
                if value.scalar != "1" { error(value.mark, "unknown config version '\(value.scalar ?? value.typeDescription)'", hint: "this policywatch reads version: 1") }
            case "state":
                // A postgres:// URL is kept as written (its ${VAR} is read when it is opened).
                if let url = value.scalar, PostgresURL.isPostgres(url) { config.state = url }
                else { config.state = pathValue(value, key: "state") }
            case "rules":
                config.rules = stringList(value, key: "rules").map(resolve)
            case "default_rules":
                config.defaultRules = bool(value, key: "default_rules")
            case "sources":
                config.sources = sources(value)
            case "reporters":
                let (reporters, problems) = ReporterConfig.parse(yaml: value, directory: baseDir)
                config.reporters = reporters
                diagnostics += problems
            case "options":
                options(value, into: &config)
            default:
                error(keyNode.mark, "unknown key '\(key)' in the config", hint: Suggest.hint(for: key, among: Config.topKeys))
            }
        }
        return config
    }

    // MARK: - Sections

    private mutating func sources(_ node: Node) -> [SourceSpec] {
        guard let items = node.sequence else {
            error(node.mark, "'sources' must be a list, found \(node.typeDescription)", hint: "sources:\n    - news/\n    - https://example.com/feed.xml")
            return []
        }
        var out: [SourceSpec] = []
        for item in items {
            if let s = item.scalar, !item.isNull {
                out.append(source(s, mark: item.mark, name: nil))
            } else if let pairs = item.mapping {
                checkKeys(pairs, allowed: Config.sourceKeys, context: "a source")
                let url = item["url"], path = item["path"]
                let name = item["name"].flatMap { string($0, key: "name") }
                switch (url, path) {
                case (let u?, nil):
                    if let s = string(u, key: "url") { out.append(source(s, mark: u.mark, name: name, mustBeURL: true)) }
                case (nil, let p?):
                    if let s = string(p, key: "path") { out.append(source(s, mark: p.mark, name: name)) }
                case (.some, .some):
                    error(item.mark, "a source has either 'url' or 'path', not both", hint: "make them two sources")
                case (nil, nil):
                    error(item.mark, "a source needs 'url' or 'path'", hint: "- url: https://example.com/feed.xml\n      name: Example News")
                }
            } else {
                error(item.mark, "a source is a path, a URL, or a mapping with 'url' or 'path', found \(item.typeDescription)")
            }
        }
        return out
    }

    private mutating func source(_ s: String, mark: Mark, name: String?, mustBeURL: Bool = false) -> SourceSpec {
        let spec = SourceSpec(s, name: name)
        let location: Location
        do {
            location = try Location(s)
        } catch {
            self.error(mark, "\(error)", hint: "for a local file, give its path instead")
            return spec
        }
        switch location {
        case .web:
            return spec
        case .path, .stdin:
            if mustBeURL {
                error(mark, "'\(s)' is not an http(s) URL", hint: "for a local file, use 'path:' instead")
                return spec
            }
            return SourceSpec(s == "-" ? s : resolve(s), name: name)
        }
    }

    private mutating func options(_ node: Node, into config: inout Config) {
        guard let pairs = node.mapping else {
            error(node.mark, "'options' must be a mapping, found \(node.typeDescription)", hint: "options:\n    max_bytes: 16MB")
            return
        }
        for (keyNode, value) in pairs {
            let key = keyNode.scalar ?? ""
            switch key {
            case "max_bytes":
                if let s = string(value, key: key) {
                    if let n = Units.bytes(s) { config.maxBytes = n }
                    else { error(value.mark, "'\(s)' is not a size", hint: "write bytes, or e.g. 512KB, 16MB, 1GB") }
                }
            case "timeout", "wait", "lease":
                if let s = string(value, key: key) {
                    if let t = Units.seconds(s) {
                        if key == "timeout" {
                            if t <= 0 { error(value.mark, "timeout must be more than 0 seconds") }
                            config.timeout = t
                        } else if key == "lease" {
                            if t <= 0 { error(value.mark, "lease must be more than 0 seconds") }
                            config.lease = t
                        } else {
                            config.wait = t
                        }
                    } else {
                        error(value.mark, "'\(s)' is not a duration", hint: "write seconds, or e.g. 30s, 2m")
                    }
                }
            case "retries":
                if let s = string(value, key: key) {
                    if let n = Int(s), n >= 0, n <= 10 { config.retries = n }
                    else { error(value.mark, "retries must be a whole number from 0 to 10, not '\(s)'") }
                }
            case "fail_on_alert":
                config.failOnAlert = bool(value, key: key)
            default:
                error(keyNode.mark, "unknown option '\(key)'", hint: Suggest.hint(for: key, among: Config.optionKeys, noun: "options"))
            }
        }
    }

    // MARK: - Values

    private mutating func checkKeys(_ pairs: [(key: Node, value: Node)], allowed: [String], context: String) {
        for (k, _) in pairs {
            let key = k.scalar ?? ""
            if !allowed.contains(key) {
                error(k.mark, "unknown key '\(key)' in \(context)", hint: Suggest.hint(for: key, among: allowed))
            }
        }
    }

    private mutating func string(_ node: Node, key: String) -> String? {
        guard let s = node.scalar, !node.isNull else {
            error(node.mark, "'\(key)' must be a single value, found \(node.typeDescription)")
            return nil
        }
        return s
    }

    private mutating func pathValue(_ node: Node, key: String) -> String? {
        guard let s = string(node, key: key) else { return nil }
        if s.isEmpty {
            error(node.mark, "'\(key)' is empty")
            return nil
        }
        return s == "-" ? s : resolve(s)
    }

    private mutating func stringList(_ node: Node, key: String) -> [String] {
        if let s = node.scalar, !node.isNull { return [s] }
        guard let items = node.sequence else {
            error(node.mark, "'\(key)' must be a list of paths, found \(node.typeDescription)", hint: "\(key): [my-rules/]")
            return []
        }
        return items.compactMap { string($0, key: key) }
    }

    private mutating func bool(_ node: Node, key: String) -> Bool? {
        if let b = node.bool { return b }
        error(node.mark, "'\(key)' must be true or false, found '\(node.scalar ?? node.typeDescription)'")
        return nil
    }

    /// `~/x` -> $HOME/x (the context's HOME); relative -> relative to the config file's directory.
    func resolve(_ p: String) -> String {
        context.resolve(p, from: baseDir)
    }

    private mutating func error(_ mark: Mark, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.error, mark, message, hint: hint))
    }
}

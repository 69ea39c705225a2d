import Foundation
import YAMLLoader

/// One configured reporter, from the command line (`--reporter NAME[=TARGET]`) or from the
/// `reporters:` list of `policywatch.yaml`; both produce this.
public struct ReporterConfig: Sendable, Hashable {
    /// The reporter's type, as registered: json, jsonl, console, webhook, command, html
    /// (YAML `type:`, the `TYPE` of `--reporter TYPE=TARGET`).
    public var type: String
    /// Where to: a path, URL or shell command, as written (`${VAR}` unexpanded).
    public var target: String?
    /// Reporter-specific options (`format`, `timeout`, `header`...), as strings.
    public var options: [String: String]
    /// Only alerts of this severity or higher.
    public var minSeverity: Severity?
    /// Only alerts of rules having one of these tags (empty: every alert).
    public var tags: [String]
    /// Only alerts whose facets match (`acting`, `affected`, `stage` options).
    public var facets = FacetFilter()
    /// One delivery per run instead of one per alert.
    public var digest: Bool
    /// The name deliveries are recorded under, when given (YAML `name:`, CLI `[name=...]`).
    public var name: String?
    /// Where the config was written (a YAML mark, or "--reporter"), for messages.
    public var origin: String
    /// The directory relative paths in the target and options are resolved against (and a
    /// command runs in): the config file's for `reporters:` in policywatch.yaml, so cron
    /// finds the same files; nil for the current directory (`--reporter`).
    public var directory: String?

    public init(type: String, target: String? = nil, options: [String: String] = [:], minSeverity: Severity? = nil,
                tags: [String] = [], digest: Bool = false, name: String? = nil, origin: String = "--reporter", directory: String? = nil) {
        self.type = type
        self.name = name
        self.directory = directory
        self.target = target
        self.options = options
        self.minSeverity = minSeverity
        self.tags = tags
        self.digest = digest
        self.origin = origin
    }

    /// The labels of the first version, where `name` was the type and `id` the name.
    @available(*, deprecated, renamed: "init(type:target:options:minSeverity:tags:digest:name:origin:directory:)")
    public init(name: String, target: String? = nil, options: [String: String] = [:], minSeverity: Severity? = nil,
                tags: [String] = [], digest: Bool = false, id: String? = nil, origin: String = "--reporter", directory: String? = nil) {
        self.init(type: name, target: target, options: options, minSeverity: minSeverity, tags: tags, digest: digest, name: id,
                  origin: origin, directory: directory)
    }

    /// The key deliveries are recorded under in the state: the given `name`, else
    /// `TYPE:TARGET` (or `TYPE` without a target). It uses the target as written, so
    /// `${SECRET}` never lands in the state and `reports/{date}.json` stays one reporter
    /// across days. Changing a target makes a new reporter, which receives only alerts raised
    /// from then on; give a `name` to keep the history across such a change.
    public var key: String {
        if let name, !name.isEmpty { return name }
        guard let target, !target.isEmpty else { return type }
        return "\(type):\(target)"
    }

    /// Whether it has no filter: it takes every alert.
    public var acceptsEveryAlert: Bool { minSeverity == nil && tags.isEmpty && facets.isEmpty }

    /// Whether this reporter wants `alert` (severity and tag filters).
    public func accepts(_ alert: Alert) -> Bool {
        if let minSeverity, alert.rule.severity < minSeverity { return false }
        if !tags.isEmpty, !alert.rule.tags.contains(where: tags.contains) { return false }
        return facets.accepts(alert)
    }

    // MARK: - Command line

    /// `NAME[=TARGET]`, with options in brackets before the `=`:
    /// `webhook[format=slack,min_severity=high]=https://...`, `json=reports/{date}.json`,
    /// `command=mail -s alerts team`, `console`.
    public static func parse(argument: String) throws -> ReporterConfig {
        var rest = Substring(argument)
        let nameEnd = rest.firstIndex(where: { $0 == "=" || $0 == "[" }) ?? rest.endIndex
        let name = String(rest[..<nameEnd]).trimmingCharacters(in: .whitespaces)
        rest = rest[nameEnd...]
        var options: [String: String] = [:]
        if rest.first == "[" {
            guard let close = rest.firstIndex(of: "]") else {
                throw ReporterConfigError("'\(argument)': '[' without a closing ']'",
                                          hint: "options go in brackets before the target: --reporter 'webhook[format=slack]=URL'")
            }
            for item in rest[rest.index(after: rest.startIndex)..<close].split(separator: ",") where !item.trimmingCharacters(in: .whitespaces).isEmpty {
                guard let eq = item.firstIndex(of: "=") else {
                    throw ReporterConfigError("'\(argument)': option '\(item)' has no value", hint: "write KEY=VALUE, e.g. min_severity=high")
                }
                options[item[..<eq].trimmingCharacters(in: .whitespaces)] = item[item.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            }
            rest = rest[rest.index(after: close)...]
        }
        var target: String?
        if rest.first == "=" {
            target = String(rest.dropFirst())
        } else if !rest.isEmpty {
            throw ReporterConfigError("'\(argument)': unexpected '\(rest)'", hint: "write NAME, NAME=TARGET or 'NAME[KEY=VALUE,...]=TARGET'")
        }
        return try make(type: name, target: target, options: options, origin: "--reporter \(name)")
    }

    /// Pulls the common options out of `options` into typed fields.
    static func make(type: String, target: String?, options: [String: String], origin: String) throws -> ReporterConfig {
        guard !type.isEmpty else {
            throw ReporterConfigError("a reporter needs a name", hint: "reporters: \(ReporterRegistry.builtIn.names.joined(separator: ", "))")
        }
        var options = options
        var config = ReporterConfig(type: type, target: target?.isEmpty == true ? nil : target, origin: origin)
        if let s = options.removeValue(forKey: "min_severity") {
            guard let sev = Severity(rawValue: s.lowercased()) else {
                throw ReporterConfigError("unknown min_severity '\(s)'", hint: "one of: \(Severity.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.minSeverity = sev
        }
        if let t = options.removeValue(forKey: "tags") {
            config.tags = t.split(whereSeparator: { $0 == " " || $0 == "|" || $0 == ";" }).map(String.init)
        }
        let acting = options.removeValue(forKey: "acting").map(FacetFilter.values) ?? []
        let affected = options.removeValue(forKey: "affected").map(FacetFilter.values) ?? []
        let stages = options.removeValue(forKey: "stage").map(FacetFilter.values) ?? []
        if let p = FacetFilter.problem(acting: acting, affected: affected, stages: stages) {
            throw ReporterConfigError(p.message, hint: p.hint)
        }
        config.facets = FacetFilter(acting: acting, affected: affected, stages: stages)
        if let n = options.removeValue(forKey: "name") {
            guard !n.trimmingCharacters(in: .whitespaces).isEmpty else { throw ReporterConfigError("a reporter's name must not be empty") }
            config.name = n
        }
        if let d = options.removeValue(forKey: "digest") {
            guard let b = parseBool(d) else { throw ReporterConfigError("digest must be true or false, not '\(d)'") }
            config.digest = b
        }
        config.options = options
        return config
    }

    static func parseBool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: return nil
        }
    }

    // MARK: - YAML (`reporters:` in policywatch.yaml)

    /// Keys that give the target; `path`, `url` and `command` read better than `target`.
    static let targetKeys = ["target", "path", "url", "command"]

    /// Reads the `reporters:` list of a config file:
    /// ```yaml
    /// reporters:
    ///   - type: webhook
    ///     url: https://hooks.slack.com/services/${SLACK_HOOK}
    ///     format: slack
    ///     min_severity: high
    ///     tags: [export-control, sanctions]
    ///     header: "Authorization: Bearer ${TOKEN}"   # a list for several headers
    ///   - type: json
    ///     path: reports/{date}.json
    ///     name: daily                                # the name in the state (default type:path)
    ///   - console                                    # a bare type works too
    /// ```
    /// Every problem is reported with its position; the registry checks types and options.
    /// `directory`: where relative paths are resolved (the config file's directory).
    public static func parse(yaml node: Node, registry: ReporterRegistry = .builtIn, directory: String? = nil) -> ([ReporterConfig], [Diagnostic]) {
        var configs: [ReporterConfig] = []
        var diags: [Diagnostic] = []
        guard let items = node.sequence else {
            return ([], [Diagnostic(.error, node.mark, "'reporters' must be a list, got \(node.typeDescription)",
                                    hint: "reporters:\n    - type: json\n      path: reports/{date}.json")])
        }
        for item in items {
            if let config = parse(item: item, registry: registry, directory: directory, diagnostics: &diags) { configs.append(config) }
        }
        // Two reporters recording under one name would share (and steal) deliveries.
        var seen: [String: String] = [:]
        for c in configs {
            if let first = seen[c.key] {
                let mark = items.first { $0.mark.description == c.origin }?.mark ?? node.mark
                diags.append(Diagnostic(.error, mark, "two reporters record deliveries under '\(c.key)' (the first at \(first))",
                                        hint: "give one of them a distinct 'name'"))
            }
            seen[c.key] = seen[c.key] ?? c.origin
        }
        return (diags.isEmpty ? configs : [], diags)
    }

    /// One item of `reporters:`: a bare type, or a mapping of type, target and options.
    static func parse(item: Node, registry: ReporterRegistry, directory: String?, diagnostics diags: inout [Diagnostic]) -> ReporterConfig? {
        var fields = ItemFields()
        if let s = item.scalar {
            fields.type = s
            fields.marks["type"] = item.mark
        } else if let pairs = item.mapping {
            for (k, v) in pairs { fields.read(key: k, value: v, diagnostics: &diags) }
        } else {
            diags.append(Diagnostic(.error, item.mark, "a reporter must be a type or a mapping, got \(item.typeDescription)",
                                    hint: "- type: webhook\n      url: https://example.org/hook"))
            return nil
        }
        guard let type = fields.type else {
            diags.append(Diagnostic(.error, item.mark, "a reporter needs a 'type'", hint: "types: \(registry.names.joined(separator: ", "))"))
            return nil
        }
        if fields.broken { return nil }
        let marks = fields.marks
        do {
            var config = try make(type: type, target: fields.target, options: fields.options, origin: item.mark.description)
            config.directory = directory
            if let problem = registry.check(config) {
                let mark = problem.option.map { $0 == "name" ? "type" : $0 }.flatMap { marks[$0] } ?? item.mark
                diags.append(Diagnostic(.error, mark, problem.error.message, hint: problem.error.hint))
                return nil
            }
            return config
        } catch let e as ReporterConfigError {
            let key = ["min_severity", "digest", "tags", "name"].first { e.message.contains($0) }
                ?? (e.message.contains("stage") ? "stage" : e.message.contains("jurisdiction") ? (fields.options["acting"] != nil ? "acting" : "affected") : nil)
            diags.append(Diagnostic(.error, key.flatMap { marks[$0] } ?? item.mark, e.message, hint: e.hint))
        } catch {
            diags.append(Diagnostic(.error, item.mark, "\(error)"))
        }
        return nil
    }

    /// The keys of one reporter mapping, as read so far.
    struct ItemFields {
        var type: String?
        var target: String?
        var targetKey: String?
        var options: [String: String] = [:]
        /// Where each key was written: an unknown type is pointed at its value, an unknown option at its key.
        var marks: [String: Mark] = [:]
        var broken = false

        mutating func read(key k: Node, value v: Node, diagnostics diags: inout [Diagnostic]) {
            guard let key = k.scalar else {
                diags.append(Diagnostic(.error, k.mark, "a reporter key must be a string"))
                broken = true
                return
            }
            marks[key] = key == "type" ? v.mark : k.mark
            let value: String
            if let s = v.scalar {
                value = s
            } else if let list = v.sequence, list.allSatisfy({ $0.scalar != nil }) {
                // Lists: tags (any of) and headers (one per line).
                value = list.compactMap(\.scalar).joined(separator: ["tags", "acting", "affected", "stage"].contains(key) ? " " : "\n")
            } else {
                diags.append(Diagnostic(.error, v.mark, "'\(key)' must be a string or a list of strings, got \(v.typeDescription)"))
                broken = true
                return
            }
            if key == "type" {
                type = value
            } else if targetKeys.contains(key) {
                if let targetKey {
                    diags.append(Diagnostic(.error, k.mark, "a reporter has one target; '\(key)' repeats '\(targetKey)'"))
                    broken = true
                }
                target = value
                targetKey = key
            } else {
                options[key] = value
            }
        }
    }
}

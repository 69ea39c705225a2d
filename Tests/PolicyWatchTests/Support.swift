import Foundation
import XCTest
@testable import PolicyWatch

/// Paths in the source tree, so fixtures and golden files stay plain files.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
    static let fixtures = path("Tests/PolicyWatchTests/Fixtures")
}

extension RuleScanner {
    /// The alerts of one article, stamped with a fixed time: the library itself has no
    /// default clock (it comes from a `RunContext`).
    func scan(_ article: Article) -> [Alert] {
        alerts(for: article, at: Date(timeIntervalSince1970: 0))
    }
}

/// Parses and compiles rule text; fails the test on errors.
func compileRules(_ yaml: String, file: String = "test.yaml", line: UInt = #line) -> RuleSet? {
    var p = RuleParser(path: file)
    guard let f = p.parse(text: yaml) else {
        XCTFail("YAML failed: \(p.diagnostics)", line: line)
        return nil
    }
    let (set, diags) = Compiler.compile([f])
    let errors = p.diagnostics + diags.filter { $0.level == .error }
    if !errors.isEmpty { XCTFail("rule errors: \(errors.map(\.description).joined(separator: "\n"))", line: line) }
    return set
}

/// Every diagnostic (parse + compile) for rule text.
func diagnostics(_ yaml: String, file: String = "bad.yaml") -> [Diagnostic] {
    var p = RuleParser(path: file)
    guard let f = p.parse(text: yaml) else { return p.diagnostics }
    return (p.diagnostics + Compiler.compile([f]).1).sorted(by: Diagnostic.ordered)
}

/// A small JSON Schema validator for the keywords our schemas use (type, const, enum,
/// required, properties, additionalProperties, items, $ref to #/$defs, pattern, minimum).
/// Returns the paths and reasons of every violation.
struct MiniSchemaValidator {
    let root: [String: Any]

    init(schemaPath: String) throws {
        root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: schemaPath))) as! [String: Any]
    }

    func validate(_ value: Any) -> [String] {
        var errors: [String] = []
        check(value, root, "$", &errors)
        return errors
    }

    private func check(_ v: Any, _ schema: [String: Any], _ path: String, _ errors: inout [String]) {
        if let ref = schema["$ref"] as? String {
            let name = ref.replacingOccurrences(of: "#/$defs/", with: "")
            let defs = root["$defs"] as! [String: Any]
            guard let target = defs[name] as? [String: Any] else { errors.append("\(path): unknown $ref \(ref)"); return }
            check(v, target, path, &errors)
        }
        if let c = schema["const"] {
            if !Self.same(v, c) { errors.append("\(path): expected const \(c), got \(v)") }
        }
        if let e = schema["enum"] as? [Any], !e.contains(where: { Self.same($0, v) }) {
            errors.append("\(path): \(v) not in enum \(e)")
        }
        if let t = schema["type"] as? String, !Self.hasType(v, t) {
            errors.append("\(path): expected \(t), got \(type(of: v))")
            return
        }
        if let p = schema["pattern"] as? String, let s = v as? String,
           s.range(of: p, options: .regularExpression) == nil {
            errors.append("\(path): '\(s)' does not match \(p)")
        }
        if let m = schema["minimum"] as? NSNumber, let n = v as? NSNumber, n.doubleValue < m.doubleValue {
            errors.append("\(path): \(n) < minimum \(m)")
        }
        if let obj = v as? [String: Any] {
            for r in schema["required"] as? [String] ?? [] where obj[r] == nil { errors.append("\(path): missing '\(r)'") }
            let props = schema["properties"] as? [String: Any] ?? [:]
            for (k, val) in obj {
                if let ps = props[k] as? [String: Any] {
                    check(val, ps, "\(path).\(k)", &errors)
                } else if let ap = schema["additionalProperties"] {
                    if let allowed = ap as? Bool, !allowed { errors.append("\(path): unexpected key '\(k)'") }
                    if let aps = ap as? [String: Any] { check(val, aps, "\(path).\(k)", &errors) }
                }
            }
        }
        if let arr = v as? [Any], let items = schema["items"] as? [String: Any] {
            for (i, item) in arr.enumerated() { check(item, items, "\(path)[\(i)]", &errors) }
        }
    }

    /// JSON equality for scalars (const / enum use only scalars here).
    private static func same(_ a: Any, _ b: Any) -> Bool {
        if let x = a as? String, let y = b as? String { return x == y }
        if let x = a as? NSNumber, let y = b as? NSNumber { return x == y }
        return false
    }

    private static func hasType(_ v: Any, _ t: String) -> Bool {
        switch t {
        case "object": return v is [String: Any]
        case "array": return v is [Any]
        case "string": return v is String
        case "integer":
            guard let n = v as? NSNumber else { return false }
            return n.doubleValue == n.doubleValue.rounded()
        case "number": return v is NSNumber
        case "boolean": return v is Bool
        case "null": return v is NSNull
        default: return true
        }
    }
}

/// The reference for the report's bytes, from `JSONEncoder`: compact, the report as it
/// encodes it; pretty, its indented object with each alert on one line, compact (as
/// `ReportStream` lays it out).
enum ReferenceReport {
    static func encode(pretty: Bool, _ report: Report) throws -> Data {
        guard pretty, !report.alerts.isEmpty else { return try Report.encoder(pretty: pretty).encode(report) }
        var empty = report
        empty.alerts = []
        let frame = String(decoding: try Report.encoder(pretty: true).encode(empty), as: UTF8.self)
        let compact = Report.encoder(pretty: false)
        let lines = try report.alerts.map { "    " + String(decoding: try compact.encode($0), as: UTF8.self) }
        let emptyAlerts = "\"alerts\" : [\n\n  ]"
        precondition(frame.contains(emptyAlerts), "JSONEncoder's layout of an empty array changed")
        return Data(frame.replacingOccurrences(of: emptyAlerts, with: "\"alerts\" : [\n" + lines.joined(separator: ",\n") + "\n  ]").utf8)
    }
}

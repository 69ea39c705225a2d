import Foundation
import XCTest
import YAMLLoader
@testable import PolicyWatch

final class ReporterConfigTests: XCTestCase {
    func testCommandLineForms() throws {
        let json = try ReporterConfig.parse(argument: "json=reports/{date}.json")
        XCTAssertEqual(json.type, "json")
        XCTAssertEqual(json.target, "reports/{date}.json")
        XCTAssertEqual(json.key, "json:reports/{date}.json")
        let console = try ReporterConfig.parse(argument: "console")
        XCTAssertNil(console.target)
        XCTAssertEqual(console.key, "console")
        // Everything after the first '=' is the target, '=' and spaces included.
        let cmd = try ReporterConfig.parse(argument: "command=mail -s alerts team --x=1")
        XCTAssertEqual(cmd.target, "mail -s alerts team --x=1")
        let hook = try ReporterConfig.parse(argument: "webhook[format=slack, min_severity=HIGH, header=X-A: b=c]=https://h.example/x?a=1")
        XCTAssertEqual(hook.target, "https://h.example/x?a=1")
        XCTAssertEqual(hook.options, ["format": "slack", "header": "X-A: b=c"])
        XCTAssertEqual(hook.minSeverity, .high)
    }

    func testCommandLineErrors() {
        for (arg, expected) in [("webhook[format=slack=https://x", "without a closing ']'"),
                                ("json[merge]=x", "option 'merge' has no value"),
                                ("json[min_severity=urgent]=x", "unknown min_severity 'urgent'"),
                                ("json[digest=maybe]=x", "digest must be true or false"),
                                ("=x", "a reporter needs a name")] {
            XCTAssertThrowsError(try ReporterConfig.parse(argument: arg), arg) { e in
                XCTAssertTrue("\(e)".contains(expected), "\(arg): \(e)")
            }
        }
        let problem = ReporterRegistry.builtIn.check(ReporterConfig(type: "webhok"))
        XCTAssertEqual(problem?.error.message, "unknown reporter type 'webhok'")
        XCTAssertEqual(problem?.error.hint, "did you mean 'webhook'?")
        let option = ReporterRegistry.builtIn.check(ReporterConfig(type: "webhook", target: "http://x", options: ["fromat": "slack"]))
        XCTAssertEqual(option?.error.hint, "did you mean 'format'?")
    }

    func testYAMLConfig() throws {
        let yaml = """
            reporters:
              - console
              - type: webhook
                url: https://hooks.example.org/${HOOK}
                format: slack
                min_severity: high
                tags: [export-control, sanctions]
                header:
                  - "Authorization: Bearer ${TOKEN}"
                  - "X-Team: trade"
              - type: json
                path: reports/{date}.json
                name: daily
                digest: true
              - type: command
                command: mail -s alerts team
            """
        let doc = try YAMLLoader.load(yaml, file: "policywatch.yaml")
        let (configs, diags) = ReporterConfig.parse(yaml: try XCTUnwrap(doc.first?["reporters"]))
        XCTAssertEqual(diags, [])
        XCTAssertEqual(configs.map(\.type), ["console", "webhook", "json", "command"])
        let hook = configs[1]
        XCTAssertEqual(hook.target, "https://hooks.example.org/${HOOK}")
        XCTAssertEqual(hook.tags, ["export-control", "sanctions"])
        XCTAssertEqual(hook.minSeverity, .high)
        XCTAssertEqual(hook.options, ["format": "slack", "header": "Authorization: Bearer ${TOKEN}\nX-Team: trade"])
        XCTAssertEqual(hook.origin, "policywatch.yaml:3:5")
        XCTAssertEqual(hook.key, "webhook:https://hooks.example.org/${HOOK}")
        XCTAssertTrue(configs[2].digest)
        XCTAssertEqual(configs[2].key, "daily")
        XCTAssertEqual(configs[3].target, "mail -s alerts team")
    }

    func testYAMLConfigErrorsArePositioned() throws {
        let yaml = """
            reporters:
              - type: htlm
                path: x.html
              - type: json
                mrege: true
              - type: console
                min_severity: urgent
              - type: webhook
                url: http://a.example/x
                path: b
              - path: c.json
              - type: jsonl
                path: a.jsonl
              - type: jsonl
                path: a.jsonl
            """
        let doc = try YAMLLoader.load(yaml, file: "policywatch.yaml")
        let (configs, diags) = ReporterConfig.parse(yaml: try XCTUnwrap(doc.first?["reporters"]))
        XCTAssertEqual(configs.count, 0, "nothing runs with an invalid config")
        XCTAssertEqual(diags.map(\.description), [
            "policywatch.yaml:2:11: error: unknown reporter type 'htlm'\n  hint: did you mean 'html'?",
            "policywatch.yaml:5:5: error: unknown option 'mrege' for reporter 'json'\n  hint: did you mean 'merge'?",
            "policywatch.yaml:7:5: error: unknown min_severity 'urgent'\n  hint: one of: info, low, medium, high, critical",
            "policywatch.yaml:10:5: error: a reporter has one target; 'path' repeats 'url'",
            "policywatch.yaml:11:5: error: a reporter needs a 'type'\n  hint: types: command, console, html, json, jsonl, webhook",
            "policywatch.yaml:14:5: error: two reporters record deliveries under 'jsonl:a.jsonl' (the first at policywatch.yaml:12:5)\n  hint: give one of them a distinct 'name'",
        ])
    }
}

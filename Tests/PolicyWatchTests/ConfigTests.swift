import Foundation
import PolicyWatch
import PolicyWatchTestSupport
import XCTest

/// policywatch.yaml: values, path resolution, positioned errors, the starter file.
final class ConfigTests: XCTestCase {
    func testFullConfig() throws {
        let dir = TempDir()
        let path = dir.write("conf/policywatch.yaml", """
            version: 1
            state: state/pw.sqlite
            rules: [my-rules/, /abs/rules.yaml]
            default_rules: no
            sources:
              - news/
              - https://news.example/feed.xml
              - url: https://other.example/atom
                name: Other
              - path: ~/drop
                name: Drop box
              - "-"
            reporters:
              - type: json
                path: reports/latest.json
              - type: jsonl
                path: "-"
                name: stream
            options:
              max_bytes: 2MB
              timeout: 45s
              retries: 3
              wait: 1m
              fail_on_alert: true
            """)
        let (config, diagnostics) = Config.load(path: path)
        XCTAssertEqual(diagnostics, [])
        let c = try XCTUnwrap(config)
        let base = dir.url("conf")
        XCTAssertEqual(c.state, base + "/state/pw.sqlite")
        XCTAssertEqual(c.rules, [base + "/my-rules", "/abs/rules.yaml"])
        XCTAssertEqual(c.defaultRules, false)
        let home = ProcessInfo.processInfo.environment["HOME"]!
        XCTAssertEqual(c.sources, [SourceSpec(base + "/news"), SourceSpec("https://news.example/feed.xml"),
                                   SourceSpec("https://other.example/atom", name: "Other"),
                                   SourceSpec(home + "/drop", name: "Drop box"), SourceSpec("-")])
        // Reporters keep their target as written (it names them in the state); relative paths
        // are resolved against the config's directory when they are built.
        XCTAssertEqual(c.reporters.map(\.type), ["json", "jsonl"])
        XCTAssertEqual(c.reporters.map(\.key), ["json:reports/latest.json", "stream"])
        XCTAssertEqual(c.reporters.map(\.directory), [base, base])
        let json = try c.reporters[0].directory.map { ReporterContext(run: RunContext(clock: { Date(timeIntervalSince1970: 0) }, workingDirectory: $0)) }.map { $0.path(try XCTUnwrap(c.reporters[0].target)) }
        XCTAssertEqual(json, base + "/reports/latest.json")
        XCTAssertEqual(c.reporters[1].target, "-", "standard output")
        XCTAssertEqual(c.maxBytes, 2 * 1024 * 1024)
        XCTAssertEqual(c.timeout, 45)
        XCTAssertEqual(c.retries, 3)
        XCTAssertEqual(c.wait, 60)
        XCTAssertEqual(c.failOnAlert, true)
    }

    func testErrorsArePositionedWithHints() {
        let text = """
            sorces:
              - news/
            state: [a, b]
            reporters:
              - type: jsn
                path: out.json
              - type: json
                min_severity: urgent
              - type: jsonl
                path: a.jsonl
              - type: jsonl
                path: a.jsonl
            options:
              max_bytes: lots
              retrys: 2
            """
        let (config, diagnostics) = Config.parse(text: text, path: "pw.yaml")
        XCTAssertNil(config)
        XCTAssertEqual(diagnostics.map(\.description), [
            "pw.yaml:1:1: error: unknown key 'sorces' in the config\n  hint: did you mean 'sources'?",
            "pw.yaml:3:8: error: 'state' must be a single value, found a list",
            "pw.yaml:5:11: error: unknown reporter type 'jsn'\n  hint: did you mean 'json'?",
            "pw.yaml:8:5: error: unknown min_severity 'urgent'\n  hint: one of: info, low, medium, high, critical",
            "pw.yaml:11:5: error: two reporters record deliveries under 'jsonl:a.jsonl' (the first at pw.yaml:9:5)\n  hint: give one of them a distinct 'name'",
            "pw.yaml:14:14: error: 'lots' is not a size\n  hint: write bytes, or e.g. 512KB, 16MB, 1GB",
            "pw.yaml:15:3: error: unknown option 'retrys'\n  hint: did you mean 'retries'?",
        ])
    }

    func testSourceErrors() {
        let (_, diagnostics) = Config.parse(text: """
            sources:
              - ftp://files.example/feed.xml
              - url: https://a.example/
                path: x
              - name: nothing
              - url: not a url
              - [nested]
            """, path: "c.yaml")
        XCTAssertEqual(diagnostics.map { "\($0.mark.line):\($0.mark.column) \($0.message)" }, [
            "2:5 unsupported scheme 'ftp' in ftp://files.example/feed.xml; supported: http, https, file paths",
            "3:5 a source has either 'url' or 'path', not both",
            "5:5 a source needs 'url' or 'path'",
            "6:10 'not a url' is not an http(s) URL",
            "7:5 a source is a path, a URL, or a mapping with 'url' or 'path', found a list",
        ])
    }

    func testYAMLSyntaxErrorIsPositioned() {
        let (config, diagnostics) = Config.parse(text: "sources:\n  - news/\n state: x\n", path: "bad.yaml")
        XCTAssertNil(config)
        XCTAssertEqual(diagnostics.count, 1)
        XCTAssertEqual(diagnostics.first?.mark.file, "bad.yaml")
        XCTAssertEqual(diagnostics.first?.mark.line, 3)
    }

    func testMissingFile() {
        let (config, diagnostics) = Config.load(path: "/nonexistent/policywatch.yaml")
        XCTAssertNil(config)
        XCTAssertEqual(diagnostics.map(\.description), ["/nonexistent/policywatch.yaml:1:1: error: no such config file\n  hint: create one with 'policywatch init'"])
    }

    func testStarterConfigLoadsCleanly() throws {
        let (config, diagnostics) = Config.parse(text: StarterConfig.text, path: "/srv/pw/policywatch.yaml")
        XCTAssertEqual(diagnostics, [])
        let c = try XCTUnwrap(config)
        XCTAssertEqual(c.state, "/srv/pw/.policywatch/state.sqlite")
        XCTAssertEqual(c.sources, [SourceSpec("/srv/pw/inbox")])
        XCTAssertEqual(c.reporters.map(\.type), ["json", "jsonl"])
        XCTAssertEqual(c.maxBytes, 16 * 1024 * 1024)
        XCTAssertEqual(c.timeout, 30)
        XCTAssertEqual(c.wait, 0)
        XCTAssertEqual(c.failOnAlert, false)
    }

    func testShippedExampleLoadsCleanly() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let (config, diagnostics) = Config.load(path: root.appendingPathComponent("examples/policywatch.yaml").path)
        XCTAssertEqual(diagnostics, [])
        XCTAssertEqual(config?.sources.count, 3)
        XCTAssertEqual(config?.wait, 300)
    }

    func testEmptyConfigIsValid() {
        let (config, diagnostics) = Config.parse(text: "# nothing yet\n", path: "e.yaml")
        XCTAssertNotNil(config)
        XCTAssertEqual(diagnostics, [])
    }
}

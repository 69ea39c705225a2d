import Foundation
import XCTest
import YAMLLoader

/// Runs the built `policywatch` binary end to end.
final class CLITests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs the binary in the repository root (or `cwd`).
    @discardableResult
    func run(_ args: [String], stdin: String? = nil, cwd: URL? = nil) throws -> Binary.Result {
        Binary.run(args, cwd: (cwd ?? Self.root).path, stdin: stdin)
    }

    func temp(_ name: String) -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pw-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name)
    }

    /// The README's first command: a real scan of the examples with the built-in pack.
    func testScanExamplesWithShippedRules() throws {
        let r = try run(["scan", "examples/articles/"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["format"] as? String, "policywatch.report")
        XCTAssertEqual(json["version"] as? Int, 1)
        XCTAssertEqual((json["errors"] as? [Any])?.count, 0)
        let alerts = try XCTUnwrap(json["alerts"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(alerts.count, 6, "the bilingual example alone should raise six or more alerts")
    }

    /// Each example raises exactly the event tags `examples/expected.yaml` lists.
    func testExamplesRaiseTheirExpectedTags() throws {
        let yaml = try String(contentsOf: Self.root.appendingPathComponent("examples/expected.yaml"), encoding: .utf8)
        let doc = try XCTUnwrap(try YAMLLoader.load(yaml, file: "expected.yaml").first?.mapping)
        var expected: [String: Set<String>] = [:]
        for (key, value) in doc { expected[key.scalar!] = Set((value.sequence ?? []).compactMap(\.scalar)) }
        XCTAssertGreaterThanOrEqual(expected.count, 8)

        let r = try run(["scan", "examples/articles/"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        var got: [String: Set<String>] = Dictionary(uniqueKeysWithValues: expected.keys.map { ($0, []) })
        for alert in json["alerts"] as! [[String: Any]] {
            let article = alert["article"] as! [String: Any]
            let path = (article["path"] as! String).replacingOccurrences(of: "examples/", with: "")
            let key = article["id"].map { "\(path)#\($0)" } ?? path
            let tags = Set((alert["rule"] as! [String: Any])["tags"] as! [String])
            got[key, default: []].formUnion(tags.intersection(Self.eventTags))
        }
        for (key, tags) in expected.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(got[key], tags, key)
        }
        XCTAssertEqual(Set(got.keys), Set(expected.keys), "every example is listed in expected.yaml")
    }

    static let eventTags: Set<String> = [
        "export-control", "entity-listing", "sanctions", "investment-screening", "tariff", "subsidy",
        "joint-statement", "supply-chain", "dialogue-channel", "technology-cooperation", "economic-coercion",
    ]

    func testScanStdinAndOutputFileAndFailOnAlert() throws {
        let rules = Self.root.appendingPathComponent("Tests/PolicyWatchTests/Fixtures/rules.yaml").path
        let out = temp("report.json")
        let r = try run(["scan", "--no-default-rules", "--rules", rules, "--output", out.path, "--fail-on-alert", "-"],
                        stdin: "Headline\nThe US tightened export controls on chips. 미국은 반도체 수출 통제를 강화했다.")
        XCTAssertEqual(r.status, 1, "exit 1 = alerts found with --fail-on-alert; stderr: \(r.stderr)")
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("report written to"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as! [String: Any]
        let alerts = json["alerts"] as! [[String: Any]]
        XCTAssertEqual(alerts.count, 1)
        let matches = alerts[0]["matches"] as! [[String: Any]]
        XCTAssertTrue(matches.contains { $0["text"] as? String == "수출 통제" })
        XCTAssertTrue(matches.contains { $0["text"] as? String == "export controls" })
    }

    /// JSON Lines on stdin whose lines are longer than the first block the format is told by
    /// (long articles): every line is an article.
    func testScanStdinJSONLinesOfLongArticles() throws {
        let rules = Self.root.appendingPathComponent("Tests/PolicyWatchTests/Fixtures/rules.yaml").path
        let filler = String(repeating: "The ministers met again. ", count: 400)
        let lines = (0..<5).map { i in
            #"{"id":"a\#(i)","title":"Chips \#(i)","body":"\#(filler)The US tightened export controls on chips."}"#
        }
        let r = try run(["scan", "--no-default-rules", "--rules", rules, "--format", "jsonl", "-"], stdin: lines.joined(separator: "\n") + "\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        let alerts = r.stdout.split(separator: "\n")
        XCTAssertEqual(Set(alerts.compactMap { line -> String? in
            let a = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            return (a?["article"] as? [String: Any])?["id"] as? String
        }), Set((0..<5).map { "a\($0)" }), r.stderr)
    }

    func testBrokenInputIsReportedAndScanGoesOn() throws {
        let dir = temp("in").deletingLastPathComponent()
        try Data([0xFF, 0xFE, 0x00]).write(to: dir.appendingPathComponent("bad.txt"))
        try Data("Title\nChina protested new export controls on chips.".utf8).write(to: dir.appendingPathComponent("good.txt"))
        let rules = Self.root.appendingPathComponent("Tests/PolicyWatchTests/Fixtures/rules.yaml").path
        let r = try run(["scan", "--no-default-rules", "--rules", rules, dir.path])
        XCTAssertEqual(r.status, 3, "exit 3 = partial")
        XCTAssertTrue(r.stderr.contains("bad.txt: error: binary file"), r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((json["alerts"] as! [Any]).count, 1)
        XCTAssertEqual((json["errors"] as! [Any]).count, 1)
        XCTAssertEqual((json["run"] as! [String: Any])["skipped"] as? Int, 1)
    }

    func testValidateReportsEveryErrorWithPositions() throws {
        let bad = temp("bad.yaml")
        try """
        rules:
          - id: x.one
            severity: urgent
            macth: a
            match: $nope
          - id: x.one
            match: b
        """.write(to: bad, atomically: true, encoding: .utf8)
        let r = try run(["validate", "--no-default-rules", bad.path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("\(bad.path):3:15: error: unknown severity 'urgent'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("\(bad.path):4:5: error: unknown key 'macth' in rule 'x.one'\n  hint: did you mean 'match'?"), r.stderr)
        XCTAssertTrue(r.stderr.contains("\(bad.path):5:12: error: list '$nope' is not defined"), r.stderr)
        XCTAssertTrue(r.stderr.contains("\(bad.path):6:5: error: duplicate rule id 'x.one'\n  hint: the other rule with this id is at \(bad.path):2:5"), r.stderr)
        XCTAssertTrue(r.stderr.contains("4 errors in the rules; nothing was scanned."), r.stderr)
    }

    func testRuleTestsPassAndFailuresAreExplained() throws {
        let ok = try run(["test", "rules/"])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertTrue(ok.stdout.contains(" 0 failed"), ok.stdout)

        let failing = temp("f.yaml")
        try """
        rules:
          - id: t.fail
            match: [export control*]
            tests:
              - match: Nothing relevant here.
              - no_match: New export controls.
              - todo_match: 수출 통제
        """.write(to: failing, atomically: true, encoding: .utf8)
        let r = try run(["test", "--no-default-rules", failing.path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stdout.contains("\(failing.path):5:9: FAIL t.fail: expected a match, got none"), r.stdout)
        XCTAssertTrue(r.stdout.contains("FAIL t.fail: expected no match, but the rule fired"), r.stdout)
        XCTAssertTrue(r.stdout.contains("matched: 'export controls' (export control*)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("0 passed, 2 failed, 1 todo"), r.stdout)
    }

    func testUsageErrorsSayWhatToType() throws {
        let r = try run(["scan"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("policywatch scan examples/articles/"), r.stderr)
    }
}

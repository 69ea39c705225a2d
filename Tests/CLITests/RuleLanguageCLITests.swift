import Foundation
import XCTest

/// The rule language end to end through the `policywatch` binary: explain, validate, tuning.
final class RuleLanguageCLITests: XCTestCase {
    typealias Output = Binary.Result

    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pw-lang-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func run(_ args: [String], stdin: String = "") throws -> Output {
        Binary.run(args, cwd: dir.path, stdin: stdin)
    }

    static let rules = """
    lists:
      chips: [semiconductor*, chip, chips, 반도체]
    entities:
      country:
        US: [{term: US, cased: true}, U.S., 미국]
    rules:
      - id: demo.controls
        title: Export controls near chips
        query: '("export control*" OR "수출 통제") NEAR/3 $chips AND NOT SENT(deny OR denied OR 부인)'
      - id: demo.us
        match: {sentence: ['@country:US', $chips]}
    """

    func testExplainPrintsTheTreeAndEvidence() throws {
        let rules = try write("rules/demo.yaml", Self.rules)
        let article = try write("a.txt", "Chip curbs\n\nThe U.S. tightened export controls on advanced chips.\n")
        let r = try run(["explain", "--no-default-rules", "--rules", rules, "--rule", "demo.controls", article])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("rule demo.controls: Export controls near chips (\(rules):7:5)\narticle: \"Chip curbs\", language en"), r.stdout)
        XCTAssertTrue(r.stdout.contains("result: FIRED"), r.stdout)
        XCTAssertTrue(r.stdout.contains("""
        [+] all
            [+] near: within 3 words
                  body 20-35 "export controls" (export control*)
                    in: "The U.S. tightened export controls on advanced chips."
                  body 48-53 "chips" (chips)
        """), r.stdout)
        XCTAssertTrue(r.stdout.contains("    [+] none\n        [-] sentence"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("entities: country: US\n"), r.stdout)
    }

    func testExplainFromStdinAndWhenTheRuleDoesNotFire() throws {
        let rules = try write("demo.yaml", Self.rules)
        let r = try run(["explain", "--no-default-rules", "--rules", rules, "--rule", "demo.us", "-"],
                        stdin: "Title\n\nThe U.S. acted on Monday. Chips fell.")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("result: did not fire"), r.stdout)
        XCTAssertTrue(r.stdout.contains("[-] sentence  (every operand holds somewhere, but not inside one sentence)"), r.stdout)
    }

    func testExplainUnknownRuleIsAUsageError() throws {
        let rules = try write("demo.yaml", Self.rules)
        let article = try write("a.txt", "x")
        let r = try run(["explain", "--no-default-rules", "--rules", rules, "--rule", "demo.contrls", article])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("error: no rule has the id 'demo.contrls'\n  hint: did you mean 'demo.controls'?"), r.stderr)
    }

    func testValidatePointsInsideQueriesAndRegexes() throws {
        let bad = try write("bad.yaml", """
        rules:
          - id: bad.query
            query: chips AND tools OR wafers
          - id: bad.regex
            match: {regex: 'x(\\w+\\s?)+y'}
          - id: bad.entity
            match: ['@country:JP']
        """)
        let r = try run(["validate", "--no-default-rules", bad])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("\(bad):3:28: error: invalid query in rule 'bad.query': mixing AND and OR without parentheses is ambiguous\n  hint: add parentheses: (a AND b) OR c, or a AND (b OR c)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("\(bad):5:22: error: invalid regex in rule 'bad.regex': the regex may take exponential time: '(\\w+\\s?)+' can match the same text in more than one way"), r.stderr)
        XCTAssertTrue(r.stderr.contains("\(bad):7:13: error: entity '@country:JP' is not defined\n  hint: no entities are defined; add them under 'entities:'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("3 errors in the rules; nothing was scanned."), r.stderr)
    }

    func testValidateWarnsButPasses() throws {
        let file = try write("warn.yaml", """
        rules:
          - id: warn.one
            match: {all: [Gina Raimondo~1, ch*], none: [ex*port]}
        """)
        let r = try run(["validate", "--no-default-rules", file])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(file):3:19: warning: '~1' on 'Gina Raimondo' is ignored: typo tolerance applies to single words"), r.stderr)
        XCTAssertTrue(r.stderr.contains("\(file):3:36: warning: wildcard on fewer than three letters ('ch*') matches very many words"), r.stderr)
        XCTAssertTrue(r.stderr.contains("\(file):3:49: warning: '*' inside 'ex*port' is matched as a literal asterisk"), r.stderr)
        XCTAssertTrue(r.stdout.contains("ok: 1 rule in 1 file"), r.stdout)
    }

    func testUserDirectoryDisablesAndExtendsAShippedPack() throws {
        let pack = try write("pack/pack.yaml", Self.rules)
        let mine = try write("mine/tuning.yaml", """
        disable: [demo.us]
        extend:
          lists:
            chips: [wafer*]
        """)
        let listed = try run(["rules", "--no-default-rules", "--rules", pack, "--rules", mine])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertEqual(listed.stdout.split(separator: "\n").map { String($0.split(separator: "\t")[0]) }, ["demo.controls"])
        let scan = try run(["scan", "--no-default-rules", "--rules", pack, "--rules", mine, "-"], stdin: "T\n\nNew export controls on wafers.")
        XCTAssertEqual(scan.status, 0, scan.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(scan.stdout.utf8)) as! [String: Any]
        let alerts = json["alerts"] as! [[String: Any]]
        XCTAssertEqual(alerts.map { ($0["rule"] as! [String: Any])["id"] as! String }, ["demo.controls"])
        XCTAssertEqual((alerts[0]["matches"] as! [[String: Any]]).map { $0["text"] as! String }, ["export controls", "wafers"])
    }

    // MARK: - docs/rules.md stays true

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The output shown under `$ command` in docs/rules.md (up to the closing fence).
    func documented(_ command: String, last: Bool = false) throws -> String {
        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/rules.md"), encoding: .utf8)
        let lines = doc.components(separatedBy: "\n")
        let start = try XCTUnwrap(last ? lines.lastIndex(of: "$ " + command) : lines.firstIndex(of: "$ " + command),
                                  "docs/rules.md shows no '$ \(command)'")
        var k = start + 1
        while lines[k].hasPrefix("    ") && lines[k - 1].hasSuffix("\\") { k += 1 }  // a continued command line
        let end = try XCTUnwrap(lines[k...].firstIndex(of: "```"))
        return lines[k..<end].joined(separator: "\n") + "\n"
    }

    func runInRepo(_ args: [String], stdin: String = "") throws -> Output {
        let saved = dir
        dir = Self.root
        defer { dir = saved }
        return try run(args, stdin: stdin)
    }

    func testDocumentedOutputsAreTrue() throws {
        let v = try runInRepo(["validate", "--no-default-rules", "docs/examples/invalid/"])
        XCTAssertEqual(v.status, 2)
        XCTAssertEqual(v.stderr, try documented("policywatch validate --no-default-rules docs/examples/invalid/", last: true))
        // The query section shows the first lines of the same output.
        XCTAssertTrue(v.stderr.hasPrefix(try documented("policywatch validate --no-default-rules docs/examples/invalid/")))

        let t = try runInRepo(["test", "--no-default-rules", "docs/examples/rules/"])
        XCTAssertEqual(t.status, 0, t.stdout)
        XCTAssertEqual(t.stdout, try documented("policywatch test --no-default-rules docs/examples/rules/"))

        let e = try runInRepo(["explain", "--no-default-rules", "--rules", "docs/examples/rules/", "--rule", "demo.export-controls", "-"],
                              stdin: "Officials denied that new export controls on chips were planned.\n")
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertEqual(e.stdout, try documented("echo \"Officials denied that new export controls on chips were planned.\" | \\"))
    }
}

import Foundation
import XCTest

/// `policywatch scan --stream` end to end on a JSON Lines file larger than one read chunk:
/// every article is scanned, alerts come out in input order, the JSON and JSON Lines reports
/// hold the same alerts, and the report is the one the default (stateful) scan writes.
final class ScanStreamingCLITests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pw-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func run(_ args: [String], stdin: URL? = nil) throws -> (status: Int32, stdout: Data, stderr: String) {
        let p = Process()
        p.executableURL = Binary.url
        p.arguments = args
        if let stdin { p.standardInput = try FileHandle(forReadingFrom: stdin) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read before waiting: a full pipe would block the child.
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, o, String(decoding: e, as: UTF8.self))
    }

    func testLargeJSONLinesScanInInputOrder() throws {
        let rules = dir.appendingPathComponent("rules.yaml")
        try """
            rules:
              - id: chips
                match: [chip*, 반도체]
              - id: controls
                match: {all: [export control*, {any: [chip*, 반도체]}]}
            """.write(to: rules, atomically: true, encoding: .utf8)
        // 6,000 articles of about 400 bytes: several 1 MB chunks. Every third mentions chips,
        // every ninth export controls too.
        let filler = String(repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", count: 6)
        var lines: [String] = []
        var expected: [(String, String)] = []
        for i in 0..<6000 {
            var body = filler
            if i % 3 == 0 { body += i % 2 == 0 ? " New chips arrived." : " 반도체 수출이 늘었다." }
            if i % 9 == 0 { body += " Export controls were tightened." }
            lines.append(#"{"id": "a\#(i)", "title": "Article \#(i)", "body": "\#(body)"}"#)
            if i % 3 == 0 { expected.append(("a\(i)", "chips")) }
            if i % 9 == 0 { expected.append(("a\(i)", "controls")) }
        }
        let input = dir.appendingPathComponent("news.jsonl")
        try lines.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)

        let report = dir.appendingPathComponent("report.json")
        let r = try run(["scan", "--stream", "--no-default-rules", "--rules", rules.path, "--output", report.path, input.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(expected.count) alerts in 6000 articles"), r.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        let alerts = try XCTUnwrap(json["alerts"] as? [[String: Any]])
        let got = alerts.map { (($0["article"] as? [String: Any])?["id"] as? String ?? "", ($0["rule"] as? [String: Any])?["id"] as? String ?? "") }
        XCTAssertEqual(got.map { "\($0.0)/\($0.1)" }, expected.map { "\($0.0)/\($0.1)" })
        XCTAssertEqual((json["run"] as? [String: Any])?["articles"] as? Int, 6000)

        // The same alerts as JSON Lines, on stdout.
        let l = try run(["scan", "--stream", "--no-default-rules", "--rules", rules.path, "--format", "jsonl", input.path])
        XCTAssertEqual(l.status, 0, l.stderr)
        let jsonl = String(decoding: l.stdout, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(jsonl.count, expected.count)
        for (line, alert) in zip(jsonl, alerts) {
            var a = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            var b = alert
            a["first_seen"] = nil
            b["first_seen"] = nil
            XCTAssertEqual(NSDictionary(dictionary: a), NSDictionary(dictionary: b))
        }

        // Piped in: streamed as JSON Lines too (it is larger than the default --max-bytes
        // would allow whole), with the same alerts.
        let big = dir.appendingPathComponent("big.jsonl")
        try (0..<8).map { _ in lines.joined(separator: "\n") }.joined(separator: "\n").write(to: big, atomically: true, encoding: .utf8)
        let piped = dir.appendingPathComponent("piped.json")
        let s = try run(["scan", "--stream", "--no-default-rules", "--rules", rules.path, "--max-bytes", "1000000", "--output", piped.path, "-"], stdin: big)
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertTrue(s.stderr.contains("\(expected.count * 8) alerts in 48000 articles"), s.stderr)

        // The default scan (in-memory state, reporters) writes the same report.
        let plain = dir.appendingPathComponent("plain.json")
        let d = try run(["scan", "--no-default-rules", "--rules", rules.path, "--output", plain.path, input.path])
        XCTAssertEqual(d.status, 0, d.stderr)
        func withoutTimes(_ url: URL) throws -> [String] {
            try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
                .filter { !$0.contains("\"first_seen\"") && !$0.contains("\"started\"") && !$0.contains("\"finished\"") }
        }
        XCTAssertEqual(try withoutTimes(plain), try withoutTimes(report))
    }

    func testStreamRefusesStateReportersAndURLs() throws {
        for args in [["--state", dir.appendingPathComponent("s.db").path, "x.jsonl"], ["--reporter", "console", "x.jsonl"],
                     ["https://example.com/feed.xml"], []] {
            let r = try run(["scan", "--stream", "--no-default-rules"] + args)
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("--stream"), r.stderr)
        }
    }
}

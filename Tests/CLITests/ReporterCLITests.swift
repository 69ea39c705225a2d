import Foundation
import PolicyWatch
import XCTest

/// `scan --reporter` and `deliver`, end to end through the binary.
extension CLITests {
    static var reporterFixtures: String { root.appendingPathComponent("Tests/PolicyWatchTests/Fixtures/reporters").path }
    var fixtureScan: [String] {
        ["--no-default-rules", "--rules", Self.reporterFixtures + "/rules.yaml", Self.reporterFixtures + "/articles.jsonl"]
    }

    func testScanWithFileReporters() throws {
        let dir = temp("x").deletingLastPathComponent()
        let r = try run(["scan", "--reporter", "json=reports/{date}.json", "--reporter", "jsonl=alerts.jsonl",
                         "--reporter", "html[title=Desk]=digest.html", "--reporter", "console=stderr"] + fixtureScan, cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "", "with reporters and no --output, stdout stays empty")
        let day = ISO8601DateFormatter().string(from: Date()).prefix(10)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("reports/\(day).json"))) as! [String: Any]
        XCTAssertEqual((report["alerts"] as! [Any]).count, 11)
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("alerts.jsonl"), encoding: .utf8).split(separator: "\n").count, 11)
        XCTAssertTrue(try String(contentsOf: dir.appendingPathComponent("digest.html"), encoding: .utf8).contains("<title>Desk</title>"))
        XCTAssertTrue(r.stderr.contains("11 alerts in 4 articles (2 critical, 4 high, 2 medium, 3 low)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("json:reports/{date}.json: delivered 11 alerts"), r.stderr)
    }

    func testFailedCommandDeliveryIsRetriedByDeliverAndNeverRepeated() throws {
        let dir = temp("x").deletingLastPathComponent()
        let cmd = "command=test -f ok || { echo 'inbox offline' >&2; exit 1; }; cat > \"$(mktemp in-XXXXXX)\""
        let state = dir.appendingPathComponent("state/policywatch.db").path
        func received() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("in-") }.count
        }

        let first = try run(["scan", "--state", state, "--reporter", cmd, "--output", "report.json"] + fixtureScan, cwd: dir)
        XCTAssertEqual(first.status, 3, "a failed delivery is a partial failure")
        XCTAssertTrue(first.stderr.contains("exited with status 1: inbox offline"), first.stderr)
        XCTAssertTrue(first.stderr.contains("11 alerts not delivered; kept in the state"), first.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("report.json").path), "--output still written")
        XCTAssertEqual(try received(), 0)

        let status = try run(["deliver", "--state", state, "--status"], cwd: dir)
        XCTAssertEqual(status.status, 0)
        XCTAssertTrue(status.stdout.contains("command:test -f ok"), status.stdout)
        XCTAssertTrue(status.stdout.contains("delivered 0\tfailed 11\tpending 0"), status.stdout)

        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("ok").path, contents: nil)
        let retry = try run(["deliver", "--state", state, "--reporter", cmd], cwd: dir)
        XCTAssertEqual(retry.status, 0, retry.stderr)
        XCTAssertEqual(try received(), 11)

        // The next scan raises the same alerts: nothing is delivered twice.
        let again = try run(["scan", "--state", state, "--reporter", cmd] + fixtureScan, cwd: dir)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try received(), 11)
        let after = try run(["deliver", "--state", state, "--status"], cwd: dir)
        XCTAssertTrue(after.stdout.contains("delivered 11\tfailed 0\tpending 0"), after.stdout)
    }

    func testReporterUsageErrors() throws {
        let unknown = try run(["scan", "--reporter", "webhok=http://127.0.0.1:9/x"] + fixtureScan)
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("unknown reporter type 'webhok'"), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("did you mean 'webhook'?"), unknown.stderr)

        // A secret missing from the environment stops the run before scanning.
        let secret = try run(["scan", "--reporter", "webhook[header=Authorization: Bearer ${PW_TEST_UNSET_TOKEN}]=http://127.0.0.1:9/x"] + fixtureScan)
        XCTAssertEqual(secret.status, 64)
        XCTAssertTrue(secret.stderr.contains("environment variable 'PW_TEST_UNSET_TOKEN' is not set"), secret.stderr)

        let noState = try run(["deliver", "--reporter", "console"])
        XCTAssertEqual(noState.status, 64)
        XCTAssertTrue(noState.stderr.contains("deliver needs the state: --state PATH"), noState.stderr)
    }

    func testUnreachableWebhookIsAPartialFailure() throws {
        // Port 9 on loopback: nothing listens; connection refused at once.
        let r = try run(["scan", "--reporter", "webhook[retries=0,timeout=5]=http://127.0.0.1:9/hook"] + fixtureScan)
        XCTAssertEqual(r.status, 3, r.stderr)
        XCTAssertTrue(r.stderr.contains("webhook:http://127.0.0.1:9/hook: error: http://127.0.0.1:9/hook:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("11 alerts not delivered; lost: give --state PATH to retry later"), r.stderr)
    }

    /// One reporter system for both sources of config: `reporters:` in policywatch.yaml (with
    /// filters, a failing command and the config's directory for relative paths), then
    /// `deliver` with nothing but the config, run from elsewhere as cron would.
    func testConfigReportersAndDeliverFromTheConfig() throws {
        let dir = temp("x").deletingLastPathComponent()
        let conf = dir.appendingPathComponent("conf")
        try FileManager.default.createDirectory(at: conf, withIntermediateDirectories: true)
        try """
            state: state/pw.sqlite
            rules: [\(Self.reporterFixtures)/rules.yaml]
            default_rules: false
            sources: [\(Self.reporterFixtures)/articles.jsonl]
            reporters:
              - type: json
                path: reports/latest.json
              - type: jsonl
                path: reports/high.jsonl
                min_severity: high
              - type: command
                command: test -f ok || { echo 'inbox offline' >&2; exit 1; }; cat > "$(mktemp in-XXXXXX)"
                name: inbox
            """.write(to: conf.appendingPathComponent("policywatch.yaml"), atomically: true, encoding: .utf8)
        let config = conf.appendingPathComponent("policywatch.yaml").path
        func received() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: conf.path).filter { $0.hasPrefix("in-") }.count
        }

        let scan = try run(["scan", "--config", config], cwd: URL(fileURLWithPath: "/"))
        XCTAssertEqual(scan.status, 3, scan.stderr)
        XCTAssertEqual(scan.stdout, "", "the configured reporters take the output")
        let report = try JSONDecoder().decode(PolicyWatch.Report.self, from: Data(contentsOf: conf.appendingPathComponent("reports/latest.json")))
        XCTAssertEqual(report.alerts.count, 11)
        let high = try String(contentsOf: conf.appendingPathComponent("reports/high.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(high.count, 6, "min_severity: high keeps 2 critical and 4 high")
        XCTAssertTrue(scan.stderr.contains("inbox: error: command"), scan.stderr)
        XCTAssertTrue(scan.stderr.contains("inbox: 11 alerts not delivered; kept in the state"), scan.stderr)
        XCTAssertTrue(scan.stderr.contains("json:reports/latest.json: delivered 11 alerts"), scan.stderr)

        let status = try run(["deliver", "--config", config, "--status"], cwd: URL(fileURLWithPath: "/"))
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("jsonl:reports/high.jsonl\tdelivered 6\tfailed 0\tpending 0"), status.stdout)
        XCTAssertTrue(status.stdout.contains("inbox\tdelivered 0\tfailed 11\tpending 0"), status.stdout)

        // The command runs in the config's directory: `ok` there lets it through.
        _ = FileManager.default.createFile(atPath: conf.appendingPathComponent("ok").path, contents: nil)
        let retry = try run(["deliver", "--config", config], cwd: URL(fileURLWithPath: "/"))
        XCTAssertEqual(retry.status, 0, retry.stderr)
        XCTAssertTrue(retry.stderr.contains("inbox: delivered 11 alerts"), retry.stderr)
        XCTAssertEqual(try received(), 11)
        let quiet = try run(["deliver", "--config", config, "--quiet"], cwd: URL(fileURLWithPath: "/"))
        XCTAssertEqual(quiet.status, 0, quiet.stderr)
        XCTAssertEqual(quiet.stderr, "", "nothing owed, nothing said")
        XCTAssertEqual(try received(), 11, "never twice")
        let again = try run(["scan", "--config", config, "--quiet"], cwd: URL(fileURLWithPath: "/"))
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try received(), 11)
        XCTAssertEqual(try String(contentsOf: conf.appendingPathComponent("reports/high.jsonl"), encoding: .utf8).split(separator: "\n").count, 6)
    }
}

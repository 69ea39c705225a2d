import Foundation
import XCTest
@testable import PolicyWatch

final class CommandReporterTests: XCTestCase {
    func deliver(_ arg: String, alerts: [Alert], run: Report.RunInfo, dir: String, outbox: StateStore? = nil) throws -> Dispatcher.Summary {
        let (ctx, _) = ReporterFixtures.context(directory: dir)
        return try Dispatcher(configs: [ReporterConfig.parse(argument: arg)], context: ctx, outbox: outbox ?? StateStore.inMemory())
            .dispatch(raising: alerts, run: run)[0]
    }

    /// What the command reads on stdin is a report that validates against the schema, one
    /// alert per run of the command (or the whole run with digest=true).
    func testInputValidatesAgainstTheReportSchema() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let dir = ReporterFixtures.tempDir()
        let s = try deliver(#"command=cat > "$(mktemp in-XXXXXX)"; echo "$POLICYWATCH_ALERTS" >> counts"#, alerts: alerts, run: run, dir: dir)
        XCTAssertEqual(s.delivered, alerts.count)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("in-") }
        XCTAssertEqual(files.count, alerts.count)
        let validator = try MiniSchemaValidator(schemaPath: Repo.path("docs/report.schema.json"))
        var seen: [String] = []
        for f in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f))
            XCTAssertEqual(validator.validate(try JSONSerialization.jsonObject(with: data)), [], f)
            let report = try JSONDecoder().decode(Report.self, from: data)
            XCTAssertEqual(report.alerts.count, 1)
            seen += report.alerts.map(\.id)
        }
        XCTAssertEqual(seen.sorted(), alerts.map(\.id).sorted())
        XCTAssertEqual(try String(contentsOfFile: dir + "/counts", encoding: .utf8), String(repeating: "1\n", count: alerts.count))

        // Digest: one run, the whole report.
        let s2 = try deliver("command[digest=true]=cat > digest.json", alerts: alerts, run: run, dir: dir)
        XCTAssertEqual(s2.delivered, alerts.count)
        let digest = try Data(contentsOf: URL(fileURLWithPath: dir + "/digest.json"))
        XCTAssertEqual(validator.validate(try JSONSerialization.jsonObject(with: digest)), [])
        XCTAssertEqual(try JSONDecoder().decode(Report.self, from: digest).alerts.map(\.id), alerts.map(\.id))
    }

    func testNonZeroExitIsAFailedDeliveryWithStderr() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let dir = ReporterFixtures.tempDir()
        let outbox = try StateStore.inMemory()
        let cmd = "command=test -f ok || { echo 'mailer: queue full' >&2; exit 7; }; cat > /dev/null"
        let s1 = try deliver(cmd, alerts: Array(alerts.prefix(2)), run: run, dir: dir, outbox: outbox)
        XCTAssertEqual(s1.failed, 2)
        XCTAssertEqual(s1.errors, ["command 'test -f ok || { echo 'mailer: queue full' >&2; exit 7; }; cat > /dev/null' exited with status 7: mailer: queue full"])
        XCTAssertEqual(try outbox.deliveries().map(\.lastError), Array(repeating: s1.errors[0], count: 2))
        _ = FileManager.default.createFile(atPath: dir + "/ok", contents: nil)
        let s2 = try deliver(cmd, alerts: [], run: run, dir: dir, outbox: outbox)
        XCTAssertEqual(s2.delivered, 2)
    }

    func testCommandThatIgnoresItsInputOrHangs() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let dir = ReporterFixtures.tempDir()
        // Exits at once without reading a large input: no SIGPIPE, exit 0 acknowledges.
        var big = alerts[0]
        big.matches = Array(repeating: big.matches[0], count: 3000)
        XCTAssertEqual(try deliver("command=true", alerts: [big], run: run, dir: dir).delivered, 1)
        let started = Date()
        let s = try deliver("command[timeout=0.5]=sleep 30", alerts: [alerts[0]], run: run, dir: dir)
        XCTAssertEqual(s.failed, 1)
        XCTAssertTrue(s.errors[0].contains("killed after 0.5 s"), s.errors[0])
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
    }
}

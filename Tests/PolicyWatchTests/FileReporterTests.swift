import Foundation
import XCTest
@testable import PolicyWatch

/// json, jsonl and console.
final class FileReporterTests: XCTestCase {
    func make(_ arg: String, _ ctx: ReporterContext) throws -> any Reporter {
        try ReporterRegistry.builtIn.make(ReporterConfig.parse(argument: arg), context: ctx)
    }

    func testJSONReportWithDatedPathAndMerge() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let dir = ReporterFixtures.tempDir()
        let (ctx, _) = ReporterFixtures.context(directory: dir)
        let r = try make("json=reports/{date}/run-{time}.json", ctx)
        try r.deliver(DeliveryBatch(alerts: alerts, run: run, isDigest: true))
        let path = dir + "/reports/2026-06-01/run-060000.json"
        let report = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(report.alerts, alerts)
        let validator = try MiniSchemaValidator(schemaPath: Repo.path("docs/report.schema.json"))
        XCTAssertEqual(validator.validate(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))), [])
        // No temporary file is left beside it (atomic write through a rename).
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/reports/2026-06-01"), ["run-060000.json"])

        let daily = try make("json[merge=true]=daily-{date}.json", ctx)
        try daily.deliver(DeliveryBatch(alerts: Array(alerts.prefix(3)), run: run, isDigest: true))
        try daily.deliver(DeliveryBatch(alerts: Array(alerts[2..<6]), run: run, isDigest: true))
        let merged = try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/daily-2026-06-01.json")))
        XCTAssertEqual(merged.alerts.map(\.id), alerts.prefix(6).map(\.id))
        XCTAssertEqual(merged.run.articles, run.articles * 2)

        try Data("not json".utf8).write(to: URL(fileURLWithPath: dir + "/daily-2026-06-01.json"))
        XCTAssertThrowsError(try daily.deliver(DeliveryBatch(alerts: alerts, run: run, isDigest: true))) { e in
            XCTAssertTrue("\(e)".contains("is not a policywatch report"), "\(e)")
        }
    }

    func testJSONWriteFailureIsADeliveryFailure() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let dir = ReporterFixtures.tempDir()
        _ = FileManager.default.createFile(atPath: dir + "/blocker", contents: nil)
        let (ctx, _) = ReporterFixtures.context(directory: dir)
        let outbox = try StateStore.inMemory()
        let s = try Dispatcher(configs: [ReporterConfig.parse(argument: "json=blocker/out.json")], context: ctx, outbox: outbox)
            .dispatch(raising: alerts, run: run)[0]
        XCTAssertEqual(s.failed, alerts.count)
        XCTAssertTrue(s.errors[0].hasPrefix("cannot write"), s.errors[0])
        XCTAssertEqual(try outbox.undelivered(reporter: "json:blocker/out.json").count, alerts.count)
    }

    func testJSONLinesAppends() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let dir = ReporterFixtures.tempDir()
        let (ctx, out) = ReporterFixtures.context(directory: dir)
        let r = try make("jsonl=alerts.jsonl", ctx)
        try r.deliver(DeliveryBatch(alerts: Array(alerts.prefix(2)), run: run, isDigest: true))
        try r.deliver(DeliveryBatch(alerts: Array(alerts[2...]), run: run, isDigest: true))
        let lines = try String(contentsOfFile: dir + "/alerts.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(try lines.map { try JSONDecoder().decode(Alert.self, from: Data($0.utf8)).id }, alerts.map(\.id))
        XCTAssertTrue(lines[0].contains("\"first_seen\":\"2026-06-01T06:00:00Z\""))
        try make("jsonl", ctx).deliver(DeliveryBatch(alerts: [alerts[0]], run: run, isDigest: true))
        XCTAssertEqual(out.stdout, String(lines[0]) + "\n")

        // The file is appended to, never replaced (log shippers follow it by inode), and a
        // line torn by a writer that died is left alone on its own line.
        let inode = try FileManager.default.attributesOfItem(atPath: dir + "/alerts.jsonl")[.systemFileNumber] as? Int
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: dir + "/alerts.jsonl"))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"id":"torn"#.utf8))
        try handle.close()
        try r.deliver(DeliveryBatch(alerts: [alerts[0]], run: run, isDigest: true))
        let after = try String(contentsOfFile: dir + "/alerts.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(after.count, alerts.count + 2)
        XCTAssertEqual(after[alerts.count], #"{"id":"torn"#)
        XCTAssertEqual(try JSONDecoder().decode(Alert.self, from: Data(after[alerts.count + 1].utf8)).id, alerts[0].id)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: dir + "/alerts.jsonl")[.systemFileNumber] as? Int, inode)
    }

    func testConsoleGroupsByArticleThenSeverity() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let (ctx, out) = ReporterFixtures.context(terminal: false)
        try make("console", ctx).deliver(DeliveryBatch(alerts: alerts, run: run, isDigest: true))
        let text = out.stdout
        XCTAssertFalse(text.contains("\u{1B}["), "no colour when stdout is not a terminal")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The US article: critical before high before low, then the next article.
        let us = try XCTUnwrap(lines.firstIndex(of: "Chip tools & export controls: what the <new> rule means"))
        let card = lines[us...].prefix { !$0.isEmpty }
        let sevs = card.filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .map { String($0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) }
            .filter { Severity(rawValue: $0.lowercased()) != nil }
        XCTAssertEqual(sevs, ["CRITICAL", "HIGH", "LOW"])
        // One card: its origin and its tags once, before the rules.
        XCTAssertTrue(card.dropFirst().first?.contains("https://") == true, card.joined(separator: "\n"))
        XCTAssertEqual(card.filter { $0.hasPrefix("  tags ") }.count, 1)
        XCTAssertTrue(text.contains("[Entity List]"), "evidence is marked without colour")
        XCTAssertEqual(lines.filter { !$0.isEmpty }.last, "11 alerts in 4 articles (2 critical, 4 high, 2 medium, 3 low)")

        let (tty, colored) = ReporterFixtures.context(terminal: true)
        try make("console", tty).deliver(DeliveryBatch(alerts: alerts, run: run, isDigest: true))
        XCTAssertTrue(colored.stdout.contains("\u{1B}[1;31mCRITICAL"), "colour on a terminal")
        let (noColor, plain) = ReporterFixtures.context(env: ["NO_COLOR": "1"], terminal: true)
        try make("console", noColor).deliver(DeliveryBatch(alerts: alerts, run: run, isDigest: true))
        XCTAssertFalse(plain.stdout.contains("\u{1B}["), "NO_COLOR is honoured")

        let (ctx2, out2) = ReporterFixtures.context()
        try make("console=stderr", ctx2).deliver(DeliveryBatch(alerts: [], run: run, isDigest: true))
        XCTAssertEqual(out2.stderr, "No new alerts (4 articles scanned).\n")
        XCTAssertEqual(out2.stdout, "")
    }
}

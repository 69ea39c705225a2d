import Foundation
import PolicyWatchTestSupport
import XCTest
@testable import PolicyWatch

/// The webhook reporter against a real HTTP server on 127.0.0.1, through the outbox.
final class WebhookReporterTests: XCTestCase {
    /// The issue's acceptance test: the receiver first fails (HTTP 500), then times out,
    /// then accepts. Each run is a new dispatcher on the same state file (as separate cron
    /// runs are); every alert must arrive exactly once, on the third run, with its id as
    /// the Idempotency-Key, and nothing more afterwards.
    func testFailingThenStalledThenAcceptingReceiverGetsEveryAlertOnceOnTheLaterRun() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        let (alerts, run) = try ReporterFixtures.scan()
        XCTAssertGreaterThan(alerts.count, 5)
        let dir = ReporterFixtures.tempDir()
        let statePath = dir + "/state.db"
        let env = ["HOOK_TOKEN": "s3cret-token-value"]
        let config = try ReporterConfig.parse(argument:
            "webhook[timeout=2,retries=1,backoff=0.01,header=Authorization: Bearer ${HOOK_TOKEN}]=\(server.url("/hook"))")

        // Where each run's requests start in the server's log (requests are logged as they arrive).
        var starts: [Int] = []
        func requests(ofRun n: Int) -> ArraySlice<LoopbackHTTPServer.Request> {
            let all = server.requests
            return all[starts[n - 1]..<(n < starts.count ? starts[n] : all.count)]
        }
        func runOnce(_ phase: Int, _ answer: LoopbackHTTPServer.Resource, newAlerts: [Alert]) throws -> Dispatcher.Summary {
            XCTAssertEqual(starts.count, phase - 1)
            starts.append(server.requests.count)
            server.set("/hook", answer)
            let (ctx, _) = ReporterFixtures.context(env: env)
            // A new dispatcher on the state file, as a separate cron run is.
            let d = try Dispatcher(configs: [config], context: ctx, outbox: StateStore.open(path: statePath))
            return try d.dispatch(raising: newAlerts, run: run)[0]
        }

        // Timeouts are 2 s, not less: on a loaded 2-core machine a tighter one can expire on a
        // request the server did accept, which is a (correct) at-least-once duplicate.
        // Run 1: HTTP 500. The first alert is tried twice (one retry), the rest deferred.
        let r1 = try runOnce(1, .answer(500), newAlerts: alerts)
        XCTAssertEqual(r1.delivered, 0)
        XCTAssertEqual(r1.failed + r1.deferred, alerts.count)
        XCTAssertTrue(r1.errors.first?.contains("HTTP 500") == true, "\(r1.errors)")
        XCTAssertEqual(requests(ofRun: 1).count, 2, "one attempt and one retry, then the target counts as down")

        // Run 2: the receiver stalls past the timeout. The scan raises the same alerts again.
        let started = Date()
        let r2 = try runOnce(2, .stall(8), newAlerts: alerts)
        XCTAssertEqual(r2.delivered, 0)
        XCTAssertEqual(r2.failed + r2.deferred, alerts.count)
        XCTAssertTrue(r2.errors.first?.contains("timeout") == true, "\(r2.errors)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 7.5, "the client gave up at its timeout (2 s, twice), not the server's 8 s")

        // Run 3: the receiver accepts; everything owed goes out.
        let r3 = try runOnce(3, .answer(200), newAlerts: [])
        XCTAssertEqual(r3.delivered, alerts.count)
        XCTAssertTrue(r3.ok)

        // Run 4: the same alerts again (a rescan): nothing is sent twice.
        let r4 = try runOnce(4, .answer(200), newAlerts: alerts)
        XCTAssertEqual(r4.delivered, 0)
        XCTAssertTrue(requests(ofRun: 4).isEmpty)

        let accepted = server.requests.filter { $0.status == 200 }
        XCTAssertEqual(accepted.count, alerts.count, "every alert arrives exactly once")
        XCTAssertEqual(requests(ofRun: 3).filter { $0.status == 200 }.count, accepted.count, "and on the run after the failures")
        let keys = accepted.map { $0.headers["idempotency-key"] ?? "" }
        XCTAssertEqual(keys.sorted(), alerts.map(\.id).sorted(), "Idempotency-Key = the alert id")
        // The key is stable: the failed attempts carried the same key for the first alert.
        let firstKey = requests(ofRun: 1).first?.headers["idempotency-key"]
        XCTAssertEqual(firstKey, alerts[0].id)
        XCTAssertEqual(server.requests.filter { $0.headers["idempotency-key"] == alerts[0].id }.count, 2 + 2 + 1)

        // Each body is a report (format v1) holding exactly the alert its key names.
        let validator = try MiniSchemaValidator(schemaPath: Repo.path("docs/report.schema.json"))
        for r in accepted {
            XCTAssertEqual(r.headers["authorization"], "Bearer s3cret-token-value")
            XCTAssertEqual(r.headers["content-type"], "application/json")
            let json = try JSONSerialization.jsonObject(with: r.body)
            XCTAssertEqual(validator.validate(json), [])
            let body = try JSONDecoder().decode(Report.self, from: r.body)
            XCTAssertEqual(body.alerts.map(\.id), [r.headers["idempotency-key"]!])
        }

        // The outbox agrees, and the secret is nowhere in the state.
        let records = try StateStore.open(path: statePath).deliveries()
        XCTAssertEqual(records.count, alerts.count)
        XCTAssertTrue(records.allSatisfy { $0.status == .delivered && $0.reporter == "webhook:\(server.url("/hook"))" })
        XCTAssertEqual(records.first { $0.alertID == alerts[0].id }?.attempts, 3)
        let stateBytes = try Data(contentsOf: URL(fileURLWithPath: statePath))
            + ((try? Data(contentsOf: URL(fileURLWithPath: statePath + "-wal"))) ?? Data())
        XCTAssertNil(stateBytes.range(of: Data("s3cret-token-value".utf8)), "secrets never reach the state")
    }

    func testSecretsAreScrubbedFromErrors() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        server.set("/T000/B000/very-secret-path", .answer(401))
        // The secret is in the URL (as in a Slack webhook URL) and in a header.
        let env = ["HOOK_PATH": "T000/B000/very-secret-path", "TOKEN": "tok-123456"]
        let config = try ReporterConfig.parse(argument: "webhook[header=X-Token: ${TOKEN},retries=0]=\(server.url("/${HOOK_PATH}"))")
        let (ctx, _) = ReporterFixtures.context(env: env)
        let outbox = try StateStore.inMemory()
        let (alerts, run) = try ReporterFixtures.scan()
        let s = try Dispatcher(configs: [config], context: ctx, outbox: outbox).dispatch(raising: Array(alerts.prefix(2)), run: run)[0]
        XCTAssertEqual(server.requests.first?.path, "/T000/B000/very-secret-path")
        XCTAssertEqual(server.requests.first?.headers["x-token"], "tok-123456")
        // 401 is not the target being down: each alert is tried (and fails) on its own.
        XCTAssertEqual(s.failed, 2)
        XCTAssertEqual(s.deferred, 0)
        let text = s.errors.joined() + s.reporter + (try outbox.deliveries()).map { ($0.lastError ?? "") + $0.reporter }.joined()
        XCTAssertTrue(text.contains("${HOOK_PATH}"), text)
        XCTAssertFalse(text.contains("very-secret-path"), text)
        XCTAssertFalse(text.contains("tok-123456"), text)
    }

    func testMissingEnvironmentVariableIsAConfigError() throws {
        let config = try ReporterConfig.parse(argument: "webhook[header=Authorization: Bearer ${NOPE_TOKEN}]=http://127.0.0.1:9/x")
        let (ctx, _) = ReporterFixtures.context(env: [:])
        XCTAssertThrowsError(try Dispatcher(configs: [config], context: ctx, outbox: StateStore.inMemory())) { e in
            XCTAssertTrue("\(e)".contains("environment variable 'NOPE_TOKEN' is not set"), "\(e)")
        }
    }

    func testDigestIsOneRequestWithAllAlertsAndAStableKey() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        server.set("/hook", .answer(200))
        let (alerts, run) = try ReporterFixtures.scan()
        let config = try ReporterConfig.parse(argument: "webhook[digest=true,min_severity=high]=\(server.url("/hook"))")
        let (ctx, _) = ReporterFixtures.context()
        let s = try Dispatcher(configs: [config], context: ctx, outbox: StateStore.inMemory()).dispatch(raising: alerts, run: run)[0]
        let high = alerts.filter { $0.rule.severity >= .high }
        XCTAssertEqual(s.delivered, high.count)
        XCTAssertEqual(server.requests.count, 1)
        let body = try JSONDecoder().decode(Report.self, from: server.requests[0].body)
        XCTAssertEqual(body.alerts.map(\.id), high.map(\.id))
        let key = server.requests[0].headers["idempotency-key"]
        XCTAssertEqual(key, DeliveryBatch(alerts: high.reversed(), run: run, isDigest: true).idempotencyKey, "order does not change the key")
        XCTAssertTrue(key?.hasPrefix("digest-") == true)
    }

    func testSlackFormat() throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        server.set("/one", .answer(200))
        server.set("/digest", .answer(200))
        let (alerts, run) = try ReporterFixtures.scan()
        let (ctx, _) = ReporterFixtures.context()
        for arg in ["webhook[format=slack]=\(server.url("/one"))", "webhook[format=slack,digest=true]=\(server.url("/digest"))"] {
            let config = try ReporterConfig.parse(argument: arg)
            _ = try Dispatcher(configs: [config], context: ctx, outbox: StateStore.inMemory()).dispatch(raising: alerts, run: run)
        }
        let one = server.requests.filter { $0.path == "/one" }
        XCTAssertEqual(one.count, alerts.count)
        let us = try XCTUnwrap(alerts.first { $0.article.title.contains("<new>") })
        let msg = try XCTUnwrap(one.first { $0.headers["idempotency-key"] == us.id })
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: msg.body) as? [String: Any])
        let text = try XCTUnwrap(json["text"] as? String)
        XCTAssertTrue(text.hasPrefix("[\(us.rule.severity.rawValue.uppercased())] \(us.rule.title)"), text)
        let blocks = try XCTUnwrap(json["blocks"] as? [[String: Any]])
        let section = try XCTUnwrap((blocks[0]["text"] as? [String: Any])?["text"] as? String)
        // Slack's control characters escaped; the link and the highlighted evidence present.
        XCTAssertTrue(section.contains("<https://wire.example.com/2026/05/entity-list-update|Chip tools &amp; export controls: what the &lt;new&gt; rule means>"), section)
        XCTAssertTrue(section.contains("*") && section.contains("> "), section)

        let digest = server.requests.filter { $0.path == "/digest" }
        XCTAssertEqual(digest.count, 1)
        let d = try XCTUnwrap(JSONSerialization.jsonObject(with: digest[0].body) as? [String: Any])
        XCTAssertEqual(d["text"] as? String, "policywatch: \(alerts.count) new alerts")
        XCTAssertLessThanOrEqual((d["blocks"] as? [Any])?.count ?? 99, 50)
    }

    func testMustacheTemplateBodyIsJSONEscaped() throws {
        let dir = ReporterFixtures.tempDir()
        try """
            {"summary": "{{alert.rule.title}}: {{alert.article.title}}", "id": "{{alert.id}}", "count": {{count}},
             "terms": [{{#alert.matches}}"{{text}}",{{/alert.matches}}null]}
            """.write(toFile: dir + "/body.mustache", atomically: true, encoding: .utf8)
        let config = try ReporterConfig.parse(argument: "webhook[template=body.mustache,content_type=application/vnd.example+json]=http://127.0.0.1:9/x")
        let (ctx, _) = ReporterFixtures.context(directory: dir)
        let reporter = try XCTUnwrap(try ReporterRegistry.builtIn.make(config, context: ctx) as? WebhookReporter)
        let (alerts, run) = try ReporterFixtures.scan()
        let us = try XCTUnwrap(alerts.first { $0.article.title.contains("<new>") })
        let body = try reporter.body(DeliveryBatch(alerts: [us], run: run, isDigest: false))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: body) as? [String: Any], String(decoding: body, as: UTF8.self))
        XCTAssertEqual(json["summary"] as? String, "\(us.rule.title): \(us.article.title)", "quotes, <, & kept as text, not HTML-escaped")
        XCTAssertEqual(json["id"] as? String, us.id)
        XCTAssertEqual(json["count"] as? Int, 1)
        XCTAssertEqual((json["terms"] as? [Any])?.count, us.matches.count + 1)
    }

    func testBadTemplateIsAConfigError() throws {
        let dir = ReporterFixtures.tempDir()
        try "{{#open}} never closed".write(toFile: dir + "/bad.mustache", atomically: true, encoding: .utf8)
        let (ctx, _) = ReporterFixtures.context(directory: dir)
        for (arg, expected) in [("webhook[template=bad.mustache]=http://127.0.0.1:9/x", "invalid Mustache template"),
                                ("webhook[template=missing.mustache]=http://127.0.0.1:9/x", "cannot read the webhook template"),
                                ("webhook=ftp://example.org/x", "unsupported scheme 'ftp' in ftp://example.org/x"),
                                ("webhook[format=xml]=http://127.0.0.1:9/x", "format must be one of json, slack")] {
            XCTAssertThrowsError(try ReporterRegistry.builtIn.make(try ReporterConfig.parse(argument: arg), context: ctx), arg) { e in
                XCTAssertTrue("\(e)".contains(expected), "\(arg): \(e)")
            }
        }
    }
}

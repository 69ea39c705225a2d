import Foundation
import XCTest
@testable import PolicyWatch

/// The outbox semantics, with a scripted reporter: what is sent, when, and never twice.
final class DispatcherTests: XCTestCase {
    /// Fails while `failing` is set; records every batch it accepted.
    struct Scripted: Reporter {
        static let identifier = "scripted"
        static let summary = "test reporter"
        static let options: [ReporterOption] = []
        static let granularity = DeliveryGranularity.perAlert

        final class Box: @unchecked Sendable {
            let lock = NSLock()
            var failing = false
            var down = false
            var accepted: [[String]] = []
            var attempts = 0
        }

        let box: Box
        init(config: ReporterConfig, context: ReporterContext) throws { box = Box() }
        init(box: Box) { self.box = box }

        func deliver(_ batch: DeliveryBatch) throws {
            try box.lock.withLock {
                box.attempts += 1
                if box.failing { throw DeliveryError("scripted failure", targetDown: box.down) }
                box.accepted.append(batch.alerts.map(\.id))
            }
        }
    }

    func dispatcher(_ config: ReporterConfig, _ box: Scripted.Box, outbox: StateStore) -> Dispatcher {
        Dispatcher(entries: [.init(config: config, reporter: Scripted(box: box))], outbox: outbox, clock: { ReporterFixtures.nowDate })
    }

    func testFailedDeliveriesAreRetriedAndAcknowledgedOnesNeverResent() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let outbox = try StateStore.inMemory()
        let box = Scripted.Box()
        let d = dispatcher(ReporterConfig(type: "scripted", target: "x"), box, outbox: outbox)
        box.failing = true
        let s1 = try d.dispatch(raising: Array(alerts.prefix(3)), run: run)[0]
        XCTAssertEqual(s1.failed, 3, "not down: every alert tried")
        XCTAssertEqual(try outbox.undelivered(reporter: "scripted:x").map(\.id), alerts.prefix(3).map(\.id))
        box.failing = false
        // The next run raises new alerts and one old one again.
        let s2 = try d.dispatch(raising: Array(alerts[2..<5]), run: run)[0]
        XCTAssertEqual(s2.delivered, 5)
        XCTAssertEqual(box.accepted.flatMap { $0 }, alerts.prefix(5).map(\.id), "old failures first, then new, each once")
        let s3 = try d.dispatch(raising: Array(alerts.prefix(5)), run: run)[0]
        XCTAssertEqual(s3.delivered, 0)
        XCTAssertEqual(box.accepted.count, 5)
        XCTAssertEqual(try outbox.deliveries().map(\.attempts), [2, 2, 2, 1, 1])
    }

    func testTargetDownDefersTheRestOfTheRun() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let outbox = try StateStore.inMemory()
        let box = Scripted.Box()
        box.failing = true
        box.down = true
        let s = try dispatcher(ReporterConfig(type: "scripted", target: "x"), box, outbox: outbox).dispatch(raising: alerts, run: run)[0]
        XCTAssertEqual(box.attempts, 1, "one failure against a down target is enough")
        XCTAssertEqual(s.failed, 1)
        XCTAssertEqual(s.deferred, alerts.count - 1)
        XCTAssertFalse(s.ok)
        XCTAssertEqual(try outbox.undelivered(reporter: "scripted:x").count, alerts.count, "deferred alerts stay owed")
        XCTAssertEqual(try outbox.deliveries().filter { $0.status == .pending }.count, alerts.count - 1)
    }

    func testFiltersAndDigest() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let box = Scripted.Box()
        var config = try ReporterConfig.parse(argument: "scripted[min_severity=medium,tags=export-control|joint-statement,digest=true]=x")
        XCTAssertEqual(config.minSeverity, .medium)
        XCTAssertEqual(config.tags, ["export-control", "joint-statement"])
        XCTAssertTrue(config.digest)
        let outbox = try StateStore.inMemory()
        let s = try dispatcher(config, box, outbox: outbox).dispatch(raising: alerts, run: run)[0]
        let expected = alerts.filter { $0.rule.severity >= .medium && !Set($0.rule.tags).isDisjoint(with: ["export-control", "joint-statement"]) }
        XCTAssertEqual(try outbox.deliveries().map(\.alertID), expected.map(\.id), "alerts the filters refuse are never queued")
        XCTAssertEqual(box.accepted, [expected.map(\.id)], "one digest holding the filtered alerts")
        XCTAssertEqual(s.delivered, expected.count)
        XCTAssertFalse(expected.isEmpty)
        XCTAssertLessThan(expected.count, alerts.count)
        config.digest = false
        let box2 = Scripted.Box()
        _ = try dispatcher(config, box2, outbox: StateStore.inMemory()).dispatch(raising: alerts, run: run)
        XCTAssertEqual(box2.accepted, expected.map { [$0.id] }, "one delivery per alert without digest")
    }

    func testTwoReportersHaveSeparateOutboxes() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let outbox = try StateStore.inMemory()
        let a = Scripted.Box(), b = Scripted.Box()
        b.failing = true
        let d = Dispatcher(entries: [.init(config: ReporterConfig(type: "scripted", target: "a"), reporter: Scripted(box: a)),
                                     .init(config: ReporterConfig(type: "scripted", target: "b"), reporter: Scripted(box: b))], outbox: outbox, clock: { ReporterFixtures.nowDate })
        _ = try d.dispatch(raising: alerts, run: run)
        XCTAssertEqual(try outbox.undelivered(reporter: "scripted:a").count, 0)
        XCTAssertEqual(try outbox.undelivered(reporter: "scripted:b").count, alerts.count)
        b.failing = false
        let s = d.dispatch(run: run, isScan: false)
        XCTAssertEqual(s.map(\.delivered), [0, alerts.count])
        XCTAssertEqual(a.accepted.count, alerts.count)
    }

    func testOutboxPersistsAcrossOpensAndKeepsDeliveredFinal() throws {
        let (alerts, _) = try ReporterFixtures.scan()
        let path = ReporterFixtures.tempDir() + "/sub/state.db"
        let r = ReporterConfig(type: "r")
        do {
            let outbox = try StateStore.open(path: path)
            try outbox.raise(Array(alerts.prefix(3)), for: [r])
            try outbox.markDelivered(alertIDs: [alerts[0].id], reporter: "r", at: ReporterFixtures.now)
            try outbox.markFailed(alertIDs: [alerts[1].id], reporter: "r", error: "nope", at: ReporterFixtures.now)
        }
        let outbox = try StateStore.open(path: path)
        // Raising them again (a rescan) must not revive the delivered one.
        XCTAssertEqual(try outbox.raise(Array(alerts.prefix(3)), for: [r]), [])
        let pending = try outbox.undelivered(reporter: "r")
        XCTAssertEqual(pending.map(\.id), [alerts[1].id, alerts[2].id])
        XCTAssertEqual(pending[0], alerts[1], "the alert comes back whole from the state")
        try outbox.markFailed(alertIDs: [alerts[0].id], reporter: "r", error: "late failure", at: ReporterFixtures.now)
        let records = try outbox.deliveries(reporter: "r")
        XCTAssertEqual(records.map(\.status), [.delivered, .failed, .pending])
        XCTAssertEqual(records[0].attempts, 1, "a delivered record is final")
        XCTAssertEqual(records[1].lastError, "nope")
        XCTAssertEqual(try outbox.deliveries(reporter: "other"), [])
    }

    func testDuplicateReporterKeysAreRejected() throws {
        let (ctx, _) = ReporterFixtures.context()
        let c = ReporterConfig(type: "json", target: "out.json")
        XCTAssertThrowsError(try Dispatcher(configs: [c, c], context: ctx, outbox: StateStore.inMemory())) { e in
            XCTAssertTrue("\(e)".contains("two reporters record deliveries under 'json:out.json'"), "\(e)")
        }
        let d = try ReporterConfig.parse(argument: "json[name=daily]=out.json")
        XCTAssertNoThrow(try Dispatcher(configs: [c, d], context: ctx, outbox: StateStore.inMemory()))
        XCTAssertEqual(d.key, "daily")
    }

    func testCustomReporterRegistration() throws {
        var registry = ReporterRegistry.builtIn
        XCTAssertNil(registry.type(named: "scripted"))
        registry.register(Scripted.self)
        XCTAssertEqual(registry.names, ["command", "console", "html", "json", "jsonl", "scripted", "webhook"])
        let (ctx, _) = ReporterFixtures.context()
        XCTAssertNoThrow(try Dispatcher(configs: [ReporterConfig(type: "scripted")], registry: registry, context: ctx, outbox: StateStore.inMemory()))
        XCTAssertThrowsError(try Dispatcher(configs: [ReporterConfig(type: "scripted")], context: ctx, outbox: StateStore.inMemory()))
    }
}

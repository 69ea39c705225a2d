// Runs once the cron branch (StateStore) is merged: see StateStore+DeliveryLog.swift.
#if POLICYWATCH_STATE_STORE
import Foundation
import XCTest
@testable import PolicyWatch

/// The dispatcher over the cron branch's state: the scan's commit queues new alerts for the
/// reporters; a failing reporter keeps them owed across opens of the state; none goes twice.
final class StateDeliveryLogTests: XCTestCase {
    func testOutboxOnTheStateStore() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let dir = ReporterFixtures.tempDir()
        let path = dir + "/state.sqlite"
        let config = try ReporterConfig.parse(argument: #"command=test -f ok && cat > "$(mktemp in-XXXXXX)""#)
        let (ctx, _) = ReporterFixtures.context(directory: dir)

        // What a scan commits: the articles, their alerts, and a delivery per reporter.
        let (articles, _) = ArticleReader().read(path: ReporterFixtures.dir + "/articles.jsonl")
        var batch = StateStore.Batch(reporters: [config.key], now: ReporterFixtures.now)
        for var a in articles {
            a.path = "Fixtures/reporters/articles.jsonl"
            let own = alerts.filter { $0.article.key == a.key }
            batch.articles.append(.init(article: a, contentHash: StableHash.hex(a.body), letters: a.body.count, alerts: own))
        }
        let raised = try StateStore.open(path: path).commit(batch)
        XCTAssertEqual(raised.map(\.id).sorted(), alerts.map(\.id).sorted())

        let first = try Dispatcher(configs: [config], context: ctx, log: StateStore.open(path: path)).dispatch(newAlerts: raised, run: run)[0]
        XCTAssertEqual(first.failed, alerts.count)
        _ = FileManager.default.createFile(atPath: dir + "/ok", contents: nil)
        let second = try Dispatcher(configs: [config], context: ctx, log: StateStore.open(path: path)).dispatch(newAlerts: [], run: run)[0]
        XCTAssertEqual(second.delivered, alerts.count)
        let third = try Dispatcher(configs: [config], context: ctx, log: StateStore.open(path: path)).dispatch(newAlerts: raised, run: run)[0]
        XCTAssertEqual(third.delivered, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("in-") }.count, alerts.count)
        let records = try StateStore.open(path: path).deliveries(for: config.key)
        XCTAssertEqual(records.map(\.status), Array(repeating: .delivered, count: alerts.count))
        XCTAssertEqual(records.map(\.attempts), Array(repeating: 2, count: alerts.count))
    }
}
#endif

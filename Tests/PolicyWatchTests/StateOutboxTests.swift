import Foundation
import XCTest
@testable import PolicyWatch

/// The dispatcher over the state: the scan's commit queues new alerts for the reporters; a
/// failing reporter keeps them owed across opens of the state; none goes twice.
final class StateOutboxTests: XCTestCase {
    func testOutboxOnTheStateStore() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let dir = ReporterFixtures.tempDir()
        let path = dir + "/state.sqlite"
        let config = try ReporterConfig.parse(argument: #"command=test -f ok && cat > "$(mktemp in-XXXXXX)""#)
        let (ctx, _) = ReporterFixtures.context(directory: dir)

        // What a scan commits: the articles, their alerts, and a delivery per reporter.
        let (articles, _) = ArticleReader().read(path: ReporterFixtures.dir + "/articles.jsonl")
        var batch = StateStore.Batch(reporters: [config], now: ReporterFixtures.now)
        for var a in articles {
            a.path = "Fixtures/reporters/articles.jsonl"
            let own = alerts.filter { $0.article.key == a.key }
            let (hash, letters) = ContentHash.story(title: a.title, body: a.body)
            batch.articles.append(.init(article: a, contentHash: hash, letters: letters, alerts: own))
        }
        let raised = try StateStore.open(path: path).commitRaised(batch)
        XCTAssertEqual(raised.map(\.id).sorted(), alerts.map(\.id).sorted())
        XCTAssertEqual(try StateStore.open(path: path).deliveries(reporter: config.key).map(\.status),
                       Array(repeating: .pending, count: alerts.count), "queued in the commit, before any delivery")

        let first = try Dispatcher(configs: [config], context: ctx, outbox: StateStore.open(path: path)).dispatch(run: run)[0]
        XCTAssertEqual(first.failed, alerts.count)
        _ = FileManager.default.createFile(atPath: dir + "/ok", contents: nil)
        let second = try Dispatcher(configs: [config], context: ctx, outbox: StateStore.open(path: path)).dispatch(run: run)[0]
        XCTAssertEqual(second.delivered, alerts.count)
        // A rescan commits the same alerts again: nothing new is raised or queued.
        batch.rescan = true
        XCTAssertEqual(try StateStore.open(path: path).commitRaised(batch), [])
        let third = try Dispatcher(configs: [config], context: ctx, outbox: StateStore.open(path: path)).dispatch(run: run)[0]
        XCTAssertEqual(third.delivered, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("in-") }.count, alerts.count)
        let records = try StateStore.open(path: path).deliveries(reporter: config.key)
        XCTAssertEqual(records.map(\.status), Array(repeating: .delivered, count: alerts.count))
        XCTAssertEqual(records.map(\.attempts), Array(repeating: 2, count: alerts.count))
    }
}

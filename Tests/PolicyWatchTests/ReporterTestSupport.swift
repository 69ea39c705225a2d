import Foundation
import PolicyMatcher
import PolicyWatchTestSupport
import XCTest
@testable import PolicyWatch

/// The reporter fixtures: four articles (ko+en, en, zh, ja) and four rules with four tags
/// and four severities, scanned at a fixed time.
enum ReporterFixtures {
    static let dir = Repo.fixtures + "/reporters"
    static let now = "2026-06-01T06:00:00Z"
    static let nowDate = ISO8601DateFormatter().date(from: now)!

    static func scan() throws -> (alerts: [Alert], run: Report.RunInfo) {
        let (set, diags) = RuleLoader.compile(paths: [dir + "/rules.yaml"], includeBuiltin: false)
        let rules = try XCTUnwrap(set, "\(diags)")
        let (articles, errors) = ArticleReader().read(path: dir + "/articles.jsonl")
        XCTAssertEqual(errors, [])
        var normalizer = TextNormalizer()
        var alerts: [Alert] = []
        for var a in articles {
            a.path = "Fixtures/reporters/articles.jsonl"  // independent of the checkout location
            alerts += RuleScanner(ruleSet: rules).scan(a, normalizer: &normalizer, now: now)
        }
        for i in alerts.indices { alerts[i].rule.file = "Fixtures/reporters/rules.yaml" }
        return (alerts, Report.RunInfo(started: now, finished: now, rules: rules.rules.count, articles: articles.count, skipped: 0))
    }

    /// A new directory, removed with the others when the test process ends.
    static func tempDir() -> String {
        let d = (scratch as NSString).appendingPathComponent(UUID().uuidString)
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// The reporter tests' directories, all under one that is removed when the process exits.
    private static let scratch: String = {
        let d = NSTemporaryDirectory() + "pw-rep-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: ReporterFixtures.scratch) }
        return d
    }()

    /// A context that captures stdout and stderr, at the fixtures' time.
    static func context(env: [String: String] = [:], terminal: Bool = false, stderrTerminal: Bool = false,
                        directory: String? = nil) -> (ReporterContext, Captured) {
        let captured = Captured()
        let run = RunContext(clock: { nowDate }, workingDirectory: directory ?? tempDir(), environment: env,
                             standardOutput: { captured.append(out: $0) }, standardError: { captured.append(err: $0) },
                             stdoutIsTerminal: terminal, stderrIsTerminal: stderrTerminal)
        return (ReporterContext(run: run, now: nowDate), captured)
    }

    final class Captured: @unchecked Sendable {
        private let lock = NSLock()
        private var o = Data(), e = Data()
        func append(out d: Data) { lock.withLock { o.append(d) } }
        func append(err d: Data) { lock.withLock { e.append(d) } }
        var stdout: String { lock.withLock { String(decoding: o, as: UTF8.self) } }
        var stderr: String { lock.withLock { String(decoding: e, as: UTF8.self) } }
    }
}

/// Answers of the loopback server for webhook tests.
extension LoopbackHTTPServer.Resource {
    /// A receiver's plain answer: "ok" with 200, "boom" otherwise.
    static func answer(_ status: Int) -> Self {
        .init(status: status, body: Data((status == 200 ? "ok" : "boom").utf8), contentType: "text/plain")
    }

    /// Waits this long, then hangs up without an answer (the client should time out first).
    static func stall(_ seconds: TimeInterval) -> Self {
        .init(delay: seconds, hangUp: true)
    }
}

extension StoryIndex {
    /// What a scan commits for these alerts: their articles, the alerts as raised, and a
    /// delivery per reporter whose filters accept them. Alerts raised before change nothing
    /// (they are not queued again), as in a real rescan.
    @discardableResult
    func raise(_ alerts: [Alert], for reporters: [ReporterConfig], now: String = ReporterFixtures.now) throws -> [Alert] {
        var order: [String] = []
        var byArticle: [String: [Alert]] = [:]
        for a in alerts {
            if byArticle[a.article.key] == nil { order.append(a.article.key) }
            byArticle[a.article.key, default: []].append(a)
        }
        var batch = StoryBatch(reporters: reporters, now: now)
        for key in order {
            let ref = byArticle[key]![0].article
            var article = Article(id: ref.id, title: ref.title, body: "", url: ref.url, published: ref.published,
                                  source: ref.source, language: ref.language, path: ref.path)
            article.key = key
            // Letters 0: the fixtures' stories never merge by content.
            batch.articles.append(.init(article: article, contentHash: StableHash.hex(key), letters: 0, alerts: byArticle[key]))
        }
        return try commit(batch).raised
    }
}

extension Dispatcher {
    /// A scan's two steps in one call: raise `newAlerts` (queued for these reporters in the
    /// same transaction), then deliver everything owed.
    func dispatch(raising newAlerts: [Alert], run: Report.RunInfo, errors: [InputError] = [], isScan: Bool = true) throws -> [Summary] {
        try outbox.raise(newAlerts, for: entries.map(\.config))
        return dispatch(run: run, errors: errors, isScan: isScan)
    }
}

extension StateStore {
    /// The alerts a batch raises.
    @discardableResult
    func commitRaised(_ batch: StoryBatch) throws -> [Alert] {
        try commit(batch).raised
    }
}

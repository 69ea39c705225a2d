import XCTest
@testable import PolicyWatch

/// The window that holds alerts back for `also_seen`: bounded, and in order.
final class AlertWindowTests: XCTestCase {
    func alert(_ key: String) -> Alert {
        Alert(id: key, rule: .init(id: "r", title: "r", severity: .high, tags: [], file: "f"),
              article: .init(Article(id: key, title: "t", body: "b")), matches: [], entities: [:], firstSeen: "")
    }

    func seen(_ key: String) -> Alert.Sighting { Alert.Sighting(key: key, url: nil, source: nil, path: nil, seen: "") }

    func testLaterCopiesJoinHeldAlertsAndTheWindowIsBounded() {
        var window = ScanPipeline.AlertWindow(capacity: 2)
        window.add([alert("a"), alert("b")], stories: ["a", "b"])
        XCTAssertEqual(window.releaseOverflow().map(\.id), [])
        window.see([("a", seen("a")), ("a", seen("a2")), ("a", seen("a2")), ("c", seen("c2"))])
        window.add([alert("c")], stories: ["c"])
        let first = window.releaseOverflow()
        XCTAssertEqual(first.map(\.id), ["a"], "the oldest leaves once the window is full")
        XCTAssertEqual(first[0].alsoSeen?.map(\.key), ["a2"], "its own sighting and repeats are not listed")
        window.see([("a", seen("a3")), ("c", seen("c3"))])
        let rest = window.releaseAll()
        XCTAssertEqual(rest.map(\.id), ["b", "c"])
        XCTAssertEqual(rest[1].alsoSeen?.map(\.key), ["c3"], "a copy seen before the alert was raised is the index's to list")
    }

    /// The window looks its dictionaries up once per run of a story's alerts. Checked against
    /// a plain model (every held alert scanned for every sighting) on random batches: several
    /// alerts per article, a story's articles in one batch and in later ones, releases that
    /// cut a run in two.
    func testRunsOfAStorysAlertsBehaveAsAlertByAlert() {
        struct Model {
            var held: [(alert: Alert, story: String)] = []
            var listed: [String: Set<String>] = [:]
            mutating func add(_ alerts: [Alert], stories: [String]) {
                for (a, story) in zip(alerts, stories) {
                    listed[story, default: []].insert(a.article.key)
                    for s in a.alsoSeen ?? [] { listed[story, default: []].insert(s.key) }
                    held.append((a, story))
                }
            }
            mutating func see(_ story: String, _ s: Alert.Sighting) {
                guard held.contains(where: { $0.story == story }), listed[story, default: []].insert(s.key).inserted else { return }
                for i in held.indices where held[i].story == story { held[i].alert.alsoSeen = (held[i].alert.alsoSeen ?? []) + [s] }
            }
            mutating func release(_ n: Int) -> [Alert] {
                let out = held.prefix(n).map(\.alert)
                held.removeFirst(n)
                for story in Set(listed.keys) where !held.contains(where: { $0.story == story }) { listed[story] = nil }
                return out
            }
        }
        var rng = SeededRandom(seed: 21)
        for round in 0..<40 {
            let capacity = Int.random(in: 0...12, using: &rng)
            var window = ScanPipeline.AlertWindow(capacity: capacity)
            var model = Model()
            var got: [Alert] = [], want: [Alert] = []
            var next = 0
            for _ in 0..<30 {
                var alerts: [Alert] = [], stories: [String] = []
                for _ in 0..<Int.random(in: 0...4, using: &rng) {
                    let story = "s\(Int.random(in: 0..<5, using: &rng))"
                    next += 1
                    let key = Bool.random(using: &rng) ? story : "\(story)-copy\(next)"
                    var article = alert(key)
                    if Int.random(in: 0..<4, using: &rng) == 0 { article.alsoSeen = [seen("\(story)-early\(next % 3)")] }
                    for rule in 0..<Int.random(in: 1...4, using: &rng) {
                        var a = article
                        a.id = "\(key)/\(rule)"
                        alerts.append(a)
                        stories.append(story)
                    }
                }
                window.add(alerts, stories: stories)
                model.add(alerts, stories: stories)
                var sightings: [(story: String, sighting: Alert.Sighting)] = []
                for _ in 0..<Int.random(in: 0...3, using: &rng) {
                    let story = "s\(Int.random(in: 0..<5, using: &rng))"
                    let kind = ["early", "later", "copy"].randomElement(using: &rng)!
                    sightings.append((story, seen("\(story)-\(kind)\(Int.random(in: 0..<4, using: &rng))")))
                }
                window.see(sightings)
                for (story, s) in sightings { model.see(story, s) }
                let released = window.releaseOverflow()
                got += released
                want += model.release(released.count)
                XCTAssertLessThanOrEqual(model.held.count, capacity, "round \(round)")
            }
            got += window.releaseAll()
            want += model.release(model.held.count)
            XCTAssertEqual(got.map(\.id), want.map(\.id), "round \(round)")
            XCTAssertEqual(got.map { $0.alsoSeen?.map(\.key) ?? [] }, want.map { $0.alsoSeen?.map(\.key) ?? [] }, "round \(round)")
        }
    }

    /// The stage that runs the window and the sinks on its own thread: every batch handed over
    /// reaches the sinks in order, with copies seen later in `also_seen`, and `finish` returns
    /// once they have everything. `abandon` (the run failed) sends nothing it still holds.
    func testSinkStageDeliversInOrderAndAbandonSendsNothingMore() {
        final class Recorder: AlertSink, @unchecked Sendable {
            private let lock = NSLock()
            private var got: [Alert] = []
            var alerts: [Alert] { lock.withLock { got } }
            func begin() {}
            func append(_ alerts: [Alert]) { lock.withLock { got += alerts } }
            func finish(run: Report.RunInfo, errors: [InputError]) -> Dispatcher.Summary { Dispatcher.Summary(reporter: "r", delivered: 0) }
        }
        let keys = (0..<50).map { "k\($0)" }
        let all = Recorder()
        let stage = ScanPipeline.SinkStage(window: ScanPipeline.AlertWindow(capacity: 10), sinks: [all])
        for k in keys {
            stage.put(.init(sightings: [("k0", seen(k + "-copy"))], raised: [alert(k)], stories: [k]))
        }
        stage.finish()
        XCTAssertEqual(all.alerts.map(\.id), keys)
        XCTAssertEqual(all.alerts[0].alsoSeen?.map(\.key), ["k1-copy", "k2-copy", "k3-copy", "k4-copy", "k5-copy", "k6-copy", "k7-copy",
                                                          "k8-copy", "k9-copy", "k10-copy"],
                       "copies seen while it waited in the window")

        let some = Recorder()
        let failing = ScanPipeline.SinkStage(window: ScanPipeline.AlertWindow(capacity: 10), sinks: [some])
        for k in keys.prefix(15) { failing.put(.init(raised: [alert(k)], stories: [k])) }
        failing.abandon()
        let sent = some.alerts.map(\.id)
        XCTAssertEqual(sent, Array(keys.prefix(sent.count)), "what was sent, in order")
        XCTAssertLessThanOrEqual(sent.count, 5, "the ten alerts the window held are not sent")
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertEqual(some.alerts.count, sent.count, "nothing after abandon returns")
    }
}

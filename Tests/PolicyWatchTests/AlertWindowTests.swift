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

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
}

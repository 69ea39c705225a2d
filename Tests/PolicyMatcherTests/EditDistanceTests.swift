import XCTest
@testable import PolicyMatcher

final class EditDistanceTests: XCTestCase {
    /// The textbook full table, no early exit: the reference.
    static func reference(_ a: [UInt32], _ b: [UInt32]) -> Int {
        var t = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { t[i][0] = i }
        for j in 0...b.count { t[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                t[i][j] = min(t[i - 1][j] + 1, t[i][j - 1] + 1, t[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
        }
        return t[a.count][b.count]
    }

    func testKnownDistances() {
        XCTAssertEqual(EditDistance.distance("kitten", "sitting"), 3)
        XCTAssertEqual(EditDistance.distance("", "abc"), 3)
        XCTAssertEqual(EditDistance.distance("abc", ""), 3)
        XCTAssertEqual(EditDistance.distance("macth", "match"), 2)
        XCTAssertEqual(EditDistance.distance("반도체", "반도"), 1, "counted in code points")
    }

    func testLimitedDistanceAgreesWithTheFullTable() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let a = (0..<Int.random(in: 0...8, using: &rng)).map { _ in UInt32.random(in: 97...100, using: &rng) }
            let b = (0..<Int.random(in: 0...8, using: &rng)).map { _ in UInt32.random(in: 97...100, using: &rng) }
            let full = Self.reference(a, b)
            XCTAssertEqual(EditDistance.distance(a, b), full, "\(a) \(b)")
            for limit in 0...3 {
                XCTAssertEqual(EditDistance.distance(a, b, limit: limit), min(full, limit + 1), "\(a) \(b) limit \(limit)")
            }
        }
    }
}

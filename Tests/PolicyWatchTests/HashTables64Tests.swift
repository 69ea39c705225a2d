import XCTest
@testable import PolicyWatch

/// `HashSet64` answers as `Set<UInt64>` does and `HashMap64` as `Dictionary` does, through
/// their growths, for values that crowd one slot, and for 0 (their empty-slot mark);
/// `StableHash.value(ofHex:)` reads ids back.
final class HashTables64Tests: XCTestCase {
    func testAnswersAsSetDoes() {
        var rng = SeededRandom(seed: 31)
        var fast = HashSet64()
        var plain = Set<UInt64>()
        // Random values, small values, and values that differ only in their low bits (the
        // multiplication's high bits still differ) or only in their high bits.
        var values: [UInt64] = (0..<20_000).map { _ in UInt64.random(in: .min ... .max, using: &rng) }
        values += (0..<3_000).map { UInt64($0) }
        values += (0..<3_000).map { UInt64($0) << 50 }
        for _ in 0..<3 { values += values.shuffled(using: &rng).prefix(2_000) }
        for v in values.shuffled(using: &rng) {
            XCTAssertEqual(fast.contains(v), plain.contains(v))
            XCTAssertEqual(fast.insert(v), plain.insert(v).inserted, "\(v)")
            XCTAssertEqual(fast.count, plain.count)
        }
        for _ in 0..<20_000 {
            let v = UInt64.random(in: .min ... .max, using: &rng)
            XCTAssertEqual(fast.contains(v), plain.contains(v))
        }
        XCTAssertTrue(fast.contains(0))
    }

    func testMapAnswersAsDictionaryDoes() {
        var rng = SeededRandom(seed: 31)
        var fast = HashMap64()
        var plain: [Int64: Int64] = [:]
        var keys: [Int64] = (0..<20_000).map { _ in Int64.random(in: .min ... .max, using: &rng) }
        keys += (-1_000..<2_000).map { Int64($0) }
        keys += (0..<3_000).map { Int64($0) << 50 }
        for _ in 0..<3 { keys += keys.shuffled(using: &rng).prefix(2_000) }
        for k in keys.shuffled(using: &rng) {
            let v = Int64.random(in: 0 ... .max, using: &rng)
            XCTAssertEqual(fast[k], plain[k])
            let absent = plain[k] == nil
            if absent { plain[k] = v }
            XCTAssertEqual(fast.insertIfAbsent(k, v), absent, "\(k)")
            XCTAssertEqual(fast.count, plain.count)
        }
        for _ in 0..<20_000 {
            let k = Int64.random(in: .min ... .max, using: &rng)
            XCTAssertEqual(fast[k], plain[k])
        }
        var seen: [Int64: Int64] = [:]
        fast.forEach { k, v in
            XCTAssertNil(seen[k], "each key once")
            seen[k] = v
        }
        XCTAssertEqual(seen, plain)
    }

    func testHexIDsReadBack() {
        var rng = SeededRandom(seed: 31)
        for _ in 0..<1_000 {
            let v = UInt64.random(in: .min ... .max, using: &rng)
            let hex = String(v, radix: 16)
            let id = String(repeating: "0", count: 16 - hex.count) + hex
            XCTAssertEqual(StableHash.value(ofHex: id), v)
            XCTAssertEqual(StableHash.value(ofHex: id), UInt64(id, radix: 16))
        }
        for id in ["", "123", "0123456789abcdeF", "0123456789abcdeg", "0123456789abcdef0", "-123456789abcdef", "０123456789abcde"] {
            XCTAssertNil(StableHash.value(ofHex: id), id)
        }
    }
}

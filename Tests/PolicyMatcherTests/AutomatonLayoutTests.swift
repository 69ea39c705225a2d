import XCTest
@testable import PolicyMatcher

/// The automaton's two layouts (all dense, with its C loop, and dense rows plus sparse states)
/// against a naive search (`ReferenceMatcher.occurrences`) on seeded random bytes: short
/// alphabets so that patterns overlap, nest, are prefixes and suffixes of one another, and
/// Hangul and other UTF-8 bytes; texts of every length around the interleaving threshold, so
/// matches fall on each slice's bound and in its overlap.
final class AutomatonLayoutTests: XCTestCase {
    /// Pieces that texts and patterns are made of: ASCII, Hangul syllables (EA-ED leads) and a
    /// syllable's own bytes alone, so a pattern can start inside a syllable.
    static let pieces: [[UInt8]] = [
        [0x61], [0x62], [0x63], [0x20], Array("가".utf8), Array("힣".utf8), Array("수".utf8), [0xEA], [0xB0], [0x80],
        Array("é".utf8),
    ]

    static func bytes(_ r: inout SeededRandom, pieces: Int) -> [UInt8] {
        (0..<pieces).flatMap { _ in Self.pieces[Int.random(in: 0..<Self.pieces.count, using: &r)] }
    }

    /// Runs the automaton and checks its order (by end) before comparing with the reference.
    func assertAgrees(_ ac: AhoCorasick, _ patterns: [[UInt8]], _ text: [UInt8], _ context: String,
                      file: StaticString = #filePath, line: UInt = #line) -> Bool {
        var found: [(pattern: Int32, end: Int32)] = []
        text.withUnsafeBufferPointer { ac.scan($0, into: &found) }
        let ends = found.map(\.end)
        XCTAssertEqual(ends, ends.sorted(), "not in order of end: \(context)", file: file, line: line)
        let got = found.map { [Int($0.pattern), Int($0.end) - patterns[Int($0.pattern)].count, Int($0.end)] }
            .sorted { ($0[2], $0[0]) < ($1[2], $1[0]) }
        let want = ReferenceMatcher.occurrences(patterns, in: text)
        XCTAssertEqual(got, want, context, file: file, line: line)
        return got == want
    }

    func testBothLayoutsAgreeWithNaiveSearch() {
        var r = SeededRandom(seed: 14)
        var matches = 0
        for round in 0..<120 {
            var patterns = (0..<Int.random(in: 1...30, using: &r)).map { _ in Self.bytes(&r, pieces: Int.random(in: 1...5, using: &r)) }
            // Prefixes and suffixes of patterns, an empty one, and now and then one longer than a
            // quarter of the text (the slices' overlap then covers whole slices).
            patterns += patterns.prefix(5).flatMap { [Array($0.prefix(2)), Array($0.suffix(2))] }
            patterns.append([])
            if round % 10 == 0 { patterns.append(Self.bytes(&r, pieces: 120)) }
            let dense = AhoCorasick(patterns: patterns)
            // Budget 0: only the root has a row; 64: a few rows, or all of a small automaton.
            let mixed = AhoCorasick(patterns: patterns, denseBudget: 0)
            let small = AhoCorasick(patterns: patterns, denseBudget: 64)
            XCTAssertTrue(dense.isAllDense)
            XCTAssertFalse(mixed.isAllDense)
            // Lengths around the interleaving threshold (256) and its quarters, and longer texts.
            let lengths = [0, 1, 2, 15, 16, 17, 63, 255, 256, 257, 258, 259, 260, 300, 513, 1024, 4099]
            let length = lengths[round % lengths.count]
            var text = Self.bytes(&r, pieces: length)
            text = Array(text.prefix(length))
            if round % 7 == 0, let p = patterns.first(where: { !$0.isEmpty }) {
                // A pattern planted across each slice's bound.
                for q in [text.count / 4, text.count / 2, text.count * 3 / 4] where q >= 1 && q + p.count <= text.count {
                    text.replaceSubrange(q - 1..<q - 1 + p.count, with: p)
                }
            }
            for ac in [dense, mixed, small] {
                guard assertAgrees(ac, patterns, text, "round \(round), all dense \(ac.isAllDense), length \(text.count)") else { return }
            }
            matches += ReferenceMatcher.occurrences(patterns, in: text).count
        }
        XCTAssertGreaterThan(matches, 5000, "the random texts should contain many matches")
    }

    /// Every byte but 0xFF in some pattern (256 classes, the widest rows), bytes no pattern has,
    /// and a text that is one long run of a pattern's first byte.
    func testWidestRowsAndRuns() {
        var patterns: [[UInt8]] = (0..<255).map { [UInt8($0)] }
        patterns += [[0x61, 0x61, 0x61], [0x61, 0x62], [0xED, 0x9E, 0xA3]]
        var r = SeededRandom(seed: 3)
        let text = (0..<700).map { _ in UInt8.random(in: 0...255, using: &r) } + [UInt8](repeating: 0x61, count: 600)
        for ac in [AhoCorasick(patterns: patterns), AhoCorasick(patterns: patterns, denseBudget: 0)] {
            _ = assertAgrees(ac, patterns, text, "all dense \(ac.isAllDense)")
        }
        let runs: [[UInt8]] = [[0x61, 0x61]]
        let ac = AhoCorasick(patterns: runs)
        XCTAssertTrue(ac.isAllDense)
        for n in [255, 256, 257, 1000] {
            _ = assertAgrees(ac, runs, [UInt8](repeating: 0x61, count: n), "run of \(n)")
        }
    }
}

import XCTest
@testable import PolicyMatcher

/// `LiteralTable` against a naive search of every pattern at every position, and the choice
/// `TermMatcher` makes between it and the automaton.
final class LiteralTableTests: XCTestCase {
    /// Every (pattern, end) a naive search finds, less the left-bounded patterns' occurrences
    /// after an ASCII letter, digit or '_' (the table's contract), sorted.
    static func naive(_ patterns: [[UInt8]], leftBounded: [Bool], in text: [UInt8]) -> [[Int]] {
        var out: [[Int]] = []
        for (k, p) in patterns.enumerated() where !p.isEmpty && p.count <= text.count {
            for i in 0...(text.count - p.count) where text[i..<(i + p.count)].elementsEqual(p) {
                if leftBounded[k] && i > 0 && Self.isASCIIWordByte(text[i - 1]) { continue }
                out.append([k, i + p.count])
            }
        }
        return out.sorted { ($0[1], $0[0]) < ($1[1], $1[0]) }
    }

    static func isASCIIWordByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F
    }

    static func found(_ table: LiteralTable, in text: [UInt8]) -> [[Int]] {
        var found: [(pattern: Int32, end: Int32)] = []
        text.withUnsafeBufferPointer { table.scan($0, into: &found) }
        return found.map { [Int($0.pattern), Int($0.end)] }.sorted { ($0[1], $0[0]) < ($1[1], $1[0]) }
    }

    /// Pieces of text and patterns: ASCII words, digits and '_', separators and punctuation,
    /// Hangul, an accented letter (two bytes), and a few raw bytes that are not UTF-8
    /// (continuation bytes, 0xFF).
    static let pieces: [[UInt8]] = ["a", "b", "ab", "ba", "c", "x", "_", "1", " ", " ", "-", ".", "#", "수", "출", "é", "中",
                                    "A"].map { Array($0.utf8) } + [[0x80], [0xA9], [0xFF], [0x00]]

    static func bytes<R: RandomNumberGenerator>(_ r: inout R, pieces count: Int) -> [UInt8] {
        (0..<count).flatMap { _ in Self.pieces.randomElement(using: &r)! }
    }

    func testTheTableFindsWhatANaiveSearchFinds() {
        var r = SeededRandom(seed: 41)
        var total = 0
        for round in 0..<300 {
            let patternCount = Int.random(in: 0...(round % 5 == 0 ? 200 : 12), using: &r)
            var patterns = (0..<patternCount).map { _ in Self.bytes(&r, pieces: Int.random(in: 0...7, using: &r)) }
            if round % 7 == 0 { patterns.append(Array(repeating: UInt8(ascii: "a"), count: 30)) }
            let bounded = patterns.map { _ in Bool.random(using: &r) }
            guard let table = LiteralTable(patterns: patterns, leftBounded: bounded) else {
                XCTFail("round \(round): no table for \(patterns.count) patterns")
                return
            }
            for _ in 0..<3 {
                // Long enough for the 16-byte pass, with tails of every length.
                var text = Self.bytes(&r, pieces: Int.random(in: 0...160, using: &r))
                if round % 7 == 0 { text += Array(repeating: UInt8(ascii: "a"), count: Int.random(in: 25...40, using: &r)) }
                let expected = Self.naive(patterns, leftBounded: bounded, in: text)
                XCTAssertEqual(Self.found(table, in: text), expected, "round \(round), text \(text)")
                total += expected.count
            }
        }
        XCTAssertGreaterThan(total, 5_000, "the texts should hold many occurrences")
    }

    /// Sixty patterns of "a" at one position, on 5,000 "a"s: the scan stops when its output is
    /// full and resumes where it stopped, several times over.
    func testManyOccurrencesAtEachPositionAreAllReported() throws {
        let patterns = (1...60).map { Array(repeating: UInt8(ascii: "a"), count: $0) }
        let bounded = patterns.map { $0.count % 2 == 0 }
        let text = Array(repeating: UInt8(ascii: "a"), count: 5_000) + Array(" aaaa".utf8)
        let table = try XCTUnwrap(LiteralTable(patterns: patterns, leftBounded: bounded))
        let got = Self.found(table, in: text)
        XCTAssertEqual(got, Self.naive(patterns, leftBounded: bounded, in: text))
        XCTAssertGreaterThan(got.count, 100_000)
    }

    func testTooManyPatternsUnderOneKeyLeaveItToTheAutomaton() {
        let shared = (0...LiteralTable.maxBucket).map { Array("export control \($0)".utf8) }
        XCTAssertNil(LiteralTable(patterns: shared, leftBounded: shared.map { _ in true }))
        XCTAssertNotNil(LiteralTable(patterns: Array(shared.dropLast()), leftBounded: shared.dropLast().map { _ in true }))
        let matcher = TermMatcher(terms: shared.map { CompiledTerm(TermSpec(text: String(decoding: $0, as: UTF8.self))) },
                                  search: .table)
        XCTAssertTrue(matcher.usesAutomaton)
        var n = TextNormalizer()
        let text = "The export control 64 and export control 7 rules."
        XCTAssertEqual(matcher.find(in: n.normalize(text), original: text).map(\.term), [64, 7])
    }

    func testTheAutomatonsLayoutIsForeseenWithoutBuildingIt() {
        var r = SeededRandom(seed: 43)
        for round in 0..<60 {
            let patterns = (0..<Int.random(in: 0...400, using: &r)).map { _ in Self.bytes(&r, pieces: Int.random(in: 0...9, using: &r)) }
            for budget in [0, 64, 4096, 65_536, AhoCorasick.defaultDenseBudget] {
                XCTAssertEqual(AhoCorasick.wouldBeAllDense(patterns: patterns, denseBudget: budget),
                               AhoCorasick(patterns: patterns, denseBudget: budget).isAllDense, "round \(round), budget \(budget)")
            }
        }
    }

    /// The default: the automaton for a few terms, the table for many.
    func testTheMatcherChoosesTheTableForManyTerms() {
        var r = SeededRandom(seed: 47)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let words = (0..<20_000).map { _ in String((0..<Int.random(in: 6...14, using: &r)).map { _ in letters.randomElement(using: &r)! }) }
        XCTAssertTrue(TermMatcher(terms: words.prefix(100).map { CompiledTerm(TermSpec(text: $0)) }).usesAutomaton)
        let many = TermMatcher(terms: words.map { CompiledTerm(TermSpec(text: $0)) })
        XCTAssertFalse(many.usesAutomaton)
        var n = TextNormalizer()
        let text = "Before \(words[5]), \(words[19_999].uppercased()) and x\(words[7])."
        XCTAssertEqual(many.find(in: n.normalize(text), original: text).map(\.term), [5, 19_999])
    }
}

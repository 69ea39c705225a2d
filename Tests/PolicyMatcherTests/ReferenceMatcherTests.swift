import XCTest
@testable import PolicyMatcher

/// A deterministic random source (SplitMix64), so failures reproduce.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Generated text and terms in the shapes the matcher must handle: English and Korean
/// mixed, case and spacing variants, particles, punctuation, compatibility forms.
enum TextGenerator {
    static let english = ["export", "exports", "exporter", "control", "controls", "port", "supply", "chain", "chains",
                          "chip", "chips", "microchip", "semiconductor", "semiconductors", "ban", "banned", "us", "the",
                          "entity", "list", "joint", "roadmap", "restrict", "restricted", "restrictions", "a", "of",
                          "raimondo", "raymondo", "lemondo", "ai", "hbm", "café", "naïve", "straße", "x86", "g7"]
    static let korean = ["수출", "통제", "반도체", "공급망", "공동", "로드맵", "미국", "중국", "규제", "제재", "희토류", "관세"]
    static let particles = ["", "", "를", "의", "에", "은", "이", "가", "에서", "까지"]
    static let cjk = ["輸出規制", "出口管制", "半導体", "サプライチェーン", "供应链"]
    static let separators = [" ", " ", " ", " ", "-", "  ", "\n", "\n\n", "\t", ", ", ". ", "\u{3000}", "\u{A0}", " — ", "\r\n"]
    static let oddities = ["“", "”", "‘", "’", "ＥＸＰＯＲＴ", "ﬁ", "⑴", "e\u{301}", "\u{200B}", "\u{AD}", "(", ")", "’s", "_", "#",
                           "\u{1112}\u{1161}\u{11AB}", "👍🏽", "Σ", "İ", "\u{FEFF}", "\u{2028}", "x\u{0301}"]

    static func word<R: RandomNumberGenerator>(_ r: inout R) -> String {
        switch Int.random(in: 0..<20, using: &r) {
        case 0..<9:
            var w = english.randomElement(using: &r)!
            switch Int.random(in: 0..<6, using: &r) {
            case 0: w = w.uppercased()
            case 1: w = w.prefix(1).uppercased() + w.dropFirst()
            default: break
            }
            return w
        case 9..<15: return korean.randomElement(using: &r)! + particles.randomElement(using: &r)!
        case 15..<17: return cjk.randomElement(using: &r)!
        default: return oddities.randomElement(using: &r)!
        }
    }

    static func text<R: RandomNumberGenerator>(_ r: inout R, words: Int) -> String {
        var s = ""
        for i in 0..<words {
            if i > 0 {
                // Korean words are sometimes run together, as in real text.
                s += Int.random(in: 0..<8, using: &r) == 0 ? "" : separators.randomElement(using: &r)!
            }
            s += word(&r)
        }
        return s
    }

    static func terms<R: RandomNumberGenerator>(_ r: inout R, count: Int) -> [TermSpec] {
        var out: [TermSpec] = []
        for _ in 0..<count {
            var words: [String] = []
            for _ in 0..<Int.random(in: 1...3, using: &r) {
                words.append(Int.random(in: 0..<3, using: &r) == 0 ? korean.randomElement(using: &r)! : english.randomElement(using: &r)!)
            }
            if Int.random(in: 0..<10, using: &r) == 0 { words = [cjk.randomElement(using: &r)!] }
            var text = words.joined(separator: Int.random(in: 0..<4, using: &r) == 0 ? "-" : " ")
            // Some terms are prefixes of words, or cut mid-word ("restri" of "restrict").
            if Int.random(in: 0..<6, using: &r) == 0, text.count > 3 { text = String(text.prefix(text.count - 2)) }
            let prefix = Int.random(in: 0..<4, using: &r) == 0
            let cased = Int.random(in: 0..<8, using: &r) == 0
            if cased { text = Int.random(in: 0..<2, using: &r) == 0 ? text.uppercased() : text.prefix(1).uppercased() + text.dropFirst() }
            out.append(TermSpec(text: text, prefix: prefix, cased: cased))
        }
        return out
    }
}

/// The matcher's semantics written the plain way: every term at every position, then the
/// same checks (left/right word boundaries, `*` extends to the word's end, `cased` compares
/// the original with case kept). No automaton.
enum ReferenceMatcher {
    static func find(_ terms: [CompiledTerm], in text: NormalizedText, original: String) -> [TermHit] {
        let b = text.bytes
        let scalars = Array(original.unicodeScalars)
        func scalarBefore(_ i: Int) -> UInt32? {
            guard i > 0 else { return nil }
            return b.withUnsafeBufferPointer { UTF8Scalar.decodeBefore($0, i) }
        }
        func scalarAt(_ i: Int) -> UInt32? {
            guard i < b.count else { return nil }
            return b.withUnsafeBufferPointer { UTF8Scalar.decode($0, at: i).0 }
        }
        var hits: [TermHit] = []
        for (id, term) in terms.enumerated() where !term.bytes.isEmpty && term.bytes.count <= b.count {
            for start in 0...(b.count - term.bytes.count) where Array(b[start..<start + term.bytes.count]) == term.bytes {
                let end = start + term.bytes.count
                if term.leftBoundary, let v = scalarBefore(start), ScriptClass.isWordChar(v) { continue }
                var stop = end
                if term.spec.prefix {
                    while let v = scalarAt(stop), ScriptClass.isWordChar(v) { stop += String(Unicode.Scalar(v)!).utf8.count }
                } else if term.rightBoundary, let v = scalarAt(end), ScriptClass.isWordChar(v) {
                    continue
                }
                if let expected = term.casedBytes {
                    var keep = TextNormalizer(foldCase: false)
                    let r = text.originRange(start: start, end: end)
                    var got = keep.normalize(String(String.UnicodeScalarView(scalars[r]))).bytes
                    while got.first == 0x20 { got.removeFirst() }
                    while got.last == 0x20 { got.removeLast() }
                    if term.spec.prefix ? !got.starts(with: expected) : got != expected { continue }
                }
                hits.append(TermHit(term: Int32(id), start: Int32(start), end: Int32(stop)))
            }
        }
        return hits.sorted { ($0.start, $0.term, $0.end) < ($1.start, $1.term, $1.end) }
    }

    /// Every occurrence of every pattern, as (pattern, start, end), sorted.
    static func occurrences(_ patterns: [[UInt8]], in b: [UInt8]) -> [[Int]] {
        var out: [[Int]] = []
        for (p, pat) in patterns.enumerated() where !pat.isEmpty && pat.count <= b.count {
            for s in 0...(b.count - pat.count) where Array(b[s..<s + pat.count]) == pat { out.append([p, s, s + pat.count]) }
        }
        return out.sorted { ($0[2], $0[0]) < ($1[2], $1[0]) }
    }
}

final class ReferenceMatcherTests: XCTestCase {
    let examples = [
        "Washington tightened export controls on advanced chips. The U.S. Commerce Department added firms to the Entity List.",
        "미국 정부가 반도체 수출통제를 강화했다. 한미 양국은 공동 로드맵을 발표했고, 공급망의 회복력을 논의했다.",
        "Export the table to CSV before the chip shortage meeting; exporters and ports are fine.",
        "Raimondo (also spelt Raymondo or “Lemondo”) said: ‘supply-chain resilience’ matters — ＡＩ and HBM chips too.",
        "政府は輸出規制を強化した。美国加强出口管制。サプライチェーンの強靭化。",
        "US restrictions; us restrictions; U.S. restrictions and RESTRICTED exports of semiconductors*",
    ]
    let exampleTerms = ["export control*", "chip", "chips", "entity list", "수출 통제", "반도체", "공동 로드맵", "공급망",
                        "supply chain", "輸出規制", "出口管制", "サプライチェーン", "restrict*", "port", "ai", "hbm", "raimondo",
                        "U.S.", "to csv", "semiconductor*"].map { TermSpec.parse($0) } + [TermSpec(text: "US", cased: true),
                                                                                        TermSpec(text: "RESTRICT", prefix: true, cased: true)]

    func check(_ specs: [TermSpec], _ texts: [String], file: StaticString = #filePath, line: UInt = #line) {
        let terms = specs.map(CompiledTerm.init).filter { $0.impossibleReason == nil }
        // Both ways of finding the terms' bytes (the table, and the automaton) and the default.
        let matchers = [TermMatcher(terms: terms), TermMatcher(terms: terms, search: .automaton),
                        TermMatcher(terms: terms, search: .table)]
        XCTAssertTrue(matchers[1].usesAutomaton, file: file, line: line)
        XCTAssertFalse(matchers[2].usesAutomaton, "these terms fit the table", file: file, line: line)
        var normalizer = TextNormalizer()
        for text in texts {
            let n = normalizer.normalize(text)
            let slow = ReferenceMatcher.find(terms, in: n, original: text)
            for (k, matcher) in matchers.enumerated() {
                let fast = matcher.find(in: n, original: text)
                XCTAssertEqual(fast, slow, "matcher \(k), text: \(text.debugDescription)", file: file, line: line)
                if fast != slow { return }
            }
        }
    }

    func testExamplesAgreeWithReference() {
        check(exampleTerms, examples)
        // The examples do match something: the comparison is not vacuous.
        let matcher = TermMatcher(terms: exampleTerms.map(CompiledTerm.init))
        var n = TextNormalizer()
        XCTAssertGreaterThan(examples.map { matcher.find(in: n.normalize($0), original: $0).count }.reduce(0, +), 20)
    }

    func testGeneratedTextAgreesWithReference() {
        var r = SeededRandom(seed: 7)
        var total = 0
        for round in 0..<60 {
            let specs = TextGenerator.terms(&r, count: round % 3 == 0 ? 200 : 25)
            let texts = (0..<4).map { _ in TextGenerator.text(&r, words: Int.random(in: 1...120, using: &r)) }
            check(specs, texts)
            let terms = specs.map(CompiledTerm.init).filter { $0.impossibleReason == nil }
            var n = TextNormalizer()
            total += texts.map { ReferenceMatcher.find(terms, in: n.normalize($0), original: $0).count }.reduce(0, +)
        }
        XCTAssertGreaterThan(total, 300, "generated texts should contain many terms")
    }

    /// The automaton alone, in both modes, against a naive search of every pattern at every
    /// position, with patterns that overlap and nest and a dense budget small enough to make
    /// most states sparse.
    func testAutomatonFindsEveryOccurrence() {
        var r = SeededRandom(seed: 11)
        var normalizer = TextNormalizer()
        for round in 0..<40 {
            let specs = TextGenerator.terms(&r, count: 80)
            var patterns = specs.map { CompiledTerm($0).bytes }.filter { !$0.isEmpty }
            patterns += [Array("a".utf8), Array("aa".utf8), Array("a a".utf8), Array("수".utf8), Array("ort".utf8)]
            let text = normalizer.normalize(TextGenerator.text(&r, words: 150) + " aaa a a").bytes
            for budget in [64, 4096, AhoCorasick.defaultDenseBudget] {
                let plain = AhoCorasick(patterns: patterns, denseBudget: budget)
                let got = Self.occurrences(plain, patterns, in: text)
                XCTAssertEqual(got.sorted { ($0[2], $0[0]) < ($1[2], $1[0]) }, ReferenceMatcher.occurrences(patterns, in: text),
                               "round \(round), budget \(budget)")
            }
        }
    }

    /// The automaton's (pattern, end) pairs as [pattern, start, end].
    static func occurrences(_ automaton: AhoCorasick, _ patterns: [[UInt8]], in text: [UInt8]) -> [[Int]] {
        var found: [(pattern: Int32, end: Int32)] = []
        text.withUnsafeBufferPointer { automaton.scan($0, into: &found) }
        return found.map { [Int($0.pattern), Int($0.end) - patterns[Int($0.pattern)].count, Int($0.end)] }
    }

    func testAutomatonEdgeCases() {
        let empty = AhoCorasick(patterns: [])
        XCTAssertEqual(Self.occurrences(empty, [], in: Array("anything".utf8)), [])
        // Duplicates and a pattern that is a suffix of another both report.
        let ac = AhoCorasick(patterns: [Array("chip".utf8), Array("chip".utf8), Array("hip".utf8), []])
        let got = Self.occurrences(ac, [Array("chip".utf8), Array("chip".utf8), Array("hip".utf8), []], in: Array("microchip".utf8))
        XCTAssertEqual(got.sorted { $0[0] < $1[0] }, [[0, 5, 9], [1, 5, 9], [2, 6, 9]])
    }
}

final class NormalizerReferenceTests: XCTestCase {
    func assertSame(_ text: String, foldCase: Bool, file: StaticString = #filePath, line: UInt = #line) {
        var fast = TextNormalizer(foldCase: foldCase)
        var slow = ReferenceNormalizer(foldCase: foldCase)
        let a = fast.normalize(text), b = slow.normalize(text)
        let context = "text: \(text.debugDescription)"
        XCTAssertEqual(a.bytes, b.bytes, context, file: file, line: line)
        XCTAssertEqual(a.originOffsets, b.originOffsets, context, file: file, line: line)
        XCTAssertEqual(a.originLength, b.originLength, context, file: file, line: line)
        XCTAssertEqual(a.wordStarts, b.wordStarts, context, file: file, line: line)
        XCTAssertEqual(a.paragraphStarts, b.paragraphStarts, context, file: file, line: line)
        XCTAssertEqual(a.gapBytes, b.gapBytes, context, file: file, line: line)
        XCTAssertEqual(a.gapOrigins, b.gapOrigins, context, file: file, line: line)
    }

    func testGeneratedTextNormalisesAsTheReference() {
        var r = SeededRandom(seed: 3)
        for i in 0..<400 {
            assertSame(TextGenerator.text(&r, words: Int.random(in: 0...80, using: &r)), foldCase: i % 4 != 0)
        }
    }

    func testEdgeCasesNormaliseAsTheReference() {
        for text in ["", " ", "\n\n", "A", "é", "e\u{301}", "a\u{301}b", " \u{301}", "-\u{301}x", "ab\u{301}", "\r\n\r\nx", "x\r\r\ny",
                     "\u{0}\u{7F}", "ＡＢ　ＣＤ", "ﬁne", "⑴⑵", "공동 \n\n 로드맵", "가 \u{11A8}", "\u{1100}\u{1161}\u{11A8}", "A\u{300}\u{301}",
                     "word\u{200B}word", "😀\u{FE0F} x", "Straße STRASSE", "İstanbul", "ΣΑΣ", "a--b", "\t\u{B}\u{C}x"] {
            assertSame(text, foldCase: true)
            assertSame(text, foldCase: false)
        }
    }
}

import Foundation
import XCTest
@testable import PolicyMatcher

final class LinearRegexTests: XCTestCase {
    func re(_ p: String, file: StaticString = #filePath, line: UInt = #line) -> LinearRegex? {
        do { return try LinearRegex(p) } catch {
            XCTFail("'\(p)' refused: \(error)", file: file, line: line)
            return nil
        }
    }

    func refused(_ p: String) -> RegexError? {
        do {
            _ = try LinearRegex(p)
            return nil
        } catch { return error }
    }

    /// Every match of `p` in `text`, as normalised text.
    func all(_ p: String, _ text: String) -> [String] {
        guard let r = re(p) else { return [] }
        var n = TextNormalizer()
        let t = n.normalize(text)
        var budget = 10_000_000
        return r.matches(in: t.bytes, budget: &budget).ranges.map { String(decoding: t.bytes[$0], as: UTF8.self) }
    }

    func testRunsOnNormalisedTextWithNormalisedLiterals() {
        XCTAssertEqual(all("export(ed|s)? controls?", "EXPORTED Controls and export control"), ["exported controls", "export control"])
        // A hyphen in the pattern is a space, as in the text: both spellings match.
        XCTAssertEqual(all("supply-chain", "Supply-Chain, supply chain"), ["supply chain", "supply chain"])
        XCTAssertEqual(all("\\d+ ?nm", "3nm, 5 nm and 7-nm chips"), ["3nm", "5 nm", "7 nm"])
        XCTAssertEqual(all("[A-Z]{3}", "BIS"), ["bis"], "upper-case classes fold too")
        XCTAssertEqual(all("“quoted”", "a \"quoted\" word"), ["\"quoted\""])
        XCTAssertEqual(all("export\ncontrols", "export\n\ncontrols"), ["export controls"], "a line break typed into the pattern is a space")
    }

    func testKoreanJapaneseChinese() {
        XCTAssertEqual(all("수출\\s?통제", "미국의 수출 통제를"), ["수출통제"], "the space between Hangul is dropped")
        XCTAssertEqual(all("\\p{Han}{2}規制", "政府は輸出規制を強化した"), ["輸出規制"])
        XCTAssertEqual(all("出口(管制|限制)", "美国加强出口管制和出口限制"), ["出口管制", "出口限制"])
        // Spaces between Hangul are dropped, so a regex sees "반도체를수출을" as one run.
        XCTAssertEqual(all("\\p{Hangul}+을", "반도체를 수출을"), ["반도체를수출을"])
        XCTAssertEqual(all("\\p{Katakana}+", "エヌビディアの半導体"), ["エヌビディア"])
    }

    func testSemantics() {
        XCTAssertEqual(all("\\bchip\\b", "microchip chip chips"), ["chip"])
        XCTAssertEqual(all("^us", "US firms and us"), ["us"])
        XCTAssertEqual(all("us$", "US firms and us"), ["us"])
        XCTAssertEqual(all("a|ab", "ab"), ["a"], "leftmost-first, like Perl")
        XCTAssertEqual(all("ab*", "abbbc abc"), ["abbb", "ab"])
        XCTAssertEqual(all("a.*?b", "axxbyyb"), ["axxb"])
        XCTAssertEqual(all("a.*b", "axxbyyb"), ["axxbyyb"])
        XCTAssertEqual(all("x{2,3}", "xxxxxxx"), ["xxx", "xxx"])
        XCTAssertEqual(all("[^a-z ]+", "abc 123 déf"), ["123", "é"])
        XCTAssertEqual(all("(?:ban|bans|banned) on", "bans on chips"), ["bans on"])
        XCTAssertEqual(all("\\$\\d+(\\.\\d+)? (billion|million)", "a $52.7 billion fund"), ["$52.7 billion"])
        XCTAssertEqual(all("10\\.5", "10.5 and 1005"), ["10.5"])
    }

    func testFirstByteFilterOfClassesChangesNoMatch() {
        // Patterns that start with a class skip to the bytes it can start with; the matches
        // must be those of the plain search (no filter) on mixed-script text.
        let patterns = ["[$€£¥₩] ?\\d", "\\d+ ?(bn|m)", "\\b(bn|m|\\d)( [a-z]+)? per", "[가-힣]+ 지원", "[^a-z ]+",
                        "\\w+ grant", "[\\p{Han}]+", "[а-я]+", "\\s?x", "(\\d|€)\\d", "[ä-ü]n", "\\p{Hangul}",
                        "\\b(grants?|granted|wages)( [a-z]+){0,2} (per|firm)", "(über|mün)ster", "\\b(per|for) (firm|year)",
                        "(반도체|支援)", "(bn|m) per", "\\bgrant\\b", "(ab|abc)d", "\\b(ex|exa)\\w*"]
        var rng = SeededRandom(seed: 20261207)
        let pieces = ["$3 bn", "€ 5", "£12", "¥9", "₩100", "7 m per firm", "12 bn per year", "반도체 지원", "支援策",
                      "grant", "granted to firm", "abcd", "exam", "wages", "über", "Münster", "пример", " ", ". ", "x", "2023", "a", "中国 补贴"]
        var n = TextNormalizer()
        for round in 0..<200 {
            var text = ""
            for _ in 0..<(1 + round % 12) { text += pieces.randomElement(using: &rng)! + (Bool.random(using: &rng) ? " " : "") }
            let t = n.normalize(text)
            for p in patterns {
                guard var plain = re(p) else { continue }
                let filtered = plain
                plain.firstBytes = nil
                plain.startPairs = nil
                var b1 = 1_000_000, b2 = 1_000_000
                XCTAssertEqual(filtered.matches(in: t.bytes, budget: &b1).ranges, plain.matches(in: t.bytes, budget: &b2).ranges, "\(p) on \(text)")
            }
        }
        XCTAssertNotNil(re("[$€£¥₩] ?\\d")?.firstBytes, "a leading class gives a first-byte filter")
        XCTAssertNotNil(re("\\b(grants?|loans?) to")?.startPairs, "leading literals give a pair filter")
        XCTAssertNil(re("(m|bn) per")?.startPairs, "a one-byte literal cannot")
    }

    func testRefusesPatternsThatBacktrackExponentially() throws {
        for (p, span) in [("(a+)+", "(a+)+"), ("(a|a)*b", "(a|a)*"), ("(a*)*", "(a*)*"), ("x(\\w+\\s?)+y", "(\\w+\\s?)+"),
                          ("(.*,)*x", "(.*,)*"), ("(\\d+,?)+$", "(\\d+,?)+"), ("(chip|chips|c\\w+)+", "(chip|chips|c\\w+)+"),
                          ("^(a|aa)+$", "(a|aa)+")] {
            let e = try XCTUnwrap(refused(p), p)
            XCTAssertTrue(e.message.hasPrefix("the regex may take exponential time: '\(span)'"), "\(p): \(e.message)")
            let expected = p.range(of: span).map { p.unicodeScalars.distance(from: p.startIndex, to: $0.lowerBound) }
            XCTAssertEqual(e.offset, expected, p)
        }
    }

    func testAcceptsUnambiguousRepetitions() {
        for p in ["(\\w+\\s)+", "(a|ab)*c", "(chip|chips)+", ".*foo.*", "(\\d{3})+", "(\\d{3},)*\\d{3}", "(?:\\s\\w+)*x", "[a-z]+\\d*[a-z]+",
                  "export(ed|s)? controls?", "(\\w+)( \\w+)*"] {
            XCTAssertNotNil(re(p), p)
        }
    }

    func testSyntaxErrorsSayWhereAndWhy() throws {
        let cases: [(String, String, Int)] = [
            ("(ab", "missing ')'", 0),
            ("ab)", "unmatched ')'", 2),
            ("a**", "a quantifier cannot follow another quantifier", 2),
            ("*a", "nothing to repeat before '*'", 0),
            ("(a)\\1", "backreferences", 3),
            ("a(?=b)", "lookaround", 1),
            ("(?i)a", "inline flags", 0),
            ("[abc", "missing ']'", 0),
            ("[z-a]", "out of order", 1),
            ("a{3,2}", "minimum above its maximum", 1),
            ("a{500}", "repetition count above 100", 1),
            ("\\q", "unknown escape '\\q'", 0),
            ("\\p{Greek}", "unknown class", 0),
            ("a*", "can match empty text", 0),
            ("", "the regex is empty", 0),
            ("a++", "possessive", 2),
            ("((a{0,100}){0,100}){0,100}", "too large", 0),
        ]
        for (p, msg, offset) in cases {
            let e = try XCTUnwrap(refused(p), "'\(p)' should be refused")
            XCTAssertTrue(e.message.contains(msg), "\(p): \(e.message)")
            XCTAssertEqual(e.offset, offset, "\(p): \(e.message)")
            XCTAssertNotNil(e.hint, p)
        }
    }

    func testNotesForLiteralsNormalisationRemoves() throws {
        XCTAssertEqual(try LinearRegex("a\\nb").notes.count, 1)
        XCTAssertEqual(try LinearRegex("a  b").notes.first?.offset, 1)
        XCTAssertTrue(try LinearRegex("공동 로드맵").notes.first?.message.contains("Korean") ?? false)
        XCTAssertEqual(try LinearRegex("joint roadmap").notes, [])
    }

    func testRequiredLiterals() throws {
        XCTAssertEqual(try LinearRegex("export(ed|s)? controls?").requiredLiterals, ["control"])
        XCTAssertEqual(try LinearRegex("(huawei|zte) (is|was)").requiredLiterals, ["huawei", "zte"])
        XCTAssertNil(try LinearRegex("\\d+ nm").requiredLiterals, "too short to prefilter on")
        XCTAssertEqual(try LinearRegex("出口(管制|限制)").requiredLiterals, ["出口"])
    }

    func testLinearTimeOnHostileText() {
        // A backtracking engine takes exponential time on "(a|aa)*c"-like searches over long runs;
        // here each position is visited once per instruction.
        let r = re("(a|b)*c")!
        let text = Array(repeating: UInt8(ascii: "a"), count: 200_000)
        var budget = 100_000_000
        let start = Date()
        let m = r.matches(in: text, budget: &budget)
        XCTAssertEqual(m.ranges, [])
        XCTAssertFalse(m.exhausted)
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }

    func testBudgetStopsTheSearch() {
        let r = re("(a|b)*c")!
        var budget = 1_000
        let m = r.matches(in: Array(repeating: UInt8(ascii: "a"), count: 100_000), budget: &budget)
        XCTAssertTrue(m.exhausted)
        XCTAssertLessThanOrEqual(budget, 0)
    }
}

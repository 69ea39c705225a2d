import XCTest
import YAMLLoader
@testable import PolicyWatch

/// Hostile rule files: deep nesting gets a positioned error (never a stack overflow), and a
/// long query parses in linear time.
final class RuleParserLimitsTests: XCTestCase {
    func parseQuery(_ q: String) -> Result<Expr, QueryParser.Failure> {
        var p = QueryParser(q, locate: { Mark(file: "q", line: 1, column: $0 + 1) })
        do { return .success(try p.parse()) } catch { return .failure(error) }
    }

    func testSixThousandNestedParenthesesGiveAPositionedError() {
        let q = String(repeating: "(", count: 6000) + "a" + String(repeating: ")", count: 6000)
        guard case .failure(let f) = parseQuery(q) else { return XCTFail("a 6,000-deep query parsed") }
        XCTAssertEqual(f.message, "the query nests deeper than 100 levels")
        XCTAssertEqual(f.offset, 100, "points at the first '(' past the limit")
        XCTAssertNotNil(f.hint)
    }

    func testDeepNotSentAndFieldNestingAreBoundedToo() {
        for q in [String(repeating: "NOT ", count: 6000) + "a",
                  String(repeating: "SENT(", count: 3000) + "a" + String(repeating: ")", count: 3000),
                  String(repeating: "title:", count: 6000) + "a"] {
            guard case .failure(let f) = parseQuery(q) else { return XCTFail("parsed: \(q.prefix(20))") }
            XCTAssertEqual(f.message, "the query nests deeper than 100 levels", String(q.prefix(20)))
        }
    }

    func testNestingUpToTheLimitStillParses() throws {
        let q = String(repeating: "(", count: 100) + "a AND b" + String(repeating: ")", count: 100)
        guard case .success(let e) = parseQuery(q) else { return XCTFail("100 levels must parse") }
        XCTAssertEqual(e.canonical, "all('a', 'b')")
    }

    func testDeepQueryInARuleFileIsAnErrorAtItsLineAndColumn() {
        let q = String(repeating: "(", count: 6000) + "a" + String(repeating: ")", count: 6000)
        let d = diagnostics("rules:\n  - id: q.deep\n    query: '\(q)'\n")
        XCTAssertEqual(d.count, 1, d.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(d.first?.message, "invalid query in rule 'q.deep': the query nests deeper than 100 levels")
        // `    query: '` is 12 columns; the 101st '(' is at offset 100.
        XCTAssertEqual(d.first.map { "\($0.mark.line):\($0.mark.column)" }, "3:113")
    }

    func testDeepYAMLMatchIsAnErrorNotACrash() {
        // Operators nested in mappings only: one YAML level per operator, under the YAML limit.
        let none = String(repeating: "{none: ", count: 150) + "a" + String(repeating: "}", count: 150)
        let d = diagnostics("rules:\n  - id: m.deep\n    match: \(none)\n")
        XCTAssertEqual(d.count, 1, d.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(d.first?.message, "the match expression in rule 'm.deep' nests deeper than 100 levels")
        XCTAssertEqual(d.first?.mark.line, 3)
        XCTAssertNotNil(d.first?.hint)
        // all/any with sequences: two YAML levels per operator; the YAML reader's own limit bites.
        let all = String(repeating: "{all: [", count: 5000) + "a" + String(repeating: "]}", count: 5000)
        let y = diagnostics("rules:\n  - id: m.deep\n    match: \(all)\n")
        XCTAssertEqual(y.count, 1, y.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(y.first?.message, "nesting deeper than 200 levels")
        XCTAssertEqual(y.first?.mark.line, 3)
    }

    func testLongOrChainParsesInLinearTime() {
        func seconds(_ terms: Int) -> Double {
            let q = (0..<terms).map { "w\($0)" }.joined(separator: " OR ")
            let yaml = "rules:\n  - id: q.long\n    query: '\(q)'\n"
            var best = Double.infinity
            for _ in 0..<3 {
                let clock = ContinuousClock()
                let start = clock.now
                var parser = RuleParser(path: "long.yaml")
                let file = parser.parse(text: yaml)
                let d = clock.now - start
                XCTAssertEqual(file?.rules.first.map { if case .any(let items, _) = $0.expr { items.count } else { 0 } }, terms)
                best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
            }
            return best
        }
        let small = seconds(20_000)
        let large = seconds(40_000)
        // Linear: twice the terms, about twice the time. Quadratic took 4x (and 25 s at 10,000 terms).
        XCTAssertLessThan(large, 3 * small + 0.05, "20,000 terms: \(small) s, 40,000: \(large) s")
    }
}

/// The source locator's one-pass alignment against the plain per-offset walk it replaced.
final class SourceLocatorTests: XCTestCase {
    /// The reference: aligns from the start of the value for each offset.
    static func referenceMark(_ text: String, file: String, node: Node, offset: Int) -> Mark {
        var s = Array(text.unicodeScalars)
        if s.first == "\u{FEFF}" { s.removeFirst() }
        var starts = [0]
        var i = 0
        while i < s.count {
            if s[i] == "\r" {
                if i + 1 < s.count && s[i + 1] == "\n" { i += 1 }
                starts.append(i + 1)
            } else if s[i] == "\n" {
                starts.append(i + 1)
            }
            i += 1
        }
        func mark(at index: Int) -> Mark {
            let line = starts.lastIndex { $0 <= index } ?? 0
            return Mark(file: file, line: line + 1, column: index - starts[line] + 1)
        }
        guard let value = node.scalar, offset >= 0, node.mark.line >= 1, node.mark.line <= starts.count else { return node.mark }
        let v = Array(value.unicodeScalars)
        var p = starts[node.mark.line - 1] + node.mark.column - 1
        switch node.style {
        case .singleQuoted, .doubleQuoted: p += 1
        case .literal, .folded: if node.mark.line < starts.count { p = starts[node.mark.line] }
        case .plain: break
        }
        var k = 0, skipped = 0
        while k < min(offset, v.count) && p < s.count {
            if s[p] == v[k] {
                k += 1
                skipped = 0
            } else {
                skipped += 1
                if skipped > 16 { return Mark(file: node.mark.file, line: node.mark.line, column: node.mark.column + offset) }
            }
            p += 1
        }
        while p < s.count, k < v.count, s[p] != v[k], skipped < 16 {
            p += 1
            skipped += 1
        }
        return mark(at: p)
    }

    func testEveryOffsetAgreesWithTheReference() throws {
        let texts = [
            "q: a AND b\n",
            "q: 'it''s AND b'\n",
            "q: \"a \\\"b\\\" AND \\t c\"\n",
            "q: \"\\u00e9t\\u00e9 AND chip\"\n",
            "q: \"a\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20b\"\n",
            "q: |\n  a AND\n  b\n",
            "q: >\n  a AND\n\n  b OR c\n",
            "q: a AND\n  b OR\n  c\n",
            "\u{FEFF}q: 반도체 AND 수출\r\n",
            "q: 'x\n\n   y'\n",
        ]
        for text in texts {
            let node = try XCTUnwrap(YAMLLoader.load(text, file: "f").first?["q"], text)
            let locator = SourceLocator(file: "f", text: text)
            let count = node.scalar!.unicodeScalars.count
            for offset in -1...(count + 3) {
                XCTAssertEqual(locator.mark(in: node, offset: offset), Self.referenceMark(text, file: "f", node: node, offset: offset),
                               "offset \(offset) in \(text.debugDescription)")
            }
        }
    }
}

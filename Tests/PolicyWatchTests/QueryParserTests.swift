import XCTest
import YAMLLoader
@testable import PolicyWatch

final class QueryParserTests: XCTestCase {
    func parse(_ q: String) -> Result<Expr, QueryParser.Failure> {
        var p = QueryParser(q, locate: { Mark(file: "q", line: 1, column: $0 + 1) })
        do { return .success(try p.parse()) } catch { return .failure(error) }
    }

    /// Valid queries and the tree each compiles to (`Expr.canonical`).
    static let valid: [(String, String)] = [
        ("chip", "'chip'"),
        ("chip*", "'chip*'"),
        ("\"export control*\"", "'export control*'"),
        ("Raimondo~1", "'Raimondo~1'"),
        ("a AND b", "all('a', 'b')"),
        ("a OR b OR c", "any('a', 'b', 'c')"),
        ("a AND b AND c", "all('a', 'b', 'c')"),
        ("(a OR b) AND c", "all(any('a', 'b'), 'c')"),
        ("a AND (b OR c)", "all('a', any('b', 'c'))"),
        ("NOT a", "not('a')"),
        ("a AND NOT b", "all('a', not('b'))"),
        ("a NOT b", "all('a', not('b'))"),
        ("a NOT b NOT c", "all('a', not('b'), not('c'))"),
        ("c AND NOT (a OR b)", "all('c', not('a'), not('b'))"),
        ("a NEAR/5 b", "near/5('a', 'b')"),
        ("a NEAR b", "near/10('a', 'b')"),
        ("a ONEAR/3 b", "onear/3('a', 'b')"),
        ("a NEAR/3f b", "onear/3('a', 'b')"),
        ("a PRE/2 b", "onear/2('a', 'b')"),
        ("a W/4 b", "onear/4('a', 'b')"),
        ("a NEAR/0 b", "near/0('a', 'b')"),
        ("a NEAR/5 b NEAR/5 c", "near/5('a', 'b', 'c')"),
        ("(a NEAR/5 b) NEAR/2 c", "near/2(near/5('a', 'b'), 'c')"),
        ("(a OR b) NEAR/3 (c OR d)", "near/3(any('a', 'b'), any('c', 'd'))"),
        ("SENT(a AND b)", "sentence('a', 'b')"),
        ("SENT(a NEAR/3 b)", "sentence(near/3('a', 'b'))"),
        ("PARA(a AND b AND NOT c)", "paragraph('a', 'b', not('c'))"),
        ("title:ban", "title:('ban')"),
        ("Title:ban", "title:('ban')"),
        ("title:(ban OR 금지)", "title:(any('ban', '금지'))"),
        ("title:\"export ban\" AND body:$chips", "all(title:('export ban'), body:($chips))"),
        ("body:(a NEAR/2 b)", "body:(near/2('a', 'b'))"),
        ("$chips", "$chips"),
        ("@country:CN", "@country:CN"),
        ("@country:CN AND $chips", "all(@country:CN, $chips)"),
        ("/export(ed|s)? controls?/", "/export(ed|s)? controls?/"),
        ("/a\\/b/", "/a/b/"),
        ("\"수출 통제\" AND 반도체", "all('수출 통제', '반도체')"),
        ("\"joint roadmap\" NEAR/5 chip*", "near/5('joint roadmap', 'chip*')"),
        ("(\"export control*\" OR \"수출 통제\") AND $chips AND NOT \"to csv\"", "all(any('export control*', '수출 통제'), $chips, not('to csv'))"),
        ("   chip   ", "'chip'"),
        ("NOT a NEAR/3 b", "not(near/3('a', 'b'))"),
        ("\"say \\\"no\\\"\"", "'say \"no\"'"),
        ("輸出規制 OR 出口管制", "any('輸出規制', '出口管制')"),
        ("U.S. AND chips", "all('U.S.', 'chips')"),
        ("a AND (b AND c)", "all('a', 'b', 'c')"),
        ("((a))", "'a'"),
        ("SENT(@country:US AND (ban OR 禁止))", "sentence(@country:US, any('ban', '禁止'))"),
    ]

    /// Invalid queries: a fragment of the message, and the 0-based offset it points at.
    static let invalid: [(String, String, Int)] = [
        ("", "the query is empty", 0),
        ("   ", "the query is empty", 0),
        ("a AND b OR c", "mixing AND and OR without parentheses is ambiguous", 8),
        ("a OR b AND c", "mixing OR and AND without parentheses", 7),
        ("a OR b NOT c", "mixing OR and NOT without parentheses", 7),
        ("a AND b OR c AND d", "mixing AND and OR", 8),
        ("a b", "missing operator between 'a' and 'b'", 2),
        ("chips and tools", "missing operator before 'and'", 6),
        ("(a OR b) c", "missing operator between ')' and 'c'", 9),
        ("(a AND b", "'(' is not closed", 0),
        ("a AND ((b)", "'(' is not closed", 6),
        ("title:(a OR b", "'(' is not closed", 6),
        ("PARA(a OR b", "'(' is not closed", 4),
        ("a AND b)", "unexpected ')'", 7),
        ("\"export control", "unterminated quoted phrase", 0),
        ("\"\" AND a", "empty quoted phrase", 0),
        ("\"a\"b", "a quoted phrase must be followed by a space", 3),
        ("a AND", "AND needs a term after it", 2),
        ("AND a", "AND needs a term before it", 0),
        ("NOT", "NOT needs a term after it", 0),
        ("a NEAR/3", "NEAR/3 needs a term after it", 2),
        ("a NEAR/x b", "'NEAR/' needs a number of words", 2),
        ("a near/5 b", "operators are written in capitals", 2),
        ("a NEAR/2000 b", "distance 2000 is too large", 2),
        ("a NEAR/5 NOT b", "NOT cannot be an operand of NEAR/5", 9),
        ("a NEAR/5 b ONEAR/3 c", "mixing NEAR/5 and ONEAR/3 in one chain is ambiguous", 11),
        ("*chip", "a term cannot start with '*'", 0),
        ("ch*ip", "a wildcard '*' works only at the end of a term", 2),
        ("\"ex*port control\"", "a wildcard '*' works only at the end of a term", 3),
        ("chip?", "'?' is not a wildcard here", 4),
        ("titel:ban", "unknown field 'titel:'", 0),
        ("title:", "'title:' needs a term or a group after it", 0),
        ("title: AND b", "'title:' needs a term or a group after it", 0),
        ("$Chips", "invalid list reference '$Chips'", 0),
        ("@country", "invalid entity reference '@country'", 0),
        ("SENT a", "SENT needs parentheses right after it", 0),
        ("SENT()", "SENT() is empty", 0),
        ("()", "empty parentheses", 0),
        ("/(a+)+b/", "the regex may take exponential time", 1),
        ("x AND /ab[c/", "missing ']'", 9),
        ("/abc", "unterminated regex", 0),
        ("a && b", "'&&' is not an operator here", 2),
        ("Raimondo~3", "allows too many typos", 0),
        ("a OR", "OR needs a term after it", 2),
    ]

    func testValidQueries() {
        for (q, expected) in Self.valid {
            switch parse(q) {
            case .success(let e): XCTAssertEqual(e.canonical, expected, q)
            case .failure(let f): XCTFail("\(q): \(f.message) at \(f.offset)")
            }
        }
    }

    func testInvalidQueriesPointAtTheColumn() {
        for (q, message, offset) in Self.invalid {
            switch parse(q) {
            case .success(let e): XCTFail("\(q) should fail, parsed as \(e.canonical)")
            case .failure(let f):
                XCTAssertTrue(f.message.contains(message), "\(q): got '\(f.message)'")
                XCTAssertEqual(f.offset, offset, "\(q): \(f.message)")
                XCTAssertNotNil(f.hint, q)
            }
        }
        XCTAssertGreaterThanOrEqual(Self.valid.count + Self.invalid.count, 60)
    }

    func testHints() {
        if case .failure(let f) = parse("a AND b OR c") { XCTAssertEqual(f.hint, "add parentheses: (a AND b) OR c, or a AND (b OR c)") }
        if case .failure(let f) = parse("chips and tools") { XCTAssertEqual(f.hint, "operators are written in capitals: AND") }
        if case .failure(let f) = parse("titel:ban") { XCTAssertEqual(f.hint, "did you mean 'title:'? fields are title: and body:; quote a term that holds ':'") }
        if case .failure(let f) = parse("a b") { XCTAssertEqual(f.hint, "write AND or OR between them, or quote the words as one phrase") }
    }

    // MARK: - Positions in the rule file

    /// The error's file:line:column for a rule whose query is written as `yaml` (indented 4).
    func position(_ yaml: String) -> String? {
        let d = diagnostics("rules:\n  - id: q.one\n" + yaml).first { $0.message.hasPrefix("invalid query") }
        return d.map { "\($0.mark.line):\($0.mark.column)" }
    }

    func testErrorColumnsInEveryScalarStyle() {
        // Line 3 is the rule's query; "    query: " is 11 characters.
        XCTAssertEqual(position("    query: a AND b OR c\n"), "3:20", "plain")
        XCTAssertEqual(position("    query: 'a AND b OR c'\n"), "3:21", "single-quoted")
        XCTAssertEqual(position("    query: '''a'' AND b OR c'\n"), "3:25", "single-quoted with a doubled quote")
        XCTAssertEqual(position("    query: \"\\\"x\\\" AND b OR c\"\n"), "3:25", "double-quoted with escapes")
        XCTAssertEqual(position("    query: |\n      a AND b\n      OR c\n"), "5:7", "literal block")
        XCTAssertEqual(position("    query: >\n      a AND b\n      OR c\n"), "5:7", "folded block")
        XCTAssertEqual(position("    query: a AND\n      b OR c\n"), "4:9", "plain over two lines")
        XCTAssertEqual(position("    query: 반도체 AND 수출 OR c\n"), "3:23", "columns count characters, not bytes")
    }

    func testUndefinedListInsideAQueryPointsAtIt() {
        let d = diagnostics("lists:\n  chips: [chip]\nrules:\n  - id: q.one\n    query: '\"export control*\" AND $chip'\n")
        let e = d.first { $0.message == "list '$chip' is not defined" }
        XCTAssertEqual(e.map { "\($0.mark.line):\($0.mark.column)" }, "5:35")
        XCTAssertEqual(e?.hint, "did you mean '$chips'? defined lists: chips")
    }

    func testRuleWithBothMatchAndQuery() {
        let d = diagnostics("rules:\n  - id: q.one\n    match: a\n    query: b\n")
        XCTAssertEqual(d.first?.message, "rule 'q.one' has both 'match' and 'query'")
    }

    // MARK: - Equivalence with match:

    static let pairs: [(query: String, match: String)] = [
        ("(\"export control*\" OR \"수출 통제\") AND $chips AND NOT \"to csv\"", "{all: [[export control*, 수출 통제], $chips], none: [to csv]}"),
        ("\"joint roadmap\" NEAR/5 chip*", "{near: [joint roadmap, chip*], within: 5}"),
        ("title:(ban OR 금지) AND body:$chips", "{title: [ban, 금지], body: $chips}"),
        ("SENT(@country:US AND $controls)", "{sentence: ['@country:US', $controls]}"),
        ("$controls ONEAR/3 $chips", "{near: [$controls, $chips], within: 3, ordered: true}"),
        ("$chips AND NOT (sanction* OR 제재)", "{all: [$chips], none: [sanction*, 제재]}"),
        ("/export(ed|s)? controls?/ AND $chips", "{all: [{regex: 'export(ed|s)? controls?'}, $chips]}"),
        ("@country:CN NEAR/3 (ban OR 금지 OR 禁止)", "{near: ['@country:CN', [ban, 금지, 禁止]], within: 3}"),
        ("PARA($controls AND $chips)", "{paragraph: [$controls, $chips]}"),
        ("$chips AND NOT SENT($denials AND $controls)", "{all: [$chips], none: [{sentence: [$denials, $controls]}]}"),
    ]

    static let texts: [(title: String, body: String)] = [
        ("", "Washington tightened export controls on advanced chips."),
        ("", "Export the table to CSV: export controls, chips."),
        ("", "미국은 반도체 수출 통제를 강화했다."),
        ("", "a joint roadmap for next-generation chips"),
        ("", "a joint roadmap was agreed; separately, after a long meeting of ministers and officials, they discussed chips"),
        ("China announces ban", "Micron chips are affected."),
        ("중국, 마이크론 사용 금지", "반도체 업계가 긴장했다."),
        ("", "The U.S. Commerce Department expanded export controls."),
        ("", "Talks were held in the U.S. The export controls came a week later."),
        ("", "Chips face new export controls."),
        ("", "New sanctions on chips."),
        ("", "China will ban Micron chips."),
        ("", "中国禁止美光芯片。"),
        ("", "Exported controls on chips.\n\nNothing else."),
        ("", "Export controls tightened.\n\nChip stocks fell."),
        ("", "Beijing denied that export controls on chips were discussed."),
    ]

    func testQueryAndMatchCompileToTheSameTreeAndAgreeOnTexts() throws {
        for (query, match) in Self.pairs {
            let q = try XCTUnwrap(Lang.querySet(query), query)
            let m = try XCTUnwrap(Lang.matchSet(match), match)
            XCTAssertEqual(q.rules[0].rule.expr.canonical, m.rules[0].rule.expr.canonical, query)
            var fired = 0
            for t in Self.texts {
                let a = Article(id: "e", title: t.title, body: t.body)
                let (fq, fm) = (Lang.fires(q, a), Lang.fires(m, a))
                XCTAssertEqual(fq, fm, "\(query) vs \(match) on \(t)")
                if fq { fired += 1 }
            }
            XCTAssertGreaterThan(fired, 0, "\(query) fires on none of the texts")
            XCTAssertLessThan(fired, Self.texts.count, "\(query) fires on every text")
        }
    }
}

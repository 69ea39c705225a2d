import XCTest
@testable import PolicyWatch

final class ArticleReaderTests: XCTestCase {
    let reader = ArticleReader()

    func parse(_ text: String, _ path: String) -> ([Article], [InputError]) {
        reader.parse(data: Data(text.utf8), path: path)
    }

    func testPlainTextTitleIsFirstLine() {
        let (a, e) = parse("\n  Title here\nBody line one.\nTwo.", "x.txt")
        XCTAssertEqual(e, [])
        XCTAssertEqual(a.first?.title, "Title here")
        XCTAssertEqual(a.first?.body, "Body line one.\nTwo.")
    }

    func testMarkdownTitleIsFirstHeading() {
        let (a, _) = parse("---\ndate: x\n---\n# The Heading\n\nText.", "x.md")
        XCTAssertEqual(a.first?.title, "The Heading")
        XCTAssertTrue(a.first?.body.contains("Text.") ?? false)
    }

    func testJSONObjectAndFields() {
        let (a, e) = parse(#"{"id": 42, "title": "T", "text": "B", "url": "https://x.test/1", "language": "en", "source": "S", "published": "2026-01-01"}"#, "a.json")
        XCTAssertEqual(e, [])
        XCTAssertEqual(a.first?.id, "42")
        XCTAssertEqual(a.first?.body, "B")
        XCTAssertEqual(a.first?.key, "https://x.test/1")
    }

    func testJSONLinesKeepsGoodRecordsAndReportsBadOnes() {
        let (a, e) = parse("{\"id\":\"1\",\"title\":\"a\",\"body\":\"x\"}\nnot json\n\n{\"id\":\"2\",\"title\":\"b\"}\n[1]\n", "f.jsonl")
        XCTAssertEqual(a.map(\.id), ["1", "2"])
        XCTAssertEqual(e.map(\.source), ["f.jsonl:2", "f.jsonl:5"])
        XCTAssertTrue(e[0].message.hasPrefix("invalid JSON"), e[0].message)
    }

    func testBrokenInputsAreErrors() {
        XCTAssertEqual(reader.parse(data: Data([0x66, 0xFF, 0xFE]), path: "bad.txt").errors.first?.message, "invalid UTF-8; skipped")
        XCTAssertEqual(reader.parse(data: Data([0x66, 0x00, 0x01]), path: "bin.txt").errors.first?.message, "binary file (NUL bytes found); skipped")
        XCTAssertEqual(parse("  \n", "e.txt").1.first?.message, "empty input")
        XCTAssertEqual(parse("{}", "e.json").1.first?.message, "article has neither 'title' nor 'body'/'text'")
        let small = ArticleReader(maxBytes: 4)
        XCTAssertTrue(small.parse(data: Data("hello".utf8), path: "big.txt").errors.first?.message.contains("over the limit") ?? false)
    }

    func testDirectoriesAreSortedAndFiltered() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pw-reader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        for name in ["b.txt", "a.md", "sub/c.jsonl", "skip.png", ".hidden.txt"] {
            try Data("x\ny".utf8).write(to: dir.appendingPathComponent(name))
        }
        let (files, errors) = reader.files(for: [dir.path, "/nonexistent/pw"], in: "/")
        XCTAssertEqual(files.map { ($0 as NSString).lastPathComponent }, ["a.md", "b.txt", "c.jsonl"])
        XCTAssertEqual(errors.map(\.source), ["/nonexistent/pw"])
    }
}

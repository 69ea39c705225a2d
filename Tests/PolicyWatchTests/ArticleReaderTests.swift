import XCTest
@testable import PolicyWatch

final class ArticleReaderTests: XCTestCase {
    /// URLs told canonical from their bytes (`URLCanonicalizer.isCanonical`) are what the
    /// parser makes of them, on every shape the check lets through and on near misses.
    func testURLsToldCanonicalAreWhatTheParserMakes() {
        var r = SeededRandom(seed: 7)
        let hosts = ["news.example", "a.b-c.example", "x1.example.co.kr", "NEWS.example", "example.com:8080", "user@host.example", "", "ex ample.com", "xn--3e0b707e.example"]
        let pieces = ["a", "B", "1", "-", ".", "..", "_", "~", "/", "//", ":", "@", "!", "$", "&", "'", "(", ")", "*", "+", ",", ";", "=",
                      "?q=1", "?utm_source=x", "#top", "%20", "%zz", " ", "\t", "é", "기사", "?", "#", "%"]
        var fast = 0
        for _ in 0..<40_000 {
            let scheme = ["http://", "https://", "HTTP://", "ftp://", "https:/", ""][Int(r.next() % 6)]
            let host = hosts[Int(r.next() % UInt64(hosts.count))]
            let path = (0..<Int(r.next() % 8)).map { _ in pieces[Int(r.next() % UInt64(pieces.count))] }.joined()
            let url = scheme + host + (r.next() % 4 == 0 ? "" : "/") + path
            if URLCanonicalizer.isCanonical(url) {
                fast += 1
                XCTAssertEqual(url, URLCanonicalizer.parsed(url), url)
            }
            XCTAssertEqual(URLCanonicalizer.canonical(url), URLCanonicalizer.parsed(url), url)
        }
        XCTAssertGreaterThan(fast, 1_000, "the check lets common URLs through")
        XCTAssertTrue(URLCanonicalizer.isCanonical("https://news.example/policy-brief/0"))
        XCTAssertFalse(URLCanonicalizer.isCanonical("https://news.example"), "an empty path becomes /")
        XCTAssertFalse(URLCanonicalizer.isCanonical("https://News.example/a"))
        XCTAssertFalse(URLCanonicalizer.isCanonical("https://news.example/a?utm_source=x"))
        XCTAssertFalse(URLCanonicalizer.isCanonical(" https://news.example/a"))
    }

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

    /// The JSON string scanner (`pw_json_string_run`, 16 bytes at a time) and the unescaping
    /// into a String's storage, against Foundation's JSONSerialization and JSONDecoder: strings
    /// whose quotes, escapes, control bytes and non-ASCII bytes fall at every offset of a block,
    /// with surrogate pairs, lone surrogates, bad escapes, invalid UTF-8 and lines cut short.
    /// Whatever the line, the reader gives an article or an error, never a crash.
    func testJSONStringScannerAgreesWithFoundation() throws {
        var r = SeededRandom(seed: 21)
        let pieces: [[UInt8]] = [
            Array("plain words ".utf8), Array("x".utf8), Array("0123456789abcdef".utf8), Array(#"\n"#.utf8), Array(#"\n\n"#.utf8),
            Array(#"\""#.utf8), Array(#"\\"#.utf8), Array(#"\/"#.utf8), Array(#"\t\r\b\f"#.utf8), Array(#"\u00e9"#.utf8),
            Array(#"\uAC00"#.utf8), Array(#"\uD834\uDD1E"#.utf8), Array("é".utf8), Array("반도체 ".utf8), Array("😀".utf8),
            // Irregular: a lone surrogate, a bad escape, a raw tab, a raw quote (ends the string
            // early), bytes that are not UTF-8, a cut multi-byte character, a backslash at the end.
            Array(#"\uD800"#.utf8), Array(#"\x"#.utf8), [0x09], [0x22], [0xFF], [0xC3], [0xED, 0xA0, 0x80], Array(#"\u12"#.utf8),
        ]
        let regular = 15
        var fast = 0
        for round in 0..<3000 {
            let clean = round % 3 != 0
            let pad = [UInt8](repeating: UInt8(ascii: "p"), count: Int.random(in: 0...17, using: &r))
            var body = pad
            for _ in 0..<Int.random(in: 0...40, using: &r) {
                body += pieces[Int.random(in: 0..<(clean ? regular : pieces.count), using: &r)]
            }
            var line = Array(#"{"id":"k","title":"t","body":""#.utf8) + body + Array(#"","source":"s\u00e9"}"#.utf8)
            // Some lines are cut short, anywhere.
            if round % 7 == 0 { line = Array(line.prefix(Int.random(in: 0..<line.count, using: &r))) }
            let data = Data(line)
            let viaFast = line.withUnsafeBufferPointer { FastJSONArticle.parse($0, path: "f.jsonl") }
            let viaDecoder = try? ArticleReader.article(fromJSON: data, path: "f.jsonl")
            let viaFoundation = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            if let viaFast {
                fast += 1
                XCTAssertEqual(viaFast, viaDecoder, "line: \(String(decoding: line, as: UTF8.self).debugDescription)")
                XCTAssertEqual(viaFast.body, viaFoundation?["body"] as? String)
                XCTAssertEqual(viaFast.source, "s\u{e9}")
            } else if clean && round % 7 != 0 {
                XCTFail("the fast path should take a regular line: \(String(decoding: line, as: UTF8.self).debugDescription)")
            }
            switch reader.parseJSONLine(data, path: "f.jsonl", lineNo: 1) {
            case .success(let a): XCTAssertEqual(a, viaDecoder)
            case .failure(let e): XCTAssertNil(viaDecoder, e.message)
            case .none: XCTAssertTrue(line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D })
            }
        }
        XCTAssertGreaterThan(fast, 1500)
    }

    /// Unescaping with and without the String-storage path gives the same text, or nil alike.
    func testUnescapeOfASCIIAndOtherContentAgree() {
        for text in [#"a\nb"#, #"\u00e9\uD834\uDD1E\"\\\/"#, #"\uD800"#, #"\uDC00x"#, #"\q"#, #"end\"#, #"\u12"#, "", #"\u0000"#] {
            let bytes = Array(text.utf8)
            let ascii = bytes.withUnsafeBufferPointer { FastJSONArticle.Parser.unescape($0, ascii: true) }
            let other = bytes.withUnsafeBufferPointer { FastJSONArticle.Parser.unescape($0, ascii: false) }
            XCTAssertEqual(ascii, other, text)
            let viaFoundation = (try? JSONSerialization.jsonObject(with: Data(("[\"" + text + "\"]").utf8))) as? [String]
            if let ascii { XCTAssertEqual([ascii], viaFoundation, text) }
        }
    }
}

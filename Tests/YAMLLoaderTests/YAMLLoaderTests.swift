import XCTest
@testable import YAMLLoader

final class YAMLLoaderTests: XCTestCase {
    // MARK: helpers

    private func load(_ text: String, limits: YAMLLimits = .default, file: StaticString = #filePath, line: UInt = #line) throws -> Node {
        let docs = try YAMLLoader.load(text, file: "t.yaml", limits: limits)
        XCTAssertEqual(docs.count, 1, "expected one document", file: file, line: line)
        return try XCTUnwrap(docs.first, file: file, line: line)
    }

    /// Loads `text`, expecting a `YAMLError`, and returns it.
    private func loadError(_ text: String, limits: YAMLLimits = .default, file: StaticString = #filePath, line: UInt = #line) -> YAMLError? {
        do {
            let docs = try YAMLLoader.load(text, file: "t.yaml", limits: limits)
            XCTFail("expected an error, got \(docs.count) document(s)", file: file, line: line)
        } catch let error as YAMLError {
            return error
        } catch {
            XCTFail("expected YAMLError, got \(error)", file: file, line: line)
        }
        return nil
    }

    private func position(_ mark: Mark) -> [Int] { [mark.line, mark.column] }

    // MARK: structure

    func testScalarsSequencesAndMappingsKeepOrder() throws {
        let root = try load("""
        zeta: 1
        alpha: two
        mid:
          - a
          - [b, c]
          - {x: y}
        """)
        let pairs = try XCTUnwrap(root.mapping)
        XCTAssertEqual(pairs.map { $0.key.scalar }, ["zeta", "alpha", "mid"])
        XCTAssertEqual(root["zeta"]?.scalar, "1")  // scalars stay strings
        XCTAssertEqual(root["alpha"]?.scalar, "two")
        let items = try XCTUnwrap(root["mid"]?.sequence)
        XCTAssertEqual(items.count, 3)
        XCTAssertEqual(items[0].scalar, "a")
        XCTAssertEqual(items[1].sequence?.compactMap(\.scalar), ["b", "c"])
        XCTAssertEqual(items[2]["x"]?.scalar, "y")
        XCTAssertNil(root.scalar)
        XCTAssertNil(root.sequence)
        XCTAssertEqual(root.typeDescription, "a mapping")
        XCTAssertEqual(items[1].typeDescription, "a list")
        XCTAssertEqual(items[0].typeDescription, "a string")
    }

    func testSubscript() throws {
        let root = try load("a: 1\nb: {c: 2}\n")
        XCTAssertEqual(root["b"]?["c"]?.scalar, "2")
        XCTAssertNil(root["missing"])
        XCTAssertNil(root["a"]?["x"], "a scalar has no keys")
        XCTAssertNil(try load("[a, b]")["a"], "a sequence has no keys")
    }

    func testBool() throws {
        let root = try load("a: true\nb: Yes\nc: ON\nd: false\ne: no\nf: Off\ng: 1\nh: maybe\ni: [true]\n")
        for key in ["a", "b", "c"] { XCTAssertEqual(root[key]?.bool, true, key) }
        for key in ["d", "e", "f"] { XCTAssertEqual(root[key]?.bool, false, key) }
        for key in ["g", "h", "i"] { XCTAssertNil(root[key]?.bool, key) }
    }

    func testIsNull() throws {
        let root = try load("""
        a: ~
        b: null
        c: Null
        d: NULL
        e:
        f: "null"
        g: ''
        h: nil
        i: []
        """)
        for key in ["a", "b", "c", "d", "e"] {
            XCTAssertEqual(root[key]?.isNull, true, key)
        }
        for key in ["f", "g", "h", "i"] {
            XCTAssertEqual(root[key]?.isNull, false, key)
        }
        XCTAssertEqual(root["e"]?.scalar, "")
        XCTAssertEqual(root["e"]?.typeDescription, "nothing (null)")
    }

    func testStyles() throws {
        let root = try load("""
        plain: text
        single: 'it''s'
        double: "tab\\there \\u00e9"
        literal: |
          line 1
          line 2
        folded: >
          one
          two
        list: [x]
        """)
        XCTAssertEqual(root["plain"]?.style, .plain)
        XCTAssertEqual(root["single"]?.style, .singleQuoted)
        XCTAssertEqual(root["single"]?.scalar, "it's")
        XCTAssertEqual(root["double"]?.style, .doubleQuoted)
        XCTAssertEqual(root["double"]?.scalar, "tab\there é")
        XCTAssertEqual(root["literal"]?.style, .literal)
        XCTAssertEqual(root["literal"]?.scalar, "line 1\nline 2\n")
        XCTAssertEqual(root["folded"]?.style, .folded)
        XCTAssertEqual(root["folded"]?.scalar, "one two\n")
        XCTAssertEqual(root["list"]?.style, .plain)
    }

    func testTags() throws {
        let root = try load("""
        a: !!str 10
        b: !custom value
        c: !!map {x: 1}
        d: !seq [1]
        e: plain
        f: ! nonspecific
        """)
        XCTAssertEqual(root["a"]?.tag, "!!str")
        XCTAssertEqual(root["a"]?.scalar, "10")
        XCTAssertEqual(root["b"]?.tag, "!custom")
        XCTAssertEqual(root["c"]?.tag, "!!map")
        XCTAssertEqual(root["d"]?.tag, "!seq")
        XCTAssertNil(root["e"]?.tag)
        XCTAssertEqual(root["f"]?.tag, "!")
    }

    func testMultipleDocumentsAndEmptyInput() throws {
        let docs = try YAMLLoader.load("a: 1\n---\n- b\n---\n", file: "t.yaml")
        XCTAssertEqual(docs.count, 3)
        XCTAssertEqual(docs[0]["a"]?.scalar, "1")
        XCTAssertEqual(docs[1].sequence?.first?.scalar, "b")
        XCTAssertEqual(docs[2].isNull, true, "an empty document is a null scalar")
        XCTAssertEqual(position(docs[1].mark), [3, 1])

        XCTAssertEqual(try YAMLLoader.load("", file: "t.yaml").count, 0)
        XCTAssertEqual(try YAMLLoader.load("# only a comment\n\n", file: "t.yaml").count, 0)
    }

    // MARK: marks

    func testMarksAreOneBased() throws {
        let root = try load("""
        name: x
        list:
          - first
          - key: value
        """)
        XCTAssertEqual(root.mark, Mark(file: "t.yaml", line: 1, column: 1))
        let pairs = try XCTUnwrap(root.mapping)
        XCTAssertEqual(position(pairs[0].key.mark), [1, 1])
        XCTAssertEqual(position(pairs[0].value.mark), [1, 7])
        XCTAssertEqual(position(pairs[1].value.mark), [3, 3])
        let items = try XCTUnwrap(root["list"]?.sequence)
        XCTAssertEqual(position(items[0].mark), [3, 5])
        XCTAssertEqual(position(items[1].mark), [4, 5])
        XCTAssertEqual(position(try XCTUnwrap(items[1]["key"]).mark), [4, 10])
        XCTAssertEqual(root.mark.description, "t.yaml:1:1")
    }

    func testColumnsCountCharactersNotBytes() throws {
        // Each Hangul syllable is 3 bytes in UTF-8 but one column.
        let root = try load("이름: 값\n키: [가나, 다]\n이모지: 😀 x\n")
        XCTAssertEqual(position(try XCTUnwrap(root["이름"]).mark), [1, 5])
        let list = try XCTUnwrap(root["키"]?.sequence)
        XCTAssertEqual(position(root["키"]!.mark), [2, 4])
        XCTAssertEqual(position(list[0].mark), [2, 5])
        XCTAssertEqual(position(list[1].mark), [2, 9])
        XCTAssertEqual(root["이모지"]?.scalar, "😀 x")

        // An error after Korean text on the same line is placed by characters too.
        let error = try XCTUnwrap(loadError("설명: 값: 오류\n"))
        XCTAssertEqual(position(error.mark), [1, 6])
    }

    func testLinesFollowEditorsNotYAML11Breaks() throws {
        // libyaml counts U+2028, U+2029 and U+0085 as line breaks; editors do not.
        let root = try load("a: \"x\u{2028}y\"\nb: \"p\u{85}q\"\nc: 3\r\nd: 4\re: 5\n")
        XCTAssertEqual(position(try XCTUnwrap(root["b"]).mark), [2, 4])
        XCTAssertEqual(position(try XCTUnwrap(root["c"]).mark), [3, 4])
        XCTAssertEqual(position(try XCTUnwrap(root["d"]).mark), [4, 4], "CRLF is one line break")
        XCTAssertEqual(position(try XCTUnwrap(root["e"]).mark), [5, 4], "a lone CR is a line break")
    }

    func testByteOrderMarkAndNul() throws {
        let root = try load("\u{FEFF}a: 1\nb: 2\n")
        XCTAssertEqual(root["a"]?.scalar, "1")
        XCTAssertEqual(position(root.mapping![0].key.mark), [1, 1], "the BOM takes no column")
        XCTAssertEqual(position(try XCTUnwrap(root["b"]).mark), [2, 4])

        let error = try XCTUnwrap(loadError("a: 1\nb: x\u{0}y\n"))
        XCTAssertEqual(position(error.mark), [2, 5])
        XCTAssertTrue(error.message.contains("control characters are not allowed"), error.message)
        XCTAssertNotNil(error.hint)

        // A NUL written as an escape is a legal part of a double-quoted value.
        XCTAssertEqual(try load("a: \"x\\0y\"")["a"]?.scalar, "x\u{0}y")
        XCTAssertEqual(try YAMLLoader.load("\u{FEFF}", file: "t.yaml").count, 0)
    }

    // MARK: anchors and aliases

    func testAnchorsAndAliases() throws {
        let root = try load("""
        base: &base
          level: high
          terms: [a, b]
        name: &n hello
        copy: *base
        again: *n
        """)
        let copy = try XCTUnwrap(root["copy"])
        XCTAssertEqual(copy["level"]?.scalar, "high")
        XCTAssertEqual(copy["terms"]?.sequence?.compactMap(\.scalar), ["a", "b"])
        XCTAssertEqual(root["again"]?.scalar, "hello")
        // The copy's top mark is the alias; what it contains keeps the anchored text's marks.
        XCTAssertEqual(position(copy.mark), [5, 7])
        XCTAssertEqual(position(try XCTUnwrap(copy["level"]).mark), [2, 10])
        // A later anchor of the same name replaces the earlier one.
        XCTAssertEqual(try load("- &a 1\n- &a 2\n- *a")[ sequence: 2]?.scalar, "2")
    }

    func testUndefinedAliasErrorPosition() throws {
        let error = try XCTUnwrap(loadError("a: 1\nb:\n  - x\n  - *missing\n"))
        XCTAssertEqual(error.mark, Mark(file: "t.yaml", line: 4, column: 5))
        XCTAssertEqual(error.message, "undefined alias '*missing'")

        // Anchors do not cross documents.
        let second = try XCTUnwrap(loadError("a: &x 1\n---\nb: *x\n"))
        XCTAssertEqual(position(second.mark), [3, 4])
    }

    func testRecursiveAliasIsRefused() throws {
        let error = try XCTUnwrap(loadError("a: &x\n  b: *x\n"))
        XCTAssertEqual(position(error.mark), [2, 6])
        XCTAssertTrue(error.message.contains("contains it"), error.message)
    }

    func testBillionLaughsIsRefused() throws {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 {
            let refs = Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
            text += "a\(i): &a\(i) [\(refs)]\n"
        }
        let error = try XCTUnwrap(loadError(text))
        XCTAssertEqual(error.message,
                       "document expands to more than 1000000 nodes through aliases (possible 'billion laughs' attack)")
        XCTAssertEqual(error.mark.line, 6, "refused at the first alias that crosses the limit")
    }

    func testNodeLimitCountsAliasesAtFullSize() throws {
        // 1 mapping + 2 keys + anchored list (1 + 3) + alias (4) = 11 nodes.
        let text = "a: &l [x, y, z]\nb: *l\n"
        XCTAssertNoThrow(try load(text, limits: YAMLLimits(maxNodes: 11)))
        let error = try XCTUnwrap(loadError(text, limits: YAMLLimits(maxNodes: 10)))
        XCTAssertEqual(position(error.mark), [2, 4])
        XCTAssertTrue(error.message.contains("billion laughs"), error.message)

        let plain = try XCTUnwrap(loadError("[1, 2, 3, 4]", limits: YAMLLimits(maxNodes: 4)))
        XCTAssertEqual(plain.message, "document has more than 4 nodes")
        XCTAssertEqual(position(plain.mark), [1, 11])
    }

    func testDepthLimit() throws {
        XCTAssertNoThrow(try load("[[[x]]]", limits: YAMLLimits(maxDepth: 3)))
        let error = try XCTUnwrap(loadError("a:\n  b:\n    c: [x]\n", limits: YAMLLimits(maxDepth: 3)))
        XCTAssertEqual(error.message, "nesting deeper than 3 levels")
        XCTAssertEqual(position(error.mark), [3, 8])

        // An alias counts with the depth of what it expands to.
        let viaAlias = try XCTUnwrap(loadError("a: &d [[x]]\nb: [[*d]]\n", limits: YAMLLimits(maxDepth: 3)))
        XCTAssertEqual(position(viaAlias.mark), [2, 6])
        XCTAssertTrue(viaAlias.message.contains("deeper than 3"), viaAlias.message)

        // The default limit refuses hostile nesting without exhausting the stack.
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let deepError = try XCTUnwrap(loadError(deep))
        XCTAssertEqual(deepError.message, "nesting deeper than 200 levels")
        XCTAssertEqual(position(deepError.mark), [1, 201])
    }

    // MARK: errors

    func testDuplicateKey() throws {
        let error = try XCTUnwrap(loadError("x: 1\ny: 2\nx: 3\n"))
        XCTAssertEqual(error.message, "duplicate key 'x' (first defined at line 1)")
        XCTAssertEqual(error.mark, Mark(file: "t.yaml", line: 3, column: 1))

        // Quoting does not make a different key; nested mappings are checked too.
        let nested = try XCTUnwrap(loadError("top:\n  a: 1\n  'a': 2\n"))
        XCTAssertEqual(nested.message, "duplicate key 'a' (first defined at line 2)")
        XCTAssertEqual(position(nested.mark), [3, 3])

        // The same key in sibling mappings is fine.
        XCTAssertNoThrow(try load("- a: 1\n- a: 2\n"))
    }

    func testBadIndentation() throws {
        let error = try XCTUnwrap(loadError("rule:\n  name: x\n terms: [a]\n"))
        XCTAssertEqual(error.mark, Mark(file: "t.yaml", line: 3, column: 2))
        XCTAssertEqual(error.message, "did not find expected key (while parsing a block mapping at line 1, column 1)")
        XCTAssertTrue(error.hint?.contains("indentation") == true)
    }

    func testMappingValueInPlainScalar() throws {
        let error = try XCTUnwrap(loadError("title: Note: read this\n"))
        XCTAssertEqual(position(error.mark), [1, 12])
        XCTAssertEqual(error.message, "mapping values are not allowed in this context")
        XCTAssertTrue(error.hint?.contains("quotes") == true)
    }

    func testUnclosedFlowSequence() throws {
        let error = try XCTUnwrap(loadError("terms: [a, b\nnext: 1\n"))
        XCTAssertEqual(position(error.mark), [2, 5])
        XCTAssertEqual(error.message, "did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 8)")
        XCTAssertEqual(error.hint, "the '[' at line 1, column 8 is not closed, or a ',' is missing between items")
    }

    func testUnclosedQuote() throws {
        let error = try XCTUnwrap(loadError("a: \"open\nb: 1\n"))
        XCTAssertTrue(error.message.hasPrefix("found unexpected end of stream (while scanning a quoted scalar"), error.message)
        XCTAssertEqual(error.hint, "the quoted string that starts at line 1, column 4 is not closed")
    }

    func testQuoteInsideQuotedString() throws {
        let error = try XCTUnwrap(loadError("message: 'don't'\n"))
        XCTAssertEqual(position(error.mark), [1, 15])
        XCTAssertTrue(error.hint?.contains("('')") == true, error.hint ?? "no hint")
    }

    func testTabIndentation() throws {
        let error = try XCTUnwrap(loadError("a:\n\tb: 1\n"))
        XCTAssertEqual(position(error.mark), [2, 1])
        XCTAssertEqual(error.message, "found character that cannot start any token (while scanning for the next token)")
        XCTAssertEqual(error.hint, "YAML does not allow tabs for indentation; use spaces")

        let inScalar = try XCTUnwrap(loadError("a:\n  b: 1\n\tc: 2\n"))
        XCTAssertEqual(position(inScalar.mark), [3, 1])
        XCTAssertEqual(inScalar.hint, "YAML does not allow tabs for indentation; use spaces")
    }

    func testErrorDescription() throws {
        let error = YAMLError(mark: Mark(file: "r.yaml", line: 2, column: 3), message: "bad", hint: "fix it")
        XCTAssertEqual(error.description, "r.yaml:2:3: error: bad\n  hint: fix it")
    }
}

private extension Node {
    /// Item `i` of a sequence.
    subscript(sequence i: Int) -> Node? {
        guard let items = sequence, items.indices.contains(i) else { return nil }
        return items[i]
    }
}

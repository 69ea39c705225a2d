import XCTest
@testable import PolicyMatcher

/// The normaliser's block paths (16 ASCII bytes at a time, Hangul syllable runs) against the
/// reference, on random text built to put every kind of character at every offset of a block:
/// output bytes, the offset map and every other field must match byte for byte.
final class NormalizerBlockTests: XCTestCase {
    /// Pieces of text the block path must stop at, or pass through correctly.
    static let pieces: [String] = [
        // Plain ASCII, upper case, digits, '_', punctuation, single and doubled separators.
        "export", "CONTROLS", "Chip", "x", "42", "snake_case", " ", " ", " ", "  ", "-", "--", " - ", ",", ".", "\"", "'", "(a)",
        "!?", "~", "{}", "@#$%^&*", "/", "\\",
        // Line breaks, tabs and controls (paragraphs, CRLF).
        "\n", "\n\n", "\r\n", "\r\n\r\n", "\r", "\t", "\u{B}", "\u{C}", "\u{0}", "\u{7F}", "\u{1F}",
        // Curly quotes, dashes, non-breaking and ideographic spaces, invisible characters.
        "‘", "’", "“", "”", "«", "»", "—", "–", "\u{2212}", "\u{A0}", "\u{3000}", "\u{200B}", "\u{FEFF}", "\u{AD}", "·", "\u{2028}",
        // Full-width forms and compatibility characters.
        "ＡＢＣ", "ｅｘｐｏｒｔ", "１２", "＂", "＇", "－", "ﬁ", "⑴", "Ⅻ", "㎏",
        // Combining marks after ASCII, after a separator, after Hangul; decomposed jamo.
        "e\u{301}", "A\u{300}\u{301}", "\u{301}", " \u{301}", "-\u{301}", "n\u{303}", "가\u{301}", "\u{1100}\u{1161}\u{11A8}",
        "\u{1112}\u{1161}", "\u{11A8}",
        // Hangul, Han, kana, other scripts, 4-byte characters, the replacement character.
        "공동", "로드맵", "수출통제", "한", "힣", "가", "漢字", "東京", "カタカナ", "ひらがな", "Straße", "İ", "ΣΑΣ", "Привет", "مرحبا",
        "😀", "😀\u{FE0F}", "𝐀𝐁", "\u{FFFD}", "é", "ø",
    ]

    func assertSame(_ text: String, foldCase: Bool, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        var fast = TextNormalizer(foldCase: foldCase)
        return assertSame(text, using: &fast, file: file, line: line)
    }

    /// The same with a given normaliser (its buffers kept from earlier calls).
    func assertSame(_ text: String, using fast: inout TextNormalizer, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let foldCase = fast.foldCase
        var slow = ReferenceNormalizer(foldCase: foldCase)
        let a = fast.normalize(text), b = slow.normalize(text)
        let same = a.bytes == b.bytes && a.originOffsets == b.originOffsets && a.originLength == b.originLength
            && a.wordStarts == b.wordStarts && a.paragraphStarts == b.paragraphStarts && a.gapBytes == b.gapBytes
            && a.gapOrigins == b.gapOrigins
        if !same {
            let context = "text: \(text.debugDescription) foldCase: \(foldCase)"
            XCTAssertEqual(a.string, b.string, context, file: file, line: line)
            XCTAssertEqual(a.originOffsets, b.originOffsets, context, file: file, line: line)
            XCTAssertEqual(a.wordStarts, b.wordStarts, context, file: file, line: line)
            XCTAssertEqual(a.paragraphStarts, b.paragraphStarts, context, file: file, line: line)
            XCTAssertEqual(a.gapBytes, b.gapBytes, context, file: file, line: line)
            XCTAssertEqual(a.gapOrigins, b.gapOrigins, context, file: file, line: line)
            XCTAssertEqual(a.originLength, b.originLength, context, file: file, line: line)
        }
        return same
    }

    /// A run of plain ASCII of exactly `length` bytes (mixed case, single spaces), to shift what
    /// follows to every offset of a 32-byte block.
    static func plain(_ length: Int, _ r: inout SeededRandom) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ ,.-'")
        var s = ""
        var last: Character = " "
        while s.utf8.count < length {
            var c = alphabet[Int.random(in: 0..<alphabet.count, using: &r)]
            // Mostly letters, single separators: the shape the block path takes whole.
            if (c == " " || c == "-") && (last == " " || last == "-") { c = "q" }
            s.append(c)
            last = c
        }
        return s
    }

    func testRandomTextAtEveryBlockOffsetNormalisesAsTheReference() {
        var r = SeededRandom(seed: 20261206)
        var failures = 0
        for i in 0..<4000 where failures < 5 {
            var text = Self.plain(Int.random(in: 0...72, using: &r), &r)
            for _ in 0..<Int.random(in: 1...12, using: &r) {
                text += Self.pieces[Int.random(in: 0..<Self.pieces.count, using: &r)]
                if Bool.random(using: &r) { text += Self.plain(Int.random(in: 0...70, using: &r), &r) }
            }
            if !assertSame(text, foldCase: i % 3 != 0) { failures += 1 }
        }
    }

    func testEveryPieceAtEveryOffsetNormalisesAsTheReference() {
        var r = SeededRandom(seed: 14)
        for piece in Self.pieces {
            for offset in 0..<66 {
                let before = Self.plain(offset, &r), after = Self.plain(Int.random(in: 0...20, using: &r), &r)
                for text in [before + piece + after, before + piece, "\(before)\(piece)\(piece)\(after)"] {
                    _ = assertSame(text, foldCase: true)
                    _ = assertSame(text, foldCase: false)
                }
            }
        }
    }

    func testLongHangulAndMixedRunsNormaliseAsTheReference() {
        var r = SeededRandom(seed: 7)
        let hangul = (0..<64).map { _ in String(UnicodeScalar(UInt32.random(in: 0xAC00...0xD7A3, using: &r))!) }
        for i in 0..<500 {
            var text = ""
            for _ in 0..<Int.random(in: 1...30, using: &r) {
                switch Int.random(in: 0..<6, using: &r) {
                case 0, 1: text += (0..<Int.random(in: 1...20, using: &r)).map { _ in hangul.randomElement(using: &r)! }.joined()
                case 2: text += " "
                case 3: text += Self.plain(Int.random(in: 1...40, using: &r), &r).uppercased()
                default: text += Self.pieces.randomElement(using: &r)!
                }
            }
            _ = assertSame(text, foldCase: i % 2 == 0)
        }
    }

    /// Random bytes, invalid UTF-8 included, as a String would hold them (invalid sequences
    /// replaced by U+FFFD): nothing may crash, and the result is the reference's.
    func testRandomBytesNormaliseAsTheReference() {
        var r = SeededRandom(seed: 99)
        let interesting: [UInt8] = [0x20, 0x2D, 0x0A, 0x0D, 0x41, 0x61, 0x5F, 0x80, 0xBF, 0xC3, 0xCC, 0x81, 0xE2, 0xEA, 0xED, 0xB0, 0x9E, 0xF0, 0xFF]
        for _ in 0..<1500 {
            let bytes = (0..<Int.random(in: 0...70, using: &r)).map { _ -> UInt8 in
                Bool.random(using: &r) ? interesting.randomElement(using: &r)! : UInt8.random(in: 0...255, using: &r)
            }
            _ = assertSame(String(decoding: bytes, as: UTF8.self), foldCase: true)
        }
    }

    /// The block classifier itself on all printable ASCII: its word and separator classes are
    /// the byte path's (`ScriptClass.isWordChar`, space and hyphen).
    func testBlockPathAgreesWithTheByteClassesForEveryASCIIByte() {
        for b in UInt8(0x21)...UInt8(0x7E) where b != 0x2D {
            let text = "a" + String(repeating: String(UnicodeScalar(b)), count: 3) + " b" + String(repeating: "x", count: 20)
            XCTAssertTrue(assertSame(text, foldCase: true), "byte \(b)")
            XCTAssertTrue(assertSame(text, foldCase: false), "byte \(b)")
        }
    }

    /// Plain ASCII of every length around two blocks, alone, after a separator (which the
    /// text drops) and before one: the last block of a text is read from a padded copy.
    func testEveryLengthAndLeadingSeparatorNormalisesAsTheReference() {
        var r = SeededRandom(seed: 32)
        for length in 0...70 {
            let p = Self.plain(length, &r)
            for text in [p, " " + p, "-" + p, p + " ", p + "-", " " + p + " ", p + "\n", "x " + p, "Ab-" + p + " Cd", p + "é"] {
                _ = assertSame(text, foldCase: true)
                _ = assertSame(text, foldCase: false)
            }
        }
    }

    /// Korean words separated by one space are copied by the Hangul path, the space dropped
    /// (a gap and a word start); anything else after the space leaves it to the full path.
    func testKoreanWordsAndSpacesNormaliseAsTheReference() {
        var r = SeededRandom(seed: 82)
        let syllables = (0..<40).map { _ in String(UnicodeScalar(UInt32.random(in: 0xAC00...0xD7A3, using: &r))!) }
        let after = [" ", "  ", " \t", " \n\n", "\u{C} ", " \r\n", " \u{301}", " \u{1100}\u{1161}", " 漢", " a", " ", "\n", ". ", " 가\u{301}", " 힣", "", " -", " ﬁ"]
        for i in 0..<3000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...12, using: &r) {
                text += (0..<Int.random(in: 1...6, using: &r)).map { _ in syllables.randomElement(using: &r)! }.joined()
                text += after.randomElement(using: &r)!
            }
            _ = assertSame(text, foldCase: i % 2 == 0)
        }
    }

    /// One normaliser over many texts keeps its buffers: a long text, then short ones, then a
    /// copy of the normaliser used in turn with the original must all give the reference's output.
    func testReusedNormaliserNormalisesAsTheReference() {
        var r = SeededRandom(seed: 5)
        var normalizer = TextNormalizer()
        var texts: [String] = []
        for _ in 0..<300 {
            var text = Self.plain(Int.random(in: 0...300, using: &r), &r)
            for _ in 0..<Int.random(in: 0...8, using: &r) {
                text += Self.pieces.randomElement(using: &r)! + Self.plain(Int.random(in: 0...40, using: &r), &r)
            }
            texts.append(text)
        }
        texts.append(String(repeating: "Long paragraph text.\n\n한국 공동 로드맵 ", count: 2000))
        texts.append("a")
        texts.append("")
        var copy = normalizer
        for (k, text) in texts.enumerated() {
            if k % 3 == 0 {
                XCTAssertTrue(assertSame(text, using: &copy))
            } else {
                XCTAssertTrue(assertSame(text, using: &normalizer))
            }
        }
        // Results already returned are not changed by later calls.
        let first = normalizer.normalize("Export Controls on chips")
        _ = normalizer.normalize(String(repeating: "zzzz ", count: 100))
        XCTAssertEqual(first.string, "export controls on chips")
    }

    // MARK: The fast paths of the third round: whole blocks in C, Hangul in vector steps,
    // the output written straight into the result's arrays.

    /// What may follow a block of plain ASCII: the C loop takes a block only when the byte after
    /// it lets the block's last byte be final (no combining mark, no second separator).
    static let blockFollowers: [String] = [
        "", " ", "  ", "-", " -", "\n", "\n\n", "\t", "\r\n", "\u{7F}", "\u{0}", "\u{301}", "é", "\u{A0}", "’s", "가", "漢",
        ".", "x", "X", "_", "9", "😀", "ﬁ",
    ]

    /// Plain ASCII long enough for several whole blocks (the C loop), each kind of follower put at
    /// every offset of a block, after a word byte and after a separator.
    func testLongPlainRunsWithEveryFollowerAtEveryOffsetNormaliseAsTheReference() {
        var r = SeededRandom(seed: 2026)
        for follower in Self.blockFollowers {
            for length in 30...131 {
                var head = Self.plain(length, &r)
                // End the run on a separator half the time: the block then ends on one.
                if length % 2 == 0 { head = String(head.dropLast()) + (length % 4 == 0 ? " " : "-") }
                let tail = Self.plain(Int.random(in: 0...90, using: &r), &r)
                for text in [head + follower + tail, head + follower, "Go " + head + follower + follower + tail] {
                    _ = assertSame(text, foldCase: length % 3 != 0)
                }
            }
        }
    }

    /// Long English-like paragraphs (hundreds of blocks) with rare pieces: the C loop's origins
    /// and word starts over long distances, and the way back into it after each piece.
    func testLongParagraphsNormaliseAsTheReference() {
        var r = SeededRandom(seed: 404)
        let words = ["the", "Export", "controls", "ON", "chips", "semi-conductor", "2024", "U.S.", "rate_limit", "a", "(b)", "x-y-z"]
        for i in 0..<60 {
            var text = ""
            for _ in 0..<Int.random(in: 50...900, using: &r) {
                text += words.randomElement(using: &r)!
                switch Int.random(in: 0..<40, using: &r) {
                case 0: text += "\n\n"
                case 1: text += ", "
                case 2: text += Self.pieces.randomElement(using: &r)!
                case 3: text += "  "
                default: text += " "
                }
            }
            _ = assertSame(text, foldCase: i % 4 != 0)
        }
    }

    /// Hangul runs in the vector path: every length of run (so a word ends at every lane of a
    /// 16-byte step), single spaces, the syllables at both ends of the block (U+AC00, U+D7A3, and
    /// ED 9E .., which the vector test leaves to the one-at-a-time path), characters just outside
    /// it (U+ABFF, Yi U+A000, jamo, U+D7B0), and marks that join the last syllable.
    func testHangulRunsAtEveryLengthNormaliseAsTheReference() {
        var r = SeededRandom(seed: 1443)
        let edges = ["가", "힣", "\u{D780}", "\u{D77F}", "\u{D79D}", "\u{D7A0}", "갛", "\u{AFFF}", "\u{B000}", "\u{CFFF}", "\u{D000}"]
        let outside = ["\u{ABFF}", "\u{A000}", "\u{1100}", "\u{1161}", "\u{11A8}", "\u{D7B0}", "\u{3131}", "\u{301}", "\u{FE0F}", "\u{200D}", "ㄱ"]
        let ordinary = (0..<30).map { _ in String(UnicodeScalar(UInt32.random(in: 0xAC00...0xD7A3, using: &r))!) }
        for length in 0...40 {
            for follower in outside + [" ", "  ", ". ", "a", "\n", ""] {
                for variant in 0..<4 {
                    var run = ""
                    for k in 0..<length {
                        if variant == 1 && k % 4 == 3 { run += " " }
                        run += variant >= 2 && Int.random(in: 0..<3, using: &r) == 0 ? edges.randomElement(using: &r)! : ordinary.randomElement(using: &r)!
                    }
                    let text = (variant == 3 ? "Seoul " : "") + run + follower + ordinary.randomElement(using: &r)! + " 정부"
                    _ = assertSame(text, foldCase: true)
                    _ = assertSame(run + follower, foldCase: false)
                }
            }
        }
    }

    /// Korean and English in one text as news has them ("정부는 AI 정책을 발표했다. G7 ..."),
    /// long enough for many vector steps and C blocks, with every piece now and then.
    func testMixedKoreanAndEnglishNormaliseAsTheReference() {
        var r = SeededRandom(seed: 515)
        let korean = ["정부는", "장관이", "국회에서", "관세를", "발표했다.", "힣힣", "가가가가가가", "수출통제", "반도체와"]
        let english = ["AI", "G7", "export controls", "Chips Act", "U.S.", "2026", "semi-conductors", "OK,"]
        for i in 0..<400 {
            var text = ""
            for _ in 0..<Int.random(in: 5...200, using: &r) {
                switch Int.random(in: 0..<12, using: &r) {
                case 0..<6: text += korean.randomElement(using: &r)!
                case 6..<9: text += english.randomElement(using: &r)!
                case 9: text += Self.plain(Int.random(in: 20...100, using: &r), &r)
                case 10: text += "\n\n"
                default: text += Self.pieces.randomElement(using: &r)!
                }
                text += Int.random(in: 0..<8, using: &r) == 0 ? "" : " "
            }
            _ = assertSame(text, foldCase: i % 2 == 0)
        }
    }

    /// Text whose folded form is far longer than the text (U+FDFA is 18 characters with 3
    /// spaces after NFKC; "⑴" is "(1)"; "㎏" is "kg") outgrows the result's first capacity: the
    /// writer moves to buffers of its own (bytes and origins, and word starts apart), then copies
    /// them into the result. Plain ASCII and Hangul after the move take their block paths.
    func testOutputLongerThanTheFirstCapacityNormalisesAsTheReference() {
        var r = SeededRandom(seed: 77)
        for count in [1, 5, 40, 300] {
            for tail in ["", Self.plain(200, &r), " 정부 장관 국회 수출통제 반도체와 관세를 발표했다", "ﬁ ⑴ ㎏"] {
                for piece in ["\u{FDFA}", "⑴", "㎏ ", "\u{FDFA} x", "ﬃ"] {
                    let text = String(repeating: piece, count: count) + tail
                    XCTAssertTrue(assertSame(text, foldCase: true), "\(piece) x \(count)")
                    XCTAssertTrue(assertSame(tail + text + tail, foldCase: false), "\(piece) x \(count)")
                }
            }
        }
    }

    /// Bytes that are not UTF-8, given to `normalize(utf8:)` directly (no String to repair
    /// them): truncated sequences at the end of the text and of a block, lone continuation bytes,
    /// Hangul lead bytes without their continuations. Nothing may crash or read past the text,
    /// and the result must hold together (one origin per byte, sorted word starts inside it).
    func testInvalidUTF8GivenDirectlyDoesNotCrash() {
        var r = SeededRandom(seed: 31)
        let odd: [UInt8] = [0xEA, 0xEB, 0xEC, 0xED, 0x9E, 0xA3, 0xB0, 0x80, 0xBF, 0xCC, 0xE1, 0xF0, 0xFF, 0x20, 0x2D, 0x0A, 0x41]
        var normalizer = TextNormalizer()
        for i in 0..<3000 {
            var bytes = Array(Self.plain(Int.random(in: 0...70, using: &r), &r).utf8)
            for _ in 0..<Int.random(in: 0...40, using: &r) {
                switch Int.random(in: 0..<3, using: &r) {
                case 0: bytes.append(odd.randomElement(using: &r)!)
                case 1: bytes += Array("공동 로드맵 ".utf8).prefix(Int.random(in: 0...17, using: &r))
                default: bytes.append(UInt8.random(in: 0...255, using: &r))
                }
            }
            normalizer.foldCase = i % 2 == 0
            let t = bytes.withUnsafeBufferPointer { normalizer.normalize(utf8: $0) }
            XCTAssertEqual(t.originOffsets.count, t.bytes.count)
            XCTAssertEqual(t.wordStarts, t.wordStarts.sorted())
            XCTAssertTrue(t.wordStarts.allSatisfy { $0 >= 0 && Int($0) < max(1, t.bytes.count) })
            XCTAssertTrue(t.originOffsets.allSatisfy { $0 >= 0 && Int($0) <= t.originLength })
        }
    }
}

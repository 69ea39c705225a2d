import XCTest
@testable import PolicyWatch

/// The story hash's fast paths against the plain definition: letters and digits (Unicode
/// properties), lower-cased, runs of anything else one space.
final class ContentHashTests: XCTestCase {
    static func reference(title: String, body: String, version: ContentHash.StoryHashVersion = .v2) -> (hash: String, letters: Int) {
        var bytes: [UInt8] = []
        var letters = 0
        var pendingSpace = false
        for text in [title, body] {
            for s in text.unicodeScalars {
                guard s.properties.isAlphabetic || s.properties.numericType != nil else {
                    pendingSpace = letters > 0
                    continue
                }
                if pendingSpace { bytes.append(0x20); pendingSpace = false }
                letters += 1
                bytes += Array(s.properties.lowercaseMapping.utf8)
            }
            pendingSpace = letters > 0
        }
        return (ContentHash.hex(version == .v1 ? StableHash.fnv1a64(bytes) : v2(bytes)), letters)
    }

    /// v2 plainly: the canonical bytes as little-endian 8-byte words (the last zero-padded),
    /// each mixed in; then the length and MurmurHash3's finaliser.
    static func v2(_ bytes: [UInt8]) -> UInt64 {
        func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
            let x = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
            return x ^ (x >> 29)
        }
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        var k = 0
        while k + 8 <= bytes.count {
            h = mix(h, (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[k + $1]) << (8 * UInt64($1)) })
            k += 8
        }
        let last = (0..<(bytes.count - k)).reduce(UInt64(0)) { $0 | UInt64(bytes[k + $1]) << (8 * UInt64($1)) }
        h = mix(h, last) ^ UInt64(bytes.count)
        h ^= h >> 33; h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33; h = h &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 33)
    }

    /// FNV-1a reads contiguous bytes through a pointer and anything else byte by byte: the
    /// same hash either way (alert ids and stored keys depend on it).
    func testStableHashIsTheSameWhateverHoldsTheBytes() {
        for text in ["", "k", "hash:e417ec3aacea8e29", "https://news.example/a?b=c#d", "반도체 수출 통제 · 半導体", String(repeating: "x", count: 1000)] {
            let bytes = Array(text.utf8)
            let walked = StableHash.fnv1a64(AnySequence(bytes), continuing: 42)
            XCTAssertEqual(StableHash.fnv1a64(text.utf8, continuing: 42), walked, text)
            XCTAssertEqual(StableHash.fnv1a64(bytes, continuing: 42), walked, text)
            XCTAssertEqual(StableHash.fnv1a64(Substring(text).utf8, continuing: 42), walked, text)
        }
        // A pinned value: FNV-1a 64 of "a".
        XCTAssertEqual(StableHash.fnv1a64("a".utf8), 0xAF63_DC4C_8601_EC8C)
        XCTAssertEqual(StableHash.fnv1a64(Array("hello world".utf8)), StableHash.fnv1a64(AnySequence("hello world".utf8)))
    }

    func testFastPathsAgreeWithTheDefinition() {
        var r = SeededRandom(seed: 11)
        let pieces = ["Export", "CONTROLS", "반도체", "수출통제", "半導体", "出口管制", "Ünïcödé", "ＡＢＣ", "123", "٣", "Ⅻ", "  ", "\n", "—", ",",
                      "한미", "ひらがな", "カタカナー", "\u{1F600}", "ß", "İ", "\u{AC00}", "\u{D7A3}", "\u{4E00}", "\u{9FFF}", "\u{3007}",
                      // The ASCII run loop's edges: the bytes either side of A-Z, a-z and 0-9.
                      "@", "[", "`", "{", "/", ":", "aZ9", "Zz", "x"]
        for _ in 0..<2000 {
            let title = (0..<Int.random(in: 0...4, using: &r)).map { _ in pieces.randomElement(using: &r)! }.joined()
            let body = (0..<Int.random(in: 0...30, using: &r)).map { _ in pieces.randomElement(using: &r)! }.joined(separator: Bool.random(using: &r) ? " " : "")
            for version in [ContentHash.StoryHashVersion.v1, .v2] {
                let got = ContentHash.story(title: title, body: body, version: version)
                let want = Self.reference(title: title, body: body, version: version)
                XCTAssertEqual(got.hash, want.hash, "\(version) \(title) | \(body)")
                XCTAssertEqual(got.letters, want.letters, "\(title) | \(body)")
            }
        }
    }

    /// Long texts: the hasher works in blocks of 512 bytes with a buffer it hashes when full;
    /// every mix of scripts must cross those edges unchanged.
    func testLongTextsAcrossBlocksAgreeWithTheDefinition() {
        var r = SeededRandom(seed: 12)
        let pieces = ["word", "WORDS", " ", ", ", "반도체", "\u{AC00}", "半導体", "İ", "ß", "ΐ", "Ünï", "—", "\n", "a", "9", "ＡＢＣ", "\u{1F600}"]
        for _ in 0..<200 {
            let n = Int.random(in: 100...1500, using: &r)
            let body = (0..<n).map { _ in pieces.randomElement(using: &r)! }.joined()
            let title = Bool.random(using: &r) ? "" : pieces.randomElement(using: &r)!
            for version in [ContentHash.StoryHashVersion.v1, .v2] {
                let got = ContentHash.story(title: title, body: body, version: version)
                let want = Self.reference(title: title, body: body, version: version)
                XCTAssertEqual(got.hash, want.hash)
                XCTAssertEqual(got.letters, want.letters)
            }
        }
        // Only capital I with a dot (two bytes, three when lower-cased) and only a separator run.
        for text in [String(repeating: "İ", count: 3000), String(repeating: "— ", count: 2000), String(repeating: "aİ", count: 1500)] {
            for version in [ContentHash.StoryHashVersion.v1, .v2] {
                XCTAssertEqual(ContentHash.story(title: "", body: text, version: version).hash, Self.reference(title: "", body: text, version: version).hash)
            }
        }
    }

    /// The two versions are different functions of the same canonical bytes: v2 is not v1.
    func testVersionsDifferAndV2SeparatesNearTexts() {
        let a = ContentHash.story(title: "Chip curbs", body: "The US imposed new export controls.", version: .v1)
        let b = ContentHash.story(title: "Chip curbs", body: "The US imposed new export controls.", version: .v2)
        XCTAssertNotEqual(a.hash, b.hash)
        XCTAssertEqual(a.letters, b.letters)
        // Texts that differ in one letter, in the zero padding of the last word, or by a word.
        let texts = ["abcdefgh", "abcdefg", "abcdefgi", "abcdefgh ", "abcdefgh a", "", "a", "b"]
        let hashes = Set(texts.map { ContentHash.story(title: "", body: $0).hash })
        XCTAssertEqual(hashes.count, texts.count - 1, "'abcdefgh ' is 'abcdefgh': a trailing separator adds nothing")
    }

    /// The hash with the 16-byte path on or off (`StoryHasher.vectorised`).
    static func hashed(title: String, body: String, version: ContentHash.StoryHashVersion, vectorised: Bool) -> (hash: String, letters: Int) {
        var hasher = ContentHash.StoryHasher(version: version)
        hasher.vectorised = vectorised
        var title = title, body = body
        title.withUTF8 { hasher.add($0) }
        hasher.endOfField()
        body.withUTF8 { hasher.add($0) }
        return (ContentHash.hex(hasher.finish()), hasher.letters)
    }

    /// The 16-byte path (ASCII and Hangul syllables, `pw_story_canonical`) against the plain
    /// pass and the definition, on texts whose pieces fall at every offset of a block: separator
    /// runs across a block's end, a syllable cut by it, the syllables the SSE2 mask leaves out
    /// (U+D780 to U+D7A3, an EA or ED lead in the last lane), scalars it hands back (Latin with
    /// accents, kana, Han, emoji, dotted I), digits and capitals.
    func testSixteenByteBlocksAgreeWithThePlainPass() {
        var r = SeededRandom(seed: 13)
        let pieces = ["a", "Z", "0", "9", "q", "Word", "EXPORT", "controls", " ", "  ", ", ", ". ", ".", "\n", "\n\n", "\t", "-", "'", "(", ")", "@", "`",
                      "\u{7F}", "가", "반도체", "수출", "힣", "\u{D780}", "\u{D79D}", "\u{D7A3}", "\u{AC00}", "\u{AFFF}", "\u{B000}", "\u{D000}",
                      "ㄱ", "é", "Ünï", "“", "”", "—", "…", "半導体", "ひら", "😀", "İ", "ß", "Ω", "١", "ＡＢＣ"]
        for round in 0..<1500 {
            // Some texts only ASCII, some only Hangul and spaces, most mixed.
            let pool: [String]
            switch round % 4 {
            case 0: pool = pieces.filter { $0.utf8.allSatisfy { $0 < 0x80 } }
            case 1: pool = ["가", "반도체", "수출", "힣", "\u{D780}", "\u{D7A3}", "\u{AC00}", "\u{AFFF}", "\u{B000}", " ", "  ", ", ", "\n", "1"]
            default: pool = pieces
            }
            let shift = String(repeating: "x", count: Int.random(in: 0...15, using: &r))
            let n = Int.random(in: 0...(round % 10 == 0 ? 600 : 60), using: &r)
            let body = shift + (0..<n).map { _ in pool.randomElement(using: &r)! }.joined()
            let title = (0..<Int.random(in: 0...8, using: &r)).map { _ in pool.randomElement(using: &r)! }.joined()
            for version in [ContentHash.StoryHashVersion.v1, .v2] {
                let fast = Self.hashed(title: title, body: body, version: version, vectorised: true)
                let plain = Self.hashed(title: title, body: body, version: version, vectorised: false)
                XCTAssertEqual(fast.hash, plain.hash, "\(version) \(title.debugDescription) | \(body.debugDescription)")
                XCTAssertEqual(fast.letters, plain.letters, "\(title.debugDescription) | \(body.debugDescription)")
                let want = Self.reference(title: title, body: body, version: version)
                XCTAssertEqual(fast.hash, want.hash)
                XCTAssertEqual(fast.letters, want.letters)
            }
        }
    }

    /// Copies that differ only in case, punctuation, spacing or line breaks hash alike on the
    /// 16-byte path too; a changed word does not.
    func testCopiesHashAlikeAcrossBlocks() {
        let text = String(repeating: "The US imposed new export controls on advanced chips, officials said. 반도체 수출 통제를 강화했다. ", count: 20)
        let variant = text.uppercased().replacingOccurrences(of: ", ", with: " -- ").replacingOccurrences(of: ". ", with: "!\n\n  ")
        XCTAssertEqual(ContentHash.story(title: "Chips", body: text).hash, ContentHash.story(title: "CHIPS:", body: variant).hash)
        let changed = text.replacingOccurrences(of: "advanced", with: "advancer")
        XCTAssertNotEqual(ContentHash.story(title: "Chips", body: text).hash, ContentHash.story(title: "Chips", body: changed).hash)
    }
}

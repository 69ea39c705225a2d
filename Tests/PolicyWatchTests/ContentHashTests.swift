import XCTest
@testable import PolicyWatch

/// The story hash's fast paths against the plain definition: letters and digits (Unicode
/// properties), lower-cased, runs of anything else one space.
final class ContentHashTests: XCTestCase {
    static func reference(title: String, body: String) -> (hash: String, letters: Int) {
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
        return (ContentHash.hex(StableHash.fnv1a64(bytes)), letters)
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
            let got = ContentHash.story(title: title, body: body)
            let want = Self.reference(title: title, body: body)
            XCTAssertEqual(got.hash, want.hash, "\(title) | \(body)")
            XCTAssertEqual(got.letters, want.letters, "\(title) | \(body)")
        }
    }
}

import XCTest
@testable import PolicyMatcher

final class SentenceTests: XCTestCase {
    /// The sentences of `text`, as normalised text, trimmed.
    func sentences(_ text: String) -> [String] {
        var n = TextNormalizer()
        let t = n.normalize(text)
        let starts = SentenceSegmenter.starts(in: t, original: text)
        return starts.indices.map { k in
            let end = k + 1 < starts.count ? Int(starts[k + 1]) : t.bytes.count
            return String(decoding: t.bytes[Int(starts[k])..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        }
    }

    func testEnglishAbbreviationsDoNotSplit() {
        XCTAssertEqual(sentences("The U.S. Commerce Department tightened rules. Mr. Smith objected."),
                       ["the u.s. commerce department tightened rules.", "mr. smith objected."])
        XCTAssertEqual(sentences("Restrictions by the U.S. The move angered Beijing."),
                       ["restrictions by the u.s.", "the move angered beijing."])
        XCTAssertEqual(sentences("Dr. Lee met Sen. Warner at 10 a.m. on Monday. Nvidia Inc. said nothing."),
                       ["dr. lee met sen. warner at 10 a.m. on monday.", "nvidia inc. said nothing."])
        XCTAssertEqual(sentences("Growth was 3.5 percent. Exports fell."), ["growth was 3.5 percent.", "exports fell."])
        XCTAssertEqual(sentences("He said, \"We will act.\" Then he left."), ["he said, \"we will act.\"", "then he left."])
        XCTAssertEqual(sentences("Why? because. Really! Yes"), ["why? because.", "really!", "yes"])
        XCTAssertEqual(sentences("J. Smith and U.S.-China talks continued."), ["j. smith and u.s. china talks continued."])
    }

    func testKorean() {
        XCTAssertEqual(sentences("미국은 수출 통제를 강화했다. 중국은 반발했다."), ["미국은수출통제를강화했다.", "중국은반발했다."])
        XCTAssertEqual(sentences("미국은 통제를 강화했다.중국은 반발했다"), ["미국은통제를강화했다.", "중국은반발했다"], "a missing space after the stop")
        XCTAssertEqual(sentences("정말인가? 그렇다!"), ["정말인가?", "그렇다!"])
    }

    func testJapaneseAndChinese() {
        XCTAssertEqual(sentences("政府は輸出規制を強化した。中国は反発した！本当か？はい"),
                       ["政府は輸出規制を強化した。", "中国は反発した!", "本当か?", "はい"])
        XCTAssertEqual(sentences("美国加强出口管制。中国表示反对。"), ["美国加强出口管制。", "中国表示反对。"])
        XCTAssertEqual(sentences("「輸出を止める。」と述べた。"), ["「輸出を止める。」", "と述べた。"])
    }

    func testParagraphsEndSentences() {
        XCTAssertEqual(sentences("A heading without a stop\n\nThe body starts here"), ["a heading without a stop", "the body starts here"])
    }

    func testWordPositions() {
        var n = TextNormalizer()
        func gap(_ text: String, _ a: String, _ b: String) -> Int32 {
            let t = n.normalize(text)
            let s = t.string
            let ra = s.range(of: a)!, rb = s.range(of: b)!
            let aEnd = Int32(s.utf8.distance(from: s.startIndex, to: ra.upperBound))
            let bStart = Int32(s.utf8.distance(from: s.startIndex, to: rb.lowerBound))
            return WordPositions(t).gap(from: aEnd, to: bStart)
        }
        XCTAssertEqual(gap("export controls on advanced chips", "controls", "chips"), 4, "two words between = 4 half-words")
        XCTAssertEqual(gap("export controls chips", "controls", "chips"), 0)
        // Korean words are counted by their original spaces, particles included.
        XCTAssertEqual(gap("미국이 첨단 반도체를 통제", "미국", "반도체"), 2)
        XCTAssertEqual(gap("미국이 첨단반도체를 통제", "미국", "반도체"), 0, "same word: nothing between")
        // Chinese: each Han character is half a word.
        XCTAssertEqual(gap("美国加强对芯片的出口管制", "芯片", "出口"), 1)
        XCTAssertEqual(gap("美国加强对芯片的出口管制", "美国", "芯片"), 3)
        // Japanese: a katakana run is one word, hiragana and Han are halves.
        XCTAssertEqual(gap("エヌビディアの半導体", "エヌビディア", "半導体"), 1)
        XCTAssertEqual(gap("米国はエヌビディアの半導体", "米国", "半導体"), 4)
    }
}

/// Sentence boundaries in normalised text, for `sentence:` scopes and evidence.
///
/// Computed on demand (only rules with `sentence:` or `explain` need them). Works on the
/// normalised bytes, so boundaries are byte offsets like term hits, and looks at the original
/// text only for the case of the letter after a period (normalisation lower-cases it).
///
/// - A paragraph break (blank line) always ends a sentence.
/// - `。` and, before Korean/Japanese/Chinese text, `！` `？` (NFKC makes them `!` `?`) end a
///   sentence with or without a following space.
/// - `.` `!` `?` followed by a space end a sentence unless a lower-case letter follows.
/// - A period after a title ("Mr.", "Dr.", "Sen.") never ends a sentence; after an initialism
///   ("U.S.", "U.K.", "a.m."), a single letter ("J.") or "Inc.", "Corp.", "Jan." it ends one only
///   when Korean/Japanese/Chinese text or a capitalised common sentence opener ("The", "It",
///   "But"...) follows. So "the U.S. Commerce Department" stays one sentence and
///   "restrictions by the U.S. The move..." is two.
/// - Closing quotes and brackets after the stop belong to the sentence they close.
public enum SentenceSegmenter {
    /// Sorted byte offsets where sentences start; the first is 0.
    public static func starts(in text: NormalizedText, original: String) -> [Int32] {
        let b = text.bytes
        let n = b.count
        guard n > 0 else { return [0] }
        let scalars = Array(original.unicodeScalars)
        var starts: [Int32] = [0]
        b.withUnsafeBufferPointer { buf in
            func originalScalar(_ k: Int) -> Unicode.Scalar? {
                guard k < text.originOffsets.count else { return nil }
                let o = Int(text.originOffsets[k])
                return o < scalars.count ? scalars[o] : nil
            }
            /// Whether the text at `k` may start a sentence: anything but a lower-case letter.
            func opens(_ k: Int) -> Bool {
                guard let s = originalScalar(k) else { return true }
                return !s.properties.isLowercase
            }
            func isCJKStop(_ k: Int) -> Bool { k + 2 < n && buf[k] == 0xE3 && buf[k + 1] == 0x80 && buf[k + 2] == 0x82 }

            var i = 0
            while i < n {
                let c = buf[i]
                guard c == 0x2E || c == 0x21 || c == 0x3F || (c == 0xE3 && isCJKStop(i)) else {
                    i += 1
                    continue
                }
                let stopStart = i
                var j = i
                var dots = 0, marks = 0, cjkStop = false
                while j < n {
                    if buf[j] == 0x2E {
                        dots += 1
                        j += 1
                    } else if buf[j] == 0x21 || buf[j] == 0x3F {
                        marks += 1
                        j += 1
                    } else if isCJKStop(j) {
                        cjkStop = true
                        j += 3
                    } else {
                        break
                    }
                }
                while j < n, let l = closerLength(buf, j) { j += l }
                i = j
                guard j < n else { break }
                var boundary: Bool
                var next = j
                if cjkStop {
                    boundary = true
                    if buf[j] == 0x20 { next = j + 1 }
                } else if buf[j] != 0x20 {
                    // No space: only Chinese/Japanese stops (and a Korean sentence missing its space).
                    let v = UTF8Scalar.decode(buf, at: j).0
                    let before = stopStart > 0 ? UTF8Scalar.decodeBefore(buf, stopStart) : 0
                    boundary = ScriptClass.isCJK(v) && (marks > 0 || ScriptClass.isCJK(before))
                } else {
                    next = j + 1
                    guard next < n else { break }
                    if marks == 0 && dots == 1 {
                        boundary = periodEnds(buf, stop: stopStart, next: next, opens: opens)
                    } else {
                        boundary = opens(next)
                    }
                }
                if boundary && next < n { starts.append(Int32(next)) }
            }
        }
        var merged = Array(Set(starts + text.paragraphStarts.filter { $0 < Int32(n) }))
        merged.sort()
        return merged
    }

    /// Length of a closing quote or bracket at `k`, if one is there.
    private static func closerLength(_ b: UnsafeBufferPointer<UInt8>, _ k: Int) -> Int? {
        switch b[k] {
        case 0x22, 0x27, 0x29, 0x5D, 0x7D: return 1
        case 0xE3 where k + 2 < b.count && b[k + 1] == 0x80:
            // 」 』 》 〉 】 〕
            return [0x8D, 0x8F, 0x8B, 0x89, 0x91, 0x95].contains(b[k + 2]) ? 3 : nil
        default: return nil
        }
    }

    /// Titles: a period after them never ends a sentence (a name follows).
    static let titles: Set<String> = [
        "mr", "mrs", "ms", "messrs", "mme", "dr", "prof", "sen", "sens", "rep", "reps", "gov", "gen", "lt", "col", "maj",
        "capt", "cmdr", "adm", "sgt", "rev", "hon", "pres", "amb", "sec", "supt", "st", "mt", "ft", "vs", "cf", "viz",
        "approx", "fig", "figs", "vol", "vols", "pp", "art", "dept",
    ]
    /// Abbreviations that end a sentence only before a clear sentence opener.
    static let abbreviations: Set<String> = [
        "inc", "corp", "co", "ltd", "llc", "plc", "bros", "jr", "sr", "etc", "al", "no", "nos", "jan", "feb", "mar", "apr",
        "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "univ", "assn",
    ]
    /// Words that commonly open an English sentence (capitalised after an ambiguous period).
    static let openers: Set<String> = [
        "the", "a", "an", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we", "i", "you", "there",
        "here", "in", "on", "at", "but", "and", "or", "so", "if", "when", "while", "after", "before", "however",
        "meanwhile", "also", "according", "his", "her", "their", "our", "as", "for", "with", "by", "from", "under",
        "some", "many", "most", "no", "yet", "still", "then", "now", "last", "next", "both", "each", "such", "other",
        "what", "why", "how", "who", "where", "despite", "although", "though", "since", "because", "earlier", "later",
        "officials", "analysts", "experts", "critics", "separately", "further", "moreover", "instead", "one", "two",
    ]

    private static func periodEnds(_ b: UnsafeBufferPointer<UInt8>, stop: Int, next: Int, opens: (Int) -> Bool) -> Bool {
        // The ASCII token before the period, inner dots included ("u.s" for "u.s.").
        var k = stop
        while k > 0 {
            let c = b[k - 1]
            guard (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2E else { break }
            k -= 1
        }
        if k > 0 && b[k - 1] >= 0x80 && ScriptClass.isWordChar(UTF8Scalar.decodeBefore(b, k)) {
            return opens(next)  // part of a non-ASCII word ("café."): an ordinary word
        }
        let token = String(decoding: UnsafeBufferPointer(rebasing: b[k..<stop]), as: UTF8.self)
        let letters = token.filter { $0 != "." }
        if titles.contains(token) { return false }
        let initialism = token.contains(".") || (letters.count == 1 && letters.first!.isLetter) || abbreviations.contains(token)
        guard initialism else { return opens(next) }
        let v = UTF8Scalar.decode(b, at: next).0
        if ScriptClass.isCJK(v) { return true }
        var e = next
        while e < b.count && b[e] >= 0x61 && b[e] <= 0x7A { e += 1 }
        let word = String(decoding: UnsafeBufferPointer(rebasing: b[next..<e]), as: UTF8.self)
        return opens(next) && openers.contains(word)
    }

    /// Index of the sentence holding byte `offset` in `starts`.
    public static func index(of offset: Int32, in starts: [Int32]) -> Int {
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts[mid] <= offset { lo = mid + 1 } else { hi = mid }
        }
        return max(0, lo - 1)
    }
}

/// Word positions for distances (`near`), in half-word units.
///
/// A word of a spaced script counts 2, and so does a Korean word, delimited by its original
/// spaces (`NormalizedText.wordStarts` keeps them although the spaces are dropped). Chinese
/// and Japanese have no spaces: each Han character and each hiragana counts 1 (half a word;
/// Chinese words average about two characters, and Japanese particles are one kana), and a
/// run of katakana counts 2 (it is usually one loanword).
public struct WordPositions: Sendable {
    /// Byte offset where each unit starts, sorted.
    public let unitStarts: [Int32]
    /// Half-word units before each unit.
    public let before: [Int32]
    /// Each unit's size in half-word units (1 or 2).
    public let weights: [UInt8]

    public init(_ text: NormalizedText) {
        var starts: [Int32] = []
        var before: [Int32] = []
        var weights: [UInt8] = []
        var total: Int32 = 0
        func unit(_ at: Int, _ w: UInt8) {
            starts.append(Int32(at))
            before.append(total)
            weights.append(w)
            total += Int32(w)
        }
        text.bytes.withUnsafeBufferPointer { buf in
            let ws = text.wordStarts
            for (k, s) in ws.enumerated() {
                let limit = k + 1 < ws.count ? Int(ws[k + 1]) : buf.count
                var i = Int(s)
                // 0: none, 1: spaced-script or Hangul run, 2: katakana run.
                var run = 0
                while i < limit {
                    let (v, l) = UTF8Scalar.decode(buf, at: i)
                    guard ScriptClass.isCJK(v) || ScriptClass.isWordChar(v) else { break }
                    if Self.isHanOrHiragana(v) {
                        unit(i, 1)
                        run = 0
                    } else {
                        let kind = ScriptClass.isKana(v) ? 2 : 1
                        if kind != run { unit(i, 2) }
                        run = kind
                    }
                    i += l
                }
            }
        }
        self.unitStarts = starts
        self.before = before
        self.weights = weights
    }

    static func isHanOrHiragana(_ v: UInt32) -> Bool {
        (0x3040...0x309F).contains(v) || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x20000...0x2FA1F).contains(v) || v == 0x3005 || v == 0x3007
    }

    /// The unit holding byte `b` (the last unit starting at or before it).
    func unit(_ b: Int32) -> Int {
        var lo = 0, hi = unitStarts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if unitStarts[mid] <= b { lo = mid + 1 } else { hi = mid }
        }
        return max(0, lo - 1)
    }

    /// Half-word position where the text starting at byte `b` begins.
    public func start(_ b: Int32) -> Int32 {
        guard !unitStarts.isEmpty else { return 0 }
        return before[unit(b)]
    }

    /// Half-word position just after the text ending at byte `end` (exclusive).
    public func end(_ end: Int32) -> Int32 {
        guard !unitStarts.isEmpty else { return 0 }
        let u = unit(max(0, end - 1))
        return before[u] + Int32(weights[u])
    }

    /// Half-word units strictly between a hit ending at `aEnd` and one starting at `bStart`.
    public func gap(from aEnd: Int32, to bStart: Int32) -> Int32 {
        max(0, start(bStart) - end(aEnd))
    }
}

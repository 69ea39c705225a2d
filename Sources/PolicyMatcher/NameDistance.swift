/// How far a word is from a name, for `Name~1` / `Name~2`.
///
/// Levenshtein edits, except that replacing one run of vowels with another counts as one
/// edit: transliterated and machine-translated names differ mostly in their vowels
/// ("Raimondo", "Raymondo", "Lemondo"). So "Raymondo" is 1 from "Raimondo" (i -> y) and
/// "Lemondo" is 2 (r -> l, ai -> e), where plain Levenshtein counts 3.
enum NameDistance {
    static func distance(_ a: [UInt32], _ b: [UInt32], limit: Int) -> Int {
        let plain = EditDistance.distance(a, b, limit: limit)
        if plain <= 1 { return plain }
        return min(plain, EditDistance.distance(units(a), units(b), limit: limit))
    }

    /// The word with each run of vowels replaced by one symbol standing for that run.
    static func units(_ w: [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        var run: [UInt32] = []
        func flush() {
            guard !run.isEmpty else { return }
            // Above the Unicode range, so a vowel run never equals a letter; equal runs are equal.
            var h: UInt32 = 0x11_0000
            for v in run { h = h &* 31 &+ v }
            out.append(h | 0x8000_0000)
            run.removeAll()
        }
        for v in w {
            if isVowel(v) {
                run.append(v)
            } else {
                flush()
                out.append(v)
            }
        }
        flush()
        return out
    }

    static func isVowel(_ v: UInt32) -> Bool {
        switch v {
        case 0x61, 0x65, 0x69, 0x6F, 0x75: return true  // a e i o u
        case 0xE0...0xE6, 0xE8...0xEF, 0xF2...0xF6, 0xF8...0xFC: return true  // accented vowels
        default: return false
        }
    }
}

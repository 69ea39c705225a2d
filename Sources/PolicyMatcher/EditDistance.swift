/// Levenshtein distance: the one edit distance of the project. `Name~1` typo tolerance
/// (through `NameDistance`) and every "did you mean" suggestion use it.
public enum EditDistance {
    /// Insertions, deletions and substitutions turning `a` into `b`, or `limit + 1` when that
    /// is more than `limit` (it stops as soon as a row of the table exceeds the limit).
    public static func distance(_ a: [UInt32], _ b: [UInt32], limit: Int = Int.max - 1) -> Int {
        if a == b { return 0 }
        if abs(a.count - b.count) > limit { return limit + 1 }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            var rowMin = cur[0]
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                rowMin = min(rowMin, cur[j])
            }
            if rowMin > limit { return limit + 1 }
            swap(&prev, &cur)
        }
        return min(prev[b.count], limit + 1)
    }

    /// The distance between two strings, counted in Unicode code points.
    public static func distance(_ a: String, _ b: String) -> Int {
        distance(a.unicodeScalars.map(\.value), b.unicodeScalars.map(\.value))
    }
}

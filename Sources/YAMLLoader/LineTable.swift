/// Turns libyaml's character index into the 1-based line and column a user's editor shows.
///
/// libyaml's own `line`/`column` count code points (not bytes), which is what we want,
/// but it also starts a new line at U+0085, U+2028 and U+2029 (YAML 1.1 line breaks),
/// which editors, grep and git do not. Text pasted from the web or mis-decoded from
/// Windows-1252 can contain those, so lines are counted here from `\n`, `\r\n` and `\r`.
struct LineTable {
    /// Code-point index at which each line starts; the first line starts at 0.
    private var starts: [Int] = [0]
    /// Code points skipped before libyaml's index 0 (a leading BOM is not counted by libyaml).
    let bomLength: Int

    init(_ text: String) {
        let scalars = text.unicodeScalars
        bomLength = scalars.first == "\u{FEFF}" ? 1 : 0
        var index = 0
        var previous: Unicode.Scalar?
        for scalar in scalars.dropFirst(bomLength) {
            index += 1
            if scalar == "\r" {
                starts.append(index)
            } else if scalar == "\n" {
                // "\r\n" is one break: move the start already recorded for the "\r".
                if previous == "\r" { starts[starts.count - 1] = index } else { starts.append(index) }
            }
            previous = scalar
        }
    }

    /// The mark of the code point at `index` (counted as libyaml does, after any BOM).
    func mark(file: String, index: Int) -> Mark {
        // Binary search for the last line starting at or before `index`.
        var low = 0, high = starts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if starts[mid] <= index { low = mid } else { high = mid - 1 }
        }
        return Mark(file: file, line: low + 1, column: index - starts[low] + 1)
    }
}

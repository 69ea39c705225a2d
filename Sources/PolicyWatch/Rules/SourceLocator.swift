import YAMLLoader

/// Turns an offset inside a YAML scalar's value (a column in a `query:` or `regex:` string)
/// into the file:line:column an editor shows.
///
/// YAML gives the position of the scalar's first character only. The value is aligned with
/// the source from there, skipping source characters the value does not hold (quotes,
/// escape backslashes, line breaks and indentation folded away). This is exact for plain
/// and quoted scalars on one line (the common case) and for literal blocks (`|`); for folded
/// and multi-line scalars the line is right and the column may be off by the indentation
/// folded into a space, and a `\u` escape before the offset shifts it by the escape's length.
struct SourceLocator {
    let file: String
    private let scalars: [Unicode.Scalar]
    /// Index of the first scalar of each line (lines end at \n, \r\n or \r, as YAMLLoader counts them).
    private let lineStarts: [Int]
    private let bom: Int

    init(file: String, text: String) {
        self.file = file
        var s = Array(text.unicodeScalars)
        bom = s.first == "\u{FEFF}" ? 1 : 0
        if bom == 1 { s.removeFirst() }
        scalars = s
        var starts = [0]
        var k = 0
        while k < s.count {
            if s[k] == "\r" {
                if k + 1 < s.count && s[k + 1] == "\n" { k += 1 }
                starts.append(k + 1)
            } else if s[k] == "\n" {
                starts.append(k + 1)
            }
            k += 1
        }
        lineStarts = starts
    }

    /// The mark of the character at `offset` (code points) inside `node`'s value.
    func mark(in node: Node, offset: Int) -> Mark {
        marks(in: node).mark(offset)
    }

    /// Marks for every offset inside `node`'s value, aligned once: a `query:` asks for one
    /// mark per term, and aligning from the start for each made 10,000 terms take 25 s.
    func marks(in node: Node) -> ValueMarks {
        guard let value = node.scalar, node.mark.line >= 1, node.mark.line <= lineStarts.count else {
            return ValueMarks(node: node.mark, positions: [], lostAt: nil, locator: self)
        }
        let v = Array(value.unicodeScalars)
        var p = lineStarts[node.mark.line - 1] + node.mark.column - 1
        switch node.style {
        case .singleQuoted, .doubleQuoted: p += 1
        case .literal, .folded:
            // The content starts on the line after the indicator.
            if node.mark.line < lineStarts.count { p = lineStarts[node.mark.line] }
        case .plain: break
        }
        // Walk the value and the source together; positions[k] is where the character at
        // offset k (or the end, k == v.count) sits in the source.
        var positions: [Int] = []
        positions.reserveCapacity(v.count + 1)
        var k = 0
        var skipped = 0
        var lostAt: Int?
        func record() {
            // Skip what the value does not hold right before the character (a folded line break).
            var q = p, extra = skipped
            while q < scalars.count, k < v.count, scalars[q] != v[k], extra < 16 {
                q += 1
                extra += 1
            }
            positions.append(q)
        }
        record()
        while k < v.count && p < scalars.count {
            if scalars[p] == v[k] {
                k += 1
                skipped = 0
                p += 1
                record()
            } else {
                skipped += 1
                // Lost track (an escape we cannot follow): offsets from here get the simple estimate.
                if skipped > 16 {
                    lostAt = k + 1
                    break
                }
                p += 1
            }
        }
        // The source ended first: every later offset sits where the walk stopped.
        if lostAt == nil, positions.count <= v.count { record() }
        return ValueMarks(node: node.mark, positions: positions, lostAt: lostAt, locator: self)
    }

    /// The marks of one scalar's value, from `SourceLocator.marks(in:)`.
    struct ValueMarks {
        let node: Mark
        /// Source index per offset; offsets past the end use the last one.
        let positions: [Int]
        /// First offset from which the alignment was lost (simple estimate from the node's mark).
        let lostAt: Int?
        let locator: SourceLocator

        func mark(_ offset: Int) -> Mark {
            guard offset >= 0, !positions.isEmpty else { return node }
            if let lostAt, offset >= lostAt { return Mark(file: node.file, line: node.line, column: node.column + offset) }
            return locator.mark(at: positions[min(offset, positions.count - 1)], file: node.file)
        }
    }

    private func mark(at index: Int, file: String) -> Mark {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= index { lo = mid } else { hi = mid - 1 }
        }
        return Mark(file: file, line: lo + 1, column: index - lineStarts[lo] + 1)
    }
}

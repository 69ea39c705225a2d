/// The syntax tree of a `regex:` pattern and its parser.
///
/// Supported (RE2-like, no backtracking features): literals, `.`, classes `[a-z]` `[^...]`,
/// `\d \w \s \D \W \S`, `\p{Han}` `\p{Hangul}` `\p{Hiragana}` `\p{Katakana}` `\p{Latin}` `\p{L}` `\p{N}`
/// (and `\P{...}`), groups `(...)` `(?:...)` `(?<name>...)`, alternation `|`, quantifiers `* + ? {n} {n,} {n,m}`
/// with lazy `?` forms, anchors `^ $ \b \B`. Backreferences and lookaround are refused: they
/// cannot run in linear time.
///
/// Literal characters are normalised like the text they run on (see `LinearRegex`): upper case
/// becomes lower case, hyphens and dashes a space, curly quotes straight, full-width ASCII.
enum RegexNode: Sendable {
    case empty
    /// One literal scalar, already normalised.
    case char(UInt32, offset: Int)
    case set(RegexCharSet, offset: Int)
    case concat([RegexNode])
    case alt([RegexNode])
    /// `max == nil` is unbounded. `span` is the pattern range of the whole repetition, for messages.
    indirect case repetition(RegexNode, min: Int, max: Int?, greedy: Bool, span: Range<Int>)
    case assertion(RegexAssertion)
}

enum RegexAssertion: Sendable {
    case start, end, wordBoundary, notWordBoundary
}

/// A set of scalars: ranges and named classes, possibly negated.
struct RegexCharSet: Sendable {
    enum Named: String, Sendable {
        case digit, word, space, letter, number, han, hangul, hiragana, katakana, latin
    }

    var ranges: [ClosedRange<UInt32>] = []
    var named: [(Named, negated: Bool)] = []
    var negated = false
    /// `.`: any scalar at all.
    var any = false

    func contains(_ v: UInt32) -> Bool {
        if any { return true }
        var hit = false
        for r in ranges where r.contains(v) {
            hit = true
            break
        }
        if !hit {
            for (n, neg) in named where Self.test(n, v) != neg {
                hit = true
                break
            }
        }
        return hit != negated
    }

    /// Marks in `bytes` every byte a UTF-8 scalar of the set can start with (a superset: every
    /// lead byte of a multi-byte range, and all of them for classes beyond ASCII).
    func markFirstBytes(_ bytes: inout [Bool]) {
        for b in 0..<128 where contains(UInt32(b)) { bytes[b] = true }
        func lead(_ v: UInt32) -> Int {
            v < 0x800 ? Int(0xC0 | (v >> 6)) : v < 0x10000 ? Int(0xE0 | (v >> 12)) : Int(0xF0 | min(v >> 18, 7))
        }
        let asciiOnlyNamed = named.allSatisfy { !$0.negated && ($0.0 == .digit || $0.0 == .space) }
        if any || negated || !asciiOnlyNamed {
            for b in 0xC2...0xF4 { bytes[b] = true }
            return
        }
        for r in ranges where r.upperBound >= 0x80 {
            for b in lead(max(r.lowerBound, 0x80))...lead(min(r.upperBound, 0x10FFFF)) { bytes[b] = true }
        }
    }

    static func test(_ n: Named, _ v: UInt32) -> Bool {
        switch n {
        case .digit: return v >= 0x30 && v <= 0x39
        case .space: return v == 0x20 || (v >= 0x09 && v <= 0x0D)
        case .word: return isWord(v)
        case .letter:
            guard let s = Unicode.Scalar(v) else { return false }
            return s.properties.isAlphabetic
        case .number:
            guard let s = Unicode.Scalar(v) else { return false }
            return s.properties.numericType != nil
        case .han: return (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xF900...0xFAFF).contains(v)
            || (0x20000...0x2FA1F).contains(v) || v == 0x3005 || v == 0x3007
        case .hangul: return ScriptClass.isHangul(v)
        case .hiragana: return (0x3040...0x309F).contains(v)
        case .katakana: return (0x30A0...0x30FF).contains(v) || (0x31F0...0x31FF).contains(v) || (0xFF66...0xFF9F).contains(v)
        case .latin:
            guard let s = Unicode.Scalar(v) else { return false }
            return s.properties.isAlphabetic && (v < 0x250 || (0x1E00...0x1EFF).contains(v))
        }
    }

    /// `\w` and `\b`: letters, digits and `_` of every script, CJK included.
    static func isWord(_ v: UInt32) -> Bool {
        if v < 0x80 { return (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0x30 && v <= 0x39) || v == 0x5F }
        return ScriptClass.isCJK(v) || ScriptClass.isWordChar(v)
    }

    /// Scalars worth trying when asking whether two sets share a member: every range end
    /// and its neighbours, and one or two members of each named class.
    var probes: [UInt32] {
        var p: [UInt32] = []
        for r in ranges {
            p += [r.lowerBound, r.upperBound, r.upperBound &+ 1]
            if r.lowerBound > 0 { p.append(r.lowerBound - 1) }
        }
        return p
    }

    static let commonProbes: [UInt32] = [
        0x20, 0x09, 0x30, 0x39, 0x5F, 0x61, 0x65, 0x7A, 0x41, 0x2E, 0x2C, 0x27, 0x22, 0x28, 0x25, 0x2F, 0x00,
        0xE9, 0xDF, 0x3B1, 0x434, 0xAC00, 0xD55C, 0x3131, 0x4E2D, 0x56FD, 0x3042, 0x306E, 0x30A2, 0x30F3, 0x3002,
        0xFF10, 0x2160, 0x10FFFF,
    ]

    /// Whether some scalar is in both sets (checked on probes: exact for ranges and for the
    /// named classes' typical members).
    func intersects(_ other: RegexCharSet) -> Bool {
        if any || other.any { return true }
        for v in probes + other.probes + Self.commonProbes where contains(v) && other.contains(v) { return true }
        return false
    }
}

/// Why a pattern was refused, with the code-point offset in the pattern.
public struct RegexError: Error, Sendable, Equatable {
    public var message: String
    public var offset: Int
    public var hint: String?
}

/// Parses a pattern into `RegexNode`s.
struct RegexParser {
    let scalars: [Unicode.Scalar]
    var i = 0
    /// Literals the normalised text can never hold (`\n`, double spaces...): offset and why.
    var notes: [(offset: Int, message: String)] = []
    private var folder = TextNormalizer()
    static let maxCount = 100

    init(_ pattern: String) {
        scalars = Array(pattern.unicodeScalars)
    }

    mutating func parse() throws(RegexError) -> RegexNode {
        if scalars.isEmpty { throw RegexError(message: "the regex is empty", offset: 0, hint: "write a pattern, e.g. 'export(ed|s)? controls?'") }
        let node = try parseAlt(depth: 0)
        if i < scalars.count {
            // Only an unmatched ')' stops the top level early.
            throw RegexError(message: "unmatched ')'", offset: i, hint: "remove it, or escape it as \\)")
        }
        return node
    }

    private func peek(_ k: Int = 0) -> Unicode.Scalar? { i + k < scalars.count ? scalars[i + k] : nil }

    private mutating func parseAlt(depth: Int) throws(RegexError) -> RegexNode {
        if depth > 50 { throw RegexError(message: "the regex nests groups too deeply", offset: i, hint: "use at most 50 levels of parentheses") }
        var branches = [try parseConcat(depth: depth)]
        while peek() == "|" {
            i += 1
            branches.append(try parseConcat(depth: depth))
        }
        return branches.count == 1 ? branches[0] : .alt(branches)
    }

    private mutating func parseConcat(depth: Int) throws(RegexError) -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek(), c != "|", c != ")" {
            let atomStart = i
            var atom = try parseAtom(depth: depth)
            var quantified = false
            // Quantifiers.
            while let q = peek() {
                var min = 0, max: Int? = nil
                let qStart = i
                switch q {
                case "*": i += 1
                case "+": min = 1; i += 1
                case "?": max = 1; i += 1
                case "{":
                    guard let (lo, hi) = try parseCount() else { break }
                    min = lo
                    max = hi
                default: break
                }
                if i == qStart { break }
                if case .assertion = atom {
                    throw RegexError(message: "nothing to repeat before '\(q)'", offset: qStart, hint: "an anchor such as ^, $ or \\b matches no text; remove the quantifier")
                }
                if case .empty = atom {
                    throw RegexError(message: "nothing to repeat before '\(q)'", offset: qStart, hint: "put the quantifier after a character or a group, or escape it as \\\(q)")
                }
                if quantified {
                    // `a**`, `a+*`: a quantifier on a quantifier is almost always a mistake.
                    throw RegexError(message: "a quantifier cannot follow another quantifier", offset: qStart,
                                     hint: "group first, e.g. (ab+)*, or remove one quantifier")
                }
                quantified = true
                var greedy = true
                if peek() == "?" {
                    greedy = false
                    i += 1
                } else if peek() == "+" {
                    throw RegexError(message: "possessive quantifiers ('\(q)+') are not supported", offset: i, hint: "remove the '+': matching never backtracks here")
                }
                atom = .repetition(atom, min: min, max: max, greedy: greedy, span: atomStart..<i)
            }
            // A group's sequence joins this one, so literal runs stay whole.
            if case .concat(let inner) = atom { items += inner } else { items.append(atom) }
        }
        return items.isEmpty ? .empty : (items.count == 1 ? items[0] : .concat(items))
    }

    /// `{n}`, `{n,}`, `{n,m}`; nil (and `i` unchanged) when the brace is a plain character.
    private mutating func parseCount() throws(RegexError) -> (Int, Int?)? {
        let start = i
        var j = i + 1
        func number() -> Int? {
            var n = 0, digits = 0
            while j < scalars.count, let d = Int(String(scalars[j])), scalars[j].isASCII {
                n = min(n * 10 + d, 1_000_000)
                digits += 1
                j += 1
            }
            return digits > 0 ? n : nil
        }
        guard let lo = number() else { return nil }
        var hi: Int? = lo
        if j < scalars.count, scalars[j] == "," {
            j += 1
            hi = number()
        }
        guard j < scalars.count, scalars[j] == "}" else { return nil }
        i = j + 1
        if let h = hi, h < lo {
            throw RegexError(message: "repetition {\(lo),\(h)} has its minimum above its maximum", offset: start, hint: "write {\(h),\(lo)}")
        }
        if lo > Self.maxCount || (hi ?? 0) > Self.maxCount {
            throw RegexError(message: "repetition count above \(Self.maxCount)", offset: start, hint: "use at most {0,\(Self.maxCount)}, or an unbounded * or +")
        }
        return (lo, hi)
    }

    private mutating func parseAtom(depth: Int) throws(RegexError) -> RegexNode {
        let c = scalars[i]
        let at = i
        switch c {
        case "(":
            i += 1
            if peek() == "?" {
                switch peek(1) {
                case ":": i += 2
                case "<" where peek(2) != "=" && peek(2) != "!":
                    // Named group: the name is ignored (nothing is captured).
                    i += 2
                    while let n = peek(), n != ">" { i += 1 }
                    guard peek() == ">" else { throw RegexError(message: "unterminated group name", offset: at, hint: "write (?<name>...)") }
                    i += 1
                case "=", "!", "<":
                    throw RegexError(message: "lookaround ('(?\(peek(1).map { String($0) } ?? "")...') is not supported", offset: at,
                                     hint: "it cannot run in linear time; combine a regex with 'none:' or 'near:' instead")
                default:
                    throw RegexError(message: "inline flags and '(?' groups are not supported", offset: at,
                                     hint: "matching already ignores case; use (?:...) for a group")
                }
            }
            let inner = try parseAlt(depth: depth + 1)
            guard peek() == ")" else { throw RegexError(message: "missing ')' to close the group opened here", offset: at, hint: "add ')'") }
            i += 1
            return inner
        case ")":
            throw RegexError(message: "unmatched ')'", offset: at, hint: "remove it, or escape it as \\)")
        case "*", "+", "?":
            throw RegexError(message: "nothing to repeat before '\(c)'", offset: at, hint: "put the quantifier after a character or a group, or escape it as \\\(c)")
        case "[":
            return try parseClass()
        case ".":
            i += 1
            var s = RegexCharSet()
            s.any = true
            return .set(s, offset: at)
        case "^":
            i += 1
            return .assertion(.start)
        case "$":
            i += 1
            return .assertion(.end)
        case "\\":
            return try parseEscape(inClass: false).node
        default:
            i += 1
            return literal(c, at: at)
        }
    }

    /// A literal, normalised as the text is. A hyphen or dash becomes a space.
    private mutating func literal(_ c: Unicode.Scalar, at: Int) -> RegexNode {
        let folded = fold(c)
        if folded.isEmpty { return .empty }
        if folded.count == 1 { return .char(folded[0], offset: at) }
        return .concat(folded.map { .char($0, offset: at) })
    }

    /// The normalised scalars of one pattern character.
    mutating func fold(_ c: Unicode.Scalar) -> [UInt32] {
        if c.isASCII {
            let v = c.value
            if v >= 0x41 && v <= 0x5A { return [v + 0x20] }
            // A hyphen, a tab or a line break typed into the pattern is a space, as in the text.
            if v == 0x2D || (v >= 0x09 && v <= 0x0D) { return [0x20] }
            return [v]
        }
        let t = folder.normalize(String(c))
        if t.bytes.isEmpty {
            // Separators (dashes, odd spaces) vanish alone but stand for one space in running text.
            switch c.properties.generalCategory {
            case .dashPunctuation, .spaceSeparator, .lineSeparator, .paragraphSeparator: return [0x20]
            default: return []
            }
        }
        return String(decoding: t.bytes, as: UTF8.self).unicodeScalars.map(\.value)
    }

    private mutating func parseEscape(inClass: Bool) throws(RegexError) -> (node: RegexNode, set: RegexCharSet?) {
        let at = i
        i += 1
        guard let e = peek() else { throw RegexError(message: "the regex ends with a lone backslash", offset: at, hint: "write \\\\ for a backslash") }
        i += 1
        func named(_ n: RegexCharSet.Named, _ neg: Bool) -> (RegexNode, RegexCharSet?) {
            var s = RegexCharSet()
            s.named = [(n, neg)]
            return (.set(s, offset: at), s)
        }
        switch e {
        case "d": return named(.digit, false)
        case "D": return named(.digit, true)
        case "w": return named(.word, false)
        case "W": return named(.word, true)
        case "s": return named(.space, false)
        case "S": return named(.space, true)
        case "b", "B":
            if inClass { throw RegexError(message: "\\\(e) is not allowed inside [...]", offset: at, hint: "move it outside the class") }
            return (.assertion(e == "b" ? .wordBoundary : .notWordBoundary), nil)
        case "p", "P":
            guard peek() == "{", let close = scalars[i...].firstIndex(of: "}") else {
                throw RegexError(message: "\\\(e) needs a class name in braces", offset: at, hint: "e.g. \\p{Han}, \\p{Hangul}, \\p{L}")
            }
            let name = String(String.UnicodeScalarView(scalars[(i + 1)..<close]))
            i = close + 1
            let table: [String: RegexCharSet.Named] = [
                "L": .letter, "Letter": .letter, "N": .number, "Nd": .digit, "Han": .han, "Hani": .han, "Hangul": .hangul, "Hang": .hangul,
                "Hiragana": .hiragana, "Hira": .hiragana, "Katakana": .katakana, "Kana": .katakana, "Latin": .latin, "Latn": .latin,
            ]
            guard let n = table[name] else {
                throw RegexError(message: "unknown class \\\(e){\(name)}", offset: at,
                                 hint: "use one of: L, N, Nd, Han, Hangul, Hiragana, Katakana, Latin")
            }
            return named(n, e == "P")
        case "n", "r", "t", "f", "v":
            let v: UInt32 = ["n": 0x0A, "r": 0x0D, "t": 0x09, "f": 0x0C, "v": 0x0B][e]!
            if !inClass { notes.append((at, "'\\\(e)' never occurs: line breaks and tabs are a single space in normalised text")) }
            var s = RegexCharSet()
            s.ranges = [v...v]
            return (.char(v, offset: at), s)
        case "x", "u":
            var hex = ""
            if e == "x", peek() == "{" {
                guard let close = scalars[i...].firstIndex(of: "}") else { throw RegexError(message: "unterminated \\x{...}", offset: at, hint: "e.g. \\x{4E2D}") }
                hex = String(String.UnicodeScalarView(scalars[(i + 1)..<close]))
                i = close + 1
            } else {
                let n = e == "x" ? 2 : 4
                guard i + n <= scalars.count else { throw RegexError(message: "\\\(e) needs \(n) hex digits", offset: at, hint: e == "x" ? "e.g. \\x41" : "e.g. \\u4E2D") }
                hex = String(String.UnicodeScalarView(scalars[i..<(i + n)]))
                i += n
            }
            guard let v = UInt32(hex, radix: 16), let s = Unicode.Scalar(v) else {
                throw RegexError(message: "invalid hex escape '\\\(e)\(hex)'", offset: at, hint: e == "x" ? "e.g. \\x41 or \\x{4E2D}" : "e.g. \\u4E2D")
            }
            return literalOrSet(s, at: at, inClass: inClass)
        case "1"..."9":
            throw RegexError(message: "backreferences ('\\\(e)') are not supported", offset: at, hint: "they cannot run in linear time; repeat the text instead")
        case "k":
            throw RegexError(message: "backreferences ('\\k') are not supported", offset: at, hint: "they cannot run in linear time")
        default:
            if e.properties.isAlphabetic || e.properties.numericType != nil {
                throw RegexError(message: "unknown escape '\\\(e)'", offset: at, hint: "escape only punctuation (\\. \\( \\*); classes are \\d \\w \\s \\p{...}")
            }
            return literalOrSet(e, at: at, inClass: inClass)
        }
    }

    private mutating func literalOrSet(_ s: Unicode.Scalar, at: Int, inClass: Bool) -> (RegexNode, RegexCharSet?) {
        let folded = fold(s)
        var set = RegexCharSet()
        set.ranges = folded.map { $0...$0 }
        return (literal(s, at: at), set)
    }

    private mutating func parseClass() throws(RegexError) -> RegexNode {
        let at = i
        i += 1
        var set = RegexCharSet()
        if peek() == "^" {
            set.negated = true
            i += 1
        }
        var first = true
        while true {
            guard let c = peek() else { throw RegexError(message: "missing ']' to close the class opened here", offset: at, hint: "add ']', or escape '[' as \\[") }
            if c == "]" && !first { i += 1; break }
            first = false
            var lo: Unicode.Scalar
            if c == "\\" {
                let (_, s) = try parseEscape(inClass: true)
                guard let s else { continue }
                if s.ranges.count == 1 && s.named.isEmpty, s.ranges[0].lowerBound == s.ranges[0].upperBound,
                   let v = Unicode.Scalar(s.ranges[0].lowerBound), peek() == "-", let n = peek(1), n != "]" {
                    lo = v
                } else {
                    set.ranges += s.ranges
                    set.named += s.named
                    continue
                }
            } else {
                lo = c
                i += 1
            }
            // A range `a-z` (a '-' before ']' is a literal).
            if peek() == "-", let n = peek(1), n != "]" {
                let rangeAt = i - 1
                i += 1
                var hi: Unicode.Scalar
                if n == "\\" {
                    let (_, s) = try parseEscape(inClass: true)
                    guard let s, s.named.isEmpty, s.ranges.count == 1, let v = Unicode.Scalar(s.ranges[0].lowerBound) else {
                        throw RegexError(message: "invalid range end in class", offset: rangeAt, hint: "a range is two characters, e.g. a-z")
                    }
                    hi = v
                } else {
                    hi = n
                    i += 1
                }
                guard lo.value <= hi.value else {
                    throw RegexError(message: "range '\(lo)-\(hi)' is out of order", offset: rangeAt, hint: "write '\(hi)-\(lo)'")
                }
                addRange(lo.value...hi.value, to: &set)
            } else {
                for v in fold(lo) { set.ranges.append(v...v) }
                if lo.value != 0x2D && !fold(lo).contains(lo.value) && lo.isASCII == false { set.ranges.append(lo.value...lo.value) }
            }
        }
        return .set(set, offset: at)
    }

    /// Adds a range and, because the text is lower-cased, the lower-case forms of its letters.
    private mutating func addRange(_ r: ClosedRange<UInt32>, to set: inout RegexCharSet) {
        set.ranges.append(r)
        let upper: ClosedRange<UInt32> = 0x41...0x5A
        if r.overlaps(upper) {
            let lo = max(r.lowerBound, upper.lowerBound), hi = min(r.upperBound, upper.upperBound)
            set.ranges.append((lo + 0x20)...(hi + 0x20))
        }
        if r.upperBound >= 0x80 && r.count <= 512 {
            for v in r where v >= 0x80 {
                guard let s = Unicode.Scalar(v) else { continue }
                let f = fold(s)
                if f.count == 1 && f[0] != v { set.ranges.append(f[0]...f[0]) }
            }
        }
    }
}

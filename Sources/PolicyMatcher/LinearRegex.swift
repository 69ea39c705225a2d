import Foundation

/// A regular expression for `regex:` terms that runs in time linear in the text.
///
/// It runs over *normalised* text (`NormalizedText.bytes`: lower case, NFKC, one space for
/// every run of spaces, hyphens and line breaks, no space between two CJK characters), so
/// its matches are positions like any term's, usable in `near`, `sentence` and evidence.
/// Literal characters of the pattern are normalised the same way (see `RegexParser`).
///
/// Matching is a Pike VM: every text position is visited once per program instruction, so
/// no pattern can make it backtrack. Work is still bounded by a step budget the caller
/// passes (a huge article times a large pattern), and `init` refuses patterns that would
/// take exponential time in backtracking engines (the rule may be copied to one), patterns
/// that match empty text, and patterns that expand past `maxProgramSize` instructions.
public struct LinearRegex: Sendable {
    enum Inst: Sendable {
        case char(UInt32)
        case set(Int32)
        /// Try the first target before the second (priority gives leftmost-first matches).
        case split(Int32, Int32)
        case jump(Int32)
        case assert(RegexAssertion)
        case match
    }

    /// A literal the normalised text can never contain (the pattern may still match otherwise).
    public struct Note: Sendable, Equatable {
        public var offset: Int
        public var message: String
    }

    public let pattern: String
    let program: [Inst]
    let sets: [RegexCharSet]
    /// Pattern offset of each instruction (-1 for control instructions).
    let offsets: [Int32]
    /// First bytes a match can start with; nil when it cannot be told cheaply.
    var firstBytes: [Bool]?  // var: tests compare the search without it
    /// The first two bytes a match can start with, as a 65,536-bit set, when every match starts
    /// with one of a few literals of two bytes or more (`\\b(grants?|loans?) ...`): the search
    /// starts threads only where such a pair occurs. Nil otherwise. `var` for the same tests.
    var startPairs: [UInt64]?
    public let notes: [Note]
    /// Literals (normalised) one of which every match contains, for the scanner's prefilter;
    /// nil when there is none.
    public let requiredLiterals: [String]?

    public static let maxProgramSize = 5_000
    /// Work the exponential-time check may do before giving up on a pattern.
    static let analysisBudget = 2_000_000

    public init(_ pattern: String) throws(RegexError) {
        var parser = RegexParser(pattern)
        let tree = try parser.parse()
        let size = Self.size(tree)
        if size > Self.maxProgramSize {
            throw RegexError(message: "the regex is too large (\(size) steps after expanding repetitions; at most \(Self.maxProgramSize))",
                             offset: 0, hint: "lower the {n,m} counts or split it into several regexes")
        }
        var b = Builder()
        b.emit(tree)
        b.append(.match, -1)
        self.pattern = pattern
        self.program = b.program
        self.sets = b.sets
        self.offsets = b.offsets
        self.firstBytes = Self.firstBytes(b.program, sets: b.sets)
        self.startPairs = Self.startPairs(Self.prefixes(tree))
        var notes = parser.notes.map { Note(offset: $0.offset, message: $0.message) }
        Self.impossibleSequences(tree, into: &notes)
        self.notes = notes.sorted { $0.offset < $1.offset }
        // Short literals would make the prefilter fire on nearly every article: not worth it.
        let literals = Self.required(tree).map { alts in
            alts.map { String(String.UnicodeScalarView($0.compactMap(Unicode.Scalar.init))).trimmingCharacters(in: .whitespaces) }
        }
        self.requiredLiterals = literals.flatMap { $0.allSatisfy { $0.utf8.count >= 3 } ? $0 : nil }
        if let span = try Self.exponentialSpan(program: b.program, sets: b.sets, offsets: b.offsets, loops: b.loops) {
            let scalars = Array(pattern.unicodeScalars)
            let text = String(String.UnicodeScalarView(scalars[span.clamped(to: 0..<scalars.count)]))
            throw RegexError(message: "the regex may take exponential time: '\(text)' can match the same text in more than one way",
                             offset: span.lowerBound,
                             hint: "backtracking engines explode on it, so it is refused; make each piece of text match one way only, e.g. (a+)+ -> a+, (\\w+\\s?)+ -> \\w+(\\s\\w+)*")
        }
        if Self.nullable(tree) {
            throw RegexError(message: "the regex can match empty text, so it would hold on every article", offset: 0,
                             hint: "make at least one character required, e.g. 'chips?' rather than 'chips*'")
        }
    }

    // MARK: - Matching

    /// Leftmost-first, non-overlapping matches in `text` (normalised UTF-8), as byte ranges.
    /// Every step spends one unit of `budget`; when it runs out the search stops and
    /// `exhausted` is true (the matches found so far are kept).
    public func matches(in text: [UInt8], budget: inout Int, limit: Int = 10_000) -> (ranges: [Range<Int>], exhausted: Bool) {
        text.withUnsafeBufferPointer { buf in
            var vm = VM(regex: self, text: buf)
            var out: [Range<Int>] = []
            var pos = 0
            while pos < buf.count && out.count < limit {
                guard let m = vm.search(from: pos, budget: &budget) else { break }
                out.append(m)
                pos = m.upperBound > m.lowerBound ? m.upperBound : m.upperBound + 1
            }
            return (out, budget <= 0)
        }
    }

    private struct ThreadList {
        var pcs: [Int32]
        var starts: [Int32]
        var count = 0
        var mark: [UInt32]
        var stamp: UInt32 = 1

        init(size: Int) {
            pcs = [Int32](repeating: 0, count: size)
            starts = [Int32](repeating: 0, count: size)
            mark = [UInt32](repeating: 0, count: size)
        }

        mutating func clear() {
            count = 0
            stamp &+= 1
            if stamp == 0 {
                for k in mark.indices { mark[k] = 0 }
                stamp = 1
            }
        }
    }

    /// The text being searched (read-only) and the thread lists (reused between searches).
    private struct VM {
        let regex: LinearRegex
        let text: UnsafeBufferPointer<UInt8>
        var clist: ThreadList
        var nlist: ThreadList
        var stack: [Int32] = []

        init(regex: LinearRegex, text: UnsafeBufferPointer<UInt8>) {
            self.regex = regex
            self.text = text
            clist = ThreadList(size: regex.program.count)
            nlist = ThreadList(size: regex.program.count)
        }

        static func isWord(_ text: UnsafeBufferPointer<UInt8>, before pos: Int) -> Bool {
            pos > 0 && RegexCharSet.isWord(UTF8Scalar.decodeBefore(text, pos))
        }

        static func isWord(_ text: UnsafeBufferPointer<UInt8>, at pos: Int) -> Bool {
            pos < text.count && RegexCharSet.isWord(UTF8Scalar.decode(text, at: pos).0)
        }

        @inline(__always)
        static func has(_ pairs: [UInt64], _ a: UInt8, _ b: UInt8) -> Bool {
            let k = Int(a) << 8 | Int(b)
            return pairs[k >> 6] & (1 << UInt64(k & 63)) != 0
        }

        /// Adds the thread at `pc` and everything reachable without consuming, in priority order.
        static func add(_ list: inout ThreadList, _ pc: Int32, start: Int32, pos: Int, program: [Inst],
                        text: UnsafeBufferPointer<UInt8>, stack: inout [Int32], budget: inout Int) {
            stack.removeAll(keepingCapacity: true)
            stack.append(pc)
            while let p = stack.popLast() {
                let i = Int(p)
                if list.mark[i] == list.stamp { continue }
                list.mark[i] = list.stamp
                budget -= 1
                switch program[i] {
                case .jump(let t): stack.append(t)
                case .split(let a, let b):
                    stack.append(b)
                    stack.append(a)
                case .assert(let a):
                    let ok: Bool
                    switch a {
                    case .start: ok = pos == 0
                    case .end: ok = pos == text.count
                    case .wordBoundary: ok = isWord(text, before: pos) != isWord(text, at: pos)
                    case .notWordBoundary: ok = isWord(text, before: pos) == isWord(text, at: pos)
                    }
                    if ok { stack.append(p + 1) }
                case .char, .set, .match:
                    list.pcs[list.count] = p
                    list.starts[list.count] = start
                    list.count += 1
                }
            }
        }

        /// The leftmost-first match starting at or after `from`.
        mutating func search(from: Int, budget: inout Int) -> Range<Int>? {
            let program = regex.program
            let sets = regex.sets
            let text = self.text
            let n = text.count
            var matched: Range<Int>?
            var i = from
            clist.clear()
            while budget > 0 {
                if matched == nil {
                    if clist.count == 0 {
                        // Nothing is running: the marks belong to an earlier position.
                        clist.clear()
                        if let pairs = regex.startPairs {
                            while i + 1 < n && !Self.has(pairs, text[i], text[i + 1]) { i += 1 }
                            if i + 1 >= n { return nil }
                        } else if let fb = regex.firstBytes {
                            while i < n && !fb[Int(text[i])] { i += 1 }
                            if i >= n { return nil }
                        }
                    }
                    // A match can start here (threads already running do not say so).
                    if let pairs = regex.startPairs {
                        if i + 1 < n && Self.has(pairs, text[i], text[i + 1]) {
                            Self.add(&clist, 0, start: Int32(i), pos: i, program: program, text: text, stack: &stack, budget: &budget)
                        }
                    } else {
                        Self.add(&clist, 0, start: Int32(i), pos: i, program: program, text: text, stack: &stack, budget: &budget)
                    }
                }
                if clist.count == 0 {
                    if matched != nil || i >= n { break }
                    i += UTF8Scalar.decode(text, at: i).1
                    continue
                }
                if i >= n {
                    for k in 0..<clist.count {
                        if case .match = program[Int(clist.pcs[k])] {
                            matched = Int(clist.starts[k])..<i
                            break
                        }
                    }
                    break
                }
                let (c, l) = UTF8Scalar.decode(text, at: i)
                nlist.clear()
                for k in 0..<clist.count {
                    budget -= 1
                    let pc = clist.pcs[k]
                    var advance = false
                    switch program[Int(pc)] {
                    case .match:
                        matched = Int(clist.starts[k])..<i
                    case .char(let x): advance = x == c
                    case .set(let s): advance = sets[Int(s)].contains(c)
                    default: break
                    }
                    if advance {
                        Self.add(&nlist, pc + 1, start: clist.starts[k], pos: i + l, program: program, text: text, stack: &stack, budget: &budget)
                    } else if case .match = program[Int(pc)] {
                        break  // a match cuts every lower-priority thread
                    }
                }
                swap(&clist, &nlist)
                i += l
            }
            return matched
        }
    }

    // MARK: - Compilation

    private struct Builder {
        var program: [Inst] = []
        var offsets: [Int32] = []
        var sets: [RegexCharSet] = []
        var loops: [Range<Int>] = []

        mutating func append(_ i: Inst, _ offset: Int) {
            program.append(i)
            offsets.append(Int32(offset))
        }

        mutating func emit(_ n: RegexNode) {
            switch n {
            case .empty: break
            case .char(let c, let off): append(.char(c), off)
            case .set(let s, let off):
                sets.append(s)
                append(.set(Int32(sets.count - 1)), off)
            case .concat(let items): for i in items { emit(i) }
            case .alt(let branches):
                var jumps: [Int] = []
                for (k, b) in branches.enumerated() {
                    if k < branches.count - 1 {
                        let split = program.count
                        append(.split(0, 0), -1)
                        emit(b)
                        jumps.append(program.count)
                        append(.jump(0), -1)
                        program[split] = .split(Int32(split + 1), Int32(program.count))
                    } else {
                        emit(b)
                    }
                }
                for j in jumps { program[j] = .jump(Int32(program.count)) }
            case .repetition(let body, let min, let max, let greedy, let span):
                for _ in 0..<min { emit(body) }
                if let max {
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(program.count)
                        append(.split(0, 0), -1)
                        emit(body)
                    }
                    let exit = Int32(program.count)
                    for s in splits { program[s] = greedy ? .split(Int32(s + 1), exit) : .split(exit, Int32(s + 1)) }
                } else {
                    loops.append(span)
                    let l = program.count
                    append(.split(0, 0), -1)
                    emit(body)
                    append(.jump(Int32(l)), -1)
                    let exit = Int32(program.count)
                    program[l] = greedy ? .split(Int32(l + 1), exit) : .split(exit, Int32(l + 1))
                }
            case .assertion(let a): append(.assert(a), -1)
            }
        }
    }

    static func nullable(_ n: RegexNode) -> Bool {
        switch n {
        case .empty, .assertion: return true
        case .char, .set: return false
        case .concat(let items): return items.allSatisfy(nullable)
        case .alt(let bs): return bs.contains(where: nullable)
        case .repetition(let b, let min, _, _, _): return min == 0 || nullable(b)
        }
    }

    /// Program size after expanding counted repetitions (saturating).
    static func size(_ n: RegexNode) -> Int {
        func cap(_ x: Int) -> Int { Swift.min(x, 1 << 30) }
        switch n {
        case .empty: return 0
        case .char, .set, .assertion: return 1
        case .concat(let items): return cap(items.reduce(0) { $0 + size($1) })
        case .alt(let bs): return cap(bs.reduce(0) { $0 + size($1) } + 2 * (bs.count - 1))
        case .repetition(let b, let min, let max, _, _):
            let s = size(b)
            return cap(min * s + (max.map { ($0 - min) * (s + 1) } ?? (s + 2)))
        }
    }

    private static func firstBytes(_ program: [Inst], sets: [RegexCharSet]) -> [Bool]? {
        var seen = Set<Int>()
        var stack = [0]
        var bytes = [Bool](repeating: false, count: 256)
        while let p = stack.popLast() {
            guard seen.insert(p).inserted else { continue }
            switch program[p] {
            case .jump(let t): stack.append(Int(t))
            case .split(let a, let b): stack += [Int(a), Int(b)]
            case .assert: stack.append(p + 1)
            case .char(let c):
                guard let s = Unicode.Scalar(c) else { return nil }
                bytes[Int(Array(String(s).utf8)[0])] = true
            case .set(let i): sets[Int(i)].markFirstBytes(&bytes)
            case .match: return nil
            }
        }
        return bytes
    }

    // MARK: - Literals

    /// Literals one of which every match starts with (assertions before them skipped), or nil.
    static func prefixes(_ n: RegexNode) -> [[UInt32]]? {
        switch n {
        case .char(let c, _): return [[c]]
        case .concat(let items):
            var run: [UInt32] = []
            var rest = items[...]
            while let first = rest.first, case .assertion = first, run.isEmpty { rest = rest.dropFirst() }
            for it in rest {
                guard case .char(let c, _) = it else { break }
                run.append(c)
            }
            if !run.isEmpty { return [run] }
            return rest.first.flatMap(prefixes)
        case .alt(let bs):
            var all: [[UInt32]] = []
            for b in bs {
                guard let p = prefixes(b) else { return nil }
                all += p
            }
            return all.count <= 64 ? all : nil
        case .repetition(let b, let min, _, _, _): return min >= 1 ? prefixes(b) : nil
        case .empty, .set, .assertion: return nil
        }
    }

    /// The set of the literals' first two UTF-8 bytes; nil when a literal is shorter than two bytes.
    static func startPairs(_ literals: [[UInt32]]?) -> [UInt64]? {
        guard let literals, !literals.isEmpty else { return nil }
        var bits = [UInt64](repeating: 0, count: 1024)
        for lit in literals {
            var bytes: [UInt8] = []
            for c in lit.prefix(2) {
                guard let u = Unicode.Scalar(c) else { return nil }
                bytes += Array(String(u).utf8)
            }
            guard bytes.count >= 2 else { return nil }
            let k = Int(bytes[0]) << 8 | Int(bytes[1])
            bits[k >> 6] |= 1 << UInt64(k & 63)
        }
        return bits
    }

    /// Alternatives (scalar strings) one of which every match contains, or nil.
    static func required(_ n: RegexNode) -> [[UInt32]]? {
        func score(_ s: [[UInt32]]?) -> Int {
            guard let s, !s.isEmpty else { return -1 }
            let lengths = s.map { lit in
                lit.drop { $0 == 0x20 }.reversed().drop { $0 == 0x20 }.reduce(0) { $0 + (Unicode.Scalar($1).map { String($0).utf8.count } ?? 1) }
            }
            return lengths.min()! * 64 - s.count
        }
        switch n {
        case .char(let c, _): return [[c]]
        case .concat(let items):
            var best: [[UInt32]]?
            var run: [UInt32] = []
            for it in items {
                switch it {
                case .char(let c, _):
                    run.append(c)
                    continue
                case .assertion:
                    continue  // consumes nothing: the literal run goes on
                default: break
                }
                if !run.isEmpty, score([run]) > score(best) { best = [run] }
                run = []
                if let r = required(it), score(r) > score(best) { best = r }
            }
            if !run.isEmpty, score([run]) > score(best) { best = [run] }
            return best
        case .alt(let bs):
            var all: [[UInt32]] = []
            for b in bs {
                guard let r = required(b) else { return nil }
                all += r
            }
            return all.count <= 16 ? all : nil
        case .repetition(let b, let min, _, _, _): return min >= 1 ? required(b) : nil
        case .empty, .set, .assertion: return nil
        }
    }

    /// Literal sequences normalised text never holds: two spaces, or a space between two CJK characters.
    private static func impossibleSequences(_ n: RegexNode, into notes: inout [Note]) {
        switch n {
        case .concat(let items):
            for k in items.indices {
                guard case .char(0x20, let off) = items[k] else { continue }
                if k + 1 < items.count, case .char(0x20, _) = items[k + 1] {
                    notes.append(Note(offset: off, message: "two spaces in a row never occur: runs of spaces, hyphens and line breaks are one space"))
                }
                if k > 0, k + 1 < items.count, case .char(let a, _) = items[k - 1], case .char(let b, _) = items[k + 1],
                   ScriptClass.isCJK(a), ScriptClass.isCJK(b) {
                    notes.append(Note(offset: off, message: "a space between two Korean, Japanese or Chinese characters never occurs: normalisation drops it"))
                }
            }
            for i in items { impossibleSequences(i, into: &notes) }
        case .alt(let bs): for b in bs { impossibleSequences(b, into: &notes) }
        case .repetition(let b, _, _, _, _): impossibleSequences(b, into: &notes)
        default: break
        }
    }

    // MARK: - Exponential backtracking

    /// The span of a repetition that lets a backtracking engine take exponential time, if any.
    ///
    /// A backtracking engine explores every path of the program; it takes exponential time
    /// exactly when some state can return to itself along two different paths reading the
    /// same text (Weber & Seidl's EDA criterion). Paths here are sequences of consuming
    /// instructions; two paths may also differ only in their non-consuming steps (as in
    /// `(a+)+`, where the inner and the outer loop both lead back to `a`), so each edge
    /// carries how many distinct non-consuming routes realise it. The check builds the
    /// graph of pairs of consuming instructions that can read a common character and looks
    /// for a strongly connected component holding a pair (q, q) and either a pair (p, p')
    /// with p != p' or an edge realised two ways.
    static func exponentialSpan(program: [Inst], sets: [RegexCharSet], offsets: [Int32], loops: [Range<Int>]) throws(RegexError) -> Range<Int>? {
        if loops.isEmpty { return nil }
        let n = program.count
        let reach = consumingReach(program)
        func consuming(_ p: Int) -> Bool { isConsuming(program[p]) }
        func successors(_ p: Int) -> [Int: UInt8] { p + 1 < n ? reach[p + 1] : [:] }

        // 2. The product graph from every diagonal pair.
        var compat: [Int: Bool] = [:]
        func compatible(_ a: Int, _ b: Int) -> Bool {
            if a == b { return true }
            let key = min(a, b) * n + max(a, b)
            if let c = compat[key] { return c }
            let r: Bool
            switch (program[a], program[b]) {
            case (.char(let x), .char(let y)): r = x == y
            case (.char(let x), .set(let s)), (.set(let s), .char(let x)): r = sets[Int(s)].contains(x)
            case (.set(let s), .set(let t)): r = sets[Int(s)].intersects(sets[Int(t)])
            default: r = false
            }
            compat[key] = r
            return r
        }
        var index: [Int: Int] = [:]  // pair key -> node
        var pairs: [(Int, Int)] = []
        var edges: [[(to: Int, diverging: Bool)]] = []
        var work = 0
        func node(_ a: Int, _ b: Int) -> Int {
            let key = a * n + b
            if let i = index[key] { return i }
            index[key] = pairs.count
            pairs.append((a, b))
            edges.append([])
            return pairs.count - 1
        }
        var queue: [Int] = []
        for q in 0..<n where consuming(q) { queue.append(node(q, q)) }
        var head = 0
        while head < queue.count {
            let u = queue[head]
            head += 1
            let (p1, p2) = pairs[u]
            let s1 = successors(p1), s2 = successors(p2)
            for (a, ca) in s1 {
                for (b, _) in s2 {
                    work += 1
                    if work > analysisBudget {
                        throw RegexError(message: "the regex is too complex to check for exponential backtracking", offset: 0,
                                         hint: "split it into several simpler regexes, or use terms and lists")
                    }
                    guard compatible(a, b) else { continue }
                    let before = pairs.count
                    let v = node(a, b)
                    if pairs.count > before { queue.append(v) }
                    let diverging = a != b || (p1 == p2 && ca >= 2)
                    edges[u].append((v, diverging))
                }
            }
        }
        let (sccs, comp) = tarjan(count: pairs.count, edges: { edges[$0].map(\.to) })
        for members in sccs {
            guard let diag = members.first(where: { pairs[$0].0 == pairs[$0].1 }) else { continue }
            let c = comp[diag]
            let bad = members.contains { pairs[$0].0 != pairs[$0].1 }
                || members.contains { u in edges[u].contains { $0.diverging && comp[$0.to] == c } }
            guard bad else { continue }
            let at = Int(offsets[pairs[diag].0])
            // Report the outermost unbounded repetition around the ambiguous character.
            let around = loops.filter { $0.contains(at) }.max { $0.count < $1.count }
            return around ?? (at..<(at + 1))
        }
        return nil
    }

    static func isConsuming(_ inst: Inst) -> Bool {
        switch inst {
        case .char, .set: return true
        default: return false
        }
    }

    /// For each instruction, the consuming instructions it reaches without consuming, each
    /// with the number of non-consuming routes there (1, or 2 for "several").
    static func consumingReach(_ program: [Inst]) -> [[Int: UInt8]] {
        let n = program.count
        func consuming(_ p: Int) -> Bool { isConsuming(program[p]) }
        // Where each instruction leads without consuming: target -> number of routes (1 or 2 = "several").
        var epsEdges = [[Int]](repeating: [], count: n)
        for p in 0..<n where !consuming(p) {
            switch program[p] {
            case .jump(let t): epsEdges[p] = [Int(t)]
            case .split(let a, let b): epsEdges[p] = [Int(a), Int(b)]
            case .assert: epsEdges[p] = [p + 1]
            default: break
            }
        }
        let (order, component) = tarjan(count: n, edges: { p in consuming(p) ? [] : epsEdges[p] })
        var cyclic = [Bool](repeating: false, count: n)
        var compSize: [Int: Int] = [:]
        for p in 0..<n { compSize[component[p], default: 0] += 1 }
        for p in 0..<n where compSize[component[p]]! > 1 || epsEdges[p].contains(p) { cyclic[p] = true }
        var reach = [[Int: UInt8]](repeating: [:], count: n)
        // Tarjan lists components sinks first, so successors are done before their predecessors.
        for comp in order {
            let members = comp
            if members.count == 1, !cyclic[members[0]] {
                let p = members[0]
                if consuming(p) {
                    reach[p] = [p: 1]
                } else {
                    var m: [Int: UInt8] = [:]
                    for t in epsEdges[p] {
                        for (k, v) in reach[t] { m[k] = min(2, (m[k] ?? 0) + v) }
                    }
                    reach[p] = m
                }
            } else {
                var m: [Int: UInt8] = [:]
                let inside = Set(members)
                for p in members {
                    for t in epsEdges[p] where !inside.contains(t) {
                        for k in reach[t].keys { m[k] = 2 }
                    }
                }
                for p in members { reach[p] = m }
            }
        }
        return reach
    }

    /// Strongly connected components (iterative Tarjan): components in reverse topological
    /// order (sinks first), and each node's component id.
    static func tarjan(count: Int, edges: (Int) -> [Int]) -> ([[Int]], [Int]) {
        var index = [Int](repeating: -1, count: count)
        var low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var comp = [Int](repeating: -1, count: count)
        var stack: [Int] = []
        var result: [[Int]] = []
        var counter = 0
        for root in 0..<count where index[root] < 0 {
            var call: [(node: Int, succ: [Int], next: Int)] = [(root, edges(root), 0)]
            index[root] = counter
            low[root] = counter
            counter += 1
            stack.append(root)
            onStack[root] = true
            while !call.isEmpty {
                let top = call.count - 1
                let v = call[top].node
                if call[top].next < call[top].succ.count {
                    let w = call[top].succ[call[top].next]
                    call[top].next += 1
                    if index[w] < 0 {
                        index[w] = counter
                        low[w] = counter
                        counter += 1
                        stack.append(w)
                        onStack[w] = true
                        call.append((w, edges(w), 0))
                    } else if onStack[w] {
                        low[v] = min(low[v], index[w])
                    }
                } else {
                    call.removeLast()
                    if let parent = call.last?.node { low[parent] = min(low[parent], low[v]) }
                    if low[v] == index[v] {
                        var members: [Int] = []
                        while true {
                            let w = stack.removeLast()
                            onStack[w] = false
                            comp[w] = result.count
                            members.append(w)
                            if w == v { break }
                        }
                        result.append(members)
                    }
                }
            }
        }
        return (result, comp)
    }
}

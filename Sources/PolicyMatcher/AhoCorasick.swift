import CPolicySIMD

/// A byte-level Aho-Corasick automaton: every literal of every rule goes into one automaton,
/// so an article is read once whatever the number of rules.
///
/// Layout, for speed with 10,000 patterns and more: states are numbered breadth first; the
/// shallowest ones (where the scan spends nearly all its time) get full transition rows over
/// byte classes, premultiplied so a step is one load; deeper states keep only their trie
/// children and a failure link, which keeps the whole automaton small enough for the cache.
/// A full table for 10,000 terms took 40 MB and a cache miss per byte.
///
/// When every state fits in the dense budget (100 and 1,000 benchmark rules), the automaton is
/// stored differently, "all dense": rows `rowStride` entries apart, a state's code is its row's
/// offset plus 1 when a pattern ends there (that row's entries start one later), so a step is
/// `table[state + class]` with no mask and no sparse test, and the match test is bit 0. The four
/// interleaved scans of that form run in C (`pw_dfa4_run`).
public struct AhoCorasick: Sendable {
    /// Byte -> equivalence class (bytes that no pattern distinguishes share class 0).
    private let classes: [UInt8]
    private let classCount: Int
    /// Dense rows: dense[row * classCount + class] -> encoded next state (see `Code`).
    private let dense: [UInt32]
    private let denseCount: Int
    /// Deep (sparse) state k = state denseCount + k: failure link, and children sorted by class.
    private let sparseFail: [UInt32]
    private let childStart: [Int32]
    private let childClass: [UInt8]
    private let childNext: [UInt32]
    /// For each state (breadth-first number), the range into `outputs` of the patterns ending there.
    private let outputStart: [Int32]
    private let outputs: [Int32]
    private let longestPattern: Int
    /// Every state has a row, in the all-dense layout (see above); `dense` then holds that layout.
    let isAllDense: Bool
    /// Entries from one row to the next in the all-dense layout: even, and more than `classCount`.
    private let rowStride: Int

    /// Encoded state: a dense state is its premultiplied row offset; a sparse one is its
    /// number with `sparse` set; `match` marks states where some pattern ends.
    enum Code {
        static let match: UInt32 = 1 << 31
        static let sparse: UInt32 = 1 << 30
        static let index: UInt32 = sparse - 1
    }

    public var memoryBytes: Int {
        dense.count * 4 + sparseFail.count * 4 + childStart.count * 4 + childClass.count + childNext.count * 4
            + outputStart.count * 4 + outputs.count * 4
    }

    /// Bytes of dense rows at most. Measured at 10,000 terms (4 interleaved scans): 1 MB 122 MB/s,
    /// 3 MB 209, 8 MB 256; the interleaving hides most of the latency of a table beyond L2.
    public static let defaultDenseBudget = 8 << 20

    public init(patterns: [[UInt8]], denseBudget: Int = AhoCorasick.defaultDenseBudget) {
        let (classes, classCount) = Self.byteClasses(patterns)
        let trie = Trie(symbols: patterns.map { p in p.map { Int(classes[Int($0)]) } })
        let n = trie.stateCount
        let (order, bfs, firstChild, kidClass, kidNext, ownOutputs) = (trie.order, trie.bfs, trie.firstChild, trie.kidClass, trie.kidNext, trie.ownOutputs)
        let rowStride = Self.rowStride(classCount: classCount)
        let isAllDense = Self.fitsAllDense(states: n, classCount: classCount, denseBudget: denseBudget)
        let denseCount = isAllDense ? n : max(1, min(n, denseBudget / max(1, classCount * 4)))

        // Failure links and outputs, breadth first. `step` is the DFA transition, computed
        // from dense rows or by walking failure links from a sparse state.
        var fail = [Int32](repeating: 0, count: n)  // by breadth-first number
        var hasOutput = [Bool](repeating: false, count: n)
        var outLists = [[Int32]](repeating: [], count: n)
        var dense: [UInt32] = []
        // Sparse children by breadth-first number (filled as states are visited).
        var sChildStart = [Int32](repeating: 0, count: n - denseCount + 1)
        var sChildClass: [UInt8] = []
        var sChildNext: [Int32] = []
        sChildClass.reserveCapacity(kidClass.count)
        sChildNext.reserveCapacity(kidClass.count)
        // Raw (unencoded) dense rows, for `step` during construction.
        var rawDense = [Int32](repeating: 0, count: denseCount * classCount)

        func child(_ b: Int, _ c: Int) -> Int32? {
            let s = Int(order[b])
            for k in Int(firstChild[s])..<Int(firstChild[s + 1]) where Int(kidClass[k]) == c { return bfs[Int(kidNext[k])] }
            return nil
        }
        func step(_ from: Int, _ c: Int) -> Int32 {
            var x = from
            while true {
                if x < denseCount { return rawDense[x * classCount + c] }
                if let t = child(x, c) { return t }
                x = Int(fail[x])
            }
        }
        for b in 0..<n {
            let s = Int(order[b])
            if b > 0 {
                outLists[b] = ownOutputs[s] + outLists[Int(fail[b])]
            } else {
                outLists[0] = ownOutputs[s]
            }
            hasOutput[b] = !outLists[b].isEmpty
            // Children's failure links.
            for k in Int(firstChild[s])..<Int(firstChild[s + 1]) {
                let t = Int(bfs[Int(kidNext[k])])
                fail[t] = b == 0 ? 0 : step(Int(fail[b]), Int(kidClass[k]))
            }
            if b < denseCount {
                // The failure link's row (the root's is all root), then the state's own children:
                // a copy, where a search of the children for every class took as long as
                // scanning 5 MB at 1,000 rules.
                let row = b * classCount
                if b > 0 {
                    let failRow = Int(fail[b]) * classCount
                    for c in 0..<classCount { rawDense[row + c] = rawDense[failRow + c] }
                }
                for k in Int(firstChild[s])..<Int(firstChild[s + 1]) { rawDense[row + Int(kidClass[k])] = bfs[Int(kidNext[k])] }
            } else {
                sChildStart[b - denseCount] = Int32(sChildClass.count)
                for k in Int(firstChild[s])..<Int(firstChild[s + 1]) {
                    sChildClass.append(kidClass[k])
                    sChildNext.append(bfs[Int(kidNext[k])])
                }
            }
        }
        if n > denseCount { sChildStart[n - denseCount] = Int32(sChildClass.count) }
        // A dense state's failure link is a shallower state, hence dense too: rawDense above is
        // complete when read.

        func encode(_ t: Int32) -> UInt32 {
            let t = Int(t)
            var code = t < denseCount ? UInt32(t * classCount) : (Code.sparse | UInt32(t))
            if hasOutput[t] { code |= Code.match }
            return code
        }
        if isAllDense {
            // Row b at b * rowStride, or one entry later when a pattern ends in b.
            let codes = (0..<n).map { UInt32($0 * rowStride + (hasOutput[$0] ? 1 : 0)) }
            dense = [UInt32](repeating: 0, count: n * rowStride)
            dense.withUnsafeMutableBufferPointer { table in
                rawDense.withUnsafeBufferPointer { raw in
                    for b in 0..<n {
                        let row = Int(codes[b]), from = b * classCount
                        for c in 0..<classCount { table[row + c] = codes[Int(raw[from + c])] }
                    }
                }
            }
        } else {
            dense = rawDense.map(encode)
        }
        var outputStart: [Int32] = [0]
        outputStart.reserveCapacity(n + 1)
        for o in outLists { outputStart.append(outputStart.last! + Int32(o.count)) }
        let flat = Array(outLists.joined())

        self.classes = classes
        self.classCount = classCount
        self.dense = dense
        self.denseCount = denseCount
        self.sparseFail = n > denseCount ? (denseCount..<n).map { encode(fail[$0]) } : []
        self.childStart = sChildStart
        self.childClass = sChildClass
        self.childNext = sChildNext.map(encode)
        self.outputStart = outputStart
        self.outputs = flat
        self.longestPattern = patterns.map(\.count).max() ?? 0
        self.isAllDense = isAllDense
        self.rowStride = rowStride
    }

    /// Whether `init(patterns:denseBudget:)` would choose the all-dense layout, without building
    /// the automaton: its states are the patterns' distinct prefixes (and the root), counted on
    /// the sorted patterns. `TermMatcher` uses it to choose between the automaton and a
    /// `LiteralTable`.
    public static func wouldBeAllDense(patterns: [[UInt8]], denseBudget: Int = defaultDenseBudget) -> Bool {
        let classCount = byteClasses(patterns).count
        var states = 1
        var previous: [UInt8] = []
        for p in patterns.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            var common = 0
            while common < min(p.count, previous.count) && p[common] == previous[common] { common += 1 }
            states += p.count - common
            previous = p
        }
        return fitsAllDense(states: states, classCount: classCount, denseBudget: denseBudget)
    }

    private static func rowStride(classCount: Int) -> Int { (classCount + 2) & ~1 }

    private static func fitsAllDense(states n: Int, classCount: Int, denseBudget: Int) -> Bool {
        let stride = rowStride(classCount: classCount)
        return n * stride * 4 <= denseBudget && n * stride < Int(UInt32.max / 2)
    }

    /// Byte -> equivalence class: bytes no pattern holds share class 0, the others get one
    /// each. With every byte used, byte 255 (never in UTF-8) shares class 0.
    private static func byteClasses(_ patterns: [[UInt8]]) -> (classes: [UInt8], count: Int) {
        var used = [Bool](repeating: false, count: 256)
        for p in patterns { for b in p { used[Int(b)] = true } }
        var classes = [UInt8](repeating: 0, count: 256)
        var nextClass = 1
        for b in 0..<256 where used[b] {
            classes[b] = UInt8(truncatingIfNeeded: nextClass)
            nextClass += 1
        }
        return (classes, min(nextClass, 256))
    }

    /// The trie of the patterns (as byte classes), with each state's children sorted by class
    /// and the breadth-first order the automaton numbers its states in.
    private struct Trie {
        /// Children of trie state s: kidClass/kidNext[firstChild[s]..<firstChild[s + 1]].
        var firstChild: [Int32]
        var kidClass: [UInt8]
        var kidNext: [Int32]
        /// Patterns ending at each trie state.
        var ownOutputs: [[Int32]]
        /// Breadth-first number -> trie state, and back.
        var order: [Int32]
        var bfs: [Int32]
        var stateCount: Int { ownOutputs.count }

        init(symbols: [[Int]]) {
            // Edges keyed by state * 256 + class, in insertion order of states.
            var edges: [Int: Int32] = [:]
            edges.reserveCapacity(symbols.reduce(0) { $0 + $1.count })
            var ownOutputs: [[Int32]] = [[]]
            for (pid, p) in symbols.enumerated() where !p.isEmpty {
                var s = 0
                for c in p {
                    let key = s << 8 | c
                    if let t = edges[key] {
                        s = Int(t)
                    } else {
                        let t = ownOutputs.count
                        edges[key] = Int32(t)
                        ownOutputs.append([])
                        s = t
                    }
                }
                ownOutputs[s].append(Int32(pid))
            }
            let n = ownOutputs.count
            // Children lists per state (trie numbering), sorted by class.
            var childCount = [Int32](repeating: 0, count: n + 1)
            for key in edges.keys { childCount[key >> 8] += 1 }
            var firstChild = [Int32](repeating: 0, count: n + 1)
            for s in 0..<n { firstChild[s + 1] = firstChild[s] + childCount[s] }
            var fill = firstChild
            var kidClass = [UInt8](repeating: 0, count: edges.count)
            var kidNext = [Int32](repeating: 0, count: edges.count)
            for (key, t) in edges {
                let s = key >> 8
                let k = Int(fill[s])
                kidClass[k] = UInt8(truncatingIfNeeded: key & 0xFF)
                kidNext[k] = t
                fill[s] += 1
            }
            for s in 0..<n {
                let lo = Int(firstChild[s]), hi = Int(firstChild[s + 1])
                if hi - lo > 1 {
                    let sorted = (lo..<hi).map { (kidClass[$0], kidNext[$0]) }.sorted { $0.0 < $1.0 }
                    for (k, e) in sorted.enumerated() {
                        kidClass[lo + k] = e.0
                        kidNext[lo + k] = e.1
                    }
                }
            }
            // Breadth-first numbering.
            var order: [Int32] = [0]
            order.reserveCapacity(n)
            var head = 0
            while head < order.count {
                let s = Int(order[head])
                head += 1
                for k in Int(firstChild[s])..<Int(firstChild[s + 1]) { order.append(kidNext[k]) }
            }
            var bfs = [Int32](repeating: 0, count: n)
            for (i, s) in order.enumerated() { bfs[Int(s)] = Int32(i) }
            self.firstChild = firstChild
            self.kidClass = kidClass
            self.kidNext = kidNext
            self.ownOutputs = ownOutputs
            self.order = order
            self.bfs = bfs
        }
    }

    /// Appends every occurrence as (pattern, end) pairs, in order of end position.
    public func scan(_ text: UnsafeBufferPointer<UInt8>, into found: inout [(pattern: Int32, end: Int32)]) {
        outputStart.withUnsafeBufferPointer { os in
            outputs.withUnsafeBufferPointer { out in
                scanStates(text) { state, end in
                    for k in Int(os[state])..<Int(os[state + 1]) { found.append((out[k], Int32(end))) }
                }
            }
        }
    }

    /// Runs the automaton; calls `onState(state, end)` after each byte that ends a pattern,
    /// in order of end position.
    @inline(__always)
    private func scanStates(_ text: UnsafeBufferPointer<UInt8>, _ onState: (Int, Int) -> Void) {
        if isAllDense {
            if text.count >= Self.interleaveMinimum {
                scanInterleavedDense(text, onState)
            } else {
                scanRangeDense(text, from: 0, to: text.count, reportAfter: 0, onState)
            }
        } else if text.count >= Self.interleaveMinimum {
            scanInterleaved(text, onState)
        } else {
            scanRange(text, from: 0, to: text.count, reportAfter: 0, onState)
        }
    }

    /// Below this many bytes, one pass; above, four interleaved ones.
    static let interleaveMinimum = 256

    /// The plain loop over `text[from..<to]`, starting at the root; reports matches that end
    /// after `reportAfter`.
    @inline(__always)
    private func scanRange(_ text: UnsafeBufferPointer<UInt8>, from: Int, to: Int, reportAfter: Int,
                           _ onState: (Int, Int) -> Void) {
        classes.withUnsafeBufferPointer { cls in
            dense.withUnsafeBufferPointer { table in
                var s: UInt32 = 0
                var i = from
                while i < to {
                    let c = Int(cls[Int(text[i])])
                    if s & Code.sparse == 0 {
                        s = table[Int(s & Code.index) &+ c]
                    } else {
                        s = sparseStep(Int(s & Code.index), c)
                    }
                    i &+= 1
                    if s & Code.match != 0 && i > reportAfter { onState(stateNumber(s), i) }
                }
            }
        }
    }

    /// Four automata over four slices of the text in one loop, so the CPU overlaps their
    /// memory accesses (a lone automaton waits for each load before the next). Each slice
    /// after the first starts `longest - 1` bytes early from the root, which puts it in the
    /// right state at its start, and reports only the matches that end inside it; results
    /// are replayed slice by slice, so they stay in order of end position.
    private func scanInterleaved(_ text: UnsafeBufferPointer<UInt8>, _ onState: (Int, Int) -> Void) {
        let n = text.count
        let overlap = max(0, longestPattern - 1)
        let b1 = n / 4, b2 = n / 2, b3 = n * 3 / 4
        // Slice k reads [start_k, end_k) and owns the matches ending in (bound_k, end_k].
        let starts = (0, max(0, b1 - overlap), max(0, b2 - overlap), max(0, b3 - overlap))
        var found: ([(Int32, Int32)], [(Int32, Int32)], [(Int32, Int32)], [(Int32, Int32)]) = ([], [], [], [])
        classes.withUnsafeBufferPointer { cls in
            dense.withUnsafeBufferPointer { table in
                var s0: UInt32 = 0, s1: UInt32 = 0, s2: UInt32 = 0, s3: UInt32 = 0
                var i0 = starts.0, i1 = starts.1, i2 = starts.2, i3 = starts.3
                let common = min(b1 - i0, b2 - i1, b3 - i2, n - i3)
                @inline(__always) func step(_ s: UInt32, _ b: UInt8) -> UInt32 {
                    let c = Int(cls[Int(b)])
                    return s & Code.sparse == 0 ? table[Int(s & Code.index) &+ c] : sparseStep(Int(s & Code.index), c)
                }
                for _ in 0..<common {
                    s0 = step(s0, text[i0])
                    s1 = step(s1, text[i1])
                    s2 = step(s2, text[i2])
                    s3 = step(s3, text[i3])
                    i0 &+= 1
                    i1 &+= 1
                    i2 &+= 1
                    i3 &+= 1
                    if (s0 | s1 | s2 | s3) & Code.match != 0 {
                        if s0 & Code.match != 0 { found.0.append((Int32(stateNumber(s0)), Int32(i0))) }
                        if s1 & Code.match != 0 && i1 > b1 { found.1.append((Int32(stateNumber(s1)), Int32(i1))) }
                        if s2 & Code.match != 0 && i2 > b2 { found.2.append((Int32(stateNumber(s2)), Int32(i2))) }
                        if s3 & Code.match != 0 && i3 > b3 { found.3.append((Int32(stateNumber(s3)), Int32(i3))) }
                    }
                }
                // Each slice's rest, alone.
                func finish(_ s: UInt32, _ i: Int, _ end: Int, _ bound: Int, _ out: inout [(Int32, Int32)]) {
                    var s = s, i = i
                    while i < end {
                        s = step(s, text[i])
                        i &+= 1
                        if s & Code.match != 0 && i > bound { out.append((Int32(stateNumber(s)), Int32(i))) }
                    }
                }
                finish(s0, i0, b1, 0, &found.0)
                finish(s1, i1, b2, b1, &found.1)
                finish(s2, i2, b3, b2, &found.2)
                finish(s3, i3, n, b3, &found.3)
            }
        }
        for list in [found.0, found.1, found.2, found.3] {
            for (state, end) in list { onState(Int(state), Int(end)) }
        }
    }

    /// `scanRange` for the all-dense layout: calls `onState(state number, end)` for matches
    /// ending after `reportAfter`.
    @inline(__always)
    private func scanRangeDense(_ text: UnsafeBufferPointer<UInt8>, from: Int, to: Int, reportAfter: Int,
                                _ onState: (Int, Int) -> Void) {
        classes.withUnsafeBufferPointer { cls in
            dense.withUnsafeBufferPointer { table in
                var s: UInt32 = 0
                var i = from
                while i < to {
                    s = table[Int(s) &+ Int(cls[Int(text[i])])]
                    i &+= 1
                    if s & 1 != 0 && i > reportAfter { onState(Int(s) / rowStride, i) }
                }
            }
        }
    }

    /// `scanInterleaved` for the all-dense layout: the same four slices, their common length
    /// run by `pw_dfa4_run`, which returns after each step that ends a pattern in some slice.
    private func scanInterleavedDense(_ text: UnsafeBufferPointer<UInt8>, _ onState: (Int, Int) -> Void) {
        let n = text.count
        let overlap = max(0, longestPattern - 1)
        let bounds = (n / 4, n / 2, n * 3 / 4)
        // Slice k reads [start_k, end_k) and owns the matches ending in (bound_k, end_k].
        let starts = (0, max(0, bounds.0 - overlap), max(0, bounds.1 - overlap), max(0, bounds.2 - overlap))
        let common = min(bounds.0 - starts.0, bounds.1 - starts.1, bounds.2 - starts.2, n - starts.3)
        var found: ([(Int32, Int32)], [(Int32, Int32)], [(Int32, Int32)], [(Int32, Int32)]) = ([], [], [], [])
        let stride = rowStride
        classes.withUnsafeBufferPointer { cls in
            dense.withUnsafeBufferPointer { table in
                let base = text.baseAddress!
                var states: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
                var done = 0
                withUnsafeMutableBytes(of: &states) { raw in
                    let sp = raw.baseAddress!.assumingMemoryBound(to: UInt32.self)
                    while done < common {
                        // At least one step is taken, so the states below are new.
                        done += pw_dfa4_run(base + starts.0 + done, base + starts.1 + done, base + starts.2 + done,
                                            base + starts.3 + done, common - done, cls.baseAddress!, table.baseAddress!, sp)
                        if (sp[0] | sp[1] | sp[2] | sp[3]) & 1 != 0 {
                            if sp[0] & 1 != 0 { found.0.append((Int32(Int(sp[0]) / stride), Int32(starts.0 + done))) }
                            if sp[1] & 1 != 0 && starts.1 + done > bounds.0 { found.1.append((Int32(Int(sp[1]) / stride), Int32(starts.1 + done))) }
                            if sp[2] & 1 != 0 && starts.2 + done > bounds.1 { found.2.append((Int32(Int(sp[2]) / stride), Int32(starts.2 + done))) }
                            if sp[3] & 1 != 0 && starts.3 + done > bounds.2 { found.3.append((Int32(Int(sp[3]) / stride), Int32(starts.3 + done))) }
                        }
                    }
                }
                // Each slice's rest, alone, from the state it reached.
                func finish(_ s: UInt32, _ i: Int, _ end: Int, _ bound: Int, _ out: inout [(Int32, Int32)]) {
                    var s = s, i = i
                    while i < end {
                        s = table[Int(s) &+ Int(cls[Int(text[i])])]
                        i &+= 1
                        if s & 1 != 0 && i > bound { out.append((Int32(Int(s) / stride), Int32(i))) }
                    }
                }
                finish(states.0, starts.0 + common, bounds.0, 0, &found.0)
                finish(states.1, starts.1 + common, bounds.1, bounds.0, &found.1)
                finish(states.2, starts.2 + common, bounds.2, bounds.1, &found.2)
                finish(states.3, starts.3 + common, n, bounds.2, &found.3)
            }
        }
        for list in [found.0, found.1, found.2, found.3] {
            for (state, end) in list { onState(Int(state), Int(end)) }
        }
    }

    /// The breadth-first number of an encoded state.
    @inline(__always)
    private func stateNumber(_ code: UInt32) -> Int {
        let x = Int(code & Code.index)
        return code & Code.sparse != 0 ? x : x / classCount
    }

    /// The transition from sparse state `state` on class `c`: a child, or the failure link's.
    private func sparseStep(_ state: Int, _ c: Int) -> UInt32 {
        var x = state
        while true {
            let k = x - denseCount
            let lo = Int(childStart[k]), hi = Int(childStart[k + 1])
            var j = lo
            while j < hi {
                let cc = Int(childClass[j])
                if cc == c { return childNext[j] }
                if cc > c { break }
                j += 1
            }
            let f = sparseFail[k]
            if f & Code.sparse == 0 { return dense[Int(f & Code.index) + c] }
            x = Int(f & Code.index)
        }
    }
}

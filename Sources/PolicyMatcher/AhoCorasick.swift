/// A byte-level Aho-Corasick automaton compiled to a dense DFA over byte classes.
///
/// Every literal of every rule goes into one automaton, so an article is read once
/// whatever the number of rules (BRIEF §9).
public struct AhoCorasick: Sendable {
    /// Byte -> equivalence class (bytes that no pattern distinguishes share a class).
    private let classes: [UInt8]
    private let classCount: Int
    /// transitions[state * classCount + class] -> next state.
    private let transitions: [Int32]
    /// For each state, the range into `outputs` of the patterns ending there.
    private let outputStart: [Int32]
    private let outputs: [Int32]
    /// Length in bytes of each pattern.
    public let patternLengths: [Int32]

    public var stateCount: Int { outputStart.count - 1 }
    public var memoryBytes: Int { transitions.count * 4 + outputs.count * 4 + outputStart.count * 4 }

    public init(patterns: [[UInt8]]) {
        // 1. Byte classes.
        var used = [Bool](repeating: false, count: 256)
        for p in patterns { for b in p { used[Int(b)] = true } }
        var classes = [UInt8](repeating: 0, count: 256)
        var next: UInt8 = 1
        for b in 0..<256 where used[b] {
            classes[b] = next
            next &+= 1
        }
        let classCount = Int(next == 0 ? 256 : Int(next))
        // 2. Trie, with sparse children while building.
        var children: [[Int32]] = [[Int32](repeating: -1, count: classCount)]
        var outs: [[Int32]] = [[]]
        for (pid, p) in patterns.enumerated() where !p.isEmpty {
            var s = 0
            for b in p {
                let c = Int(classes[Int(b)])
                if children[s][c] < 0 {
                    children[s][c] = Int32(children.count)
                    children.append([Int32](repeating: -1, count: classCount))
                    outs.append([])
                }
                s = Int(children[s][c])
            }
            outs[s].append(Int32(pid))
        }
        // 3. Failure links in BFS order, turning the trie into a full DFA.
        let n = children.count
        var fail = [Int32](repeating: 0, count: n)
        var queue: [Int32] = []
        queue.reserveCapacity(n)
        for c in 0..<classCount {
            if children[0][c] < 0 {
                children[0][c] = 0
            } else {
                fail[Int(children[0][c])] = 0
                queue.append(children[0][c])
            }
        }
        var head = 0
        while head < queue.count {
            let s = Int(queue[head])
            head += 1
            outs[s].append(contentsOf: outs[Int(fail[s])])
            for c in 0..<classCount {
                let t = children[s][c]
                if t < 0 {
                    children[s][c] = children[Int(fail[s])][c]
                } else {
                    fail[Int(t)] = children[Int(fail[s])][c]
                    queue.append(t)
                }
            }
        }
        var transitions = [Int32]()
        transitions.reserveCapacity(n * classCount)
        for row in children { transitions.append(contentsOf: row) }
        var outputStart = [Int32]()
        var flat = [Int32]()
        outputStart.reserveCapacity(n + 1)
        for o in outs {
            outputStart.append(Int32(flat.count))
            flat.append(contentsOf: o)
        }
        outputStart.append(Int32(flat.count))
        self.classes = classes
        self.classCount = classCount
        self.transitions = transitions
        self.outputStart = outputStart
        self.outputs = flat
        self.patternLengths = patterns.map { Int32($0.count) }
    }

    /// Calls `onMatch(pattern, start, end)` for every occurrence (overlapping ones too),
    /// in order of end position.
    @inline(__always)
    public func scan(_ text: UnsafeBufferPointer<UInt8>, _ onMatch: (Int, Int, Int) -> Void) {
        classes.withUnsafeBufferPointer { cls in
            transitions.withUnsafeBufferPointer { tr in
                outputStart.withUnsafeBufferPointer { os in
                    outputs.withUnsafeBufferPointer { out in
                        var s = 0
                        let cc = classCount
                        for i in 0..<text.count {
                            s = Int(tr[s &* cc &+ Int(cls[Int(text[i])])])
                            let lo = Int(os[s]), hi = Int(os[s &+ 1])
                            if lo != hi {
                                for k in lo..<hi {
                                    let p = Int(out[k])
                                    onMatch(p, i + 1 - Int(patternLengths[p]), i + 1)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

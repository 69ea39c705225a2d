/// A set of 64-bit values that are hashes already (alert ids), for sets that grow with a
/// run: open addressing over a power-of-two table, a value placed by one multiplication.
/// `Set<UInt64>` runs SipHash on every value first; at 10,000 rules the in-memory story
/// index inserts a million alert ids a run, and that was a tenth of its thread's time.
/// `HashSet64Tests` checks it against `Set<UInt64>`.
struct HashSet64 {
    /// 0 marks an empty slot; the value 0 itself is kept in `holdsZero`.
    private var slots: [UInt64]
    private var holdsZero = false
    /// Fibonacci hashing: the top bits of `value × 2^64/φ` are the slot.
    private var shift: UInt64
    private(set) var count = 0

    init() {
        slots = Array(repeating: 0, count: 16)
        shift = 64 - 4
    }

    func contains(_ value: UInt64) -> Bool {
        if value == 0 { return holdsZero }
        let mask = slots.count - 1
        var i = slot(value)
        while true {
            let s = slots[i]
            if s == value { return true }
            if s == 0 { return false }
            i = (i + 1) & mask
        }
    }

    /// Adds `value`; false when it was there already.
    @discardableResult
    mutating func insert(_ value: UInt64) -> Bool {
        if value == 0 {
            if holdsZero { return false }
            holdsZero = true
            count += 1
            return true
        }
        // At most three quarters full, as `Set` (half full took twice the memory: 32 MB for
        // a million ids); a miss then probes about eight slots, one or two cache lines.
        if (count + 1) * 4 > slots.count * 3 { grow() }
        let mask = slots.count - 1
        var i = slot(value)
        while true {
            let s = slots[i]
            if s == value { return false }
            if s == 0 {
                slots[i] = value
                count += 1
                return true
            }
            i = (i + 1) & mask
        }
    }

    private func slot(_ value: UInt64) -> Int {
        Int(truncatingIfNeeded: (value &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        shift -= 1
        let mask = slots.count - 1
        for value in old where value != 0 {
            var i = slot(value)
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = value
        }
    }
}

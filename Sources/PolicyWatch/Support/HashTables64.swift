/// A set of 64-bit values that are hashes already (alert ids), for sets that grow with a
/// run: open addressing over a power-of-two table, a value placed by one multiplication.
/// `Set<UInt64>` runs SipHash on every value first; at 10,000 rules the in-memory story
/// index inserts a million alert ids a run, and that was a tenth of its thread's time.
/// `HashTables64Tests` checks it against `Set<UInt64>`.
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

/// A map from 64-bit hashes to 64-bit values (article key and content hashes to rows, during
/// a first run), laid out as `HashSet64`: the same placement, the same load. A `Dictionary`
/// of `Int64` ran SipHash on every key; at 1,000 rules the two maps of a first run were a
/// seventh of the state's commit thread.
struct HashMap64 {
    /// 0 marks an empty slot; the key 0 itself is kept in `zeroValue`.
    private var keys: [UInt64]
    private var values: [Int64]
    private var zeroValue: Int64?
    private var shift: UInt64
    private(set) var count = 0

    init() {
        keys = Array(repeating: 0, count: 16)
        values = Array(repeating: 0, count: 16)
        shift = 64 - 4
    }

    subscript(key: Int64) -> Int64? {
        let k = UInt64(bitPattern: key)
        if k == 0 { return zeroValue }
        let mask = keys.count - 1
        var i = slot(k)
        while true {
            let s = keys[i]
            if s == k { return values[i] }
            if s == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    /// Sets `key` to `value` unless it has one; false when it had.
    @discardableResult
    mutating func insertIfAbsent(_ key: Int64, _ value: Int64) -> Bool {
        let k = UInt64(bitPattern: key)
        if k == 0 {
            if zeroValue != nil { return false }
            zeroValue = value
            count += 1
            return true
        }
        if (count + 1) * 4 > keys.count * 3 { grow() }
        let mask = keys.count - 1
        var i = slot(k)
        while true {
            let s = keys[i]
            if s == k { return false }
            if s == 0 {
                keys[i] = k
                values[i] = value
                count += 1
                return true
            }
            i = (i + 1) & mask
        }
    }

    /// Every key and value, in no particular order.
    func forEach(_ body: (Int64, Int64) -> Void) {
        if let zeroValue { body(0, zeroValue) }
        for i in keys.indices where keys[i] != 0 { body(Int64(bitPattern: keys[i]), values[i]) }
    }

    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    private mutating func grow() {
        let (oldKeys, oldValues) = (keys, values)
        keys = Array(repeating: 0, count: oldKeys.count * 2)
        values = Array(repeating: 0, count: oldKeys.count * 2)
        shift -= 1
        let mask = keys.count - 1
        for j in oldKeys.indices where oldKeys[j] != 0 {
            var i = slot(oldKeys[j])
            while keys[i] != 0 { i = (i + 1) & mask }
            keys[i] = oldKeys[j]
            values[i] = oldValues[j]
        }
    }
}

/// Sets and maps keyed by 64-bit values that are hashes already (alert ids, article key and
/// content hashes), for the tables that grow with a run: open addressing over a power-of-two
/// table, a key placed by one multiplication. `Set` and `Dictionary` run SipHash on every
/// key first; at 10,000 rules the in-memory story index inserts a million alert ids a run,
/// and that was a tenth of its thread's time (docs/performance.md, ninth round).
/// `HashTables64Tests` checks them against `Set` and `Dictionary`.

/// The slots both tables share: 0 marks an empty one (each table keeps the key 0 aside).
private struct HashSlots {
    private(set) var keys: [UInt64] = Array(repeating: 0, count: 16)
    /// Fibonacci hashing: the top bits of `key × 2^64/φ` are the slot.
    private var shift: UInt64 = 64 - 4
    /// Keys held (0 aside).
    private(set) var count = 0

    /// At most three quarters full, as `Set` (half full took twice the memory: 32 MB for a
    /// million ids); a miss then probes about eight slots, one or two cache lines.
    var isFull: Bool { (count + 1) * 4 > keys.count * 3 }

    /// The slot holding `key` (not 0), or the empty slot where it would go.
    @inline(__always)
    func find(_ key: UInt64) -> (slot: Int, found: Bool) {
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let s = keys[i]
            if s == key { return (i, true) }
            if s == 0 { return (i, false) }
            i = (i + 1) & mask
        }
    }

    /// Puts `key` in the empty `slot` that `find` gave.
    @inline(__always)
    mutating func fill(_ slot: Int, with key: UInt64) {
        keys[slot] = key
        count += 1
    }

    /// Doubles the table; `moved(from, to)` is told where each key went.
    mutating func grow(_ moved: (Int, Int) -> Void) {
        let old = keys
        keys = Array(repeating: 0, count: old.count * 2)
        shift -= 1
        for j in old.indices where old[j] != 0 {
            let i = find(old[j]).slot
            keys[i] = old[j]
            moved(j, i)
        }
    }
}

/// A set of 64-bit hashes.
struct HashSet64 {
    private var slots = HashSlots()
    private var holdsZero = false

    var count: Int { slots.count + (holdsZero ? 1 : 0) }

    func contains(_ value: UInt64) -> Bool {
        value == 0 ? holdsZero : slots.find(value).found
    }

    /// Adds `value`; false when it was there already.
    @discardableResult
    mutating func insert(_ value: UInt64) -> Bool {
        if value == 0 {
            defer { holdsZero = true }
            return !holdsZero
        }
        if slots.isFull { slots.grow { _, _ in } }
        let (slot, found) = slots.find(value)
        if found { return false }
        slots.fill(slot, with: value)
        return true
    }
}

/// A map from 64-bit hashes to 64-bit values (article key and content hashes to rows, during
/// a first run, in place of two `Dictionary`s).
struct HashMap64 {
    private var slots = HashSlots()
    private var values: [Int64] = Array(repeating: 0, count: 16)
    private var zeroValue: Int64?

    var count: Int { slots.count + (zeroValue == nil ? 0 : 1) }

    subscript(key: Int64) -> Int64? {
        let k = UInt64(bitPattern: key)
        if k == 0 { return zeroValue }
        let (slot, found) = slots.find(k)
        return found ? values[slot] : nil
    }

    /// Sets `key` to `value` unless it has one; false when it had.
    @discardableResult
    mutating func insertIfAbsent(_ key: Int64, _ value: Int64) -> Bool {
        let k = UInt64(bitPattern: key)
        if k == 0 {
            if zeroValue != nil { return false }
            zeroValue = value
            return true
        }
        if slots.isFull {
            let old = values
            var moved = Array(repeating: Int64(0), count: old.count * 2)
            slots.grow { moved[$1] = old[$0] }
            values = moved
        }
        let (slot, found) = slots.find(k)
        if found { return false }
        slots.fill(slot, with: k)
        values[slot] = value
        return true
    }

    /// Every key and value, in no particular order.
    func forEach(_ body: (Int64, Int64) -> Void) {
        if let zeroValue { body(0, zeroValue) }
        for i in slots.keys.indices where slots.keys[i] != 0 { body(Int64(bitPattern: slots.keys[i]), values[i]) }
    }
}

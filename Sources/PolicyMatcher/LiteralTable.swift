import CPolicySIMD

/// Every occurrence of a set of byte strings, found by looking the text up at the positions
/// where one can start, instead of running an automaton over every byte.
///
/// A term of a spaced script (its first letter Latin, Cyrillic...) can only match at a word's
/// start: after a byte that is not a letter, digit or '_'. Other terms (Hangul, kana, Han,
/// symbols) can start at any scalar, but only at one whose first byte starts some term. The
/// scan (`pw_literals_run` in CPolicySIMD) classifies 16 bytes at a time and looks up each such
/// position: the text's first 4 bytes there, hashed, against a filter of a bit per key (tens of
/// kilobytes, in the nearest caches); when the bit is set, a table keyed by the first 4 bytes
/// (terms of 4 to 7 bytes) and by the first 8 (longer terms); the rest of each term under the
/// key is then compared, 8 bytes at once. Terms of 1 to 3 bytes have keys of their own.
///
/// Why: at 10,000 terms the Aho-Corasick automaton reads a table of megabytes at random, one
/// dependent load per byte; most bytes here are passed over sixteen at a time. When too many
/// patterns share a key (`maxBucket`), each lookup would compare them all: `init` fails and the
/// caller keeps the automaton, whose cost does not depend on how patterns overlap.
///
/// Semantics: the same occurrences as `AhoCorasick.scan`, except that an occurrence of a
/// left-bounded pattern is left out where the byte before it is an ASCII letter, digit or '_'
/// (the caller's boundary check would reject it anyway). Where the byte before belongs to a
/// multi-byte scalar the occurrence is reported, and the caller checks that scalar (a table of
/// Unicode's letters has no place in the scan). Occurrences come in order of start, not of end.
/// Empty patterns never match.
public struct LiteralTable: Sendable {
    /// Patterns under one key, at most; beyond, the automaton is used.
    public static let maxBucket = 64

    private let storage: Storage

    /// The table for `patterns`, where `leftBounded[k]` says that pattern k needs a word
    /// boundary before it (its first scalar is a letter or digit of a spaced script); nil when
    /// some key holds more than `maxBucket` patterns, or when there are more patterns or bytes
    /// of patterns than the table's 32-bit offsets hold.
    public init?(patterns: [[UInt8]], leftBounded: [Bool]) {
        precondition(patterns.count == leftBounded.count)
        guard patterns.count < Int(Int32.max) / 2, patterns.reduce(0, { $0 + $1.count }) < Int(UInt32.max) else {
            return nil
        }
        // Keys: (first bytes, length class) -> patterns (see `pw_literal_slot`).
        struct Key: Hashable { var bytes: UInt64; var lengthClass: UInt32 }
        var buckets: [Key: [Int32]] = [:]
        var first = [UInt8](repeating: 0, count: 256)
        var lengthClasses: UInt32 = 0
        var kinds: UInt32 = 0
        var offsets: [UInt32] = [], bytes: [UInt8] = []
        func little(_ p: [UInt8], from: Int, count: Int) -> UInt64 {
            var v: UInt64 = 0
            for j in from..<min(p.count, from + count) { v |= UInt64(p[j]) << (8 * UInt64(j - from)) }
            return v
        }
        for (k, p) in patterns.enumerated() {
            offsets.append(UInt32(bytes.count))
            bytes.append(contentsOf: p)
            guard let b = p.first else { continue }
            let lengthClass = UInt32(p.count < 4 ? p.count : p.count < 8 ? 4 : 8)
            buckets[Key(bytes: little(p, from: 0, count: Int(lengthClass)), lengthClass: lengthClass), default: []].append(Int32(k))
            lengthClasses |= 1 << lengthClass
            let bounded = leftBounded[k]
            first[Int(b)] |= UInt8(bounded ? PW_LIT_BOUNDED : PW_LIT_FREE)
            let isWordByte = pw_ascii_word_byte(b) != 0
            if b >= 0xC0 {
                kinds |= UInt32(PW_LIT_LEADS)
            } else if b < 0x80 && isWordByte {
                kinds |= UInt32(bounded ? PW_LIT_WORD_STARTS : PW_LIT_WORD_BYTES)
            } else if b < 0x80 {
                kinds |= UInt32(PW_LIT_OTHER_ASCII)
            } else {
                // A continuation byte (not in normalised terms, which are UTF-8): no mask
                // offers those, so every byte is looked at.
                kinds |= UInt32(PW_LIT_EVERY_BYTE)
            }
        }
        let largest = buckets.values.map(\.count).max() ?? 0
        guard largest <= Self.maxBucket else { return nil }

        let keyCount = max(1, buckets.count)
        let tableBits = UInt32(max(4, Self.log2Ceiling(keyCount * 2)))
        // About 32 bits per key: one key in 32 lookups of an absent one passes the filter.
        let filterBits = UInt32(min(22, max(9, Self.log2Ceiling(keyCount * 32))))
        var slots = [pw_literal_slot](repeating: pw_literal_slot(key: 0, length_class: 0, start: 0, count: 0, unused: 0),
                                      count: 1 << tableBits)
        var filter = [UInt64](repeating: 0, count: max(1, (1 << filterBits) / 64))
        var members: [pw_literal_member] = []
        var largestByClass: [UInt32: Int] = [:]
        // In key order, so that the same patterns give the same table.
        for (key, list) in buckets.sorted(by: { ($0.key.lengthClass, $0.key.bytes) < ($1.key.lengthClass, $1.key.bytes) }) {
            // Classes 4 and 8 share the filter's bit of their first 4 bytes.
            let filterHash = key.lengthClass < 4 ? pw_literal_hash(key.bytes, key.lengthClass)
                : pw_literal_hash(key.bytes & 0xFFFF_FFFF, 4)
            let bit = filterHash >> (64 - UInt64(filterBits))
            filter[Int(bit >> 6)] |= 1 << (bit & 63)
            let h = pw_literal_hash(key.bytes, key.lengthClass)
            var s = Int(h >> (64 - UInt64(tableBits)))
            while slots[s].length_class != 0 { s = (s + 1) & (slots.count - 1) }
            slots[s] = pw_literal_slot(key: key.bytes, length_class: key.lengthClass, start: UInt32(members.count),
                                       count: UInt32(list.count), unused: 0)
            for k in list {
                let p = patterns[Int(k)]
                members.append(pw_literal_member(next: little(p, from: Int(key.lengthClass), count: 8), pattern: k,
                                                 length: UInt32(p.count), offset: offsets[Int(k)],
                                                 bounded: leftBounded[Int(k)] ? 1 : 0))
            }
            largestByClass[key.lengthClass] = max(largestByClass[key.lengthClass] ?? 0, list.count)
        }
        // At one position, each length class yields at most its largest bucket.
        let perPosition = max(1, largestByClass.values.reduce(0, +))
        storage = Storage(first: first, filter: filter, slots: slots, members: members, bytes: bytes, filterBits: filterBits,
                          tableBits: tableBits, lengthClasses: lengthClasses, kinds: kinds, perPosition: UInt32(perPosition))
    }

    public var memoryBytes: Int { storage.memoryBytes }

    /// Appends every occurrence as (pattern, end) pairs, in order of start (see the type's
    /// comment for the left-bounded patterns).
    public func scan(_ text: UnsafeBufferPointer<UInt8>, into found: inout [(pattern: Int32, end: Int32)]) {
        guard let base = text.baseAddress, !text.isEmpty else { return }
        let capacity = max(1024, 32 * Int(storage.table.max_per_position))
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * capacity) { out in
            withUnsafePointer(to: storage.table) { table in
                var at = 0
                while at < text.count {
                    var count = 0
                    at = pw_literals_run(table, base, text.count, at, out.baseAddress!, capacity, &count)
                    for k in 0..<count { found.append((out[2 * k], out[2 * k + 1])) }
                }
            }
        }
    }

    static func log2Ceiling(_ n: Int) -> Int {
        var bits = 0
        while (1 << bits) < n { bits += 1 }
        return bits
    }

    /// The arrays, allocated once and never written after `init`, and the C view of them: a
    /// scan takes one reference, not one per array.
    private final class Storage: @unchecked Sendable {
        let table: pw_literal_table
        let memoryBytes: Int
        private let allocations: [UnsafeMutableRawPointer]

        init(first: [UInt8], filter: [UInt64], slots: [pw_literal_slot], members: [pw_literal_member], bytes: [UInt8],
             filterBits: UInt32, tableBits: UInt32, lengthClasses: UInt32, kinds: UInt32, perPosition: UInt32) {
            var allocations: [UnsafeMutableRawPointer] = []
            var total = 0
            func copy<T>(_ a: [T]) -> UnsafePointer<T> {
                let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, a.count))
                a.withUnsafeBufferPointer { src in
                    if let s = src.baseAddress { p.initialize(from: s, count: a.count) }
                }
                allocations.append(UnsafeMutableRawPointer(p))
                total += a.count * MemoryLayout<T>.stride
                return UnsafePointer(p)
            }
            table = pw_literal_table(first: copy(first), filter: copy(filter), slots: copy(slots), members: copy(members),
                                     bytes: copy(bytes), filter_bits: filterBits,
                                     table_bits: tableBits, length_classes: lengthClasses, candidate_kinds: kinds,
                                     max_per_position: perPosition)
            self.allocations = allocations
            memoryBytes = total
        }

        deinit {
            for p in allocations { p.deallocate() }
        }
    }
}

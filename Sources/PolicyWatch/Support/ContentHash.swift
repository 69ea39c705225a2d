import CPolicySIMD
import Foundation

/// Hashes that tell whether content changed or repeats. FNV-1a (StableHash): stable across
/// runs and machines; not a defence against crafted collisions.
public enum ContentHash {
    /// The hash of raw bytes (files: "did this file change?").
    public static func bytes(_ data: Data) -> String {
        hex(data.withUnsafeBytes { StableHash.fnv1a64($0) })
    }

    /// How a story's canonical bytes are hashed. A state keeps the version it started with:
    /// its stored hashes must compare with the new ones (`StoryIndex.storyHashVersion`).
    public enum StoryHashVersion: Int, Sendable {
        /// FNV-1a, a byte at a time (states made before v2).
        case v1 = 1
        /// Eight bytes at a time, then mixed: the same canonical bytes, several times faster
        /// (FNV-1a's one multiplication per byte made it an eighth of a scan's time).
        case v2 = 2
    }

    /// A hash of an article's words, so copies that differ only in case, punctuation, spacing
    /// or markup hash alike: letters and digits are kept (lower-cased), every other run of
    /// characters counts as one separator. Returns the hash and how many letters/digits were
    /// hashed: too short a text ("Read more") must not make unrelated stories duplicates.
    public static func story(title: String, body: String, version: StoryHashVersion = .v2) -> (hash: String, letters: Int) {
        var state = StoryHasher(version: version)
        var title = title, body = body
        title.withUTF8 { state.add($0) }
        state.endOfField()
        body.withUTF8 { state.add($0) }
        return (hex(state.finish()), state.letters)
    }

    /// The story hash over UTF-8 bytes: ASCII, Hangul syllables and CJK ideographs without
    /// Unicode property lookups (a test checks it against the plain definition).
    ///
    /// Two passes per block of input: the text's canonical bytes (letters and digits
    /// lower-cased, one space for each run of anything else) are first written to a small
    /// buffer; then the buffer is hashed (v1 a byte at a time, v2 eight at a time). ASCII and
    /// Hangul syllables are made canonical 16 bytes at a time (`pw_story_canonical` in
    /// CPolicySIMD: SSE2 masks, then each run of kept bytes copied at once); other scalars,
    /// and the last bytes of a text, the plain way, a byte or a scalar at a time.
    struct StoryHasher {
        let version: StoryHashVersion
        /// False: the plain way only (the reference the tests compare the 16-byte path with).
        var vectorised = true
        private var hash: UInt64
        var letters = 0
        var pendingSpace = false
        /// v2: canonical bytes not yet hashed (fewer than 8), and how many bytes were hashed.
        private var tail: (bytes: UInt64, count: Int) = (0, 0)
        private var length = 0

        init(version: StoryHashVersion = .v2) {
            self.version = version
            hash = version == .v1 ? StableHash.fnvOffsetBasis : 0x243F_6A88_85A3_08D3
        }

        /// Lower-cased ASCII letters and digits by byte; 0 for every other ASCII byte.
        private static let asciiCanonical: [UInt8] = (0..<128).map { b in
            let c = UInt8(b)
            if c >= 0x30 && c <= 0x39 || c >= 0x61 && c <= 0x7A { return c }
            if c >= 0x41 && c <= 0x5A { return c | 0x20 }
            return 0
        }

        /// Input bytes per block. The buffer holds 4 blocks: ASCII adds at most one byte per
        /// input byte (plus a space), and the buffer is hashed before a multi-byte scalar
        /// once it holds over 2 blocks (a scalar adds at most a space and 3 lower-case scalars).
        /// The 16-byte path may read 15 bytes past a block and writes 16 bytes at a time: 64
        /// bytes more leave it room.
        private static let block = 512
        private static let capacity = 4 * block + 64

        mutating func endOfField() {
            pendingSpace = letters > 0
        }

        mutating func add(_ u: UnsafeBufferPointer<UInt8>) {
            guard let base = u.baseAddress, !u.isEmpty else { return }
            Self.asciiCanonical.withUnsafeBufferPointer { table in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.capacity) { out in
                    var i = 0
                    while i < u.count {
                        let end = min(u.count, i + Self.block)
                        let (next, m) = canonical(base, count: u.count, from: i, to: end, table: table, into: out.baseAddress!)
                        hashBytes(out.baseAddress!, m)
                        i = next
                    }
                }
            }
        }

        /// Writes the canonical bytes of `u[from..<to]` (and of the scalar or 16-byte block that
        /// starts before `to`, whole) to `out`; returns where it stopped and how many bytes wait
        /// in `out`. `count` is the length of `u` (the 16-byte path reads up to it).
        @inline(__always)
        private mutating func canonical(_ u: UnsafePointer<UInt8>, count: Int, from: Int, to end: Int, table: UnsafeBufferPointer<UInt8>,
                                        into out: UnsafeMutablePointer<UInt8>) -> (next: Int, count: Int) {
            var i = from
            var m = 0
            var letters = self.letters
            var pending = pendingSpace
            // False after a scalar that the 16-byte path does not take, while others follow
            // (Cyrillic, kana...): each try would stop at once.
            var tryBlocks = vectorised
            while i < end {
                if tryBlocks && count - i >= 16 {
                    var state = pw_story_state(letters: Int64(letters), pending: pending ? 1 : 0)
                    var written = 0
                    i += pw_story_canonical(u + i, u + end, u + count, out + m, &written, &state)
                    m += written
                    letters = Int(state.letters)
                    pending = state.pending != 0
                    guard i < end else { break }
                    // Stopped before a scalar it does not take (or near the text's end): the
                    // plain way for that scalar, then back to blocks.
                }
                let b = u[i]
                if b < 0x80 {
                    // No branch on the byte's class: a space and the byte are written, and
                    // counted only when they belong.
                    let c = table[Int(b)]
                    let isLetter = c != 0
                    out[m] = 0x20
                    m &+= isLetter && pending ? 1 : 0
                    out[m] = c
                    m &+= isLetter ? 1 : 0
                    letters &+= isLetter ? 1 : 0
                    pending = isLetter ? false : letters > 0
                    i &+= 1
                    tryBlocks = vectorised
                    continue
                }
                // A multi-byte scalar (the string is valid UTF-8); it may end past `end`.
                if m > 2 * Self.block {
                    hashBytes(out, m)
                    m = 0
                }
                let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                var v = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                for k in 1..<length { v = (v << 6) | (UInt32(u[i + k]) & 0x3F) }
                if isCaselessLetter(v) {
                    // Letters that are their own lower case: their bytes as they are.
                    if pending { out[m] = 0x20; m += 1; pending = false }
                    letters += 1
                    out[m] = u[i]; out[m + 1] = u[i + 1]; out[m + 2] = u[i + 2]
                    m += 3
                } else if let s = Unicode.Scalar(v), s.properties.isAlphabetic || s.properties.numericType != nil {
                    if pending { out[m] = 0x20; m += 1; pending = false }
                    letters += 1
                    for c in s.properties.lowercaseMapping.utf8 {
                        out[m] = c
                        m += 1
                    }
                } else {
                    pending = letters > 0
                }
                i += length
                tryBlocks = vectorised && i < count && (u[i] < 0x80 || (u[i] >= 0xEA && u[i] <= 0xED))
            }
            self.letters = letters
            pendingSpace = pending
            return (i, m)
        }

        /// Hashes canonical bytes (any split of them into calls gives the same hash).
        @inline(__always)
        private mutating func hashBytes(_ p: UnsafeMutablePointer<UInt8>, _ n: Int) {
            var h = hash
            guard version == .v2 else {
                for k in 0..<n {
                    h ^= UInt64(p[k])
                    h = h &* 0x0000_0100_0000_01B3
                }
                hash = h
                return
            }
            var k = 0
            // Complete the word begun by the last call.
            while tail.count > 0 && tail.count < 8 && k < n {
                tail.bytes |= UInt64(p[k]) << (8 * UInt64(tail.count))
                tail.count += 1
                k += 1
            }
            if tail.count == 8 {
                h = Self.mix(h, tail.bytes)
                tail = (0, 0)
            }
            while k + 8 <= n {
                h = Self.mix(h, UnsafeRawPointer(p + k).loadUnaligned(as: UInt64.self).littleEndian)
                k += 8
            }
            while k < n {
                tail.bytes |= UInt64(p[k]) << (8 * UInt64(tail.count))
                tail.count += 1
                k += 1
            }
            length += n
            hash = h
        }

        @inline(__always)
        private static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
            var x = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
            x ^= x >> 29
            return x
        }

        /// The hash of everything added.
        mutating func finish() -> UInt64 {
            guard version == .v2 else { return hash }
            // The last bytes (zero-padded) and the length, then a full avalanche (MurmurHash3's
            // finaliser), so texts that differ only at the end differ in every bit.
            var h = Self.mix(hash, tail.bytes) ^ UInt64(length)
            h ^= h >> 33
            h = h &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 33
            h = h &* 0xC4CE_B9FE_1A85_EC53
            h ^= h >> 33
            return h
        }
    }

    @inline(__always)
    static func isCaselessLetter(_ v: UInt32) -> Bool {
        (v >= 0xAC00 && v <= 0xD7A3) || (v >= 0x4E00 && v <= 0x9FFF)
    }

    static func hex(_ h: UInt64) -> String {
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

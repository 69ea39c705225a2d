/// The normaliser's block path for plain ASCII: 32 bytes classified at once instead of a
/// table lookup and a branch per byte (the branch at each word's end was mispredicted about once
/// a word).
///
/// The bytes are two `SIMD16<UInt8>` and are classified with byte-wise arithmetic only (add,
/// and, or, xor, shift: one SSE2/NEON instruction each for all 16 lanes). Each class is a lane
/// whose high bit is set: `a &+ (0x80 - c)` has its high bit set exactly when the 7-bit byte `a`
/// is at least `c`. Comparison operators (`.<`, `.==`) and `replacing(with:where:)` are avoided:
/// with this toolchain they compiled to per-lane code and made the normaliser ten times slower.
/// The classes then become 32-bit masks (bit i = byte i) by the multiply trick on each 8 bytes.
/// 32 bytes rather than 16 halve the per-block bookkeeping (word starts, origins, the checks
/// around a block) per byte: 21.7 instructions per byte of English text with 16-byte blocks, 18.5 with 32.
///
/// A block prefix is "plain" when every byte is printable ASCII (0x20-0x7E) and no two
/// separators (space, hyphen) are adjacent: then normalising it is a one-to-one byte map (lower
/// case, hyphen to space), the origin of byte `i` is `origin + i`, and the word starts are the
/// word bytes not preceded by a word byte. Anything else (line breaks, tabs, runs of spaces,
/// non-ASCII, a combining mark after the last byte) ends the prefix and the byte-at-a-time
/// path takes over. `NormalizerBlockTests` checks the result against the reference.
enum AsciiBlock {
    static let width = 32

    /// Classes of the 32 bytes, one bit per byte (bit i = byte i).
    struct Classes {
        /// Bytes that end a plain prefix: not printable ASCII.
        var notPlain: UInt64
        /// Space or hyphen.
        var separator: UInt64
        /// Letter, digit or '_' (`ScriptClass.isWordChar` on ASCII).
        var word: UInt64
    }

    typealias Bytes = SIMD16<UInt8>

    /// The high bits of the 8 bytes of `m` as 8 bits (byte i -> bit i).
    @inline(__always) private static func bits(_ m: UInt64) -> UInt64 {
        ((m >> 7) &* 0x0102_0408_1020_4080) >> 56
    }

    /// The high bits of the 16 lanes as 16 bits (lane i -> bit i).
    @inline(__always) private static func mask(_ v: Bytes) -> UInt64 {
        let halves = unsafeBitCast(v, to: SIMD2<UInt64>.self)
        return bits(UInt64(littleEndian: halves[0])) | bits(UInt64(littleEndian: halves[1])) << 8
    }

    /// Classifies the 32 bytes at `src` and writes their normalised form (valid only for the
    /// plain prefix) to `out`. All 32 bytes must be readable and writable.
    @inline(__always)
    static func classify(_ src: UnsafePointer<UInt8>, foldCase: Bool, out: UnsafeMutablePointer<UInt8>) -> Classes {
        let a = classify16(src, foldCase: foldCase, out: out)
        let b = classify16(src + 16, foldCase: foldCase, out: out + 16)
        return Classes(notPlain: a.notPlain | b.notPlain << 16, separator: a.separator | b.separator << 16,
                       word: a.word | b.word << 16)
    }

    /// `classify` of 16 bytes.
    @inline(__always)
    private static func classify16(_ src: UnsafePointer<UInt8>, foldCase: Bool, out: UnsafeMutablePointer<UInt8>) -> Classes {
        let x = UnsafeRawPointer(src).loadUnaligned(as: Bytes.self)
        let high = Bytes(repeating: 0x80)
        // Below, the classes of bytes >= 0x80 are meaningless: `notPlain` flags them.
        let a = x & Bytes(repeating: 0x7F)
        @inline(__always) func atLeast(_ v: Bytes, _ c: UInt8) -> Bytes { (v &+ Bytes(repeating: 0x80 &- c)) & high }
        @inline(__always) func equal(_ c: UInt8) -> Bytes { ~((a ^ Bytes(repeating: c)) &+ Bytes(repeating: 0x7F)) & high }
        let notPlain = (x & high) | (atLeast(a, 0x20) ^ high) | atLeast(a, 0x7F)
        let hyphen = equal(0x2D)
        let separator = equal(0x20) | hyphen
        let folded = a | Bytes(repeating: 0x20)  // A-Z -> a-z; digits stay
        let letter = atLeast(folded, 0x61) & ~atLeast(folded, 0x7B)
        let digit = atLeast(a, 0x30) & ~atLeast(a, 0x3A)
        let word = letter | digit | equal(0x5F)
        // '-' (0x2D) -> ' ' (0x20): clear 0x0D where the lane is all ones (0 - 1); shifting the
        // marker to other bits instead compiled to multiplications.
        var mapped = a & ~((Bytes(repeating: 0) &- (hyphen &>> 7)) & Bytes(repeating: 0x0D))
        if foldCase {
            let upper = atLeast(a, 0x41) & ~atLeast(a, 0x5B)
            mapped |= upper &>> 2  // + 0x20
        }
        UnsafeMutableRawPointer(out).storeBytes(of: mapped, as: Bytes.self)
        return Classes(notPlain: mask(notPlain), separator: mask(separator), word: mask(word))
    }

    /// Writes `origin`, `origin + 1` ... `origin + 31` (in vector stores: the scalar loop was a
    /// fifth of the block path's instructions). The lane indices are a literal here: as a
    /// `static let` each block paid a `swift_once` call.
    @inline(__always)
    static func writeOrigins(_ to: UnsafeMutablePointer<Int32>, from origin: Int32) {
        let lanes = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let first = SIMD16<Int32>(repeating: origin) &+ lanes
        UnsafeMutableRawPointer(to).storeBytes(of: first, as: SIMD16<Int32>.self)
        UnsafeMutableRawPointer(to + 16).storeBytes(of: first &+ SIMD16<Int32>(repeating: 16), as: SIMD16<Int32>.self)
    }

    /// Length of the plain prefix: up to the first byte not plain or the first of two adjacent
    /// separators (the caller then trims a byte a combining mark follows, and a trailing separator).
    @inline(__always)
    static func plainLength(_ c: Classes) -> Int {
        let bad = c.notPlain | (c.separator & (c.separator >> 1))
        return bad == 0 ? width : bad.trailingZeroBitCount
    }
}

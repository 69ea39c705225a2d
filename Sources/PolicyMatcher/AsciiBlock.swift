/// The normaliser's block path for plain ASCII: sixteen bytes classified at once, as two
/// 64-bit words (SWAR: "SIMD within a register"), instead of a table lookup and a branch per
/// byte (the branch at each word's end was mispredicted about once a word). Swift's
/// `SIMD16<UInt8>` was tried first: its comparisons and masks compiled to per-lane code and
/// the normaliser became ten times slower.
///
/// A block prefix is "plain" when every byte is printable ASCII (0x20-0x7E) and no two
/// separators (space, hyphen) are adjacent: then normalising it is a one-to-one byte map (lower
/// case, hyphen to space), the origin of byte `i` is `origin + i`, and the word starts are the
/// word bytes not preceded by a word byte. Anything else (line breaks, tabs, runs of spaces,
/// non-ASCII, a combining mark after the last byte) ends the prefix and the byte-at-a-time
/// path takes over. `NormalizerBlockTests` checks the result against the reference.
enum AsciiBlock {
    static let width = 16

    /// Classes of the 16 bytes, one bit per byte (bit i = byte i).
    struct Classes {
        /// Bytes that end a plain prefix: not printable ASCII.
        var notPlain: UInt32
        /// Space or hyphen.
        var separator: UInt32
        /// Letter, digit or '_' (`ScriptClass.isWordChar` on ASCII).
        var word: UInt32
    }

    private static let high: UInt64 = 0x8080_8080_8080_8080

    @inline(__always) private static func repeated(_ b: UInt8) -> UInt64 { UInt64(b) &* 0x0101_0101_0101_0101 }

    /// High bit of each byte set where the byte (< 0x80) is >= c (1 <= c <= 0x80): no carry
    /// crosses bytes since each sum stays below 0x100.
    @inline(__always) private static func atLeast(_ x: UInt64, _ c: UInt8) -> UInt64 { (x &+ repeated(0x80 &- c)) & high }

    /// High bit of each byte set where the byte (< 0x80) equals c (< 0x80).
    @inline(__always) private static func equal(_ x: UInt64, _ c: UInt8) -> UInt64 {
        let t = x ^ repeated(c)
        return ~(t &+ repeated(0x7F)) & high
    }

    /// The high bits of the 8 bytes as 8 bits (byte i -> bit i).
    @inline(__always) private static func bits(_ m: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: ((m >> 7) &* 0x0102_0408_1020_4080) >> 56)
    }

    /// Classifies 8 bytes and writes their normalised form to `out`.
    @inline(__always)
    private static func word8(_ x: UInt64, foldCase: Bool, out: UnsafeMutableRawPointer) -> Classes {
        let nonASCII = x & high
        // Below, comparisons assume bytes < 0x80; bytes >= 0x80 are flagged and never used.
        let a = x & ~high
        let notPlain = nonASCII | (high & ~atLeast(a, 0x20)) | equal(a, 0x7F)
        let space = equal(a, 0x20), hyphen = equal(a, 0x2D)
        let folded = a | repeated(0x20)
        let letter = atLeast(folded, 0x61) & ~atLeast(folded, 0x7B)
        let digit = atLeast(a, 0x30) & ~atLeast(a, 0x3A)
        let word = letter | digit | equal(a, 0x5F)
        var mapped = a & ~((hyphen >> 7) &* 0x0D)  // '-' (0x2D) -> ' ' (0x20)
        if foldCase {
            let upper = atLeast(a, 0x41) & ~atLeast(a, 0x5B)
            mapped |= upper >> 2  // + 0x20
        }
        out.storeBytes(of: mapped.littleEndian, as: UInt64.self)
        return Classes(notPlain: bits(notPlain), separator: bits(space | hyphen), word: bits(word))
    }

    /// Classifies the 16 bytes at `src` and writes their normalised form (valid only for the
    /// plain prefix) to `out`. All 16 bytes must be readable and writable.
    @inline(__always)
    static func classify(_ src: UnsafePointer<UInt8>, foldCase: Bool, out: UnsafeMutablePointer<UInt8>) -> Classes {
        let raw = UnsafeRawPointer(src)
        let lo = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        let hi = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let a = word8(lo, foldCase: foldCase, out: UnsafeMutableRawPointer(out))
        let b = word8(hi, foldCase: foldCase, out: UnsafeMutableRawPointer(out) + 8)
        return Classes(notPlain: a.notPlain | b.notPlain << 8, separator: a.separator | b.separator << 8,
                       word: a.word | b.word << 8)
    }

    private static let laneIndex = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    /// Writes `origin`, `origin + 1` ... `origin + 15` (in one vector store: the scalar loop was a
    /// fifth of the block path's instructions).
    @inline(__always)
    static func writeOrigins(_ to: UnsafeMutablePointer<Int32>, from origin: Int32) {
        UnsafeMutableRawPointer(to).storeBytes(of: SIMD16<Int32>(repeating: origin) &+ laneIndex, as: SIMD16<Int32>.self)
    }

    /// Length of the plain prefix: up to the first byte not plain or the first of two adjacent
    /// separators (the caller then trims a byte a combining mark follows, and a trailing separator).
    @inline(__always)
    static func plainLength(_ c: Classes) -> Int {
        let bad = c.notPlain | (c.separator & (c.separator >> 1))
        return bad == 0 ? width : bad.trailingZeroBitCount
    }
}

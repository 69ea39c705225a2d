import CPolicySIMD

/// The normaliser's block path for plain ASCII: 32 bytes classified at once instead of a
/// table lookup and a branch per byte (the branch at each word's end was mispredicted about once
/// a word).
///
/// The classification is C (`pw_ascii_classify32` in CPolicySIMD): SSE2 compares, and one
/// `movemask` per class and 16 bytes to make the masks (bit i = byte i). Swift's `SIMD16<UInt8>`
/// could do the arithmetic, but not the movemask (a multiply per 8 bytes per class instead); the
/// C version takes about a third of the instructions. 32 bytes rather than 16 halve the
/// per-block bookkeeping (word starts, origins, the checks around a block) per byte.
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

    /// Classifies the 32 bytes at `src` and writes their normalised form (valid only for the
    /// plain prefix) to `out`. All 32 bytes must be readable and writable.
    @inline(__always)
    static func classify(_ src: UnsafePointer<UInt8>, foldCase: Bool, out: UnsafeMutablePointer<UInt8>) -> Classes {
        let c = pw_ascii_classify32(src, foldCase ? 1 : 0, out)
        return Classes(notPlain: UInt64(c.not_plain), separator: UInt64(c.separator), word: UInt64(c.word))
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

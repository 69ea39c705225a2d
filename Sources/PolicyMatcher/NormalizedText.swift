import Foundation
import CPolicySIMD

/// A field's text after normalisation, with the map back to the original.
///
/// Normalisation: NFKC, lower case, curly quotes and dashes made plain,
/// every run of spaces, hyphens and line breaks made one space, and spaces between
/// two Hangul/kana/Han characters dropped (so "공동 로드맵" and "공동로드맵" are the
/// same text). Matching runs over the UTF-8 bytes of the result.
public struct NormalizedText: Sendable {
    /// UTF-8 of the normalised text.
    public internal(set) var bytes: [UInt8]
    /// For each byte, the code-point offset in the original text of the character it came from.
    public internal(set) var originOffsets: [Int32]
    /// Code points in the original text.
    public internal(set) var originLength: Int
    /// Byte offsets where a word (token) starts, including Korean words whose separating
    /// space was dropped. Sorted.
    public internal(set) var wordStarts: [Int32]
    /// Byte offsets where a paragraph starts (after a blank line). Sorted, starts with 0.
    public internal(set) var paragraphStarts: [Int32]
    /// Where spaces between CJK characters were dropped: the byte offset of the character
    /// after the gap, and the original offset where the gap began (so evidence never
    /// ends with a space that is not part of the match).
    var gapBytes: [Int32] = []
    var gapOrigins: [Int32] = []

    /// The original code-point range of the normalised byte range `start..<end`.
    public func originRange(start: Int, end: Int) -> Range<Int> {
        guard start < end, start < bytes.count else {
            let o = start < originOffsets.count ? Int(originOffsets[start]) : originLength
            return o..<o
        }
        let lo = Int(originOffsets[start])
        let last = Int(originOffsets[end - 1])
        var j = end
        // The match may end inside the expansion of one character ("ﬁ" -> "fi"): skip to the next character.
        while j < originOffsets.count && Int(originOffsets[j]) <= last { j += 1 }
        var hi = j < originOffsets.count ? Int(originOffsets[j]) : originLength
        if j < originOffsets.count, let g = Self.search(gapBytes, Int32(j)) { hi = Int(gapOrigins[g]) }
        return lo..<max(lo, hi)
    }

    static func search(_ a: [Int32], _ x: Int32) -> Int? {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo < a.count && a[lo] == x ? lo : nil
    }

    /// The normalised text as a String (for tests and debugging).
    public var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// Turns text into `NormalizedText`. Holds a cache of non-ASCII characters; make one per
/// thread (it is a value type, cheap to copy before use).
public struct TextNormalizer: Sendable {
    private var cache: [String: [UInt8]] = [:]
    /// Folded forms of single-scalar characters (most non-ASCII text), keyed by scalar.
    private var scalarCache: [UInt32: [UInt8]] = [:]
    /// When false, case is kept (used to verify `cased` terms).
    public var foldCase: Bool

    public init(foldCase: Bool = true) {
        self.foldCase = foldCase
    }

    private static let separator: UInt8 = 0x20

    /// Normalises `text`.
    public mutating func normalize(_ text: String) -> NormalizedText {
        var text = text
        return text.withUTF8 { normalize(utf8: $0) }
    }

    /// Normalises UTF-8 text (valid UTF-8, as a String's).
    ///
    /// The output is written straight into the storage of the result's arrays (made with
    /// `Array(unsafeUninitializedCapacity:)`), not into buffers of the normaliser copied out at
    /// the end: that copy wrote 5 more bytes per input byte. Their capacity is a bound that ASCII
    /// and Hangul never exceed (at most one separator byte more than they read, plus a block's
    /// width of slack); text whose folded forms grow past it moves to buffers of the writer's own,
    /// copied into the arrays at the end (`Writer.grow`), so any input is handled, only slower.
    public mutating func normalize(utf8 src: UnsafeBufferPointer<UInt8>) -> NormalizedText {
        // What `Scratch` holds is kept from one call to the next; a copy of this normaliser gets
        // its own on first use, never a shared one.
        if !isKnownUniquelyReferenced(&scratch) { scratch = Scratch() }
        let capacity = src.count + src.count / 8 + 2 * AsciiBlock.width + 8
        // A word start needs a byte that is not a word byte before it: at most one per two bytes.
        let wordStartCapacity = capacity / 2 + 4
        var scalars = 0
        var rest = Writer.Rest()
        var grown: Writer?
        var origins: [Int32] = []
        var wordStarts: [Int32] = []
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { bytesOut, bytesCount in
            origins = [Int32](unsafeUninitializedCapacity: capacity) { originsOut, originsCount in
                wordStarts = [Int32](unsafeUninitializedCapacity: wordStartCapacity) { startsOut, startsCount in
                    var w = Writer(bytes: bytesOut.baseAddress!, origins: originsOut.baseAddress!,
                                   capacity: min(bytesOut.count, originsOut.count),
                                   wordStarts: startsOut.baseAddress!, wordStartCapacity: startsOut.count,
                                   padding: scratch.padding, tables: scratch.tables, gaps: scratch.gaps,
                                   paragraphs: scratch.paragraphs)
                    scalars = run(src, &w)
                    rest = w.rest
                    scratch.keepLists(w)
                    // Buffers the writer had to move to are copied below; the arrays' own stay empty.
                    bytesCount = w.ownsBytes ? 0 : w.count
                    originsCount = bytesCount
                    startsCount = w.ownsWordStarts ? 0 : w.wordStartCount
                    if w.ownsBytes || w.ownsWordStarts { grown = w }
                }
            }
        }
        var t = NormalizedText(bytes: bytes, originOffsets: origins, originLength: scalars,
                               wordStarts: wordStarts, paragraphStarts: rest.paragraphStarts)
        t.gapBytes = rest.gapBytes
        t.gapOrigins = rest.gapOrigins
        if let w = grown { w.finish(into: &t) }
        return t
    }

    /// What the normaliser keeps between calls.
    private var scratch = Scratch()

    /// Kept by `normalize` from one call to the next: the room for the last block of a text
    /// (`asciiRun`), the byte tables, the lists of gaps and paragraph starts. Owned by one
    /// normaliser at a time (see the uniqueness check there), which is why sharing it between
    /// threads cannot happen.
    final class Scratch: @unchecked Sendable {
        let padding = UnsafeMutablePointer<UInt8>.allocate(capacity: AsciiBlock.width)
        /// The byte path's tables (`asciiKind`, `asciiLower`, `asciiSame`, 128 bytes each), copied
        /// here once: reading the `static let`s cost a `swift_once` each and a retain per ASCII run.
        let tables: UnsafeMutablePointer<UInt8> = {
            let t = UnsafeMutablePointer<UInt8>.allocate(capacity: 3 * 128)
            for b in 0..<128 {
                t[b] = TextNormalizer.asciiKind[b]
                t[128 + b] = TextNormalizer.asciiLower[b]
                t[256 + b] = TextNormalizer.asciiSame[b]
            }
            return t
        }()
        /// The writer's gaps and paragraph starts, copied into the result's arrays at the end.
        private(set) var gaps = Int32List(capacity: 64)
        private(set) var paragraphs = Int32List(capacity: 16)

        /// Takes back the lists (the writer may have grown them), emptied.
        func keepLists(_ w: Writer) {
            gaps = w.gaps
            gaps.count = 0
            paragraphs = w.paragraphs
            paragraphs.count = 0
        }

        deinit {
            padding.deallocate()
            tables.deallocate()
            gaps.base.deallocate()
            paragraphs.base.deallocate()
        }
    }

    /// A list of `Int32` in memory the normaliser keeps between calls (`Scratch`): appending to
    /// a Swift array (uniqueness and capacity checks, a new array per field) cost a tenth of the
    /// Korean text's time for its gaps, and paragraph starts grew a fresh array each time.
    struct Int32List {
        var base: UnsafeMutablePointer<Int32>
        var count = 0
        var capacity: Int

        init(capacity: Int) {
            base = .allocate(capacity: capacity)
            self.capacity = capacity
        }

        @inline(__always)
        mutating func append(_ x: Int32) {
            if count == capacity { grow() }
            base[count] = x
            count += 1
        }

        mutating func grow() {
            let p = UnsafeMutablePointer<Int32>.allocate(capacity: 2 * capacity)
            p.update(from: base, count: count)
            base.deallocate()
            base = p
            capacity *= 2
        }

        /// Every `stride`-th element from `first` on, as an array (with `prefix` before them).
        func array(prefix: Int32? = nil, first: Int = 0, stride: Int = 1) -> [Int32] {
            let n = (count - first + stride - 1) / stride + (prefix == nil ? 0 : 1)
            return [Int32](unsafeUninitializedCapacity: n) { b, k in
                var o = 0
                if let p = prefix {
                    b[0] = p
                    o = 1
                }
                for g in Swift.stride(from: first, to: count, by: stride) {
                    b[o] = base[g]
                    o += 1
                }
                k = n
            }
        }
    }

    /// The output being built, through pointers: appending to Swift arrays one byte at a time
    /// (uniqueness and capacity checks) was most of the normaliser's cost. The buffers are the
    /// result arrays' storage until one has to grow; then the writer allocates its own
    /// (`ownsBytes`, `ownsWordStarts`) and frees them in `finish`.
    struct Writer {
        var bytes: UnsafeMutablePointer<UInt8>
        var origins: UnsafeMutablePointer<Int32>
        var count = 0
        var capacity: Int
        /// Whether `bytes` and `origins` (together) or `wordStarts` were allocated by the writer.
        var ownsBytes = false
        var ownsWordStarts = false
        /// Word starts, in a buffer of their own for the same reason (`appendWordStart`).
        var wordStarts: UnsafeMutablePointer<Int32>
        var wordStartCount = 0
        var wordStartCapacity: Int
        /// Room for the last block of a text, padded (`asciiRun`).
        let padding: UnsafeMutablePointer<UInt8>
        /// `Scratch.tables`.
        let tables: UnsafeMutablePointer<UInt8>
        /// Paragraph starts after the first (0). Most fields have none: then the result's are
        /// one shared `[0]`, and nothing is allocated.
        var paragraphs: Int32List
        static let firstParagraph: [Int32] = [0]
        /// Gaps as pairs (byte offset, original offset): Korean text has one per word.
        var gaps: Int32List
        // Separator and word state.
        var pendingSeparator = false
        var pendingOrigin: Int32 = 0
        var newlinesInSeparator = 0
        var lastWasCJK = false
        var inWord = false

        init(bytes: UnsafeMutablePointer<UInt8>, origins: UnsafeMutablePointer<Int32>, capacity: Int,
             wordStarts: UnsafeMutablePointer<Int32>, wordStartCapacity: Int, padding: UnsafeMutablePointer<UInt8>,
             tables: UnsafeMutablePointer<UInt8>, gaps: Int32List, paragraphs: Int32List) {
            self.padding = padding
            self.tables = tables
            self.gaps = gaps
            self.paragraphs = paragraphs
            self.bytes = bytes
            self.origins = origins
            self.capacity = capacity
            self.wordStarts = wordStarts
            self.wordStartCapacity = wordStartCapacity
        }

        /// Room for `extra` more word starts.
        @inline(__always)
        mutating func reserveWordStarts(_ extra: Int) {
            if wordStartCount + extra > wordStartCapacity {
                let newCapacity = max(wordStartCount + extra, wordStartCapacity * 2)
                let p = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
                p.update(from: wordStarts, count: wordStartCount)
                if ownsWordStarts { wordStarts.deallocate() }
                ownsWordStarts = true
                wordStarts = p
                wordStartCapacity = newCapacity
            }
        }

        /// Records a gap: spaces dropped before byte `at`, which began at original offset `origin`.
        @inline(__always)
        mutating func appendGap(_ at: Int32, origin: Int32) {
            if gaps.count + 2 > gaps.capacity { gaps.grow() }
            gaps.base[gaps.count] = at
            gaps.base[gaps.count + 1] = origin
            gaps.count += 2
        }

        @inline(__always)
        mutating func appendWordStart(_ at: Int32) {
            reserveWordStarts(1)
            wordStarts[wordStartCount] = at
            wordStartCount += 1
        }

        @inline(__always)
        mutating func reserve(_ extra: Int) {
            if count + extra > capacity { grow(count + extra) }
        }

        mutating func grow(_ needed: Int) {
            let newCapacity = max(needed, capacity * 2)
            let b = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            b.update(from: bytes, count: count)
            let o = UnsafeMutablePointer<Int32>.allocate(capacity: newCapacity)
            o.update(from: origins, count: count)
            if ownsBytes {
                bytes.deallocate()
                origins.deallocate()
            }
            ownsBytes = true
            bytes = b
            origins = o
            capacity = newCapacity
        }

        /// An array of the first `count` elements at `p`, in one `memcpy` (`Array(UnsafeBufferPointer)`
        /// copied `Int32`s one at a time: 4 instructions per byte of text).
        static func array<T: BitwiseCopyable>(_ p: UnsafeMutablePointer<T>, _ count: Int) -> [T] {
            guard count > 0 else { return [] }
            return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: p, byteCount: count * MemoryLayout<T>.stride)
                initialized = count
            }
        }

        @inline(__always)
        mutating func put(_ b: UInt8, _ origin: Int32) {
            reserve(1)
            bytes[count] = b
            origins[count] = origin
            count += 1
        }

        @inline(__always)
        mutating func separator(origin: Int32, newline: Bool) {
            if !pendingSeparator { pendingOrigin = origin }
            pendingSeparator = true
            if newline { newlinesInSeparator += 1 }
        }

        /// Starts a character: settles a pending separator and word starts.
        @inline(__always)
        mutating func begin(firstScalar: UInt32, cjk: Bool) {
            if pendingSeparator {
                if newlinesInSeparator >= 2 && count > 0 { paragraphs.append(Int32(count)) }
                // Spaces between two CJK characters vanish; elsewhere a run becomes one space.
                if cjk && lastWasCJK {
                    appendGap(Int32(count), origin: pendingOrigin)
                } else if count > 0 {
                    put(TextNormalizer.separator, pendingOrigin)
                }
                pendingSeparator = false
                newlinesInSeparator = 0
                inWord = false
            }
            let isWordish = cjk || ScriptClass.isWordChar(firstScalar)
            if isWordish && !inWord { appendWordStart(Int32(count)) }
            inWord = isWordish
            // The last scalar decides adjacency for the next character.
            lastWasCJK = cjk
        }

        /// Emits one output character (the UTF-8 of one scalar).
        @inline(__always)
        mutating func emit(_ src: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int, origin: Int32, firstScalar: UInt32) {
            begin(firstScalar: firstScalar, cjk: ScriptClass.isCJK(firstScalar))
            reserve(hi - lo)
            for k in lo..<hi {
                bytes[count] = src[k]
                origins[count] = origin
                count += 1
            }
        }

        /// What is not written through pointers.
        struct Rest {
            var paragraphStarts: [Int32] = []
            var gapBytes: [Int32] = []
            var gapOrigins: [Int32] = []
        }

        var rest: Rest {
            let starts = paragraphs.count == 0 ? Writer.firstParagraph : paragraphs.array(prefix: 0)
            guard gaps.count > 0 else { return Rest(paragraphStarts: starts) }
            return Rest(paragraphStarts: starts, gapBytes: gaps.array(first: 0, stride: 2),
                        gapOrigins: gaps.array(first: 1, stride: 2))
        }

        /// Copies the buffers the writer allocated into `t`'s arrays, and frees them.
        func finish(into t: inout NormalizedText) {
            if ownsBytes {
                t.bytes = Self.array(bytes, count)
                t.originOffsets = Self.array(origins, count)
                bytes.deallocate()
                origins.deallocate()
            }
            if ownsWordStarts {
                t.wordStarts = Self.array(wordStarts, wordStartCount)
                wordStarts.deallocate()
            }
        }
    }

    /// Returns the number of scalars read.
    private mutating func run(_ src: UnsafeBufferPointer<UInt8>, _ w: inout Writer) -> Int {
        var i = 0
        var scalarIndex: Int32 = 0  // code-point offset of src[i]
        let n = src.count
        while i < n {
            if src[i] < 0x80 {
                let stop = asciiRun(src, from: i, scalarIndex: &scalarIndex, &w)
                if stop > i {
                    i = stop
                    continue
                }
            } else if src[i] >= 0xEA && src[i] <= 0xED {
                let stop = hangulRun(src, from: i, scalarIndex: &scalarIndex, &w)
                if stop > i {
                    i = stop
                    continue
                }
            }
            // One extended character (a scalar plus the marks and jamo that join it).
            let start = i
            var scalars: Int32 = 1
            var (v, len) = UTF8Scalar.decode(src, at: i)
            i += len
            var prev = v
            while i < n {
                let (x, l) = UTF8Scalar.decode(src, at: i)
                guard Self.joins(previous: prev, next: x) else { break }
                i += l
                scalars += 1
                prev = x
            }
            let origin = scalarIndex
            scalarIndex += scalars
            if scalars == 1 {
                if let special = Self.special(v) {
                    switch special {
                    case .drop: break
                    case .separator(let newline): w.separator(origin: origin, newline: newline)
                    case .replace(let c):
                        v = UInt32(c)
                        w.begin(firstScalar: v, cjk: false)
                        w.put(c, origin)
                    }
                    continue
                }
                // Hangul syllables and unified Han ideographs are their own NFKC and have no case.
                if (0xAC00...0xD7A3).contains(v) || (0x4E00...0x9FFF).contains(v) {
                    w.emit(src, start, i, origin: origin, firstScalar: v)
                    continue
                }
                let folded: [UInt8]
                if let hit = scalarCache[v] {
                    folded = hit
                } else {
                    folded = fold(String(decoding: UnsafeBufferPointer(rebasing: src[start..<i]), as: UTF8.self))
                    if scalarCache.count < 50_000 { scalarCache[v] = folded }
                }
                emitFolded(folded, origin: origin, &w)
                continue
            }
            let key = String(decoding: UnsafeBufferPointer(rebasing: src[start..<i]), as: UTF8.self)
            let folded: [UInt8]
            if let hit = cache[key] {
                folded = hit
            } else {
                folded = fold(key)
                if cache.count < 50_000 { cache[key] = folded }
            }
            emitFolded(folded, origin: origin, &w)
        }
        return Int(scalarIndex)
    }

    /// ASCII byte kinds for `asciiRun`.
    private enum Kind {
        static let word: UInt8 = 0  // letter, digit, '_'
        static let other: UInt8 = 1  // punctuation and symbols: a character of its own
        static let space: UInt8 = 2  // space, tab, hyphen, control characters
        static let lineFeed: UInt8 = 3
        static let carriageReturn: UInt8 = 4
    }

    fileprivate static let asciiKind: [UInt8] = (0..<128).map { b -> UInt8 in
        switch b {
        case 0x0A: return Kind.lineFeed
        case 0x0D: return Kind.carriageReturn
        case 0x00...0x1F, 0x20, 0x2D, 0x7F: return Kind.space
        default: return ScriptClass.isWordChar(UInt32(b)) ? Kind.word : Kind.other
        }
    }

    fileprivate static let asciiLower: [UInt8] = (0..<128).map { (b: Int) -> UInt8 in
        let c = UInt8(b)
        return c >= 0x41 && c <= 0x5A ? c + 0x20 : c
    }
    fileprivate static let asciiSame: [UInt8] = (0..<128).map { (b: Int) -> UInt8 in UInt8(b) }

    /// Normalises the ASCII characters from `start` on, up to the first non-ASCII byte or an
    /// ASCII character followed by a combining mark; returns where it stopped. The hot loop of
    /// the normaliser: table-driven, state in locals, capacity reserved once (ASCII never
    /// expands: at most one separator byte more than it reads).
    @inline(__always)
    private func asciiRun(_ src: UnsafeBufferPointer<UInt8>, from start: Int, scalarIndex: inout Int32,
                          _ w: inout Writer) -> Int {
        let n = src.count
        // ASCII never expands (at most one separator byte more than it reads); a block writes
        // a whole block's bytes and origins, even when only a prefix of them counts.
        w.reserve(n - start + 1 + AsciiBlock.width)
        // A word start needs a byte that is not a word before it: at most one every two bytes.
        w.reserveWordStarts((n - start) / 2 + 2)
        let sp = w.wordStarts
        var starts = w.wordStartCount
        let bp = w.bytes, op = w.origins
        var count = w.count
        var pending = w.pendingSeparator
        var pendingOrigin = w.pendingOrigin
        var newlines = w.newlinesInSeparator
        var inWord = w.inWord
        var lastWasCJK = w.lastWasCJK
        var origin = scalarIndex
        var j = start
        let kinds = w.tables, map = w.tables + (foldCase ? 128 : 256)
        while j < n {
            // 32 bytes at a time while the text is plain (see `AsciiBlock`); only where the
            // next two bytes are ASCII too (between Korean words a lone space or ". " is the
            // common case, and a block there would stop at once). The last block of a text is read from
            // a copy padded with zeros (not plain: the prefix stops at the end).
            while j + 2 < n && src[j + 1] < 0x80 && src[j + 2] < 0x80 {
                var block = src.baseAddress! + j
                if j + AsciiBlock.width > n {
                    w.padding.update(repeating: 0, count: AsciiBlock.width)
                    w.padding.update(from: block, count: n - j)
                    block = UnsafePointer(w.padding)
                }
                // A pending separator is written first, when the block goes ahead.
                let shift = pending && count > 0 ? 1 : 0
                let classes = AsciiBlock.classify(block, foldCase: foldCase, out: bp + count + shift)
                var k = AsciiBlock.plainLength(classes)
                // A combining mark after the last byte belongs to it: the full path takes both.
                if k > 0 && j + k < n && src[j + k] >= 0xCC && Self.startsCombining(src, j + k) { k -= 1 }
                // A leading separator may extend a pending run, lead the text (dropped) or, after
                // a CJK character, vanish if the run ends before another: the byte path decides.
                // Otherwise it is written as a separator run of one would be.
                if k == 0 || (classes.separator & 1 != 0 && (pending || count == 0 || lastWasCJK)) { break }
                if pending {
                    // As `Writer.begin` settles it before a non-CJK character.
                    if newlines >= 2 && count > 0 { w.paragraphs.append(Int32(count)) }
                    if count > 0 {
                        bp[count] = TextNormalizer.separator
                        op[count] = pendingOrigin
                        count += 1
                    }
                    pending = false
                    newlines = 0
                    inWord = false
                }
                let keep: UInt64 = (1 << UInt64(k)) &- 1
                let wordBits = classes.word & keep
                var startBits = wordBits & ~((wordBits << 1) | (inWord ? 1 : 0))
                while startBits != 0 {
                    sp[starts] = Int32(truncatingIfNeeded: count &+ startBits.trailingZeroBitCount)
                    starts &+= 1
                    startBits &= startBits &- 1
                }
                inWord = wordBits & (1 << UInt64(k - 1)) != 0
                // The origin of each byte is its own code-point offset: ASCII is one byte a code point.
                AsciiBlock.writeOrigins(op + count, from: origin)
                lastWasCJK = false
                if classes.separator & (1 << UInt64(k - 1)) != 0 {
                    // A trailing separator stays pending: what follows decides whether it is written.
                    pending = true
                    pendingOrigin = origin &+ Int32(truncatingIfNeeded: k &- 1)
                    count &+= k &- 1
                } else {
                    count &+= k
                }
                origin &+= Int32(truncatingIfNeeded: k)
                j &+= k
                if k < AsciiBlock.width { break }
                // A whole block that ends on a byte that is not a separator: the blocks
                // that follow, while just as plain, go through the C loop (same rules,
                // without this loop's questions about what came before a block).
                if !pending {
                    var taken = starts
                    var word: Int32 = inWord ? 1 : 0
                    let blocks = pw_ascii_plain_blocks(
                        src.baseAddress! + j, src.baseAddress! + n, foldCase ? 1 : 0, bp + count, op + count, origin,
                        Int32(truncatingIfNeeded: count), sp, &taken, &word)
                    starts = taken
                    inWord = word != 0
                    count &+= blocks &* AsciiBlock.width
                    origin &+= Int32(truncatingIfNeeded: blocks &* AsciiBlock.width)
                    j &+= blocks &* AsciiBlock.width
                }
            }
            guard j < n else { break }
            let b = src[j]
            guard b < 0x80 else { break }
            // A combining mark after this character belongs to it: the slow path takes both.
            if j + 1 < n && src[j + 1] >= 0xCC && Self.startsCombining(src, j + 1) { break }
            let kind = kinds[Int(b)]
            if kind <= Kind.other {
                if pending {
                    if newlines >= 2 && count > 0 { w.paragraphs.append(Int32(count)) }
                    if count > 0 {
                        bp[count] = TextNormalizer.separator
                        op[count] = pendingOrigin
                        count += 1
                    }
                    pending = false
                    newlines = 0
                    inWord = false
                }
                let isWord = kind == Kind.word
                if isWord && !inWord { sp[starts] = Int32(count)
                    starts += 1 }
                inWord = isWord
                lastWasCJK = false
                bp[count] = map[Int(b)]
                op[count] = origin
                count += 1
                origin += 1
                j += 1
                // The rest of the word, with nothing to decide but the combining check.
                if isWord {
                    while j < n {
                        let c = src[j]
                        guard c < 0x80, kinds[Int(c)] == Kind.word else { break }
                        if j + 1 < n && src[j + 1] >= 0xCC && Self.startsCombining(src, j + 1) { break }
                        bp[count] = map[Int(c)]
                        op[count] = origin
                        count += 1
                        origin += 1
                        j += 1
                    }
                }
                continue
            }
            if !pending { pendingOrigin = origin }
            pending = true
            // CRLF counts as one line break.
            if kind == Kind.lineFeed || (kind == Kind.carriageReturn && !(j + 1 < n && src[j + 1] == 0x0A)) { newlines += 1 }
            origin += 1
            j += 1
        }
        w.count = count
        w.wordStartCount = starts
        w.pendingSeparator = pending
        w.pendingOrigin = pendingOrigin
        w.newlinesInSeparator = newlines
        w.inWord = inWord
        w.lastWasCJK = lastWasCJK
        scalarIndex = origin
        return j
    }

    /// Hangul syllables from `start` on (U+AC00-D7A3, their own NFKC, no case), copied as
    /// they are while nothing joins them; returns where it stopped. Korean is a fifth of the
    /// benchmark corpus and each syllable took the general path's lookups.
    ///
    /// Up to 5 syllables (15 bytes) per step: the syllables' lead bytes are found 16 bytes at a
    /// time (`pw_hangul_leads16`, SSE2), the bytes and their origins copied in vector stores. Only
    /// a character after the last syllable that is neither ASCII nor a syllable is decoded, to see
    /// whether it joins that syllable (a combining mark, a jamo): then that syllable is left to
    /// the full path. Near the end of the text, one syllable at a time.
    private func hangulRun(_ src: UnsafeBufferPointer<UInt8>, from start: Int, scalarIndex: inout Int32,
                           _ w: inout Writer) -> Int {
        let n = src.count
        let base = src.baseAddress!
        @inline(__always) func syllable(at k: Int) -> Bool {
            // U+AC00-D7A3 is EA B0 80 ... ED 9E A3 in UTF-8; EB and EC lead only syllables.
            guard k + 2 < n else { return false }
            let lead = src[k]
            if lead &- 0xEB < 2 { return true }
            let v = (UInt32(lead & 0x0F) << 12) | (UInt32(src[k + 1] & 0x3F) << 6) | UInt32(src[k + 2] & 0x3F)
            return lead >= 0xEA && lead <= 0xED && v >= 0xAC00 && v <= 0xD7A3
        }
        /// Whether the character at `k`, after a syllable, joins it.
        @inline(__always) func joinsPrevious(at k: Int) -> Bool {
            k < n && src[k] >= 0x80 && !syllable(at: k) && Self.joinsSyllable(UTF8Scalar.decode(src, at: k).0)
        }
        var j = start
        guard syllable(at: j) && !joinsPrevious(at: j + 3) else { return j }
        // Settles a pending separator and the word start; for the syllables after it `begin`
        // would change nothing (in a word, last character CJK), so it is not called again.
        w.begin(firstScalar: 0xAC00, cjk: true)
        // The vector stores write up to 16 bytes and origins past the end of what they copy.
        w.reserve(n - j + 16)
        // A word start per absorbed space (below): at most one per 4 bytes.
        w.reserveWordStarts((n - j) / 4 + 1)
        let bp = w.bytes, op = w.origins
        var count = w.count
        var origin = scalarIndex
        // Origins of 5 syllables (15 bytes) and the first byte of the sixth.
        let thirds = SIMD16<Int32>(0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5)
        while true {
            // j is a syllable's first byte, or a space after a word.
            while j + 16 <= n {
                let missing = ~pw_hangul_leads16(base + j) & 0x1249  // lanes 0, 3, 6, 9, 12
                var syllables = missing == 0 ? 5 : missing.trailingZeroBitCount / 3
                if syllables > 0 && joinsPrevious(at: j + 3 * syllables) { syllables -= 1 }
                guard syllables > 0 else { break }
                UnsafeMutableRawPointer(bp + count).storeBytes(
                    of: UnsafeRawPointer(base + j).loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
                UnsafeMutableRawPointer(op + count).storeBytes(of: SIMD16<Int32>(repeating: origin) &+ thirds,
                                                               as: SIMD16<Int32>.self)
                count &+= 3 &* syllables
                origin &+= Int32(truncatingIfNeeded: syllables)
                j &+= 3 &* syllables
                if syllables == 5 { continue }
                // The word ended. One space between two syllables (Korean words) is dropped, as
                // `begin` drops a separator between two CJK characters: a gap, and a word start
                // at the next syllable. If that syllable may not be copied (something joins it),
                // the full path takes it and, the word start made, adds nothing.
                guard src[j] == 0x20 && syllable(at: j + 1) else { break }
                w.appendGap(Int32(truncatingIfNeeded: count), origin: origin)
                w.wordStarts[w.wordStartCount] = Int32(truncatingIfNeeded: count)
                w.wordStartCount += 1
                origin &+= 1
                j &+= 1
            }
            // What the vector steps leave, one at a time: the end of the text, the last 36
            // syllables of the block (ED 9E ..), a syllable before a joining character (which
            // stops here), a space between syllables there.
            if syllable(at: j) && !joinsPrevious(at: j + 3) {
                bp[count] = src[j]
                bp[count + 1] = src[j + 1]
                bp[count + 2] = src[j + 2]
                op[count] = origin
                op[count + 1] = origin
                op[count + 2] = origin
                count &+= 3
                origin &+= 1
                j &+= 3
            } else if j + 3 < n && src[j] == 0x20 && src[j - 1] >= 0x80 && syllable(at: j + 1) {
                w.appendGap(Int32(truncatingIfNeeded: count), origin: origin)
                w.wordStarts[w.wordStartCount] = Int32(truncatingIfNeeded: count)
                w.wordStartCount += 1
                origin &+= 1
                j &+= 1
            } else {
                break
            }
        }
        w.count = count
        scalarIndex = origin
        return j
    }

    /// The folded form may itself hold separators (e.g. NFKC of U+2474 "⑴"); emit piecewise.
    private func emitFolded(_ folded: [UInt8], origin: Int32, _ w: inout Writer) {
        folded.withUnsafeBufferPointer { fb in
            var k = 0
            while k < fb.count {
                let (x, l) = UTF8Scalar.decode(fb, at: k)
                if x == 0x20 || x == 0x2D {
                    w.separator(origin: origin, newline: false)
                } else if let sp = Self.special(x) {
                    switch sp {
                    case .drop: break
                    case .separator: w.separator(origin: origin, newline: false)
                    case .replace(let c):
                        w.begin(firstScalar: UInt32(c), cjk: false)
                        w.put(c, origin)
                    }
                } else {
                    w.emit(fb, k, k + l, origin: origin, firstScalar: x)
                }
                k += l
            }
        }
    }

    /// NFKC, then lower case (with "ß" and final sigma left as `lowercased()` gives them).
    private func fold(_ s: String) -> [UInt8] {
        var t = s.precomposedStringWithCompatibilityMapping
        if foldCase { t = t.lowercased().precomposedStringWithCompatibilityMapping }
        return Array(t.utf8)
    }

    private enum Special { case drop, separator(newline: Bool), replace(UInt8) }

    /// Characters news text often carries: curly quotes and dashes made plain, invisible ones dropped.
    private static func special(_ v: UInt32) -> Special? {
        switch v {
        case 0x2018, 0x2019, 0x201A, 0x201B, 0x2032, 0xFF07: return .replace(0x27)  // ' variants
        case 0x201C, 0x201D, 0x201E, 0x201F, 0x2033, 0x00AB, 0x00BB, 0xFF02: return .replace(0x22)  // " variants
        case 0x2010...0x2015, 0x2212, 0xFE58, 0xFE63, 0xFF0D: return .separator(newline: false)  // dashes
        case 0x00A0, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000: return .separator(newline: false)  // spaces
        case 0x0085, 0x2028: return .separator(newline: true)
        case 0x2029: return .separator(newline: true)
        case 0x00B7, 0x30FB, 0xFF65: return .separator(newline: false)  // middle dots between listed words
        case 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD: return .drop  // zero-width, soft hyphen
        default: return nil
        }
    }

    /// Whether `next` belongs to the same character as `previous` (combining marks,
    /// variation selectors, ZWJ sequences, decomposed Hangul jamo).
    private static func joins(previous: UInt32, next: UInt32) -> Bool {
        switch next {
        case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F: return true
        case 0x3099, 0x309A: return true  // kana voicing marks
        case 0xFE00...0xFE0F, 0xE0100...0xE01EF: return true
        case 0x1160...0x11A7: return (0x1100...0x115F).contains(previous)  // jamo vowel after lead
        case 0x11A8...0x11FF: return (0x1160...0x11A7).contains(previous)  // jamo tail after vowel
        case 0xAC00...0xD7A3, 0x4E00...0x9FFF: return false  // letters, not marks (skips a slow property lookup)
        default:
            guard next >= 0x300, let s = Unicode.Scalar(next) else { return false }
            let c = s.properties.generalCategory
            return c == .nonspacingMark || c == .spacingMark || c == .enclosingMark
        }
    }

    /// `joins` after a Hangul syllable, out of line: inlined into `hangulRun`, its Unicode
    /// property lookup made every call of it fetch two type metadata first.
    @inline(never)
    private static func joinsSyllable(_ next: UInt32) -> Bool {
        joins(previous: 0xAC00, next: next)
    }

    @inline(__always)
    private static func startsCombining(_ src: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        let b = src[i]
        if b < 0xCC { return false }  // every combining mark is at U+0300 or above
        return joins(previous: 0x41, next: UTF8Scalar.decode(src, at: i).0)
    }
}

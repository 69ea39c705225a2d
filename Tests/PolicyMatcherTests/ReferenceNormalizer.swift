import Foundation
@testable import PolicyMatcher

// The normaliser as first written (one character at a time, simple and slow), kept as the
// reference the optimised `TextNormalizer` must agree with byte for byte.
/// Turns text into `NormalizedText`. Holds a cache of non-ASCII characters; make one per
/// thread (it is a value type, cheap to copy before use).
struct ReferenceNormalizer: Sendable {
    private var cache: [String: [UInt8]] = [:]
    /// When false, case is kept (used to verify `cased` terms).
    var foldCase: Bool

    init(foldCase: Bool = true) {
        self.foldCase = foldCase
    }

    private static let separator: UInt8 = 0x20

    /// Normalises `text`.
    mutating func normalize(_ text: String) -> NormalizedText {
        var out = NormalizedText(bytes: [], originOffsets: [], originLength: 0, wordStarts: [], paragraphStarts: [0])
        var utf8 = text.utf8
        out.bytes.reserveCapacity(utf8.count + 16)
        out.originOffsets.reserveCapacity(utf8.count + 16)
        // Ensure contiguous storage for fast byte access.
        if utf8.withContiguousStorageIfAvailable({ _ in true }) == nil {
            var copy = text
            copy.makeContiguousUTF8()
            utf8 = copy.utf8
        }
        utf8.withContiguousStorageIfAvailable { buf in
            normalize(buf, into: &out)
        }
        out.originLength = text.unicodeScalars.count
        return out
    }

    private mutating func normalize(_ src: UnsafeBufferPointer<UInt8>, into out: inout NormalizedText) {
        var i = 0
        var scalarIndex: Int32 = 0  // code-point offset of src[i]
        var pendingSeparator = false
        var pendingOrigin: Int32 = 0
        var newlinesInSeparator = 0
        var lastWasCJK = false
        var inWord = false
        let n = src.count

        @inline(__always) func emit(_ bytes: [UInt8], origin: Int32, firstScalar: UInt32, into out: inout NormalizedText) {
            let cjk = ScriptClass.isCJK(firstScalar)
            if pendingSeparator {
                if newlinesInSeparator >= 2 && !out.bytes.isEmpty {
                    out.paragraphStarts.append(Int32(out.bytes.count))
                }
                // Spaces between two CJK characters vanish; elsewhere a run becomes one space.
                if cjk && lastWasCJK {
                    out.gapBytes.append(Int32(out.bytes.count))
                    out.gapOrigins.append(pendingOrigin)
                } else if !out.bytes.isEmpty {
                    out.bytes.append(Self.separator)
                    out.originOffsets.append(pendingOrigin)
                }
                pendingSeparator = false
                newlinesInSeparator = 0
                inWord = false
            }
            let isWordish = cjk || ScriptClass.isWordChar(firstScalar)
            if isWordish && !inWord { out.wordStarts.append(Int32(out.bytes.count)) }
            inWord = isWordish
            for b in bytes {
                out.bytes.append(b)
                out.originOffsets.append(origin)
            }
            // The last scalar decides adjacency for the next character.
            lastWasCJK = cjk
        }

        @inline(__always) func separator(origin: Int32, newline: Bool) {
            if !pendingSeparator { pendingOrigin = origin }
            pendingSeparator = true
            if newline { newlinesInSeparator += 1 }
        }

        while i < n {
            let b = src[i]
            // ASCII fast path, unless a combining mark follows (it belongs to this character).
            if b < 0x80 && !(i + 1 < n && Self.startsCombining(src, i + 1)) {
                switch b {
                case 0x20, 0x09, 0x0B, 0x0C, 0x2D:
                    separator(origin: scalarIndex, newline: false)
                case 0x0A:
                    separator(origin: scalarIndex, newline: true)
                case 0x0D:
                    // CRLF counts as one line break.
                    separator(origin: scalarIndex, newline: !(i + 1 < n && src[i + 1] == 0x0A))
                case 0x00...0x1F, 0x7F:
                    separator(origin: scalarIndex, newline: false)
                default:
                    var c = b
                    if foldCase && c >= 0x41 && c <= 0x5A { c += 0x20 }
                    if pendingSeparator || out.bytes.isEmpty || !inWord || !ScriptClass.isWordChar(UInt32(c)) {
                        emit([c], origin: scalarIndex, firstScalar: UInt32(c), into: &out)
                    } else {
                        out.bytes.append(c)
                        out.originOffsets.append(scalarIndex)
                        lastWasCJK = false
                    }
                }
                i += 1
                scalarIndex += 1
                continue
            }
            // Slow path: one extended character (a scalar plus the marks and jamo that join it).
            let start = i
            var scalars: Int32 = 0
            var (v, len) = UTF8Scalar.decode(src, at: i)
            i += len
            scalars += 1
            var prev = v
            while i < n {
                let (w, l) = UTF8Scalar.decode(src, at: i)
                guard Self.joins(previous: prev, next: w) else { break }
                i += l
                scalars += 1
                prev = w
            }
            let origin = scalarIndex
            scalarIndex += scalars
            if start + len == i, let special = Self.special(v) {
                switch special {
                case .drop: continue
                case .separator(let newline): separator(origin: origin, newline: newline); continue
                case .replace(let c): v = UInt32(c); emit([c], origin: origin, firstScalar: v, into: &out); continue
                }
            }
            let key = String(decoding: UnsafeBufferPointer(rebasing: src[start..<i]), as: UTF8.self)
            let folded: [UInt8]
            if let hit = cache[key] {
                folded = hit
            } else {
                folded = fold(key)
                if cache.count < 50_000 { cache[key] = folded }
            }
            // The folded form may itself hold separators (e.g. NFKC of U+2474 "⑴"); emit piecewise.
            emitFolded(folded, origin: origin, emit: { bytes, first in emit(bytes, origin: origin, firstScalar: first, into: &out) },
                       separator: { separator(origin: origin, newline: false) })
        }
    }

    private func emitFolded(_ folded: [UInt8], origin: Int32, emit: ([UInt8], UInt32) -> Void, separator: () -> Void) {
        folded.withUnsafeBufferPointer { fb in
            var k = 0
            while k < fb.count {
                let (w, l) = UTF8Scalar.decode(fb, at: k)
                if w == 0x20 || w == 0x2D {
                    separator()
                } else if let sp = Self.special(w) {
                    switch sp {
                    case .drop: break
                    case .separator: separator()
                    case .replace(let c): emit([c], UInt32(c))
                    }
                } else {
                    emit(Array(fb[k..<k + l]), w)
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
        default:
            guard next >= 0x300, let s = Unicode.Scalar(next) else { return false }
            let c = s.properties.generalCategory
            return c == .nonspacingMark || c == .spacingMark || c == .enclosingMark
        }
    }

    @inline(__always)
    private static func startsCombining(_ src: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        let b = src[i]
        if b < 0xCC { return false }  // every combining mark is at U+0300 or above
        return joins(previous: 0x41, next: UTF8Scalar.decode(src, at: i).0)
    }
}

/// Script classes that decide how a term matches: words of spaced scripts
/// match whole words; Hangul, kana and Han match inside words and ignore spacing.
enum ScriptClass {
    /// Hangul, kana, Han: scripts where particles attach and spacing varies.
    @inline(__always)
    static func isCJK(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x11FF, 0x3130...0x318F, 0xA960...0xA97F, 0xAC00...0xD7AF, 0xD7B0...0xD7FF: return true  // Hangul
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F: return true  // kana
        case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FA1F: return true  // Han
        case 0x3005, 0x3006, 0x3007: return true  // 々 〆 〇
        default: return false
        }
    }

    static func isHangul(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x11FF, 0x3130...0x318F, 0xA960...0xA97F, 0xAC00...0xD7AF, 0xD7B0...0xD7FF: return true
        default: return false
        }
    }

    static func isKana(_ v: UInt32) -> Bool {
        switch v {
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F: return true
        default: return false
        }
    }

    /// A letter or digit of a spaced script (Latin, Greek, Cyrillic, ...): part of a word
    /// whose boundaries matter.
    @inline(__always)
    static func isWordChar(_ v: UInt32) -> Bool {
        if v < 0x80 {
            return (v >= 0x61 && v <= 0x7A) || (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || v == 0x5F
        }
        return isNonASCIIWordChar(v)
    }

    /// `isWordChar` above ASCII, out of line: inlined, its Unicode property lookups made every
    /// caller (the normaliser's `begin`, for one) fetch four type metadata on each call.
    @inline(never)
    static func isNonASCIIWordChar(_ v: UInt32) -> Bool {
        if isCJK(v) { return false }
        guard let s = Unicode.Scalar(v) else { return false }
        let p = s.properties
        return p.isAlphabetic || p.numericType != nil || p.generalCategory == .nonspacingMark
    }
}

/// UTF-8 helpers over normalised text.
enum UTF8Scalar {
    /// Decodes the scalar starting at `i`; returns the value and its byte length.
    @inline(__always)
    static func decode(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> (UInt32, Int) {
        let b0 = UInt32(b[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0, i + 1 < b.count { return (((b0 & 0x1F) << 6) | (UInt32(b[i + 1]) & 0x3F), 2) }
        if b0 < 0xF0, i + 2 < b.count {
            return (((b0 & 0x0F) << 12) | ((UInt32(b[i + 1]) & 0x3F) << 6) | (UInt32(b[i + 2]) & 0x3F), 3)
        }
        if i + 3 < b.count {
            return (((b0 & 0x07) << 18) | ((UInt32(b[i + 1]) & 0x3F) << 12) | ((UInt32(b[i + 2]) & 0x3F) << 6)
                | (UInt32(b[i + 3]) & 0x3F), 4)
        }
        return (0xFFFD, 1)
    }

    /// Decodes the scalar that ends just before `i` (i > 0).
    @inline(__always)
    static func decodeBefore(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        var j = i - 1
        while j > 0 && (b[j] & 0xC0) == 0x80 { j -= 1 }
        return decode(b, at: j).0
    }
}

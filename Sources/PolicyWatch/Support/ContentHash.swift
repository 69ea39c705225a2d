import Foundation

/// Hashes that tell whether content changed or repeats. FNV-1a (StableHash): stable across
/// runs and machines; not a defence against crafted collisions.
public enum ContentHash {
    /// The hash of raw bytes (files: "did this file change?").
    public static func bytes(_ data: Data) -> String {
        hex(data.withUnsafeBytes { StableHash.fnv1a64($0) })
    }

    /// A hash of an article's words, so copies that differ only in case, punctuation, spacing
    /// or markup hash alike: letters and digits are kept (lower-cased), every other run of
    /// characters counts as one separator. Returns the hash and how many letters/digits were
    /// hashed: too short a text ("Read more") must not make unrelated stories duplicates.
    public static func story(title: String, body: String) -> (hash: String, letters: Int) {
        var state = StoryHasher()
        var title = title, body = body
        title.withUTF8 { state.add($0) }
        state.endOfField()
        body.withUTF8 { state.add($0) }
        return (hex(state.hash), state.letters)
    }

    /// The story hash over UTF-8 bytes: ASCII, Hangul syllables and CJK ideographs without
    /// Unicode property lookups (a test checks it against the plain definition).
    struct StoryHasher {
        var hash: UInt64 = StableHash.fnvOffsetBasis
        var letters = 0
        var pendingSpace = false

        @inline(__always)
        mutating func byte(_ b: UInt8) {
            hash ^= UInt64(b)
            hash = hash &* 0x0000_0100_0000_01B3
        }

        @inline(__always)
        mutating func letter() {
            if pendingSpace {
                byte(0x20)
                pendingSpace = false
            }
            letters += 1
        }

        mutating func endOfField() {
            pendingSpace = letters > 0
        }

        mutating func add(_ u: UnsafeBufferPointer<UInt8>) {
            var i = 0
            let n = u.count
            while i < n {
                let b = u[i]
                if b < 0x80 {
                    i += 1
                    if (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) {
                        letter()
                        byte(b | ((b >= 0x41 && b <= 0x5A) ? 0x20 : 0))
                    } else {
                        pendingSpace = letters > 0
                    }
                    continue
                }
                // A multi-byte scalar (the string is valid UTF-8).
                let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                var v = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
                for k in 1..<length { v = (v << 6) | (UInt32(u[i + k]) & 0x3F) }
                if isCaselessLetter(v) {
                    // Letters that are their own lower case: their bytes as they are.
                    letter()
                    byte(u[i]); byte(u[i + 1]); byte(u[i + 2])
                } else if let s = Unicode.Scalar(v), s.properties.isAlphabetic || s.properties.numericType != nil {
                    letter()
                    for c in s.properties.lowercaseMapping.utf8 { byte(c) }
                } else {
                    pendingSpace = letters > 0
                }
                i += length
            }
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

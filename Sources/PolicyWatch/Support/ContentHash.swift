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
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var letters = 0
        var pendingSpace = false
        func add(_ byte: UInt8) {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        for text in [title, body] {
            for s in text.unicodeScalars {
                let v = s.value
                let keep: Bool
                if v < 0x80 {
                    keep = (v >= 0x30 && v <= 0x39) || ((v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A)
                } else if Self.isCaselessLetter(v) {
                    // Hangul syllables and CJK ideographs: letters that are their own lower
                    // case, without the (slow) property lookups; the result is the same.
                    letters += 1
                    if pendingSpace {
                        add(0x20)
                        pendingSpace = false
                    }
                    add(UInt8(0xE0 | (v >> 12)))  // three UTF-8 bytes in both ranges
                    add(UInt8(0x80 | ((v >> 6) & 0x3F)))
                    add(UInt8(0x80 | (v & 0x3F)))
                    continue
                } else {
                    keep = s.properties.isAlphabetic || s.properties.numericType != nil
                }
                guard keep else {
                    pendingSpace = letters > 0
                    continue
                }
                if pendingSpace {
                    add(0x20)
                    pendingSpace = false
                }
                letters += 1
                if v < 0x80 {
                    add(UInt8(v | ((v >= 0x41 && v <= 0x5A) ? 0x20 : 0)))
                } else {
                    for b in s.properties.lowercaseMapping.utf8 { add(b) }
                }
            }
            pendingSpace = letters > 0
        }
        return (hex(h), letters)
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

/// FNV-1a, 64 bits: a stable, dependency-free hash for alert ids and content keys.
/// Not for security: ids only need to be stable across runs and machines.
public enum StableHash {
    public static let fnvOffsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325

    /// The hash of `bytes`, or of everything hashed so far followed by `bytes` when
    /// `continuing` is the hash so far (a file hashed block by block).
    public static func fnv1a64<S: Sequence>(_ bytes: S, continuing: UInt64 = fnvOffsetBasis) -> UInt64 where S.Element == UInt8 {
        // Contiguous bytes (a native string's UTF-8, an array) read through a pointer: walking
        // a `String.UTF8View` by index cost four times the instructions (alert ids hash the
        // article key for every alert).
        @inline(__always) func step(_ h: UInt64, _ b: UInt8) -> UInt64 { (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        if let h = bytes.withContiguousStorageIfAvailable({ $0.reduce(continuing, step) }) { return h }
        return bytes.reduce(continuing, step)
    }

    /// The value of 16 lower-case hexadecimal digits (an `Alert.id`, a `ContentHash.hex`), or
    /// nil. Read through a pointer, as `fnv1a64` reads: `UInt64(_:radix:)` and a walk of the
    /// `UTF8View` by index took 30 to 40 instructions a digit.
    static func value(ofHex id: String) -> UInt64? {
        func read<C: Collection>(_ digits: C) -> UInt64? where C.Element == UInt8 {
            guard digits.count == 16 else { return nil }
            var value: UInt64 = 0
            for b in digits {
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(b - UInt8(ascii: "a") + 10)
                default: return nil
                }
            }
            return value
        }
        return id.utf8.withContiguousStorageIfAvailable(read) ?? read(id.utf8)
    }

    public static func hex(_ text: String) -> String {
        let h = fnv1a64(text.utf8)
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}

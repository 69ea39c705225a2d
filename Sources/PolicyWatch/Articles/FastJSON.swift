import CPolicySIMD
import Foundation

/// A direct parser for the common shape of a JSON Lines article (one flat object of strings),
/// about ten times faster than `JSONDecoder`, which dominated the scan of large corpora.
///
/// It returns nil whenever the input is not plainly valid (bad UTF-8, bad syntax, a lone
/// surrogate, a known key twice, an id that is not a string or small integer, no title nor
/// body...): the caller then takes the `JSONDecoder` path, which gives the same article or
/// the error message. So both paths agree (tests compare them).
enum FastJSONArticle {
    static func parse(_ line: UnsafeBufferPointer<UInt8>, path: String) -> Article? {
        var p = Parser(bytes: line)
        return p.article(path: path)
    }

    /// Keys of `ArticleReader.JSONArticle`, in one order.
    private static let keys: [String: Int] = [
        "id": 0, "title": 1, "body": 2, "text": 3, "content": 4, "url": 5, "link": 6, "published": 7,
        "date": 8, "source": 9, "language": 10, "lang": 11,
    ]

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func article(path: String) -> Article? {
            var values = [String?](repeating: nil, count: 12)
            var seen = [Bool](repeating: false, count: 12)
            skipSpace()
            guard take(UInt8(ascii: "{")) else { return nil }
            skipSpace()
            if !take(UInt8(ascii: "}")) {
                while true {
                    skipSpace()
                    guard let key = string() else { return nil }
                    skipSpace()
                    guard take(UInt8(ascii: ":")) else { return nil }
                    skipSpace()
                    if let k = FastJSONArticle.keys[key] {
                        if seen[k] { return nil }
                        seen[k] = true
                        if peek == UInt8(ascii: "\"") {
                            guard let s = string() else { return nil }
                            values[k] = s
                        } else if literal("null") {
                            values[k] = nil
                        } else if k == 0, let n = integer() {
                            values[k] = n
                        } else {
                            return nil  // a wrong type, or a number id: let JSONDecoder decide
                        }
                    } else {
                        guard skipValue(depth: 0) else { return nil }
                    }
                    skipSpace()
                    if take(UInt8(ascii: ",")) { continue }
                    guard take(UInt8(ascii: "}")) else { return nil }
                    break
                }
            }
            skipSpace()
            guard i == bytes.count else { return nil }
            let body = values[2] ?? values[3] ?? values[4] ?? ""
            let title = values[1] ?? ""
            if body.isEmpty && title.isEmpty { return nil }
            return Article(id: values[0], title: title, body: body, url: values[5] ?? values[6], published: values[7] ?? values[8],
                           source: values[9], language: values[10] ?? values[11], path: path)
        }

        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func take(_ c: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { return false }
            let w = word.utf8Start
            for k in 0..<n where bytes[i + k] != w[k] { return false }
            // A literal must end there ("nullx" is not null).
            if i + n < bytes.count, Self.isIdentifierByte(bytes[i + n]) { return false }
            i += n
            return true
        }

        static func isIdentifierByte(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x5F || b >= 0x80
        }

        /// A non-negative or negative integer that fits Int64, as `String(Int64)` gives it.
        mutating func integer() -> String? {
            let start = i
            if peek == UInt8(ascii: "-") { i += 1 }
            let digits = i
            while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
            guard i > digits, i - digits <= 18 else { i = start; return nil }
            // Leading zeros are invalid JSON; a fraction or exponent makes it a Double.
            if bytes[digits] == 0x30 && i - digits > 1 { i = start; return nil }
            if let c = peek, c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || Self.isIdentifierByte(c) {
                i = start
                return nil
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            guard let v = Int64(text) else { i = start; return nil }
            return String(v)
        }

        /// A JSON string; nil on any irregularity (control characters, bad escapes, bad UTF-8).
        ///
        /// The bytes up to the next quote, backslash or control byte are found 16 at a time
        /// (`pw_json_string_run` in CPolicySIMD), which also tells whether any byte is not
        /// ASCII: a string that is all ASCII is unescaped straight into the String's storage.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")), let base = bytes.baseAddress else { return nil }
            let start = i
            var escaped = false
            var high: Int32 = 0
            while true {
                guard i < bytes.count else { return nil }
                i += pw_json_string_run(base + i, bytes.count - i, &high)
                guard i < bytes.count else { return nil }
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { break }
                if b < 0x20 { return nil }
                // A backslash: the byte after it is skipped here and checked by `unescape`.
                escaped = true
                i += 2
            }
            let content = UnsafeBufferPointer(rebasing: bytes[start..<i])
            i += 1
            if !escaped { return Self.validString(content) }
            return Self.unescape(content, ascii: high == 0)
        }

        /// The text of a string's content with escapes: nil for a bad escape or bad UTF-8.
        /// `ascii` says that the content has no byte 0x80 or above: what escapes make of it is
        /// then valid UTF-8, and it is written into the String's storage at once; other content
        /// goes through a buffer that is validated.
        static func unescape(_ s: UnsafeBufferPointer<UInt8>, ascii: Bool) -> String? {
            // Unescaping never lengthens: "\n" is 1 byte, "\uXXXX" at most 3, a surrogate pair 4.
            if s.isEmpty { return "" }
            if ascii {
                var failed = false
                let text = String(unsafeUninitializedCapacity: s.count) { out in
                    guard let n = unescape(s, into: out.baseAddress!) else {
                        failed = true
                        return 0
                    }
                    return n
                }
                return failed ? nil : text
            }
            var failed = false
            let out = [UInt8](unsafeUninitializedCapacity: s.count) { out, count in
                guard let n = unescape(s, into: out.baseAddress!) else {
                    failed = true
                    count = 0
                    return
                }
                count = n
            }
            return failed ? nil : out.withUnsafeBufferPointer(Self.validString)
        }

        /// `bytes` as a String if they are valid UTF-8, else nil. `String(validating:as:)`
        /// answers the same, but it is generic, and on this toolchain every call looked its
        /// types' metadata up at run time: 1,800 instructions a string with the check itself.
        /// Decoding repairs bad UTF-8 with U+FFFD, so a string whose bytes are not the input's
        /// was not valid. (`ScanPipelineTests.testValidStringAgreesWithStringValidating`.)
        static func validString(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
            let text = String(decoding: bytes, as: UTF8.self)
            let same = text.utf8.withContiguousStorageIfAvailable { stored in
                stored.count == bytes.count && (bytes.isEmpty || memcmp(stored.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
            } ?? text.utf8.elementsEqual(bytes)
            return same ? text : nil
        }

        /// Writes the unescaped bytes of `s` to `out` (room for `s.count` bytes); returns how
        /// many, or nil for a bad escape.
        static func unescape(_ s: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) -> Int? {
            guard let base = s.baseAddress else { return 0 }
            var m = 0
            var k = 0
            func hex4(_ at: Int) -> UInt32? {
                guard at + 4 <= s.count else { return nil }
                var v: UInt32 = 0
                for j in at..<at + 4 {
                    let c = s[j]
                    let d: UInt8
                    switch c {
                    case 0x30...0x39: d = c - 0x30
                    case 0x41...0x46: d = c - 0x37
                    case 0x61...0x66: d = c - 0x57
                    default: return nil
                    }
                    v = v << 4 | UInt32(d)
                }
                return v
            }
            while k < s.count {
                // Copy up to the next backslash in one go.
                let j = memchr(base + k, Int32(UInt8(ascii: "\\")), s.count - k).map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? s.count
                if j > k {
                    (out + m).update(from: base + k, count: j - k)
                    m += j - k
                    k = j
                    continue
                }
                guard k + 1 < s.count else { return nil }
                let e = s[k + 1]
                k += 2
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out[m] = e; m += 1
                case UInt8(ascii: "b"): out[m] = 0x08; m += 1
                case UInt8(ascii: "f"): out[m] = 0x0C; m += 1
                case UInt8(ascii: "n"): out[m] = 0x0A; m += 1
                case UInt8(ascii: "r"): out[m] = 0x0D; m += 1
                case UInt8(ascii: "t"): out[m] = 0x09; m += 1
                case UInt8(ascii: "u"):
                    guard var v = hex4(k) else { return nil }
                    k += 4
                    if (0xD800...0xDBFF).contains(v) {
                        guard k + 1 < s.count, s[k] == UInt8(ascii: "\\"), s[k + 1] == UInt8(ascii: "u"),
                              let lo = hex4(k + 2), (0xDC00...0xDFFF).contains(lo) else { return nil }
                        k += 6
                        v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(v) {
                        return nil
                    }
                    guard let scalar = Unicode.Scalar(v) else { return nil }
                    for c in UTF8.encode(scalar)! {
                        out[m] = c
                        m += 1
                    }
                default: return nil
                }
            }
            return m
        }

        /// Skips any JSON value, checking its syntax.
        mutating func skipValue(depth: Int) -> Bool {
            guard depth < 64, let c = peek else { return false }
            switch c {
            case UInt8(ascii: "\""): return string() != nil
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                i += 1
                skipSpace()
                if take(close) { return true }
                while true {
                    skipSpace()
                    if c == UInt8(ascii: "{") {
                        guard string() != nil else { return false }
                        skipSpace()
                        guard take(UInt8(ascii: ":")) else { return false }
                        skipSpace()
                    }
                    guard skipValue(depth: depth + 1) else { return false }
                    skipSpace()
                    if take(UInt8(ascii: ",")) { continue }
                    return take(close)
                }
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        /// JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        mutating func number() -> Bool {
            func digits() -> Int {
                let s = i
                while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
                return i - s
            }
            _ = take(UInt8(ascii: "-"))
            guard let first = peek, first >= 0x30 && first <= 0x39 else { return false }
            if first == 0x30 { i += 1 } else { _ = digits() }
            if take(UInt8(ascii: ".")) { guard digits() > 0 else { return false } }
            if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
                if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
                guard digits() > 0 else { return false }
            }
            if let c = peek, Self.isIdentifierByte(c) { return false }
            return true
        }
    }
}

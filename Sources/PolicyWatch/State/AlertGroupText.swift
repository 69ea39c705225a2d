import CLZ4
import Foundation
import GRDB

/// A group's alert lines (`AlertGroup`) as its row holds them, since v8: lines of at least
/// `compressFrom` bytes compressed (LZ4's block format) in a BLOB; shorter ones, those that
/// would not shrink, and every row written before v8, as TEXT.
///
/// Why: at 10,000 rules a first run over 200 MB stores about 300 MB of alert lines, and WAL
/// mode writes each page twice (the WAL, then the file). The writing was most of what the
/// state added to the scan. One article's alerts quote overlapping snippets of it, so LZ4
/// halves a group at about 550 MB/s, far less than writing it costs; and smaller rows waste
/// less of a page (docs/performance.md, "Eleventh round").
///
/// A BLOB is one byte, the format (1: an LZ4 block), the lines' length in bytes (4 bytes,
/// little-endian), then the block.
enum AlertGroupText {
    /// Shorter lines are stored as they are. Compressing costs about 14 instructions a byte;
    /// what it saves is writing, and rows of a few kilobytes already share a page well. Groups
    /// under 4 KB shrink by a third at most (×1.06–1.6 by size; at 1,000 rules nearly every
    /// group), where from 4 KB they halve (at 10,000 rules, 90% of the bytes).
    static let compressFrom = 4096
    static let lz4Block: UInt8 = 1
    private static let headerSize = 5

    /// Compresses groups one after another, each an independent block. Its buffers are
    /// reused from group to group: LZ4's one-shot call clears a 16 KB table each time, more
    /// work than compressing a group of a kilobyte (`LZ4_resetStream_fast` does not).
    final class Compressor {
        private let stream: UnsafeMutablePointer<LZ4_stream_t>
        private var buffer: [UInt8] = []

        init() {
            // A stream is 16 KB; LZ4_createStream fails only when memory does.
            guard let s = LZ4_createStream() else { fatalError("out of memory (LZ4_createStream)") }
            stream = s
        }

        deinit { LZ4_freeStream(stream) }

        /// The bytes of the BLOB to store for `lines` (valid until the next call), or nil
        /// when they are better stored as TEXT.
        func compress(_ lines: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
            LZ4_resetStream_fast(stream)
            return AlertGroupText.compress(lines, into: &buffer) { src, dst, srcSize, capacity in
                LZ4_compress_fast_continue(stream, src, dst, srcSize, capacity, 1)
            }
        }
    }

    /// `lines` compressed into `buffer` (grown as needed) by `lz4`, a block compressor
    /// (source, destination, source size, destination capacity): the bytes of the BLOB, or
    /// nil when the lines are better stored as TEXT.
    static func compress(_ lines: ArraySlice<UInt8>, into buffer: inout [UInt8],
                         lz4: (UnsafePointer<CChar>, UnsafeMutablePointer<CChar>, Int32, Int32) -> Int32) -> ArraySlice<UInt8>? {
        guard lines.count >= compressFrom, lines.count <= Int(Int32.max) else { return nil }
        let bound = Int(LZ4_compressBound(Int32(lines.count)))
        if buffer.count < headerSize + bound { buffer = [UInt8](repeating: 0, count: headerSize + bound) }
        let size = lines.withUnsafeBufferPointer { src in
            buffer.withUnsafeMutableBufferPointer { dst -> Int in
                dst[0] = lz4Block
                var length = UInt32(src.count).littleEndian
                withUnsafeBytes(of: &length) { for (i, b) in $0.enumerated() { dst[1 + i] = b } }
                let n = (dst.baseAddress! + headerSize).withMemoryRebound(to: CChar.self, capacity: bound) { out in
                    src.baseAddress!.withMemoryRebound(to: CChar.self, capacity: src.count) { input in
                        lz4(input, out, Int32(src.count), Int32(bound))
                    }
                }
                return Int(n)
            }
        }
        // 0: LZ4 failed (it cannot with a buffer of the bound); no gain: keep the text.
        guard size > 0, headerSize + size < lines.count else { return nil }
        return buffer[..<(headerSize + size)]
    }

    /// The lines of a row's `alerts` column, as text.
    static func lines(_ value: DatabaseValue) throws -> String {
        switch value.storage {
        case .string(let text): return text
        case .blob(let data): return try decompress(data)
        default: throw damaged("neither text nor a compressed blob")
        }
    }

    /// The lines of a BLOB. Damaged bytes (a wrong length, a cut block) are an error, never
    /// a read outside the buffers: LZ4's safe decoder checks every copy against both ends.
    static func decompress(_ data: Data) throws -> String {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> String in
            guard raw.count > headerSize, raw[0] == lz4Block else { throw damaged("an unknown format") }
            let length = Int(raw[1]) | Int(raw[2]) << 8 | Int(raw[3]) << 16 | Int(raw[4]) << 24
            let block = raw.count - headerSize
            // LZ4 expands at most 255 times: a larger length is damage, not a reason to
            // allocate gigabytes.
            guard length > 0, length <= block * 255, length <= Int(Int32.max) else { throw damaged("a length of \(length) for \(block) bytes") }
            var failed = false
            let text = String(unsafeUninitializedCapacity: length) { out in
                let n = (raw.baseAddress! + headerSize).withMemoryRebound(to: CChar.self, capacity: block) { input in
                    out.baseAddress!.withMemoryRebound(to: CChar.self, capacity: length) { dst in
                        LZ4_decompress_safe(input, dst, Int32(block), Int32(length))
                    }
                }
                guard n == length else {
                    failed = true
                    return 0
                }
                return length
            }
            if failed { throw damaged("a block that does not decode to its \(length) bytes") }
            return text
        }
    }

    private static func damaged(_ what: String) -> DatabaseError {
        DatabaseError(message: "a damaged alert group in alert_groups: \(what)")
    }
}

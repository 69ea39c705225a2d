import Foundation

/// A piece of input that a worker turns into articles on its own: a whole file, a run of
/// complete lines of a JSON Lines file, stdin's bytes, or an error found while listing.
public enum InputChunk: Sendable {
    case file(String)
    /// Complete lines (the last one may lack its newline) starting at line `firstLine`.
    case jsonLines(path: String, firstLine: Int, data: Data)
    case data(path: String, Data)
    case error(InputError)
}

extension ArticleReader {
    static func isJSONLines(_ path: String) -> Bool {
        InputFormat.fromExtension((path as NSString).pathExtension) == .jsonLines
    }

    /// Articles and errors of one chunk, each in input order.
    public func read(_ chunk: InputChunk) -> (articles: [Article], errors: [InputError]) {
        switch chunk {
        case .file(let path): return read(path: path)
        case .data(let path, let data): return parse(data: data, path: path)
        case .error(let e): return ([], [e])
        case .jsonLines(let path, let firstLine, let data):
            var articles: [Article] = []
            var errors: [InputError] = []
            var lineNo = firstLine
            data.withUnsafeBytes { raw in
                let all = raw.bindMemory(to: UInt8.self)
                var start = 0
                while start < all.count {
                    let end = Self.index(of: 0x0A, in: all, from: start) ?? all.count
                    switch parseJSONLine(UnsafeBufferPointer(rebasing: all[start..<end]), path: path, lineNo: lineNo) {
                    case .none: break
                    case .success(let a): articles.append(a)
                    case .failure(let e): errors.append(e)
                    }
                    lineNo += 1
                    start = end + 1
                }
            }
            return (articles, errors)
        }
    }

    static func index(of byte: UInt8, in b: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard from < b.count, let base = b.baseAddress, let p = memchr(base + from, Int32(byte), b.count - from) else { return nil }
        return base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }

    /// How many times `byte` occurs in `b` (memchr from one to the next: lines are long).
    static func count(of byte: UInt8, in b: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0
        var at = 0
        while let k = index(of: byte, in: b, from: at) {
            n += 1
            at = k + 1
        }
        return n
    }

    static func lastIndex(of byte: UInt8, in b: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = b.count - 1
        while i >= 0 && b[i] != byte { i -= 1 }
        return i >= 0 ? i : nil
    }

    func parseJSONLine(_ line: Data, path: String, lineNo: Int) -> Result<Article, InputError>? {
        line.withUnsafeBytes { parseJSONLine($0.bindMemory(to: UInt8.self), path: path, lineNo: lineNo) }
    }

    /// One line of a JSON Lines file: nil when blank.
    func parseJSONLine(_ line: UnsafeBufferPointer<UInt8>, path: String, lineNo: Int) -> Result<Article, InputError>? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        // Made only for an error: a line that parses needs no name.
        var source: String { "\(path):\(lineNo)" }
        if line.count > maxBytes {
            return .failure(InputError(source: source, message: "line is \(line.count) bytes, over the limit of \(maxBytes) (raise it with --max-bytes)"))
        }
        if let base = line.baseAddress, memchr(base, 0, line.count) != nil {
            // Judged per record: one bad line does not make the whole file "binary".
            return .failure(InputError(source: source, message: "NUL byte in the record; skipped"))
        }
        if let article = FastJSONArticle.parse(line, path: path) { return .success(article) }
        let line = Data(line)
        guard String(validating: line, as: UTF8.self) != nil else {
            return .failure(InputError(source: source, message: "invalid UTF-8"))
        }
        do {
            return .success(try Self.article(fromJSON: Data(line), path: path))
        } catch {
            return .failure(InputError(source: source, message: Self.describe(error)))
        }
    }

    /// Reads a JSON Lines stream block by block and emits runs of complete lines. A line
    /// longer than `maxBytes` is skipped without being held, and reported. `emit` returns
    /// false to stop early.
    func streamJSONLines(handle: FileHandle, source path: String, initial: Data, chunkBytes: Int,
                         _ emit: (InputChunk) -> Bool) -> Bool {
        var initial: Data? = initial.isEmpty ? nil : initial
        var pending = Data()  // the incomplete last line
        var lineNo = 1  // number of the first line in `pending`
        var skipped: Int?  // bytes so far of an overlong line being skipped
        var skippedLine: (Int, Int)?  // an overlong line skipped in this block: number, length
        var sawContent = false
        while true {
            let block: Data
            do {
                if let first = initial {
                    block = first
                    initial = nil
                } else {
                    block = try handle.readBlock(upTo: chunkBytes)
                }
            } catch {
                return emit(.error(InputError(source: path, message: "cannot read: \(Self.describe(error))")))
            }
            if block.isEmpty { break }
            var rest = 0  // where the unprocessed part of `block` starts
            var complete: Data?
            block.withUnsafeBytes { raw in
                let b = raw.bindMemory(to: UInt8.self)
                if !sawContent { sawContent = b.contains { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D && $0 != 0x0A } }
                if let n = skipped {
                    guard let nl = Self.index(of: 0x0A, in: b, from: 0) else {
                        skipped = n + b.count
                        rest = b.count
                        return
                    }
                    skippedLine = (lineNo, n + nl)
                    skipped = nil
                    lineNo += 1
                    rest = nl + 1
                }
                let tail = UnsafeBufferPointer(rebasing: b[rest...])
                if let lastNL = Self.lastIndex(of: 0x0A, in: tail) {
                    var lines = pending
                    lines.append(contentsOf: UnsafeBufferPointer(rebasing: tail[..<(lastNL + 1)]))
                    pending = Data(UnsafeBufferPointer(rebasing: tail[(lastNL + 1)...]))
                    complete = lines
                } else {
                    pending.append(contentsOf: tail)
                }
            }
            if case let (line, length)? = skippedLine {
                skippedLine = nil
                let e = InputError(source: "\(path):\(line)", message: "line is \(length) bytes, over the limit of \(maxBytes) (raise it with --max-bytes)")
                guard emit(.error(e)) else { return false }
            }
            if let complete {
                let firstLine = lineNo
                lineNo += complete.withUnsafeBytes { Self.count(of: 0x0A, in: $0.bindMemory(to: UInt8.self)) }
                guard emit(.jsonLines(path: path, firstLine: firstLine, data: complete)) else { return false }
            }
            if pending.count > maxBytes {
                skipped = pending.count
                pending = Data()
            }
        }
        if let n = skipped {
            let e = InputError(source: "\(path):\(lineNo)", message: "line is \(n) bytes, over the limit of \(maxBytes) (raise it with --max-bytes)")
            guard emit(.error(e)) else { return false }
        } else if !pending.isEmpty {
            guard emit(.jsonLines(path: path, firstLine: lineNo, data: pending)) else { return false }
        }
        if !sawContent { return emit(.error(InputError(source: path, message: "empty input"))) }
        return true
    }
}

import Foundation

/// Writes a report while alerts arrive, so a run's memory does not grow with its alerts,
/// and encodes alerts by hand, byte for byte as `Report.encoder` does (a test compares
/// them), because `JSONEncoder` took longer than the scan itself on large reports.
///
/// Use: `encode` alerts on worker threads, then `append` the fragments in order and
/// `finish`. With a path, the report goes to a temporary file renamed over the path at
/// `finish` (atomic); without one, to stdout.
public final class ReportWriter {
    public enum Format: Sendable {
        /// One JSON document, pretty-printed (report format v1).
        case json
        /// One compact alert per line.
        case jsonl
    }

    public let format: Format
    private let path: String?
    private let temporaryPath: String?
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var wroteAlert = false
    public private(set) var alertCount = 0

    /// Opens the output. Throws when the temporary file cannot be created.
    public init(format: Format, path: String?) throws {
        self.format = format
        self.path = path
        if let path {
            let url = URL(fileURLWithPath: path)
            let tmp = url.deletingLastPathComponent()
                .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
            guard FileManager.default.createFile(atPath: tmp, contents: nil), let h = FileHandle(forWritingAtPath: tmp) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path,
                                                               NSLocalizedDescriptionKey: "cannot create a file in \(url.deletingLastPathComponent().path)"])
            }
            temporaryPath = tmp
            handle = h
        } else {
            temporaryPath = nil
            handle = FileHandle.standardOutput
        }
        buffer.reserveCapacity(1 << 20)
        if format == .json { buffer.append(contentsOf: Array("{\n  \"alerts\" : [\n".utf8)) }
    }

    /// `alerts` encoded for this format, ready for `append` (pure: call it on any thread).
    public static func encode(_ alerts: [Alert], format: Format) -> [UInt8] {
        var out = JSONBytes(pretty: format == .json, depth: 2)
        // An article's alerts come together and share its JSON: encode it once.
        var article: (ref: Alert.ArticleRef, json: [UInt8])?
        for (i, a) in alerts.enumerated() {
            if format == .json {
                if i > 0 { out.bytes.append(contentsOf: [0x2C, 0x0A]) }
                out.bytes.append(contentsOf: [0x20, 0x20, 0x20, 0x20])
            }
            if article?.ref != a.article {
                var sub = JSONBytes(pretty: format == .json, depth: 3)
                sub.articleObject(a.article)
                article = (a.article, sub.bytes)
            }
            out.alert(a, articleJSON: article!.json)
            if format == .jsonl { out.bytes.append(0x0A) }
        }
        return out.bytes
    }

    /// Appends `count` alerts encoded by `encode`.
    public func append(encoded: [UInt8], count: Int) throws {
        guard count > 0 else { return }
        if format == .json && wroteAlert { buffer.append(contentsOf: [0x2C, 0x0A]) }
        buffer.append(contentsOf: encoded)
        wroteAlert = true
        alertCount += count
        if buffer.count >= 1 << 20 { try flush() }
    }

    public func append(_ alerts: [Alert]) throws {
        try append(encoded: Self.encode(alerts, format: format), count: alerts.count)
    }

    /// Writes the rest of the report and moves it into place.
    public func finish(run: Report.RunInfo, errors: [InputError]) throws {
        if format == .json {
            // The rest is what JSONEncoder gives after an empty alert list.
            let tail = try Report(run: run, alerts: [], errors: errors).jsonData()
            let head = Array("{\n  \"alerts\" : [\n\n  ]".utf8)
            guard tail.starts(with: head) else { throw CocoaError(.coderInvalidValue) }
            buffer.append(contentsOf: [0x0A, 0x20, 0x20, 0x5D])
            buffer.append(contentsOf: tail.dropFirst(head.count))
        }
        try flush()
        guard let path, let temporaryPath else { return }
        try handle.close()
        if rename(temporaryPath, path) != 0 {
            let why = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporaryPath)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: why])
        }
    }

    /// Drops a report that will not be finished (its temporary file).
    public func discard() {
        guard let temporaryPath else { return }
        try? handle.close()
        try? FileManager.default.removeItem(atPath: temporaryPath)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// JSON in the layout of `JSONEncoder` with `.sortedKeys` (and `.prettyPrinted`): keys are
/// written in sorted order by the caller.
struct JSONBytes {
    var bytes: [UInt8] = []
    let pretty: Bool
    /// Nesting level of the value being written (for indentation).
    var depth: Int
    private var hasItems: [Bool] = []

    init(pretty: Bool, depth: Int = 0) {
        self.pretty = pretty
        self.depth = depth
        bytes.reserveCapacity(4096)
    }

    mutating func open(_ c: UInt8) {
        bytes.append(c)
        depth += 1
        hasItems.append(false)
    }

    mutating func close(_ c: UInt8) {
        let had = hasItems.removeLast()
        depth -= 1
        if pretty {
            if !had { bytes.append(0x0A) }
            newline()
        }
        bytes.append(c)
    }

    private mutating func newline() {
        bytes.append(0x0A)
        for _ in 0..<depth { bytes.append(0x20); bytes.append(0x20) }
    }

    /// Starts an array element or an object member.
    private mutating func item() {
        if hasItems[hasItems.count - 1] { bytes.append(0x2C) }
        hasItems[hasItems.count - 1] = true
        if pretty { newline() }
    }

    mutating func key(_ k: StaticString) {
        item()
        bytes.append(0x22)
        bytes.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
        bytes.append(0x22)
        if pretty { bytes.append(contentsOf: [0x20, 0x3A, 0x20]) } else { bytes.append(0x3A) }
    }

    mutating func key(_ k: String) {
        item()
        string(k)
        if pretty { bytes.append(contentsOf: [0x20, 0x3A, 0x20]) } else { bytes.append(0x3A) }
    }

    mutating func element() { item() }

    /// Bytes that JSONEncoder escapes in strings: control characters, '"' and '\\'.
    private static let escaped: [Bool] = (0..<256).map { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }

    mutating func string(_ s: String) {
        bytes.append(0x22)
        var s = s
        s.withUTF8 { u in
            Self.escaped.withUnsafeBufferPointer { esc in
                var run = 0  // start of the bytes not yet copied
                var i = 0
                while i < u.count {
                    let b = u[i]
                    guard esc[Int(b)] else {
                        i += 1
                        continue
                    }
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<i]))
                    i += 1
                    run = i
                    switch b {
                    case 0x22: bytes.append(contentsOf: [0x5C, 0x22])
                    case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
                    case 0x08: bytes.append(contentsOf: [0x5C, 0x62])
                    case 0x0C: bytes.append(contentsOf: [0x5C, 0x66])
                    case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
                    case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
                    case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
                    default:
                        let hex: [UInt8] = Array("0123456789abcdef".utf8)
                        bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
                    }
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[run...]))
            }
        }
        bytes.append(0x22)
    }

    mutating func int(_ v: Int) {
        if v < 0 { bytes.append(0x2D) }
        var m = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(m % 10) + 0x30
                m /= 10
                n += 1
            } while m > 0
            for k in stride(from: n - 1, through: 0, by: -1) { bytes.append(d[k]) }
        }
    }

    mutating func stringArray(_ a: [String]) {
        open(0x5B)
        for s in a {
            element()
            string(s)
        }
        close(0x5D)
    }

    /// The article object, written at the current depth.
    mutating func articleObject(_ a: Alert.ArticleRef) {
        open(0x7B)
        if let v = a.id { key("id"); string(v) }
        key("key"); string(a.key)
        key("language"); string(a.language)
        if let v = a.path { key("path"); string(v) }
        if let v = a.published { key("published"); string(v) }
        if let v = a.source { key("source"); string(v) }
        key("title"); string(a.title)
        if let v = a.url { key("url"); string(v) }
        close(0x7D)
    }

    /// An alert; `articleJSON` is its article already written by `articleObject` one level deeper.
    mutating func alert(_ a: Alert, articleJSON: [UInt8]? = nil) {
        open(0x7B)
        if let seen = a.alsoSeen {
            key("also_seen")
            open(0x5B)
            for s in seen {
                element()
                open(0x7B)
                key("key"); string(s.key)
                if let v = s.path { key("path"); string(v) }
                key("seen"); string(s.seen)
                if let v = s.source { key("source"); string(v) }
                if let v = s.url { key("url"); string(v) }
                close(0x7D)
            }
            close(0x5D)
        }
        key("article")
        if let articleJSON {
            bytes.append(contentsOf: articleJSON)
        } else {
            articleObject(a.article)
        }
        key("entities")
        open(0x7B)
        // Sorted as JSONEncoder sorts keys: by UTF-8 bytes.
        for k in a.entities.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            key(k)
            stringArray(a.entities[k]!)
        }
        close(0x7D)
        key("first_seen"); string(a.firstSeen)
        key("id"); string(a.id)
        key("matches")
        open(0x5B)
        for m in a.matches {
            element()
            open(0x7B)
            key("end"); int(m.end)
            key("field"); string(m.field.rawValue)
            key("snippet"); string(m.snippet)
            key("start"); int(m.start)
            key("term"); string(m.term)
            key("text"); string(m.text)
            close(0x7D)
        }
        close(0x5D)
        key("rule")
        open(0x7B)
        key("file"); string(a.rule.file)
        key("id"); string(a.rule.id)
        key("severity"); string(a.rule.severity.rawValue)
        key("tags"); stringArray(a.rule.tags)
        key("title"); string(a.rule.title)
        close(0x7D)
        close(0x7D)
    }
}

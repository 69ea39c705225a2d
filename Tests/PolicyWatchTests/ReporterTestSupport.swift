import Foundation
import PolicyMatcher
import XCTest
@testable import PolicyWatch
#if canImport(Glibc)
import Glibc
#endif

/// The reporter fixtures: four articles (ko+en, en, zh, ja) and four rules with four tags
/// and four severities, scanned at a fixed time.
enum ReporterFixtures {
    static let dir = Repo.fixtures + "/reporters"
    static let now = "2026-06-01T06:00:00Z"
    static let nowDate = ISO8601DateFormatter().date(from: now)!

    static func scan() throws -> (alerts: [Alert], run: Report.RunInfo) {
        let (set, diags) = RuleLoader.compile(paths: [dir + "/rules.yaml"], includeBuiltin: false)
        let rules = try XCTUnwrap(set, "\(diags)")
        let (articles, errors) = ArticleReader().read(path: dir + "/articles.jsonl")
        XCTAssertEqual(errors, [])
        var normalizer = TextNormalizer()
        var alerts: [Alert] = []
        for var a in articles {
            a.path = "Fixtures/reporters/articles.jsonl"  // independent of the checkout location
            alerts += Scanner(ruleSet: rules).scan(a, normalizer: &normalizer, now: now)
        }
        for i in alerts.indices { alerts[i].rule.file = "Fixtures/reporters/rules.yaml" }
        return (alerts, Report.RunInfo(started: now, finished: now, rules: rules.rules.count, articles: articles.count, skipped: 0))
    }

    static func tempDir() -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("pw-rep-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// A context that captures stdout and stderr.
    static func context(env: [String: String] = [:], terminal: Bool = false, directory: String? = nil) -> (ReporterContext, Captured) {
        let captured = Captured()
        let ctx = ReporterContext(environment: env, now: nowDate,
                                  standardOutput: { captured.append(out: $0) }, standardError: { captured.append(err: $0) },
                                  stdoutIsTerminal: terminal, directory: directory ?? tempDir())
        return (ctx, captured)
    }

    final class Captured: @unchecked Sendable {
        private let lock = NSLock()
        private var o = Data(), e = Data()
        func append(out d: Data) { lock.withLock { o.append(d) } }
        func append(err d: Data) { lock.withLock { e.append(d) } }
        var stdout: String { lock.withLock { String(decoding: o, as: UTF8.self) } }
        var stderr: String { lock.withLock { String(decoding: e, as: UTF8.self) } }
    }
}

/// A webhook receiver on 127.0.0.1 (never another address) for tests: answers with the
/// current `mode`, records every request with its headers and body, reading the body by
/// Content-Length as a real server would.
final class HookServer: @unchecked Sendable {
    enum Mode: Sendable {
        case status(Int)
        /// Waits this long, then hangs up without an answer (the client should time out first).
        case stall(TimeInterval)
    }

    struct Request: Sendable {
        var path: String
        /// Header names lower-cased.
        var headers: [String: String]
        var body: Data
        /// What the server answered; 0 when it answered nothing.
        var status: Int
        var phase: Int
    }

    private let lock = NSLock()
    private var _mode: Mode = .status(200)
    private var _phase = 0
    private var log: [Request] = []
    private let listener: Int32
    let port: Int

    var mode: Mode {
        get { lock.withLock { _mode } }
        set { lock.withLock { _mode = newValue } }
    }

    /// A label stored with each request (e.g. the run number).
    var phase: Int {
        get { lock.withLock { _phase } }
        set { lock.withLock { _phase = newValue } }
    }

    var requests: [Request] { lock.withLock { log } }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard ok == 0, listen(fd, 32) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    func url(_ path: String = "/hook") -> String { "http://127.0.0.1:\(port)\(path)" }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let conn = accept(listener, nil, nil)
            if conn < 0 {
                if errno == EINTR { continue }
                return
            }
            Thread { [self] in handle(conn) }.start()
        }
    }

    private func handle(_ conn: Int32) {
        defer { close(conn) }
        var buf = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 8192)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = read(conn, &chunk, chunk.count)
            if n <= 0 { return }
            buf += chunk[0..<n]
            headerEnd = Self.find(buf, [13, 10, 13, 10])
            if buf.count > 1 << 20 { return }
        }
        let head = String(decoding: buf[0..<headerEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        var headers: [String: String] = [:]
        for line in lines {
            guard let c = line.firstIndex(of: ":") else { continue }
            headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        // curl (URLSession on Linux) asks before sending a body over 1 KB.
        if headers["expect"]?.lowercased() == "100-continue" {
            _ = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8).withUnsafeBytes { write(conn, $0.baseAddress!, $0.count) }
        }
        var body = Array(buf[(headerEnd! + 4)...])
        while body.count < length {
            let n = read(conn, &chunk, chunk.count)
            if n <= 0 { return }
            body += chunk[0..<n]
        }
        let path = requestLine.count > 1 ? String(requestLine[1]) : "/"
        let (mode, phase) = lock.withLock { (_mode, _phase) }
        switch mode {
        case .stall(let seconds):
            lock.withLock { log.append(Request(path: path, headers: headers, body: Data(body), status: 0, phase: phase)) }
            Thread.sleep(forTimeInterval: seconds)
        case .status(let status):
            lock.withLock { log.append(Request(path: path, headers: headers, body: Data(body), status: status, phase: phase)) }
            let text = status == 200 ? "ok" : "boom"
            let response = "HTTP/1.1 \(status) X\r\nContent-Type: text/plain\r\nContent-Length: \(text.utf8.count)\r\nConnection: close\r\n\r\n\(text)"
            _ = Array(response.utf8).withUnsafeBytes { write(conn, $0.baseAddress!, $0.count) }
        }
    }

    private static func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where Array(hay[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}

extension StateStore {
    /// What a scan commits for these alerts: their articles, the alerts as raised, and a
    /// delivery per reporter whose filters accept them. Alerts raised before change nothing
    /// (they are not queued again), as in a real rescan.
    @discardableResult
    func raise(_ alerts: [Alert], for reporters: [ReporterConfig], now: String = ReporterFixtures.now) throws -> [Alert] {
        var order: [String] = []
        var byArticle: [String: [Alert]] = [:]
        for a in alerts {
            if byArticle[a.article.key] == nil { order.append(a.article.key) }
            byArticle[a.article.key, default: []].append(a)
        }
        var batch = Batch(reporters: reporters, now: now)
        for key in order {
            let ref = byArticle[key]![0].article
            var article = Article(id: ref.id, title: ref.title, body: "", url: ref.url, published: ref.published,
                                  source: ref.source, language: ref.language, path: ref.path)
            article.key = key
            // Letters 0: the fixtures' stories never merge by content.
            batch.articles.append(.init(article: article, contentHash: StableHash.hex(key), letters: 0, alerts: byArticle[key]))
        }
        return try commit(batch)
    }
}

extension Dispatcher {
    /// A scan's two steps in one call: raise `newAlerts` (queued for these reporters in the
    /// same transaction), then deliver everything owed.
    func dispatch(raising newAlerts: [Alert], run: Report.RunInfo, errors: [InputError] = [], isScan: Bool = true) throws -> [Summary] {
        try outbox.raise(newAlerts, for: entries.map(\.config))
        return dispatch(run: run, errors: errors, isScan: isScan)
    }
}

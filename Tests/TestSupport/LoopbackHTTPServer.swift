import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 for tests: no network beyond loopback.
///
/// Each path serves a `Resource`; a resource with an ETag or Last-Modified answers 304 to a
/// matching conditional request, as a real feed server would. Every request is logged, with
/// its body, as it arrives, so tests can check what the client sent (conditional headers,
/// retries, webhook posts) even while a slow answer is still pending.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public struct Resource: Sendable {
        public var status: Int
        public var body: Data
        public var contentType: String
        public var etag: String?
        public var lastModified: String?
        /// Seconds to wait before answering (timeouts).
        public var delay: TimeInterval
        /// Close the connection without answering.
        public var hangUp: Bool
        /// More response headers (Location for a redirect, Retry-After).
        public var headers: [String: String] = [:]

        public init(status: Int = 200, body: Data = Data(), contentType: String = "application/rss+xml; charset=utf-8",
                    etag: String? = nil, lastModified: String? = nil, delay: TimeInterval = 0, hangUp: Bool = false) {
            self.status = status
            self.body = body
            self.contentType = contentType
            self.etag = etag
            self.lastModified = lastModified
            self.delay = delay
            self.hangUp = hangUp
        }

        public init(_ text: String, contentType: String = "application/rss+xml; charset=utf-8", etag: String? = nil, lastModified: String? = nil) {
            self.init(body: Data(text.utf8), contentType: contentType, etag: etag, lastModified: lastModified)
        }
    }

    public struct Request: Sendable {
        public var method: String
        public var path: String
        /// Header names lower-cased.
        public var headers: [String: String]
        /// The request body (read by Content-Length).
        public var body: Data
        /// The status the server answers; 0 when it hangs up without answering.
        public var status: Int
    }

    private let lock = NSLock()
    private var resources: [String: Resource] = [:]
    /// A queue of one-off answers per path, served before the resource (e.g. two 503s, then the feed).
    private var queued: [String: [Resource]] = [:]
    private var log: [Request] = []
    private let listener: Int32
    public let port: Int

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    public func set(_ path: String, _ resource: Resource) {
        lock.withLock { resources[path] = resource }
    }

    public func enqueue(_ path: String, _ resource: Resource) {
        lock.withLock { queued[path, default: []].append(resource) }
    }

    public var requests: [Request] { lock.withLock { log } }

    public func requests(to path: String) -> [Request] { requests.filter { $0.path == path } }

    /// Answers `path` with a redirect to `location`.
    public func redirect(_ path: String, status: Int, to location: String) {
        var r = Resource(status: status, body: Data(), contentType: "text/plain")
        r.headers["Location"] = location
        set(path, r)
    }

    private var stopped = false

    /// Stops accepting, once. Only the accept loop closes the listener (after `accept` fails
    /// on the shut-down socket): were `stop` to close it, the descriptor number could be reused
    /// by another test's server while this loop still calls `accept` on it, and this server
    /// would then answer that server's requests.
    public func stop() {
        let first: Bool = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let conn = accept(listener, nil, nil)
            if conn < 0 {
                if errno == EINTR && !lock.withLock({ stopped }) { continue }
                return
            }
            if lock.withLock({ stopped }) {
                close(conn)
                return
            }
            // One thread per connection: a slow answer must not hold up the others.
            Thread { [self] in handle(conn) }.start()
        }
    }

    private func handle(_ conn: Int32) {
        defer { close(conn) }
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !buffer.containsHeaderEnd {
            let n = read(conn, &chunk, chunk.count)
            if n <= 0 { return }
            buffer += chunk[0..<n]
            if buffer.count > 65536 { return }
        }
        let headerEnd = buffer.headerEnd!
        let head = String(decoding: buffer[..<headerEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        // The body, by Content-Length; curl (URLSession on Linux) asks first for one over 1 KB.
        let length = Int(headers["content-length"] ?? "0") ?? 0
        if headers["expect"]?.lowercased() == "100-continue" {
            _ = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8).withUnsafeBytes { write(conn, $0.baseAddress!, $0.count) }
        }
        var body = Array(buffer[(headerEnd + 4)...])
        while body.count < length {
            let n = read(conn, &chunk, chunk.count)
            if n <= 0 { return }
            body += chunk[0..<n]
        }
        let method = String(requestLine[0]), path = String(requestLine[1])
        let resource: Resource = lock.withLock {
            if var q = queued[path], !q.isEmpty {
                let first = q.removeFirst()
                queued[path] = q
                return first
            }
            return resources[path] ?? Resource(status: 404, body: Data("not found".utf8), contentType: "text/plain")
        }
        var status = resource.hangUp ? 0 : resource.status
        if status == 200 {
            if let etag = resource.etag, headers["if-none-match"] == etag { status = 304 }
            else if resource.etag == nil, let lm = resource.lastModified, headers["if-modified-since"] == lm { status = 304 }
        }
        lock.withLock { log.append(Request(method: method, path: path, headers: headers, body: Data(body), status: status)) }
        if resource.delay > 0 { Thread.sleep(forTimeInterval: resource.delay) }
        if resource.hangUp { return }
        let answer = status == 304 || method == "HEAD" ? Data() : resource.body
        var response = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        response += "Content-Type: \(resource.contentType)\r\nContent-Length: \(answer.count)\r\nConnection: close\r\n"
        if let etag = resource.etag { response += "ETag: \(etag)\r\n" }
        if let lm = resource.lastModified { response += "Last-Modified: \(lm)\r\n" }
        for (name, value) in resource.headers.sorted(by: { $0.key < $1.key }) { response += "\(name): \(value)\r\n" }
        response += "\r\n"
        let bytes = Array(response.utf8) + Array(answer)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { write(conn, $0.baseAddress! + sent, $0.count - sent) }
            if n <= 0 { return }
            sent += n
        }
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 304: "Not Modified"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

private extension Array where Element == UInt8 {
    /// Where the blank line after the headers starts.
    var headerEnd: Int? {
        guard count >= 4 else { return nil }
        for i in 0...(count - 4) where self[i] == 13 && self[i + 1] == 10 && self[i + 2] == 13 && self[i + 3] == 10 {
            return i
        }
        return nil
    }

    var containsHeaderEnd: Bool { headerEnd != nil }
}

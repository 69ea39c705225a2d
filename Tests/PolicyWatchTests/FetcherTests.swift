import Foundation
import PolicyWatch
import PolicyWatchTestSupport
import XCTest

/// URLSessionFetcher against a server on 127.0.0.1: validators, retries, timeouts, limits.
final class FetcherTests: XCTestCase {
    var server: LoopbackHTTPServer!

    override func setUpWithError() throws {
        server = try LoopbackHTTPServer()
    }

    override func tearDown() {
        server.stop()
    }

    func fetcher(timeout: TimeInterval = 5, retries: Int = 0, maxBytes: Int = 1 << 20) -> URLSessionFetcher {
        URLSessionFetcher(policy: FetchPolicy(timeout: timeout, retries: retries, backoff: 0.05, maxBytes: maxBytes))
    }

    func testConditionalGetWithETag() throws {
        server.set("/feed", .init("<rss/>", etag: "\"v1\"", lastModified: "Tue, 10 Jun 2025 04:00:00 GMT"))
        let url = URL(string: server.url("/feed"))!
        guard case .fetched(let body, let etag, let lm, let type, let status) = fetcher().fetch(FetchRequest(url: url)) else {
            return XCTFail("expected a body")
        }
        XCTAssertEqual(String(decoding: body, as: UTF8.self), "<rss/>")
        XCTAssertEqual(etag, "\"v1\"")
        XCTAssertEqual(lm, "Tue, 10 Jun 2025 04:00:00 GMT")
        XCTAssertEqual(type, "application/rss+xml; charset=utf-8")
        XCTAssertEqual(status, 200)
        guard case .notModified = fetcher().fetch(FetchRequest(url: url, etag: etag, lastModified: lm)) else {
            return XCTFail("expected 304")
        }
        let log = server.requests(to: "/feed")
        XCTAssertEqual(log.map(\.status), [200, 304])
        XCTAssertNil(log[0].headers["if-none-match"])
        XCTAssertEqual(log[1].headers["if-none-match"], "\"v1\"")
        XCTAssertEqual(log[1].headers["if-modified-since"], "Tue, 10 Jun 2025 04:00:00 GMT")
        XCTAssertTrue(log[1].headers["user-agent"]?.hasPrefix("policywatch/") ?? false)
    }

    func testLastModifiedAlone() {
        server.set("/lm", .init("<rss/>", lastModified: "Wed, 11 Jun 2025 04:00:00 GMT"))
        let url = URL(string: server.url("/lm"))!
        guard case .notModified = fetcher().fetch(FetchRequest(url: url, lastModified: "Wed, 11 Jun 2025 04:00:00 GMT")) else {
            return XCTFail("expected 304")
        }
    }

    func testRetriesServerErrorsWithBackoff() {
        server.set("/flaky", .init("<rss/>"))
        server.enqueue("/flaky", .init(status: 503, body: Data("busy".utf8)))
        server.enqueue("/flaky", .init(status: 500, body: Data("oops".utf8)))
        let start = Date()
        guard case .fetched = fetcher(retries: 2).fetch(FetchRequest(url: URL(string: server.url("/flaky"))!)) else {
            return XCTFail("expected success on the third attempt")
        }
        XCTAssertEqual(server.requests(to: "/flaky").map(\.status), [503, 500, 200])
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.05 + 0.1, "waits backoff × 2ⁿ between attempts")

        server.enqueue("/down", .init(status: 503))
        server.enqueue("/down", .init(status: 503))
        server.set("/down", .init(status: 503))
        guard case .failed(let message) = fetcher(retries: 1).fetch(FetchRequest(url: URL(string: server.url("/down"))!)) else {
            return XCTFail("expected failure")
        }
        XCTAssertEqual(message, "HTTP 503 Service Unavailable")
        XCTAssertEqual(server.requests(to: "/down").count, 2)
    }

    func testClientErrorsAreNotRetried() {
        guard case .failed(let message) = fetcher(retries: 3).fetch(FetchRequest(url: URL(string: server.url("/missing"))!)) else {
            return XCTFail("expected failure")
        }
        XCTAssertEqual(message, "HTTP 404 Not Found")
        XCTAssertEqual(server.requests(to: "/missing").count, 1)
    }

    func testTimeout() {
        // Sub-second timeouts round up to 1 s (libcurl takes whole seconds).
        server.set("/slow", .init(status: 200, body: Data("<rss/>".utf8), delay: 3))
        let start = Date()
        guard case .failed(let message) = fetcher(timeout: 0.4).fetch(FetchRequest(url: URL(string: server.url("/slow"))!)) else {
            return XCTFail("expected a timeout")
        }
        XCTAssertEqual(message, "no answer within 1 s (timeout)")
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.9)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.9)
    }

    func testSizeLimit() {
        server.set("/big", .init(status: 200, body: Data(repeating: 0x61, count: 100_000)))
        guard case .failed(let message) = fetcher(maxBytes: 10_000).fetch(FetchRequest(url: URL(string: server.url("/big"))!)) else {
            return XCTFail("expected the limit to stop it")
        }
        XCTAssertEqual(message, "response is over the limit of 10000 bytes (raise it with --max-bytes)")
    }

    func testConnectionRefusedAndHangUp() {
        let closed = try! LoopbackHTTPServer()
        let port = closed.port
        closed.stop()
        guard case .failed = fetcher().fetch(FetchRequest(url: URL(string: "http://127.0.0.1:\(port)/feed")!)) else {
            return XCTFail("expected failure")
        }
        server.set("/hangup", .init(hangUp: true))
        guard case .failed = fetcher(retries: 1).fetch(FetchRequest(url: URL(string: server.url("/hangup"))!)) else {
            return XCTFail("expected failure")
        }
        XCTAssertEqual(server.requests(to: "/hangup").count, 2, "a dropped connection is retried")
    }
}

import Foundation
import XCTest
@testable import PolicyWatch

/// A fetcher that sleeps and records how many fetches overlap, in all and per host.
private final class SlowFetcher: HTTPFetching, @unchecked Sendable {
    let delay: TimeInterval
    private let lock = NSLock()
    private var running = 0
    private var runningPerHost: [String: Int] = [:]
    private(set) var maxRunning = 0
    private(set) var maxPerHost = 0

    init(delay: TimeInterval) { self.delay = delay }

    func fetch(_ request: FetchRequest) -> FetchResult {
        let host = request.url.host ?? ""
        lock.withLock {
            running += 1
            runningPerHost[host, default: 0] += 1
            maxRunning = max(maxRunning, running)
            maxPerHost = max(maxPerHost, runningPerHost[host]!)
        }
        Thread.sleep(forTimeInterval: delay)
        lock.withLock {
            running -= 1
            runningPerHost[host, default: 0] -= 1
        }
        return .fetched(body: Data(request.url.absoluteString.utf8), etag: nil, lastModified: nil, contentType: nil, status: 200)
    }
}

final class ConcurrentFetchTests: XCTestCase {
    func testResultsComeBackInRequestOrderWithinTheLimits() {
        let requests = (0..<24).map { i in FetchRequest(url: URL(string: "http://h\(i % 3).test/feed\(i).xml")!) }
        let fetcher = SlowFetcher(delay: 0.05)
        let results = fetcher.fetchAll(requests, concurrency: FetchConcurrency(total: 8, perHost: 2))
        XCTAssertEqual(results.count, 24)
        for (i, r) in results.enumerated() {
            guard case .fetched(let body, _, _, _, _) = r else { return XCTFail("request \(i) was not fetched") }
            XCTAssertEqual(String(decoding: body, as: UTF8.self), requests[i].url.absoluteString)
        }
        XCTAssertLessThanOrEqual(fetcher.maxPerHost, 2)
        XCTAssertLessThanOrEqual(fetcher.maxRunning, 6)  // 3 hosts × 2
        XCTAssertGreaterThan(fetcher.maxRunning, 1, "fetches did not overlap")
    }

    func testOneHostIsNeverAskedMoreThanItsLimit() {
        let requests = (0..<10).map { i in FetchRequest(url: URL(string: "http://only.test/\(i)")!) }
        let fetcher = SlowFetcher(delay: 0.02)
        _ = fetcher.fetchAll(requests, concurrency: FetchConcurrency(total: 10, perHost: 3))
        XCTAssertEqual(fetcher.maxPerHost, 3)
    }
}

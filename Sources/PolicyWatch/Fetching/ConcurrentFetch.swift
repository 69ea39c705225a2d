import Foundation

/// How many fetches may run at once: in all, and against one server (politeness to a server
/// that carries many of a user's feeds). A server is an origin: scheme, host and port.
public struct FetchConcurrency: Sendable, Equatable {
    public var total: Int
    public var perHost: Int

    public init(total: Int = 16, perHost: Int = 4) {
        self.total = max(1, total)
        self.perHost = max(1, perHost)
    }
}

extension HTTPFetching {
    /// Fetches every request, up to `concurrency.total` at once and `concurrency.perHost` per host,
    /// and returns the results in the order of `requests`. `fetch` blocks, so each fetch runs on a
    /// thread of its own; a cron run over many slow feeds then costs about the slowest few, not
    /// their sum.
    public func fetchAll(_ requests: [FetchRequest], concurrency: FetchConcurrency = FetchConcurrency()) -> [FetchResult] {
        if requests.isEmpty { return [] }
        if requests.count == 1 { return [fetch(requests[0])] }
        let queue = FetchQueue(requests.map { RedirectRule.origin($0.url) }, perHost: concurrency.perHost)
        let results = FetchResults(count: requests.count)
        let group = DispatchGroup()
        for _ in 0..<min(concurrency.total, requests.count) {
            group.enter()
            let thread = Thread {
                while let i = queue.next() {
                    results.set(i, fetch(requests[i]))
                    queue.finished(i)
                }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        return results.values
    }
}

/// Hands out request indices in order, skipping (for now) those whose host is at its limit.
final class FetchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private let hosts: [String]
    private let perHost: Int
    private var pending: [Int]
    private var running: [String: Int] = [:]

    init(_ hosts: [String], perHost: Int) {
        self.hosts = hosts
        self.perHost = perHost
        pending = Array(hosts.indices)
    }

    /// The next request a worker may start, waiting while every pending one's host is busy;
    /// nil when none is left.
    func next() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if pending.isEmpty { return nil }
            if let k = pending.firstIndex(where: { running[hosts[$0], default: 0] < perHost }) {
                let i = pending.remove(at: k)
                running[hosts[i], default: 0] += 1
                return i
            }
            condition.wait()
        }
    }

    func finished(_ i: Int) {
        condition.lock()
        running[hosts[i], default: 0] -= 1
        condition.broadcast()
        condition.unlock()
    }
}

final class FetchResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [FetchResult?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ r: FetchResult) { lock.withLock { slots[i] = r } }

    var values: [FetchResult] { lock.withLock { slots.map { $0 ?? .failed("not fetched") } } }
}

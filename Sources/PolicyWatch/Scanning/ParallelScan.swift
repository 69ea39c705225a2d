import Foundation
import PolicyMatcher

/// The outcome of one input record, in input order.
public enum ScanItem: Sendable {
    case article(Article, alerts: [Alert])
    case error(InputError)
}

/// Reads and scans articles on all cores with bounded memory, delivering results in input
/// order (so a report is the same as a sequential run's).
///
/// One thread reads the inputs into chunks (JSON Lines files a block at a time, cut at line
/// ends), `workers` threads parse and scan chunks, each with its own normaliser, and the
/// calling thread receives the results chunk by chunk, in order. At most `maxChunksInFlight`
/// chunks are read ahead, so memory does not grow with the corpus.
public struct ParallelScan: Sendable {
    public var scanner: Scanner
    public var reader: ArticleReader
    /// Worker threads; 1 runs everything on the calling thread.
    public var workers: Int
    /// Bytes of JSON Lines per chunk.
    public var chunkBytes: Int
    /// Chunks read but not yet consumed.
    public var maxChunksInFlight: Int

    public init(scanner: Scanner, reader: ArticleReader = ArticleReader(), workers: Int? = nil, chunkBytes: Int = 256 << 10) {
        self.scanner = scanner
        self.reader = reader
        self.workers = max(1, workers ?? ProcessInfo.processInfo.activeProcessorCount)
        self.chunkBytes = chunkBytes
        self.maxChunksInFlight = self.workers * 8
    }

    /// Scans `paths`. `transform` runs on a worker with each chunk's items (use it for costly
    /// per-alert work such as encoding); `consume` runs on the calling thread, in input order.
    /// If `consume` throws, reading stops and the error is rethrown.
    public func run<T: Sendable>(paths: [String], now: String, transform: @escaping @Sendable ([ScanItem]) -> T,
                                 consume: (T) throws -> Void) throws {
        let work: @Sendable (InputChunk, inout TextNormalizer) -> T = { [scanner, reader] chunk, normalizer in
            transform(Self.scan(chunk, reader: reader, scanner: scanner, normalizer: &normalizer, now: now))
        }
        if workers == 1 {
            var normalizer = TextNormalizer()
            var failure: Error?
            reader.chunks(for: paths, chunkBytes: chunkBytes) { chunk in
                do {
                    try consume(work(chunk, &normalizer))
                    return true
                } catch {
                    failure = error
                    return false
                }
            }
            if let failure { throw failure }
            return
        }
        let pipe = OrderedPipe<InputChunk, T>(limit: maxChunksInFlight)
        let finished = DispatchGroup()
        func spawn(_ body: @escaping @Sendable () -> Void) {
            finished.enter()
            let t = Thread {
                body()
                finished.leave()
            }
            t.stackSize = 8 << 20
            t.start()
        }
        spawn { [reader, chunkBytes] in
            reader.chunks(for: paths, chunkBytes: chunkBytes) { pipe.put($0) }
            pipe.closeInput()
        }
        for _ in 0..<workers {
            spawn {
                var normalizer = TextNormalizer()
                while let item = pipe.take() {
                    pipe.deliver(item.0, work(item.1, &normalizer))
                }
            }
        }
        defer {
            pipe.stop()
            finished.wait()
        }
        while let result = pipe.next() {
            try consume(result)
        }
    }

    /// Scans `paths`, handing each chunk's items to `consume` in input order.
    public func run(paths: [String], now: String, consume: ([ScanItem]) throws -> Void) throws {
        try run(paths: paths, now: now, transform: { $0 }, consume: consume)
    }

    /// The alerts of each of `articles`, in order, scanned on up to `workers` threads (for
    /// callers that already hold a batch of articles, such as a run with state).
    public static func scan(_ articles: [Article], with scanner: Scanner, now: String,
                            workers: Int = ProcessInfo.processInfo.activeProcessorCount) -> [[Alert]] {
        let n = min(max(1, workers), articles.count)
        guard n > 1 else {
            var normalizer = TextNormalizer()
            return articles.map { scanner.scan($0, normalizer: &normalizer, now: now) }
        }
        let results = ResultSlots<[Alert]>(count: articles.count)
        // Contiguous shares: worker w takes articles[w * count / n ..< (w + 1) * count / n].
        DispatchQueue.concurrentPerform(iterations: n) { w in
            var normalizer = TextNormalizer()
            for i in (w * articles.count / n)..<((w + 1) * articles.count / n) {
                results.set(i, scanner.scan(articles[i], normalizer: &normalizer, now: now))
            }
        }
        return results.values
    }

    static func scan(_ chunk: InputChunk, reader: ArticleReader, scanner: Scanner, normalizer: inout TextNormalizer,
                     now: String) -> [ScanItem] {
        let (articles, errors) = reader.read(chunk)
        var items = errors.map(ScanItem.error)
        items.reserveCapacity(errors.count + articles.count)
        for a in articles {
            items.append(.article(a, alerts: scanner.scan(a, normalizer: &normalizer, now: now)))
        }
        return items
    }
}

/// A bounded queue of numbered work items and a reorder buffer of their results.
/// Every field is guarded by `cond`.
final class OrderedPipe<Work: Sendable, Result: Sendable>: @unchecked Sendable {
    private let cond = NSCondition()
    private var queue: [(Int, Work)] = []
    private var head = 0
    private var results: [Int: Result] = [:]
    private var assigned = 0  // sequence number of the next item put
    private var delivered = 0  // sequence number of the next result consumed
    private var inputOpen = true
    private var stopped = false
    private let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Adds work; waits while `limit` items are unconsumed. False once stopped.
    func put(_ work: Work) -> Bool {
        cond.lock()
        defer { cond.unlock() }
        while assigned - delivered >= limit && !stopped { cond.wait() }
        if stopped { return false }
        queue.append((assigned, work))
        assigned += 1
        cond.broadcast()
        return true
    }

    func closeInput() {
        cond.lock()
        inputOpen = false
        cond.broadcast()
        cond.unlock()
    }

    /// The next work item, or nil when there is no more.
    func take() -> (Int, Work)? {
        cond.lock()
        defer { cond.unlock() }
        while head == queue.count && inputOpen && !stopped { cond.wait() }
        if stopped || head == queue.count { return nil }
        let item = queue[head]
        head += 1
        if head > 64 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return item
    }

    func deliver(_ seq: Int, _ result: Result) {
        cond.lock()
        results[seq] = result
        cond.broadcast()
        cond.unlock()
    }

    /// The next result in sequence order, or nil when all are consumed (or stopped).
    func next() -> Result? {
        cond.lock()
        defer { cond.unlock() }
        while results[delivered] == nil && !stopped && (inputOpen || delivered < assigned) { cond.wait() }
        guard !stopped, let r = results.removeValue(forKey: delivered) else { return nil }
        delivered += 1
        cond.broadcast()
        return r
    }

    /// Wakes and releases every thread; no more work is handed out.
    func stop() {
        cond.lock()
        stopped = true
        cond.broadcast()
        cond.unlock()
    }
}

/// One result slot per index, filled from several threads (each slot by one), read after.
final class ResultSlots<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]

    init(count: Int) {
        slots = [T?](repeating: nil, count: count)
    }

    func set(_ i: Int, _ value: T) {
        lock.lock()
        slots[i] = value
        lock.unlock()
    }

    var values: [T] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}

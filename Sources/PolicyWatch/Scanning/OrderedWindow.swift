import Foundation

/// Runs work on several threads and hands the results back in input order, reading at most
/// a bounded number of items ahead: the ordered window of the scan pipeline. One thread
/// produces work items, `workers` threads turn them into results (each with its own
/// per-thread state, such as a text normaliser), and the calling thread consumes the
/// results in the order the items were produced.
enum OrderedWindow {
    /// `produce` calls its argument with each work item in order (it returns false once the
    /// run is stopping); `work` runs on a worker with that worker's `state`; `consume` runs on
    /// the calling thread, in order. If `consume` throws, production stops and the error is
    /// rethrown. With one worker everything runs on the calling thread.
    static func run<Work: Sendable, Result: Sendable, State>(
        workers: Int, window: Int,
        produce: @escaping @Sendable (_ put: (Work) -> Bool) -> Void,
        makeState: @escaping @Sendable () -> State,
        work: @escaping @Sendable (Work, inout State) -> Result,
        consume: (Result) throws -> Void
    ) throws {
        if workers <= 1 {
            var state = makeState()
            var failure: Error?
            produce { item in
                guard failure == nil else { return false }
                do { try consume(work(item, &state)) } catch { failure = error }
                return failure == nil
            }
            if let failure { throw failure }
            return
        }
        let pipe = OrderedPipe<Work, Result>(limit: window)
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
        spawn {
            produce { pipe.put($0) }
            pipe.closeInput()
        }
        for _ in 0..<workers {
            spawn {
                var state = makeState()
                while let item = pipe.take() {
                    pipe.deliver(item.0, work(item.1, &state))
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

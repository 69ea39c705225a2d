import Foundation

extension ScanPipeline {
    /// The last stage, on a thread of its own: the alert window and the sinks. The commit
    /// stage (the calling thread) hands it each committed batch in order and goes on with the
    /// next one, so storing a batch and encoding the previous one for the sinks overlap.
    /// At most `limit` batches wait; the commit stage waits when they do.
    final class SinkStage: @unchecked Sendable {
        /// What a commit gives the window: copies seen, and the alerts raised with their stories.
        struct Batch: Sendable {
            var sightings: [(story: String, sighting: Alert.Sighting)] = []
            var raised: [Alert] = []
            var stories: [String] = []
            /// The batch as committed, only to be released here (see `commitPending`).
            var committed: StoryBatch?
        }

        private let cond = NSCondition()
        // Guarded by `cond`.
        private var queue: [Batch] = []
        private var closed = false
        private var abandoned = false
        private var running = true
        private let limit: Int
        // Touched by the stage's thread only, until it has ended.
        private var window: AlertWindow
        private let sinks: [any AlertSink]

        init(window: AlertWindow, sinks: [any AlertSink], limit: Int = 2) {
            self.window = window
            self.sinks = sinks
            self.limit = max(1, limit)
            let thread = Thread { [self] in run() }
            thread.stackSize = 8 << 20
            thread.start()
        }

        /// Hands a committed batch over; waits while `limit` batches are waiting.
        func put(_ batch: Batch) {
            cond.lock()
            defer { cond.unlock() }
            while queue.count >= limit && running { cond.wait() }
            guard running else { return }
            queue.append(batch)
            cond.broadcast()
        }

        /// Sends every batch handed over and then what the window still holds; returns once
        /// the sinks have all of it.
        func finish() {
            end(abandon: false)
        }

        /// Stops without sending what waits (the run failed: its committed alerts wait in the
        /// state's outbox).
        func abandon() {
            end(abandon: true)
        }

        private func end(abandon: Bool) {
            cond.lock()
            defer { cond.unlock() }
            closed = true
            if abandon { abandoned = true }
            cond.broadcast()
            while running { cond.wait() }
        }

        private func next() -> Batch? {
            cond.lock()
            defer { cond.unlock() }
            while queue.isEmpty && !closed { cond.wait() }
            guard !abandoned, !queue.isEmpty else { return nil }
            let batch = queue.removeFirst()
            cond.broadcast()
            return batch
        }

        private func run() {
            while var batch = next() {
                batch.committed = nil
                window.see(batch.sightings)
                window.add(batch.raised, stories: batch.stories)
                send(window.releaseOverflow())
            }
            cond.lock()
            let flush = !abandoned
            cond.unlock()
            if flush { send(window.releaseAll()) }
            cond.lock()
            running = false
            cond.broadcast()
            cond.unlock()
        }

        private func send(_ alerts: [Alert]) {
            guard !alerts.isEmpty else { return }
            for sink in sinks { sink.append(alerts) }
        }
    }
}

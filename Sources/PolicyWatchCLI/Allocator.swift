#if canImport(CMimalloc)
import CMimalloc
#endif

/// The program's allocator: mimalloc, linked in place of the C library's malloc (Package.swift;
/// docs/performance.md, "Twelfth round"). Alerts are made on the scanning threads and freed on
/// the sinks' thread, which glibc serialises on its arenas' locks.
enum Allocator {
    /// How long mimalloc keeps a page that emptied before giving its memory back, in ms.
    /// Its default, 25 ms, gave a first run over 1 GB with a state (1,000 rules) 585,000 page
    /// faults: the pipeline's batches empty and refill pages all the time. 100 ms gave
    /// 234,000–359,000, for 3–10 MB more peak memory (128–135 MB, under the 150 MB that run
    /// is held to); on 200 MB, 21,000 faults instead of 31,000–34,000.
    static let decommitDelayMilliseconds = 100

    /// Sets mimalloc's options; once, first thing in `main`. `MIMALLOC_DECOMMIT_DELAY` in the
    /// environment still wins, for measuring.
    static func configure(environment: [String: String]) {
        #if canImport(CMimalloc)
        if environment["MIMALLOC_DECOMMIT_DELAY"] == nil {
            mi_option_set(mi_option_decommit_delay, decommitDelayMilliseconds)
        }
        #endif
    }

    /// mimalloc's value of the option now (for the test that it is set).
    static var decommitDelay: Int? {
        #if canImport(CMimalloc)
        return mi_option_get(mi_option_decommit_delay)
        #else
        return nil
        #endif
    }
}

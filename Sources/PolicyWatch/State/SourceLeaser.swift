import Foundation

/// Shares a run's sources between scanners (`state: postgres://...`): each scanner claims a
/// few sources at a time for a lease, reads them, and marks each finished once all of it is
/// committed. A scanner that dies keeps its claim only until the lease runs out; then
/// another takes the sources over. Without a leaser a scan reads all its sources.
public protocol SourceLeaser: AnyObject, Sendable {
    /// Starts (or joins) the round of scanning that covers `sources`.
    func beginRound(_ sources: [SourceSpec]) throws
    /// The next sources for this scanner. While the rest are leased by other scanners it
    /// waits (until they finish them, or their lease runs out); empty once the round is done.
    func claimSources() throws -> [SourceSpec]
    /// Everything read from `source` is committed.
    func finishedSource(_ source: SourceSpec) throws
}

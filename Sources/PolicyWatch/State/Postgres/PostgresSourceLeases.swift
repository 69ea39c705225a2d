import Foundation

/// Source leases on PostgreSQL, in rounds. `scan_round` holds the round in progress; a source
/// is due while its `done_round` is below it. A scanner that finds nothing due among its
/// sources starts the next round (one compare-and-set, so two scanners starting at once
/// start one round); a scanner that finds sources due joins the round. Claims take the due
/// sources no one holds (`FOR UPDATE SKIP LOCKED`), leased until `now() + lease` on the
/// server's clock, so the scanners' clocks do not matter.
extension PostgresState {
    public func beginRound(_ sources: [SourceSpec]) throws {
        var specs: [String: SourceSpec] = [:]
        for s in sources { specs[s.location] = s }
        let names = specs.keys.sorted()
        try db.query("INSERT INTO sources (name) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", [.textArray(names)])
        while true {
            let current = try db.query("SELECT round FROM scan_round WHERE id = 1").first.map { try $0.decode(Int.self) } ?? 1
            if try dueCount(names, round: current).due > 0 {
                setRound(current, specs: specs, names: names)
                return
            }
            let next = try db.query("UPDATE scan_round SET round = round + 1 WHERE id = 1 AND round = $1 RETURNING round", [.int(current)])
            if let n = try next.first.map({ try $0.decode(Int.self) }) {
                setRound(n, specs: specs, names: names)
                return
            }
            // Another scanner started the next round first: join it.
        }
    }

    public func claimSources() throws -> [SourceSpec] {
        guard let (round, specs, names) = currentRound() else { return [] }
        while true {
            let (due, wait) = try dueCount(names, round: round)
            guard due > 0 else { return [] }
            // Small claims share the sources out evenly; larger ones keep feeds fetched in parallel.
            let take = min(32, max(1, due / 10))
            let claimed = try db.query("""
                WITH free AS (
                    SELECT name FROM sources
                    WHERE name = ANY($1::text[]) AND done_round < $2 AND (lease_until IS NULL OR lease_until < now())
                    ORDER BY name LIMIT $3 FOR UPDATE SKIP LOCKED)
                UPDATE sources s SET leased_by = $4, lease_until = now() + make_interval(secs => $5)
                FROM free WHERE s.name = free.name
                RETURNING s.name
                """, [.textArray(names), .int(round), .int(take), .text(owner), .real(lease)]).map { try $0.decode(String.self) }
            if !claimed.isEmpty { return claimed.sorted().compactMap { specs[$0] } }
            // All due sources are held by other scanners: wait for them to finish, or for a
            // lease to run out (a dead scanner's).
            Thread.sleep(forTimeInterval: min(1, max(0.05, wait ?? 1)))
        }
    }

    public func finishedSource(_ source: SourceSpec) throws {
        guard let (round, _, _) = currentRound() else { return }
        try db.query("""
            UPDATE sources SET done_round = GREATEST(done_round, $1), leased_by = NULL, lease_until = NULL, finished = now()
            WHERE name = $2
            """, [.int(round), .text(source.location)])
    }

    /// Sources of `names` still due in `round`, and seconds until the first lease on them runs out.
    private func dueCount(_ names: [String], round: Int) throws -> (due: Int, wait: Double?) {
        let row = try db.query("""
            SELECT COUNT(*), EXTRACT(EPOCH FROM MIN(lease_until) - now())::float8 FROM sources
            WHERE name = ANY($1::text[]) AND done_round < $2
            """, [.textArray(names), .int(round)]).first
        guard let row else { return (0, nil) }
        let (due, wait) = try row.decode((Int, Double?).self)
        return (due, wait)
    }
}

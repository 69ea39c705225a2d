import Foundation
import PolicyWatch
import PolicyWatchTestSupport
import XCTest

/// Facets from the shipped YAML to `policywatch alerts` filters, end to end.
final class FacetCLITests: XCTestCase {
    func testAlertsFilteredByFacets() throws {
        let dir = TempDir()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let fixture = root + "/Tests/PolicyWatchTests/Fixtures/facets/seed-like.jsonl"
        let scan = Binary.run(["scan", "--state", dir.url("s.sqlite"), "--reporter", "jsonl=all.jsonl", fixture], cwd: dir.path)
        XCTAssertEqual(scan.status, 0, scan.stderr)
        // JSON Lines keep one alert per rule, each with facets and the article key to group by.
        let lines = try XCTUnwrap(dir.read("all.jsonl")).split(separator: "\n")
        let all = try lines.map { try JSONDecoder().decode(Alert.self, from: Data($0.utf8)) }
        XCTAssertGreaterThan(all.count, 5)
        XCTAssertEqual(Set(all.map(\.article.key)).count, 1)
        XCTAssertTrue(all.allSatisfy { $0.facets != nil })

        let query = ["alerts", "--state", dir.url("s.sqlite"), "--acting", "US", "--affected", "CN", "--tag", "export-control",
                     "--stage", "announced", "--since", "7d"]
        let json = Binary.run(query + ["--json"], cwd: dir.path)
        XCTAssertEqual(json.status, 0, json.stderr)
        let picked = try JSONDecoder().decode([Alert].self, from: Data(json.stdout.utf8))
        let expected = all.filter {
            $0.facets!.acting.contains("US") && $0.facets!.affected.contains("CN") && $0.rule.tags.contains("export-control") && $0.facets!.stage == "announced"
        }
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(picked.map(\.id).sorted(), expected.map(\.id).sorted())

        let table = Binary.run(query, cwd: dir.path)
        let rows = table.stdout.split(separator: "\n")
        XCTAssertTrue(rows.first?.hasPrefix("RAISED") == true, table.stdout)
        XCTAssertEqual(rows.count, expected.count + 1)
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0.contains("US > CN") && $0.contains("announced") }, table.stdout)

        XCTAssertEqual(Binary.run(["alerts", "--state", dir.url("s.sqlite"), "--acting", "KR"], cwd: dir.path).stdout, "")
        let bad = Binary.run(["alerts", "--state", dir.url("s.sqlite"), "--stage", "inforce"], cwd: dir.path)
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("did you mean 'in_force'?"), bad.stderr)
    }
}

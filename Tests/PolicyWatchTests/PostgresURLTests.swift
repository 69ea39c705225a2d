import Foundation
@testable import PolicyWatch
import PolicyWatchTestSupport
import XCTest

/// The postgres:// state URL: parts, the password from the environment, and redaction.
final class PostgresURLTests: XCTestCase {
    func testPartsAndDefaults() throws {
        let u = try PostgresURL("postgres://scanner@db.internal/policywatch", environment: [:])
        XCTAssertEqual(u, PostgresURL(user: "scanner", password: nil, host: "db.internal", port: 5432, database: "policywatch"))
        XCTAssertEqual(try PostgresURL("postgresql://a@h:6543/d", environment: [:]).port, 6543)
        XCTAssertTrue(StateLocation("postgres://a@h/d") == .postgres(url: "postgres://a@h/d"))
        XCTAssertTrue(StateLocation("state/pw.sqlite") == .sqlite(path: "state/pw.sqlite"))
    }

    func testPasswordFromVariablePGPASSWORDOrPassFile() throws {
        let fromVar = try PostgresURL("postgres://a:${PW}@h:5432/d", environment: ["PW": "p@ss:w/rd", "PGPASSWORD": "other"])
        XCTAssertEqual(fromVar.password, "p@ss:w/rd")
        XCTAssertEqual(try PostgresURL("postgres://a@h/d", environment: ["PGPASSWORD": "pg"]).password, "pg")

        let dir = TempDir()
        let file = dir.write("pgpass", "# comment\nother:5432:*:a:no\nh:5432:d:a:from\\:file\n*:*:*:*:fallback\n")
        XCTAssertEqual(try PostgresURL("postgres://a@h/d", environment: ["PGPASSFILE": file]).password, "from:file")
        XCTAssertEqual(try PostgresURL("postgres://b@x/y", environment: ["PGPASSFILE": file]).password, "fallback")
        XCTAssertNil(try PostgresURL("postgres://b@x/y", environment: ["PGPASSFILE": dir.url("missing")]).password)
    }

    func testErrorsNameTheProblemAndNeverThePassword() {
        for (text, expected) in [("postgres://a@h", "no database"), ("postgres://h/d", "no user"),
                                 ("postgres://a:${NOPE}@h/d", "NOPE is not set"), ("postgres://a:${X@h/d", "closing")] {
            XCTAssertThrowsError(try PostgresURL(text, environment: [:]), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
            }
        }
        XCTAssertThrowsError(try PostgresURL("postgres://a:hunter2@h", environment: [:])) { error in
            XCTAssertFalse("\(error)".contains("hunter2"), "\(error)")
        }
        XCTAssertEqual(PostgresURL.redact("postgres://a:hunter2@h:1/d"), "postgres://a:***@h:1/d")
        XCTAssertEqual(PostgresURL.redact("error at postgres://a:${PW}@h/d"), "error at postgres://a:${PW}@h/d")
        XCTAssertEqual(PostgresURL.redact("postgres://a@h/d"), "postgres://a@h/d")
        let u = try! PostgresURL("postgres://a:hunter2@h/d", environment: [:])
        XCTAssertEqual(u.description, "postgres://a@h:5432/d")
    }

    func testConfigKeepsThePostgresURLAndReadsTheLease() throws {
        let dir = TempDir()
        let file = dir.write("policywatch.yaml", "version: 1\nstate: postgres://scanner:${PW}@db:5432/pw\noptions:\n  lease: 2m\n")
        let (config, diagnostics) = Config.load(path: file)
        XCTAssertEqual(diagnostics.filter { $0.level == .error }.count, 0, "\(diagnostics)")
        XCTAssertEqual(config?.state, "postgres://scanner:${PW}@db:5432/pw")
        XCTAssertEqual(config?.lease, 120)
    }
}

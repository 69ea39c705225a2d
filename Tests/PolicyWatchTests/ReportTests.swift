import XCTest
import PolicyMatcher
@testable import PolicyWatch

/// Pins report format v1: a golden file and the JSON Schema in docs/.
final class ReportTests: XCTestCase {
    func makeReport() throws -> Report {
        let (set, diags) = RuleLoader.compile(paths: [Repo.fixtures + "/rules.yaml"], includeBuiltin: false)
        let rules = try XCTUnwrap(set, "\(diags)")
        let reader = ArticleReader()
        let path = Repo.fixtures + "/bilingual.txt"
        var (articles, errors) = reader.read(path: path)
        errors += reader.parse(data: Data([0xC3, 0x28]), path: "broken.txt").errors
        let now = "2026-01-02T03:04:05Z"
        var normalizer = TextNormalizer()
        var alerts: [Alert] = []
        for a in articles {
            var a = a
            a.path = "Fixtures/bilingual.txt"  // independent of the checkout location
            alerts += RuleScanner(ruleSet: rules).scan(a, normalizer: &normalizer, now: now)
        }
        for i in alerts.indices { alerts[i].rule.file = "Fixtures/rules.yaml" }
        articles.removeAll()
        return Report(run: .init(started: now, finished: now, rules: rules.rules.count, articles: 1, skipped: errors.count),
                      alerts: alerts, errors: errors)
    }

    func testGoldenReport() throws {
        let data = try makeReport().jsonData()
        let golden = Repo.fixtures + "/golden/report.json"
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] != nil {
            try FileManager.default.createDirectory(atPath: Repo.fixtures + "/golden", withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: golden))
        }
        let expected = try String(contentsOfFile: golden, encoding: .utf8)
        XCTAssertEqual(String(decoding: data, as: UTF8.self), expected, "report changed; if intended, bump the format version or run UPDATE_GOLDEN=1 swift test --filter ReportTests")
    }

    /// The state's encoder (`StoredAlert.encode`, on the scanning threads) shares an article's
    /// JSON between its alerts: each row, spliced back, is the bytes of encoding the alert alone,
    /// and an alert of another article (which it cannot split) is stored whole, the same bytes.
    func testStoredRowsMatchOneByOne() throws {
        let alerts = try makeReport().alerts
        let others = alerts.map { a -> Alert in
            var b = a
            b.article.key += "-copy"
            b.article.title = "다른 기사 \"quoted\""
            return b
        }
        XCTAssertGreaterThan(alerts.count, 1)
        func bytes(_ row: StoredAlert.Row) -> [UInt8] {
            switch row {
            case .whole(let json): return Array(json.utf8)
            case .parts(let e): return StoredAlert.splice(article: e.article, middle: String(decoding: e.middle, as: UTF8.self), rule: e.ruleJSON)
            }
        }
        // In runs of one article, then with the article changing at every alert.
        for batch in [alerts, others, alerts + others, zip(alerts, others).flatMap { [$0, $1] }] {
            let rows = StoredAlert.encode(batch)
            XCTAssertEqual(rows.count, batch.count)
            for (row, a) in zip(rows, batch) { XCTAssertEqual(bytes(row), ReportEncoder.compact(a)) }
        }
        guard case .parts(let e) = StoredAlert.encode(alerts)[0] else { return XCTFail("an alert of the first article is split") }
        XCTAssertEqual(try StoredAlert.decode(json: String(decoding: e.middle, as: UTF8.self), article: e.article, rule: e.ruleJSON), alerts[0])
    }

    func testReportValidatesAgainstSchema() throws {
        let validator = try MiniSchemaValidator(schemaPath: Repo.path("docs/report.schema.json"))
        let json = try JSONSerialization.jsonObject(with: makeReport().jsonData())
        XCTAssertEqual(validator.validate(json), [])
        // The validator itself catches violations.
        var bad = json as! [String: Any]
        bad["version"] = 2
        bad["extra"] = true
        XCTAssertEqual(validator.validate(bad).count, 2)
    }

    func testKeysAreSortedAndKoreanIsNotEscaped() throws {
        let text = String(decoding: try makeReport().jsonData(), as: UTF8.self)
        XCTAssertTrue(text.contains("공동"))
        XCTAssertFalse(text.contains("\\u"))
        let alertsRange = try XCTUnwrap(text.range(of: "\"alerts\""))
        let errorsRange = try XCTUnwrap(text.range(of: "\"errors\""))
        XCTAssertLessThan(alertsRange.lowerBound, errorsRange.lowerBound)
    }

    /// The encoder's eight-bytes-at-a-time test against the byte table's answer: a word needs
    /// escaping exactly when one of its bytes is a control character, '"' or '\\'.
    func testWordEscapeTestAgreesWithTheBytes() {
        var r = SeededRandom(seed: 14)
        let near: [UInt8] = [0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xA2, 0xC3, 0xDC, 0xFF, 0x41]
        var flagged = 0
        for _ in 0..<200_000 {
            var word: UInt64 = 0
            var escaped = false
            for k in 0..<8 {
                let b = r.next() % 4 == 0 ? UInt8(truncatingIfNeeded: r.next()) : near[Int(r.next() % UInt64(near.count))]
                word |= UInt64(b) << UInt64(8 * k)
                if b < 0x20 || b == 0x22 || b == 0x5C { escaped = true }
            }
            XCTAssertEqual(JSONBytes.needsEscape(word), escaped, String(word, radix: 16))
            if escaped { flagged += 1 }
        }
        XCTAssertGreaterThan(flagged, 1_000)
        XCTAssertLessThan(flagged, 199_000)
    }

    /// Alert ids made from the rule's hash (`Alert.id(ruleHash:articleKey:)`, no joined string)
    /// against the plain definition: the hex of the hash of rule, newline, key.
    func testAlertIDIsTheHashOfRuleAndKey() {
        var r = SeededRandom(seed: 21)
        let pieces = ["", "a", "t.17", "export-control.chips", "https://x.example/a?b=c", "반도체", "é\n\u{0}", "🇰🇷"]
        for _ in 0..<2_000 {
            let rule = (0..<Int(r.next() % 3)).map { _ in pieces[Int(r.next() % UInt64(pieces.count))] }.joined()
            let key = (0..<Int(r.next() % 4)).map { _ in pieces[Int(r.next() % UInt64(pieces.count))] }.joined() + String(r.next() % 1000)
            let plain = StableHash.hex(rule + "\n" + key)
            XCTAssertEqual(Alert.id(rule: rule, articleKey: key), plain)
            XCTAssertEqual(Alert.id(ruleHash: Alert.idPrefix(rule: rule), articleKey: key), plain)
        }
    }
}

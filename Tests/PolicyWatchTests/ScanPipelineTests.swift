import Foundation
import PolicyMatcher
import XCTest
@testable import PolicyWatch

/// A deterministic random source (SplitMix64), so failures reproduce.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The fast paths of a scan (streamed JSON Lines, parallel workers, hand-written JSON, rules
/// indexed by anchor term) against the plain ones.
final class ScanPipelineTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("pw-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    static let rulesYAML = """
        lists:
          chips: [semiconductor*, chip, chips, 반도체, 半導体]
        rules:
          - id: export-control.chips
            title: Export controls on chips
            severity: high
            tags: [export-control]
            match:
              all:
                - any: [export control*, 수출 통제, 輸出規制]
                - $chips
              none: [export to csv]
          - id: supply-chain
            title: "Supply chain \\"resilience\\""
            match: [supply chain, 공급망]
          - id: no-anchor
            title: Articles that do not mention tariffs
            severity: info
            match:
              none: [tariff*]
          - id: cased.us
            match:
              all:
                - {term: US, cased: true}
                - sanctions
        """

    func ruleSet() throws -> RuleSet {
        var parser = RuleParser(path: "rules.yaml")
        let file = try XCTUnwrap(parser.parse(text: Self.rulesYAML), "\(parser.diagnostics)")
        let (set, diagnostics) = Compiler.compile([file])
        return try XCTUnwrap(set, "\(diagnostics)")
    }

    /// Articles that exercise every rule, and JSON that takes each path of the fast parser.
    static func jsonLines(count: Int) -> String {
        var r = SeededRandom(seed: 5)
        let bodies = ["Washington tightened export controls on advanced chips.\\n\\nMore to come.",
                      "미국 정부가 반도체 수출통제를 강화했다. 공급망도 논의했다.",
                      "Export the table to CSV before the chip meeting; tariffs rose.",
                      "The US imposed sanctions; the us team met.",
                      "政府は半導体の輸出規制を強化した。",
                      "A \\\"quoted\\\" \\\\ backslash, a tab\\t, \\u00e9 and \\ud83d\\ude00 in the supply-chain story."]
        var lines: [String] = []
        for i in 0..<count {
            let body = bodies[i % bodies.count] + " " + (0..<Int.random(in: 0...30, using: &r)).map { "word\($0)" }.joined(separator: " ")
            switch i % 9 {
            case 0: lines.append(#"{"id": \#(i), "title": "Article \#(i)", "body": "\#(body)", "url": "https://x.example/\#(i)", "lang": "en"}"#)
            case 1: lines.append(#"{"id":"a\#(i)","text":"\#(body)","source":"wire","published":"2024-01-0\#(i % 9 + 1)T00:00:00Z","extra":{"n":[1,2.5e3,true,null]}}"#)
            case 2: lines.append("")
            case 3: lines.append(#"{"title": "only a title with chips and export controls \#(i)"}"#)
            case 4: lines.append(#"{"id": 1.5, "body": "\#(body)"}"#)  // a Double id: JSONDecoder path
            case 5: lines.append(#"{"body": "\#(body)", "body": "twice"}"#)  // a key twice: JSONDecoder path
            case 6: lines.append(#"{"body": 42}"#)  // wrong type: an error
            case 7: lines.append(#"{"body": "broken"#)  // invalid JSON: an error
            default: lines.append(#"  {"content": "\#(body)", "link": "https://y.example/\#(i)", "language": null}  "# + "\r")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The reference: read the whole file at once and evaluate every rule on every article.
    func sequentialAlerts(_ set: RuleSet, path: String, now: String) -> (alerts: [Alert], errors: [InputError], articles: Int) {
        let (perArticle, errors) = sequentialAlertsByArticle(set, path: path, now: now)
        return (perArticle.flatMap(\.alerts), errors, perArticle.count)
    }

    func sequentialAlertsByArticle(_ set: RuleSet, path: String, now: String) -> ([(article: Article, alerts: [Alert])], [InputError]) {
        let reader = ArticleReader(maxBytes: 1 << 30)
        let (articles, errors) = reader.read(path: path)
        let scanner = RuleScanner(ruleSet: set)
        var out: [(article: Article, alerts: [Alert])] = []
        var normalizer = TextNormalizer()
        for article in articles {
            let m = scanner.matches(article, normalizer: &normalizer)
            let evaluator = Evaluator(matches: m)
            var alerts: [Alert] = []
            for rule in set.rules {
                let outcome = evaluator.evaluate(rule.condition)
                if outcome.holds { alerts.append(scanner.makeAlert(rule, article: article, matches: m, evidence: outcome.evidence, now: now)) }
            }
            out.append((article, alerts))
        }
        return (out, errors)
    }

    func parallelAlerts(_ set: RuleSet, paths: [String], now: String, workers: Int, chunkBytes: Int,
                        maxBytes: Int = 1 << 30) throws -> (alerts: [Alert], errors: [InputError], articles: Int) {
        var options = ScanPipeline.Options(workers: workers)
        options.chunkBytes = chunkBytes
        let date = ISO8601DateFormatter().date(from: now) ?? Date()
        let pipeline = ScanPipeline(scanner: RuleScanner(ruleSet: set), reader: ArticleReader(maxBytes: maxBytes),
                                    context: RunContext(clock: { date }, workingDirectory: "/"), options: options)
        let collector = AlertCollector()
        let outcome = try pipeline.run(paths.map { SourceSpec($0) }, sinks: [collector])
        return (collector.alerts, outcome.errors, outcome.articles + outcome.unchangedArticles)
    }

    /// The reference for the story stage: articles one at a time through a fresh in-memory
    /// index, in input order.
    func merged(_ perArticle: [(article: Article, alerts: [Alert])]) throws -> [Alert] {
        let index = InMemoryStoryIndex()
        var out: [Alert] = []
        for (a, alerts) in perArticle {
            let (hash, letters) = ContentHash.story(title: a.title, body: a.body)
            out += try index.commit(StoryBatch(articles: [ScannedArticle(article: a, contentHash: hash, letters: letters, alerts: alerts)],
                                               now: "t")).raised
        }
        return out
    }

    func testParallelStreamingScanEqualsSequentialScan() throws {
        let set = try ruleSet()
        let path = try write("news.jsonl", Self.jsonLines(count: 400))
        let now = "2024-01-01T00:00:00Z"
        var expected = sequentialAlerts(set, path: path, now: now)
        XCTAssertGreaterThan(expected.alerts.count, 200)
        // Copies (the same id twice, the same text without id) raise one alert.
        expected.alerts = try merged(sequentialAlertsByArticle(set, path: path, now: now).0).map { var a = $0; a.alsoSeen = nil; return a }
        XCTAssertGreaterThan(expected.alerts.count, 150)
        XCTAssertEqual(Set(expected.alerts.map(\.rule.id)), ["export-control.chips", "supply-chain", "no-anchor", "cased.us"])
        XCTAssertFalse(expected.errors.isEmpty)
        // Tiny chunks cut lines everywhere, even inside multi-byte characters.
        for (workers, chunk) in [(1, 1 << 20), (1, 7), (3, 13), (2, 1000), (4, 1 << 16)] {
            let got = try parallelAlerts(set, paths: [path], now: now, workers: workers, chunkBytes: chunk)
            XCTAssertEqual(got.articles, expected.articles, "workers \(workers), chunk \(chunk)")
            XCTAssertEqual(got.errors, expected.errors, "workers \(workers), chunk \(chunk)")
            XCTAssertEqual(got.alerts.map { var a = $0; a.alsoSeen = nil; return a }, expected.alerts, "workers \(workers), chunk \(chunk)")
        }
    }

    func testFastJSONParserAgreesWithJSONDecoder() throws {
        let reader = ArticleReader()
        var r = SeededRandom(seed: 9)
        var fast = 0
        let samples = Self.jsonLines(count: 90).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) + [
            #"{"id": -12, "title": "t", "body": "b\/c \u0041\u00DF\uD834\uDD1E"}"#, #"{"id": 012, "body": "x"}"#,
            #"{"id": 123456789012345678901, "body": "x"}"#, #"{"body": "\ud800 lone"}"#, #"{"body": "ok"} trailing"#,
            "{\"body\": \"tab\tinside\"}", #"{"title": "", "body": ""}"#, #"{"title": null, "body": "x", "nested": {"a": [{}, []]}}"#,
            #"[1, 2]"#, #"{"body": "x",}"#, #"{"body" "x"}"#, #"{"body": "x", "n": 1e}"#, #"{"body": "x", "n": -}"#,
            #"{"body": "x", "t": tru}"#, #"{"body": "x", "t": nullx}"#, "{\"body\": \"caf\u{e9}\"}", #"{"id": "7", "lang": "ko", "body": "한국어"}"#,
        ] + (0..<200).map { _ in
            // Random splices of valid lines: mostly invalid JSON, sometimes valid.
            let a = Self.jsonLines(count: 9).utf8.shuffled(using: &r).prefix(Int.random(in: 0...60, using: &r))
            return #"{"body": "x"#  + String(decoding: a.filter { $0 != 0x0A }, as: UTF8.self) + #""}"#
        }
        for line in samples {
            let data = Data(line.utf8)
            let viaFast = data.withUnsafeBytes { FastJSONArticle.parse($0.bindMemory(to: UInt8.self), path: "f.jsonl") }
            let viaDecoder: Article? = try? ArticleReader.article(fromJSON: data, path: "f.jsonl")
            if let viaFast {
                fast += 1
                XCTAssertEqual(viaFast, viaDecoder, "line: \(line)")
            }
            // Whatever path is taken, the reader's answer is JSONDecoder's.
            switch reader.parseJSONLine(data, path: "f.jsonl", lineNo: 1) {
            case .success(let a): XCTAssertEqual(a, viaDecoder, "line: \(line)")
            case .failure: XCTAssertNil(viaDecoder, "line: \(line)")
            case .none: XCTAssertTrue(line.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" })
            }
        }
        XCTAssertGreaterThan(fast, 40, "the fast path should take the common lines")
    }

    /// The JSON Lines parser's UTF-8 check answers as `String(validating:as:)` does: on valid
    /// text, and on byte strings cut from it, spliced and sprinkled with bytes that are never
    /// valid or only valid in some places (truncated sequences, surrogates, overlong forms).
    func testValidStringAgreesWithStringValidating() {
        var r = SeededRandom(seed: 11)
        let text = Array("Export controls 수출 통제 輸出規制 出口管制 café 😀 \u{10FFFF}".utf8)
        let odd: [[UInt8]] = [[0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98],
                              [0xF0, 0x9F], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xFE], [0xC3]]
        var samples: [[UInt8]] = [[], text] + odd
        for _ in 0..<3_000 {
            var s: [UInt8] = []
            for _ in 0..<Int.random(in: 0...4, using: &r) {
                if Bool.random(using: &r) {
                    let a = Int.random(in: 0..<text.count, using: &r)
                    s += text[a..<min(text.count, a + Int.random(in: 0...12, using: &r))]
                } else {
                    s += odd.randomElement(using: &r)!
                }
            }
            samples.append(s)
        }
        var invalid = 0
        for s in samples {
            let want = String(validating: s, as: UTF8.self)
            let got = s.withUnsafeBufferPointer(FastJSONArticle.Parser.validString)
            XCTAssertEqual(got, want, "\(s)")
            if want == nil { invalid += 1 }
        }
        XCTAssertGreaterThan(invalid, 1_000, "the samples hold many invalid byte strings")
    }

    /// The scanner's one-pass UTF-8 decoding gives `Array(text.unicodeScalars)`: scalars of
    /// one to four bytes, at the start, the end, alone, and bridged from `NSString`.
    func testScalarsOfATextAreItsUnicodeScalars() {
        var r = SeededRandom(seed: 12)
        let pieces = ["a", " ", "é", "수", "出", "😀", "\u{10FFFF}", "\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{FFFF}", "\u{10000}", "e\u{301}", "\r\n"]
        var texts = [""] + pieces + [NSString(string: "Ünïcödé 한국어").description]
        for _ in 0..<2_000 { texts.append((0..<Int.random(in: 0...30, using: &r)).map { _ in pieces.randomElement(using: &r)! }.joined()) }
        for t in texts { XCTAssertEqual(RuleScanner.scalars(of: t), Array(t.unicodeScalars), t) }
    }

    func testStreamingReportsOverlongLinesAndEmptyFiles() throws {
        let set = try ruleSet()
        let long = String(repeating: "x", count: 300)
        let path = try write("mixed.jsonl", "{\"body\": \"chips\"}\n{\"body\": \"\(long)\"}\n\n{\"body\": \"export controls on chips\"}")
        let empty = try write("empty.jsonl", "\n  \n")
        for chunk in [5, 64, 1 << 20] {
            let got = try parallelAlerts(set, paths: [path, empty, dir.appendingPathComponent("missing.jsonl").path],
                                         now: "t", workers: 2, chunkBytes: chunk, maxBytes: 100)
            XCTAssertEqual(got.articles, 2, "chunk \(chunk)")
            // In input order.
            XCTAssertEqual(got.errors.map(\.source), ["\(path):2", empty, dir.appendingPathComponent("missing.jsonl").path], "chunk \(chunk)")
            XCTAssertTrue(got.errors[0].message.contains("over the limit of 100"), got.errors[0].message)
            XCTAssertEqual(got.errors[1].message, "empty input")
        }
    }

    func testFailingStoryIndexStopsTheScan() throws {
        final class FailingIndex: StoryIndex, @unchecked Sendable {
            struct Full: Error {}
            var commits = 0
            func knownContentHashes(keys: [String]) throws -> [String: String] { [:] }
            func commit(_ batch: StoryBatch) throws -> StoryCommit {
                commits += 1
                if commits == 3 { throw Full() }
                return StoryCommit()
            }
            func fileMark(_ path: String) throws -> FileMark? { nil }
            func feedMark(_ url: String) throws -> FeedMark? { nil }
            func recordFeedNotModified(url: String, at time: String) throws {}
        }
        let set = try ruleSet()
        let path = try write("many.jsonl", Self.jsonLines(count: 2000))
        let index = FailingIndex()
        var options = ScanPipeline.Options(workers: 2)
        options.chunkBytes = 512
        let pipeline = ScanPipeline(scanner: RuleScanner(ruleSet: set), index: index, options: options)
        XCTAssertThrowsError(try pipeline.run([SourceSpec(path)], sinks: [AlertCollector()])) { XCTAssertTrue($0 is FailingIndex.Full) }
        XCTAssertEqual(index.commits, 3)
    }

    func testIndexedRulesEqualEvaluatingEveryRule() throws {
        let set = try ruleSet()
        let scanner = RuleScanner(ruleSet: set)
        var normalizer = TextNormalizer()
        for body in ["nothing here", "tariffs and chips", "export controls on chips", "US sanctions", "공급망 반도체 수출 통제"] {
            let article = Article(title: "t", body: body)
            let m = scanner.matches(article, normalizer: &normalizer)
            let evaluator = Evaluator(matches: m)
            let all = set.rules.filter { evaluator.evaluate($0.condition).holds }.map(\.rule.id)
            XCTAssertEqual(scanner.scan(article, normalizer: &normalizer, now: "t").map(\.rule.id), all, body)
        }
        XCTAssertEqual(set.rules.filter { $0.anchors == nil }.map(\.rule.id), ["no-anchor"])
    }

    // MARK: - Report writer

    func sampleAlerts() throws -> [Alert] {
        let set = try ruleSet()
        let scanner = RuleScanner(ruleSet: set)
        var alerts = try sequentialAlerts(set, path: write("a.jsonl", Self.jsonLines(count: 60)), now: "2024-05-06T07:08:09Z").alerts
        // Strings JSONEncoder must escape, optional fields absent, entities present.
        var odd = scanner.scan(Article(id: "q\"\\/\u{1}\u{1F}\u{7F}", title: "ti\ttle\r\n\u{8}\u{C}", body: "export controls on chips 🇰🇷 é\u{2028}"))[0]
        odd.entities = ["country": ["US", "CN"], "b_kind": [], "organisation": ["BIS"]]
        odd.rule.tags = []
        odd.alsoSeen = [Alert.Sighting(key: "k2", url: "https://b.example/x", source: nil, path: "feed.xml", seen: "2024-05-06T07:08:09Z"),
                        Alert.Sighting(key: "k3", url: nil, source: "wire", path: nil, seen: "2024-05-07T00:00:00Z")]
        odd.matches.append(Alert.MatchRecord(term: "x", field: .title, start: -1, end: 1_000_000_000_000, text: "", snippet: "…"))
        odd.matches.append(Alert.MatchRecord(term: "y", field: .body, start: Int.min, end: Int.max, text: "0", snippet: ""))
        alerts.append(odd)
        return alerts
    }

    func testEncodedAlertsAreWhatJSONEncoderWrites() throws {
        let alerts = try sampleAlerts()
        XCTAssertGreaterThan(alerts.count, 20)
        let compact = Report.encoder(pretty: false)
        let jsonl = ReportEncoder.jsonLines(alerts)
        var expected = Data()
        for a in alerts {
            expected.append(try compact.encode(a))
            expected.append(0x0A)
        }
        XCTAssertEqual(String(decoding: jsonl, as: UTF8.self), String(decoding: expected, as: UTF8.self))
    }

    /// A rule's object is written once for all its alerts (`Alert.RuleRef.encoded`): a rule
    /// changed afterwards (a copy of it) is written as changed, the original as it was, in
    /// a report and in JSON Lines.
    /// The rule id the state's lines copy (`Alert.RuleRef.quotedID`) is the id as a JSON string,
    /// also after a change.
    func testQuotedRuleIDFollowsChanges() throws {
        var rule = Alert.RuleRef(id: "a\"b\\c\u{1}", title: "t", severity: .low, tags: [], file: "f")
        let compact = Report.encoder(pretty: false)
        XCTAssertEqual(Array(rule.quotedID), Array(try compact.encode(rule.id)))
        let shared = rule
        rule.id = "export-control.chips"
        XCTAssertEqual(String(decoding: rule.quotedID, as: UTF8.self), "\"export-control.chips\"")
        XCTAssertEqual(Array(shared.quotedID), Array(try compact.encode(shared.id)), "the original keeps its own")
        // A longer file (it sorts before the id) moves the id in the rule object; a title does not.
        rule.title = "Another title"
        rule.file = "a/much/longer/path/to/the/rules/file.yaml"
        XCTAssertEqual(String(decoding: rule.quotedID, as: UTF8.self), "\"export-control.chips\"")
    }

    func testRuleObjectsWrittenAheadFollowChanges() throws {
        var alerts = Array(try sampleAlerts().prefix(4))
        let original = alerts[0].rule
        for i in 1...3 { alerts[i].rule = original }
        alerts[1].rule.title = "Changed \"title\" — 변경"
        alerts[2].rule.severity = original.severity == .high ? .low : .high
        alerts[3].rule.tags += ["new-tag"]
        XCTAssertNotEqual(alerts[1].rule, original)
        XCTAssertEqual(alerts[0].rule.title, original.title)
        let compact = Report.encoder(pretty: false)
        var expected = Data()
        for a in alerts { expected.append(try compact.encode(a)); expected.append(0x0A) }
        XCTAssertEqual(String(decoding: ReportEncoder.jsonLines(alerts), as: UTF8.self), String(decoding: expected, as: UTF8.self))
        var stream = ReportStream(pretty: true)
        stream.append(alerts)
        let run = Report.RunInfo(started: "a", finished: "b", rules: 1, articles: 1, skipped: 0)
        let report = Report(run: run, alerts: alerts, errors: [])
        XCTAssertEqual(String(decoding: stream.take() + stream.finish(run: run, errors: []), as: UTF8.self),
                       String(decoding: try ReferenceReport.encode(pretty: true, report), as: UTF8.self) + "\n")
        // `policywatch alerts --json`: the same layout as the report's alerts.
        var array = try String(decoding: Report.encoder(pretty: true).encode([Alert]()), as: UTF8.self)
        XCTAssertEqual(String(decoding: ReportEncoder.alertArray([]), as: UTF8.self), array + "\n")
        array = "[\n" + (try alerts.map { "  " + String(decoding: try compact.encode($0), as: UTF8.self) }.joined(separator: ",\n")) + "\n]\n"
        XCTAssertEqual(String(decoding: ReportEncoder.alertArray(alerts), as: UTF8.self), array)
        for a in alerts {
            var one = JSONBytes(pretty: false)
            one.alert(a)
            XCTAssertEqual(String(decoding: one.bytes, as: UTF8.self), String(decoding: try compact.encode(a), as: UTF8.self), "an alert alone")
        }
    }

    func testStreamedReportIsWhatJSONEncoderWrites() throws {
        let alerts = try sampleAlerts()
        let errors = [InputError(source: "x.jsonl:3", message: "invalid \"JSON\""), InputError(source: "-", message: "empty input")]
        let run = Report.RunInfo(started: "a", finished: "b", rules: 4, articles: 60, skipped: 2)
        let all12 = Array((0..<12).map { _ in alerts }.joined())
        XCTAssertGreaterThan(all12.count, 512)
        for pretty in [true, false] {
            for (splits, errs) in [([0, 5, 6, alerts.count], errors), ([0, alerts.count], []), ([0], errors)] {
                var stream = ReportStream(pretty: pretty)
                var bytes: [UInt8] = []
                for (lo, hi) in zip(splits, splits.dropFirst()) {
                    stream.append(Array(alerts[lo..<hi]))
                    bytes += stream.take()
                }
                // Encoded on several threads: the same bytes.
                var parallel = ReportStream(pretty: pretty)
                var many: [UInt8] = []
                for _ in 0..<12 {
                    parallel.append(all12, threads: 4)
                    many += parallel.take()
                }
                many += parallel.finish(run: run, errors: errs)
                var sequential = ReportStream(pretty: pretty)
                for _ in 0..<12 { sequential.append(all12) }
                XCTAssertEqual(many, sequential.take() + sequential.finish(run: run, errors: errs))
                XCTAssertEqual(ReportEncoder.jsonLines(all12 + all12, threads: 3), ReportEncoder.jsonLines(all12 + all12))
                bytes += stream.finish(run: run, errors: errs)
                let all = Array(alerts[0..<(splits.last ?? 0)])
                // The reference: JSONEncoder on the whole report.
                var expected = try ReferenceReport.encode(pretty: pretty, Report(run: run, alerts: all, errors: errs))
                expected.append(0x0A)
                XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(decoding: expected, as: UTF8.self))
                XCTAssertEqual(stream.alertCount, all.count)
            }
        }
    }

    /// Alerts encoded ahead (`ReportEncoder.encodeAhead`, on the scanning threads) against
    /// `JSONEncoder`: as they are, with `also_seen` set after (encoded around it), and changed
    /// after in another field (the bytes are dropped and the alert is encoded whole).
    func testAlertsEncodedAheadAreWhatJSONEncoderWrites() throws {
        try checkEncodedAhead(for: [.alerts])
    }

    /// With a state, the middle of each alert is written once, compact, for the state's rows,
    /// and JSON Lines records copy it: the same bytes as written whole.
    func testAlertsEncodedAheadFromTheStatesMiddlesAreWhatJSONEncoderWrites() throws {
        try checkEncodedAhead(for: [.alerts, .state])
        var alerts = try sampleAlerts()
        alerts[3].facets = Facets(acting: ["US", "EU"], affected: [], sectors: ["semi\"conductors"], stage: "in_force")
        alerts[4].entities = ["": [""], "k\tey": ["{[\"]}", ":,"]]
        alerts[4].matches = []
        for i in [3, 4] {
            var one = [alerts[i]]
            let rows = try XCTUnwrap(ReportEncoder.encodeAhead(&one, for: [.alerts, .state]))
            guard case .parts = rows[0] else { return XCTFail("an alert without also_seen is stored in parts") }
            var stream = ReportStream(pretty: true)
            stream.append(one)
            var whole = ReportStream(pretty: true)
            whole.append([alerts[i]])
            XCTAssertEqual(String(decoding: stream.take(), as: UTF8.self), String(decoding: whole.take(), as: UTF8.self))
            XCTAssertEqual(ReportEncoder.jsonLines(one), ReportEncoder.jsonLines([alerts[i]]))
        }
    }

    private func checkEncodedAhead(for targets: ReportEncoder.Targets) throws {
        var alerts = try sampleAlerts()
        XCTAssertTrue(alerts.allSatisfy { $0.encodedAhead == nil }, "nothing encoded ahead unless asked")
        // Per article, as the scanner does it; and a last group of two articles.
        var ahead: [Alert] = []
        var start = 0
        for end in 1...alerts.count where end == alerts.count || alerts[end].article != alerts[start].article {
            var group = Array(alerts[start..<end])
            let rows = ReportEncoder.encodeAhead(&group, for: targets)
            XCTAssertEqual(rows?.count, targets.contains(.state) ? group.count : nil)
            ahead += group
            start = end
        }
        var mixed = [alerts[0], alerts[alerts.count - 1]]
        ReportEncoder.encodeAhead(&mixed, for: targets)
        ahead += mixed
        alerts += [alerts[0], alerts[alerts.count - 1]]
        XCTAssertEqual(ahead, alerts)
        XCTAssertTrue(ahead.allSatisfy { $0.encodedAhead != nil })
        // also_seen added after: the bytes are kept; any other change drops them.
        let seen = [Alert.Sighting(key: "k9", url: "https://c.example/\"q\"", source: "s", path: nil, seen: "2024-05-06T07:08:09Z")]
        for i in stride(from: 0, to: ahead.count, by: 3) {
            ahead[i].alsoSeen = seen
            alerts[i].alsoSeen = seen
        }
        ahead[1].id = "changed"
        alerts[1].id = "changed"
        ahead[2].alsoSeen = []
        alerts[2].alsoSeen = []
        XCTAssertNotNil(ahead[0].encodedAhead)
        XCTAssertNil(ahead[1].encodedAhead)
        XCTAssertNotNil(ahead[2].encodedAhead)
        var copy = ahead[4]
        copy.firstSeen = "x"
        XCTAssertNil(copy.encodedAhead)
        XCTAssertNotNil(ahead[4].encodedAhead, "a copy's change leaves the original's bytes")

        let compact = Report.encoder(pretty: false)
        var expectedLines = Data()
        for a in alerts {
            expectedLines.append(try compact.encode(a))
            expectedLines.append(0x0A)
        }
        XCTAssertEqual(String(decoding: ReportEncoder.jsonLines(ahead), as: UTF8.self), String(decoding: expectedLines, as: UTF8.self))
        XCTAssertEqual(ReportEncoder.jsonLines(ahead, threads: 4), ReportEncoder.jsonLines(alerts, threads: 4))
        let run = Report.RunInfo(started: "a", finished: "b", rules: 4, articles: 60, skipped: 0)
        for pretty in [true, false] {
            var expected = try ReferenceReport.encode(pretty: pretty, Report(run: run, alerts: alerts, errors: []))
            expected.append(0x0A)
            var stream = ReportStream(pretty: pretty)
            stream.append(Array(ahead[..<7]), threads: 4)
            stream.append(Array(ahead[7...]))
            XCTAssertEqual(String(decoding: stream.take() + stream.finish(run: run, errors: []), as: UTF8.self),
                           String(decoding: expected, as: UTF8.self), "pretty: \(pretty)")
        }
    }

    /// The JSON report and JSON Lines of a parallel scan, whose bytes the scanning threads
    /// encode, are what `JSONEncoder` writes of the alerts the sinks received (copies in
    /// `also_seen` included).
    func testScanReportersEncodeAheadAndAgreeWithJSONEncoder() throws {
        let set = try ruleSet()
        let path = try write("news.jsonl", Self.jsonLines(count: 400))
        let reportPath = dir.appendingPathComponent("r.json").path, linesPath = dir.appendingPathComponent("a.jsonl").path
        let date = ISO8601DateFormatter().date(from: "2024-01-01T00:00:00Z")!
        let context = RunContext(clock: { date }, workingDirectory: "/")
        let entries = try Dispatcher.entries([try .parse(argument: "json=\(reportPath)"), try .parse(argument: "jsonl=\(linesPath)")],
                                             context: ReporterContext(run: context, now: date))
        let sinks = entries.map { ReporterSink(entry: $0, outbox: nil, started: "2024-01-01T00:00:00Z", context: context) }
        XCTAssertEqual(sinks.map(\.encodedAhead), [.alerts, .alerts])
        // The report written a few kilobytes at a time, its buffers exchanged with the stream's.
        sinks[0].writeBytes = 4096
        let collector = AlertCollector()
        var options = ScanPipeline.Options(workers: 3)
        options.chunkBytes = 2048
        options.alertWindow = 50
        let outcome = try ScanPipeline(scanner: RuleScanner(ruleSet: set), context: context, options: options)
            .run([SourceSpec(path)], sinks: [collector] + sinks)
        let alerts = collector.alerts
        XCTAssertGreaterThan(alerts.count, 150)
        XCTAssertTrue(alerts.allSatisfy { $0.encodedAhead != nil })
        XCTAssertTrue(alerts.contains { $0.alsoSeen != nil }, "copies listed in also_seen")
        var expected = try ReferenceReport.encode(pretty: true, Report(run: outcome.run, alerts: alerts, errors: outcome.errors))
        expected.append(0x0A)
        XCTAssertGreaterThan(expected.count, 8 * sinks[0].writeBytes, "the report is written in several pieces")
        XCTAssertEqual(String(decoding: try Data(contentsOf: URL(fileURLWithPath: reportPath)), as: UTF8.self),
                       String(decoding: expected, as: UTF8.self))
        let compact = Report.encoder(pretty: false)
        var lines = Data()
        for a in alerts {
            lines.append(try compact.encode(a))
            lines.append(0x0A)
        }
        XCTAssertEqual(String(decoding: try Data(contentsOf: URL(fileURLWithPath: linesPath)), as: UTF8.self),
                       String(decoding: lines, as: UTF8.self))
        // Nothing is encoded ahead for sinks that do not want it.
        let plain = try parallelAlerts(set, paths: [path], now: "2024-01-01T00:00:00Z", workers: 2, chunkBytes: 4096)
        XCTAssertTrue(plain.alerts.allSatisfy { $0.encodedAhead == nil })
    }

    /// Snippets of ASCII text, written from its bytes, are those written from its scalars
    /// (the general path), around matches anywhere, with runs of whitespace of every kind.
    func testASCIISnippetsAreTheScalarOnes() {
        var r = SeededRandom(seed: 31)
        let words = ["export", "controls", "on", "chips", "a", "semiconductor", " ", "  ", "\t", "\n\n", "\r\n", "x"]
        for _ in 0..<500 {
            let text = (0..<Int(r.next() % 80)).map { _ in words[Int(r.next() % UInt64(words.count))] }.joined(separator: r.next() % 2 == 0 ? " " : "")
            let bytes = Array(text.utf8), scalars = Array(text.unicodeScalars)
            XCTAssertEqual(bytes.count, scalars.count)
            let lo = bytes.isEmpty ? 0 : Int(r.next() % UInt64(bytes.count)), hi = min(bytes.count, lo + Int(r.next() % 12))
            XCTAssertEqual(RuleScanner.snippet(ascii: bytes, lo..<hi), RuleScanner.snippet(scalars, lo..<hi), "\(text.debugDescription) \(lo)..<\(hi)")
        }
        // Mostly words between single spaces (the path that copies a window whole), with now
        // and then a double space, a line break or a control byte that is not whitespace, at
        // every position within and across eight-byte words.
        let plain = ["export", "controls", "on", "chips", "a", "semiconductors", "x", "ab", "abc"]
        var fast = 0
        for _ in 0..<3_000 {
            var text = (0..<Int(1 + r.next() % 60)).map { _ in plain[Int(r.next() % UInt64(plain.count))] }.joined(separator: " ")
            if r.next() % 2 == 0, !text.isEmpty {
                let odd = ["  ", "\n", "\u{1}", "\t", " \r", "\u{0B}", "\u{0E}"][Int(r.next() % 7)]
                let at = text.index(text.startIndex, offsetBy: Int(r.next() % UInt64(text.count)))
                text.insert(contentsOf: odd, at: at)
            }
            if r.next() % 8 == 0 { text = " " + text }
            if r.next() % 8 == 0 { text += " " }
            let bytes = Array(text.utf8), scalars = Array(text.unicodeScalars)
            let lo = Int(r.next() % UInt64(bytes.count)), hi = min(bytes.count, lo + Int(r.next() % 12))
            for radius in [3, 20, 60] {
                XCTAssertEqual(RuleScanner.snippet(ascii: bytes, lo..<hi, radius: radius), RuleScanner.snippet(scalars, lo..<hi, radius: radius),
                               "\(text.debugDescription) \(lo)..<\(hi) radius \(radius)")
            }
            if !bytes.withUnsafeBufferPointer({ RuleScanner.needsCollapsing($0.baseAddress!, count: $0.count) }) { fast += 1 }
        }
        XCTAssertGreaterThan(fast, 500, "the whole-window path is exercised")
    }

    /// With bytes encoded ahead, the scanner writes each alert's evidence as JSON straight
    /// from the text (`Alert.evidenceJSON`) and makes no records: the records read back from
    /// it are those made without, and the alert's bytes are what `JSONEncoder` writes of them.
    /// ASCII and other text, characters JSON escapes, whitespace of every kind, snippets cut at
    /// both ends, more evidence than an alert keeps.
    func testEvidenceWrittenAsJSONIsTheRecordsItStandsFor() throws {
        let set = try ruleSet()
        let (read, _) = ArticleReader(maxBytes: 1 << 20).read(path: try write("news.jsonl", Self.jsonLines(count: 90)))
        let chips = (0..<30).map { "chip\($0 % 3 == 0 ? "s" : "")" }.joined(separator: " \t and\u{1} \"q\" \\ ")
        // And text made at random of pieces that change length when normalised (a ligature,
        // full-width letters, a dotted capital I, a combining accent), escapes, NUL and spaces.
        var random = SeededRandom(seed: 12)
        let pieces = ["chip", "chips", "Export controls", "export control", "반도체", "수출 통제", "supply chain", "공급망", "半導体", "輸出規制",
                      "ﬁ", "Ｃｈｉｐｓ", "İ", "e\u{301}", "\u{0}", "\u{1F}", "\"", "\\", "\t", "\n", " ", "  ", "\u{3000}", "\u{A0}", "\u{2028}",
                      "\u{1F600}", "word", "é"]
        let made = (0..<200).map { i in
            let text = (0..<Int(random.next() % 60)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined(separator: random.next() % 3 == 0 ? "" : " ")
            return Article(title: i % 4 == 0 ? text : "Export controls on chips \(i)", body: text, language: nil)
        }
        let articles = read + [
            Article(title: "Export controls on chips\u{7F}", body: "export controls: " + chips + " end", language: "en"),
            Article(title: "반도체 수출 통제", body: "정부는\u{3000}반도체\u{00A0}수출 통제를 \"강화\"했다.\r\n" + String(repeating: "공급망 ", count: 40), language: "ko"),
            Article(title: "輸出規制", body: "半導体の輸出規制\t\t強化 é \u{1F600} supply chain", language: "ja"),
        ] + made
        let compact = Report.encoder(pretty: false)
        for keep in [20, 2] {
            var plain = RuleScanner(ruleSet: set)
            plain.maxMatchesPerAlert = keep
            var ahead = plain
            ahead.encodeAhead = .alerts
            var normalizer = TextNormalizer()
            var count = 0, evidence = 0
            for article in articles {
                let expected = plain.scan(article, normalizer: &normalizer, now: "2024-01-01T00:00:00Z")
                let alerts = ahead.scan(article, normalizer: &normalizer, now: "2024-01-01T00:00:00Z")
                XCTAssertEqual(alerts, expected, article.title)
                for (a, e) in zip(alerts, expected) {
                    XCTAssertNotNil(a.evidenceJSON)
                    XCTAssertNil(e.evidenceJSON)
                    XCTAssertEqual(a.matches, e.matches)
                    XCTAssertEqual(String(decoding: ReportEncoder.compact(a), as: UTF8.self), String(decoding: try compact.encode(e), as: UTF8.self))
                    evidence = max(evidence, a.matches.count)
                }
                count += alerts.count
            }
            XCTAssertGreaterThan(count, 80)
            XCTAssertEqual(evidence, keep, "an alert keeps at most \(keep) pieces of evidence")
        }
        // Set, the records replace the bytes.
        var ahead = RuleScanner(ruleSet: set)
        ahead.encodeAhead = .alerts
        var normalizer = TextNormalizer()
        var alert = try XCTUnwrap(ahead.scan(articles[read.count], normalizer: &normalizer, now: "n").first)
        alert.matches = [Alert.MatchRecord(term: "t", field: .body, start: 0, end: 1, text: "e", snippet: "e")]
        XCTAssertNil(alert.evidenceJSON)
        XCTAssertEqual(alert.matches.map(\.snippet), ["e"])
        XCTAssertTrue(String(decoding: ReportEncoder.compact(alert), as: UTF8.self).contains(#""matches":[{"end":1,"field":"body","snippet":"e""#))
    }

    func testDiscardedReportLeavesNoFile() throws {
        let out = dir.appendingPathComponent("never.json").path
        let writer = try AtomicFile.Writer(path: out)
        try writer.write(Data("{".utf8))
        writer.discard()
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }
}

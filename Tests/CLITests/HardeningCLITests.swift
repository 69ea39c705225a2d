import Foundation
import PolicyWatch
import PolicyWatchTestSupport
import XCTest

/// Issue 11 and 15 through the real binary: feeds that used to crash it, a state reached
/// through a symlink, an unsupported `scheme://`.
final class HardeningCLITests: XCTestCase {
    var dir: TempDir!

    override func setUp() {
        dir = TempDir("policywatch-hardening")
        dir.write("rules/pack.yaml", Samples.rules)
        dir.write("news/chips.txt", "\(Samples.chipsStory.title)\n\(Samples.chipsStory.body)\n")
    }

    // XCTest keeps every test case object until the end: the directory goes now.
    override func tearDown() { dir = nil }

    func scan(_ args: [String]) -> Binary.Result {
        Binary.run(["scan", "--no-default-rules", "--rules", "rules"] + args, cwd: dir.path)
    }

    /// The four reproducers killed the process (SIGSEGV/SIGILL) inside XMLParser. Now each broken
    /// one is an input error (exit 3), the feed that is valid is read, and so is the file after.
    func testFeedsThatCrashedTheProcessAreInputErrors() throws {
        dir.write("news/a.atom", Data([0x3C, 0xC3, 0x3C, 0x64, 0x69]))
        dir.write("news/b.rss", "<?l?>")
        dir.write("news/c.rss", Samples.rss(items: [Samples.roadmapStory]) + "<?x?>")
        dir.write("news/d.rss", Data(Array("<?a".utf8) + [0xFF] + Array(" b?>".utf8)))
        let r = scan(["news"])
        XCTAssertEqual(r.status, 3, "exit 3 = partial; stderr: \(r.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(r.stdout.utf8))
        XCTAssertEqual(Set(report.errors.map { ($0.source as NSString).lastPathComponent }), ["a.atom", "b.rss", "d.rss"])
        XCTAssertTrue(report.errors.allSatisfy { $0.message.hasPrefix("invalid XML at line 1") }, "\(report.errors)")
        XCTAssertEqual(Set(report.alerts.map(\.article.title)), [Samples.chipsStory.title, Samples.roadmapStory.title])
        XCTAssertFalse(r.stderr.contains("encoding error"), "libxml2 prints nothing of its own: \(r.stderr)")
    }

    /// A run on `link.sqlite` (a symlink to `s.sqlite`) is refused while `s.sqlite` is held.
    func testStateReachedThroughASymlinkIsLocked() throws {
        try FileManager.default.createSymbolicLink(atPath: dir.url("link.sqlite"), withDestinationPath: "s.sqlite")
        let held = try StateLock.acquire(statePath: dir.url("s.sqlite"))
        let r = scan(["--state", "link.sqlite", "news"])
        XCTAssertEqual(r.status, 75, r.stderr)
        XCTAssertTrue(r.stderr.contains("is using this state"), r.stderr)
        withExtendedLifetime(held) {}
    }

    func testUnsupportedSchemeIsAnErrorNotAFileName() {
        let source = scan(["ftp://files.example/feed.xml"])
        XCTAssertEqual(source.status, 64, source.stderr)
        XCTAssertTrue(source.stderr.contains("unsupported scheme 'ftp' in ftp://files.example/feed.xml; supported: http, https, file paths"),
                      source.stderr)
        let reporter = scan(["--reporter", "jsonl=s3://bucket/alerts.jsonl", "news"])
        XCTAssertNotEqual(reporter.status, 0)
        XCTAssertNotEqual(reporter.status, 3)
        XCTAssertTrue(reporter.stderr.contains("unsupported scheme 's3'"), reporter.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.url("s3:")), "no directory named after the scheme")
        for args in [["--output", "ftp://files.example/r.json"], ["--stream", "--output", "ftp://files.example/r.json"],
                     ["--state", "ftp://files.example/s.db"]] {
            let r = scan(args + ["news"])
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("unsupported scheme 'ftp' in ftp://files.example/"), r.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.url("ftp:")))
    }

    /// What the HTTP client takes from libcurl (docs/cron.md): a proxy named in the
    /// environment, and answers compressed with gzip.
    func testProxyFromTheEnvironmentAndGzipAnswers() throws {
        let page = "<html><head><title>\(Samples.chipsStory.title)</title></head><body><p>\(Samples.chipsStory.body)</p></body></html>"
        let proxy = try LoopbackHTTPServer()
        defer { proxy.stop() }
        // A proxy is asked for the whole URL; this one answers for the host it was given.
        proxy.set("http://news.invalid/chips.html", .init(page, contentType: "text/html; charset=utf-8"))
        let viaProxy = Binary.run(["scan", "--no-default-rules", "--rules", "rules", "--format", "jsonl", "http://news.invalid/chips.html"],
                                  cwd: dir.path, environment: ["http_proxy": proxy.url(""), "no_proxy": ""])
        XCTAssertEqual(viaProxy.status, 0, viaProxy.stderr)
        XCTAssertTrue(viaProxy.stdout.contains("\"key\":\"http://news.invalid/chips.html\""), viaProxy.stdout)
        XCTAssertEqual(proxy.requests(to: "http://news.invalid/chips.html").count, 1)

        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        var gzipped = LoopbackHTTPServer.Resource(body: Self.gzip(Data(page.utf8)), contentType: "text/html; charset=utf-8")
        gzipped.headers["Content-Encoding"] = "gzip"
        server.set("/chips.html", gzipped)
        let compressed = Binary.run(["scan", "--no-default-rules", "--rules", "rules", "--format", "jsonl", server.url("/chips.html")], cwd: dir.path)
        XCTAssertEqual(compressed.status, 0, compressed.stderr)
        XCTAssertTrue(compressed.stdout.contains(Samples.chipsStory.title), compressed.stdout)
        XCTAssertTrue(server.requests(to: "/chips.html").first?.headers["accept-encoding"]?.contains("gzip") == true)
    }

    /// `data` in gzip's format, one stored (uncompressed) deflate block: enough for the
    /// client to decode, without a compressor in the test.
    static func gzip(_ data: Data) -> Data {
        precondition(data.count < 65_536)
        var crc: UInt32 = 0xFFFF_FFFF
        for b in data {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        crc ^= 0xFFFF_FFFF
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        let n = UInt16(data.count)
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
        out += [1, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)]
        out += data
        out += le32(crc) + le32(UInt32(data.count))
        return Data(out)
    }

    /// Issue 11 end to end: a webhook answered with a 307 to another origin. The other server
    /// gets nothing (no secret), the run says why and exits 3, and the alert stays owed until
    /// `deliver` finds the webhook answering itself.
    func testWebhookRedirectElsewhereLeavesTheAlertOwed() throws {
        let home = try LoopbackHTTPServer()
        let elsewhere = try LoopbackHTTPServer()
        defer {
            home.stop()
            elsewhere.stop()
        }
        elsewhere.set("/steal", .init(status: 200, body: Data("ok".utf8), contentType: "text/plain"))
        home.redirect("/hook", status: 307, to: elsewhere.url("/steal"))
        let hook = "webhook[retries=0,timeout=5,header=Authorization: Bearer ${PW_HOOK_TOKEN}]=\(home.url("/hook"))"
        setenv("PW_HOOK_TOKEN", "s3cret-token-value", 1)
        defer { unsetenv("PW_HOOK_TOKEN") }

        let first = scan(["--state", "s.sqlite", "--reporter", hook, "news"])
        XCTAssertEqual(first.status, 3, first.stderr)
        XCTAssertTrue(first.stderr.contains("HTTP 307 redirect to \(elsewhere.url("/steal")) not followed"), first.stderr)
        XCTAssertTrue(first.stderr.contains("not delivered; kept in the state for the next run"), first.stderr)
        XCTAssertEqual(elsewhere.requests.count, 0)

        home.set("/hook", .init(status: 200, body: Data("ok".utf8), contentType: "text/plain"))
        let retry = Binary.run(["deliver", "--state", "s.sqlite", "--reporter", hook], cwd: dir.path)
        XCTAssertEqual(retry.status, 0, retry.stderr)
        let delivered = home.requests(to: "/hook").filter { $0.status == 200 }
        XCTAssertGreaterThan(delivered.count, 0)
        XCTAssertEqual(delivered.count, Set(delivered.compactMap { $0.headers["idempotency-key"] }).count, "each owed alert once")
        XCTAssertEqual(delivered.first?.headers["authorization"], "Bearer s3cret-token-value")
        XCTAssertEqual(elsewhere.requests.count, 0)
    }
}

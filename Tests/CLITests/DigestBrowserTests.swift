import Foundation
import PolicyWatchTestSupport
import XCTest

/// The HTML digest rendered by a real headless browser (Debian's Chromium): the DOM it builds
/// holds one card per article, each listing its rules. Without Chromium the test is skipped
/// locally and fails under CI (the env var CI set), where .ci/run installs it.
final class DigestBrowserTests: XCTestCase {
    static func chromium() -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let p = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: p) { return p }
            }
        }
        return nil
    }

    /// Runs Chromium with a deadline (a wedged browser must not hang the suite); its stdout.
    func dumpDOM(_ chromium: String, page: String, profile: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(profile)", "--dump-dom", URL(fileURLWithPath: page).absoluteString]
        let out = profile + "/dom.html"
        FileManager.default.createFile(atPath: out, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning {
            process.terminate()
            XCTFail("chromium did not finish within 90 s")
        }
        process.waitUntilExit()
        return try String(contentsOfFile: out, encoding: .utf8)
    }

    func testDigestShowsOneCardPerArticleInChromium() throws {
        guard let chromium = Self.chromium() else {
            if ProcessInfo.processInfo.environment["CI"] != nil {
                return XCTFail("chromium is not installed (apt-get install -y chromium fonts-noto-cjk; .ci/run does)")
            }
            throw XCTSkip("chromium is not installed; apt-get install -y chromium fonts-noto-cjk")
        }
        let dir = TempDir()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let inputs = [root + "/Tests/PolicyWatchTests/Fixtures/reporters/articles.jsonl", root + "/Tests/PolicyWatchTests/Fixtures/facets/seed-like.jsonl"]
        let scan = Binary.run(["scan", "--reporter", "html=digest.html", "--reporter", "json=report.json"] + inputs, cwd: dir.path)
        XCTAssertTrue([0, 3].contains(scan.status), scan.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.url("report.json")))) as! [String: Any]
        let alerts = report["alerts"] as! [[String: Any]]
        let articleKeys = Set(alerts.map { ($0["article"] as! [String: Any])["key"] as! String })
        XCTAssertGreaterThan(alerts.count, articleKeys.count, "several rules fire on one article: the grouping is tested")

        try FileManager.default.createDirectory(atPath: dir.url("profile"), withIntermediateDirectories: true)
        let dom = try dumpDOM(chromium, page: dir.url("digest.html"), profile: dir.url("profile"))
        // What the browser built, not the text we wrote: Chromium serialises its DOM.
        XCTAssertTrue(dom.contains("<body>"), String(dom.prefix(300)))
        let cards = dom.components(separatedBy: "<article class=\"card\"").dropFirst()
        XCTAssertEqual(cards.count, articleKeys.count, "one card per article")
        XCTAssertEqual(dom.components(separatedBy: "<li class=\"alert\"").count - 1, alerts.count, "every rule that fired, once")
        for card in cards {
            let body = card.components(separatedBy: "</article>")[0]
            XCTAssertEqual(body.components(separatedBy: "<h3").count - 1, 1, "the title once per card")
        }
        // The seed-like card carries its facets.
        XCTAssertTrue(dom.contains("<p class=\"facets\">acting "), "facets shown")
    }
}

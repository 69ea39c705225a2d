import Foundation
import PolicyWatchTestSupport
import XCTest
@testable import PolicyWatch

/// One URL check for sources, reporter targets and the state (issue 15): an unknown
/// `scheme://` is an error everywhere, never a file name.
final class LocationTests: XCTestCase {
    static let ftpMessage = "unsupported scheme 'ftp' in ftp://files.example/feed.xml; supported: http, https, file paths"

    func testClassification() throws {
        XCTAssertEqual(try Location("https://news.example/feed.xml"), .web(URL(string: "https://news.example/feed.xml")!))
        XCTAssertEqual(try Location("HTTP://News.Example/x"), .web(URL(string: "HTTP://News.Example/x")!), "schemes are case-insensitive")
        XCTAssertEqual(try Location("news/feed.xml"), .path("news/feed.xml"))
        XCTAssertEqual(try Location("/srv/a://b"), .path("/srv/a://b"), "'://' after a slash is part of a path")
        XCTAssertEqual(try Location("C:notes"), .path("C:notes"))
        XCTAssertEqual(try Location("-"), .stdin)
        XCTAssertThrowsError(try Location("ftp://files.example/feed.xml")) { XCTAssertEqual("\($0)", Self.ftpMessage) }
        XCTAssertThrowsError(try Location("file:///tmp/x.rss")) { XCTAssertTrue("\($0)".hasPrefix("unsupported scheme 'file'"), "\($0)") }
        XCTAssertThrowsError(try Location("s3+x.y-z://bucket/k")) { XCTAssertTrue("\($0)".hasPrefix("unsupported scheme 's3+x.y-z'"), "\($0)") }
        XCTAssertThrowsError(try Location("https://")) { XCTAssertEqual("\($0)", "'https://' is not a valid URL (write it as https://host/path)") }
        XCTAssertEqual(Location.scheme(of: "1http://x"), nil, "a scheme starts with a letter")
        XCTAssertTrue(Location.isWeb("https://a.example/"))
        XCTAssertFalse(Location.isWeb("ftp://a.example/"))
        XCTAssertFalse(Location.isWeb("javascript:alert(1)"))
    }

    func testSecretsInTheURLAreNotShownInErrors() {
        XCTAssertThrowsError(try Location.webURL("gopher://h/s3cret-value", shown: "gopher://h/${TOKEN}", what: "webhook URL")) {
            XCTAssertFalse("\($0)".contains("s3cret"), "\($0)")
            XCTAssertTrue("\($0)".contains("${TOKEN}"), "\($0)")
        }
        XCTAssertThrowsError(try Location.webURL("hooks/local", what: "webhook URL")) {
            XCTAssertEqual("\($0)", "webhook URL 'hooks/local' is not an http(s) URL")
        }
    }

    func testCommandLineSourcesConfigAndReportersAgree() throws {
        let (config, diagnostics) = Config.parse(text: "sources:\n  - ftp://files.example/feed.xml\n", path: "c.yaml")
        XCTAssertNil(config)
        XCTAssertEqual(diagnostics.map(\.message), [Self.ftpMessage])

        let (ctx, _) = ReporterFixtures.context()
        for argument in ["webhook=ftp://files.example/feed.xml", "json=ftp://files.example/feed.xml",
                         "jsonl=ftp://files.example/feed.xml", "html=ftp://files.example/feed.xml"] {
            let config = try ReporterConfig.parse(argument: argument)
            XCTAssertThrowsError(try ReporterRegistry.builtIn.make(config, context: ctx), argument) {
                XCTAssertTrue("\($0)".contains("unsupported scheme 'ftp' in ftp://files.example/feed.xml"), "\(argument): \($0)")
            }
        }
        let json = try ReporterConfig.parse(argument: "json=https://files.example/r.json")
        XCTAssertThrowsError(try ReporterRegistry.builtIn.make(json, context: ctx)) {
            XCTAssertTrue("\($0)".contains("must be a local path"), "\($0)")
        }
        XCTAssertThrowsError(try StateLock.acquire(statePath: "ftp://files.example/state.db")) {
            XCTAssertTrue("\($0)".contains("unsupported scheme 'ftp'"), "\($0)")
        }
    }
}

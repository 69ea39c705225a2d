import Foundation
import PolicyWatch
import PolicyWatchTestSupport
import XCTest

/// Feeds, pages, format sniffing, canonical URLs and content hashes (issue 5, §3-4).
final class FormatTests: XCTestCase {
    // MARK: Canonical URLs

    func testCanonicalURLDropsTrackingAndFragment() {
        XCTAssertEqual(URLCanonicalizer.canonical("HTTPS://News.Example.COM:443/a/b?utm_source=x&id=7&fbclid=abc&UTM_Medium=y#comments"),
                       "https://news.example.com/a/b?id=7")
        XCTAssertEqual(URLCanonicalizer.canonical("http://example.com?gclid=1&utm_campaign=z"), "http://example.com/")
        XCTAssertEqual(URLCanonicalizer.canonical("http://example.com:8080/x?b=2&a=1"), "http://example.com:8080/x?b=2&a=1",
                       "other parameters keep their order; a non-default port stays")
        XCTAssertEqual(URLCanonicalizer.canonical("tag:example.com,2025:1"), "tag:example.com,2025:1")
        XCTAssertEqual(URLCanonicalizer.canonical("/relative?utm_source=x"), "/relative?utm_source=x")
    }

    func testArticleKeyIsTheCanonicalURL() {
        let a = Article(title: "t", body: "b", url: "https://news.example/s1?utm_source=feedA#top")
        let b = Article(title: "t", body: "b", url: "https://NEWS.example/s1?utm_source=feedB&mc_cid=9")
        XCTAssertEqual(a.key, "https://news.example/s1")
        XCTAssertEqual(a.key, b.key)
        XCTAssertEqual(a.url, "https://news.example/s1?utm_source=feedA#top", "the url field keeps what the input said")
    }

    // MARK: Content hash

    func testStoryHashIgnoresCasePunctuationSpacingAndMarkup() {
        let a = ContentHash.story(title: "Chip curbs", body: "The US imposed new export controls — on chips.")
        let b = ContentHash.story(title: "CHIP CURBS!", body: "The  US imposed new\nexport-controls on chips")
        let c = ContentHash.story(title: "Chip curbs", body: "The US lifted export controls on chips.")
        XCTAssertEqual(a.hash, b.hash)
        XCTAssertNotEqual(a.hash, c.hash)
        XCTAssertEqual(a.letters, "ChipcurbsTheUSimposednewexportcontrolsonchips".count)
        XCTAssertEqual(ContentHash.story(title: "반도체", body: "수출 통제").letters, 7)
    }

    // MARK: Sniffing

    func testSniffing() {
        XCTAssertEqual(InputFormat.sniff(Data("\u{FEFF}<?xml version=\"1.0\"?>\n<!-- c -->\n<rss version=\"2.0\">".utf8)), .feed)
        XCTAssertEqual(InputFormat.sniff(Data("<feed xmlns=\"http://www.w3.org/2005/Atom\">".utf8)), .feed)
        XCTAssertEqual(InputFormat.sniff(Data("<?xml version=\"1.0\"?><rdf:RDF xmlns:rdf=\"x\">".utf8)), .feed)
        XCTAssertEqual(InputFormat.sniff(Data("  <!DOCTYPE html><html>".utf8)), .html)
        // JSON Lines whose lines are longer than the first 4 KB (long articles, on stdin).
        let long = String(repeating: "word ", count: 2_000)
        let lines = (0..<3).map { #"{"id":"\#($0)","body":"\#(long)"}"# }
        XCTAssertEqual(InputFormat.sniff(Data(lines.joined(separator: "\n").utf8)), .jsonLines)
        XCTAssertEqual(InputFormat.sniff(Data(("\u{FEFF}" + lines.joined(separator: "\r\n\n") + "\n").utf8)), .jsonLines)
        XCTAssertEqual(InputFormat.sniff(Data((lines[0] + "\n").utf8)), .json, "one line is one document")
        XCTAssertEqual(InputFormat.sniff(Data("{\n  \"title\": \"a\",\n  \"body\": {\"x\": 1}\n}\n".utf8)), .json, "an indented document")
        XCTAssertEqual(InputFormat.sniff(Data((lines[0] + "\n[1]\n").utf8)), .json)
        XCTAssertEqual(InputFormat.sniff(Data("<html lang=ko><body>".utf8)), .html)
        XCTAssertEqual(InputFormat.sniff(Data("{\"title\": \"x\",\n \"body\": \"y\"}".utf8)), .json)
        XCTAssertEqual(InputFormat.sniff(Data("{\"title\": \"x\"}\n{\"title\": \"y\"}\n".utf8)), .jsonLines)
        XCTAssertNil(InputFormat.sniff(Data("Just a headline\nand text.".utf8)))
        XCTAssertNil(InputFormat.sniff(Data("<?xml version=\"1.0\"?><catalog/>".utf8)))
    }

    func testReaderPicksFormatByExtensionThenContent() {
        let reader = ArticleReader()
        let rss = Data(Samples.rss(items: [Samples.chipsStory]).utf8)
        XCTAssertEqual(reader.parse(data: rss, path: "news.xml").articles.map(\.title), ["US tightens chip curbs"])
        XCTAssertEqual(reader.parse(data: rss, path: "download").articles.map(\.title), ["US tightens chip curbs"], "no extension: sniffed")
        XCTAssertEqual(reader.parse(data: rss, path: "feed.rss").articles.count, 1)
        let notFeed = reader.parse(data: Data("<?xml version=\"1.0\"?><catalog/>".utf8), path: "x.xml")
        XCTAssertEqual(notFeed.errors.map(\.message), ["XML that is neither an RSS nor an Atom feed; skipped"])
        let page = reader.parse(data: Data("<html><head><title>T</title></head><body><p>Body text.</p></body></html>".utf8), path: "saved")
        XCTAssertEqual(page.articles.first?.body, "Body text.")
    }

    // MARK: Feeds

    func testRSSItemsBecomeArticles() {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <channel><title>Policy &amp; Trade</title><link>https://news.example/</link>
            <image><title>Logo</title><url>https://news.example/logo.png</url></image>
            <item>
              <title>Chip curbs</title>
              <link>https://news.example/a?utm_source=rss</link>
              <guid isPermaLink="false">id-1</guid>
              <description>Short &lt;b&gt;summary&lt;/b&gt;</description>
              <content:encoded><![CDATA[<p>The US imposed <em>export controls</em> on chips.</p><p>Second &amp; last.</p>]]></content:encoded>
              <pubDate>Tue, 10 Jun 2025 13:00:00 +0900</pubDate>
            </item>
            <item>
              <title>Relative</title><link>/b</link><dc:date>2025-06-11T08:00:00Z</dc:date>
              <description>Plain text body.</description>
            </item>
            <item><title></title><description></description></item>
            </channel></rss>
            """
        let feed = FeedParser.parse(Data(xml.utf8), source: "https://news.example/feed.xml")
        XCTAssertEqual(feed.title, "Policy & Trade")
        XCTAssertEqual(feed.articles.count, 2)
        let a = feed.articles[0]
        XCTAssertEqual(a.title, "Chip curbs")
        XCTAssertEqual(a.body, "The US imposed export controls on chips.\n\nSecond & last.")
        XCTAssertEqual(a.url, "https://news.example/a?utm_source=rss")
        XCTAssertEqual(a.key, "https://news.example/a")
        XCTAssertEqual(a.id, "id-1")
        XCTAssertEqual(a.published, "2025-06-10T04:00:00Z")
        XCTAssertEqual(a.source, "Policy & Trade")
        XCTAssertEqual(a.path, "https://news.example/feed.xml")
        XCTAssertEqual(feed.articles[1].url, "https://news.example/b", "relative links resolve against the feed URL")
        XCTAssertEqual(feed.articles[1].published, "2025-06-11T08:00:00Z")
        XCTAssertEqual(feed.errors.map(\.message), ["feed item has neither a title nor any text; skipped"])
        XCTAssertEqual(feed.errors.first?.source, "https://news.example/feed.xml#item3")
    }

    func testAtomEntries() {
        let xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <title type="text">Atom News</title>
              <entry>
                <title type="html">Ban on &lt;i&gt;Micron&lt;/i&gt; chips</title>
                <link rel="self" href="https://atom.example/self/1"/>
                <link rel="alternate" href="https://atom.example/1"/>
                <id>urn:uuid:1</id>
                <published>2025-05-21T10:00:00+02:00</published>
                <updated>2025-05-22T10:00:00Z</updated>
                <summary>short</summary>
                <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>China banned Micron products.</p><p>Officials cited security.</p></div></content>
              </entry>
              <entry>
                <title>Text entry</title><link href="https://atom.example/2"/><id>urn:uuid:2</id>
                <content type="html">&lt;p&gt;Escaped &amp;amp; html&lt;/p&gt;</content>
                <source><title>Elsewhere</title><id>urn:other</id></source>
              </entry>
            </feed>
            """
        let feed = FeedParser.parse(Data(xml.utf8), source: "atom.xml", sourceName: "My name")
        XCTAssertEqual(feed.errors, [])
        XCTAssertEqual(feed.articles.map(\.title), ["Ban on Micron chips", "Text entry"])
        XCTAssertEqual(feed.articles[0].url, "https://atom.example/1")
        XCTAssertEqual(feed.articles[0].body, "China banned Micron products.\n\nOfficials cited security.")
        XCTAssertEqual(feed.articles[0].published, "2025-05-21T08:00:00Z")
        XCTAssertEqual(feed.articles[1].body, "Escaped & html")
        XCTAssertEqual(feed.articles[1].id, "urn:uuid:2", "the <source>'s id does not replace the entry's")
        XCTAssertEqual(feed.articles[1].source, "My name")
    }

    func testTruncatedFeedKeepsCompleteItemsAndSaysWhere() {
        let full = Samples.rss(items: [Samples.chipsStory, Samples.roadmapStory])
        let cut = String(full.prefix(full.range(of: "Allies")!.upperBound.utf16Offset(in: full)))
        let feed = FeedParser.parse(Data(cut.utf8), source: "cut.rss")
        XCTAssertEqual(feed.articles.map(\.title), ["US tightens chip curbs"])
        XCTAssertEqual(feed.errors.count, 1)
        XCTAssertTrue(feed.errors[0].message.hasPrefix("invalid XML at line "), feed.errors[0].message)
        XCTAssertTrue(feed.errors[0].message.hasSuffix("1 complete item kept"), feed.errors[0].message)
    }

    func testFeedsOverTenMegabytes() {
        let item = (id: "x", title: "Item", body: String(repeating: "Trade policy and supply chains. ", count: 300))
        let xml = Samples.rss(items: Array(repeating: item, count: 1200))
        XCTAssertGreaterThan(xml.utf8.count, 11_000_000)
        let feed = FeedParser.parse(Data(xml.utf8), source: "big.rss")
        XCTAssertEqual(feed.errors, [])
        XCTAssertEqual(feed.articles.count, 1200)
    }

    func testXMLThatIsNotAFeed() {
        let feed = FeedParser.parse(Data("<?xml version=\"1.0\"?><catalog><book/></catalog>".utf8), source: "c.xml")
        XCTAssertEqual(feed.articles.count, 0)
        XCTAssertEqual(feed.errors.map(\.message), ["not an RSS or Atom feed (the document starts with <catalog>)"])
    }

    func testEntityExpansionBombIsRefused() {
        var xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY a0 \"lolololololololololol\">\n"
        for i in 1...12 { xml += "<!ENTITY a\(i) \"" + String(repeating: "&a\(i - 1);", count: 10) + "\">\n" }
        xml += "]>\n<rss><channel><item><title>&a12;</title><description>x</description></item></channel></rss>"
        let start = Date()
        let feed = FeedParser.parse(Data(xml.utf8), source: "bomb.rss")
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertFalse(feed.errors.isEmpty, "libxml2 refuses the amplification")
        XCTAssertLessThan(feed.articles.map { $0.title.utf8.count }.max() ?? 0, 10_000_000)
    }

    // MARK: HTML

    static let page = """
        <!DOCTYPE html>
        <html lang="en"><head>
        <meta charset="utf-8">
        <title>Page title | The Site</title>
        <meta property="og:title" content="US curbs chip exports">
        <meta property="article:published_time" content="2025-06-01T09:30:00+09:00">
        <link rel="canonical" href="https://news.example/story1">
        <script>var hidden = "export controls on chips";</script>
        <style>.x { color: red }</style>
        </head><body>
        <header class="masthead"><nav><a href="/">Home</a><a href="/world">World</a></nav></header>
        <div class="share social">Share on X</div>
        <div role="navigation">Sections</div>
        <article>
          <header><h1>US curbs chip exports</h1><p class="byline">By A. Writer</p></header>
          <p>Washington announced new &ldquo;export controls&rdquo; on advanced&nbsp;chips.</p>
          <p>Second paragraph<br>with a line break and <a href="#">a link</a>.</p>
          <aside>Related: other stories</aside>
          <noscript>Enable JavaScript</noscript>
          <ul><li>One point</li><li>Another</li></ul>
        </article>
        <footer>Copyright The Site</footer>
        <script>trackEverything()</script>
        </body></html>
        """

    func testPageTitleDateAndReadableBody() throws {
        let page = try HTMLExtractor.page(from: Data(Self.page.utf8))
        XCTAssertEqual(page.title, "US curbs chip exports")
        XCTAssertEqual(page.published, "2025-06-01T00:30:00Z")
        XCTAssertEqual(page.canonicalURL, "https://news.example/story1")
        XCTAssertEqual(page.body, """
            US curbs chip exports

            By A. Writer

            Washington announced new \u{201C}export controls\u{201D} on advanced chips.

            Second paragraph
            with a line break and a link.

            One point

            Another
            """)
        for clutter in ["Home", "Share", "Sections", "Related", "JavaScript", "Copyright", "hidden", "color", "track"] {
            XCTAssertFalse(page.body.contains(clutter), clutter)
        }
    }

    func testPageWithoutArticleUsesBodyWithoutFurniture() throws {
        let html = "<html><head><title> Plain  page </title></head><body><nav>Menu</nav><header>Site</header><div><p>Story text.</p><time datetime=\"2025-01-02T03:04:05Z\">Jan 2</time></div><footer>Foot</footer></body></html>"
        let page = try HTMLExtractor.page(from: Data(html.utf8))
        XCTAssertEqual(page.title, "Plain page")
        XCTAssertEqual(page.body, "Story text.\n\nJan 2")
        XCTAssertEqual(page.published, "2025-01-02T03:04:05Z")
    }

    func testPageCharsets() throws {
        var latin1 = Data("<html><head><meta charset=\"iso-8859-1\"><title>Caf".utf8)
        latin1.append(0xE9)
        latin1.append(contentsOf: Data("</title></head><body><p>Cr".utf8))
        latin1.append(0xE8)
        latin1.append(contentsOf: Data("me br".utf8))
        latin1.append(0xFB)
        latin1.append(contentsOf: Data("l".utf8))
        latin1.append(0xE9)
        latin1.append(contentsOf: Data("e</p></body></html>".utf8))
        let page = try HTMLExtractor.page(from: latin1)
        XCTAssertEqual(page.title, "Café")
        XCTAssertEqual(page.body, "Crème brûlée")

        // UTF-8 without a declaration is read as UTF-8 (libxml2 alone would guess Latin-1).
        let korean = try HTMLExtractor.page(from: Data("<html><body><p>반도체 수출 통제</p></body></html>".utf8))
        XCTAssertEqual(korean.body, "반도체 수출 통제")

        var undeclared = Data("<html><body><p>caf".utf8)
        undeclared.append(0xE9)
        undeclared.append(contentsOf: Data("</p></body></html>".utf8))
        XCTAssertThrowsError(try HTMLExtractor.page(from: undeclared)) {
            XCTAssertEqual("\($0)", "invalid UTF-8 and no charset declared; skipped")
        }
        XCTAssertNoThrow(try HTMLExtractor.page(from: undeclared, charset: "windows-1252"), "an HTTP header's charset is enough")
    }

    func testLooksLikeHTML() {
        for html in ["<p>x</p>", "a <b>bold</b> word", "Tom &amp; Jerry", "it&#39;s", "caf&#xE9;", "<!-- c -->", "x</div>"] {
            XCTAssertTrue(HTMLExtractor.looksLikeHTML(html), html)
        }
        for text in ["a < b and c > d", "AT&T and R&D", "x < 3", "plain text", "1 <2", "&;", ""] {
            XCTAssertFalse(HTMLExtractor.looksLikeHTML(text), text)
        }
    }

    func testBrokenAndDeeplyNestedMarkup() throws {
        let broken = try HTMLExtractor.page(from: Data("<html><body><p>Unclosed <b>bold<p>Next &amp; <i>last".utf8))
        XCTAssertEqual(broken.body, "Unclosed bold\n\nNext & last")
        let deep = String(repeating: "<div>", count: 50_000) + "deep text" + String(repeating: "</div>", count: 50_000)
        XCTAssertNoThrow(try HTMLExtractor.page(from: Data(deep.utf8)), "no stack overflow")
    }

    // MARK: Units

    func testUnits() {
        XCTAssertEqual(Units.bytes("1048576"), 1_048_576)
        XCTAssertEqual(Units.bytes("16MB"), 16 * 1024 * 1024)
        XCTAssertEqual(Units.bytes("512 kb"), 512 * 1024)
        XCTAssertEqual(Units.bytes("1GiB"), 1024 * 1024 * 1024)
        XCTAssertNil(Units.bytes("0"))
        XCTAssertNil(Units.bytes("12 parsecs"))
        XCTAssertEqual(Units.seconds("30"), 30)
        XCTAssertEqual(Units.seconds("2m"), 120)
        XCTAssertEqual(Units.seconds("7d"), 7 * 86400)
        XCTAssertNil(Units.seconds("soon"))
        let now = Date(timeIntervalSince1970: 1_750_000_000)
        XCTAssertEqual(Units.since("7d", now: now), now.addingTimeInterval(-7 * 86400))
        XCTAssertEqual(Units.since("2025-06-01", now: now).map { Timestamp.string($0) }, "2025-06-01T00:00:00Z")
        XCTAssertEqual(Units.since("2025-06-01T12:00:00+02:00", now: now).map { Timestamp.string($0) }, "2025-06-01T10:00:00Z")
        XCTAssertNil(Units.since("last tuesday", now: now))
    }

    func testDates() {
        let cases: [(String, String)] = [
            ("Tue, 10 Jun 2025 04:00:00 GMT", "2025-06-10T04:00:00Z"),
            ("Tue, 10 Jun 2025 13:00:00 +0900", "2025-06-10T04:00:00Z"),
            ("10 Jun 2025 04:00 GMT", "2025-06-10T04:00:00Z"),
            ("Tue, 1 Jul 2025 04:00:00 EST", "2025-07-01T09:00:00Z"),
            ("Mon, 02 Jun 25 12:00:00 KST", "2025-06-02T03:00:00Z"),
            ("Wed, 31 Dec 2025 23:30:00 -0100", "2026-01-01T00:30:00Z"),
            ("2025-06-01T09:30:00+09:00", "2025-06-01T00:30:00Z"),
            ("2025-06-01T09:30:00.123Z", "2025-06-01T09:30:00Z"),
            ("2025-06-01 09:30:00", "2025-06-01T09:30:00Z"),
            ("2024-02-29T23:59:59-0530", "2024-03-01T05:29:59Z"),
            ("1999-12-31T23:59:59Z", "1999-12-31T23:59:59Z"),
            ("2025-06-01", "2025-06-01"),
            ("Tuesday", "Tuesday"),
            ("2025-13-01T00:00:00Z", "2025-13-01T00:00:00Z"),
            ("Tue, 10 Foo 2025 04:00:00 GMT", "Tue, 10 Foo 2025 04:00:00 GMT"),
        ]
        for (raw, expected) in cases {
            XCTAssertEqual(FeedDates.normalize(raw), expected, raw)
        }
        // Agrees with Foundation's formatter across the calendar.
        for t in stride(from: -2_000_000_000, to: 4_000_000_000, by: 86_399 * 37) {
            let date = Date(timeIntervalSince1970: Double(t))
            XCTAssertEqual(FeedDates.normalize(Timestamp.string(date)), Timestamp.string(date))
        }
    }

    func testProgressLine() {
        var p = ScanProgress(started: Date())
        p.elapsed = 2
        p.articles = 1234
        p.bytes = 4 * 1_048_576
        p.bytesTotal = 10 * 1_048_576
        p.sourcesDone = 3
        p.sourcesTotal = 10
        XCTAssertEqual(p.megabytesPerSecond, 2)
        XCTAssertEqual(p.eta, 3)
        XCTAssertEqual(p.line, "1234 articles · 4.0 MB · 2.0 MB/s · 3/10 sources · ETA 0:03")
    }
}

import Foundation
import PolicyWatchTestSupport
import XCTest
@testable import PolicyWatch

/// Feeds that used to kill the process inside Foundation's XMLParser (issue 11), entities, deep
/// nesting, and a loop of generated garbage: every input gives articles or an input error.
final class FeedHardeningTests: XCTestCase {
    /// The four reproducers from issue 11, with the extension each was found as, and whether it
    /// holds a valid feed (then its article is kept and nothing is reported).
    static let reproducers: [(name: String, bytes: [UInt8], valid: Bool)] = [
        ("bad-utf8-tag.atom", [0x3C, 0xC3, 0x3C, 0x64, 0x69], false),
        ("lone-pi.rss", Array("<?l?>".utf8), false),
        ("feed-then-pi.rss", Array(Samples.rss(items: [Samples.chipsStory]).utf8) + Array("<?x?>".utf8), true),
        ("bad-utf8-pi.rss", Array("<?a".utf8) + [0xFF] + Array(" b?>".utf8), false),
    ]

    func testCrashReproducersAsBytes() {
        for r in Self.reproducers {
            let feed = FeedParser.parse(Data(r.bytes), source: r.name)
            if r.valid {
                XCTAssertEqual(feed.errors, [], r.name)
                XCTAssertEqual(feed.articles.map(\.title), [Samples.chipsStory.title], r.name)
            } else {
                XCTAssertEqual(feed.articles.count, 0, r.name)
                XCTAssertEqual(feed.errors.count, 1, r.name)
                XCTAssertTrue(feed.errors.first?.message.hasPrefix("invalid XML at line 1, column ") == true, "\(r.name): \(feed.errors)")
            }
        }
        let utf8 = FeedParser.parse(Data(Self.reproducers[0].bytes), source: "x.atom")
        XCTAssertTrue(utf8.errors[0].message.contains("not UTF-8"), utf8.errors[0].message)
    }

    /// As files in one directory, read the way a scan reads them: the broken ones are input
    /// errors, and the good feed beside them is still read.
    func testCrashReproducersAsFilesDoNotStopTheRest() {
        let dir = TempDir()
        for r in Self.reproducers { dir.write(r.name, Data(r.bytes)) }
        dir.write("good.rss", Samples.rss(items: [Samples.roadmapStory]))
        let reader = ArticleReader()
        let (files, listErrors) = reader.files(for: [dir.path], in: "/")
        XCTAssertEqual(listErrors, [])
        XCTAssertEqual(files.count, 5)
        var titles: [String] = []
        var failed: [String] = []
        for file in files {
            let (articles, errors) = reader.read(path: file)
            titles += articles.map(\.title)
            failed += errors.map { ($0.source as NSString).lastPathComponent }
        }
        XCTAssertEqual(Set(titles), [Samples.chipsStory.title, Samples.roadmapStory.title])
        XCTAssertEqual(Set(failed), ["bad-utf8-tag.atom", "lone-pi.rss", "bad-utf8-pi.rss"])
    }

    func testInternalEntitiesExpandAndExternalOnesAreNeverRead() throws {
        let secret = TempDir()
        let path = secret.write("secret.txt", "TOP-SECRET-CONTENT")
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE rss [
              <!ENTITY co "Acme &amp; Co">
              <!ENTITY leak SYSTEM "file://\(path)">
            ]>
            <rss><channel><title>T</title>
            <item><title>Curbs on &co;</title><description>Text &leak; here.</description></item>
            </channel></rss>
            """
        let feed = FeedParser.parse(Data(xml.utf8), source: "e.rss")
        XCTAssertEqual(feed.articles.first?.title, "Curbs on Acme & Co")
        XCTAssertFalse(feed.articles.first?.body.contains("TOP-SECRET") ?? true, "an external entity must not be loaded")
    }

    /// Text nested far deeper than any feed needs is refused with a message, not dropped silently.
    func testDeepNestingIsAnErrorNotSilence() {
        let depth = 100_000
        let xml = "<rss><channel><item><title>Deep</title><description>" + String(repeating: "<b>", count: depth) + "x"
            + String(repeating: "</b>", count: depth) + "</description></item></channel></rss>"
        let feed = FeedParser.parse(Data(xml.utf8), source: "deep.rss")
        XCTAssertEqual(feed.articles.count, 0)
        XCTAssertEqual(feed.errors.count, 1)
        XCTAssertTrue(feed.errors[0].message.contains("depth"), feed.errors[0].message)
    }

    func testUTF16FeedWithBOM() {
        let xml = Samples.rss(items: [Samples.chipsStory]).replacingOccurrences(of: "encoding=\"UTF-8\"", with: "encoding=\"UTF-16\"")
        let data = Data([0xFF, 0xFE]) + xml.data(using: .utf16LittleEndian)!
        let feed = FeedParser.parse(data, source: "u16.rss")
        XCTAssertEqual(feed.errors, [])
        XCTAssertEqual(feed.articles.first?.title, Samples.chipsStory.title)
    }

    /// Five thousand mutated feeds and random byte strings from a fixed seed: each one returns
    /// (the test process would die otherwise), and an input yields articles, errors, or a feed
    /// that is valid but empty.
    func testGeneratedGarbageNeverCrashes() {
        var random = SeededRandom(seed: 0x5EED_F00D)
        let seeds: [[UInt8]] = [
            Array(Samples.rss(items: [Samples.chipsStory, Samples.roadmapStory]).utf8),
            Array("""
                <?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
                <entry><title type="html">T &lt;i&gt;x&lt;/i&gt;</title><link href="https://a.example/1"/><id>u:1</id>
                <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Body</p></div></content></entry></feed>
                """.utf8),
            Self.reproducers[2].bytes,
        ]
        // Fragments that broke parsers before: processing instructions, bad UTF-8, stray markup.
        let fragments: [[UInt8]] = [Array("<?".utf8), Array("?>".utf8), [0xC3], [0xFF], [0xC3, 0x3C], Array("<".utf8),
                                    Array("&".utf8), Array("<![CDATA[".utf8), Array("]]>".utf8), Array("<!DOCTYPE x [".utf8),
                                    Array("<!ENTITY e \"&e;\">".utf8), Array("</".utf8), [0], Array("<?xml version=\"1.0\"?>".utf8)]
        var withArticles = 0, withErrors = 0
        let start = Date()
        for n in 0..<5000 {
            var bytes: [UInt8]
            if n % 10 == 0 {
                bytes = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                bytes = seeds[n % seeds.count]
                for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0..<4, using: &random) {
                    case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.insert(contentsOf: fragments.randomElement(using: &random)!, at: at)
                    case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &random)))
                    default: bytes = Array(bytes[..<at])
                    }
                }
            }
            let feed = FeedParser.parse(Data(bytes), source: "fuzz\(n).rss")
            if !feed.articles.isEmpty { withArticles += 1 }
            if !feed.errors.isEmpty { withErrors += 1 }
            for a in feed.articles { XCTAssertFalse(a.title.isEmpty && a.body.isEmpty, "input \(n)") }
        }
        XCTAssertGreaterThan(withArticles, 200, "the mutations kept many feeds readable")
        XCTAssertGreaterThan(withErrors, 2000, "and broke many others")
        XCTAssertLessThan(Date().timeIntervalSince(start), 120)
    }
}


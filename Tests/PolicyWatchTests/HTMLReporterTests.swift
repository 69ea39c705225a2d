import Foundation
import XCTest
@testable import PolicyWatch

/// The HTML digest of the fixture articles: its structure, escaping and self-containment.
final class HTMLReporterTests: XCTestCase {
    func render(_ alerts: [Alert], _ run: Report.RunInfo, errors: [InputError] = []) throws -> String {
        let (ctx, _) = ReporterFixtures.context()
        let r = try XCTUnwrap(try ReporterRegistry.builtIn.make(ReporterConfig(type: "html"), context: ctx) as? HTMLReporter)
        return r.render(DeliveryBatch(alerts: alerts, run: run, errors: errors, isDigest: true))
    }

    func testDigestStructure() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        let html = try render(alerts, run)
        XCTAssertTrue(html.hasPrefix("<!doctype html>\n<html lang=\"en\">"))
        XCTAssertTrue(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"), "readable on a phone")
        XCTAssertTrue(html.contains("<meta charset=\"utf-8\">"))
        XCTAssertEqual(try HTMLShape.unbalanced(html), [], "every element closed, in order")

        // Self-contained: no scripts, external styles, images, fonts or imports.
        for banned in ["<script", "<link", "<img", "<iframe", "src=", "@import", "url(", "@font-face"] {
            XCTAssertFalse(html.lowercased().contains(banned), banned)
        }
        // The only links are to the articles (and in-page anchors).
        let hrefs = HTMLShape.attributes("href", in: html)
        let external = hrefs.filter { !$0.hasPrefix("#") }
        XCTAssertEqual(Set(external), Set(alerts.compactMap(\.article.url)))
        XCTAssertTrue(hrefs.filter { $0.hasPrefix("#") }.allSatisfy { html.contains("id=\"\($0.dropFirst())\"") }, "anchors resolve")

        // One card per article, grouped by the article's highest severity (descending).
        let keys = HTMLShape.attributes("data-article-key", in: html)
        XCTAssertEqual(keys.count, Set(alerts.map(\.article.key)).count, "one card per article")
        XCTAssertEqual(Set(keys), Set(alerts.map(\.article.key)))
        let sevOrder = HTMLShape.attributes("class", in: html).filter { $0.hasPrefix("severity ") }
        let cardSeverities = Set(Dictionary(grouping: alerts, by: \.article.key).values.map { $0.map(\.rule.severity).max()! })
        XCTAssertEqual(sevOrder, Severity.allCases.reversed().filter(cardSeverities.contains).map { "severity sev-\($0.rawValue)" })
        XCTAssertGreaterThan(sevOrder.count, 1)
        // Every alert is listed once, inside its article's card, with its rule.
        XCTAssertEqual(html.components(separatedBy: "<li class=\"alert\"").count - 1, alerts.count)
        let cards = html.components(separatedBy: "<article class=\"card\"").dropFirst()
        for a in alerts {
            let card = cards.first { $0.contains("data-article-key=\"\(HTMLReporter.escape(a.article.key))\"") }
            XCTAssertTrue(card?.contains("id=\"alert-\(a.id)\"") == true, "\(a.rule.id) in its article's card")
            // The title appears once per card, not once per rule.
            XCTAssertEqual(card.map { $0.components(separatedBy: "<h3").count - 1 }, 1)
        }

        // Evidence: the matched text inside <mark>, in its snippet.
        let marks = HTMLShape.contents(of: "mark", in: html)
        XCTAssertTrue(marks.contains("수출통제"), "\(marks)")
        XCTAssertTrue(marks.contains("Entity List"))
        XCTAssertTrue(marks.contains("实体清单"))
        XCTAssertTrue(marks.contains("共同ロードマップ"))
        // Escaped text: the US title has & and <new>.
        XCTAssertTrue(html.contains("Chip tools &amp; export controls: what the &lt;new&gt; rule means"))
        XCTAssertFalse(html.contains("<new>"))
        // The Japanese article has no URL: a title without a link, and its path shown.
        XCTAssertTrue(html.contains("<h3>日米、次世代半導体の共同ロードマップ</h3>"))
        XCTAssertTrue(html.contains("<code>Fixtures/reporters/articles.jsonl</code>"))
        XCTAssertTrue(html.contains("11 alerts in 4 articles"))
    }

    func testHostileInputIsEscapedAndNeverALink() throws {
        let (alerts, run) = try ReporterFixtures.scan()
        var a = alerts[0]
        a.article.title = "<script>alert(1)</script>\"'"
        a.article.url = "javascript:alert(document.cookie)"
        a.rule.title = "<img src=x onerror=alert(2)>"
        a.rule.tags = ["x\" onmouseover=\"alert(3)"]
        a.matches[0].snippet = "before <b>" + a.matches[0].text + "</b> after"
        let html = try render([a], run, errors: [InputError(source: "<evil>.txt", message: "bad & <worse>")])
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("<b>"))
        XCTAssertFalse(html.contains("javascript:alert(document.cookie)\""), "not as an href")
        XCTAssertFalse(HTMLShape.attributes("href", in: html).contains { $0.lowercased().hasPrefix("javascript") })
        XCTAssertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;"))
        XCTAssertTrue(html.contains("before &lt;b&gt;<mark>"))
        XCTAssertTrue(html.contains("<code>&lt;evil&gt;.txt</code>: bad &amp; &lt;worse&gt;"))
        XCTAssertFalse(html.contains("\" onmouseover=\""))
        XCTAssertEqual(try HTMLShape.unbalanced(html), [])
    }

    func testEmptyRunAndFileOutput() throws {
        let (_, run) = try ReporterFixtures.scan()
        let html = try render([], run)
        XCTAssertTrue(html.contains("No new alerts in this run."))
        let dir = ReporterFixtures.tempDir()
        let (ctx, _) = ReporterFixtures.context(directory: dir)
        let r = try ReporterRegistry.builtIn.make(ReporterConfig.parse(argument: "html[title=Trade desk]=digest/{date}.html"), context: ctx)
        try r.deliver(DeliveryBatch(alerts: [], run: run, isDigest: true))
        let page = try String(contentsOfFile: dir + "/digest/2026-06-01.html", encoding: .utf8)
        XCTAssertTrue(page.contains("<title>Trade desk</title>"))
    }
}

/// Just enough HTML reading for structure tests (our own output: lower-case tags, quoted attributes).
enum HTMLShape {
    static let void: Set<String> = ["meta", "br", "hr", "img", "link", "input"]

    /// Tags that are closed out of order or never; empty when the tree is balanced.
    static func unbalanced(_ html: String) throws -> [String] {
        let re = try NSRegularExpression(pattern: "<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*>")
        var stack: [String] = []
        var problems: [String] = []
        let ns = html as NSString
        for m in re.matches(in: html, range: NSRange(location: 0, length: ns.length)) {
            let closing = ns.substring(with: m.range(at: 1)) == "/"
            let name = ns.substring(with: m.range(at: 2)).lowercased()
            if void.contains(name) { continue }
            if !closing {
                stack.append(name)
            } else if stack.last == name {
                stack.removeLast()
            } else {
                problems.append("</\(name)> while <\(stack.last ?? "-")> is open")
            }
        }
        return problems + stack.map { "<\($0)> never closed" }
    }

    static func attributes(_ name: String, in html: String) -> [String] {
        let re = try! NSRegularExpression(pattern: " \(name)=\"([^\"]*)\"")
        let ns = html as NSString
        return re.matches(in: html, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }

    static func contents(of tag: String, in html: String) -> [String] {
        let re = try! NSRegularExpression(pattern: "<\(tag)>(.*?)</\(tag)>")
        let ns = html as NSString
        return re.matches(in: html, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }

    /// The outer `<section id=...>` element with that id, nested sections included.
    static func section(id: String, in html: String) throws -> String {
        guard let start = html.range(of: "<section class=\"tag\" id=\"\(id)\">") else { throw CocoaError(.fileNoSuchFile) }
        var depth = 0
        var i = start.lowerBound
        while i < html.endIndex {
            if html[i...].hasPrefix("<section") { depth += 1 }
            if html[i...].hasPrefix("</section>") {
                depth -= 1
                if depth == 0 { return String(html[start.lowerBound..<html.index(i, offsetBy: 10)]) }
            }
            i = html.index(after: i)
        }
        throw CocoaError(.fileReadCorruptFile)
    }
}

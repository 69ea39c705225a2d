import Foundation

/// `html`: a self-contained digest page (inline CSS, no scripts, no external assets): one
/// card per article (`ArticleCard`), grouped by the article's highest severity; each card
/// lists the rules that fired with their evidence, the matched text in `<mark>`; links to
/// the articles; readable on a phone. Every text from rules and articles is escaped, and
/// only http(s) URLs become links.
public struct HTMLReporter: Reporter {
    public static let identifier = "html"
    public static let summary = "a self-contained HTML digest page; the path may hold {date}"
    public static let options: [ReporterOption] = [
        .init("title", "the page title (default 'policywatch digest')"),
    ]
    public static let granularity = DeliveryGranularity.perRun
    public static let deliversEmptyRuns = true

    let pathTemplate: String?
    let title: String
    let context: ReporterContext

    public init(config: ReporterConfig, context: ReporterContext) throws {
        pathTemplate = try config.fileTarget()
        title = config.options["title"] ?? "policywatch digest"
        self.context = context
    }

    public func deliver(_ batch: DeliveryBatch) throws {
        let data = Data(render(batch).utf8)
        guard let pathTemplate else {
            context.standardOutput(data)
            return
        }
        try FileOutput.write(data, to: context.path(PathTemplate.expand(pathTemplate, at: context.now)))
    }

    /// The page, exposed for tests.
    public func render(_ batch: DeliveryBatch) -> String {
        let alerts = batch.alerts
        // One card per article; the most severe articles first, then in the order scanned.
        let cards = ArticleCard.group(alerts).enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
        var tagCounts: [(tag: String, n: Int)] = []
        for t in cards.flatMap(\.tags) {
            if let i = tagCounts.firstIndex(where: { $0.tag == t }) { tagCounts[i].n += 1 } else { tagCounts.append((t, 1)) }
        }
        var h = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="policywatch">
            <title>\(esc(title))</title>
            <style>\(Self.css)</style>
            </head>
            <body>
            <header>
            <h1>\(esc(title))</h1>
            <p class="summary">\(alerts.count) alert\(alerts.count == 1 ? "" : "s") in \(cards.count) article\(cards.count == 1 ? "" : "s")\
             · \(counts(alerts))</p>
            <p class="run">Run of <time datetime="\(esc(batch.run.started))">\(esc(Self.readableTime(batch.run.started)))</time> · \(batch.run.articles) articles scanned · \(batch.run.rules) rules</p>

            """
        if !tagCounts.isEmpty {
            h += "<ul class=\"tags summary-tags\" aria-label=\"Articles per tag\">"
            for (t, n) in tagCounts { h += "<li>\(esc(t)) <span class=\"n\">\(n)</span></li>" }
            h += "</ul>\n"
        }
        h += "</header>\n<main>\n"
        if alerts.isEmpty { h += "<p class=\"empty\">No new alerts in this run.</p>\n" }
        for sev in Severity.allCases.reversed() {
            let inSev = cards.filter { $0.severity == sev }
            guard !inSev.isEmpty else { continue }
            h += "<section class=\"severity sev-\(sev.rawValue)\" id=\"sev-\(sev.rawValue)\">\n<h2><span class=\"badge sev-\(sev.rawValue)\">\(sev.rawValue)</span> \(inSev.count) article\(inSev.count == 1 ? "" : "s")</h2>\n"
            for c in inSev { h += card(c) }
            h += "</section>\n"
        }
        if !batch.errors.isEmpty {
            h += "<section class=\"errors\">\n<h2>Skipped inputs <span class=\"n\">\(batch.errors.count)</span></h2>\n<ul>\n"
            for e in batch.errors { h += "<li><code>\(esc(e.source))</code>: \(esc(e.message))</li>\n" }
            h += "</ul>\n</section>\n"
        }
        h += "</main>\n<footer>policywatch · report format v\(Report.currentVersion)</footer>\n</body>\n</html>\n"
        return h
    }

    /// One article: its title, source and date once, its tags and facets, then each rule that
    /// fired with its evidence.
    private func card(_ c: ArticleCard) -> String {
        let a = c.article
        var h = "<article class=\"card\" data-article-key=\"\(esc(a.key))\">\n"
        let articleTitle = esc(a.title.isEmpty ? "(untitled)" : a.title)
        if let url = a.url, Self.isWebLink(url) {
            h += "<h3><a href=\"\(esc(url))\" rel=\"noopener noreferrer\">\(articleTitle)</a></h3>\n"
        } else {
            h += "<h3>\(articleTitle)</h3>\n"
        }
        var meta: [String] = []
        if let s = a.source { meta.append(esc(s)) }
        if let p = a.published { meta.append(esc(p)) }
        meta.append(esc(a.language))
        if a.url == nil, let path = a.path { meta.append("<code>\(esc(path))</code>") }
        if let url = a.url, !Self.isWebLink(url) { meta.append("<code>\(esc(url))</code>") }
        h += "<p class=\"meta\">\(meta.joined(separator: " · "))</p>\n"
        if !c.tags.isEmpty {
            h += "<ul class=\"tags\">" + c.tags.map { "<li>\(esc($0))</li>" }.joined() + "</ul>\n"
        }
        if let f = ArticleCard.facetLine(c.facets) { h += "<p class=\"facets\">\(esc(f))</p>\n" }
        h += "<ul class=\"rules\">\n"
        for alert in c.alerts {
            h += "<li class=\"alert\" id=\"alert-\(esc(alert.id))\"><p class=\"rule\"><span class=\"badge sev-\(alert.rule.severity.rawValue)\">\(alert.rule.severity.rawValue)</span> \(esc(alert.rule.title)) <code>\(esc(alert.rule.id))</code></p>\n"
            if let t = alert.trend {
                // A trend lists the articles behind it.
                h += "<ul class=\"trend-articles\">\n"
                for m in t.articles {
                    let title = esc(m.title.isEmpty ? "(untitled)" : m.title)
                    let link = m.url.map { Self.isWebLink($0) ? "<a href=\"\(esc($0))\" rel=\"noopener noreferrer\">\(title)</a>" : title } ?? title
                    h += "<li>\(link) <span class=\"n\">\([m.source, m.published].compactMap { $0 }.map(esc).joined(separator: " · "))</span></li>\n"
                }
                h += "</ul>\n"
            }
            if !alert.matches.isEmpty {
                h += "<ul class=\"evidence\">\n"
                for m in Alert.MatchRecord.representative(alert.matches, limit: 2) {
                    let body: String
                    if let hl = m.highlighted {
                        body = esc(hl.before) + "<mark>" + esc(hl.match) + "</mark>" + esc(hl.after)
                    } else {
                        body = esc(m.snippet)
                    }
                    h += "<li><span class=\"field\">\(m.field.rawValue)</span> \(body)</li>\n"
                }
                h += "</ul>\n"
            }
            h += "</li>\n"
        }
        h += "</ul>\n</article>\n"
        return h
    }

    private func counts(_ alerts: [Alert]) -> String {
        let parts = Severity.allCases.reversed().compactMap { s -> String? in
            let n = alerts.filter { $0.rule.severity == s }.count
            return n == 0 ? nil : "<span class=\"badge sev-\(s.rawValue)\">\(n) \(s.rawValue)</span>"
        }
        return parts.isEmpty ? "nothing to report" : parts.joined(separator: " ")
    }

    /// "2026-06-01T06:00:00Z" -> "2026-06-01 06:00 UTC" (the report's times are UTC).
    static func readableTime(_ iso: String) -> String {
        guard iso.count >= 16, iso.hasSuffix("Z") else { return iso }
        return iso.prefix(10) + " " + iso.dropFirst(11).prefix(5) + " UTC"
    }

    /// Only web links: an article URL from a feed could be `javascript:...`.
    static func isWebLink(_ url: String) -> Bool {
        Location.scheme(of: url).map(Location.supportedSchemes.contains) ?? false
    }

    /// Escapes text for element content and quoted attributes.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private func esc(_ s: String) -> String { Self.escape(s) }

    static let css = """

        :root{color-scheme:light dark;--fg:#1d2327;--muted:#5f6b73;--bg:#fff;--card:#f6f7f8;--line:#dde1e4;--mark:#ffe066;\
        --critical:#8f1020;--high:#c62828;--medium:#b26a00;--low:#1e6fa8;--info:#5f6b73}
        @media (prefers-color-scheme:dark){:root{--fg:#e7eaec;--muted:#9aa5ad;--bg:#15191c;--card:#1f2529;--line:#323a40;--mark:#8a6d00}}
        *{box-sizing:border-box}
        body{margin:0 auto;max-width:46rem;padding:1rem;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK KR","Apple SD Gothic Neo",sans-serif;\
        color:var(--fg);background:var(--bg);overflow-wrap:anywhere;-webkit-text-size-adjust:100%}
        h1{font-size:1.5rem;margin:.2rem 0}
        h2{font-size:1.2rem;margin:1.6rem 0 .4rem;padding-bottom:.2rem;border-bottom:2px solid var(--line)}
        h3{font-size:1.05rem;margin:0 0 .3rem;line-height:1.35}
        a{color:inherit;text-decoration-thickness:1px;text-underline-offset:2px}
        .summary,.run,.meta,footer{color:var(--muted);font-size:.9rem;margin:.2rem 0}
        .n{color:var(--muted);font-weight:normal;font-size:.85em}
                .badge{display:inline-block;border-radius:.3rem;padding:0 .45rem;color:#fff;font-size:.8rem;font-weight:600;text-transform:uppercase;letter-spacing:.02em}
        .badge.sev-critical{background:var(--critical)}.badge.sev-high{background:var(--high)}.badge.sev-medium{background:var(--medium)}\
        .badge.sev-low{background:var(--low)}.badge.sev-info{background:var(--info)}
        article.card{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--line);border-radius:.5rem;padding:.75rem .9rem;margin:.6rem 0}
        .sev-critical article.card{border-left-color:var(--critical)}.sev-high article.card{border-left-color:var(--high)}\
        .sev-medium article.card{border-left-color:var(--medium)}.sev-low article.card{border-left-color:var(--low)}
        ul.tags{list-style:none;padding:0;margin:.3rem 0;display:flex;flex-wrap:wrap;gap:.3rem}
        ul.tags li{background:var(--bg);border:1px solid var(--line);border-radius:999px;padding:0 .55rem;font-size:.8rem}
        .facets{margin:.2rem 0 .4rem;font-size:.9rem}
        ul.rules{list-style:none;padding:0;margin:.3rem 0 0}
        ul.rules>li{border-top:1px solid var(--line);padding:.4rem 0 .1rem}
        .rule{margin:.1rem 0 .4rem;font-weight:600}
        code{font:.8rem/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--muted);font-weight:normal}
        ul.evidence{margin:.3rem 0;padding-left:1.1rem}
        ul.evidence li{margin:.25rem 0}
        .field{font-size:.75rem;color:var(--muted);text-transform:uppercase;margin-right:.3rem}
        mark{background:var(--mark);color:inherit;border-radius:.15rem;padding:0 .1rem}
        .empty{font-size:1.1rem;color:var(--muted)}
        footer{margin-top:2rem;border-top:1px solid var(--line);padding-top:.5rem}

        """
}

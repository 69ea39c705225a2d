import Foundation

/// `console`: alerts for people at a terminal, one card per article (`ArticleCard`: title,
/// source and date once, tags and facets, then each rule with its evidence highlighted); colour only when the output is a terminal (and NO_COLOR is unset).
public struct ConsoleReporter: Reporter {
    public static let identifier = "console"
    public static let summary = "human-readable alerts on stdout (target stderr for standard error)"
    public static let options: [ReporterOption] = [
        .init("color", "auto (a terminal, unless NO_COLOR is set), always or never"),
        .init("evidence", "evidence lines shown per alert (default 2)"),
    ]
    public static let granularity = DeliveryGranularity.perRun
    public static let deliversEmptyRuns = true

    let toStderr: Bool
    let color: Bool
    let evidence: Int
    let context: ReporterContext

    public init(config: ReporterConfig, context: ReporterContext) throws {
        switch config.target {
        case nil, "-", "stdout": toStderr = false
        case "stderr": toStderr = true
        case let t?: throw ReporterConfigError("console writes to stdout or stderr, not '\(t)'", hint: "use json=\(t) or html=\(t) for a file")
        }
        let mode = try config.choice("color", ["auto", "always", "never"], default: "auto")
        let terminal = toStderr ? context.stderrIsTerminal : context.stdoutIsTerminal
        color = mode == "always" || (mode == "auto" && terminal && context.environment["NO_COLOR"] == nil)
        evidence = Int(try config.number("evidence", default: 2, range: 0...100))
        self.context = context
    }

    public func deliver(_ batch: DeliveryBatch) throws {
        let text = render(batch)
        (toStderr ? context.standardError : context.standardOutput)(Data(text.utf8))
    }

    /// The text, exposed for tests.
    public func render(_ batch: DeliveryBatch) -> String {
        var out = ""
        // One card per article, in the order scanned; inside one, most severe first.
        for card in ArticleCard.group(batch.alerts) {
            let alerts = card.alerts
            let article = card.article
            out += style(article.title.isEmpty ? "(untitled)" : article.title, "1") + "\n"
            let origin = [article.source, article.published, article.url ?? article.path].compactMap { $0 }
            if !origin.isEmpty { out += "  " + style(origin.joined(separator: " · "), "2") + "\n" }
            let about = [card.tags.isEmpty ? nil : "tags " + card.tags.joined(separator: ", "), ArticleCard.facetLine(card.facets)].compactMap { $0 }
            if !about.isEmpty { out += "  " + about.joined(separator: " · ") + "\n" }
            for a in alerts {
                let sev = a.rule.severity.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)
                out += "  " + style(sev, Self.colour(a.rule.severity)) + " " + a.rule.title + style(" (\(a.rule.id))", "2") + "\n"
                for m in a.trend?.articles ?? [] {
                    out += "           - " + m.title + style(" (" + [m.source, m.published, m.url].compactMap { $0 }.joined(separator: " · ") + ")", "2") + "\n"
                }
                for m in Alert.MatchRecord.representative(a.matches, limit: evidence) {
                    let shown: String
                    if let h = m.highlighted {
                        // Without colour, brackets show what matched.
                        shown = h.before + (color ? style(h.match, "1;4") : "[\(h.match)]") + h.after
                    } else {
                        shown = m.snippet
                    }
                    out += "           " + style("\(m.field.rawValue):", "2") + " " + shown + "\n"
                }
            }
            out += "\n"
        }
        out += summaryLine(batch) + "\n"
        return out
    }

    private func summaryLine(_ batch: DeliveryBatch) -> String {
        let n = batch.alerts.count
        guard n > 0 else { return "No new alerts (\(batch.run.articles) article\(batch.run.articles == 1 ? "" : "s") scanned)." }
        let articles = Set(batch.alerts.map(\.article.key)).count
        var counts: [String] = []
        for s in Severity.allCases.reversed() {
            let c = batch.alerts.filter { $0.rule.severity == s }.count
            if c > 0 { counts.append("\(c) \(s.rawValue)") }
        }
        return "\(n) alert\(n == 1 ? "" : "s") in \(articles) article\(articles == 1 ? "" : "s") (\(counts.joined(separator: ", ")))"
    }

    private func style(_ s: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s
    }

    static func colour(_ s: Severity) -> String {
        switch s {
        case .critical: "1;31"
        case .high: "31"
        case .medium: "33"
        case .low: "36"
        case .info: "2"
        }
    }
}

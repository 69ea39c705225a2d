import Foundation

/// A Slack-compatible message (`{"text": ..., "blocks": [...]}`, Block Kit) for one alert
/// or a digest. `text` is the notification fallback; blocks carry the evidence.
enum SlackMessage {
    /// Slack refuses more than 50 blocks in a message.
    static let maxBlocks = 50

    static func payload(_ batch: DeliveryBatch) -> [String: Any] {
        let alerts = batch.alerts
        var blocks: [[String: Any]] = []
        let text: String
        if alerts.count == 1 && !batch.isDigest {
            text = line(alerts[0])
            blocks.append(contentsOf: alertBlocks(alerts[0]))
        } else {
            text = "policywatch: \(alerts.count) new alert\(alerts.count == 1 ? "" : "s")"
            blocks.append(["type": "header", "text": ["type": "plain_text", "text": text]])
            // One card per article: its title once, then the rules that fired on it.
            let cards = ArticleCard.group(alerts)
            var shown = 0, shownAlerts = 0
            for c in cards {
                let next = cardBlocks(c)
                if blocks.count + next.count + 2 > maxBlocks { break }
                blocks.append(["type": "divider"])
                blocks.append(contentsOf: next)
                shown += 1
                shownAlerts += c.alerts.count
            }
            if shown < cards.count {
                blocks.append(["type": "context", "elements": [["type": "mrkdwn", "text": "…and \(alerts.count - shownAlerts) more alerts in \(cards.count - shown) more articles (see the report)"]]])
            }
        }
        return ["text": text, "blocks": blocks]
    }

    static func line(_ a: Alert) -> String {
        "[\(a.rule.severity.rawValue.uppercased())] \(a.rule.title): \(a.article.title)"
    }

    static func alertBlocks(_ a: Alert) -> [[String: Any]] {
        let title = a.article.url.map { "<\(escape($0))|\(escape(a.article.title))>" } ?? "*\(escape(a.article.title))*"
        var body = "*\(escape(a.rule.title))* · \(a.rule.severity.rawValue.uppercased())\n\(title)"
        for m in a.trend?.articles ?? [] {
            body += "\n• " + (m.url.map { "<\(escape($0))|\(escape(m.title))>" } ?? escape(m.title)) + (m.source.map { " · " + escape($0) } ?? "")
        }
        for m in Alert.MatchRecord.representative(a.matches, limit: 2) {
            if let h = m.highlighted {
                body += "\n> \(escape(h.before))*\(escape(h.match))*\(escape(h.after))"
            } else {
                body += "\n> \(escape(m.snippet))"
            }
        }
        var tags = a.rule.tags.isEmpty ? "" : " · " + a.rule.tags.joined(separator: ", ")
        if let f = ArticleCard.facetLine(a.facets) { tags += " · " + f }
        return [
            ["type": "section", "text": ["type": "mrkdwn", "text": String(body.prefix(2900))]],
            ["type": "context", "elements": [["type": "mrkdwn", "text": escape("\(a.rule.id)\(tags) · \(a.id)")]]],
        ]
    }

    /// A digest's card: the article once (title, source, date, tags, facets), then each rule.
    static func cardBlocks(_ c: ArticleCard) -> [[String: Any]] {
        let a = c.article
        let title = a.url.map { "<\(escape($0))|\(escape(a.title))>" } ?? "*\(escape(a.title))*"
        var body = title
        for alert in c.alerts {
            body += "\n• *\(escape(alert.rule.title))* · \(alert.rule.severity.rawValue.uppercased())"
            for m in alert.trend?.articles ?? [] {
                body += "\n   ◦ " + (m.url.map { "<\(escape($0))|\(escape(m.title))>" } ?? escape(m.title)) + (m.source.map { " · " + escape($0) } ?? "")
            }
            if let m = Alert.MatchRecord.representative(alert.matches, limit: 1).first {
                if let h = m.highlighted {
                    body += "\n> \(escape(h.before))*\(escape(h.match))*\(escape(h.after))"
                } else {
                    body += "\n> \(escape(m.snippet))"
                }
            }
        }
        let about = [a.source, a.published, c.tags.isEmpty ? nil : c.tags.joined(separator: ", "), ArticleCard.facetLine(c.facets)].compactMap { $0 }
        return [
            ["type": "section", "text": ["type": "mrkdwn", "text": String(body.prefix(2900))]],
            ["type": "context", "elements": [["type": "mrkdwn", "text": escape(about.isEmpty ? a.key : about.joined(separator: " · "))]]],
        ]
    }

    /// Slack's three control characters in mrkdwn.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

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
            var shown = 0
            for a in alerts {
                let next = alertBlocks(a)
                if blocks.count + next.count + 2 > maxBlocks { break }
                blocks.append(["type": "divider"])
                blocks.append(contentsOf: next)
                shown += 1
            }
            if shown < alerts.count {
                blocks.append(["type": "context", "elements": [["type": "mrkdwn", "text": "…and \(alerts.count - shown) more (see the report)"]]])
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
        for m in Alert.MatchRecord.representative(a.matches, limit: 2) {
            if let h = m.highlighted {
                body += "\n> \(escape(h.before))*\(escape(h.match))*\(escape(h.after))"
            } else {
                body += "\n> \(escape(m.snippet))"
            }
        }
        let tags = a.rule.tags.isEmpty ? "" : " · " + a.rule.tags.joined(separator: ", ")
        return [
            ["type": "section", "text": ["type": "mrkdwn", "text": String(body.prefix(2900))]],
            ["type": "context", "elements": [["type": "mrkdwn", "text": escape("\(a.rule.id)\(tags) · \(a.id)")]]],
        ]
    }

    /// Slack's three control characters in mrkdwn.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

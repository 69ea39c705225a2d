/// One article and every alert raised on it: what the HTML digest, the console and Slack
/// show as one card (title, source and date once; tags and facets; then the rules that fired
/// with their evidence). JSON and JSON Lines keep one alert per rule; `article.key` groups them.
public struct ArticleCard: Sendable {
    public var article: Alert.ArticleRef
    /// Most severe first, then by rule id.
    public var alerts: [Alert]

    /// The most severe of its alerts.
    public var severity: Severity { alerts.map(\.rule.severity).max() ?? .info }

    /// Every tag of its rules, in the order the rules list them (most severe rule first).
    public var tags: [String] {
        var seen = Set<String>()
        return alerts.flatMap(\.rule.tags).filter { seen.insert($0).inserted }
    }

    /// The union of its alerts' facets; the stage of its most severe alert that has one.
    /// Nil when no alert carries facets.
    public var facets: Facets? {
        let all = alerts.compactMap(\.facets)
        guard !all.isEmpty else { return nil }
        return Facets(acting: Set(all.flatMap(\.acting)).sorted(), affected: Set(all.flatMap(\.affected)).sorted(),
                      sectors: Set(all.flatMap(\.sectors)).sorted(), stage: all.lazy.compactMap(\.stage).first)
    }

    /// Alerts grouped by `article.key`, cards in the order their articles first appear.
    public static func group(_ alerts: [Alert]) -> [ArticleCard] {
        var order: [String] = []
        var byKey: [String: [Alert]] = [:]
        for a in alerts {
            if byKey[a.article.key] == nil { order.append(a.article.key) }
            byKey[a.article.key, default: []].append(a)
        }
        return order.map { key in
            let list = byKey[key]!.sorted { ($1.rule.severity, $0.rule.id) < ($0.rule.severity, $1.rule.id) }
            return ArticleCard(article: list[0].article, alerts: list)
        }
    }

    /// "acting US · affected CN · stage in_force · sectors semiconductors", or nil with none.
    public static func facetLine(_ f: Facets?) -> String? {
        guard let f else { return nil }
        var parts: [String] = []
        if !f.acting.isEmpty { parts.append("acting " + f.acting.joined(separator: ", ")) }
        if !f.affected.isEmpty { parts.append("affected " + f.affected.joined(separator: ", ")) }
        if let s = f.stage { parts.append("stage " + s) }
        if !f.sectors.isEmpty { parts.append("sectors " + f.sectors.joined(separator: ", ")) }
        return parts.isEmpty ? nil : parts.joined(separator: " · ")
    }
}

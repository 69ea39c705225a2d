import Foundation

/// A scratch directory removed when the value goes away.
public final class TempDir: @unchecked Sendable {
    public let path: String

    public init(_ prefix: String = "policywatch-test") {
        path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func url(_ rel: String) -> String { (path as NSString).appendingPathComponent(rel) }

    @discardableResult
    public func write(_ rel: String, _ text: String) -> String {
        write(rel, Data(text.utf8))
    }

    @discardableResult
    public func write(_ rel: String, _ data: Data) -> String {
        let p = url(rel)
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! data.write(to: URL(fileURLWithPath: p))
        return p
    }

    public func read(_ rel: String) -> String? {
        FileManager.default.contents(atPath: url(rel)).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Small rule pack and texts shared by the state and scan tests.
public enum Samples {
    public static let rules = """
        lists:
          chips: [semiconductor*, chip, chips, 반도체]
        rules:
          - id: export-control.chips
            title: Export controls on chips
            severity: high
            tags: [export-control, semiconductors]
            match:
              all:
                - any: [export control*, export ban*, 수출 통제]
                - $chips
          - id: roadmap.joint
            title: Joint roadmap
            severity: medium
            tags: [cooperation]
            match: [joint roadmap]
        """

    public static let extraRule = """
        rules:
          - id: talks.channel
            title: Open communication channel
            severity: low
            tags: [diplomacy]
            match: [communication channel]
        """

    /// An RSS feed; `query` is added to each link (tracking parameters), `extra` items appended.
    public static func rss(title: String = "Feed A", query: String = "", items: [(id: String, title: String, body: String)]) -> String {
        var s = """
            <?xml version="1.0" encoding="UTF-8"?>
            <rss version="2.0"><channel><title>\(title)</title><link>https://news.example/</link>

            """
        for item in items {
            s += """
                <item><title>\(item.title)</title><link>https://news.example/\(item.id)\(query)</link><guid isPermaLink="false">\(item.id)</guid>
                <description><![CDATA[<p>\(item.body)</p>]]></description><pubDate>Tue, 10 Jun 2025 04:00:00 GMT</pubDate></item>

                """
        }
        return s + "</channel></rss>\n"
    }

    public static let chipsStory = (id: "story-chips", title: "US tightens chip curbs",
                                    body: "Washington announced new export controls on advanced chips and chipmaking tools on Tuesday, officials said.")
    public static let roadmapStory = (id: "story-roadmap", title: "Allies agree roadmap",
                                      body: "The two governments agreed a joint roadmap for next-generation semiconductors and quantum research.")
    public static let quietStory = (id: "story-quiet", title: "Weather", body: "Rain is expected across the region this weekend.")
}

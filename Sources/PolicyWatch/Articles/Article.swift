/// One document to scan.
public struct Article: Sendable, Hashable {
    /// Stable key: the canonical url (tracking parameters and fragment dropped, see
    /// URLCanonicalizer), else id, else a hash of the content.
    public var key: String
    /// The id given in the input, if any.
    public var id: String?
    public var title: String
    public var body: String
    public var url: String?
    public var published: String?
    public var source: String?
    /// Given, or detected from the script (ko, ja, zh, en, mixed).
    public var language: String
    /// The file the article came from ("-" for stdin).
    public var path: String?

    public init(id: String? = nil, title: String, body: String, url: String? = nil, published: String? = nil,
                source: String? = nil, language: String? = nil, path: String? = nil) {
        self.id = id
        self.title = title
        self.body = body
        self.url = url
        self.published = published
        self.source = source
        self.path = path
        self.language = language ?? LanguageDetector.detect(title + "\n" + body)
        if let url, !url.isEmpty {
            key = URLCanonicalizer.canonical(url)
        } else if let id, !id.isEmpty {
            key = id
        } else {
            key = "hash:" + StableHash.hex(title + "\u{0}" + body)
        }
    }

    public func text(of field: Field) -> String {
        field == .title ? title : body
    }
}

/// Guesses an article's language from its scripts: Hangul -> ko, kana -> ja, Han
/// alone -> zh, Latin -> en; two scripts each holding a fifth of the letters -> mixed.
public enum LanguageDetector {
    public static func detect(_ text: String) -> String {
        let counts = letterCounts(text, sample: 20_000).sorted { $0.count > $1.count }
        let total = counts.map(\.count).reduce(0, +)
        guard total > 0 else { return "und" }
        if counts[1].count * 5 >= total { return "mixed" }
        return counts[0].language
    }

    /// Languages whose script holds at least a fifth of the letters (every letter counted).
    public static func languagesPresent(_ text: String) -> Set<String> {
        let counts = letterCounts(text, sample: nil)
        let total = counts.map(\.count).reduce(0, +)
        guard total > 0 else { return [] }
        return Set(counts.filter { $0.count * 5 >= total }.map(\.language))
    }

    /// Letters per language, by script; `sample` stops after that many letters.
    static func letterCounts(_ text: String, sample: Int?) -> [(language: String, count: Int)] {
        var hangul = 0, kana = 0, han = 0, latin = 0
        var seen = 0
        for s in text.unicodeScalars {
            let v = s.value
            if v < 0x80 {
                guard (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A else { continue }
                latin += 1
            } else if (0xAC00...0xD7AF).contains(v) || (0x1100...0x11FF).contains(v) || (0x3130...0x318F).contains(v) {
                hangul += 1
            } else if (0x3040...0x30FF).contains(v) {
                kana += 1
            } else if (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) {
                han += 1
            } else {
                continue
            }
            seen += 1
            if let sample, seen > sample { break }  // a sample is enough
        }
        // Japanese text mixes kana and Han; a few kana mean Japanese.
        let ja = kana > 0 && kana * 10 >= han ? kana + han : 0
        let zh = ja > 0 ? 0 : han
        return [("ko", hangul), ("ja", ja), ("zh", zh), ("en", latin)]
    }
}

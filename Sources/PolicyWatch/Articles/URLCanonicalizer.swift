import Foundation

/// Canonical form of an article URL, so the same story reached through two feeds (each adding
/// its own tracking parameters) has one key.
///
/// http(s) only: scheme and host lower-cased, default port and fragment dropped, an empty path
/// made "/", tracking parameters removed (the rest keep their order: some sites need it).
/// Anything else (a tag URI, a relative link) is returned unchanged.
public enum URLCanonicalizer {
    /// Exact names of click-tracking parameters (compared lower-cased).
    public static let trackingParameters: Set<String> = [
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid", "li_fat_id",
        "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ref_src", "ref_url",
        "cmpid", "ocid", "ncid", "s_cid", "wt.mc_id", "wt_mc", "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv",
        "rb_clickid", "spm", "sr_share", "at_medium", "at_campaign", "ito", "cvid", "__twitter_impression",
    ]
    /// Prefixes of tracking parameter families (utm_source, pk_campaign, mtm_kwd, hsa_ad...).
    public static let trackingPrefixes = ["utm_", "pk_", "mtm_", "hsa_", "__hs", "piwik_", "matomo_"]

    public static func isTracking(_ name: String) -> Bool {
        let n = name.lowercased()
        return trackingParameters.contains(n) || trackingPrefixes.contains { n.hasPrefix($0) }
    }

    /// The canonical URL, or `url` unchanged when it is not an absolute http(s) URL.
    public static func canonical(_ url: String) -> String {
        let trimmed = url.trimmingCharacters(in: .whitespacesAndNewlines)
        guard var c = URLComponents(string: trimmed), let scheme = c.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = c.host, !host.isEmpty else {
            return url
        }
        c.scheme = scheme
        c.host = host.lowercased()
        if (scheme == "http" && c.port == 80) || (scheme == "https" && c.port == 443) { c.port = nil }
        c.fragment = nil
        if c.percentEncodedPath.isEmpty { c.percentEncodedPath = "/" }
        if let items = c.percentEncodedQueryItems {
            let kept = items.filter { !isTracking($0.name) }
            c.percentEncodedQueryItems = kept.isEmpty ? nil : kept
        } else if c.percentEncodedQuery == "" {
            c.percentEncodedQuery = nil
        }
        return c.string ?? trimmed
    }
}

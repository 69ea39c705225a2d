/// Script facts the rule compiler needs for its warnings (the matcher's own `ScriptClass`
/// stays internal so its hot paths can change freely).
public enum ScriptInfo {
    /// Hangul, kana or Han: scripts whose terms match inside words and ignore spacing.
    public static func isCJK(_ v: UInt32) -> Bool { ScriptClass.isCJK(v) }
}

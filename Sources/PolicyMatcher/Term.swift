/// A term as a rule author writes it, before compilation.
public struct TermSpec: Hashable, Sendable {
    /// The text as written, without the `*` / `~N` suffixes.
    public var text: String
    /// Trailing `*`: the last word may have any ending.
    public var prefix: Bool
    /// `{term: X, cased: true}`: the case must match too.
    public var cased: Bool
    /// `~1` / `~2`: typos allowed (names of five letters or more).
    public var maxEdits: Int

    public init(text: String, prefix: Bool = false, cased: Bool = false, maxEdits: Int = 0) {
        self.text = text
        self.prefix = prefix
        self.cased = cased
        self.maxEdits = maxEdits
    }

    /// Parses the suffixes of a written term: `restrict*`, `Raimondo~1`.
    public static func parse(_ written: String, cased: Bool = false) -> TermSpec {
        // Foundation's trimming is slow; most terms need none.
        let edges = (written.unicodeScalars.first, written.unicodeScalars.last)
        let needsTrim = edges.0.map { $0.properties.isWhitespace } == true || edges.1.map { $0.properties.isWhitespace } == true
        var text = needsTrim ? written.trimmingCharacters(in: .whitespacesAndNewlines) : written
        var edits = 0
        if text.count > 2, let last = text.last, let d = last.wholeNumberValue, text.dropLast().last == "~" {
            edits = d
            text.removeLast(2)
        }
        var prefix = false
        if text.hasSuffix("*") && text.count > 1 {
            prefix = true
            text.removeLast()
        }
        return TermSpec(text: text, prefix: prefix, cased: cased, maxEdits: edits)
    }

    /// How the term is written back in messages and reports.
    public var display: String {
        var s = text
        if prefix { s += "*" }
        if maxEdits > 0 { s += "~\(maxEdits)" }
        return s
    }
}

import Foundation

/// A term compiled against the normaliser: the bytes to find and the checks around them.
public struct CompiledTerm: Sendable, Hashable {
    public var spec: TermSpec
    /// Normalised UTF-8 of the term.
    public var bytes: [UInt8]
    /// The match must not be preceded by a letter or digit of a spaced script.
    public var leftBoundary: Bool
    /// The match must not be followed by one (terms ending in a spaced-script word, without `*`).
    public var rightBoundary: Bool
    /// Normalised-but-not-case-folded form, to verify `cased` terms.
    public var casedBytes: [UInt8]?

    /// Why a term can never match, if so (empty after normalisation).
    public var impossibleReason: String? {
        bytes.isEmpty ? "the term is empty after normalisation (only spaces, hyphens or invisible characters)" : nil
    }

    public init(_ spec: TermSpec) {
        var folding = TextNormalizer()
        self.init(spec, normalizer: &folding)
    }

    /// The same, with a normaliser the caller reuses for many terms (a new one allocates
    /// its tables: over a quarter of compiling a term).
    public init(_ spec: TermSpec, normalizer folding: inout TextNormalizer) {
        self.spec = spec
        let norm = folding.normalize(spec.text)
        // Leading/trailing separators carry no meaning in a term.
        var b = norm.bytes
        while b.first == 0x20 { b.removeFirst() }
        while b.last == 0x20 { b.removeLast() }
        bytes = b
        if b.isEmpty {
            leftBoundary = false
            rightBoundary = false
        } else {
            let (first, last) = b.withUnsafeBufferPointer { bp in
                (UTF8Scalar.decode(bp, at: 0).0, UTF8Scalar.decodeBefore(bp, bp.count))
            }
            leftBoundary = ScriptClass.isWordChar(first)
            rightBoundary = ScriptClass.isWordChar(last)
        }
        if spec.cased {
            var keeping = TextNormalizer(foldCase: false)
            var c = keeping.normalize(spec.text).bytes
            while c.first == 0x20 { c.removeFirst() }
            while c.last == 0x20 { c.removeLast() }
            casedBytes = c
        }
    }
}

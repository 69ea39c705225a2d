/// Which alerts to keep by their facets (`Facets`): the filters `policywatch alerts --acting
/// --affected --stage` and the reporter options `acting`, `affected`, `stage` share. Each
/// list keeps an alert having any of its values; an empty list keeps every alert.
public struct FacetFilter: Sendable, Hashable {
    public var acting: [String] = []
    public var affected: [String] = []
    public var stages: [String] = []

    public init(acting: [String] = [], affected: [String] = [], stages: [String] = []) {
        self.acting = acting.map { $0.uppercased() }
        self.affected = affected.map { $0.uppercased() }
        self.stages = stages
    }

    public var isEmpty: Bool { acting.isEmpty && affected.isEmpty && stages.isEmpty }

    public func accepts(_ alert: Alert) -> Bool {
        guard !isEmpty else { return true }
        let f = alert.facets ?? Facets()
        if !acting.isEmpty, !f.acting.contains(where: acting.contains) { return false }
        if !affected.isEmpty, !f.affected.contains(where: affected.contains) { return false }
        if !stages.isEmpty, !(f.stage.map(stages.contains) ?? false) { return false }
        return true
    }

    /// Why a value cannot be a filter, or nil: codes are ISO 3166 alpha-2 (or EU), stages
    /// one of `FacetStage.all`.
    public static func problem(acting: [String] = [], affected: [String] = [], stages: [String] = []) -> (message: String, hint: String)? {
        for code in acting + affected where !RuleParser.isJurisdictionCode(code.uppercased()) {
            return ("'\(code)' is not a jurisdiction code", "use ISO 3166 alpha-2 codes or EU, e.g. CN, US, EU")
        }
        for s in stages where !FacetStage.all.contains(s) {
            return ("unknown stage '\(s)'", Suggest.hint(for: s, among: FacetStage.all, noun: "stages"))
        }
        return nil
    }

    /// Values of a filter option: separated by spaces, commas, `|` or `;`.
    public static func values(_ text: String) -> [String] {
        text.split(whereSeparator: { " ,|;".contains($0) }).map(String.init)
    }
}

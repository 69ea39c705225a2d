import YAMLLoader

/// Reading `facets:` and `trends:` (docs/rules.md). Errors carry file:line:column and a hint,
/// like the rest of the rule language; cue lists are term lists (terms and `$lists`).
extension RuleParser {
    static let facetKeys = ["jurisdictions", "acting", "acting_by_tag", "targets", "venues", "datelines", "complaints", "stages", "sectors"]
    static let targetKeys = ["before", "after", "within", "named"]
    static let trendKeys = ["id", "title", "severity", "tags", "tag", "group_by", "min_articles", "min_sources", "within"]

    mutating func parseFacets(_ node: Node) -> FacetSpec? {
        guard let pairs = node.mapping else {
            error(node.mark, "'facets' must be a mapping, found \(node.typeDescription)",
                  hint: "facets:\n  jurisdictions: {country: id}\n  stages: {in_force: [took effect]}")
            return nil
        }
        var spec = FacetSpec(mark: node.mark)
        for (key, value) in pairs {
            switch key.scalar ?? "" {
            case "jurisdictions": spec.jurisdictions = parseJurisdictions(value)
            case "acting":
                if let s = value.scalar, let p = FacetSpec.ActingPolicy(rawValue: s) {
                    spec.acting = p
                } else {
                    error(value.mark, "'facets.acting' must be one of \(FacetSpec.ActingPolicy.allCases.map(\.rawValue).joined(separator: ", ")), found '\(value.scalar ?? value.typeDescription)'",
                          hint: "subject: the jurisdictions before the matched words act")
                }
            case "acting_by_tag":
                guard let pairs = value.mapping else {
                    error(value.mark, "'facets.acting_by_tag' must map tags to policies, found \(value.typeDescription)", hint: "acting_by_tag: {joint-statement: all}")
                    continue
                }
                for (tag, policy) in pairs {
                    guard let p = policy.scalar.flatMap(FacetSpec.ActingPolicy.init(rawValue:)) else {
                        error(policy.mark, "acting policy for tag '\(tag.scalar ?? "")' must be one of \(FacetSpec.ActingPolicy.allCases.map(\.rawValue).joined(separator: ", ")), found '\(policy.scalar ?? policy.typeDescription)'",
                              hint: "all: every jurisdiction named that is not a target acts")
                        continue
                    }
                    spec.actingByTag.append((tag.scalar ?? "", p, tag.mark))
                }
            case "targets": parseTargets(value, into: &spec)
            case "venues": spec.venues = cueList(value, context: "facets.venues")
            case "complaints": spec.complaints = cueList(value, context: "facets.complaints")
            case "datelines": spec.datelines = cueList(value, context: "facets.datelines")
            case "stages":
                spec.stages = namedCueLists(value, key: "facets.stages")
                for s in spec.stages where !FacetStage.all.contains(s.name) {
                    error(s.mark, "unknown stage '\(s.name)'", hint: Suggest.hint(for: s.name, among: FacetStage.all))
                }
            case "sectors": spec.sectors = namedCueLists(value, key: "facets.sectors")
            case let k: error(key.mark, "unknown key '\(k)' in 'facets'", hint: Suggest.hint(for: k, among: Self.facetKeys))
            }
        }
        return spec
    }

    /// `jurisdictions: {country: id, agency: {us-bis: US}}`.
    private mutating func parseJurisdictions(_ node: Node) -> [(kind: String, map: FacetSpec.JurisdictionMap, mark: Mark)] {
        guard let pairs = node.mapping else {
            error(node.mark, "'facets.jurisdictions' must map entity kinds to 'id' or to a table of ids, found \(node.typeDescription)",
                  hint: "jurisdictions:\n    country: id\n    agency: {us-bis: US}")
            return []
        }
        var out: [(kind: String, map: FacetSpec.JurisdictionMap, mark: Mark)] = []
        for (key, value) in pairs {
            let kind = key.scalar ?? ""
            if value.scalar == "id" {
                out.append((kind, .ownID, key.mark))
            } else if let table = value.mapping {
                var map: [String: String] = [:]
                for (idNode, codeNode) in table {
                    guard let code = codeNode.scalar, Self.isJurisdictionCode(code) else {
                        error(codeNode.mark, "jurisdiction of '@\(kind):\(idNode.scalar ?? "")' must be an ISO 3166 alpha-2 code or EU, found '\(codeNode.scalar ?? codeNode.typeDescription)'",
                              hint: "us-bis: US")
                        continue
                    }
                    map[idNode.scalar ?? ""] = code
                }
                out.append((kind, .table(map), key.mark))
            } else {
                error(value.mark, "jurisdictions of kind '\(kind)' must be 'id' or a mapping of ids to codes, found '\(value.scalar ?? value.typeDescription)'",
                      hint: "\(kind): {us-bis: US}")
            }
        }
        return out
    }

    static func isJurisdictionCode(_ s: String) -> Bool {
        s.count == 2 && s.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) }
    }

    /// `targets: {before: [...], after: [...], within: 3, named: {CN: [...]}}`.
    private mutating func parseTargets(_ node: Node, into spec: inout FacetSpec) {
        guard let pairs = node.mapping else {
            return error(node.mark, "'facets.targets' must be a mapping, found \(node.typeDescription)",
                         hint: "targets:\n    before: [against, on]\n    after: [에 대한]\n    within: 3")
        }
        for (key, value) in pairs {
            switch key.scalar ?? "" {
            case "before": spec.targetBefore = cueList(value, context: "facets.targets.before")
            case "after": spec.targetAfter = cueList(value, context: "facets.targets.after")
            case "within":
                if let n = value.scalar.flatMap(Int.init), n >= 0, n <= 20 {
                    spec.targetWithin = n
                } else {
                    error(value.mark, "'facets.targets.within' must be a number of words from 0 to 20, found '\(value.scalar ?? value.typeDescription)'", hint: "within: 3")
                }
            case "named":
                spec.namedTargets = namedCueLists(value, key: "facets.targets.named").map { (code: $0.name, items: $0.items, mark: $0.mark) }
                for t in spec.namedTargets where !Self.isJurisdictionCode(t.code) {
                    error(t.mark, "'\(t.code)' is not a jurisdiction code", hint: "use ISO 3166 alpha-2 codes or EU, e.g. CN: [대중, 対中, 对华]")
                }
            case let k: error(key.mark, "unknown key '\(k)' in 'facets.targets'", hint: Suggest.hint(for: k, among: Self.targetKeys))
            }
        }
    }

    /// `name: [cue, ...]` pairs, in the order written.
    private mutating func namedCueLists(_ node: Node, key: String) -> [(name: String, items: [Expr], mark: Mark)] {
        guard let pairs = node.mapping else {
            error(node.mark, "'\(key)' must map names to cue lists, found \(node.typeDescription)", hint: "\(key.split(separator: ".").last!):\n    name: [cue, $list]")
            return []
        }
        return pairs.map { (k, v) in
            let name = k.scalar ?? ""
            return (name, cueList(v, context: "\(key).\(name)"), k.mark)
        }
    }

    private mutating func cueList(_ node: Node, context: String) -> [Expr] {
        guard let items = node.sequence, !items.isEmpty else {
            error(node.mark, "\(context) must be a non-empty list of terms, found \(node.typeDescription)", hint: "[term, $list]")
            return []
        }
        return items.compactMap { parseExpr($0, context: context) }
    }

    // MARK: - Trends

    mutating func parseTrends(_ node: Node) -> [TrendSpec] {
        guard let items = node.sequence else {
            error(node.mark, "'trends' must be a list of trends, found \(node.typeDescription)", hint: "trends:\n  - id: trend.export-control")
            return []
        }
        var out: [TrendSpec] = []
        for item in items { if let t = parseTrend(item) { out.append(t) } }
        return out
    }

    private mutating func parseTrend(_ node: Node) -> TrendSpec? {
        guard let pairs = node.mapping else {
            error(node.mark, "a trend must be a mapping, found \(node.typeDescription)", hint: "- id: trend.export-control\n    tag: export-control")
            return nil
        }
        for (k, _) in pairs where !Self.trendKeys.contains(k.scalar ?? "") {
            error(k.mark, "unknown key '\(k.scalar ?? "")' in a trend", hint: Suggest.hint(for: k.scalar ?? "", among: Self.trendKeys))
        }
        func count(_ key: String, default d: Int) -> Int? {
            guard let v = node[key] else { return d }
            guard let n = v.scalar.flatMap(Int.init), n >= 1 else {
                error(v.mark, "'\(key)' must be a whole number of at least 1, found '\(v.scalar ?? v.typeDescription)'", hint: "\(key): 3")
                return nil
            }
            return n
        }
        guard let id = node["id"]?.scalar, Self.isValidRuleID(id) else {
            error(node["id"]?.mark ?? node.mark, "a trend needs an 'id' of a-z, 0-9, '.', '_' and '-'", hint: "id: trend.export-control")
            return nil
        }
        guard let tag = node["tag"]?.scalar, !tag.isEmpty else {
            error(node.mark, "trend '\(id)' needs a 'tag': the tag of the alerts it counts", hint: "tag: export-control")
            return nil
        }
        var severity = Severity.medium
        if let s = node["severity"] {
            guard let v = s.scalar.flatMap(Severity.init(rawValue:)) else {
                error(s.mark, "unknown severity '\(s.scalar ?? "")' in trend '\(id)'", hint: Suggest.hint(for: s.scalar ?? "", among: Severity.allCases.map(\.rawValue)))
                return nil
            }
            severity = v
        }
        var groupBy = TrendSpec.GroupBy.acting
        if let g = node["group_by"] {
            guard let v = g.scalar.flatMap(TrendSpec.GroupBy.init(rawValue:)) else {
                error(g.mark, "'group_by' in trend '\(id)' must be acting, affected or none", hint: Suggest.hint(for: g.scalar ?? "", among: TrendSpec.GroupBy.allCases.map(\.rawValue)))
                return nil
            }
            groupBy = v
        }
        guard let w = node["within"], let within = w.scalar.flatMap(Units.seconds), within >= 60 else {
            error(node["within"]?.mark ?? node.mark, "trend '\(id)' needs 'within': a window of at least a minute", hint: "within: 48h")
            return nil
        }
        guard let minArticles = count("min_articles", default: 2), let minSources = count("min_sources", default: 1) else { return nil }
        let tags = node["tags"]?.sequence?.compactMap(\.scalar) ?? ["trend"]
        return TrendSpec(id: id, title: node["title"]?.scalar ?? id, severity: severity, tags: tags, tag: tag, groupBy: groupBy,
                         minArticles: minArticles, minSources: minSources, within: within, mark: node.mark)
    }
}

import YAMLLoader

/// Compiles the `facets:` section: its cues become terms of the shared matcher (found in the
/// same single pass as the rules' terms), entity aliases map to jurisdictions.
extension Compiler {
    mutating func compileFacets(_ files: [RuleFile]) -> CompiledFacets? {
        let specs = files.flatMap(\.facets)
        guard let spec = specs.first else { return nil }
        for other in specs.dropFirst() {
            error(other.mark, "'facets' is declared twice", hint: "the other declaration is at \(spec.mark); a rule set has one facets section")
        }
        var out = CompiledFacets()
        out.acting = spec.acting
        for (tag, policy, _) in spec.actingByTag { out.actingByTag[tag] = policy }
        out.targetWithin = spec.targetWithin
        for (kind, map, mark) in spec.jurisdictions {
            guard let ids = entityIDs(kind: kind) else {
                error(mark, "facets.jurisdictions: no entities of kind '\(kind)'", hint: "define them under 'entities:', e.g. \(kind): {CN: [China]}")
                continue
            }
            for id in ids {
                let code: String?
                switch map {
                case .ownID: code = RuleParser.isJurisdictionCode(id) ? id : nil
                case .table(let t): code = t[id]
                }
                guard let code else {
                    if case .ownID = map {
                        error(mark, "entity '@\(kind):\(id)' has no jurisdiction code as its id", hint: "map the kind with a table instead: \(kind): {\(id): XX}")
                    }
                    continue  // an entity left out of a table acts for no jurisdiction (e.g. the UN)
                }
                for term in resolve(entity: kind, id: id, at: mark) ?? [] { out.jurisdictionsByTerm[term, default: []].append(code) }
            }
            if case .table(let t) = map {
                for id in t.keys.sorted() where !ids.contains(id) {
                    error(mark, "facets.jurisdictions.\(kind): no entity '@\(kind):\(id)'", hint: "defined \(kind) ids: \(ids.joined(separator: ", "))")
                }
            }
        }
        out.jurisdictionsByTerm = out.jurisdictionsByTerm.mapValues { Array(Set($0)).sorted() }
        out.targetBefore = Set(resolveCues(spec.targetBefore, owner: "facets.targets.before"))
        out.targetAfter = Set(resolveCues(spec.targetAfter, owner: "facets.targets.after"))
        out.venues = Set(resolveCues(spec.venues, owner: "facets.venues"))
        out.complaints = Set(resolveCues(spec.complaints, owner: "facets.complaints"))
        out.datelines = Set(resolveCues(spec.datelines, owner: "facets.datelines"))
        for t in spec.namedTargets {
            for term in resolveCues(t.items, owner: "facets.targets.named.\(t.code)") { out.namedTargets[term, default: []].append(t.code) }
        }
        out.stages = spec.stages.map { ($0.name, Set(resolveCues($0.items, owner: "facets.stages.\($0.name)"))) }
        out.sectors = spec.sectors.map { ($0.name, Set(resolveCues($0.items, owner: "facets.sectors.\($0.name)"))) }
        return out
    }

    /// Trends: ids unique among rules and trends.
    mutating func checkTrends(_ files: [RuleFile], ruleIDs: Set<String>) -> [TrendSpec] {
        var seen: [String: Mark] = [:]
        var out: [TrendSpec] = []
        for t in files.flatMap(\.trends) {
            if let other = seen[t.id] {
                error(t.mark, "duplicate trend id '\(t.id)'", hint: "the other trend with this id is at \(other)")
            } else if ruleIDs.contains(t.id) {
                error(t.mark, "trend id '\(t.id)' is also a rule id", hint: "trend alerts carry the trend's id as their rule: give it its own, e.g. trend.\(t.id)")
            } else {
                seen[t.id] = t.mark
                out.append(t)
            }
        }
        return out.sorted { $0.id < $1.id }
    }

    private mutating func resolveCues(_ items: [Expr], owner: String) -> [Int32] {
        resolveItems(items, owner: owner)
    }
}

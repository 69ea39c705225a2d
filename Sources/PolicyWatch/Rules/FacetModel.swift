import YAMLLoader

/// The `facets:` section of a rule pack, as written: how an alert's `acting`, `affected`,
/// `sectors` and `stage` are read off its evidence sentences (docs/rules.md, "Facets").
/// One pack declares it once; the engine knows no country, cue or sector by itself.
public struct FacetSpec: Sendable {
    /// Entity kind -> how its entities map to jurisdictions: `.ownID` (a country entity's id is
    /// its code) or an explicit table (an agency's country: `us-bis: US`).
    public enum JurisdictionMap: Sendable {
        case ownID
        case table([String: String])
    }

    /// Which jurisdictions of an evidence sentence act.
    public enum ActingPolicy: String, Sendable, CaseIterable {
        /// Those before the sentence's first evidence hit (the subject), else the first one.
        case subject
        /// Only the first jurisdiction of the sentence.
        case first
        /// Every jurisdiction named that is not a target (both sides of talks or a joint statement).
        case all
    }

    public var jurisdictions: [(kind: String, map: JurisdictionMap, mark: Mark)] = []
    public var acting: ActingPolicy = .subject
    /// Another policy for alerts of rules with a tag: `joint-statement: all`.
    public var actingByTag: [(tag: String, policy: ActingPolicy, mark: Mark)] = []
    /// Cues written before the target: "sanctions on China", "against Japan".
    public var targetBefore: [Expr] = []
    /// Cues written after the target: "중국에 대한", "中国に対する".
    public var targetAfter: [Expr] = []
    /// Words that may stand between a cue and its target.
    public var targetWithin = 3
    /// Words after which a place is named, not an actor: "talks in London", "서울에서".
    public var venues: [Expr] = []
    /// Words of complaint ("criticised", 비판): the sentence's subject complains, so it is
    /// affected, and the jurisdiction named after it acts.
    public var complaints: [Expr] = []
    /// Words that end a dateline: mentions before them in their sentence are not actors
    /// ("Seoul, June 10 (Yonhap) -- ...").
    public var datelines: [Expr] = []
    /// Words that name their target themselves: `CN: [대중, 対中, 对华]`.
    public var namedTargets: [(code: String, items: [Expr], mark: Mark)] = []
    /// Stage -> cues, in priority order: the first stage with a cue in an evidence sentence wins.
    public var stages: [(name: String, items: [Expr], mark: Mark)] = []
    /// Sector -> cues; every sector with a cue in an evidence sentence or the title is listed.
    public var sectors: [(name: String, items: [Expr], mark: Mark)] = []
    public var mark: Mark
}

/// The stages an alert may carry (the Global Trade Alert's life cycle of a measure).
public enum FacetStage {
    public static let all = ["proposed", "announced", "in_force", "lifted", "threatened", "protested"]
}

/// Facets compiled to term ids of the shared matcher.
public struct CompiledFacets: Sendable {
    /// Term id -> jurisdictions its hit names (an alias of a country or of an agency).
    public var jurisdictionsByTerm: [Int32: [String]] = [:]
    public var acting: FacetSpec.ActingPolicy = .subject
    /// Tag -> policy, for alerts whose rule has the tag (the first tag listed wins).
    public var actingByTag: [String: FacetSpec.ActingPolicy] = [:]
    public var targetBefore: Set<Int32> = []
    public var targetAfter: Set<Int32> = []
    public var targetWithin = 3
    public var namedTargets: [Int32: [String]] = [:]
    public var venues: Set<Int32> = []
    public var complaints: Set<Int32> = []
    public var datelines: Set<Int32> = []
    public var stages: [(name: String, terms: Set<Int32>)] = []
    public var sectors: [(name: String, terms: Set<Int32>)] = []
}

/// A correlation rule (`trends:`): enough alerts with a tag, from enough articles and sources,
/// sharing a facet, inside one window, raise one trend alert (docs/rules.md, "Trends").
public struct TrendSpec: Sendable {
    public enum GroupBy: String, Sendable, CaseIterable {
        case acting, affected, none
    }

    public var id: String
    public var title: String
    public var severity: Severity
    /// Tags of the trend alert itself.
    public var tags: [String]
    /// Alerts counted: those whose rule has this tag.
    public var tag: String
    public var groupBy: GroupBy
    public var minArticles: Int
    public var minSources: Int
    /// Window length in seconds.
    public var within: Double
    public var mark: Mark
}

import YAMLLoader

/// `query: '...'` inside a match mapping: a query string (see `QueryParser`) read into the
/// same tree, joined with the mapping's other keys.
enum QueryOperator: MatchOperator {
    static let yamlKeys = ["query"]

    static func parse(key: Node, value: Node, mapping: Node, context: String, parser: inout RuleParser) -> ParsedKey {
        parser.parseQuery(value, context: context).map(ParsedKey.expr) ?? .invalid
    }
}

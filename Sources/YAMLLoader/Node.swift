/// A position in a source file, 1-based, as shown to users (`file:line:column`).
public struct Mark: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One YAML node. Scalars stay strings: libyaml does not type them, and the rule
/// compiler decides what `yes`, `10` or `1.0` mean where it reads them.
public struct Node: Sendable {
    public enum Kind: Sendable {
        case scalar(String)
        case sequence([Node])
        /// Keys keep their document order (error messages and tests rely on it).
        case mapping([(key: Node, value: Node)])
    }

    public enum ScalarStyle: Sendable { case plain, singleQuoted, doubleQuoted, literal, folded }

    public var kind: Kind
    /// Where the node starts.
    public var mark: Mark
    /// Explicit tag (`!!str`, `!custom`), if any.
    public var tag: String?
    /// Style of a scalar (`.plain` for collections).
    public var style: ScalarStyle

    public init(kind: Kind, mark: Mark, tag: String? = nil, style: ScalarStyle = .plain) {
        self.kind = kind
        self.mark = mark
        self.tag = tag
        self.style = style
    }

    /// The scalar's text, or nil for a collection.
    public var scalar: String? {
        if case .scalar(let s) = kind { return s }
        return nil
    }

    /// True for `~`, `null`, `Null`, `NULL` or an empty plain scalar.
    public var isNull: Bool {
        guard case .scalar(let s) = kind, style == .plain else { return false }
        return s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL"
    }

    /// The scalar as a boolean: `true`/`yes`/`on` or `false`/`no`/`off`, in any case (the
    /// YAML 1.1 spellings people write); nil for anything else. The one boolean reading of
    /// rule and config files.
    public var bool: Bool? {
        switch scalar?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: return nil
        }
    }

    public var sequence: [Node]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    public var mapping: [(key: Node, value: Node)]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// The value for a scalar key, if this node is a mapping holding it.
    public subscript(key: String) -> Node? {
        mapping?.first(where: { $0.key.scalar == key })?.value
    }

    /// A short name of the node's type for messages ("a mapping", "a list", "a string").
    public var typeDescription: String {
        switch kind {
        case .scalar: return isNull ? "nothing (null)" : "a string"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }
}

/// A YAML syntax error or a limit hit while loading, with its position.
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    public var mark: Mark
    public var message: String
    public var hint: String?

    public init(mark: Mark, message: String, hint: String? = nil) {
        self.mark = mark
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var s = "\(mark): error: \(message)"
        if let hint { s += "\n  hint: \(hint)" }
        return s
    }
}

/// Limits that keep hostile input from eating memory ("billion laughs").
public struct YAMLLimits: Sendable {
    /// Total nodes a document may expand to, aliases counted at their full size.
    public var maxNodes: Int
    /// Maximum nesting depth.
    public var maxDepth: Int

    public init(maxNodes: Int = 1_000_000, maxDepth: Int = 200) {
        self.maxNodes = maxNodes
        self.maxDepth = maxDepth
    }

    public static let `default` = YAMLLimits()
}

/// Builds `Node` trees from parse events, one document at a time.
///
/// Kept free of libyaml types so the rules it enforces (aliases, limits, duplicate
/// keys) read on their own. Collections are built on an explicit stack rather than
/// by recursion, so deep input cannot overflow the call stack before `maxDepth` bites.
struct TreeBuilder {
    let file: String
    let limits: YAMLLimits
    private(set) var documents: [Node] = []

    /// An anchored node with what an alias to it costs: its full expanded size and height.
    private struct Anchored {
        var node: Node
        var size: Int
        var height: Int
    }

    /// A collection whose end event has not come yet.
    private struct Frame {
        var isMapping: Bool
        var mark: Mark
        var tag: String?
        var anchor: String?
        /// Sequence items, or a mapping's keys and values alternating.
        var items: [Node] = []
        /// `nodeCount` when the frame opened, to know the collection's expanded size at its end.
        var countAtStart: Int
        /// Height of the tallest child (0 for scalars only).
        var childHeight = 0
        /// Mapping only: scalar keys seen so far and where, for duplicate-key errors.
        var keys: [String: Mark] = [:]
    }

    private var stack: [Frame] = []
    private var root: Node?
    // Anchors are scoped to one document in YAML.
    private var anchors: [String: Anchored] = [:]
    /// Nodes of the current document, each alias counted at its full expanded size.
    private var nodeCount = 0

    init(file: String, limits: YAMLLimits) {
        self.file = file
        self.limits = limits
    }

    mutating func startDocument() {
        stack = []
        root = nil
        anchors = [:]
        nodeCount = 0
    }

    mutating func endDocument() {
        // libyaml gives an empty plain scalar for an empty document, so root is always set;
        // the fallback only guards against a malformed event stream.
        documents.append(root ?? Node(kind: .scalar(""), mark: Mark(file: file, line: 1, column: 1)))
        root = nil
    }

    mutating func scalar(_ value: String, style: Node.ScalarStyle, tag: String?, anchor: String?, at mark: Mark) throws {
        try count(1, at: mark, viaAlias: false)
        try attach(Node(kind: .scalar(value), mark: mark, tag: tag, style: style), size: 1, height: 0, anchor: anchor)
    }

    mutating func alias(_ name: String, at mark: Mark) throws {
        guard let target = anchors[name] else {
            // An alias inside its own anchored collection would make a cycle; the
            // anchor is only registered when the collection ends, so it lands here.
            if stack.contains(where: { $0.anchor == name }) {
                throw YAMLError(mark: mark, message: "alias '*\(name)' refers to a collection that contains it",
                                hint: "recursive aliases are not supported")
            }
            throw YAMLError(mark: mark, message: "undefined alias '*\(name)'",
                            hint: "define the anchor '&\(name)' before this alias, in the same document")
        }
        if stack.count + target.height > limits.maxDepth {
            throw YAMLError(mark: mark, message: "alias '*\(name)' expands to nesting deeper than \(limits.maxDepth) levels")
        }
        try count(target.size, at: mark, viaAlias: true)
        // The copy shares storage with the anchored node (Node is a value type), so it is
        // cheap. Its top mark is the alias itself, so errors about this value point at the
        // place that uses it; nested nodes keep the marks of the text they come from.
        var copy = target.node
        copy.mark = mark
        try attach(copy, size: target.size, height: target.height, anchor: nil)
    }

    mutating func startCollection(isMapping: Bool, tag: String?, anchor: String?, at mark: Mark) throws {
        if stack.count + 1 > limits.maxDepth {
            throw YAMLError(mark: mark, message: "nesting deeper than \(limits.maxDepth) levels")
        }
        try count(1, at: mark, viaAlias: false)
        stack.append(Frame(isMapping: isMapping, mark: mark, tag: tag, anchor: anchor, countAtStart: nodeCount))
    }

    mutating func endCollection() throws {
        guard let frame = stack.popLast() else { return }
        let kind: Node.Kind
        if frame.isMapping {
            let items = frame.items
            kind = .mapping(stride(from: 0, to: items.count - 1, by: 2).map { (key: items[$0], value: items[$0 + 1]) })
        } else {
            kind = .sequence(frame.items)
        }
        let node = Node(kind: kind, mark: frame.mark, tag: frame.tag)
        try attach(node, size: nodeCount - frame.countAtStart + 1, height: frame.childHeight + 1, anchor: frame.anchor)
    }

    /// Adds a finished node to the open collection (or makes it the document's root).
    private mutating func attach(_ node: Node, size: Int, height: Int, anchor: String?) throws {
        if let anchor {
            anchors[anchor] = Anchored(node: node, size: size, height: height)
        }
        guard !stack.isEmpty else {
            root = node
            return
        }
        let top = stack.count - 1
        // In a mapping, even positions are keys. Keys compare by text: the rule
        // compiler reads `1` and `"1"` alike, so both spellings count as the same key.
        if stack[top].isMapping, stack[top].items.count.isMultiple(of: 2), let key = node.scalar {
            if let first = stack[top].keys[key] {
                throw YAMLError(mark: node.mark, message: "duplicate key '\(key)' (first defined at line \(first.line))")
            }
            stack[top].keys[key] = node.mark
        }
        stack[top].items.append(node)
        stack[top].childHeight = max(stack[top].childHeight, height)
    }

    /// Counts `n` more nodes in the document, refusing to go past `limits.maxNodes`.
    /// Sizes of anchored nodes are already bounded by the limit, so this cannot overflow.
    private mutating func count(_ n: Int, at mark: Mark, viaAlias: Bool) throws {
        nodeCount += n
        guard nodeCount > limits.maxNodes else { return }
        if viaAlias {
            throw YAMLError(mark: mark, message: "document expands to more than \(limits.maxNodes) nodes through aliases (possible 'billion laughs' attack)")
        }
        throw YAMLError(mark: mark, message: "document has more than \(limits.maxNodes) nodes")
    }
}

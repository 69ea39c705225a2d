import PolicyMatcher
import YAMLLoader

/// Parses `query:` strings, the search-engine syntax professionals already write
/// (Lucene, Brandwatch, Factiva), into the same `Expr` tree as a YAML `match:`.
///
/// ```
/// query   := not ((AND | OR | NOT) not)*       one kind of connector per level (see below)
/// not     := NOT not | prox
/// prox    := primary ((NEAR/n | ONEAR/n | NEAR/nf | PRE/n | W/n) primary)*
/// primary := ( query ) | SENT( query ) | PARA( query ) | title: primary | body: primary
///          | "quoted phrase" | word | word* | Name~1 | $list | @kind:id | /regex/
/// ```
/// - Operators are written in capitals. `a NOT b` means `a AND NOT b`.
/// - AND and OR may not be mixed without parentheses: vendors disagree on which binds
///   tighter, so `a AND b OR c` is an error that says so. NOT counts as AND.
/// - Two terms with no operator between them are an error (some vendors read AND, some OR,
///   some a phrase): quote phrases, `"export control*"`.
/// - `NEAR` alone is `NEAR/10`; ONEAR, `NEAR/nf`, PRE and W are ordered. A chain
///   `a NEAR/5 b NEAR/5 c` is one proximity with three operands; different distances in one
///   chain need parentheses.
/// - `SENT(a AND b)` is `sentence: [a, b]`; `title:x` is `title: x`.
struct QueryParser {
    struct Failure: Error, Equatable {
        var message: String
        /// Code points into the query string.
        var offset: Int
        var hint: String?
    }

    struct Token {
        enum Kind {
            case lparen, rparen, and, or, not, eof
            case prox(within: Int, ordered: Bool)
            case scope(sentence: Bool)
            case field(Field)
            case term(TermSpec)
            case list(String)
            case entity(kind: String, id: String)
            case regex(String)
        }

        var kind: Kind
        var offset: Int
        /// The token as written (for messages).
        var text: String
    }

    private let s: [Unicode.Scalar]
    private let locate: (Int) -> Mark
    private var tokens: [Token] = []
    private var pos = 0
    /// Groups, NOTs and field prefixes open around the current token (see `maxDepth`).
    private var depth = 0
    /// Deepest nesting of parentheses, `SENT(`/`PARA(`, `NOT` and `title:` accepted: the parser
    /// and everything after it recurse once per level, and 6,000 levels overflowed the stack.
    static let maxDepth = 100

    init(_ query: String, locate: @escaping (Int) -> Mark) {
        s = Array(query.unicodeScalars)
        self.locate = locate
    }

    /// The expression, or the first problem with its offset in the query.
    mutating func parse() throws(Failure) -> Expr {
        tokens = try tokenize()
        if case .eof = tokens[0].kind {
            throw Failure(message: "the query is empty", offset: 0, hint: "write terms joined by AND, OR, NOT, e.g. \"export control*\" AND $chips")
        }
        let e = try parseConnected()
        let t = tokens[pos]
        switch t.kind {
        case .eof: return e
        case .rparen: throw Failure(message: "unexpected ')'", offset: t.offset, hint: "remove it, or add the '(' it closes")
        default: throw Failure(message: "unexpected '\(t.text)'", offset: t.offset, hint: nil)
        }
    }

    // MARK: - Tokens

    private func text(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(s[r])) }

    private func isDelimiter(_ c: Unicode.Scalar) -> Bool {
        c.properties.isWhitespace || c == "(" || c == ")" || c == "\""
    }

    private func tokenize() throws(Failure) -> [Token] {
        var out: [Token] = []
        var i = 0
        let n = s.count
        while i < n {
            let c = s[i]
            if c.properties.isWhitespace {
                i += 1
                continue
            }
            let token: Token
            switch c {
            case "(":
                token = Token(kind: .lparen, offset: i, text: "(")
                i += 1
            case ")":
                token = Token(kind: .rparen, offset: i, text: ")")
                i += 1
            case "\"": (token, i) = try quotedPhrase(at: i)
            case "/": (token, i) = try regex(at: i)
            default: (token, i) = try word(at: i)
            }
            out.append(token)
        }
        out.append(Token(kind: .eof, offset: n, text: "end of query"))
        return out
    }

    /// The phrase whose opening quote is at `i`, and the index after it.
    private func quotedPhrase(at i: Int) throws(Failure) -> (Token, Int) {
        let n = s.count
        var j = i + 1
        var content = String.UnicodeScalarView()
        while j < n && s[j] != "\"" {
            if s[j] == "\\" && j + 1 < n {
                content.append(s[j + 1])
                j += 2
            } else {
                content.append(s[j])
                j += 1
            }
        }
        guard j < n else { throw Failure(message: "unterminated quoted phrase", offset: i, hint: "close it with \"") }
        let phrase = String(content)
        if phrase.trimmingCharacters(in: .whitespaces).isEmpty {
            throw Failure(message: "empty quoted phrase", offset: i, hint: "write the words between the quotes")
        }
        if let star = phrase.unicodeScalars.dropLast().firstIndex(of: "*") {
            throw Failure(message: "a wildcard '*' works only at the end of a term", offset: i + 1 + phrase.unicodeScalars.distance(from: phrase.unicodeScalars.startIndex, to: star),
                          hint: "write \"export control*\", not \"export* control\"")
        }
        let spec = try termSpec(phrase, offset: i + 1)
        let token = Token(kind: .term(spec), offset: i, text: text(i..<(j + 1)))
        if j + 1 < n && !isDelimiter(s[j + 1]) {
            throw Failure(message: "a quoted phrase must be followed by a space, ')' or the end", offset: j + 1,
                          hint: "put a space and an operator after the closing quote")
        }
        return (token, j + 1)
    }

    /// The `/regex/` whose opening slash is at `i`, and the index after it.
    private func regex(at i: Int) throws(Failure) -> (Token, Int) {
        let n = s.count
        var j = i + 1
        var pattern = String.UnicodeScalarView()
        while j < n && s[j] != "/" {
            if s[j] == "\\" && j + 1 < n && s[j + 1] == "/" {
                pattern.append("/")
                j += 2
            } else {
                pattern.append(s[j])
                j += 1
            }
        }
        guard j < n else { throw Failure(message: "unterminated regex", offset: i, hint: "close it with '/' (write \\/ for a slash inside)") }
        return (Token(kind: .regex(String(pattern)), offset: i, text: text(i..<(j + 1))), j + 1)
    }

    /// The word, operator or field prefix starting at `i`, and the index after it.
    private func word(at i: Int) throws(Failure) -> (Token, Int) {
        let n = s.count
        let c = s[i]
        var j = i
        // A field prefix ends at its colon: `title:(...)`, `body:"..."`.
        while j < n && !isDelimiter(s[j]) {
            if s[j] == ":" && c != "@" && j > i && s[i..<j].allSatisfy({ $0.isASCII && $0.properties.isAlphabetic }) {
                let name = text(i..<j)
                guard let f = Field(rawValue: name.lowercased()) else {
                    throw Failure(message: "unknown field '\(name):'", offset: i,
                                  hint: (Suggest.closest(to: name, in: ["title", "body"]).map { "did you mean '\($0):'? " } ?? "")
                                      + "fields are title: and body:; quote a term that holds ':'")
                }
                return (Token(kind: .field(f), offset: i, text: text(i..<(j + 1))), j + 1)
            }
            j += 1
        }
        return (try classify(text(i..<j), offset: i, next: j < n ? s[j] : nil), j)
    }

    private func classify(_ w: String, offset: Int, next: Unicode.Scalar?) throws(Failure) -> Token {
        func token(_ k: Token.Kind) -> Token { Token(kind: k, offset: offset, text: w) }
        switch w {
        case "AND": return token(.and)
        case "OR": return token(.or)
        case "NOT": return token(.not)
        case "SENT", "PARA":
            guard next == "(" else {
                throw Failure(message: "\(w) needs parentheses right after it", offset: offset, hint: "write \(w)(a AND b)")
            }
            return token(.scope(sentence: w == "SENT"))
        case "&&", "||":
            throw Failure(message: "'\(w)' is not an operator here", offset: offset, hint: "write \(w == "&&" ? "AND" : "OR")")
        default: break
        }
        if let (within, ordered) = try NearOperator.queryOperator(w, offset: offset) { return token(.prox(within: within, ordered: ordered)) }
        if w.hasPrefix("$") {
            let name = String(w.dropFirst())
            guard RuleParser.isValidName(name) else {
                throw Failure(message: "invalid list reference '\(w)'", offset: offset, hint: "list names use a-z, 0-9 and _")
            }
            return token(.list(name))
        }
        if w.hasPrefix("@") {
            let parts = w.dropFirst().split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, RuleParser.isValidName(parts[0]), RuleParser.isValidEntityID(parts[1]) else {
                throw Failure(message: "invalid entity reference '\(w)'", offset: offset, hint: "write @kind:ID, e.g. @country:CN")
            }
            return token(.entity(kind: parts[0], id: parts[1]))
        }
        let scalars = Array(w.unicodeScalars)
        if scalars.first == "*" {
            throw Failure(message: "a term cannot start with '*'", offset: offset, hint: "wildcards work only at the end of a term: restrict*")
        }
        if let star = scalars.dropLast().firstIndex(of: "*") {
            throw Failure(message: "a wildcard '*' works only at the end of a term", offset: offset + star, hint: "write restrict*, or quote a phrase")
        }
        if let q = scalars.firstIndex(of: "?") {
            throw Failure(message: "'?' is not a wildcard here", offset: offset + q, hint: "use a trailing * (chip*), or quote the term if '?' is part of it")
        }
        return token(.term(try termSpec(w, offset: offset)))
    }

    private func termSpec(_ text: String, offset: Int) throws(Failure) -> TermSpec {
        let spec = TermSpec.parse(text)
        if spec.maxEdits > 2 {
            throw Failure(message: "'~\(spec.maxEdits)' allows too many typos", offset: offset, hint: "use ~1 or ~2")
        }
        return spec
    }

    // MARK: - Grammar

    private var current: Token { tokens[pos] }

    /// Enters one more level of nesting at `token`, refusing to go past `maxDepth`.
    /// Every call is paired with `depth -= 1` once the nested part is parsed.
    private mutating func enter(_ token: Token) throws(Failure) {
        depth += 1
        if depth > Self.maxDepth {
            throw Failure(message: "the query nests deeper than \(Self.maxDepth) levels", offset: token.offset,
                          hint: "flatten it: a OR b OR c needs no parentheses, and a $list can name a group of terms")
        }
    }

    /// Terms joined by one kind of connector: AND (and NOT) or OR.
    private mutating func parseConnected() throws(Failure) -> Expr {
        let start = current.offset
        var items = [try parseNot()]
        var isOr: Bool?
        var firstConnector = ""
        while true {
            let t = current
            switch t.kind {
            case .and, .or, .not:
                let or: Bool
                if case .or = t.kind { or = true } else { or = false }
                if let isOr, isOr != or {
                    throw Failure(message: "mixing \(firstConnector) and \(t.text) without parentheses is ambiguous", offset: t.offset,
                                  hint: "add parentheses: (a AND b) OR c, or a AND (b OR c)")
                }
                if isOr == nil { firstConnector = t.text }
                isOr = or
                pos += 1
                if case .eof = current.kind {
                    throw Failure(message: "\(t.text) needs a term after it", offset: t.offset, hint: "add a term, or remove \(t.text)")
                }
                let operand = try parseNot()
                if case .not = t.kind {
                    items.append(.none([operand], locate(t.offset)))
                } else {
                    items.append(operand)
                }
            case .eof, .rparen:
                if items.count == 1 { return items[0] }
                return isOr == true ? .any(items, locate(start)) : .all(items, locate(start))
            default:
                let previous = tokens[pos - 1]
                let lower = t.text.lowercased()
                if ["and", "or", "not"].contains(lower) || lower.hasPrefix("near") {
                    throw Failure(message: "missing operator before '\(t.text)'", offset: t.offset,
                                  hint: "operators are written in capitals: \(t.text.uppercased())")
                }
                throw Failure(message: "missing operator between '\(previous.text)' and '\(t.text)'", offset: t.offset,
                              hint: "write AND or OR between them, or quote the words as one phrase")
            }
        }
    }

    private mutating func parseNot() throws(Failure) -> Expr {
        let t = current
        if case .not = t.kind {
            pos += 1
            if case .eof = current.kind {
                throw Failure(message: "NOT needs a term after it", offset: t.offset, hint: "add a term, or remove NOT")
            }
            try enter(t)
            let operand = try parseNot()
            depth -= 1
            return .none([operand], locate(t.offset))
        }
        return try parseProximity()
    }

    private mutating func parseProximity() throws(Failure) -> Expr {
        let first = current
        var operands = [try parsePrimary()]
        var op: (within: Int, ordered: Bool, text: String, offset: Int)?
        while case .prox(let within, let ordered) = current.kind {
            let t = current
            if let op, op.within != within || op.ordered != ordered {
                throw Failure(message: "mixing \(op.text) and \(t.text) in one chain is ambiguous", offset: t.offset,
                              hint: "add parentheses: (a \(op.text) b) \(t.text) c")
            }
            op = (within, ordered, t.text, t.offset)
            pos += 1
            if case .not = current.kind {
                throw Failure(message: "NOT cannot be an operand of \(t.text): it finds no text to measure from", offset: current.offset,
                              hint: "write (a \(t.text) b) AND NOT c")
            }
            if case .eof = current.kind {
                throw Failure(message: "\(t.text) needs a term after it", offset: t.offset, hint: "a \(t.text) b")
            }
            operands.append(try parsePrimary())
        }
        guard let op else { return operands[0] }
        for (k, o) in operands.enumerated() where !o.findsText {
            let at = k == 0 ? first.offset : op.offset
            throw Failure(message: "an operand of \(op.text) must find text (NOT, language filters have no position)", offset: at,
                          hint: "move the exclusion outside: (a \(op.text) b) AND NOT c")
        }
        return .near(operands, within: op.within, ordered: op.ordered, locate(op.offset))
    }

    private mutating func parsePrimary() throws(Failure) -> Expr {
        let t = current
        switch t.kind {
        case .lparen:
            pos += 1
            if case .rparen = current.kind { throw Failure(message: "empty parentheses", offset: t.offset, hint: "put a term inside, or remove them") }
            try enter(t)
            let e = try parseConnected()
            depth -= 1
            guard case .rparen = current.kind else { throw Failure(message: "'(' is not closed", offset: t.offset, hint: "add ')'") }
            pos += 1
            return e
        case .scope(let sentence):
            pos += 1  // the name; the tokenizer made sure '(' follows
            let open = current
            pos += 1
            if case .rparen = current.kind {
                throw Failure(message: "\(t.text)() is empty", offset: t.offset, hint: "write \(t.text)(a AND b)")
            }
            try enter(t)
            let e = try parseConnected()
            depth -= 1
            guard case .rparen = current.kind else { throw Failure(message: "'(' is not closed", offset: open.offset, hint: "add ')'") }
            pos += 1
            let items: [Expr]
            if case .all(let inner, _) = e { items = inner } else { items = [e] }
            return sentence ? .sentence(items, locate(t.offset)) : .paragraph(items, locate(t.offset))
        case .field(let f):
            pos += 1
            switch current.kind {
            case .eof, .rparen, .and, .or, .not, .prox:
                throw Failure(message: "'\(t.text)' needs a term or a group after it", offset: t.offset, hint: "e.g. \(f.rawValue):(ban OR 금지)")
            default: break
            }
            try enter(t)
            let inner = try parsePrimary()
            depth -= 1
            return .field(f, inner, locate(t.offset))
        case .term(let spec):
            pos += 1
            let contentOffset = t.text.hasPrefix("\"") ? t.offset + 1 : t.offset
            return .term(spec, locate(contentOffset))
        case .list(let name):
            pos += 1
            return .list(name, locate(t.offset))
        case .entity(let kind, let id):
            pos += 1
            return .entity(kind: kind, id: id, locate(t.offset))
        case .regex(let pattern):
            pos += 1
            return try RegexOperator.queryRegex(pattern, offset: t.offset, locate: locate)
        case .eof:
            throw Failure(message: "the query ends where a term is expected", offset: t.offset, hint: "add a term")
        case .rparen:
            throw Failure(message: "unexpected ')'", offset: t.offset, hint: "remove it, or add the '(' it closes")
        case .and, .or, .not, .prox:
            throw Failure(message: "\(t.text) needs a term before it", offset: t.offset, hint: "write a \(t.text) b")
        }
    }
}

import CYAML

/// Loads YAML text into `Node` trees through libyaml's event API.
public enum YAMLLoader {
    /// Parses every document of `text`. `file` is used in marks and errors.
    /// Throws `YAMLError` with libyaml's message and position on invalid YAML,
    /// on an undefined alias, or when `limits` are exceeded.
    public static func load(_ text: String, file: String, limits: YAMLLimits = .default) throws -> [Node] {
        // An explicit length lets a NUL inside the text reach libyaml (which reports it)
        // instead of ending the input early; the extra 0 keeps the pointer non-nil for
        // empty text, which libyaml asserts on.
        var bytes = Array(text.utf8)
        bytes.append(0)
        let lines = LineTable(text)

        return try bytes.withUnsafeBufferPointer { input in
            // Heap-allocated so libyaml's struct never moves while it is in use.
            let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
            defer { parser.deallocate() }
            guard yaml_parser_initialize(parser) != 0 else {
                throw YAMLError(mark: Mark(file: file, line: 1, column: 1), message: "out of memory")
            }
            defer { yaml_parser_delete(parser) }
            yaml_parser_set_input_string(parser, input.baseAddress, input.count - 1)

            var builder = TreeBuilder(file: file, limits: limits)
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(parser, &event) != 0 else {
                    throw syntaxError(parser.pointee, text: text, input: input, lines: lines, file: file)
                }
                // Runs at the end of each iteration, also when the builder throws.
                defer { yaml_event_delete(&event) }
                let mark = lines.mark(file: file, index: Int(event.start_mark.index))

                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return builder.documents
                case YAML_DOCUMENT_START_EVENT:
                    builder.startDocument()
                case YAML_DOCUMENT_END_EVENT:
                    builder.endDocument()
                case YAML_SCALAR_EVENT:
                    let s = event.data.scalar
                    // Use the length: a double-quoted "\0" puts a NUL inside the value.
                    let value = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
                    try builder.scalar(value, style: style(s.style), tag: tag(s.tag), anchor: string(s.anchor), at: mark)
                case YAML_ALIAS_EVENT:
                    try builder.alias(string(event.data.alias.anchor) ?? "", at: mark)
                case YAML_SEQUENCE_START_EVENT:
                    let s = event.data.sequence_start
                    try builder.startCollection(isMapping: false, tag: tag(s.tag), anchor: string(s.anchor), at: mark)
                case YAML_MAPPING_START_EVENT:
                    let m = event.data.mapping_start
                    try builder.startCollection(isMapping: true, tag: tag(m.tag), anchor: string(m.anchor), at: mark)
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    try builder.endCollection()
                default:
                    break  // stream start, and YAML_NO_EVENT which libyaml does not produce here
                }
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    /// libyaml expands `!!x` to `tag:yaml.org,2002:x`; give it back in the short form
    /// people write and compare against.
    private static func tag(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let tag = string(pointer) else { return nil }
        let prefix = "tag:yaml.org,2002:"
        return tag.hasPrefix(prefix) ? "!!" + tag.dropFirst(prefix.count) : tag
    }

    private static func style(_ style: yaml_scalar_style_t) -> Node.ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: return .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: return .literal
        case YAML_FOLDED_SCALAR_STYLE: return .folded
        default: return .plain
        }
    }

    /// libyaml's error as a `YAMLError`: its `problem` (and `context`) at its `problem_mark`.
    private static func syntaxError(_ parser: yaml_parser_t, text: String, input: UnsafeBufferPointer<UInt8>,
                                    lines: LineTable, file: String) -> YAMLError {
        var problem = parser.problem.map { String(cString: $0) } ?? "YAML error"
        if parser.error == YAML_MEMORY_ERROR { problem = "out of memory" }

        let index: Int
        if parser.error == YAML_READER_ERROR {
            // The reader reports a byte offset, not a mark: count the code points before it.
            let end = min(Int(parser.problem_offset), input.count - 1)
            index = input[..<end].lazy.filter { $0 & 0xC0 != 0x80 }.count - lines.bomLength
            if parser.problem_value >= 0 {
                problem += " (U+" + String(parser.problem_value, radix: 16, uppercase: true).padding(4) + ")"
            }
        } else {
            index = Int(parser.problem_mark.index)
        }
        let mark = lines.mark(file: file, index: max(index, 0))

        var message = problem
        var contextMark: Mark?
        let context = parser.context.map { String(cString: $0) }
        if let context {
            let start = lines.mark(file: file, index: Int(parser.context_mark.index))
            contextMark = start
            // The context's own position is only worth showing when it differs (for example
            // where an unclosed quote or bracket began).
            message += start == mark ? " (\(context))" : " (\(context) at line \(start.line), column \(start.column))"
        }
        // The text of the problem's line up to the problem, and the character at it.
        let lineStart = lines.bomLength + max(index, 0) - (mark.column - 1)
        let scalars = text.unicodeScalars.dropFirst(lineStart)
        let lineHead = Array(scalars.prefix(mark.column - 1))
        let character = scalars.dropFirst(mark.column - 1).first
        return YAMLError(mark: mark, message: message,
                         hint: hint(problem: problem, context: context, contextMark: contextMark,
                                    character: character, lineHead: lineHead))
    }

    /// A short hint for mistakes people commonly make, matched on libyaml's wording.
    /// `lineHead` is the problem's line up to the problem.
    private static func hint(problem: String, context: String?, contextMark: Mark?,
                             character: Unicode.Scalar?, lineHead: [Unicode.Scalar]) -> String? {
        if character == "\t" || problem.contains("tab character") {
            return "YAML does not allow tabs for indentation; use spaces"
        }
        if let start = contextMark {
            let at = "line \(start.line), column \(start.column)"
            switch context {
            case "while scanning a quoted scalar":
                return "the quoted string that starts at \(at) is not closed"
            case "while parsing a flow sequence":
                return "the '[' at \(at) is not closed, or a ',' is missing between items"
            case "while parsing a flow mapping":
                return "the '{' at \(at) is not closed, or a ',' is missing between entries"
            default:
                break
            }
        }
        if let character, character == "@" || character == "`" {
            return "'\(character)' cannot start a plain value; put the value in quotes"
        }
        switch problem {
        case "mapping values are not allowed in this context":
            return "a plain value cannot contain ': '; put the value in quotes, or check this line's indentation"
        case "block sequence entries are not allowed in this context":
            return "a list item ('- ') must start its own line; put a value that starts with '-' in quotes"
        case "did not find expected key", "did not find expected '-' indicator":
            // Text right after a closing quote: usually a quote inside the string.
            let previous = lineHead.last(where: { $0 != " " })
            if previous == "'" {
                return "text follows a closing quote; inside single quotes write a quote twice ('')"
            }
            if previous == "\"" {
                return "text follows a closing quote; inside double quotes write a quote as \\\""
            }
            if lineHead.allSatisfy({ $0 == " " }) {
                return "check the indentation: this line does not line up with the entries above it"
            }
            return nil
        default:
            break
        }
        if problem.hasPrefix("control characters are not allowed") {
            return "the text contains a control character such as NUL; is it a binary file?"
        }
        return nil
    }
}

private extension String {
    /// Left-pads with zeros to `width` characters.
    func padding(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}

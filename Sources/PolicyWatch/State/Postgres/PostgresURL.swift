import Foundation

/// A `postgres://user[:password]@host[:port]/database` state URL, with its password taken
/// from the environment: `${VAR}` anywhere in the URL is replaced by that variable, and a URL
/// without a password uses `PGPASSWORD`, then the `PGPASSFILE` file (default `~/.pgpass`,
/// lines `host:port:database:user:password`, `*` matching anything), as libpq does.
///
/// The password never appears in a message: `redacted` is what every error shows.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String

    /// Whether `text` names a PostgreSQL state (rather than a SQLite file).
    public static func isPostgres(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://")
    }

    public init(user: String, password: String?, host: String, port: Int = 5432, database: String) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
    }

    /// Parses `text`, expanding `${VAR}` from `environment`. Throws a StateError whose
    /// message shows the URL as written (with `${VAR}`, never its value).
    public init(_ text: String, environment: [String: String]) throws {
        func fail(_ message: String, hint: String? = nil) -> StateError {
            StateError(path: Self.redact(text), message: message, hint: hint)
        }
        var expanded = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            expanded += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else { throw fail("'${' without a closing '}'") }
            let name = String(rest[open.upperBound..<close])
            guard let value = environment[name] else {
                throw fail("the environment variable \(name) is not set", hint: "export \(name)=... before running policywatch")
            }
            // Percent-encoded, so a password may hold '@', ':' or '/'.
            expanded += value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value
            rest = rest[rest.index(after: close)...]
        }
        expanded += rest
        guard Self.isPostgres(expanded), let components = URLComponents(string: expanded) else {
            throw fail("not a postgres://user@host:port/database URL")
        }
        guard let host = components.host, !host.isEmpty else { throw fail("no host in the URL", hint: "write postgres://user@host:5432/database") }
        guard let user = components.user, !user.isEmpty else { throw fail("no user in the URL", hint: "write postgres://user@host:5432/database") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw fail("no database in the URL", hint: "write postgres://user@host:5432/database") }
        self.user = components.percentEncodedUser?.removingPercentEncoding ?? user
        self.host = host
        self.port = components.port ?? 5432
        self.database = database.removingPercentEncoding ?? database
        if let p = components.percentEncodedPassword {
            password = p.removingPercentEncoding ?? p
        } else if let p = environment["PGPASSWORD"] {
            password = p
        } else {
            password = Self.passwordFromFile(environment: environment, host: host, port: self.port, database: self.database, user: self.user)
        }
    }

    /// `postgres://user@host:port/database`: never the password.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// `text` with the password of every `scheme://user:password@host` in it replaced by
    /// `***` (a `${VAR}` is kept: it names the variable, not the secret).
    public static func redact(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let scheme = rest.range(of: "://") {
            out += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            // The authority ends at the first '/' or blank; its last '@' ends the user info.
            let end = rest.firstIndex(where: { $0 == "/" || $0 == " " || $0 == "\n" }) ?? rest.endIndex
            guard let at = rest[..<end].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { continue }
            let secret = rest[rest.index(after: colon)..<at]
            if secret.hasPrefix("${") && secret.hasSuffix("}") { continue }
            out += rest[...colon] + "***"
            rest = rest[at...]
        }
        return out + rest
    }

    /// The password for this server in the pgpass file, if any.
    static func passwordFromFile(environment: [String: String], host: String, port: Int, database: String, user: String) -> String? {
        let path = environment["PGPASSFILE"] ?? environment["HOME"].map { $0 + "/.pgpass" }
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = splitPgpass(String(line))
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// Splits a pgpass line on ':' (`\:` and `\\` escaped).
    static func splitPgpass(_ line: String) -> [String] {
        var fields: [String] = [""]
        var escaped = false
        for c in line {
            if escaped { fields[fields.count - 1].append(c); escaped = false }
            else if c == "\\" { escaped = true }
            else if c == ":" { fields.append("") }
            else { fields[fields.count - 1].append(c) }
        }
        return fields
    }
}

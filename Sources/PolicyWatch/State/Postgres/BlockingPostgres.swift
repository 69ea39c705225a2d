import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// One PostgreSQL connection used from synchronous code: the scan pipeline commits from its
/// own thread, never from an event loop. The connection runs on a private one-thread event
/// loop group, and each call blocks on its future with `wait()`, which is safe from any
/// thread that is not that event loop (no Task, no async bridge, no deadlock).
///
/// Calls are serialised by a lock: scanning threads ask for known content hashes while the
/// pipeline commits. Every error becomes a `StateError` naming the server without its password.
final class BlockingPostgres: @unchecked Sendable {
    let url: PostgresURL
    private let group: MultiThreadedEventLoopGroup
    private let connection: PostgresConnection
    private let lock = NSRecursiveLock()
    private let logger: Logger

    init(url: PostgresURL, connectTimeout: TimeInterval = 10) throws {
        self.url = url
        var logger = Logger(label: "policywatch.postgres")
        logger.logLevel = .critical
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var config = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user, password: url.password,
                                                      database: url.database, tls: .disable)
        config.options.connectTimeout = .milliseconds(Int64(connectTimeout * 1000))
        do {
            connection = try PostgresConnection.connect(on: group.next(), configuration: config, id: 1, logger: logger).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw Self.describe(error, url: url, connecting: true)
        }
    }

    deinit {
        try? connection.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Runs one statement with `$1...` parameters; returns its rows.
    @discardableResult
    func query(_ sql: String, _ binds: [PostgresBindable] = []) throws -> [PostgresRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        for b in binds { b.bind(into: &bindings) }
        return try lock.withLock {
            // A connection the server closed (a restart) fails at once: a query sent on it
            // may otherwise never be answered.
            guard !connection.isClosed else { throw Self.lost(url) }
            do {
                let future = connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
                return Array(try Self.wait(for: future, timeout: queryTimeout, url: url).rows)
            } catch let e as StateError {
                throw e
            } catch {
                throw Self.describe(error, url: url, connecting: false)
            }
        }
    }

    /// The longest a statement may take, waits on other scanners' rows included. Past it the
    /// connection is taken for dead.
    var queryTimeout: TimeInterval = 120

    /// Waits for `future` at most `timeout` seconds (a server that vanished without closing the
    /// connection must not hang a cron run).
    private static func wait<T: Sendable>(for future: EventLoopFuture<T>, timeout: TimeInterval, url: PostgresURL) throws -> T {
        let promise = future.eventLoop.makePromise(of: T.self)
        future.cascade(to: promise)
        let timer = future.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
            promise.fail(Self.lost(url))
        }
        defer { timer.cancel() }
        return try promise.futureResult.wait()
    }

    static func lost(_ url: PostgresURL) -> StateError {
        StateError(path: url.description, message: "lost the connection to PostgreSQL",
                   hint: "what was committed is kept: run again once the server is back")
    }

    /// Runs `body` in one transaction (READ COMMITTED). A deadlock or serialisation failure
    /// between two scanners rolls back and runs `body` again, up to five times.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try lock.withLock {
            var attempt = 0
            while true {
                attempt += 1
                try query("BEGIN")
                do {
                    let result = try body()
                    try query("COMMIT")
                    return result
                } catch let e as StateError {
                    _ = try? query("ROLLBACK")
                    if e.retryable && attempt < 5 { usleep(useconds_t(20_000 * attempt)); continue }
                    throw e
                } catch {
                    _ = try? query("ROLLBACK")
                    throw error
                }
            }
        }
    }

    /// A clear message for a driver error: the server's own message when it sent one,
    /// "cannot connect" or "lost the connection" otherwise.
    static func describe(_ error: Error, url: PostgresURL, connecting: Bool) -> StateError {
        let where_ = url.description
        guard let e = error as? PSQLError else {
            return StateError(path: where_, message: "\(connecting ? "cannot connect to PostgreSQL" : "PostgreSQL failed"): \(error)",
                              hint: "check that the server is running and reachable")
        }
        if let info = e.serverInfo, let message = info[.message] {
            let state = info[.sqlState] ?? ""
            var err = StateError(path: where_, message: "PostgreSQL: \(message)" + (state.isEmpty ? "" : " (SQLSTATE \(state))"),
                                 hint: info[.hint] ?? (state == "28P01" || state == "28000"
                                     ? "give the password as ${VAR} in the URL, or in PGPASSWORD or PGPASSFILE" : nil))
            err.retryable = state == "40P01" || state == "40001"
            return err
        }
        switch e.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            return StateError(path: where_, message: connecting ? "cannot connect to PostgreSQL (\(e.code))" : "lost the connection to PostgreSQL (\(e.code))",
                              hint: connecting ? "check that the server is running and reachable at \(url.host):\(url.port)"
                                  : "what was committed is kept: run again once the server is back")
        default:
            return StateError(path: where_, message: "PostgreSQL error (\(e.code))" + (e.underlying.map { ": \($0)" } ?? ""),
                              hint: connecting ? "check that the server is running and reachable at \(url.host):\(url.port)" : nil)
        }
    }
}

/// A parameter of a query: text, integer, real, or NULL.
enum PostgresBindable {
    case text(String?)
    case int(Int?)
    case real(Double?)
    case textArray([String])

    func bind(into b: inout PostgresBindings) {
        switch self {
        case .text(let v): if let v { b.append(v) } else { b.appendNull() }
        case .int(let v): if let v { b.append(v) } else { b.appendNull() }
        case .real(let v): if let v { b.append(v) } else { b.appendNull() }
        case .textArray(let v): b.append(v)
        }
    }
}

extension PostgresBindable: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    init(stringLiteral value: String) { self = .text(value) }
    init(integerLiteral value: Int) { self = .int(value) }
}

extension BlockingPostgres {
    /// Runs several statements, one after another (the extended protocol takes one at a time).
    func execute(_ statements: [String]) throws {
        for s in statements { try query(s) }
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request: a GET of a feed or page, or a POST to a webhook.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    /// Sent as given, in order (the User-Agent is the client's).
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// Names (any case) of headers that carry credentials besides the usual ones (Authorization,
    /// Proxy-Authorization, Cookie): a webhook's configured headers. None of them is ever sent
    /// to an origin other than the request's own.
    public var credentialHeaders: Set<String>

    public init(method: String = "GET", url: URL, headers: [(name: String, value: String)] = [], body: Data? = nil,
                credentialHeaders: Set<String> = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.credentialHeaders = Set(credentialHeaders.map { $0.lowercased() })
    }
}

/// An answer, whatever its status.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// 408, 429 and 5xx: the server may answer differently in a moment.
    public var isRetryable: Bool { status >= 500 || status == 408 || status == 429 }
}

/// No answer to use: the reason, in words for the report.
public enum HTTPFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// No complete answer within the timeout (whole seconds, as libcurl applies it).
    case timedOut(seconds: Int)
    /// The body passed the size limit; the transfer was stopped.
    case tooLarge(limit: Int)
    /// A redirect the client would not follow (it would leak credentials or drop a POST's body).
    case redirectRefused(status: Int, location: String, reason: String)
    /// Connection refused, unknown host, connection dropped, TLS failure...
    case network(String)

    /// A timeout or a network error may pass; a size limit or a refused redirect will not.
    public var isRetryable: Bool {
        switch self {
        case .timedOut, .network: true
        case .tooLarge, .redirectRefused: false
        }
    }

    public var description: String {
        switch self {
        case .timedOut(let s): "no answer within \(s) s (timeout)"
        case .tooLarge(let limit): "response is over the limit of \(limit) bytes (raise it with --max-bytes)"
        case .redirectRefused(let status, let location, let reason): "HTTP \(status) redirect to \(location) not followed: \(reason)"
        case .network(let message): message
        }
    }
}

/// Timeouts, retries and size limit: one policy for feeds, pages and webhooks.
public struct HTTPPolicy: Sendable, Equatable {
    /// Seconds one attempt may take, connection to last byte (rounded up to whole seconds:
    /// FoundationNetworking hands libcurl whole seconds, and 0.5 s would become "at once").
    public var timeout: TimeInterval
    /// Attempts after the first, for network errors, timeouts, 408, 429 and 5xx.
    public var retries: Int
    /// Wait before retry n (0-based): backoff × 2ⁿ (at most `maxWait`), or the server's
    /// Retry-After when longer. A Retry-After over `maxWait` ends the retries of this run:
    /// the caller tries again on its next run (a feed next time, an owed alert from the outbox).
    public var backoff: TimeInterval
    public var maxWait: TimeInterval
    /// Largest body accepted.
    public var maxBytes: Int

    public init(timeout: TimeInterval = 30, retries: Int = 2, backoff: TimeInterval = 1, maxWait: TimeInterval = 60,
                maxBytes: Int = ArticleReader.defaultMaxBytes) {
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.maxWait = maxWait
        self.maxBytes = maxBytes
    }

    /// The timeout libcurl applies.
    public var wholeSecondTimeout: Int { max(1, Int(timeout.rounded(.up))) }

    /// Seconds to wait before retry `n` (0-based), or nil when the server asked for more than
    /// `maxWait`.
    public func wait(beforeRetry n: Int, retryAfter: TimeInterval?) -> TimeInterval? {
        let backoffWait = min(maxWait, backoff * pow(2, Double(min(n, 30))))
        guard let retryAfter else { return backoffWait }
        if retryAfter > maxWait { return nil }
        return max(backoffWait, retryAfter)
    }
}

/// The one HTTP client: feeds and pages (through `URLSessionFetcher`) and webhooks.
///
/// Built on URLSession (FoundationNetworking, libcurl underneath on Linux), used synchronously:
/// each call blocks its thread, and `fetchAll` runs many calls on threads of their own.
/// Revisited once postgres-nio brought SwiftNIO in, and kept, for what libcurl gives a cron
/// job that AsyncHTTPClient would not without code of ours: the proxy variables of the
/// environment (`http_proxy`, `https_proxy`, `no_proxy`, as curl reads them) and answers
/// compressed with deflate, gzip, brotli or zstd (`Accept-Encoding` is libcurl's). Both were
/// checked against a local server (docs/cron.md). AsyncHTTPClient would also add its own
/// packages (swift-nio-http2, swift-nio-extras, swift-algorithms...) to every clean build.
///
/// Redirects are followed here, not by URLSession (see `RedirectRule`): credentials never go
/// to another origin, and a POST is never silently turned into a GET.
public struct HTTPClient: Sendable {
    public static let userAgent = "policywatch/0.1 (+https://github.com/policywatch)"

    public var policy: HTTPPolicy
    /// The clock (Retry-After may be a date) and the pause between attempts, injected for tests.
    public var now: @Sendable () -> Date
    public var sleep: @Sendable (TimeInterval) -> Void

    public init(policy: HTTPPolicy = HTTPPolicy(), now: @escaping @Sendable () -> Date = { Date() },
                sleep: @escaping @Sendable (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) }) {
        self.policy = policy
        self.now = now
        self.sleep = sleep
    }

    /// Sends `request`, retrying network errors, timeouts, 408, 429 and 5xx as the policy says.
    /// Returns the last answer (any status: the caller judges it) or the last failure.
    public func send(_ request: HTTPRequest) -> Result<HTTPResponse, HTTPFailure> {
        var retry = 0
        while true {
            let outcome = attempt(request)
            let retryable: Bool
            var retryAfter: TimeInterval?
            switch outcome {
            case .success(let response):
                retryable = response.isRetryable
                retryAfter = response.header("Retry-After").flatMap(retryAfterSeconds)
            case .failure(let failure):
                retryable = failure.isRetryable
            }
            guard retryable, retry < policy.retries, let wait = policy.wait(beforeRetry: retry, retryAfter: retryAfter) else {
                return outcome
            }
            sleep(wait)
            retry += 1
        }
    }

    /// Retry-After in seconds: a number, or an HTTP date (then counted from `now`).
    func retryAfterSeconds(_ value: String) -> TimeInterval? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = TimeInterval(text) { return max(0, seconds) }
        return FeedDates.parse(text).map { max(0, $0.timeIntervalSince(now())) }
    }

    /// One attempt, no retry, following the redirects `RedirectRule` allows (each hop gets
    /// the whole timeout).
    public func attempt(_ request: HTTPRequest) -> Result<HTTPResponse, HTTPFailure> {
        var target = request.url
        var sendCredentials = true
        var redirects = 0
        while true {
            let outcome = transfer(request, to: target, sendCredentials: sendCredentials)
            guard case .success(let response) = outcome, RedirectRule.statuses.contains(response.status),
                  let location = response.header("Location"),
                  let next = URL(string: location.trimmingCharacters(in: .whitespaces), relativeTo: target)?.absoluteURL else {
                return outcome
            }
            redirects += 1
            switch RedirectRule.decide(request, status: response.status, to: next, redirects: redirects, leftOrigin: !sendCredentials) {
            case .refuse(let reason):
                return .failure(.redirectRefused(status: response.status, location: next.absoluteString, reason: reason))
            case .follow(let credentials):
                sendCredentials = credentials
                target = next
            }
        }
    }

    /// One request and its answer, redirects not followed (a 3xx is returned as it is).
    func transfer(_ request: HTTPRequest, to url: URL, sendCredentials: Bool) -> Result<HTTPResponse, HTTPFailure> {
        let timeout = TimeInterval(policy.wholeSecondTimeout)
        let config = URLSessionConfiguration.ephemeral
        config.urlCache = nil  // 304s must reach the caller, not be answered from a cache
        config.httpCookieAcceptPolicy = .never
        config.httpShouldSetCookies = false
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        let collector = Collector(maxBytes: policy.maxBytes)
        let session = URLSession(configuration: config, delegate: collector, delegateQueue: nil)
        let task = session.dataTask(with: Self.urlRequest(request, to: url, sendCredentials: sendCredentials, timeout: timeout))
        task.resume()
        // URLSession enforces the timeout; this is a backstop should it not.
        if collector.done.wait(timeout: .now() + timeout + 5) == .timedOut {
            task.cancel()
            session.invalidateAndCancel()
            return .failure(.timedOut(seconds: policy.wholeSecondTimeout))
        }
        session.finishTasksAndInvalidate()
        return collector.outcome(timeoutSeconds: policy.wholeSecondTimeout)
    }

    /// The URLRequest for `request` sent to `url` (the original, or a redirect's target).
    static func urlRequest(_ request: HTTPRequest, to url: URL, sendCredentials: Bool, timeout: TimeInterval) -> URLRequest {
        var r = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        r.httpMethod = request.method
        r.httpBody = request.body
        for (name, value) in request.headers where sendCredentials || !RedirectRule.isCredential(name, request) {
            r.setValue(value, forHTTPHeaderField: name)
        }
        r.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        return r
    }

    /// One transfer's delegate: collects the body up to the size limit, hands redirects back
    /// to `attempt` (URLSession's own following would re-send credentials to any host, and on
    /// Linux loses a POST's body), and signals `done` when the task ends.
    final class Collector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        private let maxBytes: Int
        private let lock = NSLock()
        private var data = Data()
        private var response: HTTPURLResponse?
        private var error: Error?
        private var tooLarge = false

        init(maxBytes: Int) { self.maxBytes = maxBytes }

        func outcome(timeoutSeconds: Int) -> Result<HTTPResponse, HTTPFailure> {
            lock.withLock {
                if tooLarge { return .failure(.tooLarge(limit: maxBytes)) }
                if let error { return .failure(Self.describe(error, timeoutSeconds: timeoutSeconds)) }
                guard let http = response else { return .failure(.network("no HTTP response")) }
                var headers: [String: String] = [:]
                for (k, v) in http.allHeaderFields { headers[String(describing: k).lowercased()] = String(describing: v) }
                return .success(HTTPResponse(status: http.statusCode, headers: headers, body: data))
            }
        }

        static func describe(_ error: Error, timeoutSeconds: Int) -> HTTPFailure {
            if let u = error as? URLError {
                switch u.code {
                case .timedOut: return .timedOut(seconds: timeoutSeconds)
                case .cannotConnectToHost: return .network("connection refused")
                case .cannotFindHost: return .network("unknown host")
                case .networkConnectionLost: return .network("the connection was closed before an answer")
                default: break
                }
            }
            let ns = error as NSError
            if ns.domain == NSURLErrorDomain && ns.code == NSURLErrorTimedOut { return .timedOut(seconds: timeoutSeconds) }
            return .network(ns.localizedDescription)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
            completionHandler(nil)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
            let over = response.expectedContentLength > Int64(maxBytes)
            lock.withLock {
                self.response = response as? HTTPURLResponse
                if over { tooLarge = true }
            }
            completionHandler(over ? .cancel : .allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive chunk: Data) {
            let over: Bool = lock.withLock {
                if !tooLarge { data.append(chunk) }
                if data.count > maxBytes { tooLarge = true }
                return tooLarge
            }
            if over { dataTask.cancel() }
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            lock.withLock { if !tooLarge { self.error = error } }
            done.signal()
        }
    }
}

/// Which redirects are followed, and with what (issue 11: a webhook's secret must not follow a
/// redirect to another host, and a POST turned into a GET is not a delivery).
public enum RedirectRule {
    public enum Decision: Equatable, Sendable {
        /// Follow; `sendCredentials` false when the target is another origin than the request's.
        case follow(sendCredentials: Bool)
        case refuse(String)
    }

    public static let maxRedirects = 10
    /// The statuses that redirect (with a Location header).
    public static let statuses: Set<Int> = [301, 302, 303, 307, 308]
    static let standardCredentials: Set<String> = ["authorization", "proxy-authorization", "cookie"]

    static func isCredential(_ name: String, _ request: HTTPRequest) -> Bool {
        let n = name.lowercased()
        return standardCredentials.contains(n) || request.credentialHeaders.contains(n)
    }

    /// Scheme, host and port: what a browser calls an origin. An https → http move is another
    /// origin (a downgrade), and so is another port on the same host.
    static func origin(_ url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? ""
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(url.host?.lowercased() ?? ""):\(port)"
    }

    /// `request` (to its own URL) answered `status` pointing at `target`, after `redirects`
    /// redirects (this one included); `leftOrigin` when an earlier hop already left.
    public static func decide(_ request: HTTPRequest, status: Int, to target: URL, redirects: Int, leftOrigin: Bool) -> Decision {
        if redirects > maxRedirects { return .refuse("more than \(maxRedirects) redirects") }
        guard Location.isWeb(target.absoluteString) else { return .refuse("not an http(s) URL") }
        let sameOrigin = !leftOrigin && origin(target) == origin(request.url)
        let method = request.method.uppercased()
        if method == "GET" || method == "HEAD" {
            // A feed that moved: follow, without the request's credentials once off its origin.
            return .follow(sendCredentials: sameOrigin)
        }
        guard status == 307 || status == 308 else {
            return .refuse("a \(method) answered with \(status) would be re-sent as a GET without its body")
        }
        guard sameOrigin else {
            return .refuse("another origin than \(origin(request.url)); the request's body and credentials are not sent there")
        }
        return .follow(sendCredentials: true)
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One conditional GET of a feed or page.
public struct FetchRequest: Sendable {
    public var url: URL
    /// Validators from the last fetch: sent as If-None-Match / If-Modified-Since.
    public var etag: String?
    public var lastModified: String?

    public init(url: URL, etag: String? = nil, lastModified: String? = nil) {
        self.url = url
        self.etag = etag
        self.lastModified = lastModified
    }
}

public enum FetchResult: Sendable {
    /// 2xx: the body and the new validators.
    case fetched(body: Data, etag: String?, lastModified: String?, contentType: String?, status: Int)
    /// 304: nothing changed since the validators.
    case notModified
    case failed(String)
}

/// Fetches URLs. A protocol so the scan can be tested without a network.
public protocol HTTPFetching: Sendable {
    func fetch(_ request: FetchRequest) -> FetchResult
}

/// Timeouts, retries and size limit for fetching feeds and pages.
public struct FetchPolicy: Sendable, Equatable {
    /// Seconds one attempt may take, connection to last byte (rounded up to whole seconds).
    public var timeout: TimeInterval
    /// Attempts after the first, for network errors, 5xx and 429.
    public var retries: Int
    /// Wait before retry n (0-based): backoff × 2ⁿ, or the server's Retry-After (capped at 60 s).
    public var backoff: TimeInterval
    public var maxBytes: Int

    public init(timeout: TimeInterval = 30, retries: Int = 2, backoff: TimeInterval = 1, maxBytes: Int = ArticleReader.defaultMaxBytes) {
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.maxBytes = maxBytes
    }
}

/// HTTP(S) through URLSession (FoundationNetworking on Linux), synchronously: a scan reads
/// one source at a time, and a blocking call keeps the scan loop plain.
public struct URLSessionFetcher: HTTPFetching {
    public var policy: FetchPolicy
    public static let userAgent = "policywatch/0.1 (+https://github.com/policywatch)"

    public init(policy: FetchPolicy = FetchPolicy()) {
        self.policy = policy
    }

    public func fetch(_ request: FetchRequest) -> FetchResult {
        var attempt = 0
        while true {
            let (result, retryable, retryAfter) = once(request)
            guard retryable, attempt < policy.retries else { return result }
            let wait = min(60, retryAfter ?? policy.backoff * pow(2, Double(attempt)))
            Thread.sleep(forTimeInterval: wait)
            attempt += 1
        }
    }

    /// One attempt: the result, whether trying again may help, and the server's Retry-After.
    private func once(_ request: FetchRequest) -> (FetchResult, Bool, TimeInterval?) {
        // FoundationNetworking hands libcurl whole seconds: 0.5 s would become "time out at once".
        let timeout = max(1, policy.timeout.rounded(.up))
        var r = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        r.setValue(Self.userAgent, forHTTPHeaderField: "User-Agent")
        r.setValue("application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5",
                   forHTTPHeaderField: "Accept")
        if let etag = request.etag { r.setValue(etag, forHTTPHeaderField: "If-None-Match") }
        if let lm = request.lastModified { r.setValue(lm, forHTTPHeaderField: "If-Modified-Since") }

        let config = URLSessionConfiguration.ephemeral
        config.urlCache = nil  // 304s must reach us, not be answered from a cache
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        let collector = Collector(maxBytes: policy.maxBytes)
        let session = URLSession(configuration: config, delegate: collector, delegateQueue: nil)
        let task = session.dataTask(with: r)
        task.resume()
        if collector.done.wait(timeout: .now() + timeout + 5) == .timedOut {
            task.cancel()
            session.invalidateAndCancel()
            return (.failed("timed out after \(Self.seconds(timeout))"), true, nil)
        }
        session.finishTasksAndInvalidate()
        let (data, response, error, tooLarge) = collector.result
        if tooLarge {
            return (.failed("response is over the limit of \(policy.maxBytes) bytes (raise it with --max-bytes)"), false, nil)
        }
        if let error {
            let ns = error as NSError
            if ns.domain == NSURLErrorDomain && ns.code == NSURLErrorTimedOut {
                return (.failed("timed out after \(Self.seconds(timeout))"), true, nil)
            }
            return (.failed(ns.localizedDescription), true, nil)
        }
        guard let http = response else { return (.failed("no HTTP response"), true, nil) }
        let header = { (name: String) in http.value(forHTTPHeaderField: name) }
        switch http.statusCode {
        case 304:
            return (.notModified, false, nil)
        case 200..<300:
            return (.fetched(body: data, etag: header("ETag"), lastModified: header("Last-Modified"),
                             contentType: header("Content-Type"), status: http.statusCode), false, nil)
        default:
            let text = HTTPURLResponse.localizedString(forStatusCode: http.statusCode)
            let retryable = http.statusCode >= 500 || http.statusCode == 429 || http.statusCode == 408
            let after = header("Retry-After").flatMap(TimeInterval.init)
            return (.failed("HTTP \(http.statusCode) \(text)"), retryable, after)
        }
    }

    static func seconds(_ t: TimeInterval) -> String {
        t == t.rounded() ? "\(Int(t)) s" : "\(t) s"
    }

    /// Collects the body, stopping at the size limit; signals `done` when the task ends.
    final class Collector: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private let maxBytes: Int
        private var data = Data()
        private var response: HTTPURLResponse?
        private var error: Error?
        private var tooLarge = false

        init(maxBytes: Int) { self.maxBytes = maxBytes }

        var result: (Data, HTTPURLResponse?, Error?, Bool) { lock.withLock { (data, response, error, tooLarge) } }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping @Sendable (URLSession.ResponseDisposition) -> Void) {
            let http = response as? HTTPURLResponse
            let over = response.expectedContentLength > Int64(maxBytes)
            lock.withLock {
                self.response = http
                if over { tooLarge = true }
            }
            completionHandler(over ? .cancel : .allow)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive chunk: Data) {
            let over: Bool = lock.withLock {
                data.append(chunk)
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

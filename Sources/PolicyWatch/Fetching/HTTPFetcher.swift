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

/// The policy of feed and page fetches: the client's one policy, under its older name.
public typealias FetchPolicy = HTTPPolicy

/// Conditional GETs of feeds and pages through the one `HTTPClient`, synchronously: a fetch
/// blocks its thread, and `fetchAll` runs many at once.
public struct URLSessionFetcher: HTTPFetching {
    public var client: HTTPClient
    public var policy: HTTPPolicy { client.policy }
    public static var userAgent: String { HTTPClient.userAgent }
    static let accept = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"

    public init(policy: HTTPPolicy = HTTPPolicy()) {
        client = HTTPClient(policy: policy)
    }

    public init(client: HTTPClient) {
        self.client = client
    }

    public func fetch(_ request: FetchRequest) -> FetchResult {
        var headers: [(name: String, value: String)] = [("Accept", Self.accept)]
        if let etag = request.etag { headers.append(("If-None-Match", etag)) }
        if let lm = request.lastModified { headers.append(("If-Modified-Since", lm)) }
        switch client.send(HTTPRequest(method: "GET", url: request.url, headers: headers)) {
        case .failure(let failure):
            return .failed(failure.description)
        case .success(let r) where r.status == 304:
            return .notModified
        case .success(let r) where (200..<300).contains(r.status):
            return .fetched(body: r.body, etag: r.header("ETag"), lastModified: r.header("Last-Modified"),
                            contentType: r.header("Content-Type"), status: r.status)
        case .success(let r):
            return .failed("HTTP \(r.status) \(HTTPURLResponse.localizedString(forStatusCode: r.status))")
        }
    }
}

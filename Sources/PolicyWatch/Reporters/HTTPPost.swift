import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP POST, synchronously (the CLI is synchronous; URLSession runs the request on
/// its own queue, so waiting here cannot deadlock it).
enum HTTPPost {
    struct Response: Sendable {
        var status: Int
        var body: Data
        var headers: [String: String]
    }

    private final class Outcome: @unchecked Sendable {
        var value: Result<Response, Error>?
    }

    static func send(url: URL, body: Data, headers: [(String, String)], timeout: TimeInterval) -> Result<Response, Error> {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        config.httpCookieAcceptPolicy = .never
        config.urlCache = nil
        let session = URLSession(configuration: config)
        defer { session.finishTasksAndInvalidate() }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            if let error {
                outcome.value = .failure(error)
            } else if let http = response as? HTTPURLResponse {
                var h: [String: String] = [:]
                for (k, v) in http.allHeaderFields { h[String(describing: k).lowercased()] = String(describing: v) }
                outcome.value = .success(Response(status: http.statusCode, body: data ?? Data(), headers: h))
            } else {
                outcome.value = .failure(URLError(.badServerResponse))
            }
            done.signal()
        }
        task.resume()
        // URLSession enforces the timeout; this is a backstop should it not.
        if done.wait(timeout: .now() + timeout + 5) == .timedOut {
            task.cancel()
            return .failure(URLError(.timedOut))
        }
        return outcome.value ?? .failure(URLError(.unknown))
    }
}

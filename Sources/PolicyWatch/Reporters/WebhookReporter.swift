import Foundation
import Mustache

/// `webhook`: POSTs JSON to a URL: the report (format v1) of one alert, or of the run with
/// `digest: true`; `format: slack` for a Slack message; `template` for any other shape.
/// Every request carries `Idempotency-Key` (the alert id; for a digest a hash of its ids),
/// so a receiver can drop a retry it has already processed. Headers and the URL may hold
/// `${VAR}` from the environment; their values are never logged, recorded or reported.
public struct WebhookReporter: Reporter {
    public static let identifier = "webhook"
    public static let summary = "HTTP POST of JSON (report v1, Slack, or a Mustache template) with retries"
    public static let options: [ReporterOption] = [
        .init("format", "json (the report format, default) or slack (a Slack-compatible message)"),
        .init("template", "a Mustache file rendering the body (values are JSON-escaped); overrides format"),
        .init("content_type", "the Content-Type header (default application/json)"),
        .init("header", "extra header lines, 'Name: value', ${VAR} from the environment; a list for several"),
        .init("timeout", "seconds per attempt (default 10)"),
        .init("retries", "retries within a run after a network error, HTTP 408, 429 or 5xx (default 3)"),
        .init("backoff", "seconds before the first retry, doubled each time up to 60, or the server's Retry-After (default 1)"),
    ]
    public static let granularity = DeliveryGranularity.perAlert

    let url: URL
    /// The target as written, for messages (never the expanded secret).
    let shownTarget: String
    let headers: [(String, String)]
    let format: String
    let template: MustacheTemplate?
    let contentType: String
    let timeout: TimeInterval
    let retries: Int
    let backoff: TimeInterval
    let redactor: Redactor

    public init(config: ReporterConfig, context: ReporterContext) throws {
        guard let target = config.target, !target.isEmpty else {
            throw ReporterConfigError("webhook needs a URL", hint: "--reporter webhook=https://hooks.example.org/policy")
        }
        let env = EnvExpander(context.environment)
        shownTarget = target
        let (expanded, urlSecrets) = try env.expand(target, what: "webhook URL")
        do {
            url = try Location.webURL(expanded, shown: target, what: "webhook URL")
        } catch {
            throw ReporterConfigError("\(error)")
        }
        var secrets = urlSecrets
        var headers: [(String, String)] = []
        for line in (config.options["header"] ?? "").split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let colon = line.firstIndex(of: ":") else {
                throw ReporterConfigError("webhook header '\(line)' has no ':'", hint: "header: \"Authorization: Bearer ${TOKEN}\"")
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let (value, s) = try env.expand(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces), what: "webhook header \(name)")
            secrets += s
            headers.append((name, value))
        }
        self.headers = headers
        redactor = Redactor(secrets)
        format = try config.choice("format", ["json", "slack"], default: "json")
        contentType = config.options["content_type"] ?? "application/json"
        timeout = try config.number("timeout", default: 10, range: 0.05...600)
        retries = Int(try config.number("retries", default: 3, range: 0...20))
        backoff = try config.number("backoff", default: 1, range: 0...300)
        if let path = config.options["template"] {
            let full = context.path(path)
            guard let text = try? String(contentsOfFile: full, encoding: .utf8) else {
                throw ReporterConfigError("cannot read the webhook template \(path)")
            }
            do {
                template = try MustacheTemplate(string: JSONContentType.pragma + text)
            } catch {
                throw ReporterConfigError("\(path): invalid Mustache template: \(error)")
            }
        } else {
            template = nil
        }
    }

    /// Largest answer read from a receiver (only its first 200 bytes are ever shown).
    static let maxResponseBytes = 1 << 20

    /// POSTs the batch through the one HTTP client (retries, Retry-After, timeouts). Returning
    /// means a 2xx from the webhook's own origin: a redirect elsewhere, or one that would drop
    /// the body, is a failure, so the alert stays owed.
    public func deliver(_ batch: DeliveryBatch) throws {
        let body = try self.body(batch)
        let request = HTTPRequest(
            method: "POST", url: url,
            headers: [("Content-Type", contentType), ("Idempotency-Key", batch.idempotencyKey)] + headers.map { (name: $0.0, value: $0.1) },
            body: body,
            credentialHeaders: Set(headers.map { $0.0 }))
        let client = HTTPClient(policy: HTTPPolicy(timeout: timeout, retries: retries, backoff: backoff, maxWait: 60,
                                                   maxBytes: Self.maxResponseBytes))
        switch client.send(request) {
        case .success(let r) where (200..<300).contains(r.status):
            return
        case .success(let r):
            let detail = String(decoding: r.body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw DeliveryError(redactor.scrub("\(shownTarget): HTTP \(r.status)\(detail.isEmpty ? "" : ": \(detail)")"),
                                targetDown: r.isRetryable)
        case .failure(let failure):
            throw DeliveryError(redactor.scrub("\(shownTarget): \(failure)"), targetDown: failure.isRetryable)
        }
    }

    /// The request body for a batch, exposed for tests.
    public func body(_ batch: DeliveryBatch) throws -> Data {
        do {
            if let template {
                return Data(template.render(try templateContext(batch)).utf8)
            }
            if format == "slack" {
                return try JSONSerialization.data(withJSONObject: SlackMessage.payload(batch), options: [.sortedKeys, .withoutEscapingSlashes])
            }
            return try batch.report.jsonData(pretty: false)
        } catch {
            throw DeliveryError("cannot build the webhook body: \(error)")
        }
    }

    /// The template sees the report's JSON (`run`, `alerts`, `errors`), plus `alert` (the
    /// alert of a per-alert delivery), `count` and `digest`.
    func templateContext(_ batch: DeliveryBatch) throws -> [String: Any] {
        var object = try JSONSerialization.jsonObject(with: batch.report.jsonData(pretty: false)) as? [String: Any] ?? [:]
        if let alerts = object["alerts"] as? [Any], alerts.count == 1, !batch.isDigest { object["alert"] = alerts[0] }
        object["count"] = batch.alerts.count
        object["digest"] = batch.isDigest
        return object
    }
}

/// Mustache escaping for JSON bodies: a `{{value}}` inside a JSON string stays valid JSON
/// (quotes, backslashes and control characters escaped); `{{{value}}}` inserts raw text.
struct JSONContentType: MustacheContentType {
    static let name = "POLICYWATCH_JSON"

    /// Registers the content type (once; the library keeps a registry of them) and returns
    /// the pragma that selects it at the start of a template.
    static let pragma: String = {
        MustacheContentTypes.register(JSONContentType(), named: name)
        return "{{% CONTENT_TYPE: \(name) }}"
    }()

    func escapeText(_ text: String) -> String {
        var out = ""
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}

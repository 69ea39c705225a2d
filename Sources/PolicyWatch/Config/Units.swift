import Foundation

/// Quantities written by people in configs and flags: sizes ("16MB"), durations ("30s",
/// "7d") and points in time ("7d" ago, "2025-06-01").
public enum Units {
    /// Bytes from "1048576", "512KB", "16 MB", "1GiB" (K/M/G are 1024-based, as --max-bytes
    /// limits memory). Nil when unreadable or not positive.
    public static func bytes(_ text: String) -> Int? {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "_", with: "")
        let digits = s.prefix { $0.isNumber || $0 == "." }
        guard let n = Double(digits), n > 0 else { return nil }
        let unit = s.dropFirst(digits.count)
        let scale: Double
        switch unit {
        case "", "b": scale = 1
        case "k", "kb", "kib": scale = 1024
        case "m", "mb", "mib": scale = 1024 * 1024
        case "g", "gb", "gib": scale = 1024 * 1024 * 1024
        default: return nil
        }
        let v = n * scale
        guard v >= 1, v < Double(Int.max) else { return nil }
        return Int(v)
    }

    /// Seconds from "30", "30s", "5m", "12h", "7d", "2w". Nil when unreadable or negative.
    public static func seconds(_ text: String) -> TimeInterval? {
        let s = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = s.prefix { $0.isNumber || $0 == "." }
        guard let n = Double(digits), n >= 0 else { return nil }
        switch s.dropFirst(digits.count).trimmingCharacters(in: .whitespaces) {
        case "", "s", "sec", "secs", "second", "seconds": return n
        case "m", "min", "mins", "minute", "minutes": return n * 60
        case "h", "hour", "hours": return n * 3600
        case "d", "day", "days": return n * 86400
        case "w", "week", "weeks": return n * 7 * 86400
        default: return nil
        }
    }

    /// A point in time: a duration back from `now` ("7d"; `now` is the run's clock), a day
    /// ("2025-06-01", UTC) or an ISO 8601 time. Nil when unreadable.
    public static func since(_ text: String, now: Date) -> Date? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if let secs = seconds(s), s.last.map({ !$0.isNumber }) ?? false { return now.addingTimeInterval(-secs) }
        if s.count == 10, let d = ISO8601DateFormatter.day.date(from: s) { return d }
        return FeedDates.parse(s)
    }
}

extension ISO8601DateFormatter {
    fileprivate static var day: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        f.timeZone = TimeZone(identifier: "UTC")
        return f
    }
}

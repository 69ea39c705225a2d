import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where a run's report goes: a named destination whose deliveries the state tracks, so an
/// alert that did not reach it (a killed run, a full disk) goes out with the next run.
public struct ReportTarget: Sendable, Hashable {
    public enum Format: String, Sendable, CaseIterable {
        /// One report document (replaced atomically each run).
        case json
        /// One alert per line (appended; the file is replaced atomically with the new lines added).
        case jsonl
    }

    /// The delivery name in the state (`deliveries.reporter`).
    public var name: String
    public var format: Format
    /// A file, or nil for standard output.
    public var path: String?

    public init(name: String, format: Format, path: String?) {
        self.name = name
        self.format = format
        self.path = path
    }

    /// The destination of a plain `policywatch scan` (stdout, or --output).
    public static func output(format: Format, path: String?) -> ReportTarget {
        ReportTarget(name: "output", format: format, path: path)
    }

    public var displayName: String { path ?? "standard output" }
}

public enum ReportWriter {
    /// Writes `report` to `target`: files atomically (a reader sees the old or the new file,
    /// never half of one), standard output as is.
    public static func write(_ report: Report, to target: ReportTarget) throws {
        switch target.format {
        case .json:
            let data = try report.jsonData()
            if let path = target.path { try AtomicFile.write(data, to: path) } else { try writeStdout(data) }
        case .jsonl:
            var lines = Data()
            let encoder = Report.encoder(pretty: false)
            for alert in report.alerts {
                lines.append(try encoder.encode(alert))
                lines.append(0x0A)
            }
            if let path = target.path {
                if !lines.isEmpty { try AtomicFile.append(lines, to: path) }
            } else {
                try writeStdout(lines)
            }
        }
    }

    static func writeStdout(_ data: Data) throws {
        try FileHandle.standardOutput.write(contentsOf: data)
    }
}

/// Files replaced in one step: write a temporary file beside the target, flush it to disk,
/// rename it over the target, flush the directory.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let tmp = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw posix(tmp) }
        var ok = true
        data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 { if errno == EINTR { continue }; ok = false; return }
                off += n
            }
        }
        let writeErrno = errno
        if !ok || fsync(fd) != 0 {
            let e = ok ? errno : writeErrno
            close(fd)
            unlink(tmp)
            throw posix(path, code: e)
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw posix(path, code: e)
        }
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// Appends by rewriting: the old content plus `data`, replaced atomically, so a killed
    /// run never leaves half a line.
    public static func append(_ data: Data, to path: String) throws {
        var existing = FileManager.default.contents(atPath: path) ?? Data()
        if let last = existing.last, last != 0x0A { existing.append(0x0A) }
        existing.append(data)
        try write(existing, to: path)
    }

    static func posix(_ path: String, code: Int32 = errno) -> Error {
        NSError(domain: NSPOSIXErrorDomain, code: Int(code), userInfo: [NSLocalizedDescriptionKey: "\(path): \(String(cString: strerror(code)))"])
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Output files that a reader, or a run killed at any moment, never sees half written.
public enum AtomicFile {
    /// Why a file could not be written, in the system's words ("Permission denied"); callers
    /// name the file.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var reason: String
        public var description: String { reason }
    }

    /// Replaces `path` in one step: writes a temporary file beside it, flushes it to disk,
    /// renames it over the target and flushes the directory. Creates missing directories.
    public static func write(_ data: Data, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        try createDirectory(dir)
        let tmp = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure() }
        if let e = writeAll(fd, data) ?? (fsync(fd) != 0 ? errno : nil) {
            close(fd)
            unlink(tmp)
            throw failure(e)
        }
        close(fd)
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw failure(e)
        }
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }

    /// Appends whole lines in one `write` to a file opened with O_APPEND, then flushes it:
    /// the file is never replaced, so log shippers that follow it by inode (Filebeat, Vector)
    /// read each line once, and concurrent appenders do not interleave. Should an earlier
    /// writer have died mid-line, a newline is put first, so that torn line stays alone.
    public static func append(_ data: Data, to path: String) throws {
        guard !data.isEmpty else { return }
        try createDirectory((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure() }
        defer { close(fd) }
        var out = data
        var last: UInt8 = 0x0A
        if lseek(fd, -1, SEEK_END) >= 0, read(fd, &last, 1) == 1, last != 0x0A {
            out.insert(0x0A, at: out.startIndex)
        }
        if let e = writeAll(fd, out) ?? (fsync(fd) != 0 ? errno : nil) { throw failure(e) }
    }

    /// Writes everything, retrying on EINTR; returns errno on failure.
    private static func writeAll(_ fd: Int32, _ data: Data) -> Int32? {
        data.withUnsafeBytes { raw -> Int32? in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                off += n
            }
            return nil
        }
    }

    private static func createDirectory(_ dir: String) throws {
        guard !dir.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            let ns = error as NSError
            if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
                throw Failure(reason: "cannot create the directory: " + String(cString: strerror(Int32(underlying.code))))
            }
            throw Failure(reason: "cannot create the directory: \(ns.localizedDescription)")
        }
    }

    private static func failure(_ code: Int32 = errno) -> Failure {
        Failure(reason: String(cString: strerror(code)))
    }
}

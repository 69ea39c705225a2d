import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Output files that a reader, or a run killed at any moment, never sees half written.
///
/// Only regular files are replaced: `--output /dev/null`, a FIFO or a terminal is written in
/// place (renaming a temporary file over `/dev/null` would replace the system's null device),
/// and a symbolic link is followed, so its target is what gets replaced, not the link.
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
        let writer = try Writer(path: path)
        do {
            try writer.write(data)
            try writer.commit()
        } catch {
            writer.discard()
            throw error
        }
    }

    /// A file written in pieces and put in place at `commit` (the streamed report). Until
    /// then the target is untouched; `discard` (or a kill) leaves it as it was.
    public final class Writer {
        /// The file finally written (a symbolic link's target).
        public let path: String
        /// The temporary file, or nil when the target is not a regular file (written in place).
        private let temporaryPath: String?
        private var fd: Int32

        public init(path: String) throws {
            let target = AtomicFile.resolve(path)
            self.path = target
            try AtomicFile.createDirectory((target as NSString).deletingLastPathComponent)
            var st = stat()
            if stat(target, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                throw AtomicFile.failure(EISDIR)
            }
            if stat(target, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
                // A device, FIFO or socket: written in place, never replaced.
                temporaryPath = nil
                fd = open(target, O_WRONLY | O_CLOEXEC)
            } else {
                let dir = (target as NSString).deletingLastPathComponent
                let tmp = (dir.isEmpty ? "." : dir) + "/.\((target as NSString).lastPathComponent).tmp-\(getpid())"
                temporaryPath = tmp
                fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            }
            guard fd >= 0 else { throw AtomicFile.failure() }
        }

        deinit {
            if fd >= 0 { discard() }
        }

        public func write(_ data: Data) throws {
            if let e = data.withUnsafeBytes({ AtomicFile.writeAll(fd, $0) }) { throw AtomicFile.failure(e) }
        }

        /// Written from the array's own memory (no copy into a `Data`).
        public func write(_ bytes: [UInt8]) throws {
            if let e = bytes.withUnsafeBytes({ AtomicFile.writeAll(fd, $0) }) { throw AtomicFile.failure(e) }
        }

        /// Flushes the file to disk and renames it over the target, then flushes the directory.
        public func commit() throws {
            defer { fd = -1 }
            guard let temporaryPath else {
                close(fd)
                return
            }
            if fsync(fd) != 0 {
                let e = errno
                close(fd)
                unlink(temporaryPath)
                throw AtomicFile.failure(e)
            }
            close(fd)
            guard rename(temporaryPath, path) == 0 else {
                let e = errno
                unlink(temporaryPath)
                throw AtomicFile.failure(e)
            }
            let dir = (path as NSString).deletingLastPathComponent
            let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dfd >= 0 {
                fsync(dfd)
                close(dfd)
            }
        }

        /// Drops what was written (the temporary file); the target stays as it was.
        public func discard() {
            guard fd >= 0 else { return }
            close(fd)
            fd = -1
            if let temporaryPath { unlink(temporaryPath) }
        }
    }

    /// Appends whole lines in one `write` to a file opened with O_APPEND, then flushes it:
    /// the file is never replaced, so log shippers that follow it by inode (Filebeat, Vector)
    /// read each line once, and concurrent appenders do not interleave. Should an earlier
    /// writer have died mid-line, a newline is put first, so that torn line stays alone.
    /// Returns the file's length before and after the append (the outbox records them to
    /// undo an append that a kill interrupted).
    @discardableResult
    public static func append(_ data: Data, to path: String) throws -> (before: Int64, after: Int64) {
        try createDirectory((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure() }
        defer { close(fd) }
        let before = Int64(lseek(fd, 0, SEEK_END))
        guard !data.isEmpty else { return (before, before) }
        var out = data
        var last: UInt8 = 0x0A
        if lseek(fd, -1, SEEK_END) >= 0, read(fd, &last, 1) == 1, last != 0x0A {
            out.insert(0x0A, at: out.startIndex)
        }
        if let e = out.withUnsafeBytes({ writeAll(fd, $0) }) ?? (fsync(fd) != 0 ? errno : nil) { throw failure(e) }
        return (before, before + Int64(out.count))
    }

    /// The length of a regular file, or nil when there is none (or it is not a regular file).
    public static func length(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(st.st_size)
    }

    /// Cuts a regular file back to `length` (undoing an interrupted append) and flushes it.
    public static func truncate(_ path: String, to length: Int64) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure() }
        defer { close(fd) }
        if ftruncate(fd, off_t(length)) != 0 || fsync(fd) != 0 { throw failure() }
    }

    /// A symbolic link's final target (relative links resolved against the link's directory);
    /// any other path as it is.
    static func resolve(_ path: String, depth: Int = 0) -> String {
        guard depth < 32, let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { return path }
        let full = dest.hasPrefix("/") ? dest : ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(dest)
        return resolve(full, depth: depth + 1)
    }

    /// Writes everything, retrying on EINTR; returns errno on failure.
    private static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) -> Int32? {
        guard let base = raw.baseAddress else { return nil }
        var off = 0
        while off < raw.count {
            let n = Glibc.write(fd, base + off, raw.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            off += n
        }
        return nil
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

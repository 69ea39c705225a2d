import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One run at a time per state file: an exclusive `flock` on `STATE.lock`. The
/// kernel drops the lock when the process ends, however it ends, so a killed run never
/// leaves a stale lock behind.
///
/// The lock sits beside the state's real path (symlinks resolved, for the directory and for
/// the file itself), so two runs reaching one state through different names, e.g. a symlinked
/// directory and its target, take the same lock instead of running at once.
public final class StateLock: Sendable {
    public let path: String
    private let fd: Int32

    public struct Busy: Error, CustomStringConvertible, Sendable {
        public var lockPath: String
        /// The pid written by the holder, if readable.
        public var holder: Int32?
        public var waited: TimeInterval

        public var description: String {
            let who = holder.map { "another policywatch run (pid \($0))" } ?? "another policywatch run"
            let how = waited > 0 ? "still held after waiting \(Int(waited.rounded())) s" : "held"
            return "\(lockPath): error: \(who) is using this state (lock \(how))\n  hint: let it finish, or add --wait SECONDS to wait for it"
        }
    }

    /// Takes the lock for `statePath`, polling for up to `wait` seconds. Throws `Busy` if
    /// another process holds it, or a StateError if the lock file cannot be opened.
    public static func acquire(statePath: String, wait: TimeInterval = 0) throws -> StateLock {
        do {
            _ = try Location.localPath(statePath, what: "the state")
        } catch {
            throw StateError(path: statePath, message: "\(error)")
        }
        let given = (statePath as NSString).deletingLastPathComponent
        if !given.isEmpty { try? FileManager.default.createDirectory(atPath: given, withIntermediateDirectories: true) }
        let lockPath = realPath(statePath) + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StateError(path: lockPath, message: "cannot open the lock file: \(String(cString: strerror(errno)))")
        }
        // A wait, so the monotonic clock: not the run's clock, which may be fixed or jump.
        let deadline = ContinuousClock.now + .seconds(max(0, wait))
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let err = errno
            guard err == EWOULDBLOCK || err == EINTR else {
                close(fd)
                throw StateError(path: lockPath, message: "cannot lock: \(String(cString: strerror(err)))")
            }
            if ContinuousClock.now >= deadline {
                let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                close(fd)
                throw Busy(lockPath: lockPath, holder: holder, waited: wait)
            }
            usleep(50_000)
        }
        // Who holds it, for the message a second run prints.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return StateLock(path: lockPath, fd: fd)
    }

    /// `path` with every symlink resolved, also when the file does not exist yet (then its
    /// directory is resolved and the name appended) or is a symlink to a file not yet created.
    static func realPath(_ path: String) -> String {
        var current = path.isEmpty ? "." : path
        // Follow a symlink at the end of the path by hand: realpath(3) fails on a dangling one,
        // which is what a state created through a symlink looks like before its first run.
        for _ in 0..<40 {
            if let resolved = realpath(current, nil) {
                defer { free(resolved) }
                return String(cString: resolved)
            }
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: current) else { break }
            current = target.hasPrefix("/") ? target : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
        }
        let dir = (current as NSString).deletingLastPathComponent
        let name = (current as NSString).lastPathComponent
        guard let resolved = realpath(dir.isEmpty ? "." : dir, nil) else { return current }
        defer { free(resolved) }
        return (String(cString: resolved) as NSString).appendingPathComponent(name)
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}

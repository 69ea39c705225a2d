import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `policywatch` executable (the test target depends on it, so it is built).
enum Binary {
    static let url: URL = {
        var candidates: [URL] = []
        for bundle in [Bundle.main] + Bundle.allBundles {
            candidates.append(bundle.bundleURL.appendingPathComponent("policywatch"))
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("policywatch"))
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/policywatch"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs to completion; stdout and stderr go through files, so neither pipe can fill up.
    /// `environment` adds to (or overrides) the test's own variables.
    static func run(_ args: [String], cwd: String, stdin: String? = nil, environment: [String: String] = [:],
                    file: StaticString = #filePath, line: UInt = #line) -> Result {
        let process = Process()
        let io = FileIO(cwd)
        process.executableURL = url
        process.arguments = args
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.standardOutput = io.out
        process.standardError = io.err
        if let stdin {
            let pipe = Pipe()
            process.standardInput = pipe
            try! process.run()
            pipe.fileHandleForWriting.write(Data(stdin.utf8))
            pipe.fileHandleForWriting.closeFile()
        } else {
            process.standardInput = FileHandle.nullDevice
            do { try process.run() } catch { XCTFail("cannot start \(url.path): \(error)", file: file, line: line) }
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: io.readOut(), stderr: io.readErr())
    }

    /// Starts without waiting (for kill and lock tests).
    static func start(_ args: [String], cwd: String) throws -> (Process, FileIO) {
        let process = Process()
        let io = FileIO(cwd)
        process.executableURL = url
        process.arguments = args
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.standardOutput = io.out
        process.standardError = io.err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, io)
    }

    /// Runs with stderr on a pseudo-terminal and returns what the terminal showed.
    static func runWithTerminalStderr(_ args: [String], cwd: String) throws -> (status: Int32, terminal: String) {
        // Glibc's module map hides the pty functions (they need _XOPEN_SOURCE): look them up.
        let libc = dlopen(nil, RTLD_NOW)
        typealias IntFn = @convention(c) (Int32) -> Int32
        typealias NameFn = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        guard let o = dlsym(libc, "posix_openpt"), let g = dlsym(libc, "grantpt"), let u = dlsym(libc, "unlockpt"),
              let p = dlsym(libc, "ptsname") else { throw POSIXError(.ENOSYS) }
        let posixOpenpt = unsafeBitCast(o, to: IntFn.self), grantpt = unsafeBitCast(g, to: IntFn.self)
        let unlockpt = unsafeBitCast(u, to: IntFn.self), ptsname = unsafeBitCast(p, to: NameFn.self)
        let master = posixOpenpt(O_RDWR | O_NOCTTY)
        guard master >= 0, grantpt(master) == 0, unlockpt(master) == 0, let name = ptsname(master) else {
            throw POSIXError(.ENOTTY)
        }
        let slave = open(String(cString: name), O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw POSIXError(.ENOTTY) }
        let collected = Collected()
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(master, &buffer, buffer.count)
                if n <= 0 { break }
                collected.append(buffer[0..<n])
            }
            collected.finish()
        }
        reader.start()
        let process = Process()
        let io = FileIO(cwd)
        process.executableURL = url
        process.arguments = args
        process.currentDirectoryURL = URL(fileURLWithPath: cwd)
        process.standardOutput = io.out
        process.standardError = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        close(slave)  // the last writer gone, read() on the master ends with EIO
        collected.waitFinished()
        close(master)
        return (process.terminationStatus, collected.text)
    }
}

final class Collected: @unchecked Sendable {
    private let lock = NSCondition()
    private var bytes: [UInt8] = []
    private var done = false

    func append(_ chunk: ArraySlice<UInt8>) { lock.withLock { bytes += chunk } }
    func finish() { lock.withLock { done = true; lock.broadcast() } }
    func waitFinished() {
        let deadline = Date().addingTimeInterval(10)
        lock.lock()
        while !done, lock.wait(until: deadline) {}
        lock.unlock()
    }
    var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }
}

/// Output files for one process.
final class FileIO {
    let outPath: String
    let errPath: String
    let out: FileHandle
    let err: FileHandle

    init(_ dir: String) {
        let id = UUID().uuidString
        outPath = NSTemporaryDirectory() + "pw-out-\(id)"
        errPath = NSTemporaryDirectory() + "pw-err-\(id)"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        out = FileHandle(forWritingAtPath: outPath)!
        err = FileHandle(forWritingAtPath: errPath)!
    }

    deinit {
        try? out.close()
        try? err.close()
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }

    func readOut() -> String { String(decoding: FileManager.default.contents(atPath: outPath) ?? Data(), as: UTF8.self) }
    func readErr() -> String { String(decoding: FileManager.default.contents(atPath: errPath) ?? Data(), as: UTF8.self) }
}

import Foundation
import PolicyWatchTestSupport
import XCTest
@testable import PolicyWatch

/// The state lock is taken on the state's real path (issue 11): two runs reaching one state
/// through a symlink must not both get it.
final class StateLockPathTests: XCTestCase {
    /// (This one held before too: the lock file is reached through the same directory. It
    /// guards the resolution of a state that does not exist yet.)
    func testSymlinkedDirectoryTakesTheSameLock() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.url("real"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.url("alias"), withDestinationPath: dir.url("real"))
        // The state does not exist yet (a first run): the directory is resolved all the same.
        let held = try StateLock.acquire(statePath: dir.url("alias/state.db"))
        XCTAssertThrowsError(try StateLock.acquire(statePath: dir.url("real/state.db"))) {
            XCTAssertTrue($0 is StateLock.Busy, "\($0)")
        }
        XCTAssertEqual(held.path, StateLock.realPath(dir.url("real")) + "/state.db.lock")
    }

    /// The case of issue 11: `STATE.lock` was named after the path given, so a symlink to the
    /// state file had a lock file of its own.
    func testSymlinkedFileTakesTheSameLock() throws {
        let dir = TempDir()
        let real = dir.write("state.db", "")
        try FileManager.default.createSymbolicLink(atPath: dir.url("other-name.db"), withDestinationPath: "state.db")
        let held = try StateLock.acquire(statePath: real)
        XCTAssertThrowsError(try StateLock.acquire(statePath: dir.url("other-name.db"))) {
            XCTAssertTrue($0 is StateLock.Busy, "\($0)")
        }
        _ = held
    }

    /// A symlink to a state that is not created yet (dangling) resolves to where it will be.
    func testDanglingSymlinkResolvesToItsTarget() throws {
        let dir = TempDir()
        try FileManager.default.createDirectory(atPath: dir.url("data"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.url("link.db"), withDestinationPath: "data/new.db")
        XCTAssertEqual(StateLock.realPath(dir.url("link.db")), StateLock.realPath(dir.url("data")) + "/new.db")
        XCTAssertEqual(StateLock.realPath(dir.url("data/./new.db")), StateLock.realPath(dir.url("data")) + "/new.db")
    }

    func testRelativeAndAbsolutePathsTakeTheSameLock() throws {
        let dir = TempDir()
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(dir.path)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        let held = try StateLock.acquire(statePath: "s.db")
        XCTAssertThrowsError(try StateLock.acquire(statePath: dir.url("s.db")))
        _ = held
    }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension FileHandle {
    /// Up to `count` bytes, fewer only at the end of the input, read with read(2) straight into
    /// the block: Foundation's `read(upToCount:)` on Linux made a system call per 4 KB (48,831
    /// of them for a 200 MB JSON Lines file), this one makes one per `count` bytes from a file.
    /// Empty at the end of the input. An error is thrown as an `InputError` with the system's
    /// message; one after some bytes returns those, and the next call meets it again.
    func readBlock(upTo count: Int) throws -> Data {
        guard count > 0 else { return Data() }
        let fd = fileDescriptor
        // A handle without a descriptor (`FileHandle.nullDevice`) reads its own way.
        guard fd >= 0 else { return try read(upToCount: count) ?? Data() }
        // Not zeroed first (`Data(count:)` memsets it: half of the reading thread's work).
        guard let base = malloc(count) else { throw InputError(source: "", message: "out of memory") }
        var got = 0
        var failure: Int32?
        while got < count {
            let n = Glibc.read(fd, base + got, count - got)
            if n > 0 {
                got += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                failure = errno
                break
            }
        }
        if got == 0 {
            free(base)
            if let failure { throw InputError(source: "", message: String(cString: strerror(failure))) }
            return Data()
        }
        return Data(bytesNoCopy: base, count: got, deallocator: .free)
    }
}

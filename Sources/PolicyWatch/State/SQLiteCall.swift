import GRDB
import GRDBSQLite

/// One run of a prepared GRDB statement through SQLite's C interface: values bound by
/// position, then `run` (to the end) or `step` (row by row). For the statements a commit
/// runs once per article or alert: there, GRDB's boxing of arguments and rows cost about
/// a third of what SQLite's own insert did (docs/performance.md).
///
/// Bindings are not cleared between runs (that cost a thousand instructions a run): a
/// caller binds every parameter of its statement each time (`nil` binds NULL).
struct SQLiteCall {
    private let handle: OpaquePointer
    private let statement: Statement

    /// Starts a run of `statement` (reset).
    init(_ statement: Statement) {
        self.statement = statement
        handle = statement.sqliteStatement
        sqlite3_reset(handle)
    }

    /// SQLite copies the text it is given here (the string may go before the step).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { u in
            // An empty buffer may have no address, which SQLite would take for NULL.
            if let base = u.baseAddress {
                sqlite3_bind_text(handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(u.count), Self.transient)
            } else {
                sqlite3_bind_text(handle, index, "", 0, Self.transient)
            }
        }
    }

    func bind(_ index: Int32, _ text: String?) {
        if let text { bind(index, text) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Int) {
        sqlite3_bind_int64(handle, index, Int64(value))
    }

    /// Runs the statement to its end (an insert, an update).
    func run(_ db: Database) throws {
        var rc = sqlite3_step(handle)
        while rc == SQLITE_ROW { rc = sqlite3_step(handle) }
        try check(rc, db)
        sqlite3_reset(handle)
    }

    /// Binds `text` at `index` without SQLite copying it (it is read during the run only),
    /// then runs the statement: for the large values of a row (an alert's JSON).
    func run(_ db: Database, text: String, at index: Int32) throws {
        try run(db, texts: [(index, text)])
    }

    /// Binds each text at its index without SQLite copying it, then runs the statement: a
    /// copy (SQLite's allocation and `memcpy` per value) cost as much as the bind itself.
    /// The texts are read during the run only, inside their `withUTF8`.
    /// `bytes`: a value given as bytes (UTF-8 text or a BLOB), bound the same way.
    func run(_ db: Database, texts: [(index: Int32, text: String)], bytes: (index: Int32, value: Bytes)? = nil) throws {
        try bindWithoutCopy(texts[...], bytes: bytes, db)
    }

    /// A value given as bytes.
    enum Bytes {
        case utf8(ArraySlice<UInt8>)
        case blob(ArraySlice<UInt8>)
    }

    private func bindWithoutCopy(_ texts: ArraySlice<(index: Int32, text: String)>, bytes: (index: Int32, value: Bytes)?, _ db: Database) throws {
        guard let first = texts.first else {
            guard let (index, value) = bytes else { return try run(db) }
            defer { sqlite3_bind_null(handle, index) }
            switch value {
            case .utf8(let b):
                try b.withUnsafeBufferPointer { u in
                    bindWithoutCopy(index, UnsafeRawBufferPointer(u))
                    try run(db)
                }
            case .blob(let b):
                try b.withUnsafeBufferPointer { u in
                    // SQLITE_STATIC (nil): read during the run only. A zero-length blob is
                    // still a blob (`zeroblob`), not NULL.
                    if let base = u.baseAddress {
                        sqlite3_bind_blob(handle, index, base, Int32(u.count), nil)
                    } else {
                        sqlite3_bind_zeroblob(handle, index, 0)
                    }
                    try run(db)
                }
            }
            return
        }
        let index = first.index
        var text = first.text
        try text.withUTF8 { u in
            bindWithoutCopy(index, UnsafeRawBufferPointer(u))
            defer { sqlite3_bind_null(handle, index) }  // the statement keeps no pointer to it
            try bindWithoutCopy(texts.dropFirst(), bytes: bytes, db)
        }
    }

    /// Binds UTF-8 text SQLite reads in place (SQLITE_STATIC): valid until the run ends.
    private func bindWithoutCopy(_ index: Int32, _ u: UnsafeRawBufferPointer) {
        // An empty buffer may have no address, which SQLite would take for NULL.
        if let base = u.baseAddress {
            sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(u.count), nil)  // nil: SQLITE_STATIC
        } else {
            sqlite3_bind_text(handle, index, "", 0, Self.transient)
        }
    }

    /// Rows changed by the last run (an `INSERT OR IGNORE` that ignored: 0).
    func changes(_ db: Database) -> Int {
        Int(sqlite3_changes(db.sqliteConnection))
    }

    /// The rowid of the last row inserted on this connection.
    func lastRowID(_ db: Database) -> Int64 {
        sqlite3_last_insert_rowid(db.sqliteConnection)
    }

    /// The next row: true when there is one (read it with `text` or `int64`), false at the end.
    func step(_ db: Database) throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        try check(rc, db)
        sqlite3_reset(handle)
        return false
    }

    /// A column of the current row as text (NULL reads as "").
    func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(handle, column) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// A column of the current row as an integer (NULL reads as 0).
    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    /// Ends a run read with `step` before its last row.
    func finish() {
        sqlite3_reset(handle)
    }

    private func check(_ rc: Int32, _ db: Database) throws {
        guard rc != SQLITE_DONE else { return }
        let message = db.sqliteConnection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
        sqlite3_reset(handle)
        throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: message, sql: statement.sql)
    }
}

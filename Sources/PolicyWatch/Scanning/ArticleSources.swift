import Foundation

/// One source of a scan, planned before reading: a file (from a path or a directory), a URL,
/// standard input, or a problem found while listing.
enum PlannedSource: Sendable {
    case file(String, SourceSpec)
    case url(SourceSpec)
    case standardInput(SourceSpec)
    case error(InputError)
}

/// A piece of input read by the source stage, in input order: some JSON Lines records, a
/// whole document (file, page, feed, stdin), or nothing but news about a source (unchanged,
/// not modified, an error). The last piece of a source carries its mark.
struct SourcePiece: Sendable {
    enum Content: Sendable {
        case none
        /// Complete lines of a JSON Lines input, starting at line `firstLine`.
        case lines(path: String, firstLine: Int, data: Data)
        case document(path: String, data: Data, format: InputFormat?, sourceName: String?, charset: String?)
    }

    var content: Content = .none
    var errors: [InputError] = []
    var file: FileMark?
    var feed: FeedMark?
    /// The last piece of its source.
    var endsSource = false
    var unchangedFile = false
    /// A feed that answered 304 Not Modified.
    var notModifiedFeed: String?
    var bytes: Int64 = 0
    /// A leased source all of whose pieces came before this one (see `SourceLeaser`).
    var finishedLease: SourceSpec?
}

/// The source stage: reads planned sources into pieces, in order. Files are checked against
/// their mark first (same size and mtime: not read; same hash: not parsed); JSON Lines are
/// read in blocks (`--max-bytes` limits one record), other files whole (it limits the file);
/// URLs are fetched a window at a time, concurrently, with the validators of their last fetch.
struct ArticleSources: Sendable {
    var reader: ArticleReader
    var index: any StoryIndex
    var fetcher: any HTTPFetching
    var fetchConcurrency: FetchConcurrency
    var standardInput: FileHandle
    /// Where relative paths are (the run context's working directory).
    var workingDirectory: String
    var rescan: Bool
    var now: String
    var chunkBytes: Int

    /// Plans `specs`: directories expanded (sorted), URLs and stdin as they are.
    static func plan(_ specs: [SourceSpec], reader: ArticleReader, directory: String) -> [PlannedSource] {
        var plan: [PlannedSource] = []
        for spec in specs {
            // The one URL check: an unsupported scheme (ftp://...) is an input error here too,
            // for library callers that build a SourceSpec without the CLI's validation.
            do {
                _ = try Location(spec.location)
            } catch {
                plan.append(.error(InputError(source: spec.location, message: "\(error)")))
                continue
            }
            if spec.isURL {
                plan.append(.url(spec))
            } else if spec.location == "-" {
                plan.append(.standardInput(spec))
            } else {
                let (files, errors) = reader.files(for: [spec.location], in: directory)
                plan += errors.map(PlannedSource.error)
                plan += files.map { PlannedSource.file($0, spec) }
            }
        }
        return plan
    }

    /// Emits the pieces of `plan` in order; stops when `emit` returns false.
    func read(_ plan: [PlannedSource], _ emit: (SourcePiece) -> Bool) {
        var i = 0
        while i < plan.count {
            switch plan[i] {
            case .error(let e):
                guard emit(SourcePiece(errors: [e], endsSource: true)) else { return }
            case .file(let path, let spec):
                guard readFile(path, spec: spec, emit) else { return }
            case .standardInput:
                guard readStandardInput(emit) else { return }
            case .url:
                // Consecutive URLs are fetched together (a window, so memory stays bounded).
                var group: [SourceSpec] = []
                while i < plan.count, group.count < 4 * fetchConcurrency.total, case .url(let spec) = plan[i] {
                    group.append(spec)
                    i += 1
                }
                guard fetch(group, emit) else { return }
                continue
            }
            i += 1
        }
    }

    // MARK: Files

    private func readFile(_ path: String, spec: SourceSpec, _ emit: (SourcePiece) -> Bool) -> Bool {
        // Opened from the working directory; named (errors, marks, articles) as given.
        let onDisk = ArticleReader.onDisk(path, in: workingDirectory)
        func fail(_ message: String) -> Bool { emit(SourcePiece(errors: [InputError(source: path, message: message)], endsSource: true)) }
        let attrs: [FileAttributeKey: Any]
        let known: FileMark?
        do {
            attrs = try FileManager.default.attributesOfItem(atPath: onDisk)
            known = try index.fileMark(path)
        } catch {
            return fail("cannot read: \(ArticleReader.describe(error))")
        }
        let size = (attrs[.size] as? Int) ?? 0
        let mtime = (attrs[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        if !rescan, let known, known.size == size, known.mtime == mtime {
            return emit(SourcePiece(endsSource: true, unchangedFile: true))
        }
        if ArticleReader.isJSONLines(path) {
            guard let handle = FileHandle(forReadingAtPath: onDisk) else {
                return fail("cannot read: " + (FileManager.default.isReadableFile(atPath: onDisk) ? "cannot open" : "permission denied"))
            }
            defer { try? handle.close() }
            // Not hashed: a JSON Lines file is streamed, so a touched one is read again anyway,
            // and its unchanged records are skipped by the story index (key and content).
            guard streamLines(handle, source: path, initial: Data(), emit) else { return false }
            let mark = FileMark(path: path, size: size, mtime: mtime, hash: "-", scanned: now)
            return emit(SourcePiece(file: mark, endsSource: true))
        }
        if size > reader.maxBytes {
            // Not recorded: raising --max-bytes must make the next run read it.
            return fail("file is \(size) bytes, over the limit of \(reader.maxBytes) (raise it with --max-bytes)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: onDisk))
        } catch {
            return fail("cannot read: \(ArticleReader.describe(error))")
        }
        var mark = FileMark(path: path, size: size, mtime: mtime, hash: ContentHash.bytes(data), scanned: now)
        if !rescan, let known, known.hash == mark.hash {
            // Touched, not changed: only the mark is recorded.
            mark.error = known.error
            return emit(SourcePiece(file: mark, endsSource: true, unchangedFile: true, bytes: Int64(data.count)))
        }
        return emit(SourcePiece(content: .document(path: path, data: data, format: nil, sourceName: spec.name, charset: nil),
                                file: mark, endsSource: true, bytes: Int64(data.count)))
    }

    /// JSON Lines from `handle` as pieces of complete lines.
    private func streamLines(_ handle: FileHandle, source: String, initial: Data, _ emit: (SourcePiece) -> Bool) -> Bool {
        reader.streamJSONLines(handle: handle, source: source, initial: initial, chunkBytes: chunkBytes) { chunk in
            switch chunk {
            case .jsonLines(let path, let firstLine, let data):
                return emit(SourcePiece(content: .lines(path: path, firstLine: firstLine, data: data), bytes: Int64(data.count)))
            case .error(let e):
                return emit(SourcePiece(errors: [e]))
            case .file, .data:
                return true
            }
        }
    }

    // MARK: Standard input

    /// Stdin is streamed like a JSON Lines file when its start looks like one; anything else
    /// is read whole (and limited by `--max-bytes`).
    private func readStandardInput(_ emit: (SourcePiece) -> Bool) -> Bool {
        var first = Data()
        let want = max(chunkBytes, 4096)
        while first.count < want, let more = try? standardInput.readBlock(upTo: want - first.count), !more.isEmpty {
            first.append(more)
        }
        if InputFormat.sniff(first) == .jsonLines {
            guard streamLines(standardInput, source: "-", initial: first, emit) else { return false }
            return emit(SourcePiece(endsSource: true))
        }
        // Read whole, but never more than the limit allows.
        while first.count <= reader.maxBytes, let more = try? standardInput.readBlock(upTo: 1 << 20), !more.isEmpty {
            first.append(more)
        }
        return emit(SourcePiece(content: .document(path: "-", data: first, format: nil, sourceName: nil, charset: nil),
                                endsSource: true, bytes: Int64(first.count)))
    }

    // MARK: URLs

    private func fetch(_ specs: [SourceSpec], _ emit: (SourcePiece) -> Bool) -> Bool {
        var requests: [FetchRequest] = []
        var requested: [Int] = []  // index into specs of each request
        var problems: [Int: InputError] = [:]
        for (i, spec) in specs.enumerated() {
            guard let url = URL(string: spec.location), url.host != nil else {
                problems[i] = InputError(source: spec.location, message: "not a valid URL")
                continue
            }
            do {
                let known = rescan ? nil : try index.feedMark(spec.location)
                requests.append(FetchRequest(url: url, etag: known?.etag, lastModified: known?.lastModified))
                requested.append(i)
            } catch {
                problems[i] = InputError(source: spec.location, message: "cannot read the state: \(error)")
            }
        }
        let results = fetcher.fetchAll(requests, concurrency: fetchConcurrency)
        var resultFor: [Int: FetchResult] = [:]
        for (k, i) in requested.enumerated() { resultFor[i] = results[k] }
        for (i, spec) in specs.enumerated() {
            let piece: SourcePiece
            if let e = problems[i] {
                piece = SourcePiece(errors: [e], endsSource: true)
            } else {
                piece = Self.piece(spec, resultFor[i] ?? .failed("not fetched"), now: now)
            }
            guard emit(piece) else { return false }
        }
        return true
    }

    static func piece(_ spec: SourceSpec, _ result: FetchResult, now: String) -> SourcePiece {
        switch result {
        case .notModified:
            return SourcePiece(endsSource: true, notModifiedFeed: spec.location)
        case .failed(let message):
            return SourcePiece(errors: [InputError(source: spec.location, message: message)], endsSource: true)
        case .fetched(let body, let etag, let lastModified, let contentType, let status):
            let (mime, charset) = parseContentType(contentType)
            let format: InputFormat? = mime.contains("html") && InputFormat.sniff(body) != .feed ? .html : nil
            let mark = FeedMark(url: spec.location, etag: etag, lastModified: lastModified, fetched: now, status: status)
            return SourcePiece(content: .document(path: spec.location, data: body, format: format, sourceName: spec.name, charset: charset),
                               feed: mark, endsSource: true, bytes: Int64(body.count))
        }
    }

    static func parseContentType(_ header: String?) -> (mime: String, charset: String?) {
        guard let header else { return ("", nil) }
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        let charset = parts.dropFirst().first { $0.lowercased().hasPrefix("charset=") }
            .map { String($0.dropFirst(8)).trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
        return (parts.first?.lowercased() ?? "", charset)
    }
}

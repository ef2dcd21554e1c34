#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Everything `share` needs besides the policy.
public struct ShareOptions {
  public var selection: ShareSelection
  /// The bundle to write (`.tar.gz`, `.tgz` or `.zip`).
  public var output: String
  /// Sub-keys for the vendor profile (the policy's key, with the share's epoch).
  public var keys: PseudonymKeys
  /// `KeyMaterial.fingerprint(epoch:)` of the same key and epoch.
  public var keyFingerprint: String
  /// The key file the keys came from. Archives the retention engine already pseudonymized (a `vendor` stage) are
  /// shared only when this is the policy's key file and there is no epoch: otherwise their pseudonyms would not
  /// match the rest of the bundle.
  public var keyPath: String?
  /// Where new pseudonyms and their originals are recorded (for `reveal`), if anywhere.
  public var ledger: PseudonymLedger?
  /// The manifest's creation time, seconds since the epoch.
  public var now: Int64

  public init(
    selection: ShareSelection, output: String, keys: PseudonymKeys, keyFingerprint: String, keyPath: String?,
    ledger: PseudonymLedger? = nil, now: Int64
  ) {
    self.selection = selection
    self.output = output
    self.keys = keys
    self.keyFingerprint = keyFingerprint
    self.keyPath = keyPath
    self.ledger = ledger
    self.now = now
  }
}

/// The pseudonym the vendor will see for a selected value.
public struct SelectedPseudonym: Sendable, Equatable {
  public var value: String
  public var kind: PseudonymKind
  public var pseudonym: String
  /// The profile leaves this value as it is (loopback or unspecified IP addresses).
  public var keptAsIs: Bool
}

/// What `share` did.
public struct ShareResult: Sendable {
  public enum Outcome: Sendable {
    /// The bundle was written.
    case written(ShareManifest)
    /// Something that must not leave the server was found in the output; nothing was written.
    case refused([LeakFinding])
    /// No log line matched the selection; nothing was written.
    case nothingSelected
  }
  public var outcome: Outcome
  public var pseudonyms: [SelectedPseudonym]
  /// Files or sets left out, and why (never content).
  public var warnings: [String]
  /// Something could not be read and is missing from the bundle (the warnings say what).
  public var incomplete = false
}

/// Builds a vendor bundle from a policy's log sets: selects files by time, keeps whole sessions of the selected users,
/// IPs and session ids (first pass: which sessions; second pass: only their lines), sanitizes with the `vendor`
/// profile, checks the result for leaks, and writes the files with `MANIFEST.json` and `README.txt` atomically.
///
/// Reads only: live logs, recorded archives and the state database (read-only). Staging happens in a private
/// directory (mode 0700) next to the output, removed in every case.
public final class ShareBuilder {
  public let policy: CompiledPolicy
  public let options: ShareOptions
  let fileSystem: FileSystem
  /// Called with a short line of progress (file names of the bundle, never content).
  public var onProgress: ((String) -> Void)?
  /// Test hook: sanitizes one file instead of the `Sanitizer` (to plant a leak the real one would not let through).
  var sanitizeOverride:
    ((_ bundlePath: String, _ source: ByteSource, _ sink: ByteSink) throws(LogWardenError) -> FileReport)?

  public init(policy: CompiledPolicy, options: ShareOptions) {
    self.policy = policy
    self.options = options
    self.fileSystem = PosixFileSystem()
  }

  init(policy: CompiledPolicy, options: ShareOptions, fileSystem: FileSystem) {
    self.policy = policy
    self.options = options
    self.fileSystem = fileSystem
  }

  /// One file that may go into the bundle.
  struct Candidate {
    var set: LogSetPolicy
    var path: String
    /// The name the sanitizer sees (the live name, or the archive's name without its compression extension).
    var name: String
    var bundlePath: String
    var isArchive: Bool
    var compressionExtension: String
    /// Live files: the size when listed (later writes are not read).
    var size: Int64
    /// The file's end: modification time (live) or the archive's stamp.
    var fileTime: Int64
    /// The retention engine already applied the vendor profile with the policy's key.
    var alreadyPseudonymized: Bool
  }

  /// What the second pass produced for one candidate.
  struct Staged {
    var candidate: Candidate
    var stagedPath: String
    var format: String
    var selectionMode: String
    var report: FileReport
    var linesRead: Int
    var linesKept: Int
    var sessionsKept: Int?
    var firstTime: Int64?
    var lastTime: Int64?
    var timeFromRows: Bool
    var notes: [String]
  }

  // MARK: - Pseudonyms of the selection

  /// The pseudonym of each selected user and IP, in the order given.
  public func selectedPseudonyms() -> [SelectedPseudonym] {
    let pseudonymizer = Pseudonymizer(keys: options.keys)
    var result: [SelectedPseudonym] = []
    for user in options.selection.users {
      let (kind, pseudonym) = pseudonymizer.pseudonym(for: user)
      result.append(SelectedPseudonym(value: user, kind: kind, pseudonym: pseudonym, keptAsIs: pseudonym == user))
    }
    for ip in options.selection.ips {
      let text = ip.description
      let pseudonym = pseudonymizer.pseudonym(forIPAddress: ip)
      result.append(
        SelectedPseudonym(value: text, kind: .ip, pseudonym: pseudonym?.description ?? text, keptAsIs: pseudonym == nil)
      )
    }
    return result
  }

  // MARK: - Build

  public func build() throws(LogWardenError) -> ShareResult {
    guard let bundleFormat = BundleFormat(path: options.output) else {
      throw .usage("\(options.output): the bundle must end in .tar.gz, .tgz or .zip")
    }
    let selection = options.selection
    let sets: [LogSetPolicy] = try selectSets()
    var warnings: [String] = []
    var unreadable: [String] = []
    let pseudonyms = selectedPseudonyms()
    let candidates = try collect(sets, warnings: &warnings, unreadable: &unreadable)

    // The values as they appear in archives a vendor stage already pseudonymized.
    let pseudonymizedUsers = pseudonyms.filter { $0.kind != .ip }.map(\.pseudonym)
    let pseudonymizedIPs = pseudonyms.filter { $0.kind == .ip }.compactMap { IPAddress($0.pseudonym) }

    // Pass 1: the sessions that involve a selected value, per set.
    var selectedSessions: [String: Set<UInt64>] = [:]
    var wholeFiles: Set<String> = []
    var formats: [String: any LogFormat.Type] = [:]
    for (index, candidate) in candidates.enumerated() {
      onProgress?("reading \(index + 1)/\(candidates.count): \(candidate.bundlePath)")
      let type: any LogFormat.Type
      do throws(LogWardenError) { type = try detectFormat(candidate) } catch {
        unreadable.append("\(candidate.path): left out: \(error)")
        continue
      }
      formats[candidate.path] = type
      guard selection.choosesSessions else { continue }
      let matcher =
        candidate.alreadyPseudonymized
        ? IdentityMatcher(users: pseudonymizedUsers, ips: pseudonymizedIPs)
        : IdentityMatcher(users: selection.users, ips: selection.ips)
      matcher.decodesBase64 = !candidate.alreadyPseudonymized
      do throws(LogWardenError) {
        if let inspector = BuiltinFormats.inspector(for: type, fileName: candidate.name) {
          let keys = Set(selection.sessions.compactMap { BuiltinFormats.sessionKey(forID: $0, format: type) })
          var found = selectedSessions[candidate.set.name] ?? []
          var facts = LineFacts()
          try LineReader().run(
            source: try openContent(candidate), firstChunk: { _ in },
            line: { line, _ in
              facts.reset()
              inspector.inspect(line, into: &facts)
              guard facts.role == .entry, let session = facts.session, !found.contains(session),
                selection.contains(facts.timestamp)
              else { return }
              if keys.contains(session) || matcher.matches(line, facts) { found.insert(session) }
            }, overlong: { _, _ in }, chunkDone: {})
          selectedSessions[candidate.set.name] = found
        } else {
          let fallback = IdentityMatcher(
            users: (candidate.alreadyPseudonymized ? pseudonymizedUsers : selection.users) + selection.sessions,
            ips: candidate.alreadyPseudonymized ? pseudonymizedIPs : selection.ips)
          var mentions = false
          try LineReader().run(
            source: try openContent(candidate), firstChunk: { _ in },
            line: { line, _ in
              if !mentions && fallback.matchesAnywhere(line) { mentions = true }
            }, overlong: { _, _ in }, chunkDone: {})
          if mentions { wholeFiles.insert(candidate.path) }
        }
      } catch {
        unreadable.append("\(candidate.path): left out: \(error)")
        formats[candidate.path] = nil
      }
    }

    // Pass 2: the lines of those sessions, sanitized into a private staging directory.
    let staging = try StagingDirectory(near: options.output)
    defer { staging.remove() }
    var staged: [Staged] = []
    for (index, candidate) in candidates.enumerated() {
      guard let type = formats[candidate.path] else { continue }
      onProgress?("sanitizing \(index + 1)/\(candidates.count): \(candidate.bundlePath)")
      do throws(LogWardenError) {
        if let item = try stage(
          candidate, type: type, index: index, staging: staging, sessions: selectedSessions[candidate.set.name] ?? [],
          wholeFile: wholeFiles.contains(candidate.path), pseudonymizedUsers: pseudonymizedUsers,
          pseudonymizedIPs: pseudonymizedIPs)
        {
          staged.append(item)
        }
      } catch {
        // A file that cannot be read is left out and said so; one that cannot be written stops the share.
        if case .io(let operation, let path, _) = error, path.hasPrefix(staging.path), operation != "open" {
          throw error
        }
        unreadable.append("\(candidate.path): left out: \(error)")
      }
    }
    warnings += unreadable
    let incomplete = !unreadable.isEmpty
    guard !staged.isEmpty else {
      return ShareResult(outcome: .nothingSelected, pseudonyms: pseudonyms, warnings: warnings, incomplete: incomplete)
    }

    // The last check, and the hashes of exactly the bytes that go into the bundle.
    onProgress?("checking \(staged.count) file(s) for leaks")
    let scanner = LeakScanner(
      users: selection.users,
      ips: zip(selection.ips, pseudonyms.filter { $0.kind == .ip }).filter { !$0.1.keptAsIs }.map(\.0))
    var findings: [LeakFinding] = []
    var files: [ShareManifest.File] = []
    for item in staged {
      if let what = scanner.check(name: item.candidate.bundlePath) {
        findings.append(LeakFinding(file: item.candidate.bundlePath, line: 0, what: what))
      }
      let hashing = HashingSource(upstream: try FileDescriptorSource(path: item.stagedPath))
      findings += try scanner.scan(hashing, file: item.candidate.bundlePath, format: BuiltinFormats.named(item.format))
      files.append(manifestEntry(item, sha256: hashing.hexDigest(), bytes: hashing.count))
    }
    let manifest = ShareManifest(
      created: UTCStamp.iso8601(epochSeconds: options.now), profile: .vendor,
      key: .init(fingerprint: options.keyFingerprint, epoch: options.keys.epoch),
      selection: .init(
        sets: sets.map(\.name), since: selection.since.map { UTCStamp.iso8601(epochSeconds: $0) },
        until: selection.until.map { UTCStamp.iso8601(epochSeconds: $0) },
        users: pseudonyms.filter { $0.kind != .ip }.map { .init(kind: $0.kind.rawValue, pseudonym: $0.pseudonym) },
        ips: pseudonyms.filter { $0.kind == .ip }.map { .init(kind: "ip", pseudonym: $0.pseudonym) },
        sessions: selection.sessions),
      files: files, totals: ShareManifest.totals(of: files))
    let manifestBytes = try manifest.encoded()
    let readmeBytes = Array(ShareReadme.text(manifest: manifest).utf8)
    guard findings.isEmpty else {
      return ShareResult(
        outcome: .refused(findings), pseudonyms: pseudonyms, warnings: warnings, incomplete: incomplete)
    }

    // The bundle.
    onProgress?("writing \(options.output)")
    let top = BundleFormat.baseName(of: options.output)
    let writer = try BundleWriters.make(bundleFormat, path: options.output)
    do throws(LogWardenError) {
      try writer.addDirectory(top, modified: options.now)
      try writer.addFile(top + "/README.txt", bytes: readmeBytes, modified: options.now)
      try writer.addFile(top + "/MANIFEST.json", bytes: manifestBytes, modified: options.now)
      var directories: Set<String> = []
      for (item, entry) in zip(staged, files) {
        if directories.insert(item.candidate.set.name).inserted {
          try writer.addDirectory(top + "/" + item.candidate.set.name, modified: options.now)
        }
        try writer.addFile(
          top + "/" + entry.path, size: entry.bytes, modified: item.candidate.fileTime,
          from: try FileDescriptorSource(path: item.stagedPath))
      }
      try writer.commit()
    } catch {
      writer.abandon()
      throw error
    }
    return ShareResult(outcome: .written(manifest), pseudonyms: pseudonyms, warnings: warnings, incomplete: incomplete)
  }

  // MARK: - Collecting files

  private func selectSets() throws(LogWardenError) -> [LogSetPolicy] {
    if options.selection.setNames.isEmpty { return policy.sets }
    var selected: [LogSetPolicy] = []
    for name in options.selection.setNames {
      guard let set = policy.set(named: name) else {
        throw .usage("unknown set '\(name)'; the policy has: \(policy.sets.map(\.name).joined(separator: ", "))")
      }
      if !selected.contains(where: { $0.name == name }) { selected.append(set) }
    }
    return selected
  }

  /// Live files and recorded archives of the sets whose time can overlap the range, oldest first per set.
  func collect(
    _ sets: [LogSetPolicy], warnings: inout [String], unreadable: inout [String]
  ) throws(LogWardenError) -> [Candidate] {
    let store = try StateStore.openForReading(path: policy.stateDatabasePath)
    let scanner = SetScanner(fileSystem: fileSystem, store: store, probe: NoOpenFilesProbe())
    let since = options.selection.since
    let reuseVendorStage = options.keys.epoch == nil && options.keyPath != nil && options.keyPath == policy.keyFile
    var result: [Candidate] = []
    var used: Set<String> = []
    func unique(_ path: String) -> String {
      var candidate = path
      var n = 1
      while used.contains(candidate) {
        candidate = path + "-\(n)"
        n += 1
      }
      used.insert(candidate)
      return candidate
    }
    for set in sets {
      let listing: SetListing
      do throws(LogWardenError) { listing = try scanner.scan(set) } catch {
        unreadable.append("set \(set.name): left out: \(error)")
        continue
      }
      var items: [Candidate] = []
      for archive in listing.archives {
        if let since, archive.record.stamp < since { continue }
        guard let name = ArchiveName.parse(archive.record.fileName) else { continue }
        let vendor = archive.record.profileStrength >= SanitizeProfile.vendor.strength
        if vendor && !reuseVendorStage {
          warnings.append(
            "\(archive.path): left out: already pseudonymized by the policy's vendor stage, with the policy's key and no epoch; its pseudonyms would not match this share's"
          )
          continue
        }
        let plainName = String(archive.record.fileName.dropLast(name.compressionExtension.count))
        items.append(
          Candidate(
            set: set, path: archive.path, name: plainName, bundlePath: "", isArchive: true,
            compressionExtension: name.compressionExtension, size: archive.status.size, fileTime: archive.record.stamp,
            alreadyPseudonymized: vendor))
      }
      for live in listing.liveFiles {
        if let since, live.status.modified < since { continue }
        items.append(
          Candidate(
            set: set, path: live.path, name: live.name, bundlePath: "", isArchive: false, compressionExtension: "",
            size: live.status.size, fileTime: live.status.modified, alreadyPseudonymized: false))
      }
      items.sort { ($0.fileTime, $0.name) < ($1.fileTime, $1.name) }
      for var item in items {
        item.bundlePath = unique(set.name + "/" + item.name)
        result.append(item)
      }
    }
    return result
  }

  /// Opens a candidate's content: live files up to their listed size, archives decompressed.
  func openContent(_ candidate: Candidate) throws(LogWardenError) -> ByteSource {
    let raw = try FileDescriptorSource(path: candidate.path)
    if candidate.isArchive {
      return try ArchiveCodecs.forReading(compressionExtension: candidate.compressionExtension)
        .decoder(readingFrom: raw, name: candidate.path)
    }
    return LimitedSource(upstream: raw, limit: candidate.size)
  }

  /// The set's format, or the one detected from the file's start and name (as the sanitizer would).
  func detectFormat(_ candidate: Candidate) throws(LogWardenError) -> any LogFormat.Type {
    if let name = candidate.set.format {
      guard let type = BuiltinFormats.named(name) else { throw .unknownFormat(name) }
      return type
    }
    let source = try openContent(candidate)
    let head = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
    defer { head.deallocate() }
    var filled = 0
    while filled < head.count {
      let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: head[filled...]))
      if n == 0 { break }
      filled += n
    }
    return BuiltinFormats.detect(head: UnsafeRawBufferPointer(rebasing: head[0..<filled]), fileName: candidate.name)
      ?? BuiltinFormats.fallback
  }

  // MARK: - Second pass

  private func stage(
    _ candidate: Candidate, type: any LogFormat.Type, index: Int, staging: StagingDirectory, sessions: Set<UInt64>,
    wholeFile: Bool, pseudonymizedUsers: [String], pseudonymizedIPs: [IPAddress]
  ) throws(LogWardenError) -> Staged? {
    let selection = options.selection
    let inspector = BuiltinFormats.inspector(for: type, fileName: candidate.name)
    var mode: String
    var notes: [String] = []
    if inspector == nil {
      if selection.choosesSessions {
        guard wholeFile else { return nil }
        mode = "whole-file"
      } else {
        mode = selection.since == nil && selection.until == nil ? "all" : "time"
      }
      if selection.until != nil || selection.since != nil {
        notes.append("the format has no session or time information: the whole file is included")
      }
    } else {
      mode =
        selection.choosesSessions ? "sessions" : (selection.since == nil && selection.until == nil ? "all" : "time")
    }
    if candidate.alreadyPseudonymized {
      notes.append("pseudonymized earlier by the policy's vendor stage (same key); masked again, not re-pseudonymized")
    }

    var linesRead = 0
    var linesKept = 0
    var entriesKept = 0
    var sessionsKept: Set<UInt64> = []
    var firstTime: Int64? = nil
    var lastTime: Int64? = nil
    var facts = LineFacts()
    let matcher =
      candidate.alreadyPseudonymized
      ? IdentityMatcher(users: pseudonymizedUsers, ips: pseudonymizedIPs)
      : IdentityMatcher(users: selection.users, ips: selection.ips)
    let sessionNeedles = IdentityMatcher(users: selection.sessions, ips: [])
    let filter = LineFilterSource(upstream: try openContent(candidate)) { line in
      linesRead += 1
      guard let inspector else {
        linesKept += 1
        entriesKept += 1
        return true
      }
      facts.reset()
      inspector.inspect(line, into: &facts)
      if facts.role == .header {
        linesKept += 1
        return true
      }
      let keep: Bool
      if selection.choosesSessions {
        if let session = facts.session {
          keep = sessions.contains(session)
        } else {
          keep =
            selection.contains(facts.timestamp)
            && (matcher.matches(line, facts) || sessionNeedles.matchesAnywhere(line))
        }
      } else {
        keep = selection.contains(facts.timestamp)
      }
      guard keep else { return false }
      linesKept += 1
      entriesKept += 1
      if let session = facts.session { sessionsKept.insert(session) }
      if let t = facts.timestamp {
        firstTime = min(firstTime ?? t, t)
        lastTime = max(lastTime ?? t, t)
      }
      return true
    }

    let stagedPath = staging.path + "/\(index)"
    let fd = Glibc.open(stagedPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw .io(operation: "create", path: stagedPath, errno: errno) }
    defer { close(fd) }
    let sink = FileDescriptorSink(descriptor: fd, name: stagedPath)
    var report: FileReport
    if let sanitizeOverride {
      report = try sanitizeOverride(candidate.bundlePath, filter, sink)
    } else {
      var sanitizeOptions = SanitizeOptions(
        profile: candidate.alreadyPseudonymized ? .level4 : .vendor, formatName: type.name,
        pseudonymKeys: options.keys, ledger: options.ledger)
      sanitizeOptions.pseudonymOptions = PseudonymOptions()
      report = try Sanitizer(options: sanitizeOptions).sanitize(source: filter, sink: sink, name: candidate.name)
    }
    if filter.overlongLinesDropped > 0 {
      notes.append("\(filter.overlongLinesDropped) line(s) too long to inspect left out")
    }
    guard entriesKept > 0 else {
      unlink(stagedPath)
      return nil
    }
    report.path = candidate.bundlePath
    return Staged(
      candidate: candidate, stagedPath: stagedPath, format: type.name, selectionMode: mode, report: report,
      linesRead: linesRead, linesKept: linesKept, sessionsKept: inspector == nil ? nil : sessionsKept.count,
      firstTime: firstTime, lastTime: lastTime, timeFromRows: firstTime != nil, notes: notes + report.warnings)
  }

  private func manifestEntry(_ item: Staged, sha256: String, bytes: Int64) -> ShareManifest.File {
    let r = item.report
    let first = item.timeFromRows ? item.firstTime : nil
    let last = item.timeFromRows ? item.lastTime : item.candidate.fileTime
    return ShareManifest.File(
      path: item.candidate.bundlePath, sha256: sha256, bytes: bytes, set: item.candidate.set.name,
      source: item.candidate.isArchive ? "archive" : "live", sourceName: item.candidate.name, format: item.format,
      selection: item.selectionMode, firstTime: first.map { UTCStamp.iso8601(epochSeconds: $0) },
      lastTime: last.map { UTCStamp.iso8601(epochSeconds: $0) },
      timeFrom: item.timeFromRows ? "lines" : (item.candidate.isArchive ? "archive stamp" : "modification time"),
      linesRead: item.linesRead, linesKept: item.linesKept, sessionsKept: item.sessionsKept,
      credentialsMasked: r.credentialsMasked, credentialsAlreadyMasked: r.credentialsAlreadyMasked,
      bodyLinesDropped: r.bodyLinesDropped, bodyBytesDropped: r.bodyBytesDropped, unparsedLinesMasked: r.unparsedLines,
      pseudonymized: r.pseudonymized, notes: item.notes)
  }
}

/// Reads at most `limit` bytes of `upstream`.
final class LimitedSource: ByteSource {
  private let upstream: ByteSource
  private var remaining: Int64

  init(upstream: ByteSource, limit: Int64) {
    self.upstream = upstream
    self.remaining = limit
  }

  func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    guard remaining > 0 else { return 0 }
    let want = Int(min(Int64(buffer.count), remaining))
    let n = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
    remaining -= Int64(n)
    return n
  }
}

/// A private directory (mode 0700) next to a path, removed with everything in it.
final class StagingDirectory {
  let path: String

  init(near target: String) throws(LogWardenError) {
    let directory = AtomicFileWriter.directory(of: target)
    let base = target.split(separator: "/").last.map(String.init) ?? target
    var template = Array("\(directory)/.\(base).logwarden-share-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard made != nil else { throw .io(operation: "create directory", path: directory, errno: errno) }
    path = String(cString: template.map { UInt8(bitPattern: $0) } + [0])
  }

  func remove() {
    guard let dir = opendir(path) else { return }
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name == "." || name == ".." { continue }
      unlink(path + "/" + name)
    }
    closedir(dir)
    rmdir(path)
  }
}

import Foundation
import Testing
@testable import LogWardenCore

/// A private temporary directory, removed when released.
final class RetentionTemporaryDirectory {
  let path: String
  init() {
    var template = Array("/tmp/logwarden-test-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil)
    path = String(cString: template)
  }
  deinit { try? FileManager.default.removeItem(atPath: path) }

  func sub(_ name: String) -> String {
    let p = path + "/" + name
    try? FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
    return p
  }
}

/// Test file helpers.
enum Files {
  static func write(_ path: String, _ text: String, modified: Int64? = nil, mode: Int16 = 0o640) {
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
    if let modified { setModified(path, modified) }
  }

  static func append(_ path: String, _ text: String) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o640)
    _ = text.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count - 1) }
    close(fd)
  }

  static func setModified(_ path: String, _ seconds: Int64) {
    var times = [timespec(tv_sec: Int(seconds), tv_nsec: 0), timespec(tv_sec: Int(seconds), tv_nsec: 0)]
    utimensat(AT_FDCWD, path, &times, 0)
  }

  static func read(_ path: String) -> String? {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
  }

  static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 || isSymlink(path) }

  static func isSymlink(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
  }

  static func list(_ directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
  }

  static func mode(_ path: String) -> UInt32 {
    var st = stat()
    stat(path, &st)
    return UInt32(st.st_mode) & 0o7777
  }

  /// Decompresses an archive (by extension) with the engine's own decoders.
  static func decompress(_ path: String) throws -> String {
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    let raw = FileDescriptorSource(descriptor: fd, name: path)
    let ext = path.hasSuffix(".gz") ? ".gz" : path.hasSuffix(".zst") ? ".zst" : ""
    let decoder = try ArchiveCodecs.forReading(compressionExtension: ext).decoder(readingFrom: raw, name: path)
    let sink = MemorySink()
    try StreamCopy.copy(from: decoder, to: sink)
    return String(decoding: sink.bytes, as: UTF8.self)
  }
}

/// Masks `PASS <secret>` (credentials), drops lines containing `BODY` (level4), replaces `alice` (vendor).
final class FakeFilter: ArchiveContentFilter {
  var calls: [(name: String, profile: SanitizeProfile)] = []
  var failWith: LogWardenError?

  func filter(
    source: ByteSource, sink: ByteSink, name: String, profile: SanitizeProfile, format: String?, keyFile: String?
  ) throws(LogWardenError) -> FileReport {
    calls.append((name, profile))
    if let failWith { throw failWith }
    let memory = MemorySink()
    try StreamCopy.copy(from: source, to: memory)
    var report = FileReport(path: name, format: format ?? "fake")
    var out: [String] = []
    let text = String(decoding: memory.bytes, as: UTF8.self)
    var lines = text.components(separatedBy: "\n")
    let trailingNewline = lines.last == ""
    if trailingNewline { lines.removeLast() }
    for var line in lines {
      report.linesRead += 1
      if let range = line.range(of: "PASS ") {
        line = String(line[..<range.upperBound]) + "****"
        report.credentialsMasked["pass", default: 0] += 1
      }
      if profile.dropsBodies && line.contains("BODY") {
        report.bodyLinesDropped += 1
        continue
      }
      if profile.pseudonymizes { line = line.replacingOccurrences(of: "alice", with: "user-7f3a") }
      out.append(line)
    }
    let result = out.joined(separator: "\n") + (trailingNewline && !out.isEmpty ? "\n" : "")
    try sink.write(Array(result.utf8))
    try sink.finish()
    report.bytesRead = memory.bytes.count
    report.bytesWritten = result.utf8.count
    return report
  }
}

final class FakeNotifier: WriterNotifier {
  var outcome: NotifyOutcome = .notified
  var calls = 0
  var onNotify: () -> Void = {}
  func notify(_ notification: WriterNotification, timeout: PolicyDuration) -> NotifyOutcome {
    calls += 1
    onNotify()
    return outcome
  }
}

final class FakeProbe: OpenFileProbe {
  var open: Set<FileIdentity> = []
  func openFiles() -> Set<FileIdentity> { open }
  func hold(_ path: String) {
    var st = stat()
    lstat(path, &st)
    open.insert(FileIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)))
  }
}

/// The real filesystem with injectable faults: ENOSPC after a byte budget on matching paths, a fixed free-space
/// figure, no collapse support, and a "crash" that freezes every later call.
final class FaultyFileSystem: FileSystem {
  let real = PosixFileSystem()
  var writeBudget: Int64? = nil
  var budgetApplies: (String) -> Bool = { _ in true }
  var spaceOverride: ((String) -> FileSystemSpace)? = nil
  var collapseDisabled = false
  var crashed = false
  var writes = 0

  private func guardAlive() throws(LogWardenError) { if crashed { throw .simulatedCrash } }

  func status(ofPath path: String) throws(LogWardenError) -> FileStatus? { try guardAlive(); return try real.status(ofPath: path) }
  func status(ofDescriptor fd: Int32, path: String) throws(LogWardenError) -> FileStatus { try guardAlive(); return try real.status(ofDescriptor: fd, path: path) }
  func contentsOfDirectory(_ path: String) throws(LogWardenError) -> [String] { try guardAlive(); return try real.contentsOfDirectory(path) }
  func openForReading(_ path: String) throws(LogWardenError) -> Int32 { try guardAlive(); return try real.openForReading(path) }
  func openForUpdate(_ path: String) throws(LogWardenError) -> Int32 { try guardAlive(); return try real.openForUpdate(path) }
  func createExclusive(_ path: String, permissions: UInt32) throws(LogWardenError) -> Int32 { try guardAlive(); return try real.createExclusive(path, permissions: permissions) }
  func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws(LogWardenError) -> Int { try guardAlive(); return try real.read(fd, into: buffer, path: path) }
  func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64, path: String) throws(LogWardenError) -> Int { try guardAlive(); return try real.read(fd, into: buffer, at: offset, path: path) }
  func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(LogWardenError) {
    try guardAlive()
    writes += 1
    if let budget = writeBudget, budgetApplies(path) {
      if Int64(bytes.count) > budget {
        writeBudget = 0
        if budget > 0 { try real.write(fd, UnsafeRawBufferPointer(rebasing: bytes[0..<Int(budget)]), path: path) }
        throw .io(operation: "write", path: path, errno: ENOSPC)
      }
      writeBudget = budget - Int64(bytes.count)
    }
    try real.write(fd, bytes, path: path)
  }
  func synchronize(_ fd: Int32, path: String) throws(LogWardenError) { try guardAlive(); try real.synchronize(fd, path: path) }
  func close(_ fd: Int32) { real.close(fd) }
  func synchronizeDirectory(_ path: String) throws(LogWardenError) { try guardAlive(); try real.synchronizeDirectory(path) }
  func rename(_ source: String, to destination: String) throws(LogWardenError) { try guardAlive(); try real.rename(source, to: destination) }
  func link(_ source: String, to destination: String) throws(LogWardenError) { try guardAlive(); try real.link(source, to: destination) }
  func removeFile(_ path: String) throws(LogWardenError) { try guardAlive(); try real.removeFile(path) }
  func createDirectory(_ path: String, permissions: UInt32) throws(LogWardenError) { try guardAlive(); try real.createDirectory(path, permissions: permissions) }
  func setOwner(_ fd: Int32, owner: UInt32, group: UInt32, path: String) throws(LogWardenError) { try guardAlive(); try real.setOwner(fd, owner: owner, group: group, path: path) }
  func setPermissions(_ fd: Int32, _ permissions: UInt32, path: String) throws(LogWardenError) { try guardAlive(); try real.setPermissions(fd, permissions, path: path) }
  func setModificationTime(_ fd: Int32, seconds: Int64, nanoseconds: Int64, path: String) throws(LogWardenError) { try guardAlive(); try real.setModificationTime(fd, seconds: seconds, nanoseconds: nanoseconds, path: path) }
  func truncate(_ fd: Int32, toLength length: Int64, path: String) throws(LogWardenError) { try guardAlive(); try real.truncate(fd, toLength: length, path: path) }
  func collapsePrefix(_ fd: Int32, length: Int64, path: String) throws(LogWardenError) {
    try guardAlive()
    if collapseDisabled { throw .io(operation: "fallocate", path: path, errno: EOPNOTSUPP) }
    try real.collapsePrefix(fd, length: length, path: path)
  }
  func nextData(_ fd: Int32, from offset: Int64, path: String) throws(LogWardenError) -> Int64? { try guardAlive(); return try real.nextData(fd, from: offset, path: path) }
  func nextHole(_ fd: Int32, from offset: Int64, path: String) throws(LogWardenError) -> Int64 { try guardAlive(); return try real.nextHole(fd, from: offset, path: path) }
  func space(ofFileSystemAt path: String) throws(LogWardenError) -> FileSystemSpace {
    try guardAlive()
    if let spaceOverride { return spaceOverride(path) }
    return try real.space(ofFileSystemAt: path)
  }
}

/// A policy, an engine wired to fakes, and helpers to run it at chosen instants.
final class Harness {
  let root = RetentionTemporaryDirectory()
  let fileSystem = FaultyFileSystem()
  let filter = FakeFilter()
  let notifier = FakeNotifier()
  let probe = FakeProbe()
  var crashAt: CrashPoint? = nil
  var policy: CompiledPolicy!
  /// A monotonic clock that only moves when the engine sleeps: waits end deterministically, instantly.
  var monotonic: Double = 0

  var logs: String { root.sub("logs") }
  var archives: String { root.path + "/logs/archive" }
  var state: String { root.path + "/state" }

  /// `sets` is YAML for the `sets:` mapping, with `$LOGS` and `$ROOT` replaced.
  init(sets: String, extra: String = "") throws {
    _ = root.sub("logs")
    try configure(sets: sets, extra: extra)
  }

  /// Replaces the policy (same directories and state).
  func configure(sets: String, extra: String = "") throws {
    let yaml = """
      version: 1
      state-directory: \(root.path)/state
      \(extra)
      sets:
      \(sets.replacingOccurrences(of: "$LOGS", with: root.path + "/logs").replacingOccurrences(of: "$ROOT", with: root.path))
      """
    let result = PolicyLoader.compile(text: yaml, file: "test.yaml")
    guard let policy = result.policy else {
      throw LogWardenError.usage("bad test policy: \(result.errors.map(\.description))")
    }
    self.policy = policy
  }

  func engine() -> RetentionEngine {
    var environment = RetentionEnvironment(
      fileSystem: fileSystem, probe: probe, filter: filter, notifier: notifier,
      hooks: RetentionHooks(checkpoint: { [unowned self] (point: CrashPoint) throws(LogWardenError) in
        if point == self.crashAt {
          self.fileSystem.crashed = true
          throw .simulatedCrash
        }
      }),
      sleep: { [unowned self] seconds in self.monotonic += seconds }, monotonicNow: { 0 })
    environment.monotonicNow = { [unowned self] in self.monotonic }
    return RetentionEngine(policy: policy, environment: environment)
  }

  @discardableResult
  func run(at now: Int64, sets: [String] = []) throws -> RunReport {
    switch try engine().run(now: Date(timeIntervalSince1970: TimeInterval(now)), setNames: sets) {
    case .completed(let report): return report
    case .lockBusy: throw LogWardenError.usage("lock busy")
    }
  }

  /// Runs until the crash point fires; then "restarts" (a fresh engine on a working filesystem).
  func runCrashing(at now: Int64, point: CrashPoint) -> Bool {
    crashAt = point
    defer {
      crashAt = nil
      fileSystem.crashed = false
    }
    do {
      _ = try engine().run(now: Date(timeIntervalSince1970: TimeInterval(now)))
      return false
    } catch {
      return (error as? LogWardenError)?.isCrash == true
    }
  }

  func plan(at now: Int64) throws -> DryRunPlan {
    try engine().plan(now: Date(timeIntervalSince1970: TimeInterval(now)))
  }

  func store() throws -> StateStore { try StateStore.openForReading(path: policy.stateDatabasePath) }

  /// Archives in the archive directory (names only, transient files excluded).
  func archiveNames() -> [String] { Files.list(archives).filter { !$0.hasPrefix(".") } }

  /// Every line across the archives (decompressed, in name order) and the live files matching `live`.
  func allLines(live: [String]) throws -> [String] {
    var lines: [String] = []
    for name in archiveNames() {
      lines += try Files.decompress(archives + "/" + name).split(separator: "\n").map(String.init)
    }
    for path in live where Files.exists(path) {
      lines += (Files.read(path) ?? "").split(separator: "\n").map(String.init)
    }
    return lines
  }
}

/// 2025-01-15T12:00:00Z.
let T0: Int64 = 1_736_942_400
let hour: Int64 = 3600
let day: Int64 = 86_400

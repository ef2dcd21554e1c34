#if canImport(Glibc)
import Glibc
#endif

/// Carries out one set's plan, step by step, each step journaled and crash-safe. A failing step is reported and the
/// set goes on with its other steps; nothing here throws past the set.
final class SetExecutor {
  let set: LogSetPolicy
  let policy: CompiledPolicy
  let environment: RetentionEnvironment
  let store: StateStore
  let now: Int64
  var report: SetReport
  let writer: ArchiveWriter
  /// Directories where `FALLOC_FL_COLLAPSE_RANGE` was probed.
  var collapseSupport: [String: Bool] = [:]
  /// Renamed files found by recovery that still need the writer notified before they are archived.
  var pendingRenamed: [(ArchiveStep, Int64, Int)] = []
  /// Live files whose archived prefix is still to be removed (copytruncate recovery); not rotated meanwhile.
  var prefixRemovalPending: Set<String> = []

  var fileSystem: FileSystem { environment.fileSystem }

  init(set: LogSetPolicy, policy: CompiledPolicy, environment: RetentionEnvironment, store: StateStore, now: Int64) {
    self.set = set
    self.policy = policy
    self.environment = environment
    self.store = store
    self.now = now
    self.report = SetReport(name: set.name)
    self.writer = ArchiveWriter(fileSystem: environment.fileSystem, filter: environment.filter)
  }

  func checkpoint(_ point: CrashPoint) throws(LogWardenError) { try environment.hooks.checkpoint(point) }

  // MARK: - Orchestration

  /// Runs the plan: room first if space is short, then archiving, stages, and a final limits pass on fresh numbers.
  func execute(plan: SetPlan, listing: SetListing) throws(LogWardenError) {
    report.limitsFirst = plan.limitsFirst
    for note in plan.notes { report.warnings.append(note) }
    let live = Dictionary(listing.liveFiles.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    let archives = Dictionary(listing.archives.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })

    if plan.limitsFirst {
      try deleteArchives(plan.actions.filter { $0.kind == .delete }, archives: archives)
    }
    let creations = plan.actions.filter { $0.kind == .archive || $0.kind == .rotate }
    if !creations.isEmpty || !pendingRenamed.isEmpty || !listing.orphanedRotations.isEmpty {
      do throws(LogWardenError) {
        let reference = try fileSystem.status(ofPath: listing.directory)
        try writer.ensureDirectory(set.archive.directory, ownerLike: reference)
      } catch let error where !error.isCrash {
        report.errors.append("cannot create the archive directory: \(error)")
        return
      }
    }
    for orphan in listing.orphanedRotations { try archiveOrphanedRotation(orphan, listing: listing) }
    switch set.rotation.mode {
    case .closed:
      for action in creations {
        guard let file = live[action.path] else { continue }
        try archiveClosed(file, action: action)
      }
    case .rename:
      try rotateByRename(creations.compactMap { action in live[action.path].map { ($0, action) } })
    case .copytruncate:
      for action in creations {
        guard let file = live[action.path] else { continue }
        try copyTruncate(file, action: action)
      }
    }
    for action in plan.actions where action.kind == .stage {
      guard let archive = archives[action.path], let profile = action.profile else { continue }
      try stage(archive, to: profile, reason: action.reason)
    }
    try enforceLimits(after: listing)
  }

  /// The final limits pass: re-reads the set's archives (with the sizes just written) and the free space.
  func enforceLimits(after listing: SetListing) throws(LogWardenError) {
    let scanner = SetScanner(fileSystem: fileSystem, store: store, probe: NoOpenFilesProbe())
    let fresh: SetListing
    do throws(LogWardenError) { fresh = try scanner.scan(set) } catch let error where !error.isCrash {
      report.errors.append("cannot list archives for limits: \(error)")
      return
    }
    let result = LimitPlanner(set: set, now: now).plan(archives: fresh.archives, pending: [], space: fresh.space)
    let archives = Dictionary(fresh.archives.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
    try deleteArchives(result.deletions, archives: archives)
    for problem in result.unsatisfiable {
      report.errors.append("cannot satisfy \(problem)")
    }
  }

  // MARK: - Closed files

  func archiveClosed(_ file: LiveFile, action: PlannedAction) throws(LogWardenError) {
    var entry = ActionReport(kind: "archive", path: file.path, reason: action.reason, outcome: .failed)
    entry.bytesIn = file.status.size
    entry.profile = set.profileAtRotation?.rawValue
    defer { report.actions.append(entry) }
    do throws(LogWardenError) {
      let final = try writer.freeName(for: action.archivePath!)
      let step = ArchiveStep(
        phase: .ready, mode: .closed, livePath: file.path, sourcePath: file.path, source: FileIdentity(file.status),
        temporaryPath: ArchiveWriter.temporaryPath(for: final), archivePath: final, stamp: action.stamp ?? file.status.modified,
        profileStrength: set.profileAtRotation?.strength ?? 0, archiveIdentity: nil, contentBytes: 0, contentCRC: 0,
        archiveBytes: 0)
      let id = try store.beginStep(setName: set.name, .archive(step), at: now)
      try checkpoint(.archiveJournaled)
      let published = try finishArchive(step, journalID: id, expected: file.status, entry: &entry)
      entry.archivePath = published
      entry.outcome = .done
    } catch let error where !error.isCrash {
      entry.error = error.description
    }
  }

  /// Archives `step.sourcePath` from phase `ready`: write, verify, publish, record, remove the source, clear the
  /// journal. On failure before publishing, the temporary file is removed, the journal cleared and the source kept.
  /// `expected`: the source's status when planned (size and mtime must not change while it is archived).
  @discardableResult
  func finishArchive(_ initial: ArchiveStep, journalID: Int64, expected: FileStatus?, entry: inout ActionReport) throws(LogWardenError) -> String {
    var step = initial
    let fd = try openChecked(step.sourcePath, identity: step.source)
    var closed = false
    defer { if !closed { fileSystem.close(fd) } }
    let before = try fileSystem.status(ofDescriptor: fd, path: step.sourcePath)
    if let expected, before.size != expected.size || before.modified != expected.modified {
      try store.updateStep(journalID, nil)
      throw LogWardenError.badInput(path: step.sourcePath, reason: "changed since it was planned; left for the next run")
    }
    let temporary: TemporaryArchive
    do throws(LogWardenError) {
      let (t, warning) = try writer.create(step.temporaryPath, owner: before.owner, group: before.group, permissions: before.permissions)
      temporary = t
      if let warning { report.warnings.append(warning) }
    } catch let error where !error.isCrash {
      try? store.updateStep(journalID, nil)
      throw error
    }
    do throws(LogWardenError) {
      let source = FileSystemSource(fileSystem: fileSystem, fd: fd, path: step.sourcePath)
      let result = try writer.compress(
        from: source, sourceName: step.livePath, into: temporary, codec: ArchiveCodecs.make(for: set.archive.compression),
        profile: SanitizeProfile(strength: step.profileStrength), format: set.format, keyFile: policy.keyFile)
      try writer.seal(temporary, modified: (before.modified, before.modifiedNanoseconds))
      let after = try fileSystem.status(ofDescriptor: fd, path: step.sourcePath)
      guard source.bytesRead == after.size, after.size == before.size, after.modified == before.modified else {
        throw LogWardenError.badInput(path: step.sourcePath, reason: "was written to while being archived; kept for the next run")
      }
      let status = try writer.verify(
        temporary.path, compressionExtension: set.archive.compression.fileExtension, crc: result.crc, bytes: result.bytes)
      step.phase = .written
      step.archiveIdentity = FileIdentity(status)
      step.contentBytes = result.bytes
      step.contentCRC = result.crc
      step.archiveBytes = status.size
      entry.sanitize = result.report
      try store.updateStep(journalID, .archive(step))
    } catch let error where !error.isCrash {
      writer.discard(temporary.path)
      try? store.updateStep(journalID, nil)
      throw error
    }
    fileSystem.close(fd)
    closed = true
    try checkpoint(.archiveWritten)
    return try completeWrittenArchive(step, journalID: journalID, entry: &entry)
  }

  /// From phase `written`: publish (never overwriting), record, remove the source, clear the journal.
  func completeWrittenArchive(_ initial: ArchiveStep, journalID: Int64, entry: inout ActionReport) throws(LogWardenError) -> String {
    var step = initial
    let final: String
    let existing = try fileSystem.status(ofPath: step.archivePath)
    if let existing, let identity = step.archiveIdentity, FileIdentity(existing) == identity {
      final = step.archivePath  // published before an interruption
      if try fileSystem.status(ofPath: step.temporaryPath) != nil { try fileSystem.removeFile(step.temporaryPath) }
    } else {
      final = try writer.publish(step.temporaryPath, as: step.archivePath)
      step.archivePath = final
    }
    try checkpoint(.archivePublished)
    let (directory, name) = ArchiveWriter.splitPath(final)
    let record = ArchiveRecord(
      setName: set.name, directory: directory, fileName: name, sourcePath: step.livePath, stamp: step.stamp,
      createdAt: now, profileStrength: step.profileStrength, bytes: step.archiveBytes, contentBytes: step.contentBytes,
      contentCRC: step.contentCRC)
    try store.recordArchive(record, journal: (journalID, .archive(step)))
    try checkpoint(.archiveRecorded)
    try removeSource(step)
    try checkpoint(.archiveSourceRemoved)
    try store.updateStep(journalID, nil)
    entry.archivePath = final
    entry.bytesOut = step.archiveBytes
    return final
  }

  /// Removes the archived source if it is still the same file.
  func removeSource(_ step: ArchiveStep) throws(LogWardenError) {
    guard let status = try fileSystem.status(ofPath: step.sourcePath) else { return }
    guard FileIdentity(status) == step.source, status.kind == .regular else {
      report.warnings.append("\(step.sourcePath) was replaced after it was archived; the new file is left alone")
      return
    }
    try fileSystem.removeFile(step.sourcePath)
    try fileSystem.synchronizeDirectory(ArchiveWriter.splitPath(step.sourcePath).0)
  }

  /// Opens a file for reading and checks that it is the regular, singly linked file expected.
  func openChecked(_ path: String, identity: FileIdentity) throws(LogWardenError) -> Int32 {
    let fd = try fileSystem.openForReading(path)
    do throws(LogWardenError) {
      let status = try fileSystem.status(ofDescriptor: fd, path: path)
      guard status.kind == .regular else { throw LogWardenError.badInput(path: path, reason: "is not a regular file; refused") }
      guard FileIdentity(status) == identity else { throw LogWardenError.badInput(path: path, reason: "was replaced by another file; left for the next run") }
      guard status.linkCount == 1 else { throw LogWardenError.badInput(path: path, reason: "has several hard links; refused") }
    } catch {
      fileSystem.close(fd)
      throw error
    }
    return fd
  }

  // MARK: - Rename

  func rotateByRename(_ items: [(LiveFile, PlannedAction)]) throws(LogWardenError) {
    var staged: [(ArchiveStep, Int64, Int)] = []  // step, journal id, report index
    for (file, action) in items {
      var entry = ActionReport(kind: "rotate", path: file.path, reason: action.reason, outcome: .failed)
      entry.bytesIn = file.status.size
      entry.profile = set.profileAtRotation?.rawValue
      do throws(LogWardenError) {
        let directory = ArchiveWriter.splitPath(file.path).0
        var stagedPath = directory + "/" + TransientName.staged(liveName: file.name, stamp: now)
        var n = 1
        while try fileSystem.status(ofPath: stagedPath) != nil {
          stagedPath = directory + "/" + TransientName.staged(liveName: file.name, stamp: now) + "-\(n)"
          n += 1
        }
        let final = try writer.freeName(for: action.archivePath!)
        var step = ArchiveStep(
          phase: .planned, mode: .rename, livePath: file.path, sourcePath: stagedPath, source: FileIdentity(file.status),
          temporaryPath: ArchiveWriter.temporaryPath(for: final), archivePath: final, stamp: action.stamp ?? now,
          profileStrength: set.profileAtRotation?.strength ?? 0, archiveIdentity: nil, contentBytes: 0, contentCRC: 0,
          archiveBytes: 0)
        let id = try store.beginStep(setName: set.name, .archive(step), at: now)
        let current = try fileSystem.status(ofPath: file.path)
        guard let current, FileIdentity(current) == step.source, current.kind == .regular, current.linkCount == 1 else {
          try store.updateStep(id, nil)
          throw LogWardenError.badInput(path: file.path, reason: "changed since it was planned; left for the next run")
        }
        try fileSystem.rename(file.path, to: stagedPath)
        try fileSystem.synchronizeDirectory(directory)
        try checkpoint(.renameRenamed)
        step.phase = .renamed
        try store.updateStep(id, .archive(step))
        try store.setLastRotated(setName: set.name, path: file.path, at: now)
        if set.rotation.createNewFile { createEmptyLog(like: current, at: file.path) }
        report.actions.append(entry)
        staged.append((step, id, report.actions.count - 1))
      } catch let error where !error.isCrash {
        entry.error = error.description
        report.actions.append(entry)
      }
    }
    let pending = pendingRenamed
    pendingRenamed = []
    try notifyAndArchive(pending + staged)
  }

  /// Tells the writer to reopen (once for the set), waits for it to let go of each renamed file, then archives them.
  /// If the writer cannot be notified, the renamed files are kept as they are and retried by the next run.
  func notifyAndArchive(_ staged: [(ArchiveStep, Int64, Int)]) throws(LogWardenError) {
    guard !staged.isEmpty else { return }
    var ready: [(ArchiveStep, Int64, Int)] = []
    let needsNotify = staged.contains { $0.0.phase == .renamed }
    if needsNotify {
      switch environment.notifier.notify(set.rotation.notify, timeout: set.rotation.notifyTimeout) {
      case .notified:
        break
      case .writerNotRunning(let why):
        report.warnings.append("writer not notified: \(why); archiving the renamed file once nothing holds it")
      case .failed(let why):
        for (step, _, index) in staged {
          report.actions[index].outcome = .failed
          report.actions[index].error = "renamed to \(step.sourcePath) but the writer was not notified (\(why)); kept, not archived; the next run retries"
        }
        return
      }
      try checkpoint(.renameNotified)
    }
    for (initial, id, index) in staged {
      var step = initial
      if step.phase == .renamed {
        step.phase = .ready
        do throws(LogWardenError) { try store.updateStep(id, .archive(step)) } catch let error where !error.isCrash {
          report.actions[index].error = error.description
          continue
        }
      }
      ready.append((step, id, index))
    }
    for (step, id, index) in ready {
      var entry = report.actions[index]
      defer { report.actions[index] = entry }
      guard waitForRelease(step.source, path: step.sourcePath) else {
        entry.outcome = .skipped
        entry.error = nil
        report.warnings.append("\(step.sourcePath) (rotated from \(step.livePath)) is still open by the writer after \(set.rotation.releaseTimeout); it is kept and archived by the next run")
        continue
      }
      do throws(LogWardenError) {
        try finishArchive(step, journalID: id, expected: nil, entry: &entry)
        entry.outcome = .done
        entry.error = nil
      } catch let error where !error.isCrash {
        entry.outcome = .failed
        entry.error = "rotated to \(step.sourcePath) (kept) but not archived: \(error)"
      }
    }
  }

  /// Polls the open-file probe until no process holds `identity` or the release timeout passes.
  func waitForRelease(_ identity: FileIdentity, path: String) -> Bool {
    let deadline = environment.monotonicNow() + Double(set.rotation.releaseTimeout.seconds)
    while true {
      if !environment.probe.openFiles().contains(identity) { return true }
      if environment.monotonicNow() >= deadline { return false }
      environment.sleep(0.05)
    }
  }

  /// `create`: a new empty live file with the old one's owner and mode (it must not exist yet).
  func createEmptyLog(like status: FileStatus, at path: String) {
    do throws(LogWardenError) {
      let fd = try fileSystem.createExclusive(path, permissions: 0o600)
      defer { fileSystem.close(fd) }
      try? fileSystem.setOwner(fd, owner: status.owner, group: status.group, path: path)
      try fileSystem.setPermissions(fd, status.permissions & 0o666, path: path)
      try fileSystem.synchronize(fd, path: path)
      try fileSystem.synchronizeDirectory(ArchiveWriter.splitPath(path).0)
    } catch let error {
      if case .io(_, _, let code) = error, code == EEXIST { return }  // the writer was quicker
      report.warnings.append("cannot create a new \(path): \(error)")
    }
  }

  /// A renamed live file that no journal entry knows (the state database was lost): its data exists nowhere else,
  /// so it is archived like a closed file once nothing holds it open.
  func archiveOrphanedRotation(_ orphan: LiveFile, listing: SetListing) throws(LogWardenError) {
    var entry = ActionReport(kind: "recover", path: orphan.path, reason: "rotated file without a journal entry", outcome: .failed)
    entry.bytesIn = orphan.status.size
    defer { report.actions.append(entry) }
    guard let (liveName, stamp) = TransientName.parseStaged(orphan.name) else { return }
    if listing.openFiles.contains(FileIdentity(orphan.status)) {
      entry.outcome = .skipped
      report.warnings.append("\(orphan.path) is still open; archived by a later run")
      return
    }
    do throws(LogWardenError) {
      let name = ArchiveName(sourceFileName: liveName, stamp: stamp, compression: set.archive.compression)
      let final = try writer.freeName(for: set.archive.directory + "/" + name.fileName)
      let step = ArchiveStep(
        phase: .ready, mode: .rename, livePath: listing.directory + "/" + liveName, sourcePath: orphan.path,
        source: FileIdentity(orphan.status), temporaryPath: ArchiveWriter.temporaryPath(for: final), archivePath: final,
        stamp: stamp, profileStrength: set.profileAtRotation?.strength ?? 0, archiveIdentity: nil, contentBytes: 0,
        contentCRC: 0, archiveBytes: 0)
      let id = try store.beginStep(setName: set.name, .archive(step), at: now)
      entry.archivePath = try finishArchive(step, journalID: id, expected: orphan.status, entry: &entry)
      entry.outcome = .done
    } catch let error where !error.isCrash {
      entry.error = error.description
    }
  }

  // MARK: - Stages

  func stage(_ archive: ArchiveFile, to profile: SanitizeProfile, reason: String) throws(LogWardenError) {
    var entry = ActionReport(kind: "stage", path: archive.path, reason: reason, outcome: .failed)
    entry.profile = profile.rawValue
    entry.bytesIn = archive.status.size
    defer { report.actions.append(entry) }
    let record = archive.record
    guard let name = ArchiveName.parse(record.fileName) else { return }
    let temporaryPath = ArchiveWriter.temporaryPath(for: archive.path)
    var step = StageStep(
      archivePath: archive.path, temporaryPath: temporaryPath, fromStrength: record.profileStrength,
      toStrength: profile.strength, temporaryIdentity: nil, contentBytes: 0, contentCRC: 0, archiveBytes: 0)
    let id: Int64
    do throws(LogWardenError) { id = try store.beginStep(setName: set.name, .stage(step), at: now) } catch let error where !error.isCrash {
      entry.error = error.description
      return
    }
    var temporary: TemporaryArchive? = nil
    do throws(LogWardenError) {
      let fd = try openChecked(archive.path, identity: FileIdentity(archive.status))
      defer { fileSystem.close(fd) }
      let status = try fileSystem.status(ofDescriptor: fd, path: archive.path)
      let (t, warning) = try writer.create(temporaryPath, owner: status.owner, group: status.group, permissions: status.permissions)
      temporary = t
      if let warning { report.warnings.append(warning) }
      let raw = FileSystemSource(fileSystem: fileSystem, fd: fd, path: archive.path)
      let decoder = try ArchiveCodecs.forReading(compressionExtension: name.compressionExtension).decoder(readingFrom: raw, name: archive.path)
      let codec = ArchiveCodecs.make(for: Self.compression(forExtension: name.compressionExtension, policy: set.archive.compression))
      let result = try writer.compress(
        from: decoder, sourceName: record.sourcePath, into: t, codec: codec, profile: profile, format: set.format,
        keyFile: policy.keyFile)
      try writer.seal(t, modified: (status.modified, status.modifiedNanoseconds))
      let written = try writer.verify(t.path, compressionExtension: name.compressionExtension, crc: result.crc, bytes: result.bytes)
      step.temporaryIdentity = FileIdentity(written)
      step.contentBytes = result.bytes
      step.contentCRC = result.crc
      step.archiveBytes = written.size
      entry.sanitize = result.report
      try store.updateStep(id, .stage(step))
    } catch let error where !error.isCrash {
      if let temporary { writer.discard(temporary.path) }
      try? store.updateStep(id, nil)
      entry.error = "\(error); the archive is unchanged"
      return
    }
    do throws(LogWardenError) {
      try checkpoint(.stageWritten)
      try fileSystem.rename(temporaryPath, to: archive.path)
      try fileSystem.synchronizeDirectory(record.directory)
      try checkpoint(.stageReplaced)
      try finishStage(step, record: record, journalID: id)
      entry.outcome = .done
      entry.bytesOut = step.archiveBytes
    } catch let error where !error.isCrash {
      entry.error = error.description
    }
  }

  /// Records a replaced archive's new profile and size, clearing the journal.
  func finishStage(_ step: StageStep, record: ArchiveRecord, journalID: Int64) throws(LogWardenError) {
    var updated = record
    updated.profileStrength = step.toStrength
    updated.bytes = step.archiveBytes
    updated.contentBytes = step.contentBytes
    updated.contentCRC = step.contentCRC
    try store.updateArchive(updated, clearingJournal: journalID)
  }

  /// A stage keeps the archive's compression (its name says which); the level comes from the policy when it matches.
  static func compression(forExtension ext: String, policy: ArchiveCompression) -> ArchiveCompression {
    switch (ext, policy) {
    case (".gz", .gzip): return policy
    case (".gz", _): return .gzip(level: 6)
    case (".zst", .zstd): return policy
    case (".zst", _): return .zstd(level: 3)
    default: return .none
    }
  }

  // MARK: - Deletion

  func deleteArchives(_ actions: [PlannedAction], archives: [String: ArchiveFile]) throws(LogWardenError) {
    for action in actions {
      guard let archive = archives[action.path] else { continue }
      if action.limit == "keep-free", let floor = set.limits.keepFree,
        let space = try? fileSystem.space(ofFileSystemAt: set.archive.directory),
        space.availableBytes >= floor.bytes(ofTotal: space.totalBytes)
      {
        continue  // earlier deletions already freed enough
      }
      try delete(archive, reason: action.reason)
    }
  }

  func delete(_ archive: ArchiveFile, reason: String) throws(LogWardenError) {
    var entry = ActionReport(kind: "delete", path: archive.path, reason: reason, outcome: .failed)
    entry.bytesIn = archive.status.size
    defer { report.actions.append(entry) }
    do throws(LogWardenError) {
      // Only files this set made: recorded for the set, the name parses, still the same regular file.
      guard ArchiveName.parse(archive.record.fileName) != nil,
        let recorded = try store.archive(directory: archive.record.directory, fileName: archive.record.fileName),
        recorded.setName == set.name,
        let current = try fileSystem.status(ofPath: archive.path), current.kind == .regular,
        FileIdentity(current) == FileIdentity(archive.status)
      else {
        entry.outcome = .skipped
        entry.error = "not deleted: no longer the archive this set recorded"
        return
      }
      try fileSystem.removeFile(archive.path)
      try checkpoint(.deleteRemoved)
      try fileSystem.synchronizeDirectory(archive.record.directory)
      try store.removeArchive(directory: archive.record.directory, fileName: archive.record.fileName)
      entry.outcome = .done
    } catch let error where !error.isCrash {
      entry.error = error.description
    }
  }
}

extension LogWardenError {
  /// A simulated crash from a test hook: must propagate without any cleanup.
  static let simulatedCrash = LogWardenError.usage("simulated crash")
  var isCrash: Bool { self == .simulatedCrash }
}

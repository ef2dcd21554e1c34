import Foundation

/// How far `reclaim` has got, for a progress bar.
public struct ReclaimProgress: Sendable, Equatable {
  public var done: Int
  public var total: Int
  public var bytesFreed: Int64
  public var path: String
}

/// What `reclaim` did.
public struct ReclaimReport: Sendable, Codable {
  public struct Entry: Sendable, Codable, Equatable {
    public var item: ReclaimItem
    public var outcome: ActionReport.Outcome
    /// Bytes actually freed (compressions: the file's blocks minus the archive written).
    public var freed: Int64
    public var error: String?
  }
  public var logwardenVersion = LogWardenVersion.current
  public var policy: String
  public var now: String
  public var entries: [Entry] = []
  /// Each filesystem as measured after the run.
  public var fileSystems: [ReclaimFileSystem] = []
  public var warnings: [String] = []
  public var targetMet = false
  public var exitStatus: Int32 = ExitStatus.ok

  public var freed: Int64 { entries.reduce(0) { $0 + $1.freed } }

  /// A few lines for stderr: failures, totals, and each filesystem's outcome.
  public func render() -> String {
    var lines: [String] = []
    for entry in entries where entry.outcome != .done {
      let verb = entry.outcome == .failed ? "FAILED" : "skipped"
      lines.append("\(verb) \(entry.item.step.label) \(entry.item.path): \(entry.error ?? "no reason given")")
    }
    for warning in warnings { lines.append("warning: \(warning)") }
    let done = entries.filter { $0.outcome == .done }
    let deleted = done.filter { $0.item.step != .compress }.count
    let compressed = done.count - deleted
    var total = "reclaimed \(ByteCount.describe(freed)): deleted \(deleted) file\(deleted == 1 ? "" : "s")"
    if compressed > 0 { total += ", compressed \(compressed)" }
    lines.append(total)
    for fs in fileSystems {
      var line = "\(fs.path): \(ByteCount.describe(fs.availableBytes)) available"
      line +=
        fs.availableBytes >= fs.targetAvailable
        ? " (target \(ByteCount.describe(fs.targetAvailable)) met)"
        : "; SHORT of the target \(ByteCount.describe(fs.targetAvailable)) by \(ByteCount.describe(fs.targetAvailable - fs.availableBytes))"
      lines.append(line)
    }
    return lines.map { "logwarden: " + $0 }.joined(separator: "\n") + "\n"
  }
}

/// `reclaim`: frees space on the filesystems of a policy's logs, for the disk-full page.
///
/// `plan` reads only. `execute` takes the state directory's lock (so no `run` is half-way through a step), re-checks
/// every item (still the same file, still recorded for its set, still not needed by an unfinished step) and carries it
/// out in plan order with the retention engine's own steps: a deletion removes the file before its record, so it
/// works with no free space at all; a compression that has no room yet waits until the deletions after it are done.
/// It never touches a live log, and deletes only temporary files of its own naming grammar and archives the state
/// database records for their set.
public final class ReclaimEngine {
  public let policy: CompiledPolicy
  public var environment: RetentionEnvironment

  public init(policy: CompiledPolicy, environment: RetentionEnvironment = RetentionEnvironment()) {
    self.policy = policy
    self.environment = environment
  }

  public func plan(target: ReclaimTarget, now: Date, setNames: [String] = []) throws(LogWardenError) -> ReclaimPlan {
    let sets = try RetentionEngine(policy: policy, environment: environment).selectSets(setNames)
    return try ReclaimPlanner(policy: policy, environment: environment, target: target, now: now.epochSeconds).plan(
      sets: sets)
  }

  public enum Outcome {
    case completed(ReclaimReport)
    /// Another run holds the state directory's lock.
    case lockBusy(lockPath: String)
  }

  public func execute(
    _ plan: ReclaimPlan, now: Date, waitSeconds: Double = 0, progress: (ReclaimProgress) -> Void = { _ in }
  ) throws(LogWardenError) -> Outcome {
    let nowSeconds = now.epochSeconds
    var report = ReclaimReport(policy: policy.file, now: UTCStamp.iso8601(epochSeconds: nowSeconds))
    guard !plan.items.isEmpty else {
      report.fileSystems = measure(plan.fileSystems)
      settle(&report)
      return .completed(report)
    }
    let fileSystem = environment.fileSystem
    guard try fileSystem.status(ofPath: policy.stateDirectory)?.kind == .directory else {
      throw .badInput(
        path: policy.stateDirectory, reason: "the state directory is gone; nothing can be proven to be logwarden's")
    }
    let outcome = try StateLock.acquire(
      stateDirectory: policy.stateDirectory, waitSeconds: waitSeconds, sleep: environment.sleep,
      monotonicNow: environment.monotonicNow)
    guard case .acquired(let lock) = outcome else {
      return .lockBusy(lockPath: StateLock.lockPath(stateDirectory: policy.stateDirectory))
    }
    defer { lock.release() }
    let store =
      try fileSystem.status(ofPath: policy.stateDatabasePath) != nil
      ? try StateStore.open(path: policy.stateDatabasePath, now: nowSeconds)
      : try StateStore.openForReading(path: policy.stateDatabasePath)
    let unfinished = Set(try store.journal().compactMap { $0.step.flatMap(ReclaimPlanner.mustFinish) })

    var executors: [String: SetExecutor] = [:]
    func executor(_ setName: String) -> SetExecutor? {
      if let e = executors[setName] { return e }
      guard let set = policy.set(named: setName) else { return nil }
      let e = SetExecutor(set: set, policy: policy, environment: environment, store: store, now: nowSeconds)
      executors[setName] = e
      return e
    }

    var done = 0
    var freed: Int64 = 0
    var deferred: [ReclaimItem] = []
    pendingRecords = []
    func record(_ entry: ReclaimReport.Entry) {
      report.entries.append(entry)
      done += 1
      freed += entry.freed
      progress(ReclaimProgress(done: done, total: plan.items.count, bytesFreed: freed, path: entry.item.path))
    }

    for item in plan.items {
      if item.step == .compress, !hasRoom(for: item) {
        deferred.append(item)  // after the deletions below
        continue
      }
      record(perform(item, executor: executor(item.setName), unfinished: unfinished))
    }
    for item in deferred {
      guard hasRoom(for: item) else {
        record(
          .init(
            item: item, outcome: .skipped, freed: 0,
            error:
              "not enough room to write its archive (about \(ByteCount.describe(item.bytesNeeded + ReclaimPlanner.margin(for: item.bytesNeeded))) needed)"
          ))
        continue
      }
      record(perform(item, executor: executor(item.setName), unfinished: unfinished))
    }
    // Records the database had no room to drop while the disk was full: now there is.
    var stillPending: [ArchiveRecord] = []
    for record in pendingRecords {
      do throws(LogWardenError) {
        try store.removeArchive(directory: record.directory, fileName: record.fileName)
      } catch {
        stillPending.append(record)
      }
    }
    pendingRecords = []
    if !stillPending.isEmpty {
      report.warnings.append(
        "\(stillPending.count) deleted archive(s) are still recorded in the state database (it had no room to write); the next run forgets them"
      )
    }
    for e in executors.values {
      report.warnings += e.report.warnings
      report.warnings += e.report.errors
    }
    report.fileSystems = measure(plan.fileSystems)
    settle(&report)
    return .completed(report)
  }

  private func settle(_ report: inout ReclaimReport) {
    report.targetMet = !report.fileSystems.contains { $0.availableBytes < $0.targetAvailable }
    let failed = report.entries.contains { $0.outcome == .failed }
    report.exitStatus = (failed || !report.targetMet) ? ExitStatus.partialFailure : ExitStatus.ok
  }

  /// The filesystems as they are now.
  private func measure(_ planned: [ReclaimFileSystem]) -> [ReclaimFileSystem] {
    planned.map { fs in
      var now = fs
      if let space = try? environment.fileSystem.space(ofFileSystemAt: fs.path) {
        now.availableBytes = space.availableBytes
        now.totalBytes = space.totalBytes
      }
      now.projectedAvailable = now.availableBytes
      now.unreachable = now.availableBytes >= now.targetAvailable ? [] : fs.unreachable
      return now
    }
  }

  private func hasRoom(for item: ReclaimItem) -> Bool {
    guard let set = policy.set(named: item.setName) else { return false }
    let directory = ReclaimPlanner.existingAncestor(of: set.archive.directory)
    guard let space = try? environment.fileSystem.space(ofFileSystemAt: directory) else { return false }
    return space.availableBytes >= item.bytesNeeded + ReclaimPlanner.margin(for: item.bytesNeeded)
  }

  /// Records of archives already deleted whose removal from the database failed (no room for its journal yet).
  private var pendingRecords: [ArchiveRecord] = []

  private func perform(_ item: ReclaimItem, executor: SetExecutor?, unfinished: Set<String>) -> ReclaimReport.Entry {
    var entry = ReclaimReport.Entry(item: item, outcome: .failed, freed: 0, error: nil)
    guard let executor else {
      entry.outcome = .skipped
      entry.error = "the policy no longer has set '\(item.setName)'"
      return entry
    }
    let fileSystem = environment.fileSystem
    do throws(LogWardenError) {
      guard let status = try fileSystem.status(ofPath: item.path) else {
        entry.outcome = .skipped
        entry.error = "no longer there"
        return entry
      }
      guard FileIdentity(status) == item.identity, status.kind == .regular, status.size == item.size,
        status.modified == item.modified
      else {
        entry.outcome = .skipped
        entry.error = "replaced or changed since the plan; left alone"
        return entry
      }
      switch item.step {
      case .leftover:
        let (directory, name) = ArchiveWriter.splitPath(item.path)
        guard TransientName.isTemporary(name), status.linkCount == 1, !unfinished.contains(item.path) else {
          entry.outcome = .skipped
          entry.error = "now part of an unfinished step; left for 'logwarden run'"
          return entry
        }
        try fileSystem.removeFile(item.path)
        try? fileSystem.synchronizeDirectory(directory)
        entry.outcome = .done
        entry.freed = status.allocatedBytes
      case .expired, .overLimit, .oldest:
        // As `SetExecutor.delete`: only an archive recorded for its set, whose name parses, in its archive directory.
        let (directory, name) = ArchiveWriter.splitPath(item.path)
        guard ArchiveName.parse(name) != nil, directory == executor.set.archive.directory,
          let record = try executor.store.archive(directory: directory, fileName: name), record.setName == item.setName
        else {
          entry.outcome = .skipped
          entry.error = "no longer recorded as an archive of set '\(item.setName)'; left alone"
          return entry
        }
        // The file first, then its record: unlinking needs no space, and a record whose file is gone is only
        // forgotten later. On a full disk the database may have no room for its journal until more is deleted.
        try fileSystem.removeFile(item.path)
        try? fileSystem.synchronizeDirectory(directory)
        entry.outcome = .done
        entry.freed = status.allocatedBytes
        do throws(LogWardenError) {
          try executor.store.removeArchive(directory: record.directory, fileName: record.fileName)
        } catch {
          pendingRecords.append(record)
        }
      case .compress:
        let set = executor.set
        let listing = try SetScanner(fileSystem: fileSystem, store: executor.store, probe: environment.probe).scan(set)
        let before = executor.report.actions.count
        if let orphan = listing.orphanedRotations.first(where: { $0.path == item.path }) {
          guard !listing.openFiles.contains(FileIdentity(orphan.status)) else {
            entry.outcome = .skipped
            entry.error = "still open by a process"
            return entry
          }
          try ensureArchiveDirectory(executor, listing: listing)
          try executor.archiveOrphanedRotation(orphan, listing: listing)
        } else {
          // Still due: the retention planner must still choose it (never the live file of its series).
          let action = RetentionPlanner(set: set, now: executor.now).plan(listing).actions.first {
            $0.kind == .archive && $0.path == item.path
          }
          guard let action, let file = listing.liveFiles.first(where: { $0.path == item.path }) else {
            entry.outcome = .skipped
            entry.error = "no longer due for archiving (written to, or open, since the plan)"
            return entry
          }
          try ensureArchiveDirectory(executor, listing: listing)
          try executor.archiveClosed(file, action: action)
        }
        let action = executor.report.actions.dropFirst(before).last
        apply(action, to: &entry)
        if entry.outcome == .done { entry.freed = max(0, status.allocatedBytes - (action?.bytesOut ?? 0)) }
      }
    } catch {
      entry.outcome = .failed
      entry.error = error.description
    }
    return entry
  }

  private func ensureArchiveDirectory(_ executor: SetExecutor, listing: SetListing) throws(LogWardenError) {
    let reference = try environment.fileSystem.status(ofPath: listing.directory)
    try executor.writer.ensureDirectory(executor.set.archive.directory, ownerLike: reference)
  }

  private func apply(_ action: ActionReport?, to entry: inout ReclaimReport.Entry) {
    guard let action else {
      entry.outcome = .failed
      entry.error = "nothing was done"
      return
    }
    entry.outcome = action.outcome == .planned ? .failed : action.outcome
    entry.error = action.error
  }
}

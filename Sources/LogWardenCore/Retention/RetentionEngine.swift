import Foundation

/// Runs a policy: recovery of interrupted steps, then each set's rotations, stages and limits.
///
/// `run` takes the state directory's lock and changes files; `plan` and `status` only read (they take no lock and
/// never create anything), so a dry run shows exactly what `run` would do at the same instant.
public final class RetentionEngine {
  public let policy: CompiledPolicy
  public var environment: RetentionEnvironment

  public init(policy: CompiledPolicy, environment: RetentionEnvironment = RetentionEnvironment()) {
    self.policy = policy
    self.environment = environment
  }

  /// The outcome of `run`.
  public enum RunOutcome {
    case completed(RunReport)
    /// Another run holds the state directory's lock.
    case lockBusy(lockPath: String)
  }

  /// The sets named (all when empty); an unknown name is a usage error naming the sets that exist.
  public func selectSets(_ names: [String]) throws(LogWardenError) -> [LogSetPolicy] {
    if names.isEmpty { return policy.sets }
    var selected: [LogSetPolicy] = []
    for name in names {
      guard let set = policy.set(named: name) else {
        throw .usage("unknown set '\(name)'; the policy has: \(policy.sets.map(\.name).joined(separator: ", "))")
      }
      if !selected.contains(where: { $0.name == name }) { selected.append(set) }
    }
    return selected
  }

  // MARK: run

  /// Does every due rotation, stage and limit. `waitSeconds` overrides the policy's `lock-wait`.
  public func run(now: Date, setNames: [String] = [], waitSeconds: Double? = nil) throws(LogWardenError) -> RunOutcome {
    let sets = try selectSets(setNames)
    let nowSeconds = now.epochSeconds
    let writer = ArchiveWriter(fileSystem: environment.fileSystem, filter: environment.filter)
    try writer.ensureDirectory(policy.stateDirectory, ownerLike: nil)
    try? environment.fileSystem.status(ofPath: policy.stateDirectory).map { status in
      if status.permissions & 0o077 != 0 { chmod(policy.stateDirectory, 0o700) }
    }
    let outcome = try StateLock.acquire(
      stateDirectory: policy.stateDirectory, waitSeconds: waitSeconds ?? Double(policy.lockWait.seconds),
      sleep: environment.sleep, monotonicNow: environment.monotonicNow)
    guard case .acquired(let lock) = outcome else {
      return .lockBusy(lockPath: StateLock.lockPath(stateDirectory: policy.stateDirectory))
    }
    defer { lock.release() }
    let store = try StateStore.open(path: policy.stateDatabasePath, now: nowSeconds)
    var report = RunReport(policy: policy.file, now: nowSeconds, dryRun: false)
    if let aside = store.recoveredFromCorruption {
      report.warnings.append("the state database was unreadable and was moved to \(aside); a new one was started (archives made before are kept but no longer managed)")
    }
    let journal = try store.journal()
    for entry in journal where policy.set(named: entry.setName) == nil {
      report.warnings.append("an interrupted step of set '\(entry.setName)', which the policy no longer has, was left as it is")
    }
    for entry in journal where entry.step == nil {
      report.warnings.append("an unreadable journal entry (set '\(entry.setName)') was left as it is")
    }
    for set in sets {
      let executor = SetExecutor(set: set, policy: policy, environment: environment, store: store, now: nowSeconds)
      do throws(LogWardenError) {
        for entry in journal where entry.setName == set.name {
          if let step = entry.step { try executor.recover(id: entry.id, step: step) }
        }
        try runSet(executor)
      } catch {
        if error.isCrash { throw error }
        executor.report.errors.append(error.description)
      }
      report.sets.append(executor.report)
    }
    report.settleExitStatus()
    return .completed(report)
  }

  private func runSet(_ executor: SetExecutor) throws(LogWardenError) {
    let set = executor.set
    let scanner = SetScanner(fileSystem: environment.fileSystem, store: executor.store, probe: environment.probe)
    let listing = try scanner.scan(set)
    try executor.cleanUp(listing)
    for path in listing.liveFiles.map(\.path) where listing.sources[path] == nil && set.rotation.mode != .closed {
      try executor.store.noteSourceSeen(setName: set.name, path: path, at: executor.now)
    }
    let plan = RetentionPlanner(set: set, now: executor.now).plan(listing)
    try executor.execute(plan: plan, listing: listing)
  }

  // MARK: plan (dry run)

  /// Computes every set's plan without changing anything. Interrupted steps are listed as recoveries.
  public func plan(now: Date, setNames: [String] = []) throws(LogWardenError) -> DryRunPlan {
    let sets = try selectSets(setNames)
    let nowSeconds = now.epochSeconds
    let store = try StateStore.openForReading(path: policy.stateDatabasePath)
    let journal = try store.journal()
    var result = DryRunPlan(policy: policy.file, now: nowSeconds)
    for set in sets {
      var item = DryRunPlan.SetItem(name: set.name)
      for entry in journal where entry.setName == set.name {
        item.recoveries.append(entry.step.map(Self.describe) ?? "an unreadable journal entry")
      }
      do throws(LogWardenError) {
        let listing = try SetScanner(fileSystem: environment.fileSystem, store: store, probe: environment.probe).scan(set)
        item.plan = RetentionPlanner(set: set, now: nowSeconds).plan(listing)
        item.leftoverTemporaries = listing.temporaryFiles.count
        item.orphanedRotations = listing.orphanedRotations.map(\.path)
      } catch {
        item.error = error.description
      }
      result.sets.append(item)
    }
    return result
  }

  static func describe(_ step: JournalStep) -> String {
    switch step {
    case .archive(let s): return "finish archiving \(s.sourcePath) (\(s.phase.rawValue)) into \(s.archivePath)"
    case .copyTruncate(let s): return "finish copytruncate of \(s.livePath) (\(s.phase.rawValue))"
    case .stage(let s): return "finish or roll back the stage of \(s.archivePath)"
    }
  }

  // MARK: status

  /// Each set's live files, archives, stage counts and next action.
  public func status(now: Date) throws(LogWardenError) -> StatusReport {
    let nowSeconds = now.epochSeconds
    let store = try StateStore.openForReading(path: policy.stateDatabasePath)
    let journal = try store.journal()
    var report = StatusReport(policy: policy.file, now: nowSeconds)
    for set in policy.sets {
      var item = StatusReport.SetStatus(name: set.name, mode: set.rotation.mode.rawValue)
      item.pendingSteps = journal.filter { $0.setName == set.name }.count
      do throws(LogWardenError) {
        let listing = try SetScanner(fileSystem: environment.fileSystem, store: store, probe: environment.probe).scan(set)
        item.liveFiles = listing.liveFiles.count
        item.liveBytes = listing.liveFiles.reduce(0) { $0 + $1.status.size }
        item.archives = listing.archives.count
        item.archiveBytes = listing.archives.reduce(0) { $0 + $1.status.size }
        if let oldest = listing.archives.first {
          item.oldestArchive = oldest.record.fileName
          item.oldestArchiveAge = PolicyDuration(seconds: max(0, nowSeconds - oldest.record.stamp)).description
        }
        for archive in listing.archives {
          item.stages[archive.record.profile?.rawValue ?? "raw", default: 0] += 1
        }
        item.unmanagedFiles = listing.unmanagedArchiveCount
        item.refusedFiles = listing.refusals.count
        item.freeBytes = listing.space?.availableBytes
        let plan = RetentionPlanner(set: set, now: nowSeconds).plan(listing)
        if let first = plan.actions.first {
          let more = plan.actions.count > 1 ? " (+\(plan.actions.count - 1) more)" : ""
          item.nextAction = "now: \(first.kind.rawValue) \(first.path)\(more)"
        } else if let next = plan.nextDue {
          item.nextAction = "\(UTCStamp.iso8601(epochSeconds: next.instant)): \(next.what)"
        } else {
          item.nextAction = "nothing scheduled"
        }
        item.problems = plan.unsatisfiable
      } catch {
        item.error = error.description
      }
      report.sets.append(item)
    }
    return report
  }
}

extension SetExecutor {
  /// Removes temporary files no journal entry refers to and forgets recorded archives that someone else deleted.
  func cleanUp(_ listing: SetListing) throws(LogWardenError) {
    let referenced = Set(try store.journal().compactMap { entry -> String? in
      switch entry.step {
      case .archive(let s)?: return s.temporaryPath
      case .copyTruncate(let s)?: return s.temporaryPath
      case .stage(let s)?: return s.temporaryPath
      case nil: return nil
      }
    })
    for path in listing.temporaryFiles where !referenced.contains(path) {
      var entry = ActionReport(kind: "cleanup", path: path, reason: "temporary file left by an interrupted step", outcome: .done)
      do throws(LogWardenError) { try fileSystem.removeFile(path) } catch {
        entry.outcome = .failed
        entry.error = error.description
      }
      report.actions.append(entry)
    }
    for record in listing.vanishedArchives {
      try store.removeArchive(directory: record.directory, fileName: record.fileName)
      report.warnings.append("\(record.path) was removed by something else; forgotten")
    }
  }
}

/// A dry run's plan for every selected set.
public struct DryRunPlan: Sendable {
  public struct SetItem: Sendable {
    public var name: String
    public var plan: SetPlan?
    public var recoveries: [String] = []
    public var leftoverTemporaries = 0
    public var orphanedRotations: [String] = []
    public var error: String?
  }
  public var policy: String
  public var now: Int64
  public var sets: [SetItem] = []

  /// The plan as a report (for `--dry-run --json`).
  public func asReport() -> RunReport {
    var report = RunReport(policy: policy, now: now, dryRun: true)
    for item in sets {
      var set = SetReport(name: item.name)
      for recovery in item.recoveries {
        set.actions.append(ActionReport(kind: "recover", path: "", reason: recovery, outcome: .planned))
      }
      for path in item.orphanedRotations {
        set.actions.append(ActionReport(kind: "recover", path: path, reason: "rotated file without a journal entry", outcome: .planned))
      }
      if let plan = item.plan {
        set.limitsFirst = plan.limitsFirst
        for action in plan.actions {
          var entry = ActionReport(kind: action.kind.rawValue, path: action.path, archivePath: action.archivePath, reason: action.reason, outcome: .planned)
          entry.bytesIn = action.bytes
          entry.bytesOut = action.estimatedArchiveBytes
          entry.profile = action.profile?.rawValue
          set.actions.append(entry)
        }
        set.warnings = plan.notes
        set.errors = plan.unsatisfiable.map { "cannot satisfy \($0)" }
      }
      if let error = item.error { set.errors.append(error) }
      report.sets.append(set)
    }
    report.settleExitStatus()
    return report
  }

  /// The human-readable plan, with byte totals per set and overall.
  public func render() -> String {
    var lines = ["plan for \(policy) at \(UTCStamp.iso8601(epochSeconds: now)) (dry run: nothing is changed)"]
    var grand: [PlannedAction.Kind: (Int, Int64)] = [:]
    for item in sets {
      lines.append("")
      lines.append("set \(item.name):")
      if let error = item.error { lines.append("  error: \(error)") }
      for recovery in item.recoveries { lines.append("  recover  \(recovery)") }
      for path in item.orphanedRotations { lines.append("  recover  \(path) (rotated file without a journal entry): archive it") }
      if item.leftoverTemporaries > 0 { lines.append("  cleanup  \(item.leftoverTemporaries) temporary file(s) left by an interrupted step") }
      guard let plan = item.plan else { continue }
      if plan.limitsFirst { lines.append("  (space is short: deletions run first)") }
      for action in plan.actions {
        switch action.kind {
        case .archive, .rotate:
          let profile = action.profile.map { ", \($0.summary)" } ?? ""
          lines.append("  \(action.kind.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(action.path) (\(ByteCount.describe(action.bytes))) -> \(action.archivePath ?? "?") (~\(ByteCount.describe(action.estimatedArchiveBytes ?? 0))\(profile))  [\(action.reason)]")
        case .stage:
          lines.append("  stage    \(action.path) (\(ByteCount.describe(action.bytes))) -> \(action.profile?.summary ?? "?")  [\(action.reason)]")
        case .delete:
          lines.append("  delete   \(action.path) (\(ByteCount.describe(action.bytes)))  [\(action.reason)]")
        }
      }
      if plan.actions.isEmpty && item.recoveries.isEmpty { lines.append("  nothing to do") }
      for note in plan.notes { lines.append("  note: \(note)") }
      for problem in plan.unsatisfiable { lines.append("  PROBLEM: cannot satisfy \(problem)") }
      var totals: [String] = []
      for kind in [PlannedAction.Kind.archive, .rotate, .stage, .delete] {
        let t = plan.total(kind)
        guard t.count > 0 else { continue }
        grand[kind, default: (0, 0)].0 += t.count
        grand[kind, default: (0, 0)].1 += t.bytes
        totals.append("\(kind.rawValue) \(t.count) (\(ByteCount.describe(t.bytes))\(kind == .delete ? " freed" : ""))")
      }
      if !totals.isEmpty { lines.append("  totals: " + totals.joined(separator: ", ")) }
    }
    let overall = [PlannedAction.Kind.archive, .rotate, .stage, .delete].compactMap { kind -> String? in
      guard let t = grand[kind] else { return nil }
      return "\(kind.rawValue) \(t.0) (\(ByteCount.describe(t.1))\(kind == .delete ? " freed" : ""))"
    }
    lines.append("")
    lines.append("total: " + (overall.isEmpty ? "nothing to do" : overall.joined(separator: ", ")))
    return lines.joined(separator: "\n") + "\n"
  }
}

/// `logwarden status`.
public struct StatusReport: Codable, Sendable {
  public struct SetStatus: Codable, Sendable {
    public var name: String
    public var mode: String
    public var liveFiles = 0
    public var liveBytes: Int64 = 0
    public var archives = 0
    public var archiveBytes: Int64 = 0
    public var oldestArchive: String?
    public var oldestArchiveAge: String?
    /// Archives by strongest profile applied (`raw`, `credentials`, `level4`, `vendor`).
    public var stages: [String: Int] = [:]
    public var unmanagedFiles = 0
    public var refusedFiles = 0
    public var pendingSteps = 0
    public var freeBytes: Int64?
    public var nextAction = ""
    public var problems: [String] = []
    public var error: String?
    init(name: String, mode: String) {
      self.name = name
      self.mode = mode
    }
  }
  public var policy: String
  public var now: String
  public var sets: [SetStatus] = []

  init(policy: String, now: Int64) {
    self.policy = policy
    self.now = UTCStamp.iso8601(epochSeconds: now)
  }

  public func render() -> String {
    var lines: [String] = []
    for set in sets {
      lines.append("\(set.name) (\(set.mode))")
      if let error = set.error {
        lines.append("  error:    \(error)")
        continue
      }
      lines.append("  live:     \(set.liveFiles) file\(set.liveFiles == 1 ? "" : "s"), \(ByteCount.describe(set.liveBytes))")
      var archives = "  archives: \(set.archives), \(ByteCount.describe(set.archiveBytes))"
      if let oldest = set.oldestArchive, let age = set.oldestArchiveAge { archives += "; oldest \(oldest) (\(age) old)" }
      lines.append(archives)
      if !set.stages.isEmpty {
        let order = ["raw", "credentials", "level4", "vendor"]
        lines.append("  stages:   " + order.compactMap { key in set.stages[key].map { "\(key) \($0)" } }.joined(separator: ", "))
      }
      if let free = set.freeBytes { lines.append("  free:     \(ByteCount.describe(free)) on the archive filesystem") }
      if set.unmanagedFiles > 0 { lines.append("  note:     \(set.unmanagedFiles) archive-like file(s) not made by this set (never deleted)") }
      if set.refusedFiles > 0 { lines.append("  note:     \(set.refusedFiles) file(s) refused (symlinks, hard links, FIFOs)") }
      if set.pendingSteps > 0 { lines.append("  pending:  \(set.pendingSteps) interrupted step(s), finished by the next run") }
      for problem in set.problems { lines.append("  PROBLEM:  cannot satisfy \(problem)") }
      lines.append("  next:     \(set.nextAction)")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What `reclaim` is asked to reach on every filesystem holding a selected set's logs or archives.
public enum ReclaimTarget: Sendable, Equatable, CustomStringConvertible {
  /// At least this much available (`f_bavail`): bytes, or a percentage of the filesystem.
  case free(SpaceFloor)
  /// Usage (`1 - available / total`) at or below this percentage.
  case usage(Double)

  /// The bytes that must be available on a filesystem of `totalBytes`.
  public func requiredAvailable(totalBytes: Int64) -> Int64 {
    switch self {
    case .free(let floor): return floor.bytes(ofTotal: totalBytes)
    case .usage(let percent): return Int64((Double(totalBytes) * (100 - percent) / 100).rounded(.up))
    }
  }

  public var description: String {
    switch self {
    case .free(.bytes(let n)): return "at least \(ByteCount.describe(n)) available"
    case .free(.percent(let p)): return "at least \(SpaceFloor.percent(p)) of each filesystem available"
    case .usage(let p): return "usage at most \(p == p.rounded() ? "\(Int(p))" : "\(p)")%"
    }
  }
}

/// One thing `reclaim` will do, in priority order.
public struct ReclaimItem: Sendable, Codable, Equatable {
  /// The priority classes, in the order they are taken.
  public enum Step: Int, Sendable, Codable, CaseIterable, Comparable {
    /// Temporary files of failed or interrupted steps that recovery would throw away anyway.
    case leftover = 1
    /// Archives older than the set's max-age (or delete stage).
    case expired = 2
    /// The oldest archives beyond the set's max-count, max-size or keep-free.
    case overLimit = 3
    /// Rotated (closed) logs not yet archived: compressing them frees most of their size.
    case compress = 4
    /// The oldest archives of every selected set, until the target is met.
    case oldest = 5

    public static func < (a: Step, b: Step) -> Bool { a.rawValue < b.rawValue }

    public var label: String {
      switch self {
      case .leftover: return "leftover"
      case .expired: return "expired"
      case .overLimit: return "limit"
      case .compress: return "compress"
      case .oldest: return "oldest"
      }
    }
  }

  public var step: Step
  public var setName: String
  public var path: String
  /// The file's identity, size and modification time when planned: execution leaves alone a file that was replaced
  /// or changed meanwhile (an inode number alone can be reused at once).
  public var identity: FileIdentity
  public var size: Int64
  public var modified: Int64
  /// Bytes this frees (for compressions: the file's blocks minus the estimated archive).
  public var bytesFreed: Int64
  /// Compressions: the estimated archive size, which must be free while it is written.
  public var bytesNeeded: Int64
  /// The filesystem it frees space on (device number).
  public var device: UInt64
  /// The filesystem the archive is written to (compressions).
  public var archiveDevice: UInt64?
  public var reason: String
}

/// A filesystem `reclaim` looks at.
public struct ReclaimFileSystem: Sendable, Codable, Equatable {
  /// A directory of the policy on it (for messages).
  public var path: String
  public var device: UInt64
  public var totalBytes: Int64
  public var availableBytes: Int64
  public var targetAvailable: Int64
  /// Available after every planned item.
  public var projectedAvailable: Int64
  /// What is there that `reclaim` never deletes, when the target cannot be met.
  public var unreachable: [String] = []

  public var isShort: Bool { projectedAvailable < targetAvailable }
  public var shortBy: Int64 { max(0, targetAvailable - projectedAvailable) }
}

/// `reclaim`'s plan: the items in priority order, each filesystem's numbers, and what cannot be reached.
public struct ReclaimPlan: Sendable {
  public var policy: String
  public var now: Int64
  public var target: ReclaimTarget
  public var items: [ReclaimItem] = []
  public var fileSystems: [ReclaimFileSystem] = []
  /// Things the planner noticed that are not items (compressions without room, sets it could not read).
  public var notes: [String] = []
  public var setNames: [String] = []

  public var totalFreed: Int64 { items.reduce(0) { $0 + $1.bytesFreed } }
  public var deletesFiles: Bool { !items.isEmpty }
  public var meetsTarget: Bool { !fileSystems.contains { $0.isShort } }

  /// The plan as text: one line per item with the bytes it frees, totals per step and overall, per filesystem.
  public func render(dryRun: Bool) -> String {
    var lines = [
      "reclaim plan for \(policy) at \(UTCStamp.iso8601(epochSeconds: now))\(dryRun ? " (dry run: nothing is changed)" : "")",
      "target: \(target)",
    ]
    for fs in fileSystems {
      lines.append("")
      lines.append(
        "filesystem of \(fs.path): \(ByteCount.describe(fs.totalBytes)), \(ByteCount.describe(fs.availableBytes)) available, "
          + "target \(ByteCount.describe(fs.targetAvailable)) available")
      let mine = items.filter { $0.device == fs.device || $0.archiveDevice == fs.device }
      if mine.isEmpty {
        lines.append(
          fs.availableBytes >= fs.targetAvailable
            ? "  nothing to do: the target is met" : "  nothing logwarden may delete here")
      }
      for item in mine {
        let label = item.step.label.padding(toLength: 8, withPad: " ", startingAt: 0)
        var line = "  \(item.step.rawValue) \(label) \(item.path)  "
        if item.step == .compress {
          line += "frees ~\(ByteCount.describe(item.bytesFreed)) (archive ~\(ByteCount.describe(item.bytesNeeded)))"
        } else {
          line += "frees \(ByteCount.describe(item.bytesFreed))"
        }
        line += "  [\(item.setName): \(item.reason)]"
        lines.append(line)
      }
      var steps: [String] = []
      for step in ReclaimItem.Step.allCases {
        let chosen = mine.filter { $0.step == step && $0.device == fs.device }
        guard !chosen.isEmpty else { continue }
        steps.append("\(step.label) \(chosen.count) (\(ByteCount.describe(chosen.reduce(0) { $0 + $1.bytesFreed })))")
      }
      if !steps.isEmpty { lines.append("  frees: " + steps.joined(separator: ", ")) }
      var after = "  after: \(ByteCount.describe(fs.projectedAvailable)) available"
      after += fs.isShort ? "; SHORT of the target by \(ByteCount.describe(fs.shortBy))" : "; target met"
      lines.append(after)
      for what in fs.unreachable { lines.append("  cannot reach: \(what)") }
    }
    for note in notes { lines.append("note: \(note)") }
    lines.append("")
    let deletions = items.filter { $0.step != .compress }.count
    let compressions = items.count - deletions
    var total = "total: \(deletions) file\(deletions == 1 ? "" : "s") to delete"
    if compressions > 0 { total += ", \(compressions) to compress" }
    total += ", \(ByteCount.describe(totalFreed)) freed"
    total += meetsTarget ? "; the target is met" : "; the target is NOT met"
    lines.append(total)
    return lines.joined(separator: "\n") + "\n"
  }
}

/// Computes `reclaim`'s plan. Reads only (no lock, nothing created), like a dry run of `run`.
struct ReclaimPlanner {
  let policy: CompiledPolicy
  let environment: RetentionEnvironment
  let target: ReclaimTarget
  let now: Int64

  var fileSystem: FileSystem { environment.fileSystem }

  /// Extra room a compression needs beyond its estimated archive (estimate error, and room for the mail server's own
  /// writes while it runs).
  static func margin(for estimate: Int64) -> Int64 { estimate / 4 + (256 << 10) }

  /// Journal steps whose temporary file is complete data that recovery publishes (never a leftover).
  static func mustFinish(_ step: JournalStep) -> String? {
    switch step {
    case .archive(let s): return s.phase == .written ? s.temporaryPath : nil
    case .copyTruncate(let s): return s.phase == .copying ? nil : s.temporaryPath
    case .stage: return nil
    }
  }

  func plan(sets: [LogSetPolicy]) throws(LogWardenError) -> ReclaimPlan {
    var plan = ReclaimPlan(policy: policy.file, now: now, target: target)
    plan.setNames = sets.map(\.name)
    let store = try StateStore.openForReading(path: policy.stateDatabasePath)
    let journal = try store.journal()
    let unfinished = Set(journal.compactMap { $0.step.flatMap(Self.mustFinish) })
    let scanner = SetScanner(fileSystem: fileSystem, store: store, probe: environment.probe)

    // Filesystems, by device.
    var index: [UInt64: Int] = [:]
    func fileSystemOf(_ directory: String) throws(LogWardenError) -> UInt64? {
      guard let status = try fileSystem.status(ofPath: directory) else { return nil }
      if index[status.device] == nil {
        let space = try fileSystem.space(ofFileSystemAt: directory)
        index[status.device] = plan.fileSystems.count
        plan.fileSystems.append(
          ReclaimFileSystem(
            path: directory, device: status.device, totalBytes: space.totalBytes, availableBytes: space.availableBytes,
            targetAvailable: target.requiredAvailable(totalBytes: space.totalBytes),
            projectedAvailable: space.availableBytes))
      }
      return status.device
    }
    func isShort(_ device: UInt64) -> Bool { plan.fileSystems[index[device]!].isShort }
    func take(_ item: ReclaimItem) {
      plan.items.append(item)
      plan.fileSystems[index[item.device]!].projectedAvailable += item.bytesFreed + item.bytesNeeded
      if let archive = item.archiveDevice { plan.fileSystems[index[archive]!].projectedAvailable -= item.bytesNeeded }
    }

    struct SetState {
      var set: LogSetPolicy
      var listing: SetListing
      var liveDevice: UInt64
      var archiveDevice: UInt64?
    }
    var states: [SetState] = []
    for set in sets {
      do throws(LogWardenError) {
        let listing = try scanner.scan(set)
        guard let live = try fileSystemOf(listing.directory) else { continue }
        let archive = listing.archiveDirectoryExists ? try fileSystemOf(set.archive.directory) : nil
        states.append(SetState(set: set, listing: listing, liveDevice: live, archiveDevice: archive))
      } catch {
        plan.notes.append("set \(set.name): not looked at: \(error)")
      }
    }

    // 1. Leftovers: always removed, they are garbage by construction.
    for state in states {
      guard let device = state.archiveDevice else { continue }
      for path in state.listing.temporaryFiles where !unfinished.contains(path) {
        guard let status = try fileSystem.status(ofPath: path), status.kind == .regular, status.linkCount == 1 else {
          continue
        }
        take(
          ReclaimItem(
            step: .leftover, setName: state.set.name, path: path, identity: FileIdentity(status), size: status.size,
            modified: status.modified,
            bytesFreed: status.allocatedBytes, bytesNeeded: 0, device: device, archiveDevice: nil,
            reason: "temporary file of a failed or interrupted step"))
      }
    }

    // 2 and 3. The limits of each set, oldest first across sets.
    var chosen = Set(plan.items.map(\.path))
    var limitDeletions: [(step: ReclaimItem.Step, stamp: Int64, item: ReclaimItem)] = []
    for state in states {
      guard let device = state.archiveDevice, !state.listing.archives.isEmpty else { continue }
      let fs = plan.fileSystems[index[device]!]
      let space = FileSystemSpace(totalBytes: fs.totalBytes, availableBytes: fs.projectedAvailable)
      let result = LimitPlanner(set: state.set, now: now).plan(
        archives: state.listing.archives, pending: [], space: space)
      let archives = Dictionary(state.listing.archives.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
      for deletion in result.deletions {
        guard let archive = archives[deletion.path] else { continue }
        let step: ReclaimItem.Step = deletion.limit == "max-age" ? .expired : .overLimit
        limitDeletions.append(
          (
            step, archive.record.stamp,
            ReclaimItem(
              step: step, setName: state.set.name, path: archive.path, identity: FileIdentity(archive.status),
              size: archive.status.size, modified: archive.status.modified,
              bytesFreed: archive.status.allocatedBytes, bytesNeeded: 0, device: device, archiveDevice: nil,
              reason: deletion.reason)
          ))
      }
    }
    limitDeletions.sort { ($0.step, $0.stamp, $0.item.path) < ($1.step, $1.stamp, $1.item.path) }
    for deletion in limitDeletions where isShort(deletion.item.device) && !chosen.contains(deletion.item.path) {
      take(deletion.item)
      chosen.insert(deletion.item.path)
    }

    // 4. Rotated logs not archived yet: compressing frees most of their size. Largest first when there is room for
    // it, smallest first otherwise (each one that fits makes room for the next).
    var compressions: [ReclaimItem] = []
    for state in states {
      let set = state.set
      if case .none = set.archive.compression {
        if set.rotation.mode == .closed {
          plan.notes.append(
            "set \(set.name): archives are not compressed (compression: none); nothing to gain by archiving")
        }
        continue
      }
      var archiveDevice = state.archiveDevice
      if archiveDevice == nil { archiveDevice = try fileSystemOf(Self.existingAncestor(of: set.archive.directory)) }
      guard let archiveDevice else { continue }
      let ratio = RetentionPlanner(set: set, now: now).estimatedRatio
      var files: [(LiveFile, String)] = []
      if set.rotation.mode == .closed {
        let actions = RetentionPlanner(set: set, now: now).plan(state.listing).actions.filter { $0.kind == .archive }
        let live = Dictionary(state.listing.liveFiles.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for action in actions {
          if let file = live[action.path] { files.append((file, "closed log, not archived yet: \(action.reason)")) }
        }
      }
      for orphan in state.listing.orphanedRotations where !state.listing.openFiles.contains(FileIdentity(orphan.status))
      {
        files.append((orphan, "rotated file left by an interrupted run"))
      }
      for (file, reason) in files {
        let estimate = Int64((Double(file.status.size) * ratio).rounded(.up))
        compressions.append(
          ReclaimItem(
            step: .compress, setName: set.name, path: file.path, identity: FileIdentity(file.status),
            size: file.status.size, modified: file.status.modified,
            bytesFreed: max(0, file.status.allocatedBytes - estimate), bytesNeeded: estimate, device: state.liveDevice,
            archiveDevice: archiveDevice, reason: reason))
      }
    }
    if let largest = compressions.map(\.bytesNeeded).max(), let first = compressions.first,
      let device = first.archiveDevice,
      plan.fileSystems[index[device]!].projectedAvailable >= largest + Self.margin(for: largest)
    {
      compressions.sort { ($0.bytesFreed, $1.path) > ($1.bytesFreed, $0.path) }
    } else {
      compressions.sort { ($0.bytesNeeded, $0.path) < ($1.bytesNeeded, $1.path) }
    }
    // The archives left for step 5, per filesystem, oldest first.
    var pool: [(archive: ArchiveFile, setName: String, device: UInt64)] = []
    for state in states {
      guard let device = state.archiveDevice else { continue }
      for archive in state.listing.archives where !chosen.contains(archive.path) {
        pool.append((archive, state.set.name, device))
      }
    }
    pool.sort {
      ($0.archive.record.stamp, $0.archive.record.fileName) < ($1.archive.record.stamp, $1.archive.record.fileName)
    }
    func takeOldest(at position: Int, reason: String) {
      let (archive, setName, device) = pool.remove(at: position)
      take(
        ReclaimItem(
          step: .oldest, setName: setName, path: archive.path, identity: FileIdentity(archive.status),
          size: archive.status.size, modified: archive.status.modified,
          bytesFreed: archive.status.allocatedBytes, bytesNeeded: 0, device: device, archiveDevice: nil,
          reason: reason))
    }
    func oldestReason(_ archive: ArchiveFile) -> String {
      "oldest archive (\(UTCStamp.iso8601(epochSeconds: archive.record.stamp)))"
    }

    for item in compressions where isShort(item.device) {
      let device = item.archiveDevice!
      let need = item.bytesNeeded + Self.margin(for: item.bytesNeeded)
      let room = plan.fileSystems[index[device]!].projectedAvailable
      if room < need {
        // Make room with the oldest archives (step 5 would take them anyway) when compressing frees more than that.
        let missing = need - room
        let available = pool.filter { $0.device == device }.reduce(Int64(0)) { $0 + $1.archive.status.allocatedBytes }
        guard item.bytesFreed >= missing, available >= missing else {
          plan.notes.append(
            "\(item.path) (\(ByteCount.describe(item.bytesFreed + item.bytesNeeded))) is not compressed: its archive needs about "
              + "\(ByteCount.describe(need)) free, \(ByteCount.describe(max(0, room))) would be")
          continue
        }
        let name = (item.path as NSString).lastPathComponent
        while plan.fileSystems[index[device]!].projectedAvailable < need,
          let position = pool.firstIndex(where: { $0.device == device })
        {
          takeOldest(at: position, reason: oldestReason(pool[position].archive) + "; makes room to compress \(name)")
        }
      }
      take(item)
      chosen.insert(item.path)
    }

    // 5. The oldest archives of every selected set, until the target is met.
    var position = 0
    while position < pool.count {
      if isShort(pool[position].device) {
        takeOldest(at: position, reason: oldestReason(pool[position].archive))
      } else {
        position += 1
      }
    }
    // Listed (and executed) in priority order; a compression still without room then waits for the deletions after it.
    plan.items = plan.items.enumerated().sorted { ($0.element.step, $0.offset) < ($1.element.step, $1.offset) }.map(
      \.element)

    // Databases moved aside as unreadable: kept for inspection, never deleted by logwarden.
    if let names = try? fileSystem.contentsOfDirectory(policy.stateDirectory) {
      for name in names.sorted() where name.hasPrefix("state.sqlite.corrupt-") {
        let path = policy.stateDirectory + "/" + name
        if let status = try fileSystem.status(ofPath: path), status.kind == .regular {
          plan.notes.append(
            "\(path) (\(ByteCount.describe(status.allocatedBytes))): an unreadable state database moved aside; kept for "
              + "inspection, delete it by hand when it is not needed")
        }
      }
    }

    // What stays out of reach where the target is not met.
    for (i, fs) in plan.fileSystems.enumerated() where fs.isShort {
      var known: Int64 = 0
      var unreachable: [String] = []
      var liveCount = 0
      var liveBytes: Int64 = 0
      var unmanagedCount = 0
      var unmanagedBytes: Int64 = 0
      var pending: Int64 = 0
      for state in states {
        if state.liveDevice == fs.device {
          let planned = Set(plan.items.map(\.path))
          for file in state.listing.liveFiles where !planned.contains(file.path) {
            liveCount += 1
            liveBytes += file.status.allocatedBytes
          }
        }
        if state.archiveDevice == fs.device {
          unmanagedCount += state.listing.unmanagedArchiveCount
          unmanagedBytes += state.listing.unmanagedArchiveBytes
          for path in state.listing.temporaryFiles where unfinished.contains(path) {
            pending += (try? fileSystem.status(ofPath: path))?.allocatedBytes ?? 0
          }
        }
      }
      if liveCount > 0 {
        unreachable.append(
          "\(liveCount) live log\(liveCount == 1 ? "" : "s") (\(ByteCount.describe(liveBytes))): never touched")
      }
      if unmanagedCount > 0 {
        unreachable.append(
          "\(unmanagedCount) archive-like file\(unmanagedCount == 1 ? "" : "s") (\(ByteCount.describe(unmanagedBytes))) that the state database does not prove logwarden made: never deleted"
        )
      }
      if pending > 0 {
        unreachable.append(
          "\(ByteCount.describe(pending)) in interrupted steps that 'logwarden run' finishes (not deleted: they hold data)"
        )
      }
      known = liveBytes + unmanagedBytes + pending
      let used = fs.totalBytes - fs.projectedAvailable
      let other = used - known
      if other > 0 { unreachable.append("\(ByteCount.describe(other)) of other data (not logwarden's)") }
      plan.fileSystems[i].unreachable = unreachable
    }
    return plan
  }

  /// The nearest existing directory at or above `path` (an archive directory not made yet).
  static func existingAncestor(of path: String) -> String {
    var current = path
    while !current.isEmpty && current != "/" && access(current, F_OK) != 0 {
      current = ArchiveWriter.splitPath(current).0
    }
    return current.isEmpty ? "/" : current
  }
}

/// One thing a run will do.
public struct PlannedAction: Sendable, Equatable, Codable {
  public enum Kind: String, Sendable, Codable {
    /// Archive a closed file (closed mode).
    case archive
    /// Rotate a live file (rename or copytruncate mode).
    case rotate
    /// Rewrite an archive with a stronger profile.
    case stage
    /// Delete an archive (a limit or a delete stage).
    case delete
  }
  public var kind: Kind
  /// The file acted on: the live/closed file (archive, rotate) or the archive (stage, delete).
  public var path: String
  /// Where the archive goes (archive, rotate); tentative — a name taken meanwhile gets a `-<n>` suffix.
  public var archivePath: String?
  /// Bytes read (archive, rotate, stage) or freed (delete).
  public var bytes: Int64
  /// Estimated archive size after compression (archive, rotate).
  public var estimatedArchiveBytes: Int64?
  /// Why, in words: the trigger or the limit.
  public var reason: String
  /// The profile applied (archive, rotate: at rotation; stage: the target).
  public var profile: SanitizeProfile?
  /// The UTC stamp for the archive name.
  public var stamp: Int64?
  /// For deletes: which limit (`max-age`, `max-count`, `max-size`, `keep-free`).
  public var limit: String?
}

/// A set's plan: every due action, with byte totals.
public struct SetPlan: Sendable {
  public var setName: String
  public var actions: [PlannedAction]
  /// Delete before archiving, because space is short (keep-free violated or not enough room for the new archives).
  public var limitsFirst: Bool
  /// Things the planner noticed that are not actions (files skipped and why).
  public var notes: [String]
  /// When the next action is expected without new writes (e.g. the next schedule period or stage), if known.
  public var nextDue: (instant: Int64, what: String)?
  /// Limits that deleting every archive of the set would still not satisfy.
  public var unsatisfiable: [String]

  public func total(_ kind: PlannedAction.Kind) -> (count: Int, bytes: Int64) {
    let matching = actions.filter { $0.kind == kind }
    return (matching.count, matching.reduce(0) { $0 + $1.bytes })
  }
}

/// Computes a set's plan from a listing, the policy and the time. Pure: no I/O.
public struct RetentionPlanner {
  public var set: LogSetPolicy
  public var now: Int64

  public init(set: LogSetPolicy, now: Int64) {
    self.set = set
    self.now = now
  }

  /// Rough compressed-size ratio for plans (only used for estimates and the "room first" decision).
  var estimatedRatio: Double {
    switch set.archive.compression {
    case .gzip: return 0.15
    case .zstd: return 0.12
    case .none: return 1.0
    }
  }

  public func plan(_ listing: SetListing) -> SetPlan {
    var notes: [String] = []
    for refusal in listing.refusals { notes.append("\(refusal.path): \(refusal.reason)") }
    var taken = listing.archiveDirectoryNames
    var creations: [PlannedAction] = []
    var nextDue: [(Int64, String)] = []

    switch set.rotation.mode {
    case .closed:
      for series in FileSeries.group(listing.liveFiles) {
        for file in series.dropLast() {
          let quietFor = now - file.status.modified
          if quietFor < set.rotation.quietPeriod.seconds {
            nextDue.append((file.status.modified + set.rotation.quietPeriod.seconds, "archive \(file.name) once quiet"))
            continue
          }
          if listing.openFiles.contains(FileIdentity(file.status)) {
            notes.append("\(file.path): still open by a process; archived once it is closed")
            continue
          }
          let reason = "closed: not the newest of its series (\(series.last!.name)); unmodified for \(PolicyDuration(seconds: max(0, quietFor)))"
          creations.append(archiveAction(.archive, file: file, stamp: file.status.modified, reason: reason, taken: &taken))
        }
      }
    case .rename, .copytruncate:
      for file in listing.liveFiles {
        let record = listing.sources[file.path]
        let last = record?.lastRotated ?? record?.firstSeen ?? now
        if file.status.size == 0 && !set.rotation.rotateEmpty { continue }
        var reasons: [String] = []
        if let size = set.rotation.maximumSize, file.status.size >= size {
          reasons.append("size \(ByteCount.describe(file.status.size)) >= \(ByteCount.policySpelling(size))")
        }
        if let age = set.rotation.maximumAge {
          if now - last >= age.seconds {
            reasons.append("\(PolicyDuration(seconds: now - last)) since \(record?.lastRotated == nil ? "first seen" : "last rotation") >= \(age)")
          } else {
            nextDue.append((last + age.seconds, "rotate \(file.name) (age)"))
          }
        }
        if let schedule = set.rotation.schedule {
          if RotationCalendar.isDue(schedule, last: last, now: now, timeZone: set.rotation.timeZone) {
            reasons.append("\(schedule.rawValue) period ended")
          } else {
            nextDue.append((RotationCalendar.nextPeriodStart(schedule, after: now, timeZone: set.rotation.timeZone), "rotate \(file.name) (\(schedule.rawValue))"))
          }
        }
        if record == nil && reasons.isEmpty { notes.append("\(file.path): first seen now; age and schedule count from now") }
        guard !reasons.isEmpty else { continue }
        creations.append(archiveAction(.rotate, file: file, stamp: now, reason: reasons.joined(separator: "; "), taken: &taken))
      }
    }

    // Limits on the existing archives plus the ones about to be made.
    let limits = LimitPlanner(set: set, now: now)
    let pending = creations.map { ($0.archivePath ?? "", $0.estimatedArchiveBytes ?? 0, $0.stamp ?? now) }
    let limitResult = limits.plan(archives: listing.archives, pending: pending, space: listing.space)
    let doomed = Set(limitResult.deletions.map(\.path))

    // Stages for archives that survive.
    var stages: [PlannedAction] = []
    let rewrite = set.rewriteStages
    for archive in listing.archives where !doomed.contains(archive.path) {
      let age = now - archive.record.stamp
      let due = rewrite.filter { $0.after.seconds <= age }.map(\.profile.strength).max() ?? 0
      if due > archive.record.profileStrength, let profile = SanitizeProfile(strength: due) {
        let stage = rewrite.first { $0.profile == profile }!
        stages.append(
          PlannedAction(
            kind: .stage, path: archive.path, archivePath: nil, bytes: archive.status.size, estimatedArchiveBytes: nil,
            reason: "age \(PolicyDuration(seconds: age)) >= \(stage.after)", profile: profile, stamp: nil, limit: nil))
      } else if let next = rewrite.first(where: { $0.profile.strength > archive.record.profileStrength && $0.after.seconds > age }) {
        nextDue.append((archive.record.stamp + next.after.seconds, "\(next.profile.summary) for \(archive.record.fileName)"))
      }
    }
    if let maxAge = set.effectiveMaximumAge, let oldest = listing.archives.first(where: { !doomed.contains($0.path) }) {
      nextDue.append((oldest.record.stamp + maxAge.seconds + 1, "delete \(oldest.record.fileName) (max-age)"))
    }

    var actions: [PlannedAction] = []
    if limitResult.roomFirst {
      actions = limitResult.deletions + creations + stages
    } else {
      actions = creations + stages + limitResult.deletions
    }
    let next = nextDue.min { $0.0 < $1.0 }
    return SetPlan(
      setName: set.name, actions: actions, limitsFirst: limitResult.roomFirst, notes: notes,
      nextDue: next.map { (max($0.0, now), $0.1) }, unsatisfiable: limitResult.unsatisfiable)
  }

  private func archiveAction(_ kind: PlannedAction.Kind, file: LiveFile, stamp: Int64, reason: String, taken: inout Set<String>) -> PlannedAction {
    var name = ArchiveName(sourceFileName: file.name, stamp: stamp, compression: set.archive.compression)
    while taken.contains(name.fileName) { name.sequence += 1 }
    taken.insert(name.fileName)
    let estimate = Int64((Double(file.status.size) * estimatedRatio).rounded(.up))
    return PlannedAction(
      kind: kind, path: file.path, archivePath: set.archive.directory + "/" + name.fileName, bytes: file.status.size,
      estimatedArchiveBytes: estimate, reason: reason, profile: set.profileAtRotation, stamp: stamp, limit: nil)
  }
}

/// Chooses archives to delete so that every limit holds: max-age, max-count, max-size, keep-free, in that order,
/// always the set's oldest archives first (by the stamp in the name). Archives about to be made count towards the
/// limits but are never chosen before an older one.
public struct LimitPlanner {
  public var set: LogSetPolicy
  public var now: Int64

  public struct Result: Sendable {
    public var deletions: [PlannedAction]
    /// Space is short: deletions should run before new archives are written.
    public var roomFirst: Bool
    public var unsatisfiable: [String]
  }

  public init(set: LogSetPolicy, now: Int64) {
    self.set = set
    self.now = now
  }

  /// `pending`: archives the run will create (path, estimated bytes, stamp).
  public func plan(archives: [ArchiveFile], pending: [(path: String, bytes: Int64, stamp: Int64)], space: FileSystemSpace?) -> Result {
    var deletions: [PlannedAction] = []
    var unsatisfiable: [String] = []
    // Existing archives, oldest first; pending ones are newer than all of them.
    var remaining: [(path: String, bytes: Int64, stamp: Int64, existing: Bool)] =
      archives.sorted { ($0.record.stamp, $0.record.fileName) < ($1.record.stamp, $1.record.fileName) }
      .map { ($0.path, $0.status.size, $0.record.stamp, true) }
      + pending.sorted { $0.stamp < $1.stamp }.map { ($0.path, $0.bytes, $0.stamp, false) }

    func delete(at index: Int, limit: String, reason: String) {
      let item = remaining.remove(at: index)
      deletions.append(
        PlannedAction(
          kind: .delete, path: item.path, archivePath: nil, bytes: item.bytes, estimatedArchiveBytes: nil, reason: reason,
          profile: nil, stamp: item.stamp, limit: limit))
    }

    if let maxAge = set.effectiveMaximumAge {
      var i = 0
      while i < remaining.count {
        let age = now - remaining[i].stamp
        if remaining[i].existing && age > maxAge.seconds {
          delete(at: i, limit: "max-age", reason: "max-age: age \(PolicyDuration(seconds: age)) > \(maxAge)")
        } else {
          i += 1
        }
      }
    }
    if let maxCount = set.limits.maximumCount {
      while remaining.count > maxCount, remaining.first?.existing == true {
        delete(at: 0, limit: "max-count", reason: "max-count: \(remaining.count) archives > \(maxCount)")
      }
      if remaining.count > maxCount { unsatisfiable.append("max-count \(maxCount): only archives made in this run remain") }
    }
    if let maxSize = set.limits.maximumTotalBytes {
      var total = remaining.reduce(0) { $0 + $1.bytes }
      while total > maxSize, remaining.first?.existing == true {
        let bytes = remaining[0].bytes
        delete(at: 0, limit: "max-size", reason: "max-size: \(ByteCount.describe(total)) > \(ByteCount.policySpelling(maxSize))")
        total -= bytes
      }
      if total > maxSize { unsatisfiable.append("max-size \(ByteCount.policySpelling(maxSize)): the newest archives alone are \(ByteCount.describe(total))") }
    }
    var roomFirst = false
    if let space {
      let need = remaining.filter { !$0.existing }.reduce(0) { $0 + $1.bytes }
      let floor = set.limits.keepFree?.bytes(ofTotal: space.totalBytes) ?? 0
      var available = space.availableBytes + deletions.filter { $0.limit != nil }.reduce(0) { $0 + $1.bytes }
      if space.availableBytes < floor || space.availableBytes - need < floor || space.availableBytes < need {
        roomFirst = true
      }
      if set.limits.keepFree != nil {
        available -= need
        while available < floor, remaining.first?.existing == true {
          let bytes = remaining[0].bytes
          delete(at: 0, limit: "keep-free", reason: "keep-free: \(ByteCount.describe(max(0, available))) free < \(set.limits.keepFree!)")
          available += bytes
        }
        if available < floor {
          unsatisfiable.append("keep-free \(set.limits.keepFree!): \(ByteCount.describe(max(0, available))) free after deleting every archive this set may delete")
        }
      }
    }
    return Result(deletions: deletions, roomFirst: roomFirst, unsatisfiable: unsatisfiable)
  }
}

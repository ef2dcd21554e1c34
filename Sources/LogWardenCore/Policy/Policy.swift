/// A validated retention policy: global settings and log sets. Built only by `PolicyLoader`; every value has been
/// checked, so the planner and executor never re-validate.
public struct CompiledPolicy: Sendable {
  /// The policy file's path, as given (used in messages).
  public var file: String
  /// The policy format version (currently 1).
  public var version: Int
  /// Where the lock, the state database and the journal live. Absolute.
  public var stateDirectory: String
  /// The key file for `vendor` pseudonyms; required when a stage uses the `vendor` profile.
  public var keyFile: String?
  /// How long `run` waits for the lock by default (the CLI's `--wait` overrides it).
  public var lockWait: PolicyDuration
  /// The default time zone for schedules (IANA name; default `UTC`).
  public var timeZone: String
  /// Log sets, in file order.
  public var sets: [LogSetPolicy]

  /// The set with this name.
  public func set(named name: String) -> LogSetPolicy? { sets.first { $0.name == name } }

  /// The state database's path.
  public var stateDatabasePath: String { stateDirectory + "/state.sqlite" }
}

/// One group of logs handled the same way.
public struct LogSetPolicy: Sendable {
  /// A unique name (`[A-Za-z0-9._-]+`); it keys the set's records in the state database.
  public var name: String
  /// The directory holding the live logs. Absolute; never searched recursively.
  public var directory: String
  /// An fnmatch(3) pattern for file names in `directory` (no `/`).
  public var glob: String
  /// A sanitizer format name, or nil to detect it (`auto`).
  public var format: String?
  public var rotation: RotationPolicy
  public var archive: ArchivePolicy
  /// Sanitizing stages by archive age, ascending; a stage with `after == 0` runs when the archive is made.
  public var stages: [StagePolicy]
  public var limits: LimitsPolicy

  /// The profile applied when an archive is created (stage `at: rotation`), if any.
  public var profileAtRotation: SanitizeProfile? {
    if let first = stages.first, first.after == .zero, case .sanitize(let profile) = first.action { return profile }
    return nil
  }

  /// The age after which archives are deleted: the smaller of `limits.max-age` and a `delete` stage.
  public var effectiveMaximumAge: PolicyDuration? {
    let stageDelete = stages.first { $0.action == .delete }?.after
    switch (limits.maximumAge, stageDelete) {
    case (nil, nil): return nil
    case (let a?, nil): return a
    case (nil, let b?): return b
    case (let a?, let b?): return min(a, b)
    }
  }

  /// Sanitizing stages that rewrite existing archives (after > 0), ascending.
  public var rewriteStages: [(after: PolicyDuration, profile: SanitizeProfile)] {
    stages.compactMap { stage in
      if stage.after > .zero, case .sanitize(let p) = stage.action { return (stage.after, p) }
      return nil
    }
  }
}

/// How live logs become archives.
public enum RotationMode: String, Sendable, CaseIterable, Codable {
  /// The writer rolls its own files (Exchange `RECVyyyymmdd-n.LOG`, `L0000001.log`); closed files are archived.
  case closed
  /// Rename the live file, notify the writer to reopen, then archive the renamed file.
  case rename
  /// Copy the live file into an archive, then remove the copied prefix from it (collapse range) or truncate it.
  case copytruncate
}

/// A calendar period for scheduled rotation, in the set's time zone.
public enum RotationSchedule: String, Sendable, CaseIterable {
  case hourly, daily, weekly
}

/// How the writer is told to reopen its log after a rename.
public enum WriterNotification: Sendable, Equatable {
  /// The writer opens the file for each write (or is known not to need telling).
  case none
  /// Run a command with `/bin/sh -c`; exit status 0 is success.
  case command(String)
  /// Send a signal to the process whose id is in a pid file.
  case signal(pidFile: String, signal: Int32, signalName: String)
}

/// When and how live files rotate.
public struct RotationPolicy: Sendable {
  public var mode: RotationMode
  /// `closed`: how long a file must have been unmodified before it is archived (default 1h).
  public var quietPeriod: PolicyDuration
  /// `rename`/`copytruncate`: rotate when the live file is at least this big.
  public var maximumSize: Int64?
  /// `rename`/`copytruncate`: rotate when the last rotation (or the file's first sighting) is at least this old.
  public var maximumAge: PolicyDuration?
  /// `rename`/`copytruncate`: rotate once per calendar period.
  public var schedule: RotationSchedule?
  /// The IANA time zone that calendar periods are computed in.
  public var timeZone: String
  /// `rename`: how the writer is notified.
  public var notify: WriterNotification
  /// `rename`: how long a notify command may run.
  public var notifyTimeout: PolicyDuration
  /// `rename`: how long to wait for the writer to close the renamed file before archiving it (default 10s).
  public var releaseTimeout: PolicyDuration
  /// `rename`: create an empty live file (same owner and mode) right after the rename.
  public var createNewFile: Bool
  /// Rotate empty files (default false).
  public var rotateEmpty: Bool
  /// `copytruncate`: use `FALLOC_FL_COLLAPSE_RANGE` where the filesystem supports it (default true).
  public var useCollapseRange: Bool
}

/// Archive compression.
public enum ArchiveCompression: Sendable, Equatable, CustomStringConvertible {
  case gzip(level: Int)
  case zstd(level: Int)
  case none

  /// The file-name extension added to archives (`.gz`, `.zst`, or empty).
  public var fileExtension: String {
    switch self {
    case .gzip: return ".gz"
    case .zstd: return ".zst"
    case .none: return ""
    }
  }

  public var description: String {
    switch self {
    case .gzip(let level): return "gzip level \(level)"
    case .zstd(let level): return "zstd level \(level)"
    case .none: return "none"
    }
  }
}

/// Where archives go and how they are compressed.
public struct ArchivePolicy: Sendable {
  /// The archive directory. Absolute. Created (mode 0750) if missing.
  public var directory: String
  public var compression: ArchiveCompression
}

/// One stage of archive minimisation.
public struct StagePolicy: Sendable, Equatable {
  public enum Action: Sendable, Equatable {
    case sanitize(SanitizeProfile)
    case delete
  }
  /// Archive age at which the stage is due (0 = when the archive is made).
  public var after: PolicyDuration
  public var action: Action
}

/// Bounds on a set's archives. Deletion takes the set's own oldest archives first.
public struct LimitsPolicy: Sendable, Equatable {
  /// Delete archives older than this (age from the UTC stamp in the name, exact seconds).
  public var maximumAge: PolicyDuration?
  /// Keep the total size of the set's archives at or below this many bytes.
  public var maximumTotalBytes: Int64?
  /// Keep at least this much of the archive filesystem free, deleting the set's archives if needed.
  public var keepFree: SpaceFloor?
  /// Keep at most this many archives.
  public var maximumCount: Int?

  public init(maximumAge: PolicyDuration? = nil, maximumTotalBytes: Int64? = nil, keepFree: SpaceFloor? = nil, maximumCount: Int? = nil) {
    self.maximumAge = maximumAge
    self.maximumTotalBytes = maximumTotalBytes
    self.keepFree = keepFree
    self.maximumCount = maximumCount
  }
}

extension SanitizeProfile {
  /// Strength order: credentials < level4 < vendor. Stages may only strengthen.
  public var strength: Int {
    switch self {
    case .credentials: return 1
    case .level4: return 2
    case .vendor: return 3
    }
  }

  /// The profile with this strength (1...3).
  public init?(strength: Int) {
    guard let p = SanitizeProfile.allCases.first(where: { $0.strength == strength }) else { return nil }
    self = p
  }

  /// What the profile does, for plans and reports.
  public var summary: String {
    switch self {
    case .credentials: return "mask credentials"
    case .level4: return "drop bodies (level4)"
    case .vendor: return "pseudonymize (vendor)"
    }
  }
}

/// One crash-safe step, written to the journal before it changes anything and advanced as it goes. The next run reads
/// unfinished steps and either finishes them (when the data has already moved) or rolls them back (removing temporary
/// files); see `Recovery`.
public enum JournalStep: Codable, Sendable, Equatable {
  case archive(ArchiveStep)
  case copyTruncate(CopyTruncateStep)
  case stage(StageStep)
}

/// A file identity (device, inode).
public struct FileIdentity: Codable, Sendable, Hashable {
  public var device: UInt64
  public var inode: UInt64
  public init(device: UInt64, inode: UInt64) {
    self.device = device
    self.inode = inode
  }
  init(_ status: FileStatus) { self.init(device: status.device, inode: status.inode) }
}

/// Archiving one file: a closed file, or a live file renamed out of the writer's way (`rename` mode).
public struct ArchiveStep: Codable, Sendable, Equatable {
  public enum Phase: String, Codable, Sendable {
    /// `rename` only: about to rename the live file to `sourcePath`.
    case planned
    /// `rename` only: renamed; the writer has not been notified yet.
    case renamed
    /// Ready to compress `sourcePath` (closed files start here; renamed files after the writer was notified).
    case ready
    /// The temporary archive is complete, fsynced and verified; `archiveIdentity` names it.
    case written
  }
  public var phase: Phase
  public var mode: RotationMode
  /// The live path (`rename`) or the closed file's path.
  public var livePath: String
  /// The file being archived: the closed file, or the renamed (staged) live file.
  public var sourcePath: String
  public var source: FileIdentity
  public var temporaryPath: String
  public var archivePath: String
  public var stamp: Int64
  public var profileStrength: Int
  public var archiveIdentity: FileIdentity?
  public var contentBytes: Int64
  public var contentCRC: UInt32
  public var archiveBytes: Int64
}

/// Copying a live file's prefix into an archive and removing that prefix from the live file.
public struct CopyTruncateStep: Codable, Sendable, Equatable {
  public enum Phase: String, Codable, Sendable {
    /// Copying into the temporary archive.
    case copying
    /// The temporary archive is complete and verified; the live prefix is about to be removed.
    case written
    /// The archive is published and recorded; only the prefix removal may remain.
    case published
  }
  public enum Method: String, Codable, Sendable {
    /// `FALLOC_FL_COLLAPSE_RANGE` removes exactly the archived prefix; nothing is lost.
    case collapse
    /// `ftruncate(0)` after the copy; bytes written in between are at risk.
    case truncate
  }
  public var phase: Phase
  public var method: Method
  public var livePath: String
  public var live: FileIdentity
  public var temporaryPath: String
  public var archivePath: String
  public var stamp: Int64
  public var profileStrength: Int
  /// Raw bytes of the live file the archive covers (`[0, prefixLength)`).
  public var prefixLength: Int64
  /// CRC-32 of the raw prefix (holes as zeros), to tell on recovery whether it is still in the live file.
  public var prefixCRC: UInt32
  /// CRC-32 of the first `min(4096, prefixLength)` raw bytes (truncate method: detects whether truncation happened).
  public var headCRC: UInt32
  public var archiveIdentity: FileIdentity?
  public var contentBytes: Int64
  public var contentCRC: UInt32
  public var archiveBytes: Int64
}

/// Rewriting an archive with a stronger sanitizing profile.
public struct StageStep: Codable, Sendable, Equatable {
  public var archivePath: String
  public var temporaryPath: String
  public var fromStrength: Int
  public var toStrength: Int
  /// Set once the temporary file is complete and verified (before it replaces the archive).
  public var temporaryIdentity: FileIdentity?
  public var contentBytes: Int64
  public var contentCRC: UInt32
  public var archiveBytes: Int64
}

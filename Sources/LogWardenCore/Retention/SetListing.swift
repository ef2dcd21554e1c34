#if canImport(Glibc)
import Glibc
#endif

/// A live log file selected by a set's directory and glob.
public struct LiveFile: Sendable, Equatable {
  public var path: String
  public var name: String
  public var status: FileStatus
}

/// A file the set's glob selected but that is never touched, and why.
public struct Refusal: Sendable, Equatable, Codable {
  public var path: String
  public var reason: String
}

/// A recorded archive that is present on disk.
public struct ArchiveFile: Sendable, Equatable {
  public var record: ArchiveRecord
  public var status: FileStatus
  public var path: String { record.path }
}

/// Everything the planner needs to know about one set, read from disk and the state database.
public struct SetListing: Sendable {
  public var setName: String
  /// The live directory, symlinks resolved.
  public var directory: String
  public var liveFiles: [LiveFile] = []
  public var refusals: [Refusal] = []
  /// Recorded archives present on disk, oldest first.
  public var archives: [ArchiveFile] = []
  /// Recorded archives whose files are gone (deleted by someone else).
  public var vanishedArchives: [ArchiveRecord] = []
  /// Files in the archive directory that look like archives but are not recorded for this set.
  public var unmanagedArchiveCount = 0
  public var unmanagedArchiveBytes: Int64 = 0
  /// Names already taken in the archive directory (for choosing unique archive names).
  public var archiveDirectoryNames: Set<String> = []
  /// Temporary files left by an interrupted step (the journal decides what happens to them).
  public var temporaryFiles: [String] = []
  public var sources: [String: SourceRecord] = [:]
  /// Space on the archive directory's filesystem.
  public var space: FileSystemSpace?
  public var openFiles: Set<FileIdentity> = []
  public var archiveDirectoryExists = false
  /// Renamed live files (`.<name>.logwarden-rotated-<stamp>`) that no journal entry refers to.
  public var orphanedRotations: [LiveFile] = []
}

/// Reads a set's files. Never changes anything.
public struct SetScanner {
  let fileSystem: FileSystem
  let store: StateStore
  let probe: OpenFileProbe

  public init(fileSystem: FileSystem, store: StateStore, probe: OpenFileProbe) {
    self.fileSystem = fileSystem
    self.store = store
    self.probe = probe
  }

  /// Extensions of files that are already compressed: never selected as live logs (no `.gz.gz`).
  static let compressedExtensions = [".gz", ".zst", ".bz2", ".xz", ".lz4", ".Z", ".zip"]

  /// Whether a file name in a live directory is one of ours or already compressed (silently skipped).
  static func isExcludedFromLive(_ name: String) -> Bool {
    if TransientName.isTransient(name) { return true }
    if compressedExtensions.contains(where: { name.hasSuffix($0) }) { return true }
    return ArchiveName.parse(name) != nil
  }

  public func scan(_ set: LogSetPolicy) throws(LogWardenError) -> SetListing {
    guard let directoryStatus = try fileSystem.status(ofPath: set.directory) else {
      throw .io(operation: "open", path: set.directory, errno: ENOENT)
    }
    var directory = set.directory
    if directoryStatus.kind == .symlink {
      guard let resolved = realpath(set.directory, nil) else { throw .io(operation: "realpath", path: set.directory, errno: errno) }
      directory = String(cString: resolved)
      free(resolved)
    }
    guard try fileSystem.status(ofPath: directory)?.kind == .directory else {
      throw .io(operation: "opendir", path: set.directory, errno: ENOTDIR)
    }
    var listing = SetListing(setName: set.name, directory: directory)
    listing.openFiles = probe.openFiles()

    let journaled = Set(try store.journal().compactMap { entry -> String? in
      if case .archive(let step)? = entry.step { return step.sourcePath }
      return nil
    })
    for name in try fileSystem.contentsOfDirectory(directory).sorted() {
      if let staged = TransientName.parseStaged(name), fnmatch(set.glob, staged.liveName, FNM_PERIOD) == 0 {
        let path = directory + "/" + name
        if !journaled.contains(path), let status = try fileSystem.status(ofPath: path), status.kind == .regular, status.linkCount == 1 {
          listing.orphanedRotations.append(LiveFile(path: path, name: name, status: status))
        }
        continue
      }
      guard fnmatch(set.glob, name, FNM_PERIOD) == 0, !Self.isExcludedFromLive(name) else { continue }
      let path = directory + "/" + name
      guard let status = try fileSystem.status(ofPath: path) else { continue }
      switch status.kind {
      case .regular:
        if status.linkCount > 1 {
          listing.refusals.append(Refusal(path: path, reason: "hard link (\(status.linkCount) names); not rotated"))
        } else {
          listing.liveFiles.append(LiveFile(path: path, name: name, status: status))
        }
      case .directory:
        continue
      case .symlink:
        listing.refusals.append(Refusal(path: path, reason: "symbolic link; not rotated"))
      case .fifo:
        listing.refusals.append(Refusal(path: path, reason: "FIFO; not rotated"))
      default:
        listing.refusals.append(Refusal(path: path, reason: "not a regular file (\(status.kind.rawValue)); not rotated"))
      }
    }
    for source in try store.sources(setName: set.name) { listing.sources[source.path] = source }

    let records = try store.archives(setName: set.name)
    if let archiveStatus = try fileSystem.status(ofPath: set.archive.directory) {
      guard archiveStatus.kind == .directory else {
        throw .io(operation: "opendir", path: set.archive.directory, errno: ENOTDIR)
      }
      listing.archiveDirectoryExists = true
      let names = try fileSystem.contentsOfDirectory(set.archive.directory)
      listing.archiveDirectoryNames = Set(names)
      let recorded = Dictionary(records.map { ($0.fileName, $0) }, uniquingKeysWith: { a, _ in a })
      for name in names.sorted() {
        let path = set.archive.directory + "/" + name
        if TransientName.isTemporary(name) {
          listing.temporaryFiles.append(path)
          continue
        }
        guard ArchiveName.parse(name) != nil else { continue }
        if recorded[name] == nil {
          if let st = try fileSystem.status(ofPath: path), st.kind == .regular {
            listing.unmanagedArchiveCount += 1
            listing.unmanagedArchiveBytes += st.size
          }
        }
      }
      listing.space = try fileSystem.space(ofFileSystemAt: set.archive.directory)
    } else {
      listing.space = try fileSystem.space(ofFileSystemAt: directory)
    }
    for record in records {
      // Ownership: recorded for this set AND the name parses AND it is a regular file in the archive directory.
      guard ArchiveName.parse(record.fileName) != nil, record.directory == set.archive.directory else { continue }
      if listing.archiveDirectoryExists, let status = try fileSystem.status(ofPath: record.path), status.kind == .regular {
        listing.archives.append(ArchiveFile(record: record, status: status))
      } else {
        listing.vanishedArchives.append(record)
      }
    }
    return listing
  }
}

#if canImport(Glibc)
import Glibc
#endif

/// A temporary archive being written next to its final name.
struct TemporaryArchive {
  var path: String
  var fd: Int32
  var directory: String
}

/// What was written into a temporary archive: the content (after sanitizing) as checked by reading it back.
struct WrittenContent {
  var contentBytes: Int64
  var contentCRC: UInt32
  var archiveBytes: Int64
  var identity: FileIdentity
  var report: FileReport?
}

/// The file-level steps every archive goes through: create a temporary file (never world-readable beyond its
/// source), compress (and sanitize) into it, fsync, read it back and check length and CRC, then publish it under a
/// name that does not exist yet (`link`, so an existing archive is never overwritten) and fsync the directory.
struct ArchiveWriter {
  let fileSystem: FileSystem
  let filter: ArchiveContentFilter

  /// A fresh temporary path for `finalPath`.
  static func temporaryPath(for finalPath: String) -> String {
    let (directory, name) = splitPath(finalPath)
    let token = String(UInt64(getpid()), radix: 16) + "-" + String(UInt64.random(in: 0...UInt64(UInt32.max)), radix: 16)
    return directory + "/" + TransientName.temporary(forFinal: name, token: token)
  }

  /// Creates the temporary file with the source's owner and permissions (minus execute and set-id bits). When the
  /// owner cannot be set (not running as root), group and others lose all access instead: an archive is never
  /// readable by anyone who could not read its source. Returns a warning in that case.
  func create(_ path: String, owner: UInt32, group: UInt32, permissions: UInt32) throws(LogWardenError) -> (TemporaryArchive, String?) {
    let fd = try fileSystem.createExclusive(path, permissions: 0o600)
    var warning: String? = nil
    var mode = permissions & 0o666
    do {
      try fileSystem.setOwner(fd, owner: owner, group: group, path: path)
    } catch {
      if getuid() != owner || getgid() != group {
        mode &= 0o600
        warning = "cannot give \(path) the source's owner (\(owner):\(group)); archive made readable by its owner only"
      }
    }
    do {
      try fileSystem.setPermissions(fd, mode, path: path)
    } catch {
      fileSystem.close(fd)
      try? fileSystem.removeFile(path)
      throw error
    }
    return (TemporaryArchive(path: path, fd: fd, directory: Self.splitPath(path).0), warning)
  }

  /// Streams `source` through the filter (when `profile` is set) and the codec into the temporary file.
  /// Returns the CRC and length of the content written (before compression).
  func compress(
    from source: ByteSource, sourceName: String, into temporary: TemporaryArchive, codec: ArchiveCodec,
    profile: SanitizeProfile?, format: String?, keyFile: String?
  ) throws(LogWardenError) -> (crc: UInt32, bytes: Int64, report: FileReport?) {
    let fileSink = FileSystemSink(fileSystem: fileSystem, fd: temporary.fd, path: temporary.path)
    let encoder = try codec.encoder(writingTo: fileSink, name: temporary.path)
    // The parallel gzip sink already computes the content's CRC (libdeflate, per member, combined): use it rather than
    // checksumming every byte a second time on the producing thread.
    let parallel = encoder as? ParallelGzipSink
    let checksum: ChecksummingSink? = parallel == nil ? ChecksummingSink(next: encoder) : nil
    let sink: ByteSink = checksum ?? encoder
    var report: FileReport? = nil
    if let profile {
      report = try filter.filter(
        source: source, sink: sink, name: sourceName, profile: profile, format: format, keyFile: keyFile)
      try sink.finish()  // idempotent if the filter already finished it
    } else {
      try StreamCopy.copy(from: source, to: sink)
    }
    if let parallel { return (parallel.contentCRC32, Int64(parallel.uncompressedByteCount), report) }
    return (checksum!.crc, checksum!.count, report)
  }

  /// Sets the modification time, fsyncs and closes the temporary file.
  func seal(_ temporary: TemporaryArchive, modified: (seconds: Int64, nanoseconds: Int64)?) throws(LogWardenError) {
    defer { fileSystem.close(temporary.fd) }
    if let modified {
      try fileSystem.setModificationTime(temporary.fd, seconds: modified.seconds, nanoseconds: modified.nanoseconds, path: temporary.path)
    }
    try fileSystem.synchronize(temporary.fd, path: temporary.path)
  }

  /// Reads the archive back through its decoder and checks that it holds exactly the expected content.
  func verify(_ path: String, compressionExtension: String, crc: UInt32, bytes: Int64) throws(LogWardenError) -> FileStatus {
    let fd = try fileSystem.openForReading(path)
    defer { fileSystem.close(fd) }
    let status = try fileSystem.status(ofDescriptor: fd, path: path)
    let raw = FileSystemSource(fileSystem: fileSystem, fd: fd, path: path)
    let found = try ArchiveCodecs.forReading(compressionExtension: compressionExtension).verify(raw, name: path)
    guard found.bytes == bytes, found.crc == crc else {
      throw .badInput(path: path, reason: "archive check failed: read back \(found.bytes) bytes with a different checksum than the \(bytes) bytes written")
    }
    return status
  }

  /// Removes a temporary file, ignoring errors (used on failure paths).
  func discard(_ path: String) {
    try? fileSystem.removeFile(path)
  }

  /// The first name at or after `finalPath` (adding `-<n>`) that does not exist.
  func freeName(for finalPath: String) throws(LogWardenError) -> String {
    let (directory, name) = Self.splitPath(finalPath)
    guard var parsed = ArchiveName.parse(name) else { return finalPath }
    var candidate = finalPath
    while try fileSystem.status(ofPath: candidate) != nil {
      parsed.sequence += 1
      candidate = directory + "/" + parsed.fileName
    }
    return candidate
  }

  /// Publishes the temporary file under `finalPath` (or the next free `-<n>` name if it was taken meanwhile):
  /// `link` never replaces an existing file. Then removes the temporary name and fsyncs the directory.
  func publish(_ temporaryPath: String, as finalPath: String) throws(LogWardenError) -> String {
    var target = finalPath
    for _ in 0..<1000 {
      do {
        try fileSystem.link(temporaryPath, to: target)
        try fileSystem.removeFile(temporaryPath)
        try fileSystem.synchronizeDirectory(Self.splitPath(target).0)
        return target
      } catch let error {
        guard case .io(_, _, let code) = error, code == EEXIST else { throw error }
        target = try freeName(for: target)
      }
    }
    throw .io(operation: "link", path: finalPath, errno: EEXIST)
  }

  /// Creates the archive directory (and missing parents) with mode 0750, owned like the live directory.
  func ensureDirectory(_ path: String, ownerLike reference: FileStatus?) throws(LogWardenError) {
    if let status = try fileSystem.status(ofPath: path) {
      guard status.kind == .directory else { throw .io(operation: "mkdir", path: path, errno: ENOTDIR) }
      return
    }
    let (parent, _) = Self.splitPath(path)
    if parent != path && parent != "/" { try ensureDirectory(parent, ownerLike: reference) }
    do {
      try fileSystem.createDirectory(path, permissions: 0o750)
    } catch let error {
      guard case .io(_, _, let code) = error, code == EEXIST else { throw error }
    }
    if let reference, getuid() == 0 { chown(path, reference.owner, reference.group) }
    try fileSystem.synchronizeDirectory(parent)
  }

  static func splitPath(_ path: String) -> (String, String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = slash == path.startIndex ? "/" : String(path[..<slash])
    return (directory, String(path[path.index(after: slash)...]))
  }
}

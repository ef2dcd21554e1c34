import SystemZlib
#if canImport(Glibc)
import Glibc
#endif

/// copytruncate, for writers that never reopen their file.
///
/// With `collapse` (the default, where the filesystem supports `FALLOC_FL_COLLAPSE_RANGE`: ext4, XFS): archive the
/// prefix of the live file up to the last line end that falls on a block boundary, publish and record that archive,
/// then remove exactly that prefix from the live file in place. The writer keeps appending throughout and no line is
/// lost or duplicated; a file with no block-aligned line end yet is left for a later run.
///
/// Without it: copy the file, keep copying what is appended meanwhile until it stops growing, fsync and verify, copy
/// the last tail, truncate to zero, then publish. Bytes written between the last tail read and the truncation are lost;
/// the report estimates them (`bytesAtRisk`). NUL bytes (the hole a writer without O_APPEND leaves at the start of a
/// truncated file) are skipped in both methods.
extension SetExecutor {
  func copyTruncate(_ file: LiveFile, action: PlannedAction) throws(LogWardenError) {
    var entry = ActionReport(kind: "rotate", path: file.path, reason: action.reason, outcome: .failed)
    entry.bytesIn = file.status.size
    entry.profile = set.profileAtRotation?.rawValue
    defer { report.actions.append(entry) }
    if prefixRemovalPending.contains(file.path) {
      entry.outcome = .skipped
      entry.reason += "; an archived prefix still waits to be removed from this file"
      return
    }
    do throws(LogWardenError) {
      try copyTruncateSteps(file, action: action, entry: &entry)
    } catch let error where !error.isCrash {
      entry.outcome = .failed
      entry.error = "\(error); the live file is unchanged"
    }
  }

  private func copyTruncateSteps(_ file: LiveFile, action: PlannedAction, entry: inout ActionReport) throws(LogWardenError) {
    let fd = try fileSystem.openForUpdate(file.path)
    defer { fileSystem.close(fd) }
    let status = try fileSystem.status(ofDescriptor: fd, path: file.path)
    guard status.kind == .regular, FileIdentity(status) == FileIdentity(file.status), status.linkCount == 1 else {
      throw LogWardenError.badInput(path: file.path, reason: "changed since it was planned (or is not a single regular file); left alone")
    }
    let directory = ArchiveWriter.splitPath(file.path).0
    let method: CopyTruncateStep.Method =
      set.rotation.useCollapseRange && collapseSupported(in: directory) ? .collapse : .truncate
    entry.method = method.rawValue
    var prefix = status.size
    if method == .collapse {
      guard let aligned = try alignedLineEnd(fd, path: file.path, size: status.size, blockSize: max(status.blockSize, 512)) else {
        entry.outcome = .skipped
        entry.error = nil
        entry.reason += "; no line ends on a block boundary yet, nothing rotated (no line is ever split)"
        return
      }
      prefix = aligned
    }
    let final = try writer.freeName(for: action.archivePath!)
    var step = CopyTruncateStep(
      phase: .copying, method: method, livePath: file.path, live: FileIdentity(status),
      temporaryPath: ArchiveWriter.temporaryPath(for: final), archivePath: final, stamp: action.stamp ?? now,
      profileStrength: set.profileAtRotation?.strength ?? 0, prefixLength: prefix, prefixCRC: 0, headCRC: 0,
      archiveIdentity: nil, contentBytes: 0, contentCRC: 0, archiveBytes: 0)
    let id = try store.beginStep(setName: set.name, .copyTruncate(step), at: now)

    let (temporary, warning) = try writer.create(step.temporaryPath, owner: status.owner, group: status.group, permissions: status.permissions)
    if let warning { report.warnings.append(warning) }
    var temporaryOpen = true
    var truncated = false
    do throws(LogWardenError) {
      let started = environment.monotonicNow()
      let source = HoleSkippingSource(
        fileSystem: fileSystem, fd: fd, path: file.path, limit: prefix,
        currentSize: method == .truncate ? { [fileSystem] () throws(LogWardenError) -> Int64 in
          try fileSystem.status(ofDescriptor: fd, path: file.path).size
        } : nil)
      let codec = ArchiveCodecs.make(for: set.archive.compression)
      let profile = SanitizeProfile(strength: step.profileStrength)
      let result = try writer.compress(
        from: source, sourceName: file.path, into: temporary, codec: codec, profile: profile, format: set.format,
        keyFile: policy.keyFile)
      try fileSystem.synchronize(temporary.fd, path: temporary.path)
      var verified = try writer.verify(temporary.path, compressionExtension: set.archive.compression.fileExtension, crc: result.crc, bytes: result.bytes)
      step.prefixLength = source.limit
      step.prefixCRC = source.rawCRC
      step.headCRC = try headChecksum(fd, path: file.path, length: source.limit)
      step.contentBytes = result.bytes
      step.contentCRC = result.crc
      var nulDropped = source.nulBytesDropped
      entry.sanitize = result.report
      if method == .truncate { entry.bytesAppendedDuringCopy = source.limit - status.size }
      step.phase = .written
      step.archiveIdentity = FileIdentity(verified)
      step.archiveBytes = verified.size
      try store.updateStep(id, .copyTruncate(step))
      try checkpoint(.copyTruncateWritten)

      if method == .truncate {
        // The last tail: read what arrived during fsync and verification, append it as one more member, truncate.
        let copySeconds = max(environment.monotonicNow() - started, 1e-6)
        let windowStart = environment.monotonicNow()
        let size = try fileSystem.status(ofDescriptor: fd, path: file.path).size
        var tailBytes: Int64 = 0
        if size > step.prefixLength {
          let tail = HoleSkippingSource(fileSystem: fileSystem, fd: fd, path: file.path, start: step.prefixLength, limit: size)
          let tailResult = try writer.compress(
            from: tail, sourceName: file.path, into: temporary, codec: codec, profile: profile, format: set.format,
            keyFile: policy.keyFile)
          try fileSystem.synchronize(temporary.fd, path: temporary.path)
          tailBytes = size - step.prefixLength
          step.contentCRC = crc32Combine(step.contentCRC, tailResult.crc, tailResult.bytes)
          step.contentBytes += tailResult.bytes
          nulDropped += tail.nulBytesDropped
          step.prefixLength = size
        }
        try fileSystem.truncate(fd, toLength: 0, path: file.path)
        truncated = true
        let window = environment.monotonicNow() - windowStart
        try fileSystem.synchronize(fd, path: file.path)
        let rate = Double((entry.bytesAppendedDuringCopy ?? 0) + tailBytes) / (copySeconds + window)
        entry.bytesAppendedDuringCopy = (entry.bytesAppendedDuringCopy ?? 0) + tailBytes
        entry.bytesAtRisk = Int64((rate * window).rounded(.up))
        verified = try writer.verify(temporary.path, compressionExtension: set.archive.compression.fileExtension, crc: step.contentCRC, bytes: step.contentBytes)
        step.archiveBytes = verified.size
      }
      entry.nulBytesDropped = nulDropped
      try writer.seal(temporary, modified: nil)
      temporaryOpen = false
    } catch let error where !error.isCrash {
      if temporaryOpen { fileSystem.close(temporary.fd) }
      if truncated {
        // The content now lives only in the temporary archive: keep it and let recovery publish it.
        report.errors.append("\(file.path) was truncated but its archive could not be finished (\(error)); the next run publishes \(temporary.path)")
        throw error
      }
      writer.discard(temporary.path)
      try? store.updateStep(id, nil)
      throw error
    }

    let published = try writer.publish(step.temporaryPath, as: step.archivePath)
    step.archivePath = published
    step.phase = .published
    let (archiveDirectory, archiveName) = ArchiveWriter.splitPath(published)
    let record = ArchiveRecord(
      setName: set.name, directory: archiveDirectory, fileName: archiveName, sourcePath: file.path, stamp: step.stamp,
      createdAt: now, profileStrength: step.profileStrength, bytes: step.archiveBytes, contentBytes: step.contentBytes,
      contentCRC: step.contentCRC)
    try store.recordArchive(record, journal: (id, .copyTruncate(step)), lastRotated: (set.name, file.path, now))
    try checkpoint(.copyTruncatePublished)
    entry.archivePath = published
    entry.bytesOut = step.archiveBytes
    if method == .collapse {
      do throws(LogWardenError) {
        try fileSystem.collapsePrefix(fd, length: step.prefixLength, path: file.path)
        try fileSystem.synchronize(fd, path: file.path)
      } catch let error where !error.isCrash {
        // Undo the publication: the live file still holds everything.
        try? fileSystem.removeFile(published)
        try? store.removeArchive(directory: archiveDirectory, fileName: archiveName, clearingJournal: id)
        entry.archivePath = nil
        throw error
      }
      try checkpoint(.copyTruncateRemoved)
    }
    try store.updateStep(id, nil)
    entry.outcome = .done
  }

  /// The largest multiple of `blockSize` below `size` whose preceding byte is a newline. (Strictly below: the
  /// kernel refuses to collapse a range that reaches the end of the file.)
  func alignedLineEnd(_ fd: Int32, path: String, size: Int64, blockSize: Int64) throws(LogWardenError) -> Int64? {
    guard size > 0 else { return nil }
    var block = (size - 1) / blockSize
    let one = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
    defer { one.deallocate() }
    var checked = 0
    while block > 0 && checked < 1 << 20 {
      let offset = block * blockSize - 1
      let n = try fileSystem.read(fd, into: one, at: offset, path: path)
      let byte = one[0]
      if n == 1 && byte == UInt8(ascii: "\n") { return block * blockSize }
      block -= 1
      checked += 1
    }
    return nil
  }

  /// CRC-32 of the first min(4096, length) raw bytes.
  func headChecksum(_ fd: Int32, path: String, length: Int64) throws(LogWardenError) -> UInt32 {
    let count = Int(min(4096, length))
    let head = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 16)
    defer { head.deallocate() }
    var got = 0
    while got < count {
      let n = try fileSystem.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: head[got..<count]), at: Int64(got), path: path)
      if n == 0 { break }
      got += n
    }
    return Checksum.crc32(UnsafeRawBufferPointer(rebasing: head[0..<got]), continuing: 0)
  }

  /// Whether `FALLOC_FL_COLLAPSE_RANGE` works in `directory` (probed once per directory with a scratch file).
  func collapseSupported(in directory: String) -> Bool {
    if let known = collapseSupport[directory] { return known }
    let probe = directory + "/" + TransientName.temporary(forFinal: "collapse-probe", token: String(getpid()))
    var supported = false
    if let fd = try? fileSystem.createExclusive(probe, permissions: 0o600) {
      let block = (try? fileSystem.status(ofDescriptor: fd, path: probe).blockSize) ?? 4096
      let data = [UInt8](repeating: UInt8(ascii: "\n"), count: Int(block) * 2)
      if (try? fileSystem.write(fd, data, path: probe)) != nil,
        (try? fileSystem.collapsePrefix(fd, length: block, path: probe)) != nil,
        (try? fileSystem.status(ofDescriptor: fd, path: probe).size) == block
      {
        supported = true
      }
      fileSystem.close(fd)
      try? fileSystem.removeFile(probe)
    }
    collapseSupport[directory] = supported
    return supported
  }
}

/// zlib's `crc32_combine`: the CRC of A followed by B from the CRCs of A and B and B's length.
func crc32Combine(_ a: UInt32, _ b: UInt32, _ lengthB: Int64) -> UInt32 {
  UInt32(truncatingIfNeeded: crc32_combine(UInt(a), UInt(b), off_t(lengthB)))
}

/// Finishes or rolls back steps cut off by a crash, kill -9 or power loss, from their journal entries.
///
/// The rule: once data has moved somewhere that is not its final place (a renamed live file, a truncated live file's
/// temporary archive), the step is finished; otherwise it is rolled back by removing the temporary file. A source is
/// never removed unless its archive is recorded.
extension SetExecutor {
  func recover(id: Int64, step: JournalStep) throws(LogWardenError) {
    switch step {
    case .archive(let s): try recoverArchive(id: id, s)
    case .copyTruncate(let s): try recoverCopyTruncate(id: id, s)
    case .stage(let s): try recoverStage(id: id, s)
    }
  }

  private func recoveryEntry(_ path: String, _ what: String) -> ActionReport {
    ActionReport(kind: "recover", path: path, reason: what, outcome: .failed)
  }

  private func recorded(_ path: String) throws(LogWardenError) -> ArchiveRecord? {
    let (directory, name) = ArchiveWriter.splitPath(path)
    guard let record = try store.archive(directory: directory, fileName: name), record.setName == set.name else { return nil }
    return record
  }

  // MARK: Archive (closed and rename)

  private func recoverArchive(id: Int64, _ initial: ArchiveStep) throws(LogWardenError) {
    var step = initial
    var entry = recoveryEntry(step.livePath, "interrupted \(step.mode == .rename ? "rotation" : "archiving") (\(step.phase.rawValue))")
    var reportHere = true
    defer { if reportHere { report.actions.append(entry) } }
    do throws(LogWardenError) {
      let sourceStatus = try fileSystem.status(ofPath: step.sourcePath)
      let sourcePresent = sourceStatus.map { FileIdentity($0) == step.source } ?? false

      if step.phase == .planned {
        if sourcePresent {
          step.phase = .renamed  // the rename happened
        } else {
          // The rename never happened (or the file is gone): nothing to finish.
          try store.updateStep(id, nil)
          entry.outcome = .done
          entry.reason += ": nothing had changed; rolled back"
          return
        }
      }
      if let record = try recorded(step.archivePath) {
        // Archive published and recorded: only the source removal may be missing.
        _ = record
        try removeSource(step)
        try store.updateStep(id, nil)
        entry.archivePath = step.archivePath
        entry.outcome = .done
        entry.reason += ": archive was recorded; source removed"
        return
      }
      if step.phase == .written, let identity = step.archiveIdentity {
        let final = try fileSystem.status(ofPath: step.archivePath).map(FileIdentity.init)
        let temporary = try fileSystem.status(ofPath: step.temporaryPath).map(FileIdentity.init)
        if final == identity || temporary == identity {
          let published = try completeWrittenArchive(step, journalID: id, entry: &entry)
          entry.archivePath = published
          entry.outcome = .done
          entry.reason += ": verified archive published"
          return
        }
      }
      // Roll back the write; redo it if the source is still there.
      if try fileSystem.status(ofPath: step.temporaryPath) != nil { writer.discard(step.temporaryPath) }
      guard sourcePresent else {
        try store.updateStep(id, nil)
        entry.outcome = .done
        entry.reason += ": source no longer present; nothing to do"
        report.warnings.append("\(step.sourcePath) disappeared before its interrupted archiving could be finished")
        return
      }
      if step.mode == .rename && step.sourcePath != step.livePath {
        // A renamed live file: its data exists nowhere else, so it is always archived.
        if step.phase == .renamed {
          // Not known to be notified: notify (once for the set) and archive with this run's rotations.
          step.temporaryPath = ArchiveWriter.temporaryPath(for: step.archivePath)
          step.archivePath = try writer.freeName(for: step.archivePath)
          try store.updateStep(id, .archive(step))
          entry.reason += ": renamed file archived after notifying the writer"
          entry.bytesIn = sourceStatus?.size
          report.actions.append(entry)
          reportHere = false
          pendingRenamed.append((step, id, report.actions.count - 1))
          return
        }
      } else if step.mode == .closed {
        // A closed file stays where it is; the normal plan archives it again.
        try store.updateStep(id, nil)
        entry.outcome = .done
        entry.reason += ": rolled back; the file is archived again by this run's plan"
        return
      }
      step.phase = .ready
      step.archiveIdentity = nil
      step.temporaryPath = ArchiveWriter.temporaryPath(for: step.archivePath)
      step.archivePath = try writer.freeName(for: step.archivePath)
      try store.updateStep(id, .archive(step))
      guard waitForRelease(step.source, path: step.sourcePath) else {
        entry.outcome = .skipped
        report.warnings.append("\(step.sourcePath) (rotated from \(step.livePath)) is still open by the writer; archived by a later run")
        return
      }
      let published = try finishArchive(step, journalID: id, expected: nil, entry: &entry)
      entry.archivePath = published
      entry.outcome = .done
      entry.reason += ": rotated file archived"
    } catch let error where !error.isCrash {
      entry.error = error.description
    }
  }

  // MARK: copytruncate

  private func recoverCopyTruncate(id: Int64, _ initial: CopyTruncateStep) throws(LogWardenError) {
    var step = initial
    var entry = recoveryEntry(step.livePath, "interrupted copytruncate (\(step.phase.rawValue), \(step.method.rawValue))")
    defer { report.actions.append(entry) }
    do throws(LogWardenError) {
      let live = try fileSystem.status(ofPath: step.livePath)
      let liveIsSame = live.map { FileIdentity($0) == step.live && $0.kind == .regular } ?? false
      switch step.phase {
      case .copying:
        if try fileSystem.status(ofPath: step.temporaryPath) != nil { writer.discard(step.temporaryPath) }
        try store.updateStep(id, nil)
        entry.reason += ": partial archive removed; the live file was not changed"
      case .written:
        let final = try fileSystem.status(ofPath: step.archivePath).map(FileIdentity.init)
        let temporary = try fileSystem.status(ofPath: step.temporaryPath).map(FileIdentity.init)
        let published = final != nil && final == step.archiveIdentity
        var mustPublish = published
        if step.method == .truncate && !published && temporary != nil && liveIsSame {
          // Truncated already? Then the temporary archive holds data found nowhere else.
          let fd = try fileSystem.openForReading(step.livePath)
          defer { fileSystem.close(fd) }
          let size = try fileSystem.status(ofDescriptor: fd, path: step.livePath).size
          let head = try headChecksum(fd, path: step.livePath, length: step.prefixLength)
          mustPublish = size < step.prefixLength || head != step.headCRC
        } else if step.method == .truncate && !published && temporary != nil && !liveIsSame {
          mustPublish = true  // the live file is gone; keep what was copied
        }
        if !mustPublish {
          if temporary != nil { writer.discard(step.temporaryPath) }
          try store.updateStep(id, nil)
          entry.reason += ": live file was not changed; partial archive removed"
          break
        }
        var archivePath = step.archivePath
        if !published {
          // Check the archive decodes completely before publishing it.
          let fd = try fileSystem.openForReading(step.temporaryPath)
          let status = try fileSystem.status(ofDescriptor: fd, path: step.temporaryPath)
          defer { fileSystem.close(fd) }
          let found = try ArchiveCodecs.forReading(compressionExtension: set.archive.compression.fileExtension)
            .verify(FileSystemSource(fileSystem: fileSystem, fd: fd, path: step.temporaryPath), name: step.temporaryPath)
          step.contentBytes = found.bytes
          step.contentCRC = found.crc
          step.archiveBytes = status.size
          archivePath = try writer.publish(step.temporaryPath, as: step.archivePath)
        }
        step.archivePath = archivePath
        step.phase = .published
        let (directory, name) = ArchiveWriter.splitPath(archivePath)
        let record = ArchiveRecord(
          setName: set.name, directory: directory, fileName: name, sourcePath: step.livePath, stamp: step.stamp,
          createdAt: now, profileStrength: step.profileStrength, bytes: step.archiveBytes,
          contentBytes: step.contentBytes, contentCRC: step.contentCRC)
        try store.recordArchive(record, journal: (id, .copyTruncate(step)), lastRotated: (set.name, step.livePath, now))
        entry.archivePath = archivePath
        if try finishCollapse(step, liveIsSame: liveIsSame) {
          try store.updateStep(id, nil)
        }
        entry.reason += ": archive published"
      case .published:
        if try finishCollapse(step, liveIsSame: liveIsSame) {
          try store.updateStep(id, nil)
        }
        entry.archivePath = step.archivePath
        entry.reason += ": finished"
      }
      entry.outcome = .done
    } catch let error where !error.isCrash {
      entry.error = error.description
    }
  }

  /// collapse: removes the archived prefix if the live file still starts with exactly those bytes. Returns false when
  /// that has to wait: the file is exactly the prefix, and the kernel cannot collapse a range reaching the end of the
  /// file (truncating instead could lose a line written meanwhile). The journal entry then stays, and the file is not
  /// rotated again until a later run has removed the prefix.
  private func finishCollapse(_ step: CopyTruncateStep, liveIsSame: Bool) throws(LogWardenError) -> Bool {
    guard step.method == .collapse, liveIsSame else { return true }
    let fd = try fileSystem.openForUpdate(step.livePath)
    defer { fileSystem.close(fd) }
    let size = try fileSystem.status(ofDescriptor: fd, path: step.livePath).size
    guard size >= step.prefixLength else { return true }
    let source = HoleSkippingSource(fileSystem: fileSystem, fd: fd, path: step.livePath, limit: step.prefixLength)
    try StreamCopy.copy(from: source, to: CountingNullSink())
    guard source.rawCRC == step.prefixCRC else { return true }  // already removed before the interruption
    guard size > step.prefixLength else {
      prefixRemovalPending.insert(step.livePath)
      report.warnings.append("\(step.livePath) holds only its already archived prefix; it is removed once the writer adds a line")
      return false
    }
    try fileSystem.collapsePrefix(fd, length: step.prefixLength, path: step.livePath)
    try fileSystem.synchronize(fd, path: step.livePath)
    return true
  }

  // MARK: Stage

  private func recoverStage(id: Int64, _ step: StageStep) throws(LogWardenError) {
    var entry = recoveryEntry(step.archivePath, "interrupted stage")
    defer { report.actions.append(entry) }
    do throws(LogWardenError) {
      let current = try fileSystem.status(ofPath: step.archivePath).map(FileIdentity.init)
      if let identity = step.temporaryIdentity, current == identity, let record = try recorded(step.archivePath) {
        try finishStage(step, record: record, journalID: id)
        entry.reason += ": rewritten archive recorded"
      } else {
        if try fileSystem.status(ofPath: step.temporaryPath) != nil { writer.discard(step.temporaryPath) }
        try store.updateStep(id, nil)
        entry.reason += ": rolled back; the archive is unchanged and is staged again when due"
      }
      entry.outcome = .done
    } catch let error where !error.isCrash {
      entry.error = error.description
    }
  }
}

/// The effective plan of a policy in words, as `logwarden check` prints it: every default made explicit.
extension CompiledPolicy {
  public func effectiveDescription() -> String {
    var lines: [String] = []
    lines.append("policy \(file): valid (version \(version))")
    lines.append("state directory: \(stateDirectory) (lock \(StateLock.lockPath(stateDirectory: stateDirectory)), state \(stateDatabasePath))")
    lines.append("key file: \(keyFile ?? "none")")
    lines.append("lock wait: \(lockWait)   time zone: \(timeZone)")
    for set in sets {
      lines.append("")
      lines.append("set \(set.name)")
      lines.append(contentsOf: set.effectiveDescription().map { "  " + $0 })
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Warnings that do not make the policy invalid but that an administrator should see.
  public func advisories() -> [String] {
    var out: [String] = []
    for set in sets {
      if set.profileAtRotation == nil {
        out.append("set \(set.name): archives are written without masking credentials (add a stage 'at: rotation' with 'profile: credentials')")
      }
      if set.rotation.mode == .copytruncate && !set.rotation.useCollapseRange {
        out.append("set \(set.name): copytruncate without collapse can lose lines written between copy and truncate")
      }
      if set.effectiveMaximumAge == nil && set.limits.maximumTotalBytes == nil && set.limits.keepFree == nil
        && set.limits.maximumCount == nil
      {
        out.append("set \(set.name): no limits; archives are kept forever")
      }
    }
    return out
  }
}

extension LogSetPolicy {
  func effectiveDescription() -> [String] {
    var lines: [String] = []
    lines.append("logs:      \(directory)/\(glob) (format \(format ?? "auto"))")
    let r = rotation
    switch r.mode {
    case .closed:
      lines.append("rotation:  closed: archive files that are not the newest of their series once unmodified for \(r.quietPeriod)")
    case .rename, .copytruncate:
      var triggers: [String] = []
      if let size = r.maximumSize { triggers.append("size >= \(ByteCount.policySpelling(size))") }
      if let age = r.maximumAge { triggers.append("age >= \(age)") }
      if let schedule = r.schedule { triggers.append("\(schedule.rawValue) in \(r.timeZone)") }
      lines.append("rotation:  \(r.mode.rawValue) when \(triggers.joined(separator: " or "))\(r.rotateEmpty ? "" : ", never when empty")")
      if r.mode == .rename {
        let notify: String
        switch r.notify {
        case .none: notify = "none (the writer reopens by itself)"
        case .command(let c): notify = "run '\(c)' (timeout \(r.notifyTimeout))"
        case .signal(let pidFile, _, let name): notify = "send SIG\(name) to the pid in \(pidFile)"
        }
        lines.append("notify:    \(notify); archive once the writer has closed the old file (wait up to \(r.releaseTimeout))\(r.createNewFile ? "; create a new empty log" : "")")
      } else {
        lines.append("truncate:  \(r.useCollapseRange ? "collapse the archived prefix in place where the filesystem supports it, else copy and truncate" : "copy and truncate (lines written in between can be lost)")")
      }
    }
    let ext = archive.compression.fileExtension
    lines.append("archives:  \(archive.directory)/<name>-<yyyyMMddTHHmmssZ><ext>\(ext) (\(archive.compression)); never overwritten")
    if stages.isEmpty {
      lines.append("stages:    none (archives keep the logs as written)")
    } else {
      let parts = stages.map { stage -> String in
        let when = stage.after == .zero ? "at rotation" : "after \(stage.after)"
        switch stage.action {
        case .sanitize(let p): return "\(when): \(p.summary)"
        case .delete: return "\(when): delete"
        }
      }
      lines.append("stages:    " + parts.joined(separator: "; "))
    }
    var limitParts: [String] = []
    limitParts.append("max age \(effectiveMaximumAge.map(\.description) ?? "none")")
    limitParts.append("max size \(limits.maximumTotalBytes.map(ByteCount.policySpelling) ?? "none")")
    limitParts.append("keep free \(limits.keepFree.map(\.description) ?? "none")")
    limitParts.append("max count \(limits.maximumCount.map(String.init) ?? "none")")
    lines.append("limits:    " + limitParts.joined(separator: "; ") + " (oldest of this set's own archives first)")
    return lines
  }
}

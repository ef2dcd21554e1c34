import Foundation

/// An input a run could not sanitize: its path and the error (a message about the file, never its content).
public struct FailedInput: Codable, Sendable, Equatable {
  public var path: String
  public var error: String
  public var exitStatus: Int32

  public init(path: String, error: String, exitStatus: Int32) {
    self.path = path
    self.error = error
    self.exitStatus = exitStatus
  }
}

/// The summary of a `sanitize` run over several files: what the CLI prints and what `--report` writes.
public struct RunSummary: Codable, Sendable {
  public var tool = "logwarden"
  public var version = LogWardenVersion.current
  public var profile: SanitizeProfile
  public var files: [FileReport]
  /// Inputs that could not be sanitized (no output was kept for them).
  public var failed: [FailedInput]
  public var totals: FileReport

  public init(profile: SanitizeProfile, files: [FileReport], failed: [FailedInput] = []) {
    self.profile = profile
    self.files = files
    self.failed = failed
    var totals = FileReport(path: "", format: "")
    for f in files {
      totals.linesRead += f.linesRead
      totals.bytesRead += f.bytesRead
      totals.bytesWritten += f.bytesWritten
      totals.bodyLinesDropped += f.bodyLinesDropped
      totals.bodyBytesDropped += f.bodyBytesDropped
      totals.unparsedLines += f.unparsedLines
      totals.credentialsAlreadyMasked += f.credentialsAlreadyMasked
      for (k, v) in f.credentialsMasked { totals.credentialsMasked[k, default: 0] += v }
      for (k, v) in f.pseudonymized { totals.pseudonymized[k, default: 0] += v }
    }
    self.totals = totals
  }

  /// Several lines of plain text for stderr.
  public func humanReadable() -> String {
    var lines: [String] = []
    for f in files {
      var line = "\(f.path): \(f.format), \(f.linesRead) lines"
      let masked = f.totalCredentialsMasked
      line += ", \(masked) credential\(masked == 1 ? "" : "s") masked"
      if f.bodyLinesDropped > 0 { line += ", \(f.bodyLinesDropped) body lines (\(f.bodyBytesDropped) bytes) dropped" }
      if f.unparsedLines > 0 { line += ", \(f.unparsedLines) unparsable lines masked whole" }
      let pseudonyms = f.pseudonymized.values.reduce(0, +)
      if pseudonyms > 0 { line += ", \(pseudonyms) identities pseudonymized" }
      lines.append(line)
      for warning in f.warnings { lines.append("\(f.path): warning: \(warning)") }
    }
    let kinds = totals.credentialsMasked.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
    var total =
      "total: \(files.count) file\(files.count == 1 ? "" : "s"), \(totals.linesRead) lines read, "
      + "\(totals.totalCredentialsMasked) credentials masked"
    if !kinds.isEmpty { total += " (" + kinds.joined(separator: ", ") + ")" }
    if totals.credentialsAlreadyMasked > 0 { total += ", \(totals.credentialsAlreadyMasked) already masked by the server" }
    total += ", \(totals.bodyLinesDropped) body lines (\(totals.bodyBytesDropped) bytes) dropped"
    total += ", \(totals.unparsedLines) unparsable lines"
    let pseudonymKinds = totals.pseudonymized.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
    if !pseudonymKinds.isEmpty { total += ", pseudonymized: " + pseudonymKinds.joined(separator: ", ") }
    if !failed.isEmpty { total += "; \(failed.count) input\(failed.count == 1 ? "" : "s") failed: " + failed.map(\.path).joined(separator: ", ") }
    lines.append(total)
    return lines.joined(separator: "\n")
  }

  /// Writes the summary as pretty JSON, atomically.
  public func writeJSON(to path: String) throws(LogWardenError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let data: Data
    do { data = try encoder.encode(self) } catch { throw .usage("cannot encode report") }
    let file = try AtomicFileWriter(path: path, mode: 0o644)
    try file.sink.write(Array(data) + [0x0A])
    try file.commit()
  }
}

/// Something in a share's output that must not leave the server. Names a file and line, never the content.
public struct LeakFinding: Sendable, Equatable, Codable, CustomStringConvertible {
  /// The file's path inside the bundle.
  public var file: String
  /// 1-based line number (0: the file's name).
  public var line: Int
  /// What was found, in words that carry no log content (e.g. `looks like a credential (pop3-pass)`).
  public var what: String

  public init(file: String, line: Int, what: String) {
    self.file = file
    self.line = line
    self.what = what
  }

  public var description: String {
    line == 0 ? "\(file): the file name \(what)" : "\(file) line \(line): \(what)"
  }
}

/// The last check before a bundle is written: every output line goes through the generic fallback's credential
/// detectors (`PASS x`, `LOGIN u p`, AUTH blobs, `password=`, `Bearer …`) and is searched for the original values of
/// the selected users and IPs. Anything found stops the share.
final class LeakScanner {
  /// Findings per file beyond this are not listed (the count still is).
  static let maximumFindingsPerFile = 20

  private let originals: IdentityMatcher
  private let userLabels: [String]
  private let ipLabels: [String]

  /// `users` and `ips` are the originals that must not appear; labels name them in findings (`--user #1`).
  init(users: [String], ips: [IPAddress]) {
    // Also look for the parts of a value that name the same person on their own: the local part of an address and
    // the name after `DOMAIN\`.
    var needles: [String] = []
    var labels: [String] = []
    for (index, user) in users.enumerated() {
      let label = "an original of --user #\(index + 1)"
      needles.append(user)
      labels.append(label)
      if let at = user.firstIndex(of: "@"), user.distance(from: user.startIndex, to: at) >= 3 {
        needles.append(String(user[..<at]))
        labels.append(label)
      }
      if let slash = user.lastIndex(of: "\\"), user.distance(from: slash, to: user.endIndex) > 3 {
        needles.append(String(user[user.index(after: slash)...]))
        labels.append(label)
      }
    }
    originals = IdentityMatcher(users: needles, ips: ips)
    userLabels = labels
    ipLabels = ips.indices.map { "an original of --ip #\($0 + 1)" }
  }

  /// Whether a bundle path names a selected original.
  func check(name: String) -> String? {
    let bytes = Array(name.utf8)
    return bytes.withUnsafeBufferPointer { b -> String? in
      guard let base = b.baseAddress else { return nil }
      if let u = originals.firstNeedle(base, 0, b.count) { return "holds \(userLabels[u])" }
      if let a = originals.firstAddress(base, 0, b.count) { return "holds \(ipLabels[a])" }
      return nil
    }
  }

  /// Reads `source` to its end and returns what it found (at most `maximumFindingsPerFile`, plus a count line).
  func scan(_ source: ByteSource, file: String) throws(LogWardenError) -> [LeakFinding] {
    let detector = CredentialShapeDetector(fileName: file)
    var findings: [LeakFinding] = []
    var total = 0
    var lineNumber = 0
    func add(_ what: String) {
      total += 1
      if findings.count < Self.maximumFindingsPerFile { findings.append(LeakFinding(file: file, line: lineNumber, what: what)) }
    }
    try LineReader().run(
      source: source, firstChunk: { _ in },
      line: { line, _ in
        lineNumber += 1
        if let kind = detector.credentialKind(in: line) { add("still looks like a credential (\(kind))") }
        if let u = originals.firstNeedle(line.base, 0, line.count) { add("holds \(userLabels[u])") }
        if let a = originals.firstAddress(line.base, 0, line.count) { add("holds \(ipLabels[a])") }
      },
      overlong: { _, _ in
        lineNumber += 1
        add("is too long to check")
      },
      chunkDone: {})
    if total > findings.count {
      findings.append(LeakFinding(file: file, line: lineNumber, what: "and \(total - findings.count) more finding(s) in this file"))
    }
    return findings
  }
}

/// The generic fallback format's credential detectors, run on lines without writing anything.
final class CredentialShapeDetector {
  private let format: GenericFallbackFormat

  init(fileName: String) {
    let context = FormatContext(
      profile: .credentials, output: OutputWriter(sink: MemorySink()), report: FileReport(path: fileName, format: "generic"),
      fileName: fileName)
    format = GenericFallbackFormat(context: context)
  }

  /// The kind of credential the line still seems to hold (e.g. `pop3-pass`), or nil.
  func credentialKind(in line: ByteLine) -> String? {
    let before = format.counters.credentials
    var verdict = LineVerdict()
    format.scan(line, &verdict)
    if verdict.isUnchanged { return nil }
    let after = format.counters.credentials
    for kind in CredentialKind.allCases where after[kind.rawValue] != before[kind.rawValue] { return kind.name }
    return "credential"
  }
}

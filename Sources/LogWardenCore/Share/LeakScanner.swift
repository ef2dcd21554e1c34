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
  ///
  /// With `format`'s inspector (when it has one) the credential detectors run on each free-text field of a line, with
  /// one detector state per session, as the lines of one conversation; otherwise on whole lines. The originals are
  /// looked for in whole lines either way.
  func scan(
    _ source: ByteSource, file: String, format: (any LogFormat.Type)? = nil
  ) throws(LogWardenError) -> [LeakFinding] {
    let inspector = format.flatMap { BuiltinFormats.inspector(for: $0, fileName: file) }
    var detectors: [UInt64: CredentialShapeDetector] = [:]
    let sessionless = CredentialShapeDetector(fileName: file)
    var facts = LineFacts()
    var scratch: [UInt8] = []
    var findings: [LeakFinding] = []
    var total = 0
    var lineNumber = 0
    func add(_ what: String) {
      total += 1
      if findings.count < Self.maximumFindingsPerFile {
        findings.append(LeakFinding(file: file, line: lineNumber, what: what))
      }
    }
    func detector(for session: UInt64?) -> CredentialShapeDetector {
      guard let session else { return sessionless }
      if let d = detectors[session] { return d }
      if detectors.count >= 4096 { detectors.removeAll(keepingCapacity: true) }
      let d = CredentialShapeDetector(fileName: file)
      detectors[session] = d
      return d
    }
    try LineReader().run(
      source: source, firstChunk: { _ in },
      line: { line, _ in
        lineNumber += 1
        do {
          if let inspector {
            facts.reset()
            inspector.inspect(line, into: &facts)
            if facts.role == .entry {
              let d = detector(for: facts.session)
              for field in facts.fields where field.kind == .text && field.end > field.start {
                // The field's content: without the quotes of a quoted CSV field.
                var s = max(0, field.start)
                var e = min(line.count, field.end)
                if e - s >= 2 && line[s] == 0x22 && line[e - 1] == 0x22 {
                  s += 1
                  e -= 1
                }
                scratch.removeAll(keepingCapacity: true)
                scratch.append(contentsOf: UnsafeBufferPointer(start: line.base + s, count: e - s))
                let kind = scratch.withUnsafeBufferPointer { b in
                  d.credentialKind(in: ByteLine(base: b.baseAddress ?? line.base, count: b.count))
                }
                if let kind {
                  add("still looks like a credential (\(kind))")
                  break
                }
              }
            }
          } else if let kind = sessionless.credentialKind(in: line) {
            add("still looks like a credential (\(kind))")
          }
        }
        if let u = originals.firstNeedle(line.base, 0, line.count) { add("holds \(userLabels[u])") }
        if let a = originals.firstAddress(line.base, 0, line.count) { add("holds \(ipLabels[a])") }
      },
      overlong: { _, _ in
        lineNumber += 1
        add("is too long to check")
      },
      chunkDone: {})
    if total > findings.count {
      findings.append(
        LeakFinding(file: file, line: lineNumber, what: "and \(total - findings.count) more finding(s) in this file"))
    }
    return findings
  }
}

/// The generic fallback format's credential detectors, run on lines without writing anything.
final class CredentialShapeDetector {
  private let format: GenericFallbackFormat

  init(fileName: String) {
    let context = FormatContext(
      profile: .credentials, output: OutputWriter(sink: MemorySink()),
      report: FileReport(path: fileName, format: "generic"),
      fileName: fileName)
    format = GenericFallbackFormat(context: context)
  }

  /// Kinds that are the fallback's caution rather than a credential's shape (an extra word after `USER`, e.g.
  /// Exchange's `User Name: …`): masked when sanitizing an unknown format, but no sign of a leak in checked output.
  static let cautionaryKinds: Set<CredentialKind> = [.strayArgument, .unrecognizedCommand, .unknownSessionLine]

  /// The kind of credential the line still seems to hold (e.g. `pop3-pass`), or nil.
  ///
  /// Only the shapes a credential has count: `PASS x`, `LOGIN u p`, APOP digests, AUTH initial responses and the base64
  /// responses after an AUTH, `password=`-style fields, bearer tokens, URL passwords. A "base64 response" made only
  /// of capital letters is a protocol verb (`DATA`, `QUIT`, `STARTTLS`), not a SASL response: base64 of a real
  /// credential of that length practically always has a small letter, digit or `=`.
  func credentialKind(in line: ByteLine) -> String? {
    let before = format.counters.credentials
    var verdict = LineVerdict()
    format.scan(line, &verdict)
    if verdict.isUnchanged { return nil }
    let after = format.counters.credentials
    var found: String? = nil
    for kind in CredentialKind.allCases where after[kind.rawValue] != before[kind.rawValue] {
      if Self.cautionaryKinds.contains(kind) { continue }
      if kind == .base64Blob,
        verdict.edits.allSatisfy({ edit in
          (edit.start..<min(edit.end, line.count)).allSatisfy { (0x41...0x5A).contains(line[$0]) || line[$0].isBlank }
        })
      {
        continue
      }
      found = found ?? kind.name
    }
    return found
  }
}

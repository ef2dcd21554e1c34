import Foundation

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
  /// The detectors are made for masking, where guessing too much costs nothing; here a wrong guess refuses a good
  /// bundle, so each proposal is checked against what it covers:
  /// - nothing already safe counts: masks (`****`, `***`, `"****"`), IMAP literal headers (`{5}`), pseudonyms
  ///   (`user-…`, `dom-….test`), IP addresses, `key=value` parameters whose key names no secret, punctuation;
  /// - SASL responses (after `AUTH <mechanism>`, and base64 lines after an AUTH) count only if a token decodes to text
  ///   (what PLAIN, LOGIN, CRAM, SCRAM and OAuth responses are) or to an NTLM message, and is no `Username:` or
  ///   `Password:` challenge;
  /// - `LOGIN` after `OK`/`NO`/`BAD` (an IMAP server's response) or after `AUTH` (a mechanism list), or followed by
  ///   `key=value` parameters (Dovecot's auth protocol), is no `LOGIN user password`; nor are the lines the fallback
  ///   guesses to be the content of an IMAP literal (the formats' own state machines handle literals);
  /// - `password` followed by a blank is a word (`Password mismatch`), not a `password=`/`password:` field;
  /// - extra words after `USER` (the fallback's caution) never count.
  func credentialKind(in line: ByteLine) -> String? {
    let before = format.counters.credentials
    var verdict = LineVerdict()
    format.scan(line, &verdict)
    if verdict.isUnchanged { return nil }
    let after = format.counters.credentials
    var kinds: [CredentialKind] = []
    for kind in CredentialKind.allCases
    where after[kind.rawValue] != before[kind.rawValue] && !Self.cautionaryKinds.contains(kind) {
      kinds.append(kind)
    }
    guard let first = kinds.first else { return nil }
    let edits = verdict.maskWhole ? [LineEdit(start: 0, end: line.count, text: .stars)] : verdict.edits
    let sasl = kinds.allSatisfy { $0 == .base64Blob || $0.isSASL }
    for edit in edits {
      let s = max(0, edit.start)
      let e = min(line.count, edit.end)
      guard e > s else { continue }
      if SafeText.isHarmless(line.base, s, e) { continue }
      if sasl {
        if SafeText.isHarmlessSASL(line.base, s, e) { continue }
      } else if kinds == [.imapLogin] {
        if SafeText.isNotALogin(line, s) { continue }
      } else if kinds == [.passwordField] {
        if !SafeText.followsKeySeparator(line.base, s) { continue }
      }
      return first.name
    }
    return nil
  }
}

/// Recognises text in sanitized output that cannot be a leaked credential.
enum SafeText {
  /// Keys of `key=value` parameters that carry secrets (the fallback's list, plus SASL `resp`).
  static let secretKeys: Set<String> = [
    "password", "pass", "passwd", "pwd", "secret", "token", "auth_token", "access_token", "apikey", "api_key", "resp",
    "response", "credentials", "auth",
  ]

  @inline(__always) static func isSeparator(_ c: UInt8) -> Bool {
    c == 0x20 || c == 0x09 || c == 0x22 || c == 0x27 || c == 0x28 || c == 0x29 || c == 0x3C || c == 0x3E || c == 0x5B
      || c == 0x5D || c == 0x7B || c == 0x7D || c == 0x2C || c == 0x3B || c == 0x7C || c == 0x3A || c == 0x2B
      || c == 0x0D
  }

  /// Whether every token of `[s, e)` is safe (see `LeakScanner`).
  static func isHarmless(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
    var i = s
    while i < e {
      while i < e && isSeparator(p[i]) { i += 1 }
      guard i < e else { break }
      var j = i
      while j < e && !isSeparator(p[j]) { j += 1 }
      let literalHeader = i > s && p[i - 1] == 0x7B && j < e && p[j] == 0x7D
      if !(literalHeader && isDigitsWithOptionalPlus(p, i, j)) && !isSafeToken(p, i, j) {
        // A literal header's `+` (LITERAL+) is a separator here: `{4+}` leaves `4`.
        if !(i > s && p[i - 1] == 0x7B && isDigits(p, i, j)) { return false }
      }
      i = j
    }
    return true
  }

  static func isDigits(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
    e > s && (s..<e).allSatisfy { p[$0].isASCIIDigit }
  }

  static func isDigitsWithOptionalPlus(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
    let end = e > s && p[e - 1] == 0x2B ? e - 1 : e
    return isDigits(p, s, end)
  }

  /// One token: stars, a pseudonym (possibly an address or host of pseudonyms), an IP address (with a port), or a
  /// non-secret `key=value`.
  static func isSafeToken(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
    if (s..<e).allSatisfy({ p[$0] == 0x2A || p[$0] == 0x2E }) { return true }  // ****, ***, ...
    // `key=value` with an identifier as key and a value (base64 padding `…AA==` is neither).
    if let eq = (s..<e).first(where: { p[$0] == 0x3D }), eq > s, eq + 1 < e, p[eq + 1] != 0x3D,
      ((p[s] | 0x20) &- 0x61) < 26,
      (s..<eq).allSatisfy({
        ((p[$0] | 0x20) &- 0x61) < 26 || p[$0].isASCIIDigit || p[$0] == 0x5F || p[$0] == 0x2D || p[$0] == 0x2E
      })
    {
      let key = String(decoding: UnsafeBufferPointer(start: p + s, count: eq - s), as: UTF8.self).lowercased()
      if !secretKeys.contains(key) { return true }
      return eq + 1 >= e || isSafeToken(p, eq + 1, e)
    }
    if let match = IPScanner.firstMatch(in: p + s, from: 0, count: e - s), match.start == 0 {
      var k = s + match.end
      if k < e && p[k] == 0x5D { k += 1 }
      if k < e && p[k] == 0x3A { k += 1 }
      while k < e && p[k].isASCIIDigit { k += 1 }
      if k == e { return true }
    }
    return isPseudonymName(p, s, e)
  }

  /// `user-<16 base32>`, `dom-<16 base32>`, joined by `@` and `.` with at most a final plain label (the public
  /// suffix the vendor profile keeps): `user-….` `@dom-….dom-….co.uk`.
  static func isPseudonymName(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
    var parts: [(Int, Int)] = []
    var start = s
    for k in s...e where k == e || p[k] == 0x40 || p[k] == 0x2E {
      parts.append((start, k))
      start = k + 1
    }
    var sawToken = false
    var suffix = false
    for (a, b) in parts {
      if isToken(p, a, b) {
        if suffix { return false }
        sawToken = true
      } else if sawToken && b - a >= 2 && b - a <= 6 && (a..<b).allSatisfy({ ((p[$0] | 0x20) &- 0x61) < 26 }) {
        suffix = true  // the public suffix after the pseudonymized labels
      } else {
        return false
      }
    }
    return sawToken
  }

  static func isToken(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
    func base32(_ from: Int) -> Bool {
      e - from == 16 && (from..<e).allSatisfy { (p[$0] &- 0x61) < 26 || (p[$0] &- 0x32) < 6 }
    }
    if e - s == 21 && p[s] == 0x75 && p[s + 1] == 0x73 && p[s + 2] == 0x65 && p[s + 3] == 0x72 && p[s + 4] == 0x2D {
      return base32(s + 5)
    }
    if e - s == 20 && p[s] == 0x64 && p[s + 1] == 0x6F && p[s + 2] == 0x6D && p[s + 3] == 0x2D { return base32(s + 4) }
    return false
  }

  /// Word boundaries for keyword context: blanks, quotes, brackets, punctuation and `-`.
  @inline(__always) static func isWordBreak(_ c: UInt8) -> Bool { isSeparator(c) || c == 0x2D || c == 0x3D }

  /// The word before position `position` (skipping breaks), or nil.
  static func word(before position: Int, in line: ByteLine) -> (start: Int, end: Int)? {
    var k = position - 1
    while k >= 0 && isWordBreak(line[k]) { k -= 1 }
    guard k >= 0 else { return nil }
    let end = k + 1
    while k >= 0 && !isWordBreak(line[k]) { k -= 1 }
    return (k + 1, end)
  }

  /// A `LOGIN` detection at `start` that is no `LOGIN user password`: see `CredentialShapeDetector`.
  static func isNotALogin(_ line: ByteLine, _ start: Int) -> Bool {
    // The LOGIN keyword before the proposed secret.
    var cursor = start
    var login: (start: Int, end: Int)? = nil
    var words = 0
    while words < 4, let w = word(before: cursor, in: line) {
      if line.equalsUppercase(w.start, w.end, "LOGIN") {
        login = w
        break
      }
      cursor = w.start
      words += 1
    }
    // No LOGIN on the line: the fallback guessed this line is an IMAP literal's content.
    guard let login else { return true }
    // `key=value` as the user: Dovecot's auth protocol.
    if let user = word(before: start, in: line), user.start > login.end {
      var k = user.start - 1
      while k >= 0 && (line[k] == 0x20 || line[k] == 0x09) { k -= 1 }
      let tokenStart = (0...max(0, k)).last { line[$0] == 0x20 || line[$0] == 0x09 }.map { $0 + 1 } ?? 0
      if (tokenStart..<max(tokenStart, k + 1)).contains(where: { line[$0] == 0x3D }) { return true }
    }
    guard let previous = word(before: login.start, in: line) else { return false }
    let responses: [StaticString] = ["OK", "NO", "BAD", "BYE", "PREAUTH", "AUTH", "AUTHENTICATE"]
    return responses.contains { line.equalsUppercase(previous.start, previous.end, $0) }
  }

  /// Whether the value at `start` follows `=` or `:` (after blanks and one opening quote or bracket), or a
  /// `{SCHEME}` password-storage prefix.
  static func followsKeySeparator(_ p: UnsafePointer<UInt8>, _ start: Int) -> Bool {
    // `{SCHEME}password`: a password-storage scheme in braces is a key too.
    if start >= 4 && p[start - 1] == 0x7D {
      var b = start - 2
      while b >= 0 && ((p[b] &- 0x41) < 26 || p[b].isASCIIDigit || p[b] == 0x2D || p[b] == 0x2E) { b -= 1 }
      if b >= 0 && p[b] == 0x7B && start - 2 - b >= 2 { return true }
    }
    var k = start - 1
    if k >= 0 && (p[k] == 0x22 || p[k] == 0x27 || p[k] == 0x3C || p[k] == 0x5B) { k -= 1 }
    while k >= 0 && (p[k] == 0x20 || p[k] == 0x09) { k -= 1 }
    return k >= 0 && (p[k] == 0x3D || p[k] == 0x3A)
  }

  /// Whether no token of `[s, e)` can be a SASL response: none decodes to text (or an NTLM message) that is not a
  /// server's `Username:`/`Password:` challenge.
  static func isHarmlessSASL(_ p: UnsafePointer<UInt8>, _ s: Int, _ e: Int) -> Bool {
    var decoded: [UInt8] = []
    var i = s
    while i < e {
      while i < e && isSeparator(p[i]) { i += 1 }
      var j = i
      while j < e && !isSeparator(p[j]) { j += 1 }
      defer { i = j }
      guard j - i >= 4, (i..<j).allSatisfy({ p[$0].isBase64 }), !isSafeToken(p, i, j) else { continue }
      IdentityMatcher.decodeBase64(p, i, j, into: &decoded)
      if decoded.starts(with: Array("NTLMSSP".utf8)) { return false }
      guard decoded.count >= 3 else { continue }
      let printable = decoded.filter { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0 || $0 == 0x09 }.count
      if printable * 10 < decoded.count * 9 { continue }  // binary: no typed secret
      let text = String(decoding: decoded.filter { $0 != 0 }, as: UTF8.self).lowercased()
        .trimmingCharacters(in: .whitespaces)
      if ["username:", "password:", "user name:", "username", "password", "user name"].contains(text) { continue }
      return false
    }
    return true
  }
}

extension CredentialKind {
  /// A SASL response (an AUTH initial response or continuation), or Exchange's X-EXPS.
  var isSASL: Bool {
    switch self {
    case .saslPlain, .saslLogin, .saslCramMD5, .saslDigestMD5, .saslNTLM, .saslGSSAPI, .saslXOAUTH2, .saslOAuthBearer,
      .saslSCRAM, .saslExternal, .saslOther, .exchangeAuth:
      return true
    default:
      return false
    }
  }
}

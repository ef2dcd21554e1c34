/// The fallback for files no format recognises: every line is scanned on its own for credential shapes.
///
/// Masked: the argument of `PASS`; the password of `LOGIN user password` (a lone argument whole), and the content
/// lines of a password sent as an IMAP literal (`LOGIN user {7}`); `APOP` digests; anything after the user name of
/// `USER`; the initial response of `AUTH`/`AUTHENTICATE`/`X-EXPS`/`AUTHINFO SASL|GENERIC` and, in the lines that
/// follow an AUTH, every base64-shaped token that is not a server challenge (whatever prefix the line has:
/// timestamps, arrows, `C: `); `Bearer <token>`; values of `password=`, `pass=`, `passwd=`, `pwd=`, `secret=`,
/// `token=`, `auth_token=`, `access_token=`, `apikey=` (also with `:`, with blanks around the separator, and as
/// quoted JSON keys); the value of `{SCHEME}password` (`{PLAIN}…`, `{SHA512-CRYPT}…`); the password of
/// `scheme://user:password@`. A command word (`PASS`, `USER`, `LOGIN`, …) counts only when a blank, `+` or the line's
/// end follows it.
/// Words are found after blanks, control and non-ASCII bytes, field delimiters (`,;|"'<>()[]`) and `+` (the space
/// of URL-encoded fields, as IIS writes them); an argument joined by `+` is masked to the end of its field, otherwise
/// to the end of the line. Everything is replaced by `****`. Message bodies cannot be told from other lines here and
/// are kept. The file is reported with a "format not recognised" warning.
public final class GenericFallbackFormat: LogFormat {
  public static let name = "generic"
  public static let summary = "Any other text log: line-wise masking of recognisable credential shapes"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int { 0 }

  /// Non-blank lines after an AUTH command in which base64 tokens are masked; each masked token extends it.
  static let authWindow = 8

  private let context: FormatContext
  public private(set) var counters = SanitizeCounters()
  private var linesSinceAuth = Int.max
  /// The previous line sent a password as an IMAP literal: this line is its content.
  private var literalPending = false
  private var out: [UInt8] = []

  public init(context: FormatContext) { self.context = context }

  public func process(_ line: ByteLine, _ terminator: LineTerminator) {
    var verdict = LineVerdict()
    scan(line, &verdict)
    if verdict.isUnchanged {
      context.output.keep(line.base, line.count + terminator.length)
      return
    }
    out.removeAll(keepingCapacity: true)
    verdict.render(line, dropBodies: false, into: &out)
    context.emit(out, terminator: terminator)
  }

  public func overlong(prefix: ByteLine, length: Int) { overlongDefault(context: context) }
  public func finish() {}

  /// Finds credential shapes in one line.
  func scan(_ line: ByteLine, _ verdict: inout LineVerdict) {
    let end = line.trimmedEnd()
    let first = line.skipBlanks(from: 0)
    guard first < end else { return }
    if literalPending && !hasContinuationRequest(line, first, end) {
      // The content of a password literal: the whole line (its framing, if any, is unknown).
      verdict.mask(first, line.count)
      counters.count(.imapLogin)
      literalPending = IMAPLiteralHeader.trailing(in: line) != nil
      return
    }
    if linesSinceAuth < Self.authWindow {
      linesSinceAuth += 1
      if maskSASLResponses(line, first, end, &verdict) { linesSinceAuth = 0 }
    }
    scanWords(line, end: end, keywords: true, &verdict)
  }

  /// Only the `key=value` / `key: value` secrets and URL passwords of `line` (for formats that keep a free-text
  /// column, such as Exchange's `context`, where protocol keywords are descriptions, not commands).
  func scanKeyValues(_ line: ByteLine, _ verdict: inout LineVerdict) {
    scanWords(line, end: line.trimmedEnd(), keywords: false, &verdict)
  }

  /// Walks the words of `line`: protocol keywords (when `keywords`), `key=value` secrets and URL passwords.
  private func scanWords(_ line: ByteLine, end: Int, keywords: Bool, _ verdict: inout LineVerdict) {
    var i = nextWordStart(line, from: 0, end: end)
    while i < end {
      let wEnd = wordEnd(line, from: i, end: end)
      if keywords, let next = keyword(line, i, wEnd, end, &verdict) {
        guard next < end else { return }
        i = nextWordStart(line, from: max(next, i + 1), end: end)
        continue
      }
      // `{SCHEME}password` (Dovecot/LDAP password storage: `{PLAIN}…`, `{SHA512-CRYPT}$6$…`).
      if let valueStart = schemePrefixedPassword(line, i, wEnd, end) {
        let vEnd = valueEnd(line, from: valueStart, end: end)
        if !line.isAllStars(valueStart, vEnd) {
          verdict.mask(valueStart, vEnd)
          counters.count(.passwordField)
        }
        i = nextWordStart(line, from: max(vEnd, i + 1), end: end)
        continue
      }
      // key=value / key: value
      if let valueStart = secretKeyValue(line, i, line.tokenEnd(from: i)) {
        let vEnd = valueEnd(line, from: valueStart, end: end)
        if vEnd > valueStart && !line.isAllStars(valueStart, vEnd) {
          verdict.mask(valueStart, vEnd)
          counters.count(.passwordField)
        }
        i = nextWordStart(line, from: max(vEnd, i + 1), end: end)
        continue
      }
      if let userinfo = urlPassword(line, i, end) {
        verdict.mask(userinfo.0, userinfo.1)
        counters.count(.passwordField)
        i = nextWordStart(line, from: userinfo.1, end: end)
        continue
      }
      i = nextWordStart(line, from: wEnd, end: end)
    }
  }

  // MARK: Keywords

  /// Handles a protocol keyword at `[i, wEnd)`. Returns where scanning resumes (`end` when the rest of the line was
  /// masked), or nil when the word is not a keyword.
  private func keyword(_ line: ByteLine, _ i: Int, _ wEnd: Int, _ end: Int, _ verdict: inout LineVerdict) -> Int? {
    // A command word is followed by a blank, a `+` (URL-encoded) or the line's end; `"user":` is a key, not USER.
    guard wEnd >= end || line[wEnd].isBlank || line[wEnd] == 0x2B else { return nil }
    if line.equalsUppercase(i, wEnd, "PASS") {
      let a = argumentStart(line, after: wEnd, end: end)
      guard a < end else { return wEnd }
      let aEnd = argumentEnd(line, wordEnd: wEnd, end: end)
      if !line.isAllStars(a, min(aEnd, end)) {
        verdict.mask(a, aEnd)
        counters.count(.pop3Password)
      }
      return aEnd
    }
    if line.equalsUppercase(i, wEnd, "USER") {
      let u = argumentStart(line, after: wEnd, end: end)
      guard u < end else { return wEnd }
      let fieldEnd = argumentEnd(line, wordEnd: wEnd, end: end)
      let uEnd = argumentWordEnd(line, from: u, end: min(fieldEnd, end), joined: isJoined(line, wEnd, end))
      let extra = argumentStart(line, after: uEnd, end: min(fieldEnd, end))
      if extra < min(fieldEnd, end) && !line.isAllStars(extra, min(fieldEnd, end)) {
        verdict.mask(extra, fieldEnd)
        counters.count(.strayArgument)
      }
      return fieldEnd
    }
    if line.equalsUppercase(i, wEnd, "LOGIN") {
      let u = argumentStart(line, after: wEnd, end: end)
      guard u < end else { return wEnd }
      let fieldEnd = argumentEnd(line, wordEnd: wEnd, end: end)
      let uEnd = loginArgumentEnd(line, from: u, end: min(fieldEnd, end), joined: isJoined(line, wEnd, end))
      let p = argumentStart(line, after: uEnd, end: min(fieldEnd, end))
      let secret = p < min(fieldEnd, end) ? p : u
      let lastEnd = min(fieldEnd, end)
      if line.isAllStars(secret, lastEnd) { return fieldEnd }
      // `AUTH LOGIN PLAIN CRAM-MD5`, `SASL LOGIN PLAIN`: mechanism lists, not a user and a password.
      if isMechanismList(line, u, lastEnd) { return fieldEnd }
      verdict.mask(secret, fieldEnd)
      counters.count(.imapLogin)
      if fieldEnd >= line.count, IMAPLiteralHeader.trailing(in: line, from: secret) != nil { literalPending = true }
      return fieldEnd
    }
    if line.equalsUppercase(i, wEnd, "APOP") {
      let u = argumentStart(line, after: wEnd, end: end)
      guard u < end else { return wEnd }
      let fieldEnd = argumentEnd(line, wordEnd: wEnd, end: end)
      let uEnd = argumentWordEnd(line, from: u, end: min(fieldEnd, end), joined: isJoined(line, wEnd, end))
      let p = argumentStart(line, after: uEnd, end: min(fieldEnd, end))
      let secret = p < min(fieldEnd, end) ? p : u
      verdict.mask(secret, fieldEnd)
      counters.count(.apopDigest)
      return fieldEnd
    }
    if line.equalsUppercase(i, wEnd, "AUTH") || line.equalsUppercase(i, wEnd, "AUTHENTICATE")
      || line.equalsUppercase(i, wEnd, "X-EXPS") || line.equalsUppercase(i, wEnd, "AUTHINFO")
    {
      return authCommand(line, i, wEnd, end, &verdict)
    }
    if line.equalsUppercase(i, wEnd, "BEARER") {
      let t = argumentStart(line, after: wEnd, end: end)
      guard t < end else { return wEnd }
      let tEnd = valueEnd(line, from: t, end: end)
      if tEnd > t && !line.isAllStars(t, tEnd) {
        verdict.mask(t, tEnd)
        counters.count(.bearerToken)
      }
      return tEnd
    }
    return nil
  }

  /// `AUTH [-] MECHANISM [response]` and its relatives. The `-` placeholder (IIS's empty `cs-uri-stem`) is skipped.
  private func authCommand(_ line: ByteLine, _ i: Int, _ wEnd: Int, _ end: Int, _ verdict: inout LineVerdict) -> Int? {
    var m = argumentStart(line, after: wEnd, end: end)
    if m + 1 < end && line[m] == 0x2D && line[m + 1] == 0x3F {
      // NCSA's `-?` (empty stem, then the query).
      m = argumentStart(line, after: m + 2, end: end)
    } else if m < end && line[m] == 0x2D && (m + 1 == end || line[m + 1].isBlank) {
      m = argumentStart(line, after: m + 1, end: end)
    }
    guard m < end else { return nil }
    let fieldEnd = argumentEnd(line, wordEnd: line[m - 1] == 0x2B ? m - 1 : wEnd, end: end)
    var mEnd = wordEnd(line, from: m, end: min(fieldEnd, end))
    if line.equalsUppercase(i, wEnd, "AUTHINFO") {
      // AUTHINFO USER/PASS are handled as words; SASL and GENERIC carry a mechanism and a response.
      guard line.equalsUppercase(m, mEnd, "SASL") || line.equalsUppercase(m, mEnd, "GENERIC") else { return nil }
      m = argumentStart(line, after: mEnd, end: min(fieldEnd, end))
      guard m < min(fieldEnd, end) else { return fieldEnd }
      mEnd = wordEnd(line, from: m, end: min(fieldEnd, end))
    }
    let kind = CredentialKind.sasl(line, m, mEnd)
    guard kind != .saslOther || isMechanismShaped(line, m, mEnd) else { return nil }
    linesSinceAuth = 0
    let r = argumentStart(line, after: mEnd, end: min(fieldEnd, end))
    let rEnd = min(fieldEnd, end)
    if r < rEnd && !isMechanismList(line, r, rEnd) && !line.equalsUppercase(r, rEnd, "=")
      && !line.isAllStars(r, rEnd) && !line.isExchangeAuthMask(r, rEnd)
    {
      verdict.mask(r, fieldEnd)
      counters.count(kind)
    }
    return fieldEnd
  }

  /// In the lines after an AUTH: masks every base64-shaped token that is not a server challenge. Returns whether
  /// something was masked.
  private func maskSASLResponses(_ line: ByteLine, _ first: Int, _ end: Int, _ verdict: inout LineVerdict) -> Bool {
    var masked = false
    var previous: (Int, Int)? = nil
    var t = first
    while t < end {
      let tEnd = line.tokenEnd(from: t)
      // Framing around the token: `IO: |blob`, `"blob"`, `(blob)`.
      var s = t
      var e = tEnd
      while s < e && isFraming(line[s]) { s += 1 }
      while e > s && isFraming(line[e - 1]) { e -= 1 }
      let lone = t == first && line.skipBlanks(from: tEnd) >= end
      let challenge = previous.map { isChallengeMarker(line, $0.0, $0.1) } ?? false
      if !challenge && (isBlob(line, s, e) || (lone && e - s >= 4 && isBase64Run(line, s, e))) {
        if !line.isAllStars(s, e) {
          verdict.mask(s, e)
          counters.count(.base64Blob)
          masked = true
        }
      }
      previous = (t, tEnd)
      t = line.skipBlanks(from: tEnd)
    }
    return masked
  }

  // MARK: Words and arguments

  /// Bytes that separate words: blanks, field delimiters, and `+` (a URL-encoded space).
  /// Control bytes (NUL too) and non-ASCII bytes also end a word: garbage or a non-ASCII letter glued to `AUTH`
  /// must not hide it.
  @inline(__always) private func isDelimiter(_ c: UInt8) -> Bool {
    c < 0x21 || c >= 0x7F || c == 0x2C || c == 0x3B || c == 0x7C || c == 0x22 || c == 0x27 || c == 0x3C || c == 0x3E || c == 0x28
      || c == 0x29 || c == 0x5B || c == 0x5D || c == 0x2B
  }

  /// Next position that starts a word: after a blank or a delimiter (`:` also ends a word, so `C:PASS` is found).
  private func nextWordStart(_ line: ByteLine, from: Int, end: Int) -> Int {
    var k = from
    while k < end {
      let c = line[k]
      if !isDelimiter(c) && (k == 0 || isDelimiter(line[k - 1]) || line[k - 1] == 0x3A) { return k }
      k += 1
    }
    return end
  }

  /// End of the word at `from`: the next blank or delimiter.
  private func wordEnd(_ line: ByteLine, from: Int, end: Int) -> Int {
    var k = from
    while k < end && !isDelimiter(line[k]) { k += 1 }
    return k
  }

  /// Start of the argument after a word: skips blanks, or one `+` joining URL-encoded words.
  private func argumentStart(_ line: ByteLine, after wEnd: Int, end: Int) -> Int {
    var k = wEnd
    while k < end && (line[k].isBlank || line[k] == 0x2B) { k += 1 }
    return k
  }

  /// Where a keyword's arguments end: its `+`-joined field (up to the next blank) when the keyword is followed by
  /// `+`, otherwise the whole rest of the line.
  private func argumentEnd(_ line: ByteLine, wordEnd: Int, end: Int) -> Int {
    if wordEnd < end && line[wordEnd] == 0x2B { return line.tokenEnd(from: wordEnd) }
    return line.count
  }

  /// Whether the keyword ending at `wEnd` is joined to its arguments by `+` (URL-encoded spaces).
  @inline(__always) private func isJoined(_ line: ByteLine, _ wEnd: Int, _ end: Int) -> Bool {
    wEnd < end && line[wEnd] == 0x2B
  }

  /// End of one argument: the next blank, or also the next `+` when the arguments are `+`-joined.
  private func argumentWordEnd(_ line: ByteLine, from: Int, end: Int, joined: Bool) -> Int {
    var k = from
    while k < end && !line[k].isBlank && !(joined && line[k] == 0x2B) { k += 1 }
    return k
  }

  /// End of a LOGIN user name: a quoted string (with `\"` escapes) or an argument.
  private func loginArgumentEnd(_ line: ByteLine, from u: Int, end: Int, joined: Bool) -> Int {
    if line[u] == 0x22, let close = line.endOfQuotedString(from: u) { return min(close, end) }
    return argumentWordEnd(line, from: u, end: end, joined: joined)
  }

  @inline(__always) private func isFraming(_ c: UInt8) -> Bool {
    c == 0x7C || c == 0x22 || c == 0x27 || c == 0x28 || c == 0x29 || c == 0x5B || c == 0x5D || c == 0x3C || c == 0x3E
      || c == 0x2C || c == 0x3B
  }

  /// A lone `+` token: the server's go-ahead for a synchronizing literal, which comes before the literal itself.
  private func hasContinuationRequest(_ line: ByteLine, _ first: Int, _ end: Int) -> Bool {
    var t = first
    while t < end {
      let tEnd = line.tokenEnd(from: t)
      if tEnd - t == 1 && line[t] == 0x2B { return true }
      t = line.skipBlanks(from: tEnd)
    }
    return false
  }

  /// `334` (SMTP) or `+` (POP3/IMAP): what precedes a server's SASL challenge.
  private func isChallengeMarker(_ line: ByteLine, _ s: Int, _ e: Int) -> Bool {
    (e - s == 1 && line[s] == 0x2B) || line.equalsUppercase(s, e, "334")
  }

  /// Standard base64 alphabet, `=` only as trailing padding.
  private func isBase64Run(_ line: ByteLine, _ s: Int, _ e: Int) -> Bool {
    guard e > s else { return false }
    var padding = false
    for k in s..<e {
      let c = line[k]
      if c == 0x3D {
        padding = true
        continue
      }
      if padding { return false }
      if !(((c | 0x20) &- 0x61) < 26 || c.isASCIIDigit || c == 0x2B || c == 0x2F) { return false }
    }
    return true
  }

  /// A token that looks like a base64 SASL response rather than a word: at least 8 characters of the base64
  /// alphabet, with lower-case letters and upper-case letters or digits, and not a capitalised or PascalCase word
  /// (`Authentication`, `OutboundConnectionCommand`).
  private func isBlob(_ line: ByteLine, _ s: Int, _ e: Int) -> Bool {
    guard e - s >= 8, isBase64Run(line, s, e) else { return false }
    var lower = 0
    var upper = 0
    var other = 0
    for k in s..<e {
      let c = line[k]
      if (c &- 0x61) < 26 { lower += 1 } else if (c &- 0x41) < 26 { upper += 1 } else { other += 1 }
    }
    guard lower > 0 && (upper > 0 || other > 0) else { return false }
    return other > 0 || !isPascalCaseWord(line, s, e)
  }

  /// Letters only, starting upper-case, every upper-case letter followed by at least two lower-case ones.
  private func isPascalCaseWord(_ line: ByteLine, _ s: Int, _ e: Int) -> Bool {
    guard (line[s] &- 0x41) < 26 else { return false }
    var k = s
    while k < e {
      guard (line[k] &- 0x41) < 26 else { return false }
      var run = 0
      k += 1
      while k < e && (line[k] &- 0x61) < 26 {
        run += 1
        k += 1
      }
      if run < 2 { return false }
    }
    return true
  }

  private func isMechanismShaped(_ line: ByteLine, _ s: Int, _ e: Int) -> Bool {
    guard e - s >= 2 && e - s <= 20 else { return false }
    for k in s..<e {
      let c = line[k]
      if !((c &- 0x41) < 26 || c.isASCIIDigit || c == 0x2D || c == 0x5F) { return false }
    }
    return true
  }

  /// `PLAIN LOGIN CRAM-MD5`: a capability list, not a response.
  private func isMechanismList(_ line: ByteLine, _ s: Int, _ e: Int) -> Bool {
    var i = s
    while i < e {
      var tEnd = i
      while tEnd < e && !line[tEnd].isBlank && line[tEnd] != 0x2B { tEnd += 1 }
      if CredentialKind.sasl(line, i, tEnd) == .saslOther { return false }
      i = tEnd
      while i < e && (line[i].isBlank || line[i] == 0x2B) { i += 1 }
    }
    return true
  }

  /// If the token at `[s, e)` starts with a secret-bearing key followed by `=` or `:`, where its value starts.
  private func secretKeyValue(_ line: ByteLine, _ s: Int, _ e: Int) -> Int? {
    var k = s
    while k < e && line[k] != 0x3D && line[k] != 0x3A { k += 1 }
    var keyEnd = k
    if k == e {
      // `Password = value`: the separator stands apart from the key.
      let next = line.skipBlanks(from: e)
      guard next < line.count, line[next] == 0x3D || line[next] == 0x3A else { return nil }
      k = next
    }
    guard k < line.count && keyEnd > s else { return nil }
    // `"password":"value"` (JSON): the key's closing quote is not part of it.
    if line[keyEnd - 1] == 0x22 || line[keyEnd - 1] == 0x27 { keyEnd -= 1 }
    var keyStart = s
    while keyStart < keyEnd && !(line[keyStart].asciiUppercased &- 0x41 < 26) { keyStart += 1 }
    let keys: [StaticString] = [
      "PASSWORD", "PASS", "PASSWD", "PWD", "SECRET", "TOKEN", "AUTH_TOKEN", "ACCESS_TOKEN", "APIKEY", "API_KEY",
    ]
    guard keys.contains(where: { line.equalsUppercase(keyStart, keyEnd, $0) }) else { return nil }
    var v = k + 1
    if line[k] == 0x3A || k > keyEnd { v = line.skipBlanks(from: v) }
    if v < line.count && (line[v] == 0x22 || line[v] == 0x27 || line[v] == 0x3C || line[v] == 0x5B) { v += 1 }
    return v < line.count ? v : nil
  }

  /// Where the password of `{SCHEME}password` at `i` starts: a scheme of 2–24 upper-case letters, digits, `-` and
  /// `.` in braces (never an IMAP literal's digits alone), directly followed by the value.
  private func schemePrefixedPassword(_ line: ByteLine, _ i: Int, _ wEnd: Int, _ end: Int) -> Int? {
    guard line[i] == 0x7B else { return nil }
    var k = i + 1
    var letters = 0
    while k < end && k - i <= 25 {
      let c = line[k]
      if (c &- 0x41) < 26 {
        letters += 1
      } else if !(c.isASCIIDigit || c == 0x2D || c == 0x2E) {
        break
      }
      k += 1
    }
    guard k < end, line[k] == 0x7D, k - i - 1 >= 2, letters > 0, k + 1 < end, !line[k + 1].isBlank else { return nil }
    return k + 1
  }

  /// `scheme://user:password@host`: the password's range, when the word at `i` starts such a URL.
  private func urlPassword(_ line: ByteLine, _ i: Int, _ end: Int) -> (Int, Int)? {
    let tEnd = line.tokenEnd(from: i)
    guard let colon = line.firstIndex(of: 0x3A, from: i, to: tEnd), line.hasLiteral("://", at: colon) else { return nil }
    let authority = colon + 3
    var k = authority
    var userColon = -1
    while k < tEnd {
      let c = line[k]
      if c == 0x2F || c == 0x3F || c == 0x23 { return nil }
      if c == 0x3A && userColon < 0 { userColon = k }
      if c == 0x40 /* @ */ {
        guard userColon >= 0, k > userColon + 1, !line.isAllStars(userColon + 1, k) else { return nil }
        return (userColon + 1, k)
      }
      k += 1
    }
    return nil
  }

  private func valueEnd(_ line: ByteLine, from: Int, end: Int) -> Int {
    var k = from
    while k < end {
      let c = line[k]
      if c.isBlank || c == 0x2C || c == 0x3B || c == 0x26 || c == 0x22 || c == 0x27 || c == 0x3E || c == 0x5D { break }
      k += 1
    }
    return k
  }
}

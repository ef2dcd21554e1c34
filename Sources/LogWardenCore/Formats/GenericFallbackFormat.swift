/// The fallback for files no format recognises: every line is scanned on its own for credential shapes.
///
/// Masked: the argument of `PASS`; the password of `LOGIN user password` (a lone argument whole); `APOP` digests;
/// the initial response of `AUTH`/`AUTHENTICATE`/`X-EXPS` and the base64-only lines that follow an AUTH;
/// `Bearer <token>`; values of `password=`, `pass=`, `passwd=`, `pwd=`, `secret=`, `token=`, `auth_token=`
/// (also with `:`). Everything is replaced by `****`. The file is reported with a "format not recognised" warning.
public final class GenericFallbackFormat: LogFormat {
  public static let name = "generic"
  public static let summary = "Any other text log: line-wise masking of recognisable credential shapes"

  public static func detect(head: UnsafeRawBufferPointer, fileName: String) -> Int { 0 }

  private let context: FormatContext
  public private(set) var counters = SanitizeCounters()
  private var linesSinceAuth = Int.max
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
    // Base64-only line shortly after an AUTH: a SASL response.
    if linesSinceAuth < 4 {
      linesSinceAuth += 1
      let s = line.skipBlanks(from: 0)
      if let blob = lastToken(line, from: s, end: end), isBlob(line, blob.0, blob.1) {
        verdict.mask(blob.0, line.count)
        counters.count(.base64Blob)
        return
      }
    }
    var i = nextWordStart(line, from: 0, end: end)
    while i < end {
      let tEnd = line.tokenEnd(from: i)
      if line.equalsUppercase(i, tEnd, "PASS") {
        let a = line.skipBlanks(from: tEnd)
        if a < end && !line.isAllStars(a, end) {
          verdict.mask(a, line.count)
          counters.count(.pop3Password)
        }
        return
      }
      if line.equalsUppercase(i, tEnd, "LOGIN") {
        let u = line.skipBlanks(from: tEnd)
        if u < end {
          let uEnd = line.tokenEnd(from: u)
          let p = line.skipBlanks(from: uEnd)
          let secret = p < end ? p : u
          if !line.isAllStars(secret, end) && !(p >= end && isMechanismList(line, u, end)) {
            verdict.mask(secret, line.count)
            counters.count(.imapLogin)
          }
        }
        return
      }
      if line.equalsUppercase(i, tEnd, "APOP") {
        let u = line.skipBlanks(from: tEnd)
        let p = line.skipBlanks(from: line.tokenEnd(from: u))
        let secret = p < end ? p : u
        if secret < end {
          verdict.mask(secret, line.count)
          counters.count(.apopDigest)
        }
        return
      }
      if line.equalsUppercase(i, tEnd, "AUTH") || line.equalsUppercase(i, tEnd, "AUTHENTICATE")
        || line.equalsUppercase(i, tEnd, "X-EXPS")
      {
        let m = line.skipBlanks(from: tEnd)
        if m < end {
          let mEnd = line.tokenEnd(from: m)
          let kind = CredentialKind.sasl(line, m, mEnd)
          if kind != .saslOther || isMechanismShaped(line, m, mEnd) {
            linesSinceAuth = 0
            let r = line.skipBlanks(from: mEnd)
            if r < end && !isMechanismList(line, r, end) && !line.equalsUppercase(r, end, "=")
              && !line.isAllStars(r, end) && !line.isExchangeAuthMask(r, end)
            {
              verdict.mask(r, line.count)
              counters.count(kind)
            }
            return
          }
        }
      }
      if line.equalsUppercase(i, tEnd, "BEARER") {
        let t = line.skipBlanks(from: tEnd)
        if t < end {
          verdict.mask(t, valueEnd(line, from: t, end: end))
          counters.count(.bearerToken)
        }
      }
      // key=value / key: value
      if let valueStart = secretKeyValue(line, i, tEnd) {
        let vEnd = valueEnd(line, from: valueStart, end: end)
        if vEnd > valueStart && !line.isAllStars(valueStart, vEnd) {
          verdict.mask(valueStart, vEnd)
          counters.count(.passwordField)
        }
        i = nextWordStart(line, from: max(vEnd, i + 1), end: end)
        continue
      }
      i = nextWordStart(line, from: i + 1, end: end)
    }
  }

  /// Next position that starts a word: after a blank or a field delimiter (`,;|"'<>()[]`), so keywords are found
  /// inside CSV and quoted log fields too.
  private func nextWordStart(_ line: ByteLine, from: Int, end: Int) -> Int {
    var k = from
    while k < end {
      let c = line[k]
      let isDelimiter = c.isBlank || c == 0x2C || c == 0x3B || c == 0x7C || c == 0x22 || c == 0x27 || c == 0x3C
        || c == 0x3E || c == 0x28 || c == 0x29 || c == 0x5B || c == 0x5D
      if !isDelimiter && (k == 0 || isDelimiterByte(line[k - 1])) { return k }
      k += 1
    }
    return end
  }

  private func isDelimiterByte(_ c: UInt8) -> Bool {
    c.isBlank || c == 0x2C || c == 0x3B || c == 0x7C || c == 0x22 || c == 0x27 || c == 0x3C || c == 0x3E || c == 0x28
      || c == 0x29 || c == 0x5B || c == 0x5D || c == 0x3A
  }

  private func lastToken(_ line: ByteLine, from: Int, end: Int) -> (Int, Int)? {
    guard from < end else { return nil }
    let tEnd = line.tokenEnd(from: from)
    return line.skipBlanks(from: tEnd) >= end ? (from, tEnd) : nil
  }

  /// A line-long base64 token of a plausible SASL length.
  private func isBlob(_ line: ByteLine, _ s: Int, _ e: Int) -> Bool {
    guard e - s >= 4 else { return false }
    for k in s..<e where !line[k].isBase64 { return false }
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
      let tEnd = line.tokenEnd(from: i)
      if CredentialKind.sasl(line, i, tEnd) == .saslOther { return false }
      i = line.skipBlanks(from: tEnd)
    }
    return true
  }

  /// If the token at `[s, e)` starts with a secret-bearing key followed by `=` or `:`, where its value starts.
  private func secretKeyValue(_ line: ByteLine, _ s: Int, _ e: Int) -> Int? {
    var k = s
    while k < e && line[k] != 0x3D && line[k] != 0x3A { k += 1 }
    guard k < line.count && k > s else { return nil }
    var keyStart = s
    while keyStart < k && !(line[keyStart].asciiUppercased &- 0x41 < 26) { keyStart += 1 }
    let keys: [StaticString] = ["PASSWORD", "PASS", "PASSWD", "PWD", "SECRET", "TOKEN", "AUTH_TOKEN", "ACCESS_TOKEN", "APIKEY", "API_KEY"]
    guard keys.contains(where: { line.equalsUppercase(keyStart, k, $0) }) else { return nil }
    var v = k + 1
    if line[k] == 0x3A { v = line.skipBlanks(from: v) }
    if v < line.count && (line[v] == 0x22 || line[v] == 0x27 || line[v] == 0x3C || line[v] == 0x5B) { v += 1 }
    return v < line.count ? v : nil
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

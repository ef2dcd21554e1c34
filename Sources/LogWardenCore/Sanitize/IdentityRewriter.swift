/// Applies the `vendor` profile's pseudonyms to what a format writes.
///
/// Two layers: free text gets `Pseudonymizer.rewriteLine` (IP addresses in every written form, e-mail addresses,
/// `host[ip]`, `helo=<…>`, `user=<…>`, SIDs, Dovecot session ids); protocol commands additionally get their
/// identities by position: the argument of `HELO`/`EHLO`/`LHLO` is a host name, the first argument of POP3
/// `USER`/`APOP` and IMAP `LOGIN` is a user name. Formats that know their columns call the typed entry points;
/// the driver applies `rewriteText` to whole lines of formats that do not.
public final class IdentityRewriter {
  public let pseudonymizer: Pseudonymizer
  /// Replacements made, by `PseudonymKind` raw value.
  public var counts: [String: Int] = [:]
  private var scratch: [UInt8] = []
  /// Endpoint columns repeat on every row of a session: a small direct-mapped memo in front of the pseudonymizer.
  private var memoKeys = [[UInt8]](repeating: [], count: 512)
  private var memoValues = [[UInt8]](repeating: [], count: 512)

  public init(pseudonymizer: Pseudonymizer) { self.pseudonymizer = pseudonymizer }

  /// Free text: appends `[p, p+n)` with every identity the scanners recognise replaced.
  public func rewriteText(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
    pseudonymizer.rewriteLine(UnsafeRawBufferPointer(start: p, count: n), into: &out, counts: &counts)
  }

  /// An `ip:port` / `[v6]:port` / bare IP column.
  public func rewriteEndpoint(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
    guard n > 0 else { return }
    let slot = Int(truncatingIfNeeded: fnv1a(p, n)) & 511
    if memoKeys[slot].count == n && memoKeys[slot].withUnsafeBufferPointer({ memcmpEqual($0.baseAddress!, p, n) }) {
      out.append(contentsOf: memoValues[slot])
      counts[PseudonymKind.ip.rawValue, default: 0] += 1
      return
    }
    let start = out.count
    rewriteText(p, n, into: &out)
    memoKeys[slot] = Array(UnsafeBufferPointer(start: p, count: n))
    memoValues[slot] = Array(out[start...])
  }

  /// A user-name column or value: `bob`, `DOMAIN\bob` or an address.
  public func rewriteUser(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
    guard n > 0 else { return }
    let line = ByteLine(base: p, count: n)
    if line.isAllStars(0, n) || (n == 1 && p[0] == 0x2D) {
      out.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
      return
    }
    out.append(contentsOf: pseudonymizer.pseudonym(forUser: UnsafeRawBufferPointer(start: p, count: n)))
    counts[PseudonymKind.user.rawValue, default: 0] += 1
  }

  /// A client command line (already masked): identities by position, then free text.
  public func rewriteCommand(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
    let line = ByteLine(base: p, count: n)
    let end = line.trimmedEnd()
    var verbStart = line.skipBlanks(from: 0)
    var verbEnd = line.tokenEnd(from: verbStart)
    // IMAP: a tag, then the verb.
    let second = line.skipBlanks(from: verbEnd)
    let secondEnd = line.tokenEnd(from: second)
    if second < end && line.equalsUppercase(second, secondEnd, "LOGIN") {
      verbStart = second
      verbEnd = secondEnd
    }
    let argument = line.skipBlanks(from: verbEnd)
    guard argument < end else {
      rewriteText(p, n, into: &out)
      return
    }
    var kind: PseudonymKind? = nil
    if line.equalsUppercase(verbStart, verbEnd, "HELO") || line.equalsUppercase(verbStart, verbEnd, "EHLO")
      || line.equalsUppercase(verbStart, verbEnd, "LHLO")
    {
      kind = .host
    } else if line.equalsUppercase(verbStart, verbEnd, "USER") || line.equalsUppercase(verbStart, verbEnd, "APOP")
      || line.equalsUppercase(verbStart, verbEnd, "LOGIN")
    {
      kind = .user
    }
    guard let kind else {
      rewriteText(p, n, into: &out)
      return
    }
    // The argument: a token, or a quoted string whose inside is the identity.
    var valueStart = argument
    var valueEnd = line.tokenEnd(from: argument)
    if p[argument] == 0x22, let close = line.endOfQuotedString(from: argument) {
      valueStart = argument + 1
      valueEnd = close - 1
    }
    let isLiteral = p[argument] == 0x7B  // {n}: the name is on the next line; leave it to free text.
    let isAddressLiteral = p[argument] == 0x5B  // [192.0.2.1]: an IP, free text handles it.
    if isLiteral || isAddressLiteral || valueEnd <= valueStart {
      rewriteText(p, n, into: &out)
      return
    }
    out.append(contentsOf: UnsafeBufferPointer(start: p, count: valueStart))
    let value = UnsafeRawBufferPointer(start: p + valueStart, count: valueEnd - valueStart)
    if kind == .host {
      out.append(contentsOf: pseudonymizer.pseudonym(forHost: value))
      counts[PseudonymKind.host.rawValue, default: 0] += 1
    } else {
      rewriteUser(p + valueStart, valueEnd - valueStart, into: &out)
    }
    if valueEnd < n { rewriteText(p + valueEnd, n - valueEnd, into: &out) }
  }

  /// Adds the counts to a report.
  public func add(to report: inout FileReport) {
    for (kind, count) in counts { report.pseudonymized[kind, default: 0] += count }
  }
}

@inline(__always) func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
  for i in 0..<n where a[i] != b[i] { return false }
  return true
}

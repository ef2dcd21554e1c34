#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
  /// Endpoint columns repeat on every row of a session: a small direct-mapped memo in front of the pseudonymizer,
  /// in flat fixed-size slots (no per-entry arrays, no reference counting on the hot path).
  private static let memoSlots = 512
  private static let memoWidth = 64
  private let memoKeys = UnsafeMutablePointer<UInt8>.allocate(capacity: memoSlots * memoWidth)
  private let memoValues = UnsafeMutablePointer<UInt8>.allocate(capacity: memoSlots * memoWidth)
  private var memoKeyLengths = [Int](repeating: -1, count: memoSlots)
  private var memoValueLengths = [Int](repeating: 0, count: memoSlots)
  private var memoHits = 0
  private var lastSlot = 0
  /// The user name that the last `rewriteCommand` call found by position (USER/APOP/LOGIN argument or an IMAP
  /// literal); nil when it found none.
  private var lastCommandUser: [UInt8]? = nil
  /// The user name each session logged in with, by the caller's session key, so that server text echoing it gets its
  /// pseudonym too. Bounded: cleared when it grows past `maxSessionUsers`.
  private var sessionUsers: [UInt64: [UInt8]] = [:]
  private static let maxSessionUsers = 4096

  public init(pseudonymizer: Pseudonymizer) { self.pseudonymizer = pseudonymizer }

  deinit {
    memoKeys.deallocate()
    memoValues.deallocate()
  }

  /// Free text: appends `[p, p+n)` with every identity the scanners recognise replaced.
  public func rewriteText(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
    guard mayContainIdentity(p, n) else {
      out.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
      return
    }
    pseudonymizer.rewriteLine(UnsafeRawBufferPointer(start: p, count: n), into: &out, counts: &counts)
  }

  /// A cheap, conservative test run before the scanners: text without any byte an identity needs cannot hold one.
  /// Triggers on `@ : [ < = ( -` (addresses, IPv6, `host[ip]`, `helo=<…>`, `user=`, `service(user)`, SIDs and
  /// GUIDs) and on a run of digits and dots with three dots (an IPv4 address). SMTP replies such as
  /// `250 2.1.0 Sender OK` (two dots) are skipped.
  @inline(__always) func mayContainIdentity(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    let table = IdentityRewriter.triggerTable
    var dots = 0
    var i = 0
    while i < n {
      let c = p[i]
      let t = table[Int(c)]
      if t == 1 { return true }
      if t == 2 {
        if c == 0x2E {
          dots += 1
          if dots >= 3 { return true }
        }
      } else {
        dots = 0
      }
      i += 1
    }
    return false
  }

  /// 1: a byte that can start or belong to an identity on its own; 2: a digit or a dot (IPv4 runs); 0: other.
  private static let triggerTable: [UInt8] = {
    var t = [UInt8](repeating: 0, count: 256)
    for c in "@:[<=(-".utf8 { t[Int(c)] = 1 }
    for c in "0123456789.".utf8 { t[Int(c)] = 2 }
    return t
  }()

  /// An `ip:port` / `[v6]:port` / bare IP column.
  public func rewriteEndpoint(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
    guard n > 0 else { return }
    let width = Self.memoWidth
    guard n <= width else {
      rewriteText(p, n, into: &out)
      return
    }
    // The local endpoint is the same on almost every row: check the last slot used first, without hashing.
    if memoKeyLengths[lastSlot] == n && memcmpEqual(memoKeys + lastSlot * width, p, n) {
      out.append(contentsOf: UnsafeBufferPointer(start: memoValues + lastSlot * width, count: memoValueLengths[lastSlot]))
      memoHits += 1
      return
    }
    let slot = Int(truncatingIfNeeded: fnv1a(p, n)) & (Self.memoSlots - 1)
    lastSlot = slot
    let key = memoKeys + slot * width
    if memoKeyLengths[slot] == n && memcmpEqual(key, p, n) {
      out.append(contentsOf: UnsafeBufferPointer(start: memoValues + slot * width, count: memoValueLengths[slot]))
      memoHits += 1
      return
    }
    let start = out.count
    let before = counts[PseudonymKind.ip.rawValue] ?? 0
    rewriteText(p, n, into: &out)
    let length = out.count - start
    // Memoise only single-address endpoints (the common case) so hit counts stay exact.
    guard length <= width, (counts[PseudonymKind.ip.rawValue] ?? 0) == before + 1 else { return }
    key.update(from: p, count: n)
    out.withUnsafeBufferPointer { (memoValues + slot * width).update(from: $0.baseAddress! + start, count: length) }
    memoKeyLengths[slot] = n
    memoValueLengths[slot] = length
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

  /// A server reply. The message-id that SMTP's "queued" reply carries (`250 2.6.0 <id@host> …`) keeps its unique
  /// left part — it names a message, not a person — and gets its domain pseudonymized; everything else is free text.
  public func rewriteReply(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
    let line = ByteLine(base: p, count: n)
    guard n > 12, line.hasUppercasePrefix(0, n, "250"), let open = memchr(p, 0x3C, n) else {
      rewriteText(p, n, into: &out)
      return
    }
    let start = UnsafePointer<UInt8>(open.assumingMemoryBound(to: UInt8.self)) - p
    // Only "250 2.6.0 <" / "250 <": the message-id comes first in the reply text.
    var k = 3
    while k < start && (p[k] == 0x20 || p[k] == 0x2E || p[k].isASCIIDigit) { k += 1 }
    guard k == start, let close = memchr(p + start, 0x3E, n - start) else {
      rewriteText(p, n, into: &out)
      return
    }
    let end = UnsafePointer<UInt8>(close.assumingMemoryBound(to: UInt8.self)) - p
    guard let at = memchr(p + start, 0x40, end - start) else {
      rewriteText(p, n, into: &out)
      return
    }
    let atIndex = UnsafePointer<UInt8>(at.assumingMemoryBound(to: UInt8.self)) - p
    out.append(contentsOf: UnsafeBufferPointer(start: p, count: atIndex + 1))
    let domain = UnsafeRawBufferPointer(start: p + atIndex + 1, count: end - atIndex - 1)
    if domain.count > 0 {
      out.append(contentsOf: pseudonymizer.pseudonym(forHost: domain))
      counts[PseudonymKind.host.rawValue, default: 0] += 1
    }
    rewriteText(p + end, n - end, into: &out)
  }

  /// A client command line (already masked): identities by position, then free text. `userNamePrefix` bytes at the
  /// start are a user name the protocol engine identified (an IMAP literal).
  /// With `session`, a user name found there is remembered for `replaceEchoedUser(ofSession:in:from:)`.
  public func rewriteCommand(
    _ p: UnsafePointer<UInt8>, _ n: Int, userNamePrefix: Int = 0, session: UInt64? = nil, into out: inout [UInt8]
  ) {
    rewriteCommandByPosition(p, n, userNamePrefix: userNamePrefix, into: &out)
    if let session, let user = lastCommandUser {
      if sessionUsers.count >= Self.maxSessionUsers { sessionUsers.removeAll(keepingCapacity: true) }
      sessionUsers[session] = user
    }
  }

  private func rewriteCommandByPosition(
    _ p: UnsafePointer<UInt8>, _ n: Int, userNamePrefix: Int, into out: inout [UInt8]
  ) {
    lastCommandUser = nil
    if userNamePrefix > 0 && userNamePrefix <= n {
      lastCommandUser = Array(UnsafeBufferPointer(start: p, count: userNamePrefix))
      rewriteUser(p, userNamePrefix, into: &out)
      if userNamePrefix < n { rewriteText(p + userNamePrefix, n - userNamePrefix, into: &out) }
      return
    }
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
      lastCommandUser = Array(UnsafeBufferPointer(start: p + valueStart, count: valueEnd - valueStart))
      rewriteUser(p + valueStart, valueEnd - valueStart, into: &out)
    }
    if valueEnd < n { rewriteText(p + valueEnd, n - valueEnd, into: &out) }
  }

  /// Replaces, in already rewritten server text `text[from...]`, every whole-word occurrence (ASCII case folded) of
  /// the name `session` logged in with by the user's pseudonym: servers echo it (`+OK mrose's maildrop`,
  /// `NO [AUTHENTICATIONFAILED] bob`). The text's first token (a status, a timestamp) is never touched. `session` is
  /// evaluated only once some session has logged in.
  public func replaceEchoedUser(ofSession session: @autoclosure () -> UInt64?, in text: inout [UInt8], from: Int) {
    guard !sessionUsers.isEmpty, let key = session(), let name = sessionUsers[key] else { return }
    replaceEchoedUser(name, in: &text, from: from)
  }

  private func replaceEchoedUser(_ name: [UInt8], in text: inout [UInt8], from: Int) {
    let n = name.count
    guard n >= 3, text.count - from >= n else { return }
    let first = name[0] | 0x20
    var k = from
    // Skip the status token (`+OK`, `250`, a tag).
    while k < text.count && text[k] != 0x20 { k += 1 }
    var replacement: [UInt8]? = nil
    while k + n <= text.count {
      if text[k] | 0x20 == first && (k == from || !Self.isNameByte(text[k - 1]))
        && (k + n == text.count || !Self.isNameByte(text[k + n]))
      {
        var same = true
        for j in 1..<n where text[k + j] | 0x20 != name[j] | 0x20 {
          same = false
          break
        }
        // A letter's case bit is all `| 0x20` may ignore; other bytes must match exactly.
        if same {
          for j in 0..<n where !Self.isASCIILetter(name[j]) && text[k + j] != name[j] {
            same = false
            break
          }
        }
        if same {
          if replacement == nil {
            replacement = name.withUnsafeBytes { pseudonymizer.pseudonym(forUser: $0) }
          }
          text.replaceSubrange(k..<(k + n), with: replacement!)
          counts[PseudonymKind.user.rawValue, default: 0] += 1
          k += replacement!.count
          continue
        }
      }
      k += 1
    }
  }

  @inline(__always) private static func isASCIILetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }

  /// Bytes that continue a user name or address (so a match next to them is part of a longer word).
  @inline(__always) private static func isNameByte(_ c: UInt8) -> Bool {
    isASCIILetter(c) || c.isASCIIDigit || c == 0x2E || c == 0x5F || c == 0x2D || c == 0x40 || c == 0x5C || c >= 0x80
  }

  /// Adds the counts to a report.
  public func add(to report: inout FileReport) {
    for (kind, count) in counts { report.pseudonymized[kind, default: 0] += count }
    if memoHits > 0 { report.pseudonymized[PseudonymKind.ip.rawValue, default: 0] += memoHits }
  }
}

@inline(__always) func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
  for i in 0..<n where a[i] != b[i] { return false }
  return true
}

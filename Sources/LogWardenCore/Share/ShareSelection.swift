/// What an administrator asked `share` to collect.
public struct ShareSelection: Sendable {
  /// Log sets by name (all sets of the policy when empty).
  public var setNames: [String]
  /// Only lines (and files) from this instant on, seconds since the epoch.
  public var since: Int64?
  /// Only lines (and files) up to this instant, seconds since the epoch.
  public var until: Int64?
  /// User names or addresses whose sessions are kept (as typed; matched case-insensitively).
  public var users: [String]
  /// IP addresses whose sessions are kept.
  public var ips: [IPAddress]
  /// Session ids whose sessions are kept (as the log writes them).
  public var sessions: [String]

  public init(
    setNames: [String] = [], since: Int64? = nil, until: Int64? = nil, users: [String] = [], ips: [IPAddress] = [],
    sessions: [String] = []
  ) {
    self.setNames = setNames
    self.since = since
    self.until = until
    self.users = users
    self.ips = ips
    self.sessions = sessions
  }

  /// Whether sessions are chosen by who or what they involve (otherwise every session in the time range is kept).
  public var choosesSessions: Bool { !users.isEmpty || !ips.isEmpty || !sessions.isEmpty }

  /// Whether `instant` lies in the time range (an unknown instant always does).
  public func contains(_ instant: Int64?) -> Bool {
    guard let instant else { return true }
    if let since, instant < since { return false }
    if let until, instant > until { return false }
    return true
  }
}

/// Finds user names, addresses and IP addresses in log bytes. Byte comparisons only (no regular expressions); one
/// instance per file pass.
///
/// A user value matches case-insensitively where it is not part of a longer name: `alice` matches `alice`,
/// `CONTOSO\alice` and `alice@contoso.test`, but not `malice` or `alice2`. IP addresses are compared as addresses, so
/// `2001:db8::1` also matches `2001:0db8:0:0::1`.
public final class IdentityMatcher {
  /// Lower-cased values to find.
  let needles: [[UInt8]]
  /// Addresses to find, in the order given, and their positions.
  let addresses: [IPAddress: Int]

  /// Also look inside base64 tokens of free text (SASL PLAIN/LOGIN responses name the user even when the login
  /// fails and nothing else in the session does). Only for choosing sessions: such tokens never reach a bundle.
  public var decodesBase64 = false
  private var decoded: [UInt8] = []

  public init(users: [String], ips: [IPAddress]) {
    needles = users.map { Array($0.utf8).map(lowercasedASCII) }
    var positions: [IPAddress: Int] = [:]
    for (index, ip) in ips.enumerated() where positions[ip] == nil { positions[ip] = index }
    addresses = positions
  }

  public var isEmpty: Bool { needles.isEmpty && addresses.isEmpty }

  /// Whether any identity field of the line (as an inspector described it) holds a value to find.
  public func matches(_ line: ByteLine, _ facts: LineFacts) -> Bool {
    for field in facts.fields {
      let start = max(0, field.start)
      let end = min(line.count, field.end)
      guard end > start else { continue }
      switch field.kind {
      case .endpoint:
        if firstAddress(line.base, start, end) != nil { return true }
      case .user:
        if firstNeedle(line.base, start, end) != nil { return true }
      case .text:
        if firstNeedle(line.base, start, end) != nil || firstAddress(line.base, start, end) != nil { return true }
        if decodesBase64 && base64TokenHoldsNeedle(line.base, start, end) { return true }
      }
    }
    return false
  }

  /// Whether the line holds a value to find anywhere.
  public func matchesAnywhere(_ line: ByteLine) -> Bool {
    firstNeedle(line.base, 0, line.count) != nil || firstAddress(line.base, 0, line.count) != nil
  }

  /// Whether a base64 token of at least 8 characters in `[start, end)` decodes to bytes holding a user value.
  func base64TokenHoldsNeedle(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
    guard !needles.isEmpty else { return false }
    var i = start
    while i < end {
      var j = i
      while j < end && (p[j].isBase64 || p[j] == 0x3D) { j += 1 }
      if j - i >= 8 && (i == start || !p[i - 1].isBase64) {
        Self.decodeBase64(p, i, j, into: &decoded)
        let found = decoded.withUnsafeBufferPointer { b in
          b.baseAddress.map { firstNeedle($0, 0, b.count) != nil } ?? false
        }
        if found { return true }
      }
      i = j + 1
    }
    return false
  }

  /// Base64, standard or URL-safe (padding and stray bytes ignored), into `out`.
  static func decodeBase64(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, into out: inout [UInt8]) {
    out.removeAll(keepingCapacity: true)
    var accumulator: UInt32 = 0
    var bits = 0
    for k in start..<end {
      let c = p[k]
      let v: UInt32
      switch c {
      case 0x41...0x5A: v = UInt32(c - 0x41)
      case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
      case 0x30...0x39: v = UInt32(c - 0x30 + 52)
      case 0x2B, 0x2D: v = 62
      case 0x2F, 0x5F: v = 63
      default: continue
      }
      accumulator = accumulator << 6 | v
      bits += 6
      if bits >= 8 {
        bits -= 8
        out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
      }
    }
  }

  /// The position (among the users given) of a user value found in `[start, end)`, if any.
  func firstNeedle(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
    guard !needles.isEmpty else { return nil }
    for (index, needle) in needles.enumerated() where Self.contains(p, start, end, needle) { return index }
    return nil
  }

  /// The position (among the IPs given) of an address found in `[start, end)`, if any.
  func firstAddress(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
    guard !addresses.isEmpty, end > start else { return nil }
    var i = 0
    let base = p + start
    let n = end - start
    while i < n, let match = IPScanner.firstMatch(in: base, from: i, count: n) {
      if let index = addresses[match.address] { return index }
      i = max(match.end, i + 1)
    }
    return nil
  }

  /// Case-insensitive search for a lower-cased needle, outside longer names.
  static func contains(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ needle: [UInt8]) -> Bool {
    let n = needle.count
    guard n > 0, end - start >= n else { return false }
    return needle.withUnsafeBufferPointer { nb in
      let first = nb[0]
      var i = start
      let last = end - n
      while i <= last {
        if lowercasedASCII(p[i]) == first {
          var k = 1
          while k < n && lowercasedASCII(p[i + k]) == nb[k] { k += 1 }
          if k == n && isBoundary(before: i, p, start) && isBoundary(after: i + n, p, end) { return true }
        }
        i += 1
      }
      return false
    }
  }

  /// Bytes that continue a name: letters, digits, `.`, `_`, `-`, `+`, `%`.
  @inline(__always) static func isNameByte(_ c: UInt8) -> Bool {
    let lower = c | 0x20
    return (lower >= 0x61 && lower <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x5F || c == 0x2D
      || c == 0x2B || c == 0x25 || c >= 0x80
  }

  @inline(__always) static func isBoundary(before i: Int, _ p: UnsafePointer<UInt8>, _ start: Int) -> Bool {
    i == start || !isNameByte(p[i - 1])
  }

  @inline(__always) static func isBoundary(after i: Int, _ p: UnsafePointer<UInt8>, _ end: Int) -> Bool {
    if i >= end { return true }
    let c = p[i]
    if c == 0x2E {
      // A sentence's full stop ends a name; a dot followed by more name does not.
      return i + 1 >= end || !isNameByte(p[i + 1]) || p[i + 1] == 0x2E
    }
    return !isNameByte(c)
  }
}

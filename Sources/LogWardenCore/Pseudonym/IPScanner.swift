/// Byte classes for the scanners: one table lookup per byte on the hot path.
enum ByteClass {
  static let digit: UInt8 = 1
  static let hexLetter: UInt8 = 2
  static let otherLetter: UInt8 = 4
  /// Bytes of UTF-8 sequences (0x80…0xff): parts of words, never separators.
  static let nonASCII: UInt8 = 8
  static let colon: UInt8 = 16
  static let at: UInt8 = 32
  /// '<': opens `helo=<…>` and `session=<…>`.
  static let angle: UInt8 = 64

  static let word: UInt8 = digit | hexLetter | otherLetter | nonASCII
  static let hex: UInt8 = digit | hexLetter

  static let table: [UInt8] = {
    var table = [UInt8](repeating: 0, count: 256)
    for b in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(b)] = digit }
    for b in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(b)] = otherLetter }
    for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(b)] = otherLetter }
    for b in UInt8(ascii: "a")...UInt8(ascii: "f") { table[Int(b)] = hexLetter }
    for b in UInt8(ascii: "A")...UInt8(ascii: "F") { table[Int(b)] = hexLetter }
    for b in 0x80...0xff { table[b] = nonASCII }
    table[Int(UInt8(ascii: ":"))] = colon
    table[Int(UInt8(ascii: "@"))] = at
    table[Int(UInt8(ascii: "<"))] = angle
    return table
  }()
}

/// Where an IP address sits in a line and how it was written.
public struct IPMatch: Equatable, Sendable {
  /// How the address was written; the pseudonym is written the same way.
  public enum Form: Equatable, Sendable {
    /// Dotted IPv4.
    case v4
    /// IPv6 text (any form; rewritten in RFC 5952 form).
    case v6
    /// IPv4-mapped IPv6 with a dotted tail (`::ffff:1.2.3.4`); rewritten as `::ffff:` plus dotted IPv4.
    case v4MappedText
  }
  /// Byte range of the address itself: brackets, ports and zone ids are outside it.
  public let start: Int
  public let end: Int
  public let address: IPAddress
  public let form: Form
}

/// Finds IPv4 and IPv6 addresses in raw bytes. No `String`, no allocation.
///
/// Boundaries: an address may not continue a word (`v1.2.3.4`), a dotted number (`1.2.3.4.5`) or, for IPv6, a
/// colon-separated token. A compressed IPv6 address followed by `:port` ends before the port when the port cannot be
/// a group (five digits); a zone id (`%eth0`) and brackets stay outside the match.
public enum IPScanner {
  /// The next address at or after `from`, or nil.
  public static func firstMatch(in p: UnsafePointer<UInt8>, from: Int, count: Int) -> IPMatch? {
    let table = ByteClass.table
    var i = from
    while i < count {
      let cls = table[Int(p[i])]
      if cls & ByteClass.word != 0 {
        if let match = match(at: i, in: p, count: count) { return match }
        // Skip the rest of this word: an address never starts inside one.
        i += 1
        while i < count && table[Int(p[i])] & ByteClass.word != 0 { i += 1 }
        continue
      }
      if cls == ByteClass.colon, let match = match(at: i, in: p, count: count) { return match }
      i += 1
    }
    return nil
  }

  /// An address starting exactly at `i` (which must be a word start or a colon), checking both boundaries.
  static func match(at i: Int, in p: UnsafePointer<UInt8>, count: Int) -> IPMatch? {
    let table = ByteClass.table
    let previous: UInt8 = i > 0 ? p[i - 1] : 0x20
    let previousClass = table[Int(previous)]
    let first = table[Int(p[i])]
    if previousClass & ByteClass.word != 0 || previous == 0x2e || previous == 0x5f { return nil }

    if first == ByteClass.digit, let (value, end) = parseIPv4(p, from: i, limit: count),
      isV4Boundary(after: end, in: p, count: count)
    {
      return IPMatch(start: i, end: end, address: IPAddress(v4: value), form: .v4)
    }
    guard first & (ByteClass.hex | ByteClass.colon) != 0 else { return nil }
    // After a colon only as an address literal's "IPv6:" tag; otherwise we would start inside another address.
    if previous == 0x3a && !(i >= 5 && isIPv6Tag(p + i - 5)) { return nil }
    // Cheap rejection: an IPv6 address has a colon within its first five bytes.
    var probe = i
    while probe < count && probe < i + 5 && table[Int(p[probe])] & ByteClass.hex != 0 { probe += 1 }
    guard probe < count && p[probe] == 0x3a else { return nil }
    guard let (address, end, sawHexDigit, dottedTail) = parseIPv6Detailed(p, from: i, limit: count),
      sawHexDigit || dottedTail, isV6Boundary(after: end, in: p, count: count)
    else { return nil }
    let form: IPMatch.Form = dottedTail && address.isV4 ? .v4MappedText : .v6
    return IPMatch(start: i, end: end, address: address, form: form)
  }

  /// "IPv6:" in any case, as in `[IPv6:2001:db8::1]`.
  private static func isIPv6Tag(_ tag: UnsafePointer<UInt8>) -> Bool {
    tag[0] | 0x20 == 0x69 && tag[1] | 0x20 == 0x70 && tag[2] | 0x20 == 0x76 && tag[3] == 0x36 && tag[4] == 0x3a
  }

  private static func isV4Boundary(after end: Int, in p: UnsafePointer<UInt8>, count: Int) -> Bool {
    guard end < count else { return true }
    let next = p[end]
    if ByteClass.table[Int(next)] & ByteClass.word != 0 || next == 0x5f { return false }
    // "1.2.3.4.5" is a longer dotted number; "1.2.3.4." ends a sentence.
    if next == 0x2e, end + 1 < count, ByteClass.table[Int(p[end + 1])] == ByteClass.digit { return false }
    return true
  }

  private static func isV6Boundary(after end: Int, in p: UnsafePointer<UInt8>, count: Int) -> Bool {
    guard end < count else { return true }
    let next = p[end]
    return ByteClass.table[Int(next)] & ByteClass.word == 0 && next != 0x5f && next != 0x2e
  }

  /// Four dotted decimal octets (1–3 digits, at most 255) starting at `from`; returns the value and end.
  /// Leading zeros are accepted and read as decimal: leaving `010.001.002.003` alone would leak it.
  static func parseIPv4(_ p: UnsafePointer<UInt8>, from: Int, limit: Int) -> (UInt32, Int)? {
    var value: UInt32 = 0
    var i = from
    for octetIndex in 0..<4 {
      if octetIndex > 0 {
        guard i < limit, p[i] == 0x2e else { return nil }
        i += 1
      }
      var octet: UInt32 = 0
      var digits = 0
      while i < limit, digits < 4 {
        let d = p[i] &- 0x30
        guard d < 10 else { break }
        octet = octet * 10 + UInt32(d)
        digits += 1
        i += 1
      }
      guard digits >= 1, digits <= 3, octet <= 255 else { return nil }
      value = value << 8 | octet
    }
    return (value, i)
  }

  /// IPv6 text starting at `from`: the longest prefix that is a complete address. Returns the address and end.
  static func parseIPv6(_ p: UnsafePointer<UInt8>, from: Int, limit: Int) -> (IPAddress, Int)? {
    guard let (address, end, _, _) = parseIPv6Detailed(p, from: from, limit: limit) else { return nil }
    return (address, end)
  }

  /// The longest complete IPv6 address starting at `from`, whether it had a hex digit, and whether it ended in a
  /// dotted IPv4 tail. Parsing stops at the first byte that cannot continue an address; a group that is too long
  /// (a port such as `:49255`) ends the address before its colon.
  static func parseIPv6Detailed(
    _ p: UnsafePointer<UInt8>, from: Int, limit: Int
  ) -> (IPAddress, Int, Bool, Bool)? {
    var groups: (UInt64, UInt64) = (0, 0)  // up to 8 groups packed as they are read, left to right
    var count = 0
    var gapAt = -1
    var i = from
    var sawHexDigit = false

    var best: (groups: (UInt64, UInt64), count: Int, gapAt: Int, end: Int, dotted: Bool)? = nil

    func setGroup(_ index: Int, _ value: UInt16, in packed: inout (UInt64, UInt64)) {
      let shift = UInt64(48 - 16 * (index % 4))
      if index < 4 { packed.0 |= UInt64(value) << shift } else { packed.1 |= UInt64(value) << shift }
    }

    if i + 1 < limit && p[i] == 0x3a {
      guard p[i + 1] == 0x3a else { return nil }
      gapAt = 0
      i += 2
      best = (groups, count, gapAt, i, false)
    }
    while i < limit {
      // A dotted IPv4 tail takes the last two groups.
      let roomForTail = gapAt >= 0 ? count + 2 <= 7 : count == 6
      if roomForTail, p[i] &- 0x30 < 10, let (v4, end) = parseIPv4(p, from: i, limit: limit) {
        setGroup(count, UInt16(truncatingIfNeeded: v4 >> 16), in: &groups)
        setGroup(count + 1, UInt16(truncatingIfNeeded: v4), in: &groups)
        best = (groups, count + 2, gapAt, end, true)
        break
      }
      var value: UInt16 = 0
      var digits = 0
      while i + digits < limit, digits < 5, let nibble = HexDigits.value(p[i + digits]) {
        value = value &<< 4 | UInt16(nibble)
        digits += 1
      }
      guard digits >= 1, digits <= 4, count < 8 else { break }
      if gapAt >= 0 && count >= 7 { break }
      setGroup(count, value, in: &groups)
      count += 1
      i += digits
      sawHexDigit = true
      if gapAt >= 0 || count == 8 { best = (groups, count, gapAt, i, false) }
      if count == 8 { break }
      guard i < limit, p[i] == 0x3a else { break }
      if i + 1 < limit && p[i + 1] == 0x3a {
        guard gapAt < 0 else { break }
        gapAt = count
        i += 2
        best = (groups, count, gapAt, i, false)
      } else {
        i += 1
      }
    }
    guard let best else { return nil }
    // Expand the gap: groups after it move to the end.
    var expanded: (UInt64, UInt64) = (0, 0)
    func group(_ index: Int, of packed: (UInt64, UInt64)) -> UInt16 {
      let shift = UInt64(48 - 16 * (index % 4))
      return UInt16(truncatingIfNeeded: (index < 4 ? packed.0 : packed.1) >> shift)
    }
    if best.gapAt < 0 {
      expanded = best.groups
    } else {
      for k in 0..<best.gapAt { setGroup(k, group(k, of: best.groups), in: &expanded) }
      let tail = best.count - best.gapAt
      for k in 0..<tail { setGroup(8 - tail + k, group(best.gapAt + k, of: best.groups), in: &expanded) }
    }
    return (IPAddress(high: expanded.0, low: expanded.1), best.end, sawHexDigit, best.dotted)
  }
}

/// Byte classes for the scanners: one table lookup per byte on the hot path.
enum ByteClass {
  static let digit: UInt8 = 1
  static let hexLetter: UInt8 = 2
  static let otherLetter: UInt8 = 4
  /// Bytes of UTF-8 sequences (0x80…0xff): parts of words, never separators.
  static let nonASCII: UInt8 = 8
  static let colon: UInt8 = 16
  static let at: UInt8 = 32
  /// '<': opens `helo=<…>`, `user=<…>` and `session=<…>`.
  static let angle: UInt8 = 64
  /// '=' and '(': part of every named field (`sasl_username=…`, `imap(user)`).
  static let fieldMark: UInt8 = 128

  static let word: UInt8 = digit | hexLetter | otherLetter | nonASCII
  static let hex: UInt8 = digit | hexLetter

  /// One byte of class bits per byte value. A raw pointer (built once, never freed): indexing it on the hot path
  /// costs no retain/release and no bounds check.
  nonisolated(unsafe) static let table: UnsafePointer<UInt8> = {  // written once, then read-only
    let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    table.initialize(repeating: 0, count: 256)
    for b in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(b)] = digit }
    for b in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(b)] = otherLetter }
    for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(b)] = otherLetter }
    for b in UInt8(ascii: "a")...UInt8(ascii: "f") { table[Int(b)] = hexLetter }
    for b in UInt8(ascii: "A")...UInt8(ascii: "F") { table[Int(b)] = hexLetter }
    for b in 0x80...0xff { table[b] = nonASCII }
    table[Int(UInt8(ascii: ":"))] = colon
    table[Int(UInt8(ascii: "@"))] = at
    table[Int(UInt8(ascii: "<"))] = angle
    table[Int(UInt8(ascii: "="))] = fieldMark
    table[Int(UInt8(ascii: "("))] = fieldMark
    return UnsafePointer(table)
  }()
}

/// The lookup tables the scanners use, fetched once per line and passed down: reading a lazily initialised global
/// costs a `swift_once` call per access, which is too much per byte.
struct ScanTables {
  let classes: UnsafePointer<UInt8>
  let hexValues: UnsafePointer<UInt8>
  let emailLocal: UnsafePointer<UInt8>

  static var shared: ScanTables {
    ScanTables(classes: ByteClass.table, hexValues: HexDigits.valueTable, emailLocal: EmailBytes.table)
  }

  @inline(__always) func isWord(_ byte: UInt8) -> Bool { classes[Int(byte)] & ByteClass.word != 0 }

  /// Letters, digits, '-', '.', '_' and UTF-8 bytes: what host names and mail domains are made of.
  @inline(__always) func isHostName(_ byte: UInt8) -> Bool {
    isWord(byte) || byte == 0x2d || byte == 0x2e || byte == 0x5f
  }
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
    let tables = ScanTables.shared
    let table = tables.classes
    var i = from
    while i < count {
      let cls = table[Int(p[i])]
      if cls & ByteClass.word != 0 {
        if let match = match(at: i, in: p, count: count, tables: tables) { return match }
        // Skip the rest of this word: an address never starts inside one.
        i += 1
        while i < count && table[Int(p[i])] & ByteClass.word != 0 { i += 1 }
        continue
      }
      if cls == ByteClass.colon, let match = match(at: i, in: p, count: count, tables: tables) { return match }
      i += 1
    }
    return nil
  }

  /// An address starting exactly at `i` (which must be a word start or a colon), checking both boundaries.
  static func match(at i: Int, in p: UnsafePointer<UInt8>, count: Int, tables: ScanTables) -> IPMatch? {
    let table = tables.classes
    let previous: UInt8 = i > 0 ? p[i - 1] : 0x20
    let previousClass = table[Int(previous)]
    let first = table[Int(p[i])]
    if previousClass & ByteClass.word != 0 || previous == 0x2e || previous == 0x5f { return nil }

    if first == ByteClass.digit, let (value, end) = parseIPv4(p, from: i, limit: count),
      isV4Boundary(after: end, in: p, count: count, table: table)
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
    guard
      let (address, end, sawHexDigit, dottedTail) = parseIPv6Detailed(
        p, from: i, limit: count, hexValues: tables.hexValues),
      sawHexDigit || dottedTail, isV6Boundary(after: end, in: p, count: count, table: table)
    else { return nil }
    let form: IPMatch.Form = dottedTail && address.isV4 ? .v4MappedText : .v6
    return IPMatch(start: i, end: end, address: address, form: form)
  }

  /// "IPv6:" in any case, as in `[IPv6:2001:db8::1]`.
  private static func isIPv6Tag(_ tag: UnsafePointer<UInt8>) -> Bool {
    tag[0] | 0x20 == 0x69 && tag[1] | 0x20 == 0x70 && tag[2] | 0x20 == 0x76 && tag[3] == 0x36 && tag[4] == 0x3a
  }

  private static func isV4Boundary(
    after end: Int, in p: UnsafePointer<UInt8>, count: Int, table: UnsafePointer<UInt8>
  ) -> Bool {
    guard end < count else { return true }
    let next = p[end]
    if table[Int(next)] & ByteClass.word != 0 || next == 0x5f { return false }
    // "1.2.3.4.5" is a longer dotted number; "1.2.3.4." ends a sentence.
    if next == 0x2e, end + 1 < count, table[Int(p[end + 1])] == ByteClass.digit { return false }
    return true
  }

  private static func isV6Boundary(
    after end: Int, in p: UnsafePointer<UInt8>, count: Int, table: UnsafePointer<UInt8>
  ) -> Bool {
    guard end < count else { return true }
    let next = p[end]
    return table[Int(next)] & ByteClass.word == 0 && next != 0x5f && next != 0x2e
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
    guard let (address, end, _, _) = parseIPv6Detailed(p, from: from, limit: limit, hexValues: HexDigits.valueTable)
    else { return nil }
    return (address, end)
  }

  /// The longest complete IPv6 address starting at `from`, whether it had a hex digit, and whether it ended in a
  /// dotted IPv4 tail. Parsing stops at the first byte that cannot continue an address; a group that is too long
  /// (a port such as `:49255`) ends the address before its colon.
  static func parseIPv6Detailed(
    _ p: UnsafePointer<UInt8>, from: Int, limit: Int, hexValues: UnsafePointer<UInt8>
  ) -> (IPAddress, Int, Bool, Bool)? {
    // Groups are shifted into one 128-bit accumulator (high, low) in reading order; the "::" gap is placed at the
    // end, when it is known how many groups follow it.
    var high: UInt64 = 0
    var low: UInt64 = 0
    var count = 0
    var gapAt = -1
    var i = from
    var sawHexDigit = false
    var best: (high: UInt64, low: UInt64, count: Int, gapAt: Int, end: Int, dotted: Bool)? = nil

    @inline(__always) func push(_ group: UInt64) {
      high = high << 16 | low >> 48
      low = low << 16 | group
    }

    if i + 1 < limit && p[i] == 0x3a {
      guard p[i + 1] == 0x3a else { return nil }
      gapAt = 0
      i += 2
      best = (high, low, count, gapAt, i, false)
    }
    while i < limit {
      // A dotted IPv4 tail takes the last two groups.
      let roomForTail = gapAt >= 0 ? count + 2 <= 7 : count == 6
      if roomForTail, p[i] &- 0x30 < 10, let (v4, end) = parseIPv4(p, from: i, limit: limit) {
        push(UInt64(v4 >> 16))
        push(UInt64(v4 & 0xffff))
        best = (high, low, count + 2, gapAt, end, true)
        break
      }
      var value: UInt64 = 0
      var digits = 0
      while i + digits < limit, digits < 5 {
        let nibble = hexValues[Int(p[i + digits])]
        if nibble == 0xff { break }
        value = value << 4 | UInt64(nibble)
        digits += 1
      }
      guard digits >= 1, digits <= 4, count < 8 else { break }
      if gapAt >= 0 && count >= 7 { break }
      push(value)
      count += 1
      i += digits
      sawHexDigit = true
      if gapAt >= 0 || count == 8 { best = (high, low, count, gapAt, i, false) }
      if count == 8 { break }
      guard i < limit, p[i] == 0x3a else { break }
      if i + 1 < limit && p[i + 1] == 0x3a {
        guard gapAt < 0 else { break }
        gapAt = count
        i += 2
        best = (high, low, count, gapAt, i, false)
      } else {
        i += 1
      }
    }
    guard let best else { return nil }
    var address = IPAddress(high: best.high, low: best.low)
    if best.gapAt >= 0 {
      // The accumulator holds `count` groups right-aligned: the head (before the gap) moves up by the gap's size.
      let tailBits = (best.count - best.gapAt) * 16
      let gapBits = (8 - best.count) * 16
      let tail = Self.lowBits(address, tailBits)
      let head = Self.shiftRight(address, tailBits)
      let movedHead = Self.shiftLeft(head, tailBits + gapBits)
      address = IPAddress(high: movedHead.high | tail.high, low: movedHead.low | tail.low)
    }
    return (address, best.end, sawHexDigit, best.dotted)
  }

  @inline(__always) private static func shiftLeft(_ value: IPAddress, _ bits: Int) -> IPAddress {
    if bits == 0 { return value }
    if bits >= 128 { return IPAddress(high: 0, low: 0) }
    if bits >= 64 { return IPAddress(high: value.low << UInt64(bits - 64), low: 0) }
    return IPAddress(high: value.high << UInt64(bits) | value.low >> UInt64(64 - bits), low: value.low << UInt64(bits))
  }

  @inline(__always) private static func shiftRight(_ value: IPAddress, _ bits: Int) -> IPAddress {
    if bits == 0 { return value }
    if bits >= 128 { return IPAddress(high: 0, low: 0) }
    if bits >= 64 { return IPAddress(high: 0, low: value.high >> UInt64(bits - 64)) }
    return IPAddress(high: value.high >> UInt64(bits), low: value.low >> UInt64(bits) | value.high << UInt64(64 - bits))
  }

  @inline(__always) private static func lowBits(_ value: IPAddress, _ bits: Int) -> IPAddress {
    if bits >= 128 { return value }
    if bits >= 64 {
      let mask: UInt64 = bits == 64 ? 0 : ~UInt64(0) >> UInt64(128 - bits)
      return IPAddress(high: value.high & mask, low: value.low)
    }
    let mask: UInt64 = bits == 0 ? 0 : ~UInt64(0) >> UInt64(64 - bits)
    return IPAddress(high: 0, low: value.low & mask)
  }
}

/// An IPv4 or IPv6 address as 128 bits in network order. IPv4 is held in its IPv4-mapped form (`::ffff:a.b.c.d`),
/// as the ipcrypt draft does, so one type covers both.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
  /// Bits 127…64 (the first eight bytes, big-endian).
  public var high: UInt64
  /// Bits 63…0 (the last eight bytes, big-endian).
  public var low: UInt64

  public init(high: UInt64, low: UInt64) {
    self.high = high
    self.low = low
  }

  /// The IPv4-mapped form of an IPv4 address.
  public init(v4 value: UInt32) {
    high = 0
    low = 0xffff_0000_0000 | UInt64(value)
  }

  /// Whether this is an IPv4 address (the IPv4-mapped range `::ffff:0:0/96`).
  public var isV4: Bool { high == 0 && low >> 32 == 0xffff }

  /// The IPv4 value; meaningful only when ``isV4``.
  public var v4Value: UInt32 { UInt32(truncatingIfNeeded: low) }

  /// Parses a whole address: dotted IPv4, or IPv6 in any RFC 4291 text form. Brackets, ports and zones are not
  /// accepted here (``IPScanner`` finds addresses inside text).
  public init?(_ text: some StringProtocol) {
    let bytes = Array(text.utf8)
    let parsed: IPAddress? = bytes.withUnsafeBufferPointer { buffer in
      guard let p = buffer.baseAddress else { return nil }
      if let (value, end) = IPScanner.parseIPv4(p, from: 0, limit: buffer.count), end == buffer.count {
        return IPAddress(v4: value)
      }
      if let (address, end) = IPScanner.parseIPv6(p, from: 0, limit: buffer.count), end == buffer.count {
        return address
      }
      return nil
    }
    guard let parsed else { return nil }
    self = parsed
  }

  /// Dotted decimal for IPv4, RFC 5952 text (lower case, longest zero run as `::`) otherwise.
  public var description: String {
    var out = [UInt8]()
    if isV4 { appendV4Text(to: &out) } else { appendV6Text(to: &out) }
    return String(decoding: out, as: UTF8.self)
  }

  /// Appends `a.b.c.d` for the low 32 bits.
  func appendV4Text(to out: inout [UInt8]) {
    let value = v4Value
    for shift in stride(from: 24, through: 0, by: -8) {
      let octet = UInt8(truncatingIfNeeded: value >> UInt32(shift))
      if octet >= 100 { out.append(0x30 + octet / 100) }
      if octet >= 10 { out.append(0x30 + (octet / 10) % 10) }
      out.append(0x30 + octet % 10)
      if shift != 0 { out.append(0x2e) }
    }
  }

  /// Appends the RFC 5952 text of all 128 bits (never the dotted tail).
  func appendV6Text(to out: inout [UInt8]) {
    // The longest run of two or more zero groups (the first one on a tie) becomes "::".
    var bestStart = -1
    var bestLength = 1
    var k = 0
    while k < 8 {
      if group(k) == 0 {
        var end = k
        while end < 8 && group(end) == 0 { end += 1 }
        if end - k > bestLength {
          bestStart = k
          bestLength = end - k
        }
        k = end
      } else {
        k += 1
      }
    }
    k = 0
    while k < 8 {
      if k == bestStart {
        out.append(0x3a)
        out.append(0x3a)
        k += bestLength
        continue
      }
      if k > 0 && k != bestStart + bestLength { out.append(0x3a) }
      appendHexGroup(group(k), to: &out)
      k += 1
    }
  }

  /// Group `index` (0…7) of the eight 16-bit groups.
  @inline(__always) private func group(_ index: Int) -> UInt16 {
    let word = index < 4 ? high : low
    return UInt16(truncatingIfNeeded: word >> UInt64(48 - 16 * (index & 3)))
  }

  private func appendHexGroup(_ group: UInt16, to out: inout [UInt8]) {
    var started = false
    var shift: UInt16 = 12
    while true {
      let nibble = Int((group >> shift) & 0xf)
      if nibble != 0 || started || shift == 0 {
        out.append(HexDigits.lowerTable[nibble])
        started = true
      }
      if shift == 0 { break }
      shift -= 4
    }
  }

  /// The 16 bytes in network order.
  var bytes: [UInt8] {
    var out = [UInt8](repeating: 0, count: 16)
    for k in 0..<8 {
      out[k] = UInt8(truncatingIfNeeded: high >> UInt64(56 - 8 * k))
      out[k + 8] = UInt8(truncatingIfNeeded: low >> UInt64(56 - 8 * k))
    }
    return out
  }

  /// The address with all but the first `prefixLength` bits (of 128) cleared.
  func keepingPrefix(_ prefixLength: Int) -> IPAddress {
    let length = max(0, min(128, prefixLength))
    if length >= 64 {
      let lowBits = length - 64
      let mask: UInt64 = lowBits == 0 ? 0 : ~UInt64(0) << UInt64(64 - lowBits)
      return IPAddress(high: high, low: low & mask)
    }
    let mask: UInt64 = length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length)
    return IPAddress(high: high & mask, low: 0)
  }
}

/// A CIDR block (`10.0.0.0/8`, `2001:db8::/32`). IPv4 blocks are held in IPv4-mapped form.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
  /// The first address of the block.
  public let address: IPAddress
  /// Prefix length in the 128-bit space (an IPv4 /8 is 104 here).
  public let prefixLength128: Int

  /// Parses `address/length` or a bare address (a single-address block).
  public init?(_ text: some StringProtocol) {
    let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    guard let address = IPAddress(parts[0]) else { return nil }
    let maximum = address.isV4 ? 32 : 128
    var length = maximum
    if parts.count == 2 {
      guard let parsed = Int(parts[1]), (0...maximum).contains(parsed) else { return nil }
      length = parsed
    }
    let length128 = address.isV4 ? length + 96 : length
    self.address = address.keepingPrefix(length128)
    prefixLength128 = length128
  }

  /// Whether `candidate` lies inside the block.
  public func contains(_ candidate: IPAddress) -> Bool {
    candidate.keepingPrefix(prefixLength128) == address
  }

  public var description: String {
    address.isV4 && prefixLength128 >= 96
      ? "\(address)/\(prefixLength128 - 96)" : "\(address)/\(prefixLength128)"
  }

  /// Loopback and unspecified addresses: kept by default because they identify no one and stay readable.
  public static let loopbackAndUnspecified: [IPNetwork] = ["127.0.0.0/8", "0.0.0.0/32", "::1/128", "::/128"]
    .compactMap { IPNetwork($0) }
}

/// Byte-level helpers for the hot path. Everything here works on raw buffers: no `String`, no `Regex`.
@usableFromInline let asciiSpace: UInt8 = 0x20
@usableFromInline let asciiTab: UInt8 = 0x09

extension UInt8 {
  /// ASCII upper-casing; other bytes unchanged.
  @inlinable var asciiUppercased: UInt8 { (self &- 0x61) < 26 ? self &- 0x20 : self }
  @inlinable var isASCIIDigit: Bool { (self &- 0x30) < 10 }
  @inlinable var isASCIIHexDigit: Bool { (self &- 0x30) < 10 || ((self | 0x20) &- 0x61) < 6 }
  /// ASCII white space (space, tab, LF, VT, FF, CR): a stray CR or form feed still separates a command's words.
  @inlinable var isBlank: Bool { self == asciiSpace || (self &- asciiTab) < 5 }
  /// Base64 alphabet (standard and URL-safe) plus padding.
  @inlinable var isBase64: Bool {
    ((self | 0x20) &- 0x61) < 26 || (self &- 0x30) < 10 || self == 0x2B || self == 0x2F || self == 0x3D
      || self == 0x2D || self == 0x5F
  }
}

/// A borrowed view of one line (without its terminator). Valid only during the call that received it.
public struct ByteLine {
  public let base: UnsafePointer<UInt8>
  public let count: Int

  @inlinable public init(base: UnsafePointer<UInt8>, count: Int) {
    self.base = base
    self.count = count
  }

  @inlinable public subscript(i: Int) -> UInt8 { base[i] }

  /// Index of the first non-blank byte at or after `i`.
  @inlinable public func skipBlanks(from i: Int) -> Int {
    var j = i
    while j < count && base[j].isBlank { j += 1 }
    return j
  }

  /// End of the blank-delimited token starting at `i`.
  @inlinable public func tokenEnd(from i: Int) -> Int {
    var j = i
    while j < count && !base[j].isBlank { j += 1 }
    return j
  }

  /// Index after trailing blanks are removed.
  @inlinable public func trimmedEnd() -> Int {
    var j = count
    while j > 0 && base[j - 1].isBlank { j -= 1 }
    return j
  }

  /// Case-insensitive comparison of `[start, end)` with an upper-case ASCII literal.
  @inlinable public func equalsUppercase(_ start: Int, _ end: Int, _ literal: StaticString) -> Bool {
    guard end - start == literal.utf8CodeUnitCount else { return false }
    let lit = literal.utf8Start
    var k = 0
    while k < end - start {
      if base[start + k].asciiUppercased != lit[k] { return false }
      k += 1
    }
    return true
  }

  /// Whether `[start, end)` begins with the upper-case ASCII literal, case-insensitively.
  @inlinable public func hasUppercasePrefix(_ start: Int, _ end: Int, _ literal: StaticString) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard end - start >= n else { return false }
    let lit = literal.utf8Start
    var k = 0
    while k < n {
      if base[start + k].asciiUppercased != lit[k] { return false }
      k += 1
    }
    return true
  }

  /// Whether `[start, end)` consists only of `*` (a server's own mask) and is not empty.
  @inlinable public func isAllStars(_ start: Int, _ end: Int) -> Bool {
    guard end > start else { return false }
    for k in start..<end where base[k] != 0x2A { return false }
    return true
  }

  /// Parses a non-negative decimal in `[start, end)`; nil if not all digits or too long.
  @inlinable public func decimal(_ start: Int, _ end: Int) -> Int? {
    guard end > start, end - start <= 15 else { return nil }
    var v = 0
    for k in start..<end {
      let d = base[k] &- 0x30
      guard d < 10 else { return nil }
      v = v * 10 + Int(d)
    }
    return v
  }

  /// Packs up to the first 16 bytes of `[start, end)`, upper-cased, into a key for verb lookup.
  /// Returns nil for tokens longer than 16 bytes (no protocol verb is that long).
  @inlinable public func verbKey(_ start: Int, _ end: Int) -> VerbKey? {
    let n = end - start
    guard n > 0, n <= 16 else { return nil }
    var a: UInt64 = 0
    var b: UInt64 = 0
    for k in 0..<n {
      let c = UInt64(base[start + k].asciiUppercased)
      if k < 8 { a |= c << (8 * UInt64(k)) } else { b |= c << (8 * UInt64(k - 8)) }
    }
    return VerbKey(a: a, b: b)
  }

  /// Whether the bytes equal `"<authentication response>"` (Exchange's own mask).
  @inlinable public func isExchangeAuthMask(_ start: Int, _ end: Int) -> Bool {
    equalsUppercase(start, end, "<AUTHENTICATION RESPONSE>")
  }
}

/// A protocol verb packed into 16 bytes (upper-cased ASCII), for table lookup without allocation.
public struct VerbKey: Hashable, Sendable {
  public let a: UInt64
  public let b: UInt64
  @inlinable public init(a: UInt64, b: UInt64) {
    self.a = a
    self.b = b
  }
  /// Builds the key for an upper-case ASCII verb (table construction only).
  public init(_ verb: String) {
    var a: UInt64 = 0
    var b: UInt64 = 0
    for (k, c) in verb.utf8.enumerated() where k < 16 {
      let v = UInt64(c.asciiUppercased)
      if k < 8 { a |= v << (8 * UInt64(k)) } else { b |= v << (8 * UInt64(k - 8)) }
    }
    self.a = a
    self.b = b
  }
}

/// FNV-1a over bytes: a cheap, allocation-free 64-bit key for session identifiers.
@inlinable func fnv1a(_ base: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
  var h: UInt64 = 0xcbf2_9ce4_8422_2325
  for i in 0..<count {
    h ^= UInt64(base[i])
    h = h &* 0x100_0000_01b3
  }
  return h
}

/// The value of the 16 hex digits at `p` (either case), or nil when any of them is not a hex digit: Exchange's
/// session ids. Eight digits at a time, without a branch per digit.
@inlinable func hexValue16(_ p: UnsafePointer<UInt8>) -> UInt64? {
  let raw = UnsafeRawPointer(p)
  guard let high = hexValue8(UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))),
    let low = hexValue8(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
  else { return nil }
  return high << 32 | low
}

/// Eight hex digits, the first in the lowest byte of `w`.
@inlinable @inline(__always) func hexValue8(_ w: UInt64) -> UInt64? {
  let highBits: UInt64 = 0x8080_8080_8080_8080
  guard w & highBits == 0 else { return nil }
  // With every byte below 0x80 no addition carries into the next byte.
  let digit = (w &+ 0x5050_5050_5050_5050) & ~(w &+ 0x4646_4646_4646_4646)  // 0x30...0x39
  let lower = w | 0x2020_2020_2020_2020
  let letter = (lower &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(lower &+ 0x1919_1919_1919_1919)  // a...f after folding case
  guard (digit | letter) & highBits == highBits else { return nil }
  // Digits are 0x3_, letters 0x4_ or 0x6_: bit 6 adds 9 to the low nibble.
  let nibbles = (w & 0x0F0F_0F0F_0F0F_0F0F) &+ ((w >> 6) & 0x0101_0101_0101_0101) &* 9
  // Pack the nibbles, first digit most significant.
  let pairs = ((nibbles & 0x00FF_00FF_00FF_00FF) << 4) | ((nibbles >> 8) & 0x00FF_00FF_00FF_00FF)
  let quads = ((pairs & 0x0000_FFFF_0000_FFFF) << 8) | ((pairs >> 16) & 0x0000_FFFF_0000_FFFF)
  return ((quads & 0xFFFF_FFFF) << 16) | (quads >> 32)
}

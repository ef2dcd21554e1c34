/// Byte-level scanners for the framing of line-oriented logs: dates, clock times, fixed markers. No `String`, no
/// `Regex`; every function answers with an index into the line (or nil), never with a copy.
extension ByteLine {
  /// End of a run of `min...max` ASCII digits starting at `i`, or nil.
  @inlinable @inline(__always) func digitsEnd(from i: Int, min: Int, max: Int) -> Int? {
    var j = i
    while j < count && j - i < max && base[j].isASCIIDigit { j += 1 }
    let n = j - i
    guard n >= min else { return nil }
    // More digits than allowed: not the shape we look for.
    if j < count && base[j].isASCIIDigit { return nil }
    return j
  }

  /// End of a `M/D/Y` date at `i`: 1–2 digits, `/`, 1–2 digits, `/`, 2 or 4 digits.
  @inlinable func slashDateEnd(from i: Int) -> Int? {
    guard let m = digitsEnd(from: i, min: 1, max: 2), m < count, base[m] == 0x2F,
      let d = digitsEnd(from: m + 1, min: 1, max: 2), d < count, base[d] == 0x2F,
      let y = digitsEnd(from: d + 1, min: 2, max: 4), y - d - 1 != 3
    else { return nil }
    return y
  }

  /// End of a `h:mm:ss` clock time at `i`, with optional fraction `.f…` (1–7 digits).
  @inlinable func clockTimeEnd(from i: Int) -> Int? {
    guard let h = digitsEnd(from: i, min: 1, max: 2), h < count, base[h] == 0x3A,
      let m = digitsEnd(from: h + 1, min: 2, max: 2), m < count, base[m] == 0x3A,
      var s = digitsEnd(from: m + 1, min: 2, max: 2)
    else { return nil }
    if s < count && base[s] == 0x2E, let f = digitsEnd(from: s + 1, min: 1, max: 7) { s = f }
    return s
  }

  /// Whether the bytes at `i` are exactly `literal` (case-sensitive).
  @inlinable func hasLiteral(_ literal: StaticString, at i: Int) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard i >= 0, count - i >= n else { return false }
    let lit = literal.utf8Start
    var k = 0
    while k < n {
      if base[i + k] != lit[k] { return false }
      k += 1
    }
    return true
  }

  /// First index of `byte` in `[from, to)`, or nil. Eight bytes at a time and inlined: for the short spans of
  /// fields and tokens, where a `memchr` call costs more than the scan.
  @inlinable @inline(__always) func firstIndex(of byte: UInt8, from: Int, to: Int) -> Int? {
    var k = from
    let raw = UnsafeRawPointer(base)
    let pattern = 0x0101_0101_0101_0101 &* UInt64(byte)
    while k + 8 <= to {
      let x = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)) ^ pattern
      // High bit of each lane set exactly where the lane is zero (no borrow between lanes).
      let zero = ~(((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7F7F_7F7F_7F7F_7F7F) | x) & 0x8080_8080_8080_8080
      if zero != 0 { return k + zero.trailingZeroBitCount >> 3 }
      k += 8
    }
    while k < to {
      if base[k] == byte { return k }
      k += 1
    }
    return nil
  }

  /// Last index of `byte` in `[from, to)`, or nil.
  @inlinable func lastIndex(of byte: UInt8, from: Int, to: Int) -> Int? {
    var k = to - 1
    while k >= from {
      if base[k] == byte { return k }
      k -= 1
    }
    return nil
  }

  /// Whether `[from, to)` contains the upper-case ASCII `literal`, case-insensitively.
  @inlinable func containsUppercase(_ literal: StaticString, from: Int, to: Int) -> Bool {
    let n = literal.utf8CodeUnitCount
    guard n > 0, to - from >= n else { return false }
    let first = literal.utf8Start[0]
    var k = from
    while k + n <= to {
      if base[k].asciiUppercased == first && hasUppercasePrefix(k, to, literal) { return true }
      k += 1
    }
    return false
  }

  /// Whether `[start, end)` equals `[otherStart, otherEnd)` of `other` when every run of blanks counts as one space
  /// and trailing blanks are ignored.
  func equalsCollapsingBlanks(_ start: Int, _ end: Int, _ other: ByteLine, _ otherStart: Int, _ otherEnd: Int) -> Bool {
    var i = start
    var j = otherStart
    var e1 = end
    var e2 = otherEnd
    while e1 > i && base[e1 - 1].isBlank { e1 -= 1 }
    while e2 > j && other.base[e2 - 1].isBlank { e2 -= 1 }
    while i < e1 && j < e2 {
      let a = base[i]
      let b = other.base[j]
      if a.isBlank && b.isBlank {
        while i < e1 && base[i].isBlank { i += 1 }
        while j < e2 && other.base[j].isBlank { j += 1 }
        continue
      }
      if a != b { return false }
      i += 1
      j += 1
    }
    return i == e1 && j == e2
  }

  /// Whether `[from, to)` holds a control byte other than tab (0x00–0x08, 0x0A–0x1F, 0x7F): binary data, not log
  /// text. Eight bytes at a time; the exact check runs only on words the bit test flags.
  @inlinable func containsControlBytes(from: Int, to: Int) -> Bool {
    var k = from
    let raw = UnsafeRawPointer(base)
    while k + 8 <= to {
      let w = raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)
      let below = (w &- 0x2020_2020_2020_2020) & ~w & 0x8080_8080_8080_8080
      let x = w ^ 0x7F7F_7F7F_7F7F_7F7F
      let del = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
      if below | del != 0 {
        for j in k..<(k + 8) where isControl(base[j]) { return true }
      }
      k += 8
    }
    while k < to {
      if isControl(base[k]) { return true }
      k += 1
    }
    return false
  }

  @inlinable @inline(__always) func isControl(_ c: UInt8) -> Bool { (c < 0x20 && c != asciiTab) || c == 0x7F }

  /// The sub-line `[from, count)`.
  @inlinable func suffix(from i: Int) -> ByteLine { ByteLine(base: base + i, count: count - i) }

  /// Whether the bytes at `i` start an SMTP reply: a 3-digit code followed by a space, `-` or the line's end.
  @inlinable func hasSMTPReplyCode(at i: Int) -> Bool {
    i + 3 <= count && base[i].isASCIIDigit && base[i + 1].isASCIIDigit && base[i + 2].isASCIIDigit
      && (i + 3 == count || base[i + 3] == 0x20 || base[i + 3] == 0x2D)
  }

  /// Whether every byte of `[from, to)` is printable ASCII (space to `~`) or a tab.
  @inlinable func isPrintableASCII(from: Int, to: Int) -> Bool {
    var k = from
    while k < to {
      let c = base[k]
      if !((c &- 0x20) < 0x5F || c == asciiTab) { return false }
      k += 1
    }
    return true
  }
}

/// Helpers for format detection, which looks at the head of a file once: plain `String` work is fine there.
enum DetectionText {
  /// The head's first `maxLines` lines as bytes, without line ends. A last line cut by the head's end is included.
  static func byteLines(_ head: UnsafeRawBufferPointer, maxLines: Int = 64, maxBytes: Int = 16384) -> [[UInt8]] {
    var result: [[UInt8]] = []
    let n = min(head.count, maxBytes)
    var start = 0
    var i = 0
    while i < n && result.count < maxLines {
      if head[i] == 0x0A {
        var end = i
        if end > start && head[end - 1] == 0x0D { end -= 1 }
        result.append(Array(head[start..<end]))
        start = i + 1
      }
      i += 1
    }
    if result.count < maxLines && start < n { result.append(Array(head[start..<n])) }
    return result
  }

  /// The same lines decoded leniently (invalid UTF-8 becomes U+FFFD).
  static func lines(_ head: UnsafeRawBufferPointer, maxLines: Int = 64, maxBytes: Int = 16384) -> [String] {
    byteLines(head, maxLines: maxLines, maxBytes: maxBytes).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Runs `body` with a `ByteLine` over `bytes`.
  static func withLine<R>(_ bytes: [UInt8], _ body: (ByteLine) -> R) -> R {
    if bytes.isEmpty {
      var zero: UInt8 = 0
      return withUnsafePointer(to: &zero) { body(ByteLine(base: $0, count: 0)) }
    }
    return bytes.withUnsafeBufferPointer { body(ByteLine(base: $0.baseAddress!, count: $0.count)) }
  }
}

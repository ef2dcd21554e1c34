/// The values Exchange writes in its header lines, checked byte by byte. A header line is copied only when its value
/// has the shape Exchange gives it: anything else after `#Software:`, `#Fields:` and the rest (a secret appended by
/// hand, a CR-only file read as one long header line) is not copied blindly.
enum ExchangeHeaderValues {
  /// `date-time,connector-id,…` (a `#Fields:` value or the bare field-name row): names of letters, digits, `-` and
  /// `_`, separated by commas, blanks allowed around them.
  static func isFieldList(_ line: ByteLine, from: Int) -> Bool {
    var i = from
    var names = 0
    while true {
      i = line.skipSpaces(from: i)
      let start = i
      while i < line.count && (line[i].isASCIILetterOrDigit || line[i] == 0x2D || line[i] == 0x5F) { i += 1 }
      guard i > start, i - start <= 40 else { return false }
      names += 1
      i = line.skipSpaces(from: i)
      if i == line.count { return names <= 64 }
      guard line[i] == 0x2C else { return false }
      i += 1
    }
  }

  /// `15.0.0.0`: digits and dots.
  static func isVersion(_ line: ByteLine, from: Int) -> Bool {
    isMadeOf(line, from: from, maxLength: 32) { $0.isASCIIDigit || $0 == 0x2E }
  }

  /// `2023-01-11T16:00:04.113Z`: digits and the punctuation of ISO 8601 dates and times.
  static func isDate(_ line: ByteLine, from: Int) -> Bool {
    isMadeOf(line, from: from, maxLength: 40) {
      $0.isASCIIDigit || $0 == 0x2D || $0 == 0x3A || $0 == 0x2E || $0 == 0x54 || $0 == 0x5A || $0 == 0x2B || $0 == 0x20
        || $0 == 0x2F
    }
  }

  /// `Microsoft Exchange Server`, `SMTP Receive Protocol Log`, `POP3 Log`: short words of letters (with digits only
  /// after them, as in `POP3`), dots, hyphens and parentheses. A word mixing cases and digits, or holding any other
  /// character, is not a product or log name (it may be base64 or a password).
  static func isLabel(_ line: ByteLine, from: Int) -> Bool {
    let end = line.trimmedEnd()
    guard end - from <= 128 else { return false }
    var i = line.skipSpaces(from: from)
    while i < end {
      let start = i
      var lower = false
      var upper = false
      var digit = false
      while i < end && line[i] != 0x20 {
        let c = line[i]
        if (c &- 0x61) < 26 {
          lower = true
        } else if (c &- 0x41) < 26 {
          upper = true
        } else if c.isASCIIDigit {
          digit = true
        } else if !(c == 0x2E || c == 0x2D || c == 0x28 || c == 0x29) {
          return false
        }
        i += 1
      }
      guard i - start <= 24, !(lower && upper && digit), !(digit && lower && !upper) else { return false }
      i = line.skipSpaces(from: i)
    }
    return true
  }

  private static func isMadeOf(_ line: ByteLine, from: Int, maxLength: Int, _ allowed: (UInt8) -> Bool) -> Bool {
    let start = line.skipSpaces(from: from)
    let end = line.trimmedEnd()
    guard end - start <= maxLength else { return false }
    for i in start..<max(start, end) where !allowed(line[i]) { return false }
    return true
  }
}

extension ByteLine {
  /// Index of the first byte at or after `i` that is not a space or a tab (a CR or other control byte is content).
  @inlinable func skipSpaces(from i: Int) -> Int {
    var j = i
    while j < count && (base[j] == 0x20 || base[j] == 0x09) { j += 1 }
    return j
  }
}

extension UInt8 {
  @inlinable var isASCIILetterOrDigit: Bool { ((self | 0x20) &- 0x61) < 26 || (self &- 0x30) < 10 }
}

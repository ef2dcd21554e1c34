/// An IMAP literal header (`{n}`, `{n+}`, `~{n}`) found at the end of a line.
public struct IMAPLiteralHeader: Equatable {
  /// Where the header starts (`~` or `{`) and ends (after `}`).
  public let start: Int
  public let end: Int
  /// The announced octet count.
  public let octets: Int
  /// `{n+}` (LITERAL+, RFC 7888): the client does not wait for a continuation.
  public let nonSynchronizing: Bool

  /// Finds a literal header that ends the line (ignoring trailing blanks), at or after `from`.
  public static func trailing(in line: ByteLine, from: Int = 0) -> IMAPLiteralHeader? {
    let end = line.trimmedEnd()
    guard end - from >= 3, line[end - 1] == 0x7D /* } */ else { return nil }
    var i = end - 2
    var nonSync = false
    if line[i] == 0x2B /* + */ || line[i] == 0x2D /* - (LITERAL-) */ {
      nonSync = true
      i -= 1
    }
    let digitsEnd = i + 1
    while i >= from && line[i].isASCIIDigit { i -= 1 }
    guard i >= from, line[i] == 0x7B /* { */, digitsEnd > i + 1,
      let n = line.decimal(i + 1, digitsEnd)
    else { return nil }
    var start = i
    if start > from && line[start - 1] == 0x7E /* ~ */ { start -= 1 }
    return IMAPLiteralHeader(start: start, end: end, octets: n, nonSynchronizing: nonSync)
  }
}

extension ByteLine {
  /// End of an IMAP quoted string starting at `start` (which holds `"`), honouring `\"` and `\\`.
  /// Returns the index after the closing quote, or nil when the string does not close on this line.
  func endOfQuotedString(from start: Int) -> Int? {
    var i = start + 1
    while i < count {
      let c = self[i]
      if c == 0x5C /* \ */ {
        i += 2
        continue
      }
      if c == 0x22 { return i + 1 }
      i += 1
    }
    return nil
  }
}

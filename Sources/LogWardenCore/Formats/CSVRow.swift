/// One field of a CSV row: byte offsets into the line, and whether it was quoted.
public struct CSVField: Sendable {
  /// The field's raw bytes, quotes included.
  public var start: Int
  public var end: Int
  public var quoted: Bool
}

/// Splits Exchange-style CSV rows (RFC 4180 quoting, `""` escapes, no line breaks inside fields) without allocating:
/// the field array is reused across rows.
public struct CSVRowSplitter {
  public private(set) var fields: [CSVField] = []

  public init() { fields.reserveCapacity(16) }

  /// Splits `line`. Returns false if a quoted field does not close or text follows a closing quote.
  public mutating func split(_ line: ByteLine, from: Int = 0) -> Bool {
    fields.removeAll(keepingCapacity: true)
    var i = from
    let n = line.count
    while true {
      if i < n && line[i] == 0x22 {
        let fieldStart = i
        i += 1
        var closed = false
        while i < n {
          if line[i] == 0x22 {
            if i + 1 < n && line[i + 1] == 0x22 {
              i += 2
              continue
            }
            closed = true
            i += 1
            break
          }
          i += 1
        }
        guard closed else { return false }
        fields.append(CSVField(start: fieldStart, end: i, quoted: true))
        if i == n { return true }
        guard line[i] == 0x2C else { return false }
        i += 1
      } else {
        let fieldStart = i
        // memchr would be faster for long fields; rows are short and mostly unquoted.
        while i < n && line[i] != 0x2C { i += 1 }
        fields.append(CSVField(start: fieldStart, end: i, quoted: false))
        if i == n { return true }
        i += 1
      }
    }
  }

  /// The field's content: unquoted bytes as-is, quoted bytes with the quotes removed and `""` collapsed.
  /// Returns a pointer into `line` when no unescaping is needed, else fills `scratch`.
  public static func content(
    of field: CSVField, in line: ByteLine, scratch: inout [UInt8]
  ) -> (UnsafePointer<UInt8>, Int, usesScratch: Bool) {
    guard field.quoted else { return (line.base + field.start, field.end - field.start, false) }
    let innerStart = field.start + 1
    let innerEnd = field.end - 1
    var hasEscape = false
    var k = innerStart
    while k < innerEnd {
      if line[k] == 0x22 {
        hasEscape = true
        break
      }
      k += 1
    }
    if !hasEscape { return (line.base + innerStart, innerEnd - innerStart, false) }
    scratch.removeAll(keepingCapacity: true)
    k = innerStart
    while k < innerEnd {
      let c = line[k]
      scratch.append(c)
      k += (c == 0x22) ? 2 : 1
    }
    return (line.base, 0, true)
  }

  /// Appends `bytes` as one CSV field, quoting it when it holds a comma, a quote or a line break.
  public static func appendField(_ bytes: [UInt8], to out: inout [UInt8]) {
    let needsQuotes = bytes.contains { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }
    guard needsQuotes else {
      out.append(contentsOf: bytes)
      return
    }
    out.append(0x22)
    for c in bytes {
      out.append(c)
      if c == 0x22 { out.append(0x22) }
    }
    out.append(0x22)
  }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One field of a CSV row: byte offsets into the line, and whether it was quoted.
public struct CSVField: Sendable {
  /// The field's raw bytes, quotes included.
  public var start: Int
  public var end: Int
  public var quoted: Bool
}

/// Splits Exchange-style CSV rows (RFC 4180 quoting, `""` escapes, no line breaks inside fields) without allocating:
/// field positions go into a fixed buffer reused across rows.
public final class CSVRowSplitter {
  /// Rows with more fields than this are treated as unparsable.
  public static let maximumFields = 64
  private let storage = UnsafeMutablePointer<CSVField>.allocate(capacity: CSVRowSplitter.maximumFields)
  /// Number of fields found by the last `split`.
  public private(set) var count = 0

  public init() {}
  deinit { storage.deallocate() }

  @inline(__always) public subscript(index: Int) -> CSVField { storage[index] }

  /// Splits `line`. Returns false if a quoted field does not close, text follows a closing quote, or there are too
  /// many fields.
  public func split(_ line: ByteLine, from: Int = 0) -> Bool {
    count = 0
    var i = from
    let n = line.count
    let base = line.base
    while true {
      guard count < CSVRowSplitter.maximumFields else { return false }
      if i < n && base[i] == 0x22 {
        let fieldStart = i
        i += 1
        var closed = false
        while i < n {
          // memchr is vectorised: quoted fields are long (banners, TLS details).
          guard let q = memchr(base + i, 0x22, n - i) else { break }
          i = UnsafePointer<UInt8>(q.assumingMemoryBound(to: UInt8.self)) - base
          if i + 1 < n && base[i + 1] == 0x22 {
            i += 2
            continue
          }
          closed = true
          i += 1
          break
        }
        guard closed else { return false }
        storage[count] = CSVField(start: fieldStart, end: i, quoted: true)
        count += 1
        if i == n { return true }
        guard base[i] == 0x2C else { return false }
        i += 1
      } else {
        let fieldStart = i
        if let c = memchr(base + i, 0x2C, n - i) {
          i = UnsafePointer<UInt8>(c.assumingMemoryBound(to: UInt8.self)) - base
        } else {
          i = n
        }
        storage[count] = CSVField(start: fieldStart, end: i, quoted: false)
        count += 1
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
    guard line.firstIndex(of: 0x22, from: innerStart, to: innerEnd) != nil else {
      return (line.base + innerStart, innerEnd - innerStart, false)
    }
    scratch.removeAll(keepingCapacity: true)
    var k = innerStart
    while k < innerEnd {
      let c = line[k]
      scratch.append(c)
      k += (c == 0x22) ? 2 : 1
    }
    return (line.base, 0, true)
  }

  /// Appends `bytes` as one CSV field, quoting it when it holds a comma, a quote or a line break.
  public static func appendField(_ bytes: [UInt8], to out: inout [UInt8]) {
    bytes.withUnsafeBufferPointer { appendField($0, to: &out) }
  }

  /// Appends the bytes of `field` as one CSV field (see `appendField(_:to:)`).
  public static func appendField(_ field: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
    var needsQuotes = false
    for c in field where c == 0x2C || c == 0x22 || c == 0x0A || c == 0x0D {
      needsQuotes = true
      break
    }
    guard needsQuotes else {
      out.append(contentsOf: field)
      return
    }
    out.append(0x22)
    for c in field {
      out.append(c)
      if c == 0x22 { out.append(0x22) }
    }
    out.append(0x22)
  }
}

/// Serves a UTF-16 input as UTF-8. Windows tools write logs as UTF-16 (PowerShell 5's `>` and `Out-File` do by
/// default); read byte by byte such a file has a NUL between every two letters, and no rule would find `AUTH` in it.
/// Transcoded, it is sanitized like any other log (and written as UTF-8). Unpaired surrogates become U+FFFD; a BOM
/// becomes the UTF-8 BOM.
public final class UTF16TranscodingSource: ByteSource {
  public enum ByteOrder: String, Sendable {
    case littleEndian = "UTF-16LE"
    case bigEndian = "UTF-16BE"
  }

  public let byteOrder: ByteOrder
  private let upstream: ByteSource
  private var input = [UInt8](repeating: 0, count: 1 << 16)
  /// Input bytes not converted yet (an odd byte, a high surrogate waiting for its pair) at the front of `input`.
  private var carried = 0
  private var output: [UInt8] = []
  private var outputOffset = 0
  private var atEnd = false

  public init(upstream: ByteSource, byteOrder: ByteOrder) {
    self.upstream = upstream
    self.byteOrder = byteOrder
    output.reserveCapacity(3 << 15)
  }

  /// The byte order of `head` (an input's first bytes) when it is UTF-16: by its BOM, or, without one, by a NUL in
  /// (nearly) every second byte of at least 32 code units and in (nearly) none of the others.
  public static func sniff(_ head: some Collection<UInt8>) -> ByteOrder? {
    let bytes = Array(head.prefix(1024))
    if bytes.count >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE { return .littleEndian }
    if bytes.count >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF { return .bigEndian }
    let units = bytes.count / 2
    guard units >= 32 else { return nil }
    var evenNUL = 0
    var oddNUL = 0
    for i in 0..<units {
      if bytes[2 * i] == 0 { evenNUL += 1 }
      if bytes[2 * i + 1] == 0 { oddNUL += 1 }
    }
    if oddNUL * 10 >= units * 9 && evenNUL * 10 <= units { return .littleEndian }
    if evenNUL * 10 >= units * 9 && oddNUL * 10 <= units { return .bigEndian }
    return nil
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    while outputOffset == output.count {
      if atEnd { return 0 }
      try refill()
    }
    let n = min(buffer.count, output.count - outputOffset)
    output.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + outputOffset, byteCount: n) }
    outputOffset += n
    return n
  }

  private func refill() throws(LogWardenError) {
    output.removeAll(keepingCapacity: true)
    outputOffset = 0
    let n = try upstream.read(into: &input, from: carried)
    if n == 0 { atEnd = true }
    let available = carried + n
    var i = 0
    while i + 1 < available {
      let unit = codeUnit(at: i)
      if (0xD800..<0xDC00).contains(unit) {
        guard i + 3 < available else {
          if atEnd {
            appendScalar(0xFFFD)
            i += 2
            continue
          }
          break  // wait for the low surrogate
        }
        let low = codeUnit(at: i + 2)
        if (0xDC00..<0xE000).contains(low) {
          appendScalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
          i += 4
        } else {
          appendScalar(0xFFFD)
          i += 2
        }
      } else if (0xDC00..<0xE000).contains(unit) {
        appendScalar(0xFFFD)
        i += 2
      } else {
        appendScalar(UInt32(unit))
        i += 2
      }
    }
    if atEnd && i < available {
      // A lone last byte: half a code unit.
      appendScalar(0xFFFD)
      i = available
    }
    carried = available - i
    if carried > 0 { input.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: $0.baseAddress! + i, byteCount: carried) } }
  }

  @inline(__always) private func codeUnit(at i: Int) -> UInt16 {
    byteOrder == .littleEndian
      ? UInt16(input[i]) | UInt16(input[i + 1]) << 8
      : UInt16(input[i]) << 8 | UInt16(input[i + 1])
  }

  @inline(__always) private func appendScalar(_ scalar: UInt32) {
    switch scalar {
    case 0..<0x80:
      output.append(UInt8(scalar))
    case 0x80..<0x800:
      output.append(UInt8(0xC0 | scalar >> 6))
      output.append(UInt8(0x80 | scalar & 0x3F))
    case 0x800..<0x10000:
      output.append(UInt8(0xE0 | scalar >> 12))
      output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
      output.append(UInt8(0x80 | scalar & 0x3F))
    default:
      output.append(UInt8(0xF0 | scalar >> 18))
      output.append(UInt8(0x80 | scalar >> 12 & 0x3F))
      output.append(UInt8(0x80 | scalar >> 6 & 0x3F))
      output.append(UInt8(0x80 | scalar & 0x3F))
    }
  }
}

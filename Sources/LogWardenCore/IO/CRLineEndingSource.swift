/// Serves an input whose lines end in a bare CR (classic Mac OS, some Windows tools' exports) with LF endings.
/// Every reader frames lines at LF: without this such a file is one line, and a format that recognises its first
/// line (a header, a syslog stamp) would treat the whole file as that line.
public final class CRLineEndingSource: ByteSource {
  private let upstream: ByteSource

  public init(upstream: ByteSource) { self.upstream = upstream }

  /// Whether `head` (an input's first bytes) has CR line endings: at least one CR and no LF at all.
  public static func sniff(_ head: some Collection<UInt8>) -> Bool {
    var crs = 0
    for byte in head {
      if byte == 0x0A { return false }
      if byte == 0x0D { crs += 1 }
    }
    return crs > 0
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer) throws(LogWardenError) -> Int {
    let n = try upstream.read(into: buffer)
    let bytes = buffer.bindMemory(to: UInt8.self)
    for i in 0..<n where bytes[i] == 0x0D { bytes[i] = 0x0A }
    return n
  }
}

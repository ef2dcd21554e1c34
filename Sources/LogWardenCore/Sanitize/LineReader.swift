#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a line ended in the input. Output keeps the same ending.
public enum LineTerminator: UInt8, Sendable {
  /// End of input without a line break (a truncated last line).
  case none = 0
  case lf = 1
  case crlf = 2

  public var length: Int { Int(rawValue) }
  public var bytes: [UInt8] {
    switch self {
    case .none: return []
    case .lf: return [0x0A]
    case .crlf: return [0x0D, 0x0A]
    }
  }
}

/// Splits a byte stream into lines in large chunks, with flat memory.
///
/// Lines are handed out as pointers into the chunk buffer (valid until the callback returns and the writer's run is
/// flushed). A line longer than `maxLineLength` is never buffered whole: its first bytes go to `overlong` and the
/// rest is skipped up to the next line break.
public struct LineReader {
  public let maxLineLength: Int
  public let readSize: Int

  public init(maxLineLength: Int = 4 << 20, readSize: Int = 1 << 20) {
    self.maxLineLength = max(maxLineLength, 1024)
    self.readSize = readSize
  }

  /// Reads `source` to its end. `firstChunk` sees the first bytes before any line (format detection).
  public func run(
    source: ByteSource,
    firstChunk: (UnsafeRawBufferPointer) throws(LogWardenError) -> Void,
    line: (ByteLine, LineTerminator) -> Void,
    overlong: (ByteLine, Int) -> Void,
    chunkDone: () -> Void
  ) throws(LogWardenError) {
    let capacity = maxLineLength + readSize
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    var start = 0  // first unconsumed byte
    var end = 0  // end of valid bytes
    var sawFirst = false
    var skipping = false  // inside an overlong line, discarding to the next line break
    var skippedLength = 0
    var atEOF = false

    while !atEOF {
      // Move the unfinished line to the front so the next read appends to it.
      if start > 0 {
        chunkDone()
        if end > start { memmove(buffer, buffer + start, end - start) }
        end -= start
        start = 0
      }
      let room = min(capacity - end, readSize)
      let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: room))
      if n == 0 { atEOF = true }
      end += n
      if !sawFirst {
        // Detection wants a real head, not whatever the first read() returned.
        if !atEOF && end < 65536 && end < capacity { continue }
        sawFirst = true
        try firstChunk(UnsafeRawBufferPointer(start: buffer, count: end))
      }

      // Hand out complete lines.
      while start < end {
        let base = buffer + start
        guard let nl = memchr(base, 0x0A, end - start) else { break }
        let lineEnd = nl.assumingMemoryBound(to: UInt8.self) - buffer
        if skipping {
          skippedLength += lineEnd - start + 1
          skipping = false
          start = lineEnd + 1
          skippedLength = 0
          continue
        }
        var contentEnd = lineEnd
        var terminator = LineTerminator.lf
        if contentEnd > start && buffer[contentEnd - 1] == 0x0D {
          contentEnd -= 1
          terminator = .crlf
        }
        line(ByteLine(base: UnsafePointer(buffer + start), count: contentEnd - start), terminator)
        start = lineEnd + 1
      }
      if atEOF { break }
      // No line break in what is left: an overlong line if it fills the line budget.
      if end - start >= maxLineLength {
        if !skipping {
          overlong(ByteLine(base: UnsafePointer(buffer + start), count: min(end - start, 4096)), end - start)
          skipping = true
        }
        skippedLength += end - start
        chunkDone()
        start = 0
        end = 0
      }
    }
    // A last line without a line break.
    if start < end && !skipping {
      line(ByteLine(base: UnsafePointer(buffer + start), count: end - start), .none)
    }
    chunkDone()
    _ = skippedLength
  }
}

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
/// flushed). A line of `maxLineLength` bytes or more is never handed out: its first bytes go to `overlong` and the
/// rest is skipped up to the next line break, wherever the chunk boundaries fall.
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
      start =
        LineFraming.handOutLines(
          from: buffer + start, to: buffer + end, maxLineLength: maxLineLength, skipping: &skipping, line: line,
          overlong: overlong) - buffer
      if atEOF { break }
      if LineFraming.dropsUnfinished(
        from: buffer + start, to: buffer + end, maxLineLength: maxLineLength, skipping: &skipping, overlong: overlong)
      {
        chunkDone()
        start = 0
        end = 0
      }
    }
    // A last line without a line break.
    LineFraming.handOutLastLine(
      from: buffer + start, to: buffer + end, maxLineLength: maxLineLength, skipping: skipping, line: line,
      overlong: overlong)
    chunkDone()
  }
}

/// The line framing shared by the readers: LF or CRLF terminators, lines as pointers into the reader's buffer. A line
/// of `maxLineLength` bytes or more (terminator excluded) is overlong wherever the chunk boundaries fall.
enum LineFraming {
  /// Hands out every complete line in `start..<end` and returns where the unfinished rest begins. When `skipping`
  /// (inside an overlong line), everything up to the first line break is dropped and `skipping` cleared.
  @inline(__always) static func handOutLines(
    from start: UnsafeMutablePointer<UInt8>, to end: UnsafeMutablePointer<UInt8>, maxLineLength: Int,
    skipping: inout Bool, line: (ByteLine, LineTerminator) -> Void, overlong: (ByteLine, Int) -> Void
  ) -> UnsafeMutablePointer<UInt8> {
    var start = start
    while start < end {
      guard let nl = memchr(start, 0x0A, end - start) else { break }
      let lineEnd = nl.assumingMemoryBound(to: UInt8.self)
      if skipping {
        skipping = false
        start = lineEnd + 1
        continue
      }
      var contentEnd = lineEnd
      var terminator = LineTerminator.lf
      if contentEnd > start && contentEnd[-1] == 0x0D {
        contentEnd -= 1
        terminator = .crlf
      }
      if contentEnd - start >= maxLineLength {
        overlong(overlongPrefix(start, contentEnd - start), lineEnd + 1 - start)
      } else {
        line(ByteLine(base: UnsafePointer(start), count: contentEnd - start), terminator)
      }
      start = lineEnd + 1
    }
    return start
  }

  /// The last line of the input, which has no line break.
  @inline(__always) static func handOutLastLine(
    from start: UnsafeMutablePointer<UInt8>, to end: UnsafeMutablePointer<UInt8>, maxLineLength: Int,
    skipping: Bool, line: (ByteLine, LineTerminator) -> Void, overlong: (ByteLine, Int) -> Void
  ) {
    guard start < end && !skipping else { return }
    if end - start >= maxLineLength {
      overlong(overlongPrefix(start, end - start), end - start)
    } else {
      line(ByteLine(base: UnsafePointer(start), count: end - start), .none)
    }
  }

  /// The unfinished rest of a chunk (no line break yet) is reported once as overlong when it reaches the line budget.
  /// Returns true when the rest is to be dropped: it belongs to an overlong line.
  @inline(__always) static func dropsUnfinished(
    from start: UnsafeMutablePointer<UInt8>, to end: UnsafeMutablePointer<UInt8>, maxLineLength: Int,
    skipping: inout Bool, overlong: (ByteLine, Int) -> Void
  ) -> Bool {
    if !skipping && end - start >= maxLineLength {
      overlong(overlongPrefix(start, end - start), end - start)
      skipping = true
    }
    return skipping
  }

  /// What `overlong` sees of an overlong line: its first bytes.
  @inline(__always) static func overlongPrefix(_ start: UnsafePointer<UInt8>, _ count: Int) -> ByteLine {
    ByteLine(base: start, count: min(count, 4096))
  }
}
